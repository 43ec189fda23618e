/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <oxport/oxp-types.h>
#include <oxport/oxp-onnx-config.h>
#include <oxport/oxp-runtime.h>

G_BEGIN_DECLS

#define OXP_VALIDATION_ERROR (oxp_validation_error_quark ())
OXP_API GQuark oxp_validation_error_quark (void);

/**
 * OxpValidationError:
 * @OXP_VALIDATION_ERROR_LOAD: ONNX Runtime cannot load the model file
 * @OXP_VALIDATION_ERROR_INPUT: an input is missing, unexpected, out of order,
 *   of another element type or rank, or has a dimension other than declared
 * @OXP_VALIDATION_ERROR_OUTPUT: the same for an output (e.g. a missing output)
 * @OXP_VALIDATION_ERROR_FROZEN_DIMENSION: a dimension the config declares
 *   symbolic is a fixed number in the model
 * @OXP_VALIDATION_ERROR_RUN: running the model failed at a shape set or on
 *   the reference inputs
 * @OXP_VALIDATION_ERROR_SHAPE: an output's shape differs from its spec, binds
 *   a symbolic dimension to another size than the inputs do, or differs from
 *   the reference's shape
 * @OXP_VALIDATION_ERROR_NOT_FINITE: an output holds NaN or infinity
 * @OXP_VALIDATION_ERROR_TOLERANCE: an output differs from the reference by
 *   more than the tolerance
 * @OXP_VALIDATION_ERROR_REFERENCE: the reference file is unreadable, lacks an
 *   input, or holds none of the model's outputs
 *
 * Errors in the %OXP_VALIDATION_ERROR domain: why an exported file does not
 * pass.  Each failed #OxpValidationCheck carries one of these codes.
 */
typedef enum {
  OXP_VALIDATION_ERROR_LOAD,
  OXP_VALIDATION_ERROR_INPUT,
  OXP_VALIDATION_ERROR_OUTPUT,
  OXP_VALIDATION_ERROR_FROZEN_DIMENSION,
  OXP_VALIDATION_ERROR_RUN,
  OXP_VALIDATION_ERROR_SHAPE,
  OXP_VALIDATION_ERROR_NOT_FINITE,
  OXP_VALIDATION_ERROR_TOLERANCE,
  OXP_VALIDATION_ERROR_REFERENCE,
} OxpValidationError;

#define OXP_TYPE_VALIDATION_ERROR (oxp_validation_error_get_type ())
OXP_API GType oxp_validation_error_get_type (void) G_GNUC_CONST;

/**
 * OxpValidationCheckKind:
 * @OXP_VALIDATION_CHECK_LOAD: the model file loads ("load")
 * @OXP_VALIDATION_CHECK_INPUT: one input's name, position, element type and
 *   dimensions against the config ("input")
 * @OXP_VALIDATION_CHECK_OUTPUT: the same for one output ("output")
 * @OXP_VALIDATION_CHECK_RUN: one output at one dummy shape set: shape and
 *   finite values; or the run itself when it failed ("run")
 * @OXP_VALIDATION_CHECK_REFERENCE: one output against the reference values
 *   ("reference")
 * @OXP_VALIDATION_CHECK_CACHE: a decoder's cache: the last-position output of
 *   one step fed the past of a first run against one run over the whole
 *   sequence without past ("cache")
 * @OXP_VALIDATION_CHECK_CHAIN: the files of a seq2seq export with past run
 *   one after the other, each fed what the one before returned: a file's
 *   load or run, or one logits comparison ("chain")
 *
 * What an #OxpValidationCheck is about.
 */
typedef enum {
  OXP_VALIDATION_CHECK_LOAD,
  OXP_VALIDATION_CHECK_INPUT,
  OXP_VALIDATION_CHECK_OUTPUT,
  OXP_VALIDATION_CHECK_RUN,
  OXP_VALIDATION_CHECK_REFERENCE,
  OXP_VALIDATION_CHECK_CACHE,
  OXP_VALIDATION_CHECK_CHAIN,
} OxpValidationCheckKind;

#define OXP_TYPE_VALIDATION_CHECK_KIND (oxp_validation_check_kind_get_type ())
OXP_API GType oxp_validation_check_kind_get_type (void) G_GNUC_CONST;

/* The short name shown in reports: "load", "input", "output", "run", "reference", "cache",
 * "chain". */
OXP_API const char *oxp_validation_check_kind_to_string (OxpValidationCheckKind kind);

/* One row of a report, owned by the report. */
typedef struct _OxpValidationCheck OxpValidationCheck;

/* Row getters.  name: the input or output, or the model file's base name for
 * load and failed runs.  shape_set: "batch_size=2,sequence_length=16",
 * "reference", or NULL for static checks.  max_abs_diff and atol: NAN
 * unless values were compared.  reason: NULL when passed.  error_code: an
 * OxpValidationError, -1 when passed. */
OXP_API OxpValidationCheckKind oxp_validation_check_get_kind         (const OxpValidationCheck *check);
OXP_API const char            *oxp_validation_check_get_name         (const OxpValidationCheck *check);
OXP_API const char            *oxp_validation_check_get_shape_set    (const OxpValidationCheck *check);
OXP_API double                 oxp_validation_check_get_max_abs_diff (const OxpValidationCheck *check);
OXP_API double                 oxp_validation_check_get_atol         (const OxpValidationCheck *check);
OXP_API gboolean               oxp_validation_check_get_passed       (const OxpValidationCheck *check);
OXP_API const char            *oxp_validation_check_get_reason       (const OxpValidationCheck *check);
OXP_API gint                   oxp_validation_check_get_error_code   (const OxpValidationCheck *check);

/* OxpValidationReport: every check made on one model file, in the order
 * made (what each shape set and the cache check run: see
 * core/oxp-validator.c). */
#define OXP_TYPE_VALIDATION_REPORT (oxp_validation_report_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpValidationReport, oxp_validation_report, OXP, VALIDATION_REPORT, GObject)

OXP_API const char *oxp_validation_report_get_model_path (OxpValidationReport *self);
OXP_API guint       oxp_validation_report_get_n_checks   (OxpValidationReport *self);
OXP_API const OxpValidationCheck *oxp_validation_report_get_check (OxpValidationReport *self,
                                                                  guint                index);
/* TRUE when every check passed. */
OXP_API gboolean    oxp_validation_report_get_passed     (OxpValidationReport *self);
/* The first failing check, or NULL. */
OXP_API const OxpValidationCheck *oxp_validation_report_get_first_failure (OxpValidationReport *self);
/* FALSE with @error set (OXP_VALIDATION_ERROR, the first failure's code; the
 * message names the model file, the input or output, the shape set and the
 * reason) when a check failed; TRUE otherwise. */
OXP_API gboolean    oxp_validation_report_to_error       (OxpValidationReport *self,
                                                          GError             **error);
/* An aligned text table, one row per check, ending in a newline:
 * NAME  CHECK  SHAPES  MAX ABS DIFF  ATOL  RESULT. (transfer full) */
OXP_API char       *oxp_validation_report_to_table       (OxpValidationReport *self);
/* {"model", "passed", "error" (null or the message), "checks": [{"name",
 * "check", "shapes", "max_abs_diff", "atol", "passed", "reason", "error"}]}
 * with null for what does not apply. (transfer full) */
OXP_API JsonNode   *oxp_validation_report_to_json        (OxpValidationReport *self);

/* OxpValidator: the counterpart of optimum's validate_model_outputs for one
 * exported file and the OxpOnnxConfig it was exported with. */
#define OXP_TYPE_VALIDATOR (oxp_validator_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpValidator, oxp_validator, OXP, VALIDATOR, GObject)

OXP_API OxpValidator *oxp_validator_new (OxpRuntime *runtime);

/* Tolerance for the reference comparison; 0 (the default) means the
 * config's (oxp_onnx_config_get_atol()), or 1e-4 without a config. */
OXP_API void   oxp_validator_set_atol (OxpValidator *self, double atol);
OXP_API double oxp_validator_get_atol (OxpValidator *self);

/* A safetensors file holding inputs and expected outputs under their ONNX
 * names (extra tensors are ignored); NULL for none.  A float input of
 * another float type than the model's (transformers' fp32 inputs for an
 * fp16 file) is rounded to the model's type; outputs are compared in
 * double precision whatever their types. */
OXP_API void        oxp_validator_set_reference (OxpValidator *self, const char *path);
OXP_API const char *oxp_validator_get_reference (OxpValidator *self);

/* Compare only the positions the reference input @input_name keeps
 * (non-zero), e.g. "attention_mask" for a model whose padded positions are
 * implementation-defined (DeBERTa's fully masked query rows).  An output
 * whose leading dimensions equal that input's shape is compared where the
 * input is non-zero; other outputs, in full.  A reference without that
 * input fails the comparison.  NULL (the default): every element. */
OXP_API void        oxp_validator_set_reference_mask (OxpValidator *self,
                                                      const char   *input_name);
OXP_API const char *oxp_validator_get_reference_mask (OxpValidator *self);

/* The two shape sets dummy inputs are generated at.  Defaults: optimum's
 * (oxp_shapes_init_default()), then batch 3, sequence 11, past 7, encoder
 * sequence 13 with another seed, so that no symbolic size equals another. */
OXP_API void oxp_validator_set_shapes (OxpValidator    *self,
                                       const OxpShapes *first,
                                       const OxpShapes *second);
OXP_API void oxp_validator_get_shapes (OxpValidator *self,
                                       OxpShapes    *first,
                                       OxpShapes    *second);

/* Validates @model_path against @config (what is checked: see
 * core/oxp-validator.c); @report receives every check made, also when
 * validation fails. */
OXP_API gboolean oxp_validator_validate (OxpValidator         *self,
                                         OxpOnnxConfig        *config,
                                         const char           *model_path,
                                         OxpValidationReport **report,
                                         GError              **error);

/* Validates the files of a seq2seq export with past in @folder together, at
 * both shape sets: encoder_model.onnx's last_hidden_state (and its
 * attention_mask) feed decoder_model.onnx, run over past + 1 tokens and
 * over the first past tokens (past: the set's past length, at least 1);
 * decoder_with_past_model.onnx then takes the last token with the shorter
 * run's present.*.decoder and present.*.encoder as its past, and its logits
 * must equal the longer run's last position within the tolerance (the
 * with-past config's unless set); decoder_model_merged.onnx, when
 * @configs has it, must give decoder_model.onnx's logits with
 * use_cache_branch false and the step's with it true.  @configs: the export's
 * submodel configs (element-type OxpOnnxConfig), each naming its file,
 * found at the top of @folder or, in the transformers.js layout, as
 * onnx/NAME.onnx or onnx/NAME_fp16.onnx.
 * @report (out) (optional) (transfer full): the checks ("chain" rows, the
 * model path being @folder); NULL when @configs has no encoder, decoder and
 * decoder with past of a seq2seq config, and then TRUE is returned.  Fails
 * like oxp_validator_validate(). */
OXP_API gboolean oxp_validator_validate_chain (OxpValidator         *self,
                                               GPtrArray            *configs,
                                               const char           *folder,
                                               OxpValidationReport **report,
                                               GError              **error);

G_END_DECLS
