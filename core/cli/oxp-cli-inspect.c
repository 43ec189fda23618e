/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>

#include "oxp-cli.h"

/* `oxport inspect MODEL_DIR [--task T]`: everything an export would decide,
 * without writing anything. */

static const char inspect_description[]
    = "Opens the checkpoint (config.json and the safetensors weights, checked),\n"
      "chooses the task — the one given, or the one config.json's \"architectures\"\n"
      "implies — and shows the plugin's view of the model: normalized config\n"
      "values, opsets, tolerance, the image size an image model is fixed to, and\n"
      "for each ONNX file an export would write its inputs and outputs with their\n"
      "dynamic axes.  Nothing is written.\n"
      "\n"
      "Examples:\n"
      "  oxport inspect ./my-bert\n"
      "  oxport inspect ./my-bert --task feature-extraction\n"
      "  oxport inspect ./my-bert --json | jq '.submodels[0].inputs'\n";

/* The height and width pixel_values is declared with when both are
 * numbers: the model (its position embeddings) takes no other size. */
static gboolean
fixed_image_size (OxpOnnxConfig *config, gint64 *height, gint64 *width)
{
  GPtrArray *inputs = oxp_onnx_config_get_inputs (config);
  gboolean fixed = FALSE;

  for (guint i = 0; i < inputs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (inputs, i);

      if (g_str_equal (oxp_tensor_spec_get_name (spec), "pixel_values")
          && oxp_tensor_spec_get_rank (spec) == 4)
        {
          *height = oxp_tensor_spec_get_dim_value (spec, 2);
          *width = oxp_tensor_spec_get_dim_value (spec, 3);
          fixed = *height > 0 && *width > 0;
        }
    }
  g_ptr_array_unref (inputs);
  return fixed;
}

int
oxp_cli_inspect (int argc, char **argv)
{
  OxpCliCommon common = { 0 };
  g_autofree char *task_arg = NULL;
  GOptionEntry entries[] = {
    { "task", 't', 0, G_OPTION_ARG_STRING, &task_arg,
      "Task to inspect (default: inferred from config.json)", "TASK" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (OxpTasksManager) manager = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (GPtrArray) submodels = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *task = NULL;
  JsonObject *config_json;
  const char *model_type = NULL;
  const char *model_dir;
  gboolean inferred = FALSE;
  gint64 height = 0, width = 0;
  gboolean fixed_image;
  int status = OXP_CLI_EXIT_OK;

  context = oxp_cli_context_new ("inspect", "MODEL_DIR",
                                 "Show the model type, task, normalized config and the ONNX inputs "
                                 "and outputs an export of MODEL_DIR would have.",
                                 inspect_description, entries, &common, TRUE);
  if (!oxp_cli_parse (context, "inspect", &argc, &argv))
    {
      status = OXP_CLI_EXIT_USER;
      goto out;
    }
  if (argc != 2)
    {
      if (argc < 2)
        status = oxp_cli_usage_error ("inspect", "Missing MODEL_DIR");
      else
        status = oxp_cli_usage_error ("inspect", "Unexpected argument “%s”", argv[2]);
      goto out;
    }
  model_dir = argv[1];
  manager = oxp_cli_load_plugins (&common, &error);
  if (manager == NULL)
    goto fail;
  checkpoint = oxp_checkpoint_open (model_dir, &error);
  if (checkpoint == NULL)
    goto fail;
  config_json = oxp_checkpoint_get_config (checkpoint);
  model_type = oxp_checkpoint_get_model_type (checkpoint);

  if (task_arg != NULL)
    {
      const char *canonical = oxp_tasks_manager_canonical_task (task_arg);

      if (canonical == NULL)
        {
          g_set_error (&error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK,
                       "Unknown task “%s” (run “oxport tasks %s” for the tasks of this model)",
                       task_arg, model_type);
          goto fail;
        }
      task = g_strdup (canonical);
    }
  else
    {
      task = oxp_tasks_manager_infer_task (manager, config_json, &error);
      if (task == NULL)
        goto fail;
      inferred = TRUE;
    }
  config = oxp_tasks_manager_create_config (manager, model_type, task, config_json, &error);
  if (config == NULL)
    goto fail;
  submodels = oxp_onnx_config_dup_submodels (config);
  fixed_image = fixed_image_size (config, &height, &width);

  if (common.json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      OxpPlugin *plugin = oxp_tasks_manager_get_plugin_for_model_type (manager, model_type);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model_dir");
      json_builder_add_string_value (b, model_dir);
      json_builder_set_member_name (b, "model_type");
      json_builder_add_string_value (b, model_type);
      json_builder_set_member_name (b, "plugin");
      json_builder_add_string_value (b, plugin != NULL ? oxp_plugin_get_name (plugin) : NULL);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, task);
      json_builder_set_member_name (b, "task_inferred");
      json_builder_add_boolean_value (b, inferred);
      json_builder_set_member_name (b, "n_parameters");
      json_builder_add_int_value (b, (gint64)oxp_checkpoint_get_n_parameters (checkpoint));
      json_builder_set_member_name (b, "n_tensors");
      json_builder_add_int_value (b, oxp_checkpoint_get_n_tensors (checkpoint));
      json_builder_set_member_name (b, "default_opset");
      json_builder_add_int_value (b, oxp_onnx_config_get_default_opset (config));
      json_builder_set_member_name (b, "min_opset");
      json_builder_add_int_value (b, oxp_onnx_config_get_min_opset (config));
      json_builder_set_member_name (b, "atol");
      json_builder_add_double_value (b, oxp_onnx_config_get_atol (config));
      json_builder_set_member_name (b, "fixed_image_size");
      if (fixed_image)
        {
          json_builder_begin_array (b);
          json_builder_add_int_value (b, height);
          json_builder_add_int_value (b, width);
          json_builder_end_array (b);
        }
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "normalized_config");
      json_builder_add_value (b, oxp_cli_normalized_config_to_json (config));
      json_builder_set_member_name (b, "submodels");
      json_builder_begin_array (b);
      for (guint i = 0; i < submodels->len; i++)
        json_builder_add_value (b, oxp_cli_config_io_to_json (g_ptr_array_index (submodels, i)));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      oxp_cli_print_json (root);
    }
  else
    {
      OxpPlugin *plugin = oxp_tasks_manager_get_plugin_for_model_type (manager, model_type);

      printf ("Model folder:  %s\n", model_dir);
      printf ("Model type:    %s (plugin %s)\n", model_type,
              plugin != NULL ? oxp_plugin_get_name (plugin) : "?");
      printf ("Task:          %s (%s)\n", task,
              inferred ? "inferred from config.json \"architectures\"" : "given");
      printf ("Parameters:    %" G_GUINT64_FORMAT " in %u tensors\n",
              oxp_checkpoint_get_n_parameters (checkpoint),
              oxp_checkpoint_get_n_tensors (checkpoint));
      printf ("Opset:         %u by default, %u at least\n",
              oxp_onnx_config_get_default_opset (config), oxp_onnx_config_get_min_opset (config));
      printf ("Tolerance:     atol %g\n", oxp_onnx_config_get_atol (config));
      if (fixed_image)
        printf ("Image size:    %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                " (height × width), fixed by config.json: pixel_values takes no other size\n",
                height, width);
      printf ("Normalized config:\n");
      oxp_cli_print_normalized_config (config, "  ");
      for (guint i = 0; i < submodels->len; i++)
        {
          OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);

          printf ("%s:\n", oxp_onnx_config_get_file_name (sub));
          oxp_cli_print_config_io (sub, "  ");
        }
    }
  goto out;

fail:
  {
    g_autofree char *hint = oxp_cli_hint_for_error (
        manager, error, model_type,
        g_error_matches (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE) ? model_type
                                                                                       : task_arg);

    status = oxp_cli_report_error_with_hint (error, hint);
  }
out:
  oxp_cli_common_clear (&common);
  return status;
}
