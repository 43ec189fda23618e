/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Claims the good plugin's model type "oxptest", and one of its own. */
#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestDupConfig, oxp_test_dup_config)

static gboolean
dup_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "text-classification", NULL };

  oxp_plugin_register_model (plugin, "oxptest", oxp_test_dup_config_get_type (), tasks, NULL);
  oxp_plugin_register_model (plugin, "oxptest-dup-only", oxp_test_dup_config_get_type (), tasks,
                             NULL);
  /* The same model type twice within one plugin. */
  oxp_plugin_register_model (plugin, "oxptest-dup-only", oxp_test_dup_config_get_type (), tasks,
                             NULL);
  return TRUE;
}

OXP_PLUGIN_DEFINE (dup, "Duplicates a model type", dup_init, "1.0", "LGPL-2.1-or-later")
