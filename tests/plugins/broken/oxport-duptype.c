/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Defines a config whose GType name, OxpTestDupConfig, the dup plugin (met
 * first: same folder, earlier name) already registered.  In one process
 * the registration fails and get_type() leaves its g_once_init_enter()
 * unfinished, so its second call blocks for ever. */
#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestDupConfig, oxp_test_duptype_config)

static gboolean
duptype_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "text-classification", NULL };

  oxp_plugin_register_model (plugin, "oxptest-duptype", oxp_test_duptype_config_get_type (), tasks,
                             NULL);
  oxp_plugin_register_model (plugin, "oxptest-duptype-2", oxp_test_duptype_config_get_type (),
                             tasks, NULL);
  return TRUE;
}

OXP_PLUGIN_DEFINE (duptype, "Reuses another plugin's GType name", duptype_init, "1.0",
                   "LGPL-2.1-or-later")
