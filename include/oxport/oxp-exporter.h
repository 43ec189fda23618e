/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-onnx-writer.h>
#include <oxport/oxp-tasks-manager.h>
#include <oxport/oxp-validator.h>

G_BEGIN_DECLS

/**
 * OxpExportStage:
 * @OXP_EXPORT_STAGE_CHECKPOINT: opening the checkpoint (detail: the folder)
 * @OXP_EXPORT_STAGE_CONFIG: choosing the task and creating the config (detail: the task)
 * @OXP_EXPORT_STAGE_BUILD: building one submodel's graph (detail: its file name)
 * @OXP_EXPORT_STAGE_WRITE: writing one submodel (detail: its file name;
 *   done/total: bytes of weights)
 * @OXP_EXPORT_STAGE_COPY: copying config.json and the tokenizer files (detail: the file name)
 * @OXP_EXPORT_STAGE_VALIDATE: validating one written file with ONNX Runtime (detail: its file name)
 *
 * The steps of oxp_exporter_run(), in order, reported to the progress function.
 */
typedef enum
{
  OXP_EXPORT_STAGE_CHECKPOINT,
  OXP_EXPORT_STAGE_CONFIG,
  OXP_EXPORT_STAGE_BUILD,
  OXP_EXPORT_STAGE_WRITE,
  OXP_EXPORT_STAGE_COPY,
  OXP_EXPORT_STAGE_VALIDATE,
} OxpExportStage;

#define OXP_TYPE_EXPORT_STAGE (oxp_export_stage_get_type ())
OXP_API GType oxp_export_stage_get_type (void) G_GNUC_CONST;

/**
 * OxpExportValidation:
 * @OXP_EXPORT_VALIDATION_NOT_RUN: validation was not asked for
 * @OXP_EXPORT_VALIDATION_SKIPPED: ONNX Runtime could not be loaded; the
 *   model was written, the message says why and how to point oxport at ORT
 * @OXP_EXPORT_VALIDATION_PASSED: every written file passed
 * @OXP_EXPORT_VALIDATION_FAILED: a file failed; the model stays on disk
 *
 * What became of the validation after an export.
 */
typedef enum
{
  OXP_EXPORT_VALIDATION_NOT_RUN,
  OXP_EXPORT_VALIDATION_SKIPPED,
  OXP_EXPORT_VALIDATION_PASSED,
  OXP_EXPORT_VALIDATION_FAILED,
} OxpExportValidation;

#define OXP_TYPE_EXPORT_VALIDATION (oxp_export_validation_get_type ())
OXP_API GType oxp_export_validation_get_type (void) G_GNUC_CONST;

/**
 * OXP_EXPORTER_HALF_ATOL:
 *
 * The validation tolerance of a half-precision export when none is given:
 * fp16 keeps ~3 significant digits, and on the bundled BERT-family cases
 * fp16 outputs differ from the fp32 references by 3.7e-4 … 3.4e-2
 * (fill-mask logits); the fp32 tolerances (1e-4) cannot hold.
 */
#define OXP_EXPORTER_HALF_ATOL 5e-2
/**
 * OXP_EXPORTER_APPROX_ATOL:
 *
 * The least tolerance at optimize level 3, whose FastGelu replaces the
 * exact GELU by its tanh approximation (|error| < 5e-4 per activation): on
 * the bundled BERT-family cases O3 outputs differ from the references by up
 * to 1e-2 (fill-mask logits of magnitude 22), 5e-4 elsewhere.
 */
#define OXP_EXPORTER_APPROX_ATOL 2e-2

/**
 * OXP_EXPORTER_MAX_OPSET:
 *
 * The newest ai.onnx opset oxport knows (the writer's IR-version table
 * ends there); a higher `--opset` is refused before anything is written.
 */
#define OXP_EXPORTER_MAX_OPSET 23

/**
 * OxpExportProgressFunc:
 * @stage: the step
 * @detail: (nullable): what the step works on (see #OxpExportStage)
 * @done: how much of the step is done (bytes of weights while writing),
 *   0 when the step is not counted
 * @total: how much there is in all, 0 when the step is not counted
 * @user_data: the data given with the function
 *
 * Told of each step of oxp_exporter_run(), and repeatedly while weights
 * are written.
 */
typedef void (*OxpExportProgressFunc) (OxpExportStage stage, const char *detail, guint64 done,
                                       guint64 total, gpointer user_data);

/* OxpExportResult: what one successful export wrote, for summaries. */
#define OXP_TYPE_EXPORT_RESULT (oxp_export_result_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpExportResult, oxp_export_result, OXP, EXPORT_RESULT, GObject)

/* OxpExporter: the export pipeline (checkpoint → config → graphs → files
 * → validation) as one library call. */
#define OXP_TYPE_EXPORTER (oxp_exporter_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpExporter, oxp_exporter, OXP, EXPORTER, GObject)

/* An exporter using the plugins @manager has loaded. */
OXP_API OxpExporter *oxp_exporter_new (OxpTasksManager *manager);

/* Settings (all optional).  @task: NULL infers it from config.json; any
 * synonym or "-with-past" form is accepted.  @opset: 0 is the config's
 * default.  @float_type: OXP_DATA_TYPE_FLOAT (default) or FLOAT16.  @atol:
 * a negative value uses the config's tolerance (for fp16 at least
 * OXP_EXPORTER_HALF_ATOL).  @reference: a
 * .safetensors file of inputs and expected outputs (nullable).
 * @runtime_path: libonnxruntime.so.1 (NULL: $OXPORT_ONNXRUNTIME, then the
 * library search path).  @verbose: let ONNX Runtime log.  @legacy: write
 * optimum 1.13's files for decoders (decoder_model.onnx,
 * decoder_with_past_model.onnx, decoder_model_merged.onnx) instead of
 * current optimum's single model.onnx; no effect on other models.
 * @mode (external data): per file (OxpExternalData), except that a seq2seq
 * decoder_model.onnx and decoder_with_past_model.onnx share one
 * decoder_model.onnx_data holding each weight once unless @mode is
 * OXP_EXTERNAL_DATA_NEVER (decoder_model_merged.onnx keeps @mode's rule). */
OXP_API void oxp_exporter_set_task (OxpExporter *self, const char *task);
OXP_API void oxp_exporter_set_opset (OxpExporter *self, guint opset);
OXP_API void oxp_exporter_set_float_type (OxpExporter *self, OxpDataType float_type);
OXP_API void oxp_exporter_set_external_data (OxpExporter *self, OxpExternalData mode);
OXP_API void oxp_exporter_set_validate (OxpExporter *self, gboolean validate);
OXP_API void oxp_exporter_set_legacy (OxpExporter *self, gboolean legacy);
/* @level: 0 plain standard ONNX (default), 1-3 optimum's O1-O3: the forms
 * ONNX Runtime fuses, its com.microsoft operators, their approximations. */
OXP_API void oxp_exporter_set_optimize (OxpExporter *self, guint level);
OXP_API gboolean oxp_exporter_set_quantize (OxpExporter *self, guint bits, guint block_size,
                                            gboolean symmetric, OxpQuantizeExclude exclude,
                                            GError **error);
OXP_API void oxp_exporter_set_quantize_accuracy_level (OxpExporter *self, guint level);
OXP_API void oxp_exporter_set_atol (OxpExporter *self, double atol);
OXP_API void oxp_exporter_set_reference (OxpExporter *self, const char *reference);
OXP_API void oxp_exporter_set_runtime_path (OxpExporter *self, const char *runtime_path);
OXP_API void oxp_exporter_set_verbose (OxpExporter *self, gboolean verbose);
/* @strict: unused checkpoint tensors fail the export (default: a warning).
 * @catch_signals: SIGINT/SIGTERM/SIGHUP during oxp_exporter_run() remove
 * what the run created, then end the process by the same signal. */
OXP_API void oxp_exporter_set_strict (OxpExporter *self, gboolean strict);
OXP_API void oxp_exporter_set_catch_signals (OxpExporter *self, gboolean catch_signals);
/* @library: "transformers" keeps the plain export of a sentence-transformers
 * folder; "sentence_transformers" requires one (modules.json); NULL (the
 * default) detects it.  A sentence-transformers feature-extraction export
 * has token_embeddings and sentence_embedding outputs
 * (oxp_onnx_config_set_sentence_pooling()) and copies modules.json,
 * sentence_bert_config.json, config_sentence_transformers.json and each
 * module folder's config.json beside it. */
OXP_API void oxp_exporter_set_library (OxpExporter *self, const char *library);
/* Separate files for the model's parts, when its config has a "split" property. */
OXP_API void oxp_exporter_set_split (OxpExporter *self, gboolean split);
/* @layout: NULL or "optimum" (every file at the top, the default) or
 * "transformers.js" (ONNX files under onnx/, fp16 ones named *_fp16.onnx
 * with *_fp16.onnx_data; the rest at the top), arranged in the staging
 * folder so that the commit stays all-or-nothing.  Another name, or bf16
 * with "transformers.js", fails oxp_exporter_run() (OXP_EXPORT_ERROR_UNSUPPORTED). */
OXP_API void oxp_exporter_set_layout (OxpExporter *self, const char *layout);
/* The size of one of optimum's dummy-input shapes ("batch_size",
 * "sequence_length", "num_choices", "width", "height", "num_channels",
 * "feature_size", "nb_max_frames"): validation runs at it, and with
 * dynamic axes off the files' dims are fixed at it.  FALSE with @error set
 * (OXP_CONFIG_ERROR_INVALID_VALUE) for another name or a @value below 1;
 * oxp_exporter_run() fails (same error) when the model has no input the
 * shape applies to, or fixes that dim at another size. */
OXP_API gboolean oxp_exporter_set_shape (OxpExporter *self, const char *name, gint64 value,
                                         GError **error);
/* @dynamic_axes FALSE (optimum's --no-dynamic-axes): every input and
 * output dim of the written files is fixed at the shapes (optimum's
 * defaults where oxp_exporter_set_shape() gave none), and validation runs
 * at that one shape set, without the empty-cache run and the cache check
 * (a fixed file takes one past length). */
OXP_API void oxp_exporter_set_dynamic_axes (OxpExporter *self, gboolean dynamic_axes);
OXP_API void oxp_exporter_set_progress_func (OxpExporter *self, OxpExportProgressFunc func,
                                             gpointer user_data, GDestroyNotify notify);

/* Exports the checkpoint in @model_dir into @outdir (created when missing,
 * refused when it is the model folder, locked against a second export).
 * Files are staged in a hidden folder inside @outdir and renamed into
 * place once all are complete: on an error nothing that was in @outdir is
 * touched, and @outdir is removed when this call created it and it is
 * empty; the message says which.  A validation that fails or cannot
 * run is not an error: the files stay and the result says what happened.
 * (transfer full) */
OXP_API OxpExportResult *oxp_exporter_run (OxpExporter *self, const char *model_dir,
                                           const char *outdir, GError **error);

/* Result getters.  (transfer none) unless said otherwise. */
OXP_API const char *oxp_export_result_get_model_dir (OxpExportResult *self);
OXP_API const char *oxp_export_result_get_outdir (OxpExportResult *self);
OXP_API const char *oxp_export_result_get_model_type (OxpExportResult *self);
/* The canonical task exported, and whether it was inferred from config.json. */
OXP_API const char *oxp_export_result_get_task (OxpExportResult *self);
OXP_API gboolean oxp_export_result_get_task_inferred (OxpExportResult *self);
OXP_API guint oxp_export_result_get_opset (OxpExportResult *self);
OXP_API OxpDataType oxp_export_result_get_float_type (OxpExportResult *self);
OXP_API guint64 oxp_export_result_get_n_parameters (OxpExportResult *self);
/* Wall time of the whole run, and of the validation alone, in seconds. */
OXP_API double oxp_export_result_get_elapsed (OxpExportResult *self);
OXP_API double oxp_export_result_get_validation_elapsed (OxpExportResult *self);
/* The configs of the written ONNX files, in writing order; each knows its
 * file name, inputs and outputs. (element-type OxpOnnxConfig) */
OXP_API GPtrArray *oxp_export_result_get_submodels (OxpExportResult *self);
/* Every file written into the output folder (names relative to it), in
 * writing order, and their sizes in bytes. */
OXP_API guint oxp_export_result_get_n_files (OxpExportResult *self);
OXP_API const char *oxp_export_result_get_file_name (OxpExportResult *self, guint i);
OXP_API guint64 oxp_export_result_get_file_size (OxpExportResult *self, guint i);
/* Validation outcome; the message says why it was skipped or what failed
 * (NULL when it passed or did not run). */
OXP_API OxpExportValidation oxp_export_result_get_validation (OxpExportResult *self);
OXP_API const char *oxp_export_result_get_validation_message (OxpExportResult *self);
/* One report per validated file, in writing order (also when validation
 * failed); empty when it did not run. (element-type OxpValidationReport) */
OXP_API GPtrArray *oxp_export_result_get_validation_reports (OxpExportResult *self);
/* Warnings, one sentence each: side files skipped (symlinks out of the
 * model folder, not regular files), unused checkpoint tensors.
 * (element-type utf8) */
OXP_API GPtrArray *oxp_export_result_get_warnings (OxpExportResult *self);
/* The ONNX Runtime version validation ran with, or NULL. */
OXP_API const char *oxp_export_result_get_runtime_version (OxpExportResult *self);

/* The type of the quantization scales: FLOAT16 or FLOAT, UNDEFINED (default)
 * for the export's float type; float32 scales need a float32 export. */
OXP_API void oxp_exporter_set_quantize_scales_type (OxpExporter *self, OxpDataType dtype);

G_END_DECLS
