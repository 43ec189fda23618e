/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "oxp-cli.h"

/* `oxport tasks MODEL_TYPE|MODEL_DIR`: the tasks a model type exports to. */

static const char tasks_description[]
    = "MODEL_TYPE is a config.json \"model_type\" such as bert or roberta.  Given a\n"
      "model folder instead (a path, or any existing folder), its config.json names\n"
      "the model type, and the task oxport would infer from its \"architectures\" is\n"
      "shown too.  Task names are optimum's; older names (default, masked-lm,\n"
      "sequence-classification, causal-lm, seq2seq-lm, …) are accepted wherever a\n"
      "task is asked for.\n"
      "\n"
      "Examples:\n"
      "  oxport tasks bert\n"
      "  oxport tasks ./my-bert\n"
      "  oxport tasks roberta --json\n";

int
oxp_cli_tasks (int argc, char **argv)
{
  OxpCliCommon common = { 0 };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (OxpTasksManager) manager = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) config = NULL;
  g_autoptr (GPtrArray) tasks = NULL;
  g_autofree char *inferred = NULL;
  g_autofree char *inferred_error = NULL;
  const char *model_type;
  int status = OXP_CLI_EXIT_OK;

  context = oxp_cli_context_new ("tasks", "MODEL_TYPE|MODEL_DIR",
                                 "List the tasks a model type can be exported for.",
                                 tasks_description, NULL, &common, TRUE);
  if (!oxp_cli_parse (context, "tasks", &argc, &argv))
    {
      status = OXP_CLI_EXIT_USER;
      goto out;
    }
  if (argc != 2)
    {
      if (argc < 2)
        status = oxp_cli_usage_error ("tasks", "Missing MODEL_TYPE or MODEL_DIR");
      else
        status = oxp_cli_usage_error ("tasks", "Unexpected argument “%s”", argv[2]);
      goto out;
    }
  manager = oxp_cli_load_plugins (&common, &error);
  if (manager == NULL)
    {
      status = oxp_cli_report_error (error);
      goto out;
    }

  model_type = argv[1];
  if (oxp_cli_is_model_dir (argv[1]))
    {
      JsonNode *node;

      config = oxp_cli_read_config_json (argv[1], &error);
      if (config == NULL)
        {
          status = oxp_cli_report_error (error);
          goto out;
        }
      node = json_object_get_member (config, "model_type");
      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
          || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (&error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE,
                       "%s/config.json has no \"model_type\" string", argv[1]);
          status = oxp_cli_report_error (error);
          goto out;
        }
      model_type = json_node_get_string (node);
    }

  tasks = oxp_tasks_manager_get_supported_tasks (manager, model_type, &error);
  if (tasks == NULL)
    {
      g_autofree char *hint = oxp_cli_hint_for_error (manager, error, NULL, model_type);

      status = oxp_cli_report_error_with_hint (error, hint);
      goto out;
    }
  if (config != NULL)
    {
      g_autoptr (GError) infer_error = NULL;

      inferred = oxp_tasks_manager_infer_task (manager, config, &infer_error);
      if (inferred == NULL)
        inferred_error = g_strdup (infer_error->message);
    }

  if (common.json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      OxpPlugin *plugin = oxp_tasks_manager_get_plugin_for_model_type (manager, model_type);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model_type");
      json_builder_add_string_value (b, model_type);
      json_builder_set_member_name (b, "plugin");
      if (plugin != NULL)
        json_builder_add_string_value (b, oxp_plugin_get_name (plugin));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_array (b);
      for (guint i = 0; i < tasks->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (tasks, i));
      json_builder_end_array (b);
      if (config != NULL)
        {
          json_builder_set_member_name (b, "inferred_task");
          if (inferred != NULL)
            json_builder_add_string_value (b, inferred);
          else
            json_builder_add_null_value (b);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      oxp_cli_print_json (root);
    }
  else
    {
      OxpPlugin *plugin = oxp_tasks_manager_get_plugin_for_model_type (manager, model_type);

      printf ("Tasks for %s (plugin %s):\n", model_type,
              plugin != NULL ? oxp_plugin_get_name (plugin) : "?");
      for (guint i = 0; i < tasks->len; i++)
        printf ("  %s\n", (char *)g_ptr_array_index (tasks, i));
      if (inferred != NULL)
        printf ("Inferred from %s/config.json: %s\n", argv[1], inferred);
      else if (inferred_error != NULL)
        printf ("No task can be inferred from %s/config.json: %s\n", argv[1], inferred_error);
    }

out:
  oxp_cli_common_clear (&common);
  return status;
}
