/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <oxport/oxport.h>

#include "oxp-graph-private.h"
#include "oxp-onnx-writer-private.h"
#include "oxp-safetensors-private.h"
#include "oxp-tasks-private.h"

/**
 * OxpExporter:
 *
 * The pipeline behind `oxport export`: opens the checkpoint, chooses the
 * task (given or inferred), creates the plugin's config, builds and writes
 * one ONNX file per submodel, copies config.json and the tokenizer and
 * preprocessor files beside them (as optimum does, so the folder loads
 * with the usual tools), then validates with ONNX Runtime.  It never
 * prints: progress goes to a callback and the outcome to an
 * #OxpExportResult.
 */

/* The files optimum's exporter copies next to the model when present. */
static const char *const copied_files[] = {
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.txt",
  "vocab.json",
  "merges.txt",
  "preprocessor_config.json",
  NULL,
};

struct _OxpExportResult
{
  GObject parent_instance;

  char *model_dir;
  char *outdir;
  char *model_type;
  char *task;
  gboolean task_inferred;
  guint opset;
  OxpDataType float_type;
  guint64 n_parameters;
  double elapsed;
  double validation_elapsed;
  GPtrArray *submodels; /* OxpOnnxConfig */
  GPtrArray *files;     /* char *, relative */
  GArray *sizes;        /* guint64 */
  OxpExportValidation validation;
  char *validation_message;
  GPtrArray *reports; /* OxpValidationReport */
  char *runtime_version;
  GPtrArray *warnings; /* char *: what was skipped or looks wrong */
};

/**
 * OxpExportResult:
 *
 * What one successful oxp_exporter_run() wrote, for summaries and `--json`:
 * the task and model type, the files and their sizes, the submodels'
 * configs, the validation outcome and reports, and warnings.
 */
G_DEFINE_FINAL_TYPE (OxpExportResult, oxp_export_result, G_TYPE_OBJECT)

static void
oxp_export_result_finalize (GObject *object)
{
  OxpExportResult *self = OXP_EXPORT_RESULT (object);

  g_free (self->model_dir);
  g_free (self->outdir);
  g_free (self->model_type);
  g_free (self->task);
  g_ptr_array_unref (self->submodels);
  g_ptr_array_unref (self->files);
  g_array_unref (self->sizes);
  g_free (self->validation_message);
  g_ptr_array_unref (self->reports);
  g_free (self->runtime_version);
  g_ptr_array_unref (self->warnings);
  G_OBJECT_CLASS (oxp_export_result_parent_class)->finalize (object);
}

static void
oxp_export_result_class_init (OxpExportResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_export_result_finalize;
}

static void
oxp_export_result_init (OxpExportResult *self)
{
  self->submodels = g_ptr_array_new_with_free_func (g_object_unref);
  self->files = g_ptr_array_new_with_free_func (g_free);
  self->sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->reports = g_ptr_array_new_with_free_func (g_object_unref);
  self->warnings = g_ptr_array_new_with_free_func (g_free);
  self->float_type = OXP_DATA_TYPE_FLOAT;
}

struct _OxpExporter
{
  GObject parent_instance;

  OxpTasksManager *manager;
  char *task;
  guint opset;
  OxpDataType float_type;
  OxpExternalData external_data;
  gboolean split;
  char *library;
  gboolean validate;
  gboolean legacy;
  guint optimize_level;
  guint quant_bits;
  guint quant_block_size;
  gboolean quant_symmetric;
  OxpQuantizeExclude quant_exclude;
  guint quant_accuracy_level;
  OxpDataType quant_scales_type; /* UNDEFINED: the float type */
  double atol;
  char *reference;
  char *runtime_path;
  gboolean verbose;
  gboolean strict;
  gboolean catch_signals;
  char *layout; /* NULL: optimum's */
  gboolean dynamic_axes;
  gint64 shape_values[8]; /* by shape_names; 0: not given */

  OxpExportProgressFunc progress_func;
  gpointer progress_data;
  GDestroyNotify progress_notify;
};

G_DEFINE_FINAL_TYPE (OxpExporter, oxp_exporter, G_TYPE_OBJECT)

static void
oxp_exporter_finalize (GObject *object)
{
  OxpExporter *self = OXP_EXPORTER (object);

  g_clear_object (&self->manager);
  g_free (self->task);
  g_free (self->library);
  g_free (self->reference);
  g_free (self->runtime_path);
  g_free (self->layout);
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);
  G_OBJECT_CLASS (oxp_exporter_parent_class)->finalize (object);
}

static void
oxp_exporter_class_init (OxpExporterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_exporter_finalize;
}

static void
oxp_exporter_init (OxpExporter *self)
{
  self->float_type = OXP_DATA_TYPE_FLOAT;
  self->external_data = OXP_EXTERNAL_DATA_AUTO;
  self->validate = TRUE;
  self->atol = -1.0;
  self->quant_block_size = 32;
  self->quant_symmetric = TRUE;
  /* ORT 1.30's CPU MatMulNBits computes int8 weights at level 0 by
   * dequantizing them at every run (20 times slower than fp32 measured);
   * level 4 is its fast path for both widths. */
  self->quant_accuracy_level = 4;
  self->dynamic_axes = TRUE;
}

/**
 * oxp_exporter_new:
 * @manager: a registry with its plugins loaded
 *
 * Creates an exporter that finds configs among the plugins @manager has
 * loaded; set what differs from the defaults, then call oxp_exporter_run().
 *
 * Returns: (transfer full): a new exporter with the default settings:
 *   inferred task, the config's default opset, fp32, automatic external
 *   data, validation on.
 */
OxpExporter *
oxp_exporter_new (OxpTasksManager *manager)
{
  OxpExporter *self;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (manager), NULL);

  self = g_object_new (OXP_TYPE_EXPORTER, NULL);
  self->manager = g_object_ref (manager);
  return self;
}

/**
 * oxp_exporter_set_task:
 * @self: an exporter
 * @task: (nullable): a task name in any spelling (synonyms and "-with-past"
 *   forms are accepted), or %NULL to infer it from config.json
 *
 * Sets the task to export, `--task`.  Inference reads the "architectures"
 * class names of config.json offline, as optimum's TasksManager does.
 */
void
oxp_exporter_set_task (OxpExporter *self, const char *task)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->task);
  self->task = g_strdup (task);
}

/**
 * oxp_exporter_set_opset:
 * @self: an exporter
 * @opset: an ai.onnx opset, or 0 for the config's default
 *
 * Sets the opset to export with, `--opset`.  An opset below the config's
 * minimum or above %OXP_EXPORTER_MAX_OPSET makes oxp_exporter_run() fail with
 * %OXP_EXPORT_ERROR_OPSET before anything is written.
 */
void
oxp_exporter_set_opset (OxpExporter *self, guint opset)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->opset = opset;
}

/**
 * oxp_exporter_set_float_type:
 * @self: an exporter
 * @float_type: %OXP_DATA_TYPE_FLOAT (the default), %OXP_DATA_TYPE_FLOAT16 or
 *   %OXP_DATA_TYPE_BFLOAT16
 *
 * Sets the type float weights and activations are written in, `--dtype`;
 * the writer converts the checkpoint's weights while streaming them.
 */
void
oxp_exporter_set_float_type (OxpExporter *self, OxpDataType float_type)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_return_if_fail (float_type == OXP_DATA_TYPE_FLOAT || float_type == OXP_DATA_TYPE_FLOAT16
                    || float_type == OXP_DATA_TYPE_BFLOAT16);
  self->float_type = float_type;
}

/**
 * oxp_exporter_set_external_data:
 * @self: an exporter
 * @mode: where the weights go
 *
 * Sets where the writer puts the weights, `--external-data` (see
 * oxp_onnx_writer_set_external_data()).
 */
void
oxp_exporter_set_external_data (OxpExporter *self, OxpExternalData mode)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->external_data = mode;
}

/**
 * oxp_exporter_set_validate:
 * @self: an exporter
 * @validate: %FALSE to skip validation
 *
 * Turns validation in ONNX Runtime on (the default) or off, `--no-validate`.
 */
void
oxp_exporter_set_validate (OxpExporter *self, gboolean validate)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->validate = !!validate;
}

/**
 * oxp_exporter_set_legacy:
 * @self: an exporter
 * @legacy: write the legacy decoder files
 *
 * Writes optimum 1.13's files for decoders (decoder_model.onnx,
 * decoder_with_past_model.onnx, decoder_model_merged.onnx) instead of current
 * optimum's single model.onnx, `--legacy`; no effect on other models.
 */
void
oxp_exporter_set_legacy (OxpExporter *self, gboolean legacy)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->legacy = !!legacy;
}

/**
 * oxp_exporter_set_optimize:
 * @self: an exporter
 * @level: 0 (plain standard ONNX, default) to 3; see oxp_graph_set_optimize_level()
 *
 * From level 1 on, a config's default opset below 17 is raised to 17
 * (LayerNormalization); an opset set explicitly is kept.
 */
void
oxp_exporter_set_optimize (OxpExporter *self, guint level)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_return_if_fail (level <= 3);
  self->optimize_level = level;
}

/**
 * oxp_exporter_set_quantize:
 * @self: an exporter
 * @bits: 4 (int4) or 8 (int8) to quantize the linear layers' weights, 0 for
 *   none (default)
 * @block_size: weights along the input axis sharing a scale: 32 (default),
 *   64 or 128
 * @symmetric: TRUE (default) for scales alone; FALSE for a zero point per
 *   block too (asymmetric: each block's range is its minimum to maximum)
 * @exclude: the linear layers kept in floats
 * @error: return location for an error
 *
 * Weight-only quantization (see oxp_graph_set_quantize()): each linear
 * layer becomes a com.microsoft MatMulNBits whose weights are quantized
 * block by block while they are streamed from the checkpoint.  The inputs
 * and outputs of the files do not change; their metadata_props record the
 * settings ("oxport_quantize", "oxport_quantize_block_size",
 * "oxport_quantize_scheme", "oxport_quantize_exclude",
 * "oxport_quantize_scales", "oxport_quantize_accuracy_level").
 *
 * Returns: FALSE with %OXP_EXPORT_ERROR_UNSUPPORTED, the settings unchanged,
 *   when @bits or @block_size is not one of those values
 */
gboolean
oxp_exporter_set_quantize (OxpExporter *self, guint bits, guint block_size, gboolean symmetric,
                           OxpQuantizeExclude exclude, GError **error)
{
  g_return_val_if_fail (OXP_IS_EXPORTER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (bits != 0 && bits != 4 && bits != 8)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Cannot quantize to %u bits: MatMulNBits weights are 4 (int4) or 8 (int8) bits",
                   bits);
      return FALSE;
    }
  if (block_size != 32 && block_size != 64 && block_size != 128)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Quantization block size %u is not supported: use 32, 64 or 128", block_size);
      return FALSE;
    }
  if ((exclude
       & ~(OXP_QUANTIZE_EXCLUDE_LM_HEAD | OXP_QUANTIZE_EXCLUDE_FIRST | OXP_QUANTIZE_EXCLUDE_LAST))
      != 0)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Unknown quantization exclusion flags 0x%x", (guint)exclude);
      return FALSE;
    }
  self->quant_bits = bits;
  self->quant_block_size = block_size;
  self->quant_symmetric = !!symmetric;
  self->quant_exclude = exclude;
  return TRUE;
}

/**
 * oxp_exporter_set_quantize_accuracy_level:
 * @self: an exporter
 * @level: MatMulNBits' accuracy_level, 0 (float arithmetic) to 4 (default:
 *   ONNX Runtime quantizes the activations to int8 on the fly, its fast CPU
 *   path; at 0 its CPU kernel for int8 weights is far slower than fp32);
 *   see oxp_graph_set_quantize_accuracy_level()
 *
 * Sets how ONNX Runtime computes the quantized MatMulNBits products,
 * `--quantize-accuracy-level`; it only matters with oxp_exporter_set_quantize().
 */
void
oxp_exporter_set_quantize_accuracy_level (OxpExporter *self, guint level)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_return_if_fail (level <= 4);
  self->quant_accuracy_level = level;
}

/**
 * oxp_exporter_set_quantize_scales_type:
 * @self: an exporter
 * @dtype: %OXP_DATA_TYPE_FLOAT16 (`--quantize-scales fp16`),
 *   %OXP_DATA_TYPE_FLOAT (`fp32`), or %OXP_DATA_TYPE_UNDEFINED for the
 *   export's float type (default)
 *
 * Sets the type the quantization scales are stored in (see
 * oxp_graph_set_quantize_scales_type()); it only matters with
 * oxp_exporter_set_quantize().  MatMulNBits takes its scales in the
 * activations' type, so float16 scales in a float32 export are cast when
 * ONNX Runtime loads the file, and oxp_exporter_run() refuses float32
 * scales in a float16 export.
 */
void
oxp_exporter_set_quantize_scales_type (OxpExporter *self, OxpDataType dtype)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_return_if_fail (dtype == OXP_DATA_TYPE_UNDEFINED || dtype == OXP_DATA_TYPE_FLOAT
                    || dtype == OXP_DATA_TYPE_FLOAT16);
  self->quant_scales_type = dtype;
}

static OxpDataType
quantize_scales_type (OxpExporter *self)
{
  return self->quant_scales_type != OXP_DATA_TYPE_UNDEFINED ? self->quant_scales_type
                                                            : self->float_type;
}

static char *
quantize_exclude_to_string (OxpQuantizeExclude exclude)
{
  GString *s = g_string_new (NULL);

  if (exclude & OXP_QUANTIZE_EXCLUDE_LM_HEAD)
    g_string_append (s, ",lm_head");
  if (exclude & OXP_QUANTIZE_EXCLUDE_FIRST)
    g_string_append (s, ",first");
  if (exclude & OXP_QUANTIZE_EXCLUDE_LAST)
    g_string_append (s, ",last");
  if (s->len == 0)
    g_string_append (s, ",none");
  g_string_erase (s, 0, 1);
  return g_string_free (s, FALSE);
}

/**
 * oxp_exporter_set_atol:
 * @self: an exporter
 * @atol: the absolute tolerance, or a negative value for the default
 *
 * Sets the tolerance of the reference comparison, `--atol`.  The default is
 * the config's, at least %OXP_EXPORTER_HALF_ATOL for a half-precision export
 * and %OXP_EXPORTER_APPROX_ATOL at optimize level 3.
 */
void
oxp_exporter_set_atol (OxpExporter *self, double atol)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->atol = atol;
}

/**
 * oxp_exporter_set_reference:
 * @self: an exporter
 * @reference: (nullable): a .safetensors file of inputs and expected outputs,
 *   or %NULL
 *
 * Sets reference vectors to validate against, `--reference` (see
 * oxp_validator_set_reference()).
 */
void
oxp_exporter_set_reference (OxpExporter *self, const char *reference)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->reference);
  self->reference = g_strdup (reference);
}

/**
 * oxp_exporter_set_runtime_path:
 * @self: an exporter
 * @runtime_path: (nullable): libonnxruntime.so.1 or its folder, or %NULL for
 *   `$OXPORT_ONNXRUNTIME`, then the library search path
 *
 * Sets the ONNX Runtime validation loads (see oxp_runtime_new()).
 */
void
oxp_exporter_set_runtime_path (OxpExporter *self, const char *runtime_path)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->runtime_path);
  self->runtime_path = g_strdup (runtime_path);
}

/**
 * oxp_exporter_set_verbose:
 * @self: an exporter
 * @verbose: let ONNX Runtime log
 *
 * Lets ONNX Runtime print its own warnings and errors to standard error,
 * `--verbose`; they are dropped by default.
 */
void
oxp_exporter_set_verbose (OxpExporter *self, gboolean verbose)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->verbose = !!verbose;
}

/**
 * oxp_exporter_set_strict:
 * @self: an exporter
 * @strict: make checkpoint tensors the export does not use an error
 *
 * A checkpoint holding tensors no graph reads usually means config.json
 * disagrees with the weights (fewer layers than were trained, say): by
 * default the result carries a warning naming them; with @strict the
 * export fails.
 */
void
oxp_exporter_set_strict (OxpExporter *self, gboolean strict)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->strict = !!strict;
}

/**
 * oxp_exporter_set_catch_signals:
 * @self: an exporter
 * @catch_signals: clean up on SIGINT, SIGTERM and SIGHUP
 *
 * For programs (like `oxport`) that let these signals end the process:
 * while oxp_exporter_run() works, they remove what the run created (the
 * staging folder, and OUTDIR when the run created it and it is empty),
 * then end the process by the same signal.  The previous handlers are
 * restored when the run returns.  Off by default: a library does not take
 * its host's signals unless asked.  The handlers are process-wide: only
 * one run at a time may use this.
 */
void
oxp_exporter_set_catch_signals (OxpExporter *self, gboolean catch_signals)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->catch_signals = !!catch_signals;
}

/**
 * oxp_exporter_set_library:
 * @self: an exporter
 * @library: (nullable): "transformers", "sentence_transformers", or %NULL to
 *   detect
 *
 * Sets optimum's `--library`: "transformers" keeps the plain export of a
 * sentence-transformers folder; "sentence_transformers" requires one
 * (modules.json); %NULL (the default) detects it.  A sentence-transformers
 * feature-extraction export has token_embeddings and sentence_embedding
 * outputs (oxp_onnx_config_set_sentence_pooling()) and copies modules.json,
 * sentence_bert_config.json, config_sentence_transformers.json and each
 * module folder's config.json beside it.
 */
void
oxp_exporter_set_library (OxpExporter *self, const char *library)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->library);
  self->library = g_strdup (library);
}

/**
 * oxp_exporter_set_split:
 * @self: an exporter
 * @split: write the model's parts as separate files
 *
 * For configs with a "split" property (CLIP: text_model.onnx and
 * vision_model.onnx, the files transformers.js loads, instead of
 * model.onnx).  oxp_exporter_run() fails with
 * OXP_CONFIG_ERROR_UNSUPPORTED_TASK when the model type has no split form.
 */
void
oxp_exporter_set_split (OxpExporter *self, gboolean split)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->split = !!split;
}

/**
 * oxp_exporter_set_layout:
 * @self: an exporter
 * @layout: (nullable): "optimum" (or %NULL) or "transformers.js"
 *
 * transformers.js reads a model folder as the Hugging Face Hub holds the
 * onnx-community models: config.json, generation_config.json and the
 * tokenizer files at the top, every ONNX file under onnx/, the dtype in the
 * file name (model.onnx for fp32, model_fp16.onnx and model_fp16.onnx_data
 * for fp16).  The files are written under those names in the staging
 * folder, so an export fails or commits as a whole in either layout.
 */
void
oxp_exporter_set_layout (OxpExporter *self, const char *layout)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->layout);
  self->layout = g_strcmp0 (layout, "optimum") == 0 ? NULL : g_strdup (layout);
}

/* optimum's shape arguments, in the order of OxpExporter.shape_values. */
static const char *const shape_names[8] = {
  "batch_size", "sequence_length", "num_choices",  "width",
  "height",     "num_channels",    "feature_size", "nb_max_frames",
};

/**
 * oxp_exporter_set_shape:
 * @self: an exporter
 * @name: one of optimum's shape names ("batch_size", "sequence_length", …)
 * @value: its size, at least 1
 * @error: return location for an error
 *
 * Sets the size of one of optimum's dummy-input shapes: validation runs at
 * it, and with dynamic axes off the files' dims are fixed at it.
 * oxp_exporter_run() fails (%OXP_CONFIG_ERROR_INVALID_VALUE) when the
 * model has no input the shape applies to (a width for a text model), or
 * when config.json fixes that dim at another size.
 *
 * Returns: %TRUE when @name is known and @value valid; else %FALSE with
 *   @error set (%OXP_CONFIG_ERROR_INVALID_VALUE)
 */
gboolean
oxp_exporter_set_shape (OxpExporter *self, const char *name, gint64 value, GError **error)
{
  g_return_val_if_fail (OXP_IS_EXPORTER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (shape_names); i++)
    if (g_str_equal (shape_names[i], name))
      {
        if (value < 1)
          {
            g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be at least 1, not %" G_GINT64_FORMAT, name, value);
            return FALSE;
          }
        self->shape_values[i] = value;
        return TRUE;
      }
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
               "unknown shape “%s” (known: batch_size, sequence_length, num_choices, width, "
               "height, num_channels, feature_size, nb_max_frames)",
               name);
  return FALSE;
}

/**
 * oxp_exporter_set_dynamic_axes:
 * @self: an exporter
 * @dynamic_axes: %FALSE to fix every dim of the files at the export shapes
 *
 * optimum's `--no-dynamic-axes`: with %FALSE every input and output dim of
 * the written files is a number, at the shapes oxp_exporter_set_shape()
 * gave (optimum's defaults for the others), and validation runs at that
 * one shape set, without the empty-cache run and the cache check: a fixed
 * file takes one shape and one past length.  A merged decoder
 * (use_cache_branch) cannot be fixed and fails oxp_exporter_run()
 * (%OXP_EXPORT_ERROR_UNSUPPORTED).  Default: %TRUE.
 */
void
oxp_exporter_set_dynamic_axes (OxpExporter *self, gboolean dynamic_axes)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->dynamic_axes = !!dynamic_axes;
}

/* Where @file_name (a config's, or a side file) goes in the layout. (transfer full) */
static char *
layout_file_name (OxpExporter *self, const char *file_name)
{
  const char *fp16 = self->float_type == OXP_DATA_TYPE_FLOAT16 ? "_fp16" : "";

  if (self->layout == NULL || !g_str_has_suffix (file_name, ".onnx"))
    return g_strdup (file_name);
  return g_strdup_printf ("onnx/%.*s%s.onnx", (int)(strlen (file_name) - strlen (".onnx")),
                          file_name, fp16);
}

/**
 * oxp_exporter_set_progress_func:
 * @self: an exporter
 * @func: (nullable): called for every step of oxp_exporter_run()
 * @user_data: passed to @func
 * @notify: (nullable): frees @user_data
 *
 * Sets the callback told of each step of oxp_exporter_run() (and repeatedly
 * while weights are written and files validated), in the thread that calls
 * oxp_exporter_run().  It replaces (and notifies) an earlier one.
 */
void
oxp_exporter_set_progress_func (OxpExporter *self, OxpExportProgressFunc func, gpointer user_data,
                                GDestroyNotify notify)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);
  self->progress_func = func;
  self->progress_data = user_data;
  self->progress_notify = notify;
}

static void
emit_progress (OxpExporter *self, OxpExportStage stage, const char *detail, guint64 done,
               guint64 total)
{
  if (self->progress_func != NULL)
    self->progress_func (stage, detail, done, total, self->progress_data);
}

typedef struct
{
  OxpExporter *self;
  const char *file_name;
} WriteProgress;

static void
write_progress_cb (guint64 done, guint64 total, gpointer user_data)
{
  WriteProgress *wp = user_data;

  emit_progress (wp->self, OXP_EXPORT_STAGE_WRITE, wp->file_name, done, total);
}

/* --- Staging ----------------------------------------------------------------
 *
 * Every file of an export is written into a fresh hidden folder inside
 * OUTDIR (same file system, so each final rename(2) is atomic; beside
 * OUTDIR would need its parent to be writable), and moved into place only
 * once all of them are complete.  A failure or a signal removes the staging
 * folder and nothing else: what OUTDIR held before is never unlinked.
 * OUTDIR is locked with flock(2) on the folder itself, so a second export
 * into it is refused and no lock file is ever left behind. */

#define STAGING_PREFIX ".oxport-staging-"

static void add_warning (OxpExportResult *result, const char *format, ...) G_GNUC_PRINTF (2, 3);

typedef struct
{
  char *outdir;
  gboolean created_outdir;
  gboolean outdir_in_use; /* another export holds the lock: never removed */
  int outdir_fd;          /* holds the flock */
  char *staging;          /* NULL until created */
  int staging_fd;
  guint n_moved; /* files already renamed into OUTDIR */
} Stage;

/* What the signal handler needs, set before it is installed. */
static struct
{
  volatile sig_atomic_t armed;
  int staging_fd;
  const char *staging;
  const char *outdir;
  gboolean created_outdir;
} sig_stage = { 0, -1, NULL, NULL, FALSE };

static struct sigaction saved_actions[3];
static const int caught_signals[3] = { SIGINT, SIGTERM, SIGHUP };
/* A plugin's build_graph (or anything else) crashing mid-export must not
 * leave the staging folder behind either. */
static struct sigaction saved_crash_actions[5];
static const int crash_signals[5] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

/* Unlinks every entry of the (flat) folder open as @fd.  Only raw system
 * calls: it also runs in a signal handler. */
static void
empty_folder_fd (int fd)
{
  char buf[4096] __attribute__ ((aligned (8)));
  gboolean again = TRUE;

  /* Each pass rereads from the start: unlinking while reading may skip. */
  while (again)
    {
      long n;

      again = FALSE;
      if (lseek (fd, 0, SEEK_SET) < 0)
        return;
      while ((n = syscall (SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;)
          {
            struct
            {
              guint64 ino;
              gint64 off;
              unsigned short reclen;
              unsigned char type;
              char name[];
            } *d = (void *)(buf + off);

            off += d->reclen;
            if (d->name[0] == '.'
                && (d->name[1] == '\0' || (d->name[1] == '.' && d->name[2] == '\0')))
              continue;
            if (unlinkat (fd, d->name, 0) == 0)
              again = TRUE;
            else if (errno == EISDIR)
              {
                /* A module subfolder (sentence-transformers' 1_Pooling/):
                 * only syscalls, as the signal handler calls this too. */
                int sub = openat (fd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                  {
                    empty_folder_fd (sub);
                    close (sub);
                  }
                if (unlinkat (fd, d->name, AT_REMOVEDIR) == 0)
                  again = TRUE;
              }
          }
    }
}

static void
on_fatal_signal (int sig)
{
  int saved_errno = errno;

  if (sig_stage.armed)
    {
      empty_folder_fd (sig_stage.staging_fd);
      rmdir (sig_stage.staging);
      /* rmdir() refuses a folder that is not empty: OUTDIR goes only when
       * this run created it and nothing else is in it. */
      if (sig_stage.created_outdir)
        rmdir (sig_stage.outdir);
    }
  /* SA_RESETHAND restored the default action: die of the same signal so
   * the exit status stays 128+N. */
  errno = saved_errno;
  raise (sig);
}

/* Removes the staging folder once, then hands the signal to the handler
 * that was there before (the plugin crash report, or the default action),
 * so that whoever reports the crash still does and the process still dies
 * of it.  A fault re-executes on return and meets that handler; raise()
 * covers abort() and kill(). */
static void
on_crash_signal (int sig)
{
  int saved_errno = errno;

  if (sig_stage.armed)
    {
      sig_stage.armed = 0;
      empty_folder_fd (sig_stage.staging_fd);
      rmdir (sig_stage.staging);
      if (sig_stage.created_outdir)
        rmdir (sig_stage.outdir);
    }
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    if (crash_signals[i] == sig)
      sigaction (sig, &saved_crash_actions[i], NULL);
  errno = saved_errno;
  raise (sig);
}

static void
catch_signals (Stage *s)
{
  struct sigaction sa;

  sig_stage.staging_fd = s->staging_fd;
  sig_stage.staging = s->staging;
  sig_stage.outdir = s->outdir;
  sig_stage.created_outdir = s->created_outdir;
  sig_stage.armed = 1;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_RESETHAND;
  sigfillset (&sa.sa_mask);
  for (guint i = 0; i < G_N_ELEMENTS (caught_signals); i++)
    {
      sigaction (caught_signals[i], &sa, &saved_actions[i]);
      /* An ignored signal stays ignored (nohup, a background job's SIGINT). */
      if (saved_actions[i].sa_handler == SIG_IGN)
        sigaction (caught_signals[i], &saved_actions[i], NULL);
    }
  sa.sa_handler = on_crash_signal;
  sa.sa_flags = SA_NODEFER;
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    sigaction (crash_signals[i], &sa, &saved_crash_actions[i]);
}

static void
release_signals (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (caught_signals); i++)
    sigaction (caught_signals[i], &saved_actions[i], NULL);
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    sigaction (crash_signals[i], &saved_crash_actions[i], NULL);
  sig_stage.armed = 0;
}

/* Test hook (documented in tests/test-cli-export-safety.sh): when the
 * variable @var names a file, create it and wait until it is removed, so a
 * test can act at this point of the export deterministically. */
static void
test_pause (const char *var)
{
  const char *marker = g_getenv (var);
  int fd;

  if (marker == NULL || *marker == '\0')
    return;
  fd = g_open (marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd >= 0)
    close (fd);
  for (guint i = 0; i < 6000 && g_file_test (marker, G_FILE_TEST_EXISTS); i++)
    g_usleep (10 * 1000);
}

static gboolean
is_staging_name (const char *name)
{
  const char *p = name + strlen (STAGING_PREFIX);

  if (!g_str_has_prefix (name, STAGING_PREFIX) || !g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  return *p == '-' && strlen (p + 1) == 6;
}

/* ".model.onnx.tmp-1a2b3c4d": what the writer of oxport ≤ 0.x left in
 * OUTDIR itself when it was killed. */
static gboolean
is_old_writer_temporary (const char *name)
{
  const char *tmp = strstr (name, ".tmp-");

  if (name[0] != '.' || tmp == NULL || strlen (tmp + 5) != 8)
    return FALSE;
  for (const char *p = tmp + 5; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  {
    g_autofree char *base = g_strndup (name, (gsize)(tmp - name));

    return g_str_has_suffix (base, ".onnx") || g_str_has_suffix (base, ".onnx_data");
  }
}

/* Leftovers of killed exports into OUTDIR.  Every export holds the lock
 * while its staging folder exists, and we hold it now: any staging folder
 * here belongs to a run that is gone. */
static void
remove_stale_leftovers (Stage *s)
{
  g_autoptr (GDir) dir = g_dir_open (s->outdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (is_staging_name (name))
        {
          int fd = openat (s->outdir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

          if (fd < 0)
            continue;
          empty_folder_fd (fd);
          close (fd);
          unlinkat (s->outdir_fd, name, AT_REMOVEDIR);
        }
      else if (is_old_writer_temporary (name))
        unlinkat (s->outdir_fd, name, 0);
    }
}

/* Creates OUTDIR when missing (remembering it did, for the cleanup), takes
 * the lock, clears stale leftovers and creates the staging folder. */
static gboolean
stage_begin (Stage *s, OxpExportResult *result, GError **error)
{
  g_autofree char *tmpl = NULL;
  gboolean locked;
  GStatBuf st;

  if (g_mkdir (s->outdir, 0777) == 0)
    s->created_outdir = TRUE;
  else if (errno == ENOENT)
    {
      g_autofree char *parent = g_path_get_dirname (s->outdir);

      if (g_mkdir_with_parents (parent, 0777) == 0 && g_mkdir (s->outdir, 0777) == 0)
        s->created_outdir = TRUE;
    }
  if (!s->created_outdir && g_stat (s->outdir, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create output folder %s: %s", s->outdir, g_strerror (saved));
      return FALSE;
    }
  if (!s->created_outdir && !S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                   "Output folder %s exists and is not a folder", s->outdir);
      return FALSE;
    }

  s->outdir_fd = g_open (s->outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (s->outdir_fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot open output folder %s: %s", s->outdir, g_strerror (saved));
      return FALSE;
    }
  locked = flock (s->outdir_fd, LOCK_EX | LOCK_NB) == 0;
  if (!locked && (errno == ENOLCK || errno == EOPNOTSUPP))
    {
      /* Some network file systems have no locks: export anyway, but then
       * another run's staging folder may be alive and is left alone. */
      add_warning (result,
                   "%s: the file system cannot lock it (%s): a second export into it at the "
                   "same time would not be detected",
                   s->outdir, g_strerror (errno));
    }
  else if (!locked)
    {
      int saved = errno;

      /* Not removed even if we created it: the other export may be about
       * to write into it. */
      s->outdir_in_use = TRUE;
      if (saved == EWOULDBLOCK)
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_AGAIN,
                     "Output folder %s is locked by another oxport export that is writing into "
                     "it; wait for it to finish or choose another folder",
                     s->outdir);
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                     "Cannot lock output folder %s: %s", s->outdir, g_strerror (saved));
      return FALSE;
    }
  if (locked)
    remove_stale_leftovers (s);

  tmpl = g_strdup_printf ("%s/" STAGING_PREFIX "%d-XXXXXX", s->outdir, (int)getpid ());
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create a staging folder in %s: %s", s->outdir, g_strerror (saved));
      return FALSE;
    }
  s->staging = g_steal_pointer (&tmpl);
  s->staging_fd = g_open (s->staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (s->staging_fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot open staging folder %s: %s", s->staging, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
stage_remove_staging (Stage *s)
{
  /* The handler must not see the folder go (nor its name freed). */
  sig_stage.armed = 0;
  if (s->staging_fd >= 0)
    {
      empty_folder_fd (s->staging_fd);
      close (s->staging_fd);
      s->staging_fd = -1;
    }
  if (s->staging != NULL)
    g_rmdir (s->staging);
  g_clear_pointer (&s->staging, g_free);
}

/* Undoes a failed run: the staging folder, and OUTDIR when this run
 * created it and it is still empty.  Appends to @error what became of
 * OUTDIR, so that the message never claims more than was done. */
static void
stage_abort (Stage *s, OxpExportResult *result, GError **error)
{
  g_autoptr (GString) what = g_string_new (NULL);

  stage_remove_staging (s);
  if (s->n_moved > 0)
    {
      g_string_append_printf (what, " %u file%s had already been moved into %s:", s->n_moved,
                              s->n_moved == 1 ? "" : "s", s->outdir);
      for (guint i = 0; i < s->n_moved; i++)
        g_string_append_printf (what, "%s %s", i ? "," : "",
                                (const char *)g_ptr_array_index (result->files, i));
      g_string_append (what, "; nothing else in it was changed.");
    }
  else if (s->created_outdir && s->outdir_in_use)
    g_string_append_printf (what, " %s was created by this run and is left for the other export.",
                            s->outdir);
  else if (s->created_outdir && g_rmdir (s->outdir) == 0)
    g_string_append_printf (what, " %s, which this run had created, was removed.", s->outdir);
  else if (s->created_outdir)
    g_string_append_printf (what, " %s was created by this run and is left (it is not empty).",
                            s->outdir);
  else if (!g_file_test (s->outdir, G_FILE_TEST_EXISTS))
    g_string_append_printf (what, " %s was not created.", s->outdir);
  else
    g_string_append_printf (what, " Nothing in %s was changed.", s->outdir);
  if (error != NULL && *error != NULL && what->len > 0)
    {
      char *message = g_strconcat (
          (*error)->message, g_str_has_suffix ((*error)->message, ".") ? "" : ".", what->str, NULL);

      g_free ((*error)->message);
      (*error)->message = message;
    }
}

static void
stage_clear (Stage *s)
{
  if (s->outdir_fd >= 0)
    close (s->outdir_fd); /* releases the lock */
  s->outdir_fd = -1;
  g_clear_pointer (&s->staging, g_free);
  g_clear_pointer (&s->outdir, g_free);
}

/* renameat() of "SUB/NAME" between folders opened without following
 * symlinks, SUB created in OUTDIR when missing; errno is set on failure. */
static gboolean
rename_into_subfolder (Stage *s, const char *name)
{
  g_autofree char *sub = g_path_get_dirname (name);
  g_autofree char *base = g_path_get_basename (name);
  const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int from, to, saved;
  gboolean ok;

  if (mkdirat (s->outdir_fd, sub, 0755) != 0 && errno != EEXIST)
    return FALSE;
  if ((from = openat (s->staging_fd, sub, flags)) < 0)
    return FALSE;
  if ((to = openat (s->outdir_fd, sub, flags)) < 0)
    {
      saved = errno;
      close (from);
      errno = saved;
      return FALSE;
    }
  ok = renameat (from, base, to, base) == 0;
  saved = errno;
  close (from);
  close (to);
  errno = saved;
  return ok;
}

/* Moves every staged file over its final name, in writing order.  A name
 * held by a folder in OUTDIR would fail its rename half-way through the
 * moves: that is checked for every file before the first one moves. */
static gboolean
stage_commit (Stage *s, OxpExportResult *result, GError **error)
{
  for (guint i = 0; i < result->files->len; i++)
    {
      const char *name = g_ptr_array_index (result->files, i);
      struct stat st;

      if (fstatat (s->outdir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO,
                       "Cannot write %s into %s: a folder of that name is in the way", name,
                       s->outdir);
          return FALSE;
        }
      if (strchr (name, '/') != NULL)
        {
          g_autofree char *sub = g_path_get_dirname (name);

          /* Not followed: a symlink there would move the file out of OUTDIR. */
          if (fstatat (s->outdir_fd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR (st.st_mode))
            {
              g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO,
                           "Cannot write %s into %s: %s there is not a folder", name, s->outdir,
                           sub);
              return FALSE;
            }
        }
    }
  for (guint i = 0; i < result->files->len; i++)
    {
      const char *name = g_ptr_array_index (result->files, i);

      if (strchr (name, '/') != NULL ? !rename_into_subfolder (s, name)
                                     : renameat (s->staging_fd, name, s->outdir_fd, name) != 0)
        {
          int saved = errno;
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO,
                       "Could not move %s from %s into %s: %s", name, s->staging, s->outdir,
                       g_strerror (saved));
          return FALSE;
        }
      s->n_moved++;
    }
  stage_remove_staging (s);
  return TRUE;
}

static void
add_warning (OxpExportResult *result, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (result->warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Records @name's size, again when a later model appended to it. */
static void
record_file (Stage *s, OxpExportResult *result, const char *name)
{
  struct stat st;
  guint64 size = 0;

  if (fstatat (s->staging_fd, name, &st, 0) == 0)
    size = (guint64)st.st_size;
  for (guint i = 0; i < result->files->len; i++)
    if (g_str_equal (g_ptr_array_index (result->files, i), name))
      {
        g_array_index (result->sizes, guint64, i) = size;
        return;
      }
  g_ptr_array_add (result->files, g_strdup (name));
  g_array_append_val (result->sizes, size);
}

/* The folder side files must resolve into: the model folder itself, or for
 * a snapshot of the Hugging Face hub cache (models--ORG--NAME/snapshots/REV,
 * whose files are symlinks into ../../blobs) the repository folder. */
static char *
side_file_root (const char *model_dir)
{
  g_autofree char *real = realpath (model_dir, NULL);
  g_autofree char *parent = NULL;
  g_autofree char *parent_name = NULL;
  g_autofree char *repo = NULL;
  g_autofree char *repo_name = NULL;

  if (real == NULL)
    return NULL;
  parent = g_path_get_dirname (real);
  parent_name = g_path_get_basename (parent);
  repo = g_path_get_dirname (parent);
  repo_name = g_path_get_basename (repo);
  if (strcmp (parent_name, "snapshots") == 0 && g_str_has_prefix (repo_name, "models--"))
    return g_steal_pointer (&repo);
  return g_steal_pointer (&real);
}

static gboolean
path_is_inside (const char *path, const char *root)
{
  gsize n = strlen (root);

  return strncmp (path, root, n) == 0 && (path[n] == '/' || (n == 1 && root[0] == '/'));
}

/* Copies @name from the model folder into the staging folder.  The model
 * folder is untrusted: a symlink resolving outside it (tokenizer.json ->
 * /etc/shadow) or anything but a regular file is skipped with a warning,
 * and the copy never gets wider permissions than its source. */
static gboolean
copy_side_file (OxpExporter *self, Stage *s, OxpExportResult *result, const char *root,
                const char *model_dir, const char *name, GError **error)
{
  g_autofree char *src_path = g_build_filename (model_dir, name, NULL);
  g_autofree char *real = NULL;
  g_autofree char *buf = NULL;
  struct stat st, real_st;
  int in = -1, out = -1;
  gboolean ok = FALSE;

  if (lstat (src_path, &st) != 0)
    return TRUE; /* absent: nothing to copy */
  /* Decided on the resolved name before anything is opened: opening
   * /proc/self/mem or a device may itself have effects. */
  real = realpath (src_path, NULL);
  if (real == NULL || stat (real, &real_st) != 0)
    {
      add_warning (result, "%s: cannot be resolved (%s): not copied", src_path, g_strerror (errno));
      return TRUE;
    }
  if (root == NULL || !path_is_inside (real, root))
    {
      add_warning (result, "%s: a symbolic link to %s, outside the model folder: not copied",
                   src_path, real);
      return TRUE;
    }
  if (!S_ISREG (real_st.st_mode))
    {
      add_warning (result, "%s: not a regular file: not copied", src_path);
      return TRUE;
    }
  in = g_open (real, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
  if (in < 0)
    {
      add_warning (result, "%s: cannot be opened (%s): not copied", src_path, g_strerror (errno));
      return TRUE;
    }
  /* The file opened must be the one checked. */
  if (fstat (in, &st) != 0 || real_st.st_dev != st.st_dev || real_st.st_ino != st.st_ino)
    {
      add_warning (result, "%s: changed while being opened: not copied", src_path);
      goto out_ok;
    }

  emit_progress (self, OXP_EXPORT_STAGE_COPY, name, 0, 0);
  /* A file of a module subfolder ("1_Pooling/config.json") gets that
   * folder in the staging folder. */
  if (strchr (name, '/') != NULL)
    {
      g_autofree char *sub = g_path_get_dirname (name);
      if (mkdirat (s->staging_fd, sub, 0755) != 0 && errno != EEXIST)
        {
          int saved = errno;
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO,
                       "Cannot copy %s: cannot create %s in %s: %s", src_path, sub, s->staging,
                       g_strerror (saved));
          goto out;
        }
    }
  /* The source's permission bits, narrowed further by the umask. */
  out = openat (s->staging_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                (mode_t)(st.st_mode & 0777));
  if (out < 0)
    {
      int saved = errno;
      g_set_error (
          error, OXP_EXPORT_ERROR,
          saved == ENOSPC || saved == EDQUOT ? OXP_EXPORT_ERROR_NO_SPACE : OXP_EXPORT_ERROR_IO,
          "Cannot copy %s: cannot create it in %s: %s", src_path, s->staging, g_strerror (saved));
      goto out;
    }
  buf = g_malloc (1 << 16);
  for (;;)
    {
      ssize_t n = read (in, buf, 1 << 16);
      ssize_t w = 0;

      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO, "Cannot read %s: %s", src_path,
                       g_strerror (saved));
          goto out;
        }
      if (n == 0)
        break;
      while (w < n)
        {
          ssize_t k = write (out, buf + w, (gsize)(n - w));

          if (k < 0 && errno == EINTR)
            continue;
          if (k <= 0)
            {
              int saved = k < 0 ? errno : ENOSPC;
              g_set_error (error, OXP_EXPORT_ERROR,
                           saved == ENOSPC || saved == EFBIG || saved == EDQUOT
                               ? OXP_EXPORT_ERROR_NO_SPACE
                               : OXP_EXPORT_ERROR_IO,
                           "Cannot copy %s to %s: %s%s", src_path, s->outdir, g_strerror (saved),
                           saved == EFBIG ? " (a file size limit was hit)" : "");
              goto out;
            }
          w += k;
        }
    }
  if (close (out) != 0)
    {
      int saved = errno;
      out = -1;
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO, "Cannot copy %s to %s: %s",
                   src_path, s->outdir, g_strerror (saved));
      goto out;
    }
  out = -1;
  record_file (s, result, name);
out_ok:
  ok = TRUE;
out:
  if (out >= 0)
    close (out);
  close (in);
  return ok;
}

static gboolean
is_sentencepiece_model (const char *name)
{
  /* spiece.model, sentencepiece.bpe.model, tokenizer.model, … */
  return g_str_has_suffix (name, ".model");
}

/* sentence-transformers' own files: the folder's, and each module
 * folder's config.json (module paths were checked to be plain subfolders
 * when the modules were read; the copy checks them again). */
static gboolean
copy_sentence_transformers_files (OxpExporter *self, Stage *s, OxpExportResult *result,
                                  const char *root, const char *model_dir, GError **error)
{
  static const char *const files[]
      = { "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", NULL };
  g_autofree char *modules_path = g_build_filename (model_dir, "modules.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root_node;

  for (guint i = 0; files[i] != NULL; i++)
    if (!copy_side_file (self, s, result, root, model_dir, files[i], error))
      return FALSE;
  if (!json_parser_load_from_mapped_file (parser, modules_path, NULL)
      || !JSON_NODE_HOLDS_ARRAY ((root_node = json_parser_get_root (parser))))
    return TRUE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root_node)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (root_node), i);
      const char *path = JSON_NODE_HOLDS_OBJECT (node)
                             ? json_object_get_string_member_with_default (
                                 json_node_get_object (node), "path", "")
                             : "";
      g_autofree char *name = NULL;

      if (path[0] == '\0' || strchr (path, '/') != NULL || g_str_equal (path, ".")
          || g_str_equal (path, ".."))
        continue;
      name = g_build_filename (path, "config.json", NULL);
      if (!copy_side_file (self, s, result, root, model_dir, name, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
copy_side_files (OxpExporter *self, Stage *s, OxpExportResult *result, const char *model_dir,
                 gboolean sentence_transformers, GError **error)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *root = side_file_root (model_dir);
  const char *name;

  for (guint i = 0; copied_files[i] != NULL; i++)
    if (!copy_side_file (self, s, result, root, model_dir, copied_files[i], error))
      return FALSE;
  if (sentence_transformers
      && !copy_sentence_transformers_files (self, s, result, root, model_dir, error))
    return FALSE;

  dir = g_dir_open (model_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_sentencepiece_model (name))
      g_ptr_array_add (models, g_strdup (name));
  g_ptr_array_sort (models, (GCompareFunc)g_strcmp0);
  for (guint i = 0; i < models->len; i++)
    if (!copy_side_file (self, s, result, root, model_dir, g_ptr_array_index (models, i), error))
      return FALSE;
  return TRUE;
}

static char *
graph_name_for (OxpOnnxConfig *config)
{
  const char *file = oxp_onnx_config_get_file_name (config);
  const char *dot = file != NULL ? strrchr (file, '.') : NULL;

  if (file == NULL)
    return g_strdup ("main_graph");
  return dot != NULL ? g_strndup (file, (gsize)(dot - file)) : g_strdup (file);
}

/* Replaces the main graph's input and output specs by fixed ones.  The
 * only subgraphs, a merged decoder's If branches, were refused with fixed
 * dims in export_shapes(). */
static gboolean
fix_graph_dims (OxpGraph *graph, const OxpShapes *shapes, GError **error)
{
  GPtrArray *lists[2] = { oxp_graph_get_inputs (graph), oxp_graph_get_outputs (graph) };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        OxpTensorSpec *spec = g_ptr_array_index (lists[l], i);
        OxpTensorSpec *fixed = oxp_tensor_spec_new_fixed (spec, shapes, error);

        if (fixed == NULL)
          return FALSE;
        lists[l]->pdata[i] = fixed;
        oxp_tensor_spec_unref (spec);
      }
  return TRUE;
}

/* A decoder and decoder with past (seq2seq, or optimum 1.13's split
 * decoder-only files of --legacy) hold the same weights: with external
 * data allowed, both refer to one decoder_model.onnx_data that stores each
 * tensor once (the with-past graph appends what only it has).  The merged
 * decoder stays self-contained, for transformers.js, which loads it alone
 * (with the encoder of a seq2seq model). */
static gboolean
shares_decoder_data (OxpOnnxConfig *config)
{
  const char *file_name = oxp_onnx_config_get_file_name (config);

  return OXP_IS_ONNX_CONFIG_WITH_PAST (config)
         && (g_strcmp0 (file_name, "decoder_model.onnx") == 0
             || g_strcmp0 (file_name, "decoder_with_past_model.onnx") == 0);
}

/* The shared file's name in the staging folder: the layout's name of
 * decoder_model.onnx, with "_data" (onnx/decoder_model_fp16.onnx_data). */
static char *
shared_data_name (OxpExporter *self)
{
  g_autofree char *model = layout_file_name (self, "decoder_model.onnx");

  return g_strconcat (model, "_data", NULL);
}

static OxpSharedData *
shared_decoder_data_new (OxpExporter *self, Stage *s, GPtrArray *submodels)
{
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  guint n = 0;

  if (self->external_data == OXP_EXTERNAL_DATA_NEVER)
    return NULL;
  for (guint i = 0; i < submodels->len; i++)
    n += shares_decoder_data (g_ptr_array_index (submodels, i)) ? 1 : 0;
  if (n < 2)
    return NULL;
  /* Beside the files that refer to it, in the layout's folder. */
  name = shared_data_name (self);
  if (strchr (name, '/') != NULL)
    {
      g_autofree char *sub = g_path_get_dirname (name);

      if (mkdirat (s->staging_fd, sub, 0755) != 0 && errno != EEXIST)
        return NULL; /* each file then keeps its own data */
    }
  path = g_build_filename (s->staging, name, NULL);
  return _oxp_shared_data_new (path);
}

static gboolean
write_submodel (OxpExporter *self, Stage *s, OxpExportResult *result, OxpOnnxConfig *config,
                OxpCheckpoint *checkpoint, GHashTable *used, OxpSharedData *shared,
                const OxpShapes *fixed_shapes, GError **error)
{
  g_autofree char *file_name = layout_file_name (self, oxp_onnx_config_get_file_name (config));
  g_autofree char *graph_name = graph_name_for (config);
  g_autofree char *path = NULL;
  g_autofree char *data_name = NULL;
  g_autofree char *task = NULL;
  g_autoptr (OxpGraph) graph = NULL;
  g_autoptr (OxpOnnxWriter) writer = NULL;
  WriteProgress wp = { self, file_name };
  GPtrArray *inits;
  guint opset;
  struct stat st;

  if (self->opset != 0 && !oxp_onnx_config_set_opset (config, self->opset, error))
    return FALSE;
  opset = oxp_onnx_config_get_opset (config);
  if (opset == 0)
    opset = oxp_onnx_config_get_default_opset (config);
  /* Where (the masks) takes bfloat16 from opset 16 on; below, a bf16
   * graph is not valid ONNX. */
  if (self->float_type == OXP_DATA_TYPE_BFLOAT16 && self->opset == 0 && opset < 16)
    opset = 16;
  /* LayerNormalization is what ORT's fusions start from. */
  if (self->optimize_level > 0 && self->opset == 0 && opset < 17)
    opset = 17;
  result->opset = opset;

  emit_progress (self, OXP_EXPORT_STAGE_BUILD, file_name, 0, 0);
  graph = oxp_graph_new (graph_name, opset);
  oxp_graph_set_optimize_level (graph, self->optimize_level);
  oxp_onnx_config_set_float_type (config, self->float_type);
  oxp_graph_set_float_type (graph, self->float_type);
  if (self->quant_bits != 0)
    {
      oxp_graph_set_quantize (graph, self->quant_bits, self->quant_block_size,
                              self->quant_symmetric, self->quant_exclude);
      oxp_graph_set_quantize_accuracy_level (graph, self->quant_accuracy_level);
      oxp_graph_set_quantize_scales_type (graph, self->quant_scales_type);
    }
  if (!oxp_onnx_config_build_graph (config, graph, checkpoint, error))
    return FALSE;
  if (fixed_shapes != NULL)
    {
      if (!fix_graph_dims (graph, fixed_shapes, error))
        return FALSE;
      oxp_onnx_config_set_fixed_shapes (config, fixed_shapes);
    }

  writer = oxp_onnx_writer_new ();
  oxp_onnx_writer_set_external_data (writer, self->external_data);
  if (shared != NULL && shares_decoder_data (config))
    _oxp_onnx_writer_set_shared_data (writer, shared);
  else
    shared = NULL;
  oxp_onnx_writer_set_metadata (writer, "source_model_type",
                                oxp_onnx_config_get_model_type (config));
  /* The task as given to export it again ("text-generation-with-past" for a
   * decoder returning its cache), so that `oxport validate` rebuilds the
   * same config from the metadata. */
  task = OXP_IS_ONNX_CONFIG_WITH_PAST (config)
                 && oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (config))
                 && !g_str_has_suffix (oxp_onnx_config_get_task (config), OXP_WITH_PAST_SUFFIX)
             ? g_strconcat (oxp_onnx_config_get_task (config), OXP_WITH_PAST_SUFFIX, NULL)
             : g_strdup (oxp_onnx_config_get_task (config));
  oxp_onnx_writer_set_metadata (writer, "task", task);
  oxp_onnx_writer_set_metadata (writer, "oxport_version", PACKAGE_VERSION);
  if (self->optimize_level > 0)
    {
      g_autofree char *level = g_strdup_printf ("O%u", self->optimize_level);
      oxp_onnx_writer_set_metadata (writer, "oxport_optimize", level);
    }
  if (self->quant_bits != 0)
    {
      g_autofree char *bits = g_strdup_printf ("int%u", self->quant_bits);
      g_autofree char *block = g_strdup_printf ("%u", self->quant_block_size);
      g_autofree char *exclude = quantize_exclude_to_string (self->quant_exclude);
      g_autofree char *accuracy = g_strdup_printf ("%u", self->quant_accuracy_level);

      oxp_onnx_writer_set_metadata (writer, "oxport_quantize", bits);
      oxp_onnx_writer_set_metadata (writer, "oxport_quantize_block_size", block);
      oxp_onnx_writer_set_metadata (writer, "oxport_quantize_scheme",
                                    self->quant_symmetric ? "symmetric" : "asymmetric");
      oxp_onnx_writer_set_metadata (writer, "oxport_quantize_exclude", exclude);
      oxp_onnx_writer_set_metadata (writer, "oxport_quantize_scales",
                                    oxp_data_type_to_string (quantize_scales_type (self)));
      oxp_onnx_writer_set_metadata (writer, "oxport_quantize_accuracy_level", accuracy);
    }
  /* So that `oxport validate` checks the file against its fixed dims. */
  if (fixed_shapes != NULL)
    {
      g_autofree char *text = g_strdup_printf (
          "batch_size=%" G_GINT64_FORMAT ",sequence_length=%" G_GINT64_FORMAT
          ",past_sequence_length=%" G_GINT64_FORMAT ",encoder_sequence_length=%" G_GINT64_FORMAT
          ",num_choices=%" G_GINT64_FORMAT ",width=%" G_GINT64_FORMAT ",height=%" G_GINT64_FORMAT
          ",num_channels=%" G_GINT64_FORMAT ",feature_size=%" G_GINT64_FORMAT
          ",nb_max_frames=%" G_GINT64_FORMAT ",audio_sequence_length=%" G_GINT64_FORMAT,
          fixed_shapes->batch_size, fixed_shapes->sequence_length,
          fixed_shapes->past_sequence_length, fixed_shapes->encoder_sequence_length,
          fixed_shapes->num_choices, fixed_shapes->width, fixed_shapes->height,
          fixed_shapes->num_channels, fixed_shapes->feature_size, fixed_shapes->nb_max_frames,
          fixed_shapes->audio_sequence_length);

      oxp_onnx_writer_set_metadata (writer, "oxport_fixed_shapes", text);
    }
  oxp_onnx_writer_set_progress_func (writer, write_progress_cb, &wp, NULL);

  /* Which checkpoint tensors the graph reads, for the unused-tensor check. */
  inits = _oxp_graph_get_initializers (graph);
  for (guint i = 0; i < inits->len; i++)
    {
      const OxpInitializer *init = g_ptr_array_index (inits, i);

      if (init->is_weight && init->checkpoint == checkpoint)
        g_hash_table_add (used, (gpointer)init->data);
    }

  test_pause ("OXP_TEST_PAUSE_BEFORE_WRITE");
  if (strchr (file_name, '/') != NULL)
    {
      g_autofree char *sub = g_path_get_dirname (file_name);

      if (mkdirat (s->staging_fd, sub, 0755) != 0 && errno != EEXIST)
        {
          int saved = errno;
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO, "Cannot create %s in %s: %s",
                       sub, s->staging, g_strerror (saved));
          return FALSE;
        }
    }
  path = g_build_filename (s->staging, file_name, NULL);
  emit_progress (self, OXP_EXPORT_STAGE_WRITE, file_name, 0, oxp_graph_get_weights_size (graph));
  if (!oxp_onnx_writer_write (writer, graph, path, error))
    return FALSE;
  record_file (s, result, file_name);

  /* The writer puts large weights into "<file>_data" (or the shared
   * file); the staging folder is fresh, so one there is this run's. */
  data_name = shared != NULL ? shared_data_name (self) : g_strconcat (file_name, "_data", NULL);
  if (fstatat (s->staging_fd, data_name, &st, 0) == 0)
    record_file (s, result, data_name);
  return TRUE;
}

/* The task to export: the canonical form of the one asked for, or the one
 * config.json's "architectures" implies. */
static char *
choose_task (OxpExporter *self, JsonObject *config, gboolean *inferred, GError **error)
{
  const char *canonical;

  if (self->task == NULL)
    {
      const char *model_type
          = json_object_get_string_member_with_default (config, "model_type", NULL);
      g_autoptr (GPtrArray) supported = NULL;

      /* An unknown model type is the real problem, not the task. */
      supported = oxp_tasks_manager_get_supported_tasks (self->manager, model_type, error);
      if (supported == NULL)
        return NULL;
      *inferred = TRUE;
      return oxp_tasks_manager_infer_task (self->manager, config, error);
    }
  *inferred = FALSE;
  canonical = oxp_tasks_manager_canonical_task (self->task);
  if (canonical == NULL)
    {
      g_autofree char *shown = _oxp_truncate_for_message (self->task);

      g_set_error (
          error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK,
          "Unknown task “%s” (see `oxport tasks MODEL_TYPE` for the tasks a model supports)",
          shown);
      return NULL;
    }
  return g_strdup (canonical);
}

/* The tolerance asked for, else the config's (loosened for half precision). */
static double
exporter_atol (OxpExporter *self, OxpOnnxConfig *config)
{
  double atol = oxp_onnx_config_get_atol (config);

  if (self->atol >= 0)
    return self->atol;
  if (self->float_type != OXP_DATA_TYPE_FLOAT)
    atol = MAX (atol, OXP_EXPORTER_HALF_ATOL);
  if (self->optimize_level >= 3)
    atol = MAX (atol, OXP_EXPORTER_APPROX_ATOL);
  return atol;
}

/* Runs every written file in ONNX Runtime.  Never fails the export: the
 * outcome goes into @result, and the files stay. */
static void
validate_outputs (OxpExporter *self, OxpExportResult *result, const OxpShapes *shapes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpValidator) validator = NULL;
  gint64 start = g_get_monotonic_time ();

  runtime = oxp_runtime_new (self->runtime_path, self->verbose, &error);
  if (runtime == NULL)
    {
      result->validation = OXP_EXPORT_VALIDATION_SKIPPED;
      result->validation_message = g_strdup (error->message);
      return;
    }
  result->runtime_version = g_strdup (oxp_runtime_get_version (runtime));
  validator = oxp_validator_new (runtime);
  oxp_validator_set_reference (validator, self->reference);
  {
    OxpShapes second;

    /* A fixed file has one shape set: the validator sees the fixed dims in
     * the config and runs once. */
    oxp_validator_get_shapes (validator, NULL, &second);
    oxp_validator_set_shapes (validator, shapes, self->dynamic_axes ? &second : shapes);
  }

  result->validation = OXP_EXPORT_VALIDATION_PASSED;
  for (guint i = 0; i < result->submodels->len; i++)
    {
      OxpOnnxConfig *config = g_ptr_array_index (result->submodels, i);
      g_autofree char *file_name = layout_file_name (self, oxp_onnx_config_get_file_name (config));
      g_autofree char *path = g_build_filename (result->outdir, file_name, NULL);
      g_autoptr (GError) local_error = NULL;
      OxpValidationReport *report = NULL;

      emit_progress (self, OXP_EXPORT_STAGE_VALIDATE, file_name, i, result->submodels->len);
      oxp_validator_set_atol (validator, exporter_atol (self, config));
      if (!oxp_validator_validate (validator, config, path, &report, &local_error))
        {
          /* ORT's CPU provider has no bfloat16 kernels for most operators:
           * a bf16 file it cannot even load is not known to be wrong. */
          if (self->float_type == OXP_DATA_TYPE_BFLOAT16
              && g_error_matches (local_error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_LOAD)
              && strstr (local_error->message, "Could not find an implementation") != NULL)
            {
              if (result->validation == OXP_EXPORT_VALIDATION_PASSED)
                result->validation = OXP_EXPORT_VALIDATION_SKIPPED;
              if (result->validation_message == NULL)
                result->validation_message = g_strdup_printf (
                    "not run: this ONNX Runtime has no bfloat16 kernel for an operator of %s "
                    "(%s); export with --dtype fp16 or fp32 to validate",
                    file_name, local_error->message);
            }
          else
            {
              result->validation = OXP_EXPORT_VALIDATION_FAILED;
              if (result->validation_message == NULL
                  || g_str_has_prefix (result->validation_message, "not run:"))
                {
                  g_free (result->validation_message);
                  result->validation_message = g_strdup (local_error->message);
                }
            }
        }
      if (report != NULL)
        g_ptr_array_add (result->reports, report);
    }

  /* A seq2seq export with past: its files run as a generation loop runs
   * them, each fed what the one before returned. */
  {
    g_autoptr (GError) local_error = NULL;
    OxpValidationReport *report = NULL;
    OxpOnnxConfig *step = NULL;

    for (guint i = 0; i < result->submodels->len; i++)
      if (g_strcmp0 (oxp_onnx_config_get_file_name (g_ptr_array_index (result->submodels, i)),
                     "decoder_with_past_model.onnx")
          == 0)
        step = g_ptr_array_index (result->submodels, i);
    if (step != NULL && self->float_type != OXP_DATA_TYPE_BFLOAT16)
      {
        oxp_validator_set_atol (validator, exporter_atol (self, step));
        if (!oxp_validator_validate_chain (validator, result->submodels, result->outdir, &report,
                                           &local_error))
          {
            result->validation = OXP_EXPORT_VALIDATION_FAILED;
            if (result->validation_message == NULL
                || g_str_has_prefix (result->validation_message, "not run:"))
              {
                g_free (result->validation_message);
                result->validation_message = g_strdup (local_error->message);
              }
          }
        if (report != NULL)
          g_ptr_array_add (result->reports, report);
      }
  }
  result->validation_elapsed = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/* Refuses an OUTDIR that is the model folder (under any name): renaming
 * over its config.json would replace the checkpoint's own. */
static gboolean
check_outdir_is_not_model (const char *model_dir, const char *outdir, GError **error)
{
  GStatBuf out_st, model_st;

  if (g_stat (outdir, &out_st) != 0 || g_stat (model_dir, &model_st) != 0)
    return TRUE;
  if (out_st.st_dev == model_st.st_dev && out_st.st_ino == model_st.st_ino)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "Output folder %s is the model folder %s: oxport does not write over the "
                   "checkpoint it reads; choose another folder",
                   outdir, model_dir);
      return FALSE;
    }
  return TRUE;
}

/* Checkpoint tensors that no graph reads: config.json and the weights
 * disagree (transformers warns the same way when loading). */
static gboolean
check_unused_tensors (OxpExporter *self, OxpExportResult *result, OxpCheckpoint *checkpoint,
                      GHashTable *used, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);
  guint n_unused = 0;

  for (guint i = 0; i < oxp_checkpoint_get_n_tensors (checkpoint); i++)
    {
      const OxpCheckpointTensor *t = oxp_checkpoint_get_nth (checkpoint, i);

      const char *name = oxp_checkpoint_tensor_get_name (t);

      /* optimum's tasks have no pooler_output (feature-extraction gives
       * last_hidden_state only): the pooler is dropped by design. */
      if (g_hash_table_contains (used, oxp_checkpoint_tensor_get_data (t))
          || g_str_has_prefix (name, "pooler.") || strstr (name, ".pooler.") != NULL)
        continue;
      if (n_unused++ < 5)
        g_string_append_printf (names, "%s'%s'", n_unused > 1 ? ", " : "", name);
    }
  if (n_unused == 0)
    return TRUE;
  if (n_unused > 5)
    g_string_append_printf (names, " and %u more", n_unused - 5);
  if (self->strict)
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                   "%s: %u checkpoint tensor%s not used by the export (does config.json match "
                   "the weights?): %s",
                   oxp_checkpoint_get_path (checkpoint), n_unused, n_unused == 1 ? " is" : "s are",
                   names->str);
      return FALSE;
    }
  add_warning (result,
               "%s: %u checkpoint tensor%s not used by the export (does config.json match the "
               "weights?): %s",
               oxp_checkpoint_get_path (checkpoint), n_unused, n_unused == 1 ? " is" : "s are",
               names->str);
  return TRUE;
}

/* Whether the dim @param names one of @names, alone or in a sum
 * ("past_sequence_length + sequence_length", "encoder_sequence_length / 2"). */
static gboolean
dim_mentions (const char *param, const char *const *names)
{
  g_auto (GStrv) terms = g_strsplit_set (param, "+*/", -1);

  for (guint t = 0; terms[t] != NULL; t++)
    if (g_strv_contains (names, g_strstrip (terms[t])))
      return TRUE;
  return FALSE;
}

/* "input_ids [batch_size,sequence_length], …" of every submodel. (transfer full) */
static char *
describe_inputs (GPtrArray *submodels)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint m = 0; m < submodels->len; m++)
    {
      g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (g_ptr_array_index (submodels, m));

      for (guint i = 0; i < inputs->len; i++)
        {
          const OxpTensorSpec *spec = g_ptr_array_index (inputs, i);
          g_autofree char *dims = NULL;

          /* The cache inputs say nothing more than the first. */
          if (g_str_has_prefix (oxp_tensor_spec_get_name (spec), "past_key_values.")
              && !g_str_has_prefix (oxp_tensor_spec_get_name (spec), "past_key_values.0."))
            continue;
          if (!g_hash_table_add (seen, (gpointer)oxp_tensor_spec_get_name (spec)))
            continue;
          dims = oxp_tensor_spec_dims_to_string (spec);
          g_string_append_printf (s, "%s%s [%s]", s->len > 0 ? ", " : "",
                                  oxp_tensor_spec_get_name (spec), dims);
        }
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The shapes of the export: optimum's defaults with the sizes given, each
 * checked to apply to an input of the model (a width for a text model, or a
 * height other than the one config.json fixes, cannot be honoured). */
static gboolean
export_shapes (OxpExporter *self, OxpExportResult *result, GPtrArray *submodels, OxpShapes *shapes,
               GError **error)
{
  static const struct
  {
    const char *names[4]; /* the dim names the shape sizes */
    const char *input;    /* else the input and axis it sizes, maybe fixed */
    guint axis;
  } uses[8] = {
    { { "batch_size", "text_batch_size", "image_batch_size", NULL }, NULL, 0 },
    { { "sequence_length", "decoder_sequence_length", NULL }, NULL, 0 },
    { { "num_choices", NULL }, NULL, 0 },
    { { "width", NULL }, "pixel_values", 3 },
    { { "height", NULL }, "pixel_values", 2 },
    { { "num_channels", NULL }, "pixel_values", 1 },
    { { "feature_size", NULL }, "input_features", 1 },
    { { "nb_max_frames", NULL }, "input_features", 2 },
  };
  gboolean audio = FALSE;

  oxp_shapes_init_default (shapes);
  for (guint m = 0; m < submodels->len; m++)
    {
      g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (g_ptr_array_index (submodels, m));

      audio = audio || oxp_tensor_spec_array_find (inputs, "input_features") != NULL;
      /* Its two branches take and give different sizes (the cache branch a
       * past, the other none): no one set of fixed dims fits both. */
      if (!self->dynamic_axes && oxp_tensor_spec_array_find (inputs, "use_cache_branch") != NULL)
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                       "%s cannot have fixed dims: its use_cache_branch switches between a "
                       "branch with a cache and one without, which take different sizes; "
                       "export without the cache (a task without -with-past)%s",
                       oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, m)),
                       self->legacy ? " or without --legacy" : "");
          return FALSE;
        }
    }
  for (guint k = 0; k < G_N_ELEMENTS (uses); k++)
    {
      gint64 value = self->shape_values[k];
      gboolean applies = FALSE;

      if (value == 0)
        continue;
      for (guint m = 0; m < submodels->len && !applies; m++)
        {
          g_autoptr (GPtrArray) inputs
              = oxp_onnx_config_get_inputs (g_ptr_array_index (submodels, m));

          for (guint i = 0; i < inputs->len && !applies; i++)
            {
              const OxpTensorSpec *spec = g_ptr_array_index (inputs, i);
              gboolean at_axis = uses[k].input != NULL
                                 && g_str_equal (oxp_tensor_spec_get_name (spec), uses[k].input)
                                 && uses[k].axis < oxp_tensor_spec_get_rank (spec);

              if (at_axis && oxp_tensor_spec_get_dim_param (spec, uses[k].axis) == NULL)
                {
                  gint64 fixed = oxp_tensor_spec_get_dim_value (spec, uses[k].axis);

                  if (fixed >= 0 && fixed != value)
                    {
                      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                                   "%s %" G_GINT64_FORMAT
                                   " does not fit %s: its %s is %" G_GINT64_FORMAT
                                   " (axis %u of %s), fixed by config.json",
                                   shape_names[k], value, result->model_type, shape_names[k], fixed,
                                   uses[k].axis, uses[k].input);
                      return FALSE;
                    }
                  applies = TRUE;
                  continue;
                }
              applies = at_axis;
              for (guint d = 0; d < oxp_tensor_spec_get_rank (spec) && !applies; d++)
                {
                  const char *param = oxp_tensor_spec_get_dim_param (spec, d);

                  applies
                      = param != NULL
                        && (dim_mentions (param, uses[k].names)
                            /* a text encoder's tokens */
                            || (k == 1 && !audio
                                && dim_mentions (param, (const char *const[]){
                                                            "encoder_sequence_length", NULL })));
                }
            }
        }
      if (!applies)
        {
          g_autofree char *described = describe_inputs (submodels);

          g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                       "%s does not apply to %s (%s): no input has that dim; its inputs are %s",
                       shape_names[k], result->model_type, result->task, described);
          return FALSE;
        }
    }
  if (self->shape_values[0])
    shapes->batch_size = self->shape_values[0];
  if (self->shape_values[1])
    {
      shapes->sequence_length = self->shape_values[1];
      if (!audio)
        shapes->encoder_sequence_length = self->shape_values[1];
    }
  if (self->shape_values[2])
    shapes->num_choices = self->shape_values[2];
  if (self->shape_values[3])
    shapes->width = self->shape_values[3];
  if (self->shape_values[4])
    shapes->height = self->shape_values[4];
  if (self->shape_values[5])
    shapes->num_channels = self->shape_values[5];
  if (self->shape_values[6])
    shapes->feature_size = self->shape_values[6];
  if (self->shape_values[7])
    {
      /* The frames are the audio encoder's sequence (optimum's
       * input_features axis 2). */
      shapes->nb_max_frames = self->shape_values[7];
      shapes->encoder_sequence_length = self->shape_values[7];
    }
  return TRUE;
}

/**
 * oxp_exporter_run:
 * @self: an exporter
 * @model_dir: a folder with config.json and *.safetensors
 * @outdir: the folder to write into (created when missing)
 * @error: return location for a #GError
 *
 * Exports @model_dir.  Errors come from the checkpoint
 * (%OXP_CHECKPOINT_ERROR), the registry (%OXP_PLUGIN_ERROR: unknown model
 * type or task, task not inferable), the graph and the writer
 * (%OXP_EXPORT_ERROR) or the file system (%G_FILE_ERROR: @outdir is the
 * model folder, or %G_FILE_ERROR_AGAIN when another export holds its
 * lock).  Files are written into a staging folder inside @outdir and
 * moved into place only once all are complete; on an error the staging
 * folder is removed and nothing that was in @outdir is touched (the
 * message ends by saying what became of @outdir).
 *
 * Returns: (transfer full): what was written, or %NULL on an error
 */
OxpExportResult *
oxp_exporter_run (OxpExporter *self, const char *model_dir, const char *outdir, GError **error)
{
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (GPtrArray) submodels = NULL;
  g_autoptr (GHashTable) used = g_hash_table_new (NULL, NULL);
  gint64 start = g_get_monotonic_time ();
  Stage s = { 0 };
  OxpShapes shapes;
  gboolean ok = FALSE;
  gboolean sentence_transformers = FALSE;
  g_autoptr (OxpSharedData) shared = NULL;

  g_return_val_if_fail (OXP_IS_EXPORTER (self), NULL);
  g_return_val_if_fail (model_dir != NULL, NULL);
  g_return_val_if_fail (outdir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = g_object_new (OXP_TYPE_EXPORT_RESULT, NULL);
  result->model_dir = g_strdup (model_dir);
  result->outdir = g_strdup (outdir);
  result->float_type = self->float_type;
  s.outdir = g_strdup (outdir);
  s.outdir_fd = s.staging_fd = -1;

  if (self->opset > OXP_EXPORTER_MAX_OPSET)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_OPSET,
                   "opset %u is newer than any oxport knows (the newest is %u)", self->opset,
                   OXP_EXPORTER_MAX_OPSET);
      goto out;
    }

  if (self->layout != NULL && !g_str_equal (self->layout, "transformers.js"))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "unknown layout “%s” (known: optimum, transformers.js)", self->layout);
      goto out;
    }
  if (self->layout != NULL && self->float_type == OXP_DATA_TYPE_BFLOAT16)
    {
      /* transformers.js names no bf16 file (its dtypes: fp32, fp16, q8…). */
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "the transformers.js layout has no bf16 files; use fp32 or fp16");
      goto out;
    }

  if (self->quant_bits != 0 && self->quant_scales_type == OXP_DATA_TYPE_FLOAT
      && self->float_type != OXP_DATA_TYPE_FLOAT)
    {
      /* MatMulNBits' scales have the type of its input A (T1): a Cast of
       * float32 scales to float16 would store them twice as wide for
       * nothing. */
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "--quantize-scales fp32 needs an fp32 export: MatMulNBits takes its scales "
                   "in the type of its activations, %s here (use --quantize-scales fp16, or "
                   "--dtype fp32)",
                   oxp_data_type_to_string (self->float_type));
      goto out;
    }

  emit_progress (self, OXP_EXPORT_STAGE_CHECKPOINT, model_dir, 0, 0);
  checkpoint = oxp_checkpoint_open (model_dir, error);
  if (checkpoint == NULL)
    goto out;
  result->model_type = g_strdup (oxp_checkpoint_get_model_type (checkpoint));
  result->n_parameters = oxp_checkpoint_get_n_parameters (checkpoint);

  result->task
      = choose_task (self, oxp_checkpoint_get_config (checkpoint), &result->task_inferred, error);
  if (result->task == NULL)
    goto out;
  emit_progress (self, OXP_EXPORT_STAGE_CONFIG, result->task, 0, 0);
  config = oxp_tasks_manager_create_config (self->manager, result->model_type, result->task,
                                            oxp_checkpoint_get_config (checkpoint), error);
  if (config == NULL)
    goto out;
  if (self->opset != 0 && !oxp_onnx_config_set_opset (config, self->opset, error))
    goto out;
  /* Configs whose layout changed since optimum 1.13 say so with "legacy". */
  if (self->legacy && g_object_class_find_property (G_OBJECT_GET_CLASS (config), "legacy") != NULL)
    g_object_set (config, "legacy", TRUE, NULL);
  if (self->split)
    {
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (config), "split") == NULL)
        {
          g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_UNSUPPORTED_TASK,
                       "model type '%s' has no split export (task '%s')", result->model_type,
                       result->task);
          goto out;
        }
      g_object_set (config, "split", TRUE, NULL);
    }
  if (g_strcmp0 (self->library, "transformers") != 0
      && !oxp_onnx_config_read_sentence_transformers (config, model_dir, &sentence_transformers,
                                                      error))
    goto out;
  if (g_strcmp0 (self->library, "sentence_transformers") == 0 && !sentence_transformers)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s is not a sentence-transformers folder (no modules.json)", model_dir);
      goto out;
    }
  /* Other tasks of a sentence-transformers folder are plain exports. */
  sentence_transformers = sentence_transformers && g_str_equal (result->task, "feature-extraction");
  submodels = oxp_onnx_config_dup_submodels (config);
  if (!export_shapes (self, result, submodels, &shapes, error))
    goto out;

  if (!check_outdir_is_not_model (model_dir, outdir, error) || !stage_begin (&s, result, error))
    goto out;
  /* From here on, plugin code runs: the cleanup must already be armed. */
  if (self->catch_signals)
    catch_signals (&s);

  shared = shared_decoder_data_new (self, &s, submodels);
  for (guint i = 0; i < submodels->len; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);

      if (!write_submodel (self, &s, result, sub, checkpoint, used, shared,
                           self->dynamic_axes ? NULL : &shapes, error))
        goto out;
      g_ptr_array_add (result->submodels, g_object_ref (sub));
    }
  if ((shared != NULL && !_oxp_shared_data_close (shared, error))
      || !check_unused_tensors (self, result, checkpoint, used, error)
      || !copy_side_files (self, &s, result, model_dir, sentence_transformers, error))
    goto out;
  test_pause ("OXP_TEST_PAUSE_BEFORE_RENAME");
  if (!stage_commit (&s, result, error))
    goto out;
  ok = TRUE;

out:
  if (!ok)
    stage_abort (&s, result, error);
  if (self->catch_signals)
    release_signals ();
  if (!ok)
    {
      stage_clear (&s);
      return NULL;
    }

  /* The checkpoint's map is no longer needed while ORT loads the files;
   * the lock is, so that no other export replaces them meanwhile. */
  g_clear_object (&checkpoint);
  if (self->validate)
    validate_outputs (self, result, &shapes);
  stage_clear (&s);
  result->elapsed = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  return g_steal_pointer (&result);
}

/**
 * oxp_export_result_get_model_dir:
 * @self: an export result
 *
 * The model folder that was exported.
 *
 * Returns: (transfer none): the folder
 */
const char *
oxp_export_result_get_model_dir (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->model_dir;
}

/**
 * oxp_export_result_get_outdir:
 * @self: an export result
 *
 * The folder the files were written into.
 *
 * Returns: (transfer none): the folder
 */
const char *
oxp_export_result_get_outdir (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->outdir;
}

/**
 * oxp_export_result_get_model_type:
 * @self: an export result
 *
 * The model type of the checkpoint (config.json's "model_type").
 *
 * Returns: (transfer none): the model type
 */
const char *
oxp_export_result_get_model_type (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->model_type;
}

/**
 * oxp_export_result_get_task:
 * @self: an export result
 *
 * The canonical task exported, "-with-past" included.
 *
 * Returns: (transfer none): the task
 */
const char *
oxp_export_result_get_task (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->task;
}

/**
 * oxp_export_result_get_task_inferred:
 * @self: an export result
 *
 * Whether the task was inferred from config.json rather than given.
 *
 * Returns: %TRUE when it was inferred
 */
gboolean
oxp_export_result_get_task_inferred (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), FALSE);
  return self->task_inferred;
}

/**
 * oxp_export_result_get_opset:
 * @self: an export result
 *
 * The ai.onnx opset the files were written in.
 *
 * Returns: the opset
 */
guint
oxp_export_result_get_opset (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  return self->opset;
}

/**
 * oxp_export_result_get_float_type:
 * @self: an export result
 *
 * The float type the weights were written in.
 *
 * Returns: the element type
 */
OxpDataType
oxp_export_result_get_float_type (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), OXP_DATA_TYPE_UNDEFINED);
  return self->float_type;
}

/**
 * oxp_export_result_get_n_parameters:
 * @self: an export result
 *
 * The parameter count of the checkpoint.
 *
 * Returns: the parameter count
 */
guint64
oxp_export_result_get_n_parameters (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  return self->n_parameters;
}

/**
 * oxp_export_result_get_elapsed:
 * @self: an export result
 *
 * Wall time of the whole run, validation included.
 *
 * Returns: seconds
 */
double
oxp_export_result_get_elapsed (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0.0);
  return self->elapsed;
}

/**
 * oxp_export_result_get_validation_elapsed:
 * @self: an export result
 *
 * Wall time of the validation alone.
 *
 * Returns: seconds, 0 when validation did not run
 */
double
oxp_export_result_get_validation_elapsed (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0.0);
  return self->validation_elapsed;
}

/**
 * oxp_export_result_get_submodels:
 * @self: an export result
 *
 * The configs of the written ONNX files, in writing order; each knows its
 * file name, inputs and outputs.
 *
 * Returns: (transfer none) (element-type OxpOnnxConfig): the configs of the written files
 */
GPtrArray *
oxp_export_result_get_submodels (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->submodels;
}

/**
 * oxp_export_result_get_n_files:
 * @self: an export result
 *
 * The number of files written into the output folder: ONNX files, their
 * external data and the copied side files.
 *
 * Returns: the file count
 */
guint
oxp_export_result_get_n_files (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  return self->files->len;
}

/**
 * oxp_export_result_get_file_name:
 * @self: an export result
 * @i: an index below oxp_export_result_get_n_files()
 *
 * File @i in writing order, relative to the output folder
 * ("onnx/model_fp16.onnx" in the transformers.js layout, see
 * oxp_exporter_set_layout()).
 *
 * Returns: (transfer none): the file name
 */
const char *
oxp_export_result_get_file_name (OxpExportResult *self, guint i)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  g_return_val_if_fail (i < self->files->len, NULL);
  return g_ptr_array_index (self->files, i);
}

/**
 * oxp_export_result_get_file_size:
 * @self: an export result
 * @i: an index below oxp_export_result_get_n_files()
 *
 * The size of file @i.
 *
 * Returns: the size in bytes
 */
guint64
oxp_export_result_get_file_size (OxpExportResult *self, guint i)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  g_return_val_if_fail (i < self->sizes->len, 0);
  return g_array_index (self->sizes, guint64, i);
}

/**
 * oxp_export_result_get_validation:
 * @self: an export result
 *
 * What became of the validation: not run, skipped (ONNX Runtime could not
 * be loaded), passed or failed.  A failed validation is not an error of
 * oxp_exporter_run(): the files stay for inspection.
 *
 * Returns: the outcome
 */
OxpExportValidation
oxp_export_result_get_validation (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), OXP_EXPORT_VALIDATION_NOT_RUN);
  return self->validation;
}

/**
 * oxp_export_result_get_validation_message:
 * @self: an export result
 *
 * Why validation was skipped or what failed.
 *
 * Returns: (transfer none) (nullable): the message, %NULL when it passed or
 *   did not run
 */
const char *
oxp_export_result_get_validation_message (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->validation_message;
}

/**
 * oxp_export_result_get_validation_reports:
 * @self: an export result
 *
 * One report per validated file, in writing order, also when validation
 * failed; empty when it did not run.
 *
 * Returns: (transfer none) (element-type OxpValidationReport): one report per validated file
 */
GPtrArray *
oxp_export_result_get_validation_reports (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->reports;
}

/**
 * oxp_export_result_get_runtime_version:
 * @self: an export result
 *
 * The ONNX Runtime version validation ran with.
 *
 * Returns: (transfer none) (nullable): the version, %NULL when validation
 *   did not run
 */
const char *
oxp_export_result_get_runtime_version (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->runtime_version;
}

/**
 * oxp_export_result_get_warnings:
 * @self: an export result
 *
 * Warnings of the export, for the CLI to print after the summary.
 *
 * Returns: (transfer none) (element-type utf8): what the export skipped or
 *   found suspicious (a side file not copied, unused checkpoint tensors),
 *   one sentence each; empty when nothing
 */
GPtrArray *
oxp_export_result_get_warnings (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->warnings;
}
