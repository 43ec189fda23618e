/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registers a model type, then fails: the registration must be discarded. */
#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestInitFailConfig, oxp_test_init_fail_config)

static gboolean
initfail_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", NULL };

  oxp_plugin_register_model (plugin, "oxptest-initfail", oxp_test_init_fail_config_get_type (),
                             tasks, NULL);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "the test plugin refuses to initialise");
  return FALSE;
}

OXP_PLUGIN_DEFINE (initfail, "Init fails", initfail_init, "1.0", "LGPL-2.1-or-later")
