/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A descriptor without an init function. */
#include <oxport/oxport.h>

OXP_PLUGIN_EXPORT extern const OxpPluginDesc oxp_plugin_noinit_desc;
OXP_PLUGIN_EXPORT const OxpPluginDesc oxp_plugin_noinit_desc = {
  OXP_PLUGIN_ABI_MAJOR,
  OXP_PLUGIN_ABI_MINOR,
  "noinit",
  "No init",
  "1.0",
  "LGPL-2.1-or-later",
  NULL,
  { NULL },
};
