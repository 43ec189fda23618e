/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Registers a task name nobody knows. */
#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestUnknownTaskConfig, oxp_test_unknown_task_config)

static gboolean
unknowntask_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", "teleportation", NULL };
  static const char *const good_tasks[] = { "masked-lm", NULL };

  oxp_plugin_register_model (plugin, "oxptest-unknowntask",
                             oxp_test_unknown_task_config_get_type (), tasks, NULL);
  oxp_plugin_register_model (plugin, "oxptest-knowntask", oxp_test_unknown_task_config_get_type (),
                             good_tasks, NULL);
  return TRUE;
}

OXP_PLUGIN_DEFINE (unknowntask, "Registers an unknown task", unknowntask_init, "1.0",
                   "LGPL-2.1-or-later")
