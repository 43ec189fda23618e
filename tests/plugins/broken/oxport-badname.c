/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The descriptor symbol fits the file, the name inside does not. */
#include <oxport/oxport.h>

static gboolean
badname_init (OxpPlugin *plugin, GError **error)
{
  g_setenv ("OXP_TEST_BADNAME_INIT_RAN", "1", TRUE);
  return TRUE;
}

OXP_PLUGIN_EXPORT extern const OxpPluginDesc oxp_plugin_badname_desc;
OXP_PLUGIN_EXPORT const OxpPluginDesc oxp_plugin_badname_desc = {
  OXP_PLUGIN_ABI_MAJOR, OXP_PLUGIN_ABI_MINOR, "othername", "Misnamed", "1.0",
  "LGPL-2.1-or-later",  badname_init,         { NULL },
};
