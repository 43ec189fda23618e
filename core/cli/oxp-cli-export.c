/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "oxp-cli.h"

/* `oxport export --model DIR OUTDIR`: the main job. */

static const char export_description[]
    = "Writes OUTDIR/model.onnx (or one file per submodel: encoder_model.onnx,\n"
      "decoder_model.onnx, …), copies config.json and the tokenizer and\n"
      "preprocessor files beside it, then validates the result with ONNX Runtime:\n"
      "the model is run at two different shape sets with dummy inputs, and on the\n"
      "inputs of --reference when given, whose outputs are compared within the\n"
      "tolerance (the model's default, or --atol).\n"
      "\n"
      "When ONNX Runtime cannot be found the model is still written and the\n"
      "summary says validation was skipped; set OXPORT_ONNXRUNTIME to the path of\n"
      "libonnxruntime.so.1.  When validation fails the files stay in OUTDIR for\n"
      "inspection and the exit status is 1.  Files are written into a hidden\n"
      "staging folder inside OUTDIR and moved into place only once all are\n"
      "complete: when the export fails or is interrupted, what OUTDIR held is\n"
      "left as it was.  OUTDIR may not be the model folder, and two exports\n"
      "cannot write into the same OUTDIR at once (it is locked).\n"
      "\n"
      "The dummy inputs of validation have optimum's shapes (batch 2, 16 tokens, …)\n"
      "unless --batch_size, --sequence_length, … say otherwise; a shape the model has\n"
      "no input for (--width for a text model) is refused.  With --no-dynamic-axes\n"
      "the files' inputs and outputs get fixed dims at those shapes instead of\n"
      "symbolic ones, for runtimes that want static shapes; such a file runs at that\n"
      "one shape only, so validation runs one shape set, with the cache length fixed\n"
      "at 16, and without the empty-cache run and the cache check.\n"
      "\n"
      "Examples:\n"
      "  oxport export --model ./my-bert ./my-bert-onnx\n"
      "  oxport export --model ./my-bert --task feature-extraction --opset 18 out/\n"
      "  oxport export --model ./my-bert --dtype fp16 --atol 1e-2 out-fp16/\n"
      "  oxport export --model ./my-bert --reference vectors.safetensors out/\n"
      "  oxport export --model google-bert/bert-base-uncased --layout transformers.js out/\n"
      "  oxport export --model ./my-bert --no-dynamic-axes --batch_size 1 --sequence_length 128 "
      "out/\n";

static const char *
validation_word (OxpExportValidation v)
{
  switch (v)
    {
    case OXP_EXPORT_VALIDATION_NOT_RUN:
      return "not run";
    case OXP_EXPORT_VALIDATION_SKIPPED:
      return "skipped";
    case OXP_EXPORT_VALIDATION_PASSED:
      return "passed";
    case OXP_EXPORT_VALIDATION_FAILED:
      return "failed";
    default:
      return "?";
    }
}

static void
print_summary (OxpExportResult *result)
{
  GPtrArray *submodels = oxp_export_result_get_submodels (result);
  OxpExportValidation validation = oxp_export_result_get_validation (result);
  guint name_width = 4;

  printf ("Exported %s (%s%s) from %s to %s\n", oxp_export_result_get_model_type (result),
          oxp_export_result_get_task (result),
          oxp_export_result_get_task_inferred (result) ? ", inferred" : "",
          oxp_export_result_get_model_dir (result), oxp_export_result_get_outdir (result));
  printf ("  opset %u, %s, %" G_GUINT64_FORMAT " parameters\n",
          oxp_export_result_get_opset (result),
          oxp_data_type_to_string (oxp_export_result_get_float_type (result)),
          oxp_export_result_get_n_parameters (result));
  for (guint i = 0; i < submodels->len; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);

      printf ("%s:\n", oxp_onnx_config_get_file_name (sub));
      oxp_cli_print_config_io (sub, "  ");
    }
  printf ("Files:\n");
  for (guint i = 0; i < oxp_export_result_get_n_files (result); i++)
    {
      const char *name = oxp_export_result_get_file_name (result, i);

      name_width = MAX (name_width, oxp_cli_cells (name));
    }
  for (guint i = 0; i < oxp_export_result_get_n_files (result); i++)
    {
      const char *name = oxp_export_result_get_file_name (result, i);
      g_autofree char *size = g_format_size (oxp_export_result_get_file_size (result, i));
      /* g_format_size puts a no-break space (2 bytes) before the unit. */
      g_autofree char *name_cell = oxp_cli_pad (name, name_width, FALSE);
      g_autofree char *size_cell = oxp_cli_pad (size, 10, TRUE);

      printf ("  %s %s\n", name_cell, size_cell);
    }
  oxp_cli_print_export_validation (result);
  printf ("Time: %.2f s (validation %.2f s)\n", oxp_export_result_get_elapsed (result),
          oxp_export_result_get_validation_elapsed (result));
  printf ("Validation: %s\n", validation_word (validation));
}

static JsonNode *
result_to_json (OxpExportResult *result, const char *layout)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  GPtrArray *submodels = oxp_export_result_get_submodels (result);
  const char *message = oxp_export_result_get_validation_message (result);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model_dir");
  json_builder_add_string_value (b, oxp_export_result_get_model_dir (result));
  json_builder_set_member_name (b, "outdir");
  json_builder_add_string_value (b, oxp_export_result_get_outdir (result));
  json_builder_set_member_name (b, "model_type");
  json_builder_add_string_value (b, oxp_export_result_get_model_type (result));
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, oxp_export_result_get_task (result));
  json_builder_set_member_name (b, "task_inferred");
  json_builder_add_boolean_value (b, oxp_export_result_get_task_inferred (result));
  json_builder_set_member_name (b, "opset");
  json_builder_add_int_value (b, oxp_export_result_get_opset (result));
  json_builder_set_member_name (b, "dtype");
  json_builder_add_string_value (
      b, oxp_data_type_to_string (oxp_export_result_get_float_type (result)));
  json_builder_set_member_name (b, "n_parameters");
  json_builder_add_int_value (b, (gint64)oxp_export_result_get_n_parameters (result));
  json_builder_set_member_name (b, "submodels");
  json_builder_begin_array (b);
  for (guint i = 0; i < submodels->len; i++)
    json_builder_add_value (b, oxp_cli_config_io_to_json (g_ptr_array_index (submodels, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < oxp_export_result_get_n_files (result); i++)
    {
      const char *name = oxp_export_result_get_file_name (result, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, (gint64)oxp_export_result_get_file_size (result, i));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; i < oxp_export_result_get_warnings (result)->len; i++)
    json_builder_add_string_value (b,
                                   g_ptr_array_index (oxp_export_result_get_warnings (result), i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "elapsed_seconds");
  json_builder_add_double_value (b, oxp_export_result_get_elapsed (result));
  json_builder_set_member_name (b, "layout");
  json_builder_add_string_value (b, layout != NULL ? layout : "optimum");
  json_builder_set_member_name (b, "validation");
  json_builder_add_value (
      b, oxp_cli_validation_json (validation_word (oxp_export_result_get_validation (result)),
                                  message, oxp_export_result_get_validation_elapsed (result),
                                  oxp_cli_export_validation_to_json (result)));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
parse_dtype (const char *dtype, OxpDataType *out)
{
  if (dtype == NULL || g_str_equal (dtype, "fp32") || g_str_equal (dtype, "float32"))
    *out = OXP_DATA_TYPE_FLOAT;
  else if (g_str_equal (dtype, "fp16") || g_str_equal (dtype, "float16"))
    *out = OXP_DATA_TYPE_FLOAT16;
  else if (g_str_equal (dtype, "bf16") || g_str_equal (dtype, "bfloat16"))
    *out = OXP_DATA_TYPE_BFLOAT16;
  else
    return FALSE;
  return TRUE;
}

static gboolean
parse_external_data (const char *mode, OxpExternalData *out)
{
  if (mode == NULL || g_str_equal (mode, "auto"))
    *out = OXP_EXTERNAL_DATA_AUTO;
  else if (g_str_equal (mode, "never"))
    *out = OXP_EXTERNAL_DATA_NEVER;
  else if (g_str_equal (mode, "always"))
    *out = OXP_EXTERNAL_DATA_ALWAYS;
  else
    return FALSE;
  return TRUE;
}

/* optimum's shape arguments (underscores, as optimum-cli spells them), in
 * oxp_exporter_set_shape()'s names. */
static const char *const shape_flags[] = {
  "batch_size", "sequence_length", "num_choices",  "width",
  "height",     "num_channels",    "feature_size", "nb_max_frames",
};

static gboolean
parse_shape (const char *flag, const char *text, gint64 *out)
{
  char *end = NULL;
  gint64 v;

  (void)flag;
  if (text == NULL || !g_ascii_isdigit (*text))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (text, &end, 10);
  if (errno != 0 || end == NULL || *end != '\0' || v < 1 || v > G_MAXINT32)
    return FALSE;
  *out = v;
  return TRUE;
}

/* Messages echo what the checkpoint holds (names, values), which may be
 * huge: keep the head and the tail, where the outcome is said. */
#define MAX_MESSAGE_LENGTH 2000

static void
truncate_message (GError *error)
{
  gsize len = strlen (error->message);
  const char *head_end, *tail;
  char *message;

  if (len <= MAX_MESSAGE_LENGTH)
    return;
  head_end = g_utf8_find_prev_char (error->message, error->message + MAX_MESSAGE_LENGTH / 2);
  tail = g_utf8_find_next_char (error->message + len - MAX_MESSAGE_LENGTH / 2, NULL);
  if (head_end == NULL || tail == NULL)
    return;
  message = g_strdup_printf ("%.*s […%" G_GSIZE_FORMAT " bytes left out…] %s",
                             (int)(head_end - error->message), error->message,
                             (gsize)(tail - head_end), tail);
  g_free (error->message);
  error->message = message;
}

gboolean
oxp_cli_parse_atol (const char *text, double *out)
{
  char *end = NULL;
  double v;

  if (text == NULL || *text == '\0')
    return FALSE;
  v = g_ascii_strtod (text, &end);
  if (end == NULL || *end != '\0' || !isfinite (v) || v < 0)
    return FALSE;
  *out = v;
  return TRUE;
}

/* "Did you mean" for a mistyped task or model type of @model_dir. (transfer full) */
static char *
export_error_hint (OxpTasksManager *manager, const GError *error, const char *model_dir,
                   const char *task)
{
  g_autofree char *config_path = NULL;
  g_autoptr (JsonObject) config = NULL;
  const char *model_type = NULL;
  GStatBuf st;

  if (error->domain != OXP_PLUGIN_ERROR
      || (error->code != OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE
          && error->code != OXP_PLUGIN_ERROR_UNKNOWN_TASK
          && error->code != OXP_PLUGIN_ERROR_UNSUPPORTED_TASK))
    return NULL;
  /* The exporter has read this config.json already; still, only a
   * regular file of sane size is read again (a FIFO would block). */
  config_path = g_build_filename (model_dir, "config.json", NULL);
  if (g_stat (config_path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > (16 << 20))
    return NULL;
  config = oxp_cli_read_config_json (model_dir, NULL);
  if (config != NULL && json_object_has_member (config, "model_type")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (config, "model_type"))
      && json_node_get_value_type (json_object_get_member (config, "model_type")) == G_TYPE_STRING)
    model_type = json_object_get_string_member (config, "model_type");

  if (error->code == OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE)
    return oxp_cli_hint_for_error (manager, error, NULL, model_type);
  return oxp_cli_hint_for_error (manager, error, model_type, task);
}

int
oxp_cli_export (int argc, char **argv)
{
  OxpCliCommon common = { 0 };
  g_autofree char *model_dir = NULL;
  g_autofree char *task = NULL;
  g_autofree char *dtype = NULL;
  g_autofree char *atol_text = NULL;
  g_autofree char *reference = NULL;
  g_autofree char *external_data = NULL;
  g_autofree char *layout = NULL;
  g_autofree char *device = NULL;
  g_autofree char *revision = NULL;
  g_autofree char *model_arg = NULL;
  gboolean fp16 = FALSE;
  gboolean trust_remote_code = FALSE;
  gboolean quiet = FALSE;
  gboolean show_progress = FALSE;
  gboolean split = FALSE;
  g_autofree char *library = NULL;
  int opset = 0;
  gboolean no_validate = FALSE;
  gboolean legacy = FALSE;
  gboolean strict = FALSE;
  g_autofree char *optimize = NULL;
  guint optimize_level = 0;
  g_autofree char *quantize = NULL;
  g_autofree char *quantize_exclude = NULL;
  int quantize_block_size = 0;
  int quantize_accuracy_level = -1;
  g_autofree char *quantize_scales = NULL;
  OxpDataType quantize_scales_type = OXP_DATA_TYPE_UNDEFINED;
  gboolean quantize_symmetric = FALSE;
  gboolean quantize_asymmetric = FALSE;
  guint quantize_bits = 0;
  OxpQuantizeExclude exclude = OXP_QUANTIZE_EXCLUDE_NONE;
  gboolean no_dynamic_axes = FALSE;
  char *shape_texts[G_N_ELEMENTS (shape_flags)] = { NULL };
  gint64 shape_values[G_N_ELEMENTS (shape_flags)] = { 0 };
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_arg,
      "The checkpoint folder (config.json + *.safetensors), or a model id ORG/NAME already in "
      "the local Hugging Face cache; required",
      "DIR|ORG/NAME" },
    { "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
      "With --model ORG/NAME: the branch, tag or commit in the cache (default: main)", "REV" },
    { "task", 't', 0, G_OPTION_ARG_STRING, &task,
      "Task to export (default: inferred from config.json)", "TASK" },
    { "opset", 0, 0, G_OPTION_ARG_INT, &opset, "ONNX opset (default: the model's, usually 17)",
      "N" },
    { "dtype", 0, 0, G_OPTION_ARG_STRING, &dtype,
      "Weights and computation type: fp32 (default), fp16 or bf16 (converted while writing, "
      "whatever the checkpoint's type)",
      "fp32|fp16|bf16" },
    { "atol", 0, 0, G_OPTION_ARG_STRING, &atol_text,
      "Absolute tolerance of the validation (default: the model's)", "X" },
    { "no-validate", 0, 0, G_OPTION_ARG_NONE, &no_validate, "Do not validate with ONNX Runtime",
      NULL },
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &reference,
      "Also compare with the outputs in FILE (inputs and expected outputs by ONNX name)",
      "FILE.safetensors" },
    { "legacy", 0, 0, G_OPTION_ARG_NONE, &legacy,
      "Decoders: optimum 1.13's decoder_model.onnx, decoder_with_past_model.onnx and "
      "decoder_model_merged.onnx instead of one model.onnx",
      NULL },
    { "optimize", 'O', 0, G_OPTION_ARG_STRING, &optimize,
      "ONNX Runtime fused forms: O1 standard operators its fusions match, O2 also its "
      "com.microsoft operators (Attention, SkipLayerNormalization, …), O3 also their "
      "approximations (FastGelu); default: plain standard ONNX",
      "O1|O2|O3" },
    { "quantize", 0, 0, G_OPTION_ARG_STRING, &quantize,
      "Weight-only quantization of the linear layers (com.microsoft MatMulNBits), computed "
      "block by block while writing; default: none",
      "int8|int4" },
    { "quantize-block-size", 0, 0, G_OPTION_ARG_INT, &quantize_block_size,
      "With --quantize: weights along the input axis sharing one scale (default: 32)",
      "32|64|128" },
    { "quantize-symmetric", 0, 0, G_OPTION_ARG_NONE, &quantize_symmetric,
      "With --quantize: scales only, zero is the middle code (the default)", NULL },
    { "quantize-asymmetric", 0, 0, G_OPTION_ARG_NONE, &quantize_asymmetric,
      "With --quantize: a zero point per block too, each block's range its minimum to maximum",
      NULL },
    { "quantize-exclude", 0, 0, G_OPTION_ARG_STRING, &quantize_exclude,
      "With --quantize: comma-separated linear layers to keep in floats: lm_head (those outside "
      "the numbered blocks), first, last (the first and last block of each stack)",
      "lm_head,first,last" },
    { "quantize-accuracy-level", 0, 0, G_OPTION_ARG_INT, &quantize_accuracy_level,
      "With --quantize: MatMulNBits' accuracy_level, 0 (float arithmetic) to 4 (ONNX Runtime "
      "quantizes activations to int8: its fast CPU path; default)",
      "0-4" },
    { "quantize-scales", 0, 0, G_OPTION_ARG_STRING, &quantize_scales,
      "With --quantize: the type the scales are stored in; MatMulNBits computes with them in "
      "the export's float type, so fp16 scales in an fp32 export are cast at load (a smaller "
      "file), fp32 scales need an fp32 export (default: the export's type)",
      "fp16|fp32" },
    { "external-data", 0, 0, G_OPTION_ARG_STRING, &external_data,
      "Weights in a separate FILE.onnx_data file: auto (above 2 GiB, default; the split "
      "decoder_model.onnx and decoder_with_past_model.onnx (seq2seq, --legacy) always share "
      "decoder_model.onnx_data unless never), never, always",
      "auto|never|always" },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &strict,
      "Fail when the checkpoint holds tensors the export does not use (default: warn)", NULL },
    { "library", 0, 0, G_OPTION_ARG_STRING, &library,
      "transformers: the plain export of a sentence-transformers folder; sentence_transformers: "
      "token_embeddings and sentence_embedding (default: detected from modules.json)",
      "transformers|sentence_transformers" },
    { "split", 0, 0, G_OPTION_ARG_NONE, &split,
      "CLIP: text_model.onnx and vision_model.onnx (transformers.js) instead of model.onnx", NULL },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &layout,
      "Folder layout: optimum (default: every file at the top) or transformers.js (ONNX files "
      "under onnx/, fp16 ones named *_fp16.onnx and *_fp16.onnx_data)",
      "optimum|transformers.js" },
    { "no-dynamic-axes", 0, 0, G_OPTION_ARG_NONE, &no_dynamic_axes,
      "Fix every input and output dim of the files at the shapes below (optimum's defaults "
      "where none is given); validation runs at that one shape set",
      NULL },
    { "batch_size", 0, 0, G_OPTION_ARG_STRING, &shape_texts[0],
      "Batch size of the validation inputs, and of the files with --no-dynamic-axes "
      "(default 2)",
      "N" },
    { "sequence_length", 0, 0, G_OPTION_ARG_STRING, &shape_texts[1],
      "Tokens per sequence, for validation and --no-dynamic-axes (default 16; a seq2seq "
      "encoder's too)",
      "N" },
    { "num_choices", 0, 0, G_OPTION_ARG_STRING, &shape_texts[2],
      "multiple-choice: choices per example, for validation and --no-dynamic-axes (default 4)",
      "N" },
    { "width", 0, 0, G_OPTION_ARG_STRING, &shape_texts[3],
      "Image width, for validation and --no-dynamic-axes (default 64; a model whose "
      "config.json gives image_size takes only that)",
      "N" },
    { "height", 0, 0, G_OPTION_ARG_STRING, &shape_texts[4], "Image height, as --width", "N" },
    { "num_channels", 0, 0, G_OPTION_ARG_STRING, &shape_texts[5],
      "Image channels, as --width (default 3)", "N" },
    { "feature_size", 0, 0, G_OPTION_ARG_STRING, &shape_texts[6],
      "Audio: mel bins of input_features (default 80; a model fixes its own)", "N" },
    { "nb_max_frames", 0, 0, G_OPTION_ARG_STRING, &shape_texts[7],
      "Audio: frames of input_features, the encoder's sequence (default: oxport's 16)", "N" },
    /* The same with hyphens, for people who type them. */
    { "batch-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shape_texts[0], NULL, NULL },
    { "sequence-length", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shape_texts[1], NULL,
      NULL },
    { "num-choices", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shape_texts[2], NULL, NULL },
    { "num-channels", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shape_texts[5], NULL, NULL },
    { "feature-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shape_texts[6], NULL, NULL },
    { "nb-max-frames", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &shape_texts[7], NULL, NULL },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &show_progress,
      "Show progress (bytes written, rate, time left) even when stdout is not a terminal", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Show no progress, even on a terminal", NULL },
    /* optimum-cli's spellings. */
    { "fp16", 0, 0, G_OPTION_ARG_NONE, &fp16, "Same as --dtype fp16 (optimum's spelling)", NULL },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "Accepted for optimum's command lines: only cpu (oxport runs no model while exporting)",
      "cpu" },
    { "trust-remote-code", 0, 0, G_OPTION_ARG_NONE, &trust_remote_code,
      "Refused: oxport runs no model code (it builds the graphs of the model types its plugins "
      "know)",
      NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (OxpTasksManager) manager = NULL;
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  OxpCliProgress *progress = NULL;
  OxpDataType float_type;
  OxpExternalData external_mode;
  double atol = -1.0;
  int status = OXP_CLI_EXIT_OK;

  context = oxp_cli_context_new (
      "export", "--model DIR OUTDIR",
      "Export the checkpoint in DIR to ONNX files in OUTDIR, and validate them.",
      export_description, entries, &common, TRUE);
  if (!oxp_cli_parse (context, "export", &argc, &argv))
    {
      status = OXP_CLI_EXIT_USER;
      goto out;
    }
  if (model_arg == NULL)
    {
      status = oxp_cli_usage_error ("export", "Missing --model DIR");
      goto out;
    }
  if (argc != 2)
    {
      if (argc < 2)
        status = oxp_cli_usage_error ("export", "Missing OUTDIR");
      else
        status = oxp_cli_usage_error ("export", "Unexpected argument “%s”", argv[2]);
      goto out;
    }
  if (trust_remote_code)
    {
      status = oxp_cli_usage_error (
          "export", "--trust-remote-code is not supported: oxport runs no model code; it exports "
                    "the model types its plugins know (run “oxport plugins”)");
      goto out;
    }
  if (device != NULL && !g_str_equal (device, "cpu"))
    {
      status = oxp_cli_usage_error (
          "export", "--device must be cpu, not “%s” (oxport runs no model while exporting)",
          device);
      goto out;
    }
  if (fp16)
    {
      if (dtype != NULL && !g_str_equal (dtype, "fp16") && !g_str_equal (dtype, "float16"))
        {
          status = oxp_cli_usage_error ("export", "--fp16 contradicts --dtype %s", dtype);
          goto out;
        }
      g_free (dtype);
      dtype = g_strdup ("fp16");
    }
  if (quiet && show_progress)
    {
      status = oxp_cli_usage_error ("export", "--quiet and --progress contradict each other");
      goto out;
    }
  if (layout != NULL && g_str_equal (layout, "optimum"))
    g_clear_pointer (&layout, g_free);
  if (layout != NULL && !g_str_equal (layout, "transformers.js"))
    {
      status = oxp_cli_usage_error (
          "export", "--layout must be optimum or transformers.js, not “%s”", layout);
      goto out;
    }
  if (!parse_dtype (dtype, &float_type))
    {
      status
          = oxp_cli_usage_error ("export", "--dtype must be fp32, fp16 or bf16, not “%s”", dtype);
      goto out;
    }
  if (optimize != NULL)
    {
      const char *o = optimize[0] == 'O' || optimize[0] == 'o' ? optimize + 1 : optimize;
      if (o[0] < '0' || o[0] > '3' || o[1] != '\0')
        {
          status = oxp_cli_usage_error ("export", "--optimize must be O1, O2 or O3, not “%s”",
                                        optimize);
          goto out;
        }
      optimize_level = (guint)(o[0] - '0');
    }
  if (quantize != NULL)
    {
      if (g_str_equal (quantize, "int4"))
        quantize_bits = 4;
      else if (g_str_equal (quantize, "int8"))
        quantize_bits = 8;
      else
        {
          status = oxp_cli_usage_error ("export", "--quantize must be int8 or int4, not “%s”",
                                        quantize);
          goto out;
        }
    }
  if (quantize == NULL
      && (quantize_block_size != 0 || quantize_symmetric || quantize_asymmetric
          || quantize_exclude != NULL || quantize_accuracy_level >= 0 || quantize_scales != NULL))
    {
      status = oxp_cli_usage_error ("export", "--quantize-* options need --quantize int8|int4");
      goto out;
    }
  if (quantize_symmetric && quantize_asymmetric)
    {
      status = oxp_cli_usage_error (
          "export", "--quantize-symmetric and --quantize-asymmetric contradict each other");
      goto out;
    }
  if (quantize_block_size == 0)
    quantize_block_size = 32;
  if (quantize_block_size != 32 && quantize_block_size != 64 && quantize_block_size != 128)
    {
      status = oxp_cli_usage_error ("export", "--quantize-block-size must be 32, 64 or 128, not %d",
                                    quantize_block_size);
      goto out;
    }
  if (quantize_scales != NULL)
    {
      if (g_str_equal (quantize_scales, "fp16") || g_str_equal (quantize_scales, "float16"))
        quantize_scales_type = OXP_DATA_TYPE_FLOAT16;
      else if (g_str_equal (quantize_scales, "fp32") || g_str_equal (quantize_scales, "float32"))
        quantize_scales_type = OXP_DATA_TYPE_FLOAT;
      else
        {
          status = oxp_cli_usage_error ("export", "--quantize-scales must be fp16 or fp32, not “%s”",
                                        quantize_scales);
          goto out;
        }
    }
  if (quantize_accuracy_level > 4)
    {
      status = oxp_cli_usage_error ("export", "--quantize-accuracy-level must be 0 to 4, not %d",
                                    quantize_accuracy_level);
      goto out;
    }
  if (quantize_exclude != NULL)
    {
      g_auto (GStrv) names = g_strsplit (quantize_exclude, ",", -1);

      for (guint i = 0; names[i] != NULL; i++)
        {
          const char *name = g_strstrip (names[i]);

          if (g_str_equal (name, "lm_head"))
            exclude |= OXP_QUANTIZE_EXCLUDE_LM_HEAD;
          else if (g_str_equal (name, "first"))
            exclude |= OXP_QUANTIZE_EXCLUDE_FIRST;
          else if (g_str_equal (name, "last"))
            exclude |= OXP_QUANTIZE_EXCLUDE_LAST;
          else if (!g_str_equal (name, "none"))
            {
              status = oxp_cli_usage_error (
                  "export", "--quantize-exclude: unknown layer set “%s” (use lm_head, first, last)",
                  name);
              goto out;
            }
        }
    }
  if (quantize_bits != 0 && float_type == OXP_DATA_TYPE_BFLOAT16)
    {
      status = oxp_cli_usage_error ("export", "--quantize needs --dtype fp32 or fp16: "
                                              "MatMulNBits computes in float32 or float16");
      goto out;
    }
  if (quantize_scales_type == OXP_DATA_TYPE_FLOAT && float_type != OXP_DATA_TYPE_FLOAT)
    {
      /* MatMulNBits' scales have the type of its activations (T1). */
      status = oxp_cli_usage_error ("export", "--quantize-scales fp32 needs --dtype fp32: "
                                              "MatMulNBits takes its scales in the type of its "
                                              "activations, %s here; use --quantize-scales fp16",
                                    oxp_data_type_to_string (float_type));
      goto out;
    }
  if (!parse_external_data (external_data, &external_mode))
    {
      status = oxp_cli_usage_error (
          "export", "--external-data must be auto, never or always, not “%s”", external_data);
      goto out;
    }
  if (layout != NULL && float_type == OXP_DATA_TYPE_BFLOAT16)
    {
      /* transformers.js names no bf16 file (its dtypes: fp32, fp16, q8…). */
      status = oxp_cli_usage_error ("export", "--layout transformers.js has no bf16 files; "
                                              "use --dtype fp32 or fp16");
      goto out;
    }
  for (guint i = 0; i < G_N_ELEMENTS (shape_flags); i++)
    if (shape_texts[i] != NULL && !parse_shape (shape_flags[i], shape_texts[i], &shape_values[i]))
      {
        status = oxp_cli_usage_error ("export", "--%s must be a whole number ≥ 1, not “%s”",
                                      shape_flags[i], shape_texts[i]);
        goto out;
      }
  if (atol_text != NULL && !oxp_cli_parse_atol (atol_text, &atol))
    {
      status = oxp_cli_usage_error ("export", "--atol must be a number ≥ 0, not “%s”", atol_text);
      goto out;
    }
  if (opset < 0)
    {
      status = oxp_cli_usage_error ("export", "--opset must be a positive number, not %d", opset);
      goto out;
    }
  if (reference != NULL && !g_file_test (reference, G_FILE_TEST_IS_REGULAR))
    {
      status = oxp_cli_usage_error ("export", "Reference file %s does not exist", reference);
      goto out;
    }
  if (reference != NULL && no_validate)
    {
      status = oxp_cli_usage_error ("export", "--reference needs validation; drop --no-validate");
      goto out;
    }

  model_dir = oxp_cli_resolve_model (model_arg, revision, &error);
  if (model_dir == NULL)
    {
      status = oxp_cli_report_error (error);
      goto out;
    }
  manager = oxp_cli_load_plugins (&common, &error);
  if (manager == NULL)
    {
      status = oxp_cli_report_error (error);
      goto out;
    }
  exporter = oxp_exporter_new (manager);
  oxp_exporter_set_task (exporter, task);
  oxp_exporter_set_opset (exporter, (guint)opset);
  oxp_exporter_set_float_type (exporter, float_type);
  oxp_exporter_set_external_data (exporter, external_mode);
  oxp_exporter_set_validate (exporter, !no_validate);
  oxp_exporter_set_legacy (exporter, legacy);
  oxp_exporter_set_optimize (exporter, optimize_level);
  if (!oxp_exporter_set_quantize (exporter, quantize_bits, (guint)quantize_block_size,
                                  !quantize_asymmetric, exclude, &error))
    {
      status = oxp_cli_report_error (error);
      goto out;
    }
  if (quantize_accuracy_level >= 0)
    oxp_exporter_set_quantize_accuracy_level (exporter, (guint)quantize_accuracy_level);
  oxp_exporter_set_quantize_scales_type (exporter, quantize_scales_type);
  oxp_exporter_set_atol (exporter, atol);
  oxp_exporter_set_reference (exporter, reference);
  oxp_exporter_set_verbose (exporter, common.verbose);
  oxp_exporter_set_strict (exporter, strict);
  oxp_exporter_set_layout (exporter, layout);
  oxp_exporter_set_dynamic_axes (exporter, !no_dynamic_axes);
  for (guint i = 0; i < G_N_ELEMENTS (shape_flags); i++)
    if (shape_texts[i] != NULL
        && !oxp_exporter_set_shape (exporter, shape_flags[i], shape_values[i], &error))
      {
        status = oxp_cli_usage_error ("export", "--%s: %s", shape_flags[i], error->message);
        goto out;
      }
  /* SIGINT/TERM/HUP remove what the run created, then end the process;
   * a file size limit (ulimit -f) must give the writer's EFBIG message,
   * not kill the process with SIGXFSZ. */
  oxp_exporter_set_catch_signals (exporter, TRUE);
  signal (SIGXFSZ, SIG_IGN);
  oxp_exporter_set_split (exporter, split);
  if (library != NULL && !g_str_equal (library, "transformers")
      && !g_str_equal (library, "sentence_transformers"))
    {
      status = oxp_cli_usage_error (
          "export", "--library must be transformers or sentence_transformers, not “%s”", library);
      goto out;
    }
  oxp_exporter_set_library (exporter, library);
  progress = oxp_cli_progress_new (
      show_progress || (!quiet && oxp_cli_progress_default (common.json)), common.verbose);
  oxp_exporter_set_progress_func (exporter, oxp_cli_progress_update, progress, NULL);

  result = oxp_exporter_run (exporter, model_dir, argv[1], &error);
  oxp_cli_progress_finish (progress);
  if (result == NULL)
    {
      g_autofree char *hint = export_error_hint (manager, error, model_dir, task);

      /* The message ends by saying what became of OUTDIR. */
      truncate_message (error);
      status = oxp_cli_report_error_with_hint (error, hint);
      goto out;
    }
  for (guint i = 0; i < oxp_export_result_get_warnings (result)->len; i++)
    fprintf (stderr, "oxport: warning: %s\n",
             (const char *)g_ptr_array_index (oxp_export_result_get_warnings (result), i));

  if (common.json)
    {
      g_autoptr (JsonNode) root = result_to_json (result, layout);
      oxp_cli_print_json (root);
    }
  else
    print_summary (result);

  switch (oxp_export_result_get_validation (result))
    {
    case OXP_EXPORT_VALIDATION_SKIPPED:
      fflush (stdout);
      fprintf (stderr, "oxport: warning: validation skipped: %s\n",
               oxp_export_result_get_validation_message (result));
      fprintf (stderr,
               "The model was written to %s; run “oxport validate %s” once ONNX Runtime "
               "is available (set OXPORT_ONNXRUNTIME to libonnxruntime.so.1).\n",
               argv[1], argv[1]);
      break;
    case OXP_EXPORT_VALIDATION_FAILED:
      oxp_cli_error ("validation failed: %s", oxp_export_result_get_validation_message (result));
      fprintf (stderr, "The exported files stay in %s for inspection.\n", argv[1]);
      status = OXP_CLI_EXIT_USER;
      break;
    default:
      break;
    }

out:
  for (guint i = 0; i < G_N_ELEMENTS (shape_texts); i++)
    g_free (shape_texts[i]);
  oxp_cli_progress_free (progress);
  oxp_cli_common_clear (&common);
  return status;
}
