/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "oxp-cli.h"

/* `oxport validate MODEL.onnx|OUTDIR`: runs exported files in ONNX Runtime
 * against the config they were exported with; and the validation part of
 * `oxport export`'s summary. */

static const char validate_description[]
    = "Loads each exported file in ONNX Runtime and checks it against the model's\n"
      "config: input and output names, order, element types and dynamic axes;\n"
      "runs at two shape sets that differ in batch size and sequence length (so a\n"
      "dimension frozen at export is caught), with finite outputs of the declared\n"
      "shapes; and with --reference, compares every output found in FILE with the\n"
      "tolerance (the model's, or --atol), printing the max absolute difference.\n"
      "The folder of an encoder-decoder export with past is also run as a chain:\n"
      "encoder -> decoder -> one decoder-with-past step fed the decoder's presents\n"
      "(its logits against a run without past), and the merged decoder's branches.\n"
      "\n"
      "The config comes from --model DIR, else from config.json beside the model\n"
      "(export copies it there; above onnx/ in the transformers.js layout, whose\n"
      "onnx/NAME.onnx and onnx/NAME_fp16.onnx files OUTDIR is searched for too).\n"
      "The task is --task, else the one the export recorded in the model's\n"
      "metadata, else the one config.json implies.  A file exported with\n"
      "--no-dynamic-axes is checked against the fixed shapes it records, at that\n"
      "one shape set.\n"
      "ONNX Runtime is $OXPORT_ONNXRUNTIME (a path to libonnxruntime.so.1), else\n"
      "libonnxruntime.so.1 on the library search path.\n"
      "\n"
      "Examples:\n"
      "  oxport validate ./my-bert-onnx\n"
      "  oxport validate ./my-bert-onnx/model.onnx --reference vectors.safetensors --atol 1e-4\n"
      "  oxport validate model.onnx --model ./my-bert --task text-classification --json\n";

static char *
format_double (double v)
{
  if (isnan (v))
    return g_strdup ("-");
  return g_strdup_printf ("%.3g", v);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The operators @counts names, sorted. (transfer container) */
static GPtrArray *
sorted_operators (GHashTable *counts)
{
  GPtrArray *ops = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ops, key);
  g_ptr_array_sort (ops, compare_strings);
  return ops;
}

static void
print_report (OxpValidationReport *report)
{
  g_autofree char *table = oxp_validation_report_to_table (report);
  g_auto (GStrv) lines = g_strsplit (table, "\n", -1);

  printf ("  %s:\n", oxp_validation_report_get_model_path (report));
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      printf ("    %s\n", lines[i]);
}

/* The reference comparisons of @report, one line each: what --dtype fp16
 * users look at to see what precision they traded. */
static void
print_reference_summary (OxpValidationReport *report)
{
  for (guint i = 0; i < oxp_validation_report_get_n_checks (report); i++)
    {
      const OxpValidationCheck *check = oxp_validation_report_get_check (report, i);
      g_autofree char *diff = NULL;
      g_autofree char *atol = NULL;

      if (oxp_validation_check_get_kind (check) != OXP_VALIDATION_CHECK_REFERENCE)
        continue;
      diff = format_double (oxp_validation_check_get_max_abs_diff (check));
      atol = format_double (oxp_validation_check_get_atol (check));
      printf ("  %s vs reference: max abs diff %s (atol %s) %s\n",
              oxp_validation_check_get_name (check), diff, atol,
              oxp_validation_check_get_passed (check) ? "ok" : "FAILED");
    }
}

void
oxp_cli_print_export_validation (OxpExportResult *result)
{
  GPtrArray *reports = oxp_export_result_get_validation_reports (result);

  if (reports == NULL || reports->len == 0)
    return;
  printf ("Validation with ONNX Runtime %s:\n", oxp_export_result_get_runtime_version (result));
  for (guint i = 0; i < reports->len; i++)
    print_report (g_ptr_array_index (reports, i));
  for (guint i = 0; i < reports->len; i++)
    print_reference_summary (g_ptr_array_index (reports, i));
}

JsonNode *
oxp_cli_export_validation_to_json (OxpExportResult *result)
{
  GPtrArray *reports = oxp_export_result_get_validation_reports (result);
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; reports != NULL && i < reports->len; i++)
    json_array_add_element (array, oxp_validation_report_to_json (g_ptr_array_index (reports, i)));
  json_node_take_array (node, array);
  return node;
}

/* An `export --dtype fp16` model declares float16 inputs and outputs; the
 * config.json beside it does not say so, the model does. */
static void
adapt_to_float_type (OxpRuntime *runtime, OxpOnnxConfig *config, const char *path)
{
  g_autoptr (OxpRuntimeSession) session = oxp_runtime_open_session (runtime, path, NULL);
  GPtrArray *outputs;

  if (session == NULL)
    return; /* the validator reports why */
  outputs = oxp_runtime_session_get_outputs (session);
  for (guint i = 0; i < outputs->len; i++)
    {
      OxpDataType dtype = oxp_tensor_spec_get_dtype (g_ptr_array_index (outputs, i));

      if (dtype == OXP_DATA_TYPE_FLOAT16 || dtype == OXP_DATA_TYPE_BFLOAT16)
        {
          oxp_onnx_config_set_float_type (config, dtype);
          return;
        }
    }
}

/* An `export --no-dynamic-axes` file records the shapes its dims are
 * fixed at ("batch_size=1,sequence_length=5,…"); the config must declare
 * them so, or every dim would be reported frozen. */
static void
adapt_to_fixed_shapes (OxpOnnxConfig *config, const char *path)
{
  static const struct
  {
    const char *name;
    gsize offset;
  } fields[] = {
    { "batch_size", G_STRUCT_OFFSET (OxpShapes, batch_size) },
    { "sequence_length", G_STRUCT_OFFSET (OxpShapes, sequence_length) },
    { "past_sequence_length", G_STRUCT_OFFSET (OxpShapes, past_sequence_length) },
    { "encoder_sequence_length", G_STRUCT_OFFSET (OxpShapes, encoder_sequence_length) },
    { "num_choices", G_STRUCT_OFFSET (OxpShapes, num_choices) },
    { "width", G_STRUCT_OFFSET (OxpShapes, width) },
    { "height", G_STRUCT_OFFSET (OxpShapes, height) },
    { "num_channels", G_STRUCT_OFFSET (OxpShapes, num_channels) },
    { "feature_size", G_STRUCT_OFFSET (OxpShapes, feature_size) },
    { "nb_max_frames", G_STRUCT_OFFSET (OxpShapes, nb_max_frames) },
    { "audio_sequence_length", G_STRUCT_OFFSET (OxpShapes, audio_sequence_length) },
  };
  g_autoptr (GHashTable) meta = oxp_cli_read_onnx_metadata (path, NULL);
  const char *text = meta != NULL ? g_hash_table_lookup (meta, "oxport_fixed_shapes") : NULL;
  g_auto (GStrv) items = NULL;
  OxpShapes shapes;

  if (text == NULL)
    return;
  oxp_shapes_init_default (&shapes);
  items = g_strsplit (text, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *eq = strchr (items[i], '=');
      gint64 value;

      if (eq == NULL || !g_ascii_string_to_signed (eq + 1, 10, 0, G_MAXINT32, &value, NULL))
        return; /* not oxport's: the validator reports the dims */
      for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
        if (strlen (fields[f].name) == (gsize)(eq - items[i])
            && strncmp (fields[f].name, items[i], (gsize)(eq - items[i])) == 0)
          G_STRUCT_MEMBER (gint64, &shapes, fields[f].offset) = value;
    }
  oxp_onnx_config_set_fixed_shapes (config, &shapes);
}

/* `export --layout transformers.js` names a config's NAME.onnx
 * onnx/NAME.onnx, or onnx/NAME_fp16.onnx: the config's name of @base. (transfer full) */
static char *
config_file_name (const char *base)
{
  if (g_str_has_suffix (base, "_fp16.onnx"))
    return g_strdup_printf ("%.*s.onnx", (int)(strlen (base) - strlen ("_fp16.onnx")), base);
  return g_strdup (base);
}

/* Where the file of config name @name is in the export folder @dir, in
 * either layout, or NULL. (transfer full) */
static char *
find_in_folder (const char *dir, const char *name)
{
  g_autofree char *stem = g_strndup (
      name, g_str_has_suffix (name, ".onnx") ? strlen (name) - strlen (".onnx") : strlen (name));
  g_autofree char *fp16 = g_strconcat (stem, "_fp16.onnx", NULL);
  char *candidates[] = {
    g_build_filename (dir, name, NULL),
    g_build_filename (dir, "onnx", name, NULL),
    g_build_filename (dir, "onnx", fp16, NULL),
  };
  char *found = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (found == NULL && g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
        found = g_steal_pointer (&candidates[i]);
      g_free (candidates[i]);
    }
  return found;
}

/* The config to validate @file_name with, among the submodels of @config. */
static OxpOnnxConfig *
find_submodel (GPtrArray *submodels, const char *file_name)
{
  g_autofree char *name = config_file_name (file_name);

  file_name = name;
  for (guint i = 0; i < submodels->len; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);

      if (g_strcmp0 (oxp_onnx_config_get_file_name (sub), file_name) == 0)
        return sub;
    }
  if (submodels->len == 1)
    return g_ptr_array_index (submodels, 0);
  return NULL;
}

/* Whether one of @submodels is the file @target, or a file in the folder @target. */
static gboolean
names_target (GPtrArray *submodels, const char *target)
{
  gboolean dir = g_file_test (target, G_FILE_TEST_IS_DIR);
  g_autofree char *target_base = g_path_get_basename (target);
  g_autofree char *base = config_file_name (target_base);

  for (guint i = 0; i < submodels->len; i++)
    {
      const char *name = oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, i));
      g_autofree char *path = dir ? find_in_folder (target, name) : NULL;

      if (dir ? path != NULL : g_strcmp0 (name, base) == 0)
        return TRUE;
    }
  return FALSE;
}

int
oxp_cli_validate (int argc, char **argv)
{
  OxpCliCommon common = { 0 };
  g_autofree char *task_arg = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *atol_text = NULL;
  g_autofree char *model_arg = NULL;
  g_autofree char *reference_mask = NULL;
  GOptionEntry entries[] = {
    { "task", 't', 0, G_OPTION_ARG_STRING, &task_arg,
      "Task the model was exported for (default: from its metadata, else inferred)", "TASK" },
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &reference,
      "Compare with the outputs in FILE (inputs and expected outputs by ONNX name)",
      "FILE.safetensors" },
    { "atol", 0, 0, G_OPTION_ARG_STRING, &atol_text, "Absolute tolerance (default: the model's)",
      "X" },
    { "reference-mask", 0, 0, G_OPTION_ARG_STRING, &reference_mask,
      "Compare outputs only where the reference input INPUT is non-zero (e.g. attention_mask)",
      "INPUT" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_arg,
      "Folder with the config.json the model was exported from (default: beside the model)",
      "DIR" },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (OxpTasksManager) manager = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpValidator) validator = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) reports = g_ptr_array_new_with_free_func (g_object_unref);
  /* Per report: its file's contrib operators, each to its node count. */
  g_autoptr (GPtrArray) custom_ops
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_hash_table_unref);
  g_autoptr (GPtrArray) submodels = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (JsonObject) config_json = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) first_failure = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *task = NULL;
  const char *target;
  double atol = 0.0;
  int status = OXP_CLI_EXIT_OK;
  gint64 start_time = g_get_monotonic_time ();

  context = oxp_cli_context_new ("validate", "MODEL.onnx|OUTDIR",
                                 "Validate exported ONNX files with ONNX Runtime.",
                                 validate_description, entries, &common, TRUE);
  if (!oxp_cli_parse (context, "validate", &argc, &argv))
    {
      status = OXP_CLI_EXIT_USER;
      goto out;
    }
  if (argc != 2)
    {
      if (argc < 2)
        status = oxp_cli_usage_error ("validate", "Missing MODEL.onnx or OUTDIR");
      else
        status = oxp_cli_usage_error ("validate", "Unexpected argument “%s”", argv[2]);
      goto out;
    }
  if (atol_text != NULL && !oxp_cli_parse_atol (atol_text, &atol))
    {
      status = oxp_cli_usage_error ("validate", "--atol must be a number ≥ 0, not “%s”", atol_text);
      goto out;
    }
  if (reference != NULL && !g_file_test (reference, G_FILE_TEST_IS_REGULAR))
    {
      status = oxp_cli_usage_error ("validate", "Reference file %s does not exist", reference);
      goto out;
    }
  target = argv[1];
  if (g_file_test (target, G_FILE_TEST_IS_DIR))
    config_dir = g_strdup (model_arg != NULL ? model_arg : target);
  else if (g_file_test (target, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *dir = g_path_get_dirname (target);
      g_autofree char *dir_name = g_path_get_basename (dir);
      g_autofree char *json = g_build_filename (dir, "config.json", NULL);

      /* The transformers.js layout keeps config.json above onnx/. */
      if (g_str_equal (dir_name, "onnx") && !g_file_test (json, G_FILE_TEST_EXISTS))
        {
          g_autofree char *parent = g_path_get_dirname (dir);

          g_free (dir);
          dir = g_steal_pointer (&parent);
        }
      config_dir = g_strdup (model_arg != NULL ? model_arg : dir);
    }
  else
    {
      g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s does not exist", target);
      goto fail;
    }

  manager = oxp_cli_load_plugins (&common, &error);
  if (manager == NULL)
    goto fail;

  /* The config: config.json (beside the model or --model) + the task. */
  {
    g_autofree char *config_path = g_build_filename (config_dir, "config.json", NULL);

    if (g_file_test (config_path, G_FILE_TEST_EXISTS) || model_arg != NULL)
      {
        config_json = oxp_cli_read_config_json (config_dir, &error);
        if (config_json == NULL)
          goto fail;
      }
  }
  if (task_arg != NULL)
    {
      const char *canonical = oxp_tasks_manager_canonical_task (task_arg);

      if (canonical == NULL)
        {
          g_set_error (&error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK, "Unknown task “%s”",
                       task_arg);
          goto fail;
        }
      task = g_strdup (canonical);
    }

  if (config_json != NULL)
    {
      const char *model_type
          = json_object_get_string_member_with_default (config_json, "model_type", NULL);

      if (model_type == NULL)
        {
          g_set_error (&error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE,
                       "%s/config.json has no \"model_type\"", config_dir);
          goto fail;
        }
      if (task == NULL)
        {
          /* What the export recorded, when the target names one file or
           * the folder holds model.onnx. */
          g_autofree char *probe = g_file_test (target, G_FILE_TEST_IS_DIR)
                                       ? find_in_folder (target, "model.onnx")
                                       : g_strdup (target);
          g_autoptr (GHashTable) meta = NULL;

          if (probe != NULL && g_file_test (probe, G_FILE_TEST_IS_REGULAR))
            meta = oxp_cli_read_onnx_metadata (probe, NULL);
          if (meta != NULL && g_hash_table_lookup (meta, "task") != NULL)
            task = g_strdup (g_hash_table_lookup (meta, "task"));
        }
      if (task == NULL)
        {
          task = oxp_tasks_manager_infer_task (manager, config_json, &error);
          if (task == NULL)
            goto fail;
        }
      config = oxp_tasks_manager_create_config (manager, model_type, task, config_json, &error);
      if (config == NULL)
        goto fail;
      /* A sentence-transformers export copies modules.json beside it. */
      if (!oxp_onnx_config_read_sentence_transformers (config, config_dir, NULL, &error))
        goto fail;
      submodels = oxp_onnx_config_dup_submodels (config);
      /* A decoder exported with --legacy has optimum 1.13's file names. */
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (config), "legacy") != NULL
          && !names_target (submodels, target))
        {
          g_object_set (config, "legacy", TRUE, NULL);
          g_clear_pointer (&submodels, g_ptr_array_unref);
          submodels = oxp_onnx_config_dup_submodels (config);
        }
      /* A config with a split form (CLIP's text_model.onnx and
       * vision_model.onnx, `export --split`) validates those files too. */
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (config), "split") != NULL
          && !names_target (submodels, target))
        {
          g_object_set (config, "split", TRUE, NULL);
          g_clear_pointer (&submodels, g_ptr_array_unref);
          submodels = oxp_onnx_config_dup_submodels (config);
        }
    }

  /* The files: the one given, or those of the config found in OUTDIR. */
  if (!g_file_test (target, G_FILE_TEST_IS_DIR))
    g_ptr_array_add (files, g_strdup (target));
  else if (submodels != NULL)
    {
      for (guint i = 0; i < submodels->len; i++)
        {
          g_autofree char *path = find_in_folder (
              target, oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, i)));

          if (path != NULL)
            g_ptr_array_add (files, g_steal_pointer (&path));
        }
    }
  else
    {
      g_autofree char *path = find_in_folder (target, "model.onnx");

      if (path != NULL)
        g_ptr_array_add (files, g_steal_pointer (&path));
    }
  if (files->len == 0)
    {
      g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "No exported model found in %s (expected %s)", target,
                   submodels != NULL && submodels->len > 0
                       ? oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 0))
                       : "model.onnx");
      goto fail;
    }

  runtime = oxp_runtime_new (NULL, common.verbose, &error);
  if (runtime == NULL)
    {
      oxp_cli_error ("%s", error->message);
      if (strstr (error->message, "OXPORT_ONNXRUNTIME") == NULL)
        fprintf (stderr, "Set OXPORT_ONNXRUNTIME to the path of libonnxruntime.so.1 "
                         "(e.g. from `npm install onnxruntime-node`).\n");
      status = OXP_CLI_EXIT_USER;
      if (oxp_cli_get_json ())
        oxp_cli_print_json_error (g_quark_to_string (error->domain), error->code, error->message,
                                  NULL, status);
      goto out;
    }
  validator = oxp_validator_new (runtime);
  oxp_validator_set_atol (validator, atol);
  oxp_validator_set_reference (validator, reference);
  oxp_validator_set_reference_mask (validator, reference_mask);

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      g_autofree char *base = g_path_get_basename (path);
      OxpOnnxConfig *sub = submodels != NULL ? find_submodel (submodels, base) : NULL;
      OxpValidationReport *report = NULL;
      g_autoptr (GError) local_error = NULL;

      if (submodels != NULL && sub == NULL)
        {
          g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s is not one of the files a %s export writes; pass --task", path, task);
          goto fail;
        }
      if (sub != NULL)
        {
          adapt_to_float_type (runtime, sub, path);
          adapt_to_fixed_shapes (sub, path);
        }
      if (atol_text == NULL)
        oxp_validator_set_atol (
            validator, sub != NULL && oxp_onnx_config_get_float_type (sub) != OXP_DATA_TYPE_FLOAT
                           ? MAX (oxp_onnx_config_get_atol (sub), OXP_EXPORTER_HALF_ATOL)
                           : 0.0);
      if (!oxp_validator_validate (validator, sub, path, &report, &local_error))
        {
          if (report == NULL || local_error->domain != OXP_VALIDATION_ERROR)
            {
              g_clear_object (&report);
              g_propagate_error (&error, g_steal_pointer (&local_error));
              goto fail;
            }
          if (first_failure == NULL)
            first_failure = g_steal_pointer (&local_error);
        }
      g_ptr_array_add (reports, report);
      {
        /* Which ONNX Runtime ran a file's contrib operators matters: they
         * have no spec outside ORT and change between its versions. */
        GHashTable *ops = oxp_cli_count_onnx_custom_operators (path, NULL);
        g_ptr_array_add (custom_ops, ops != NULL ? ops : g_hash_table_new (NULL, NULL));
      }
    }

  /* An export folder of a seq2seq model with past: its files together too,
   * as the exporter validates them. */
  if (g_file_test (target, G_FILE_TEST_IS_DIR) && submodels != NULL && files->len == submodels->len)
    {
      OxpValidationReport *report = NULL;
      g_autoptr (GError) local_error = NULL;

      if (atol_text == NULL)
        {
          /* The chain compares the with-past step's logits: its file's
           * tolerance, the half-precision one for an fp16 export. */
          double chain_atol = 0.0;

          for (guint i = 0; i < submodels->len; i++)
            {
              OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);

              if (oxp_onnx_config_get_float_type (sub) != OXP_DATA_TYPE_FLOAT)
                chain_atol = MAX (chain_atol,
                                  MAX (oxp_onnx_config_get_atol (sub), OXP_EXPORTER_HALF_ATOL));
            }
          oxp_validator_set_atol (validator, chain_atol);
        }
      if (!oxp_validator_validate_chain (validator, submodels, target, &report, &local_error))
        {
          if (report == NULL || local_error->domain != OXP_VALIDATION_ERROR)
            {
              g_clear_object (&report);
              g_propagate_error (&error, g_steal_pointer (&local_error));
              goto fail;
            }
          if (first_failure == NULL)
            first_failure = g_steal_pointer (&local_error);
        }
      if (report != NULL)
        {
          g_ptr_array_add (reports, report);
          g_ptr_array_add (custom_ops, g_hash_table_new (NULL, NULL));
        }
    }

  if (common.json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "task");
      if (task != NULL)
        json_builder_add_string_value (b, task);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "runtime_version");
      json_builder_add_string_value (b, oxp_runtime_get_version (runtime));
      json_builder_set_member_name (b, "passed");
      json_builder_add_boolean_value (b, first_failure == NULL);
      json_builder_set_member_name (b, "reports");
      json_builder_begin_array (b);
      for (guint i = 0; i < reports->len; i++)
        {
          JsonNode *node = oxp_validation_report_to_json (g_ptr_array_index (reports, i));
          GHashTable *counts = g_ptr_array_index (custom_ops, i);
          g_autoptr (GPtrArray) ops = sorted_operators (counts);
          JsonArray *array = json_array_new ();
          JsonObject *object = json_object_new ();

          for (guint j = 0; j < ops->len; j++)
            {
              const char *op = g_ptr_array_index (ops, j);

              json_array_add_string_element (array, op);
              json_object_set_int_member (object, op,
                                          GPOINTER_TO_UINT (g_hash_table_lookup (counts, op)));
            }
          json_object_set_array_member (json_node_get_object (node), "contrib_operators", array);
          json_object_set_object_member (json_node_get_object (node), "contrib_operator_counts",
                                         object);
          /* The ONNX Runtime that ran them, with each file's report. */
          json_object_set_string_member (json_node_get_object (node), "runtime_version",
                                         oxp_runtime_get_version (runtime));
          json_builder_add_value (b, node);
        }
      json_builder_end_array (b);
      /* The same member as `export --json` has, for scripts that do both. */
      {
        JsonArray *array = json_array_new ();
        JsonNode *node = json_node_new (JSON_NODE_ARRAY);

        for (guint i = 0; i < reports->len; i++)
          json_array_add_element (array,
                                  oxp_validation_report_to_json (g_ptr_array_index (reports, i)));
        json_node_take_array (node, array);
        json_builder_set_member_name (b, "validation");
        json_builder_add_value (
            b, oxp_cli_validation_json (first_failure == NULL ? "passed" : "failed",
                                        first_failure != NULL ? first_failure->message : NULL,
                                        (g_get_monotonic_time () - start_time) / 1e6, node));
      }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      oxp_cli_print_json (root);
    }
  else
    {
      printf ("Validation with ONNX Runtime %s%s%s%s:\n", oxp_runtime_get_version (runtime),
              task != NULL ? " (task " : "", task != NULL ? task : "", task != NULL ? ")" : "");
      if (config == NULL)
        printf ("  (no config.json: only loading and the reference were checked)\n");
      for (guint i = 0; i < reports->len; i++)
        {
          GHashTable *counts = g_ptr_array_index (custom_ops, i);
          g_autoptr (GPtrArray) ops = sorted_operators (counts);

          print_report (g_ptr_array_index (reports, i));
          if (ops->len > 0)
            {
              g_autoptr (GString) list = g_string_new (NULL);

              for (guint j = 0; j < ops->len; j++)
                {
                  const char *op = g_ptr_array_index (ops, j);

                  g_string_append_printf (list, "%s%s (%u)", j ? ", " : "", op,
                                          GPOINTER_TO_UINT (g_hash_table_lookup (counts, op)));
                }
              printf ("    contrib operators (run by ONNX Runtime %s): %s\n",
                      oxp_runtime_get_version (runtime), list->str);
            }
        }
      for (guint i = 0; i < reports->len; i++)
        print_reference_summary (g_ptr_array_index (reports, i));
      printf ("Validation: %s\n", first_failure == NULL ? "passed" : "failed");
    }
  if (first_failure != NULL)
    {
      oxp_cli_error ("validation failed: %s", first_failure->message);
      status = OXP_CLI_EXIT_USER;
    }
  goto out;

fail:
  status = oxp_cli_report_error (error);
out:
  oxp_cli_common_clear (&common);
  return status;
}
