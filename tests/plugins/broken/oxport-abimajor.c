/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Built against a future ABI major: the core must refuse it without
 * running init, which would leave a trace in the environment. */
#include <oxport/oxport.h>

static gboolean
abimajor_init (OxpPlugin *plugin, GError **error)
{
  g_setenv ("OXP_TEST_ABIMAJOR_INIT_RAN", "1", TRUE);
  return TRUE;
}

OXP_PLUGIN_EXPORT extern const OxpPluginDesc oxp_plugin_abimajor_desc;
OXP_PLUGIN_EXPORT const OxpPluginDesc oxp_plugin_abimajor_desc = {
  OXP_PLUGIN_ABI_MAJOR + 1,
  0,
  "abimajor",
  "Future ABI",
  "1.0",
  "LGPL-2.1-or-later",
  abimajor_init,
  { NULL },
};
