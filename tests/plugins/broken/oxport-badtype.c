/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registrations the core must refuse for their type, next to one it accepts. */
#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestBadTypeConfig, oxp_test_bad_type_config)

static gboolean
badtype_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", NULL };
  static const char *const past_tasks[] = { "text-generation-with-past", NULL };

  /* Not an OxpOnnxConfig at all. */
  oxp_plugin_register_model (plugin, "oxptest-notaconfig", G_TYPE_OBJECT, tasks, NULL);
  /* The abstract base cannot be instantiated. */
  oxp_plugin_register_model (plugin, "oxptest-abstract", OXP_TYPE_ONNX_CONFIG, tasks, NULL);
  /* "-with-past" on a config without a use-past property. */
  oxp_plugin_register_model (plugin, "oxptest-nopast", oxp_test_bad_type_config_get_type (),
                             past_tasks, NULL);
  oxp_plugin_register_model (plugin, "oxptest-badtype-ok", oxp_test_bad_type_config_get_type (),
                             tasks, NULL);
  return TRUE;
}

OXP_PLUGIN_DEFINE (badtype, "Registers bad types", badtype_init, "1.0", "LGPL-2.1-or-later")
