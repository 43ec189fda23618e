/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Needs a newer minor ABI than the core offers. */
#include <oxport/oxport.h>

static gboolean
abiminor_init (OxpPlugin *plugin, GError **error)
{
  g_setenv ("OXP_TEST_ABIMINOR_INIT_RAN", "1", TRUE);
  return TRUE;
}

OXP_PLUGIN_EXPORT extern const OxpPluginDesc oxp_plugin_abiminor_desc;
OXP_PLUGIN_EXPORT const OxpPluginDesc oxp_plugin_abiminor_desc = {
  OXP_PLUGIN_ABI_MAJOR,
  OXP_PLUGIN_ABI_MINOR + 1,
  "abiminor",
  "Newer minor ABI",
  "1.0",
  "LGPL-2.1-or-later",
  abiminor_init,
  { NULL },
};
