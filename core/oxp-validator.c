/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include "oxp-onnx-writer-convert-private.h"

#include <math.h>
#include <string.h>

/* Tolerance when there is neither a config nor an override (optimum's
 * usual value for fp32 exports). */
#define DEFAULT_ATOL 1e-4

/**
 * oxp_validation_error_quark:
 *
 * The error domain of checking an exported file in ONNX Runtime
 * (#OxpValidationError).
 *
 * Returns: the #GQuark of the domain, also %OXP_VALIDATION_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (oxp-validation-error-quark, oxp_validation_error)
G_DEFINE_ENUM_TYPE (OxpValidationError, oxp_validation_error,
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_LOAD, "load"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_INPUT, "input"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_OUTPUT, "output"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_FROZEN_DIMENSION, "frozen-dimension"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_RUN, "run"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_SHAPE, "shape"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_NOT_FINITE, "not-finite"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_TOLERANCE, "tolerance"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_ERROR_REFERENCE, "reference"))
/* clang-format on */

/* ---------------------------------------------------------------- checks */

/* What a row is about, for the error message. */
typedef enum
{
  SUBJECT_MODEL,
  SUBJECT_INPUT,
  SUBJECT_OUTPUT,
} Subject;

/**
 * OxpValidationCheck:
 *
 * One row of an #OxpValidationReport: what was checked, at which shape set,
 * the largest difference and the tolerance when values were compared, and
 * why it failed.  Owned by the report.
 */
struct _OxpValidationCheck
{
  OxpValidationCheckKind kind;
  Subject subject;
  char *name;
  char *shape_set;
  double max_abs_diff;
  double atol;
  gint error_code; /* -1 when passed */
  char *reason;
};

static void
check_free (OxpValidationCheck *check)
{
  g_free (check->name);
  g_free (check->shape_set);
  g_free (check->reason);
  g_free (check);
}

/**
 * oxp_validation_check_kind_to_string:
 * @kind: a #OxpValidationCheckKind
 *
 * The short name of @kind shown in the CHECK column of reports and in
 * `--json`: "load", "input", "output", "run", "reference", "cache".
 *
 * Returns: the name reports use for @kind.
 */
const char *
oxp_validation_check_kind_to_string (OxpValidationCheckKind kind)
{
  switch (kind)
    {
    case OXP_VALIDATION_CHECK_LOAD:
      return "load";
    case OXP_VALIDATION_CHECK_INPUT:
      return "input";
    case OXP_VALIDATION_CHECK_OUTPUT:
      return "output";
    case OXP_VALIDATION_CHECK_RUN:
      return "run";
    case OXP_VALIDATION_CHECK_REFERENCE:
      return "reference";
    case OXP_VALIDATION_CHECK_CACHE:
      return "cache";
    case OXP_VALIDATION_CHECK_CHAIN:
      return "chain";
    default:
      return "unknown";
    }
}

/**
 * oxp_validation_check_get_kind:
 * @check: a check of a report
 *
 * What the check is about.
 *
 * Returns: the kind
 */
OxpValidationCheckKind
oxp_validation_check_get_kind (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, OXP_VALIDATION_CHECK_LOAD);
  return check->kind;
}

/**
 * oxp_validation_check_get_name:
 * @check: a check of a report
 *
 * What was checked: the input or output name, or the model file's base
 * name for the load check and for a run that failed as a whole.
 *
 * Returns: (transfer none): the name
 */
const char *
oxp_validation_check_get_name (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, NULL);
  return check->name;
}

/**
 * oxp_validation_check_get_shape_set:
 * @check: a check of a report
 *
 * The dummy sizes the check ran at ("batch_size=2,sequence_length=16"),
 * "reference" for the comparison against the reference file.
 *
 * Returns: (transfer none) (nullable): the shape set, %NULL for the static
 *   checks (load, inputs, outputs)
 */
const char *
oxp_validation_check_get_shape_set (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, NULL);
  return check->shape_set;
}

/**
 * oxp_validation_check_get_max_abs_diff:
 * @check: a check of a report
 *
 * The largest absolute difference between the output and the expected
 * values (the reference, or the no-past run for the cache check).
 *
 * Returns: the difference, NAN when values were not compared
 */
double
oxp_validation_check_get_max_abs_diff (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, NAN);
  return check->max_abs_diff;
}

/**
 * oxp_validation_check_get_atol:
 * @check: a check of a report
 *
 * The tolerance @check compared with.
 *
 * Returns: the absolute tolerance, NAN when values were not compared
 */
double
oxp_validation_check_get_atol (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, NAN);
  return check->atol;
}

/**
 * oxp_validation_check_get_passed:
 * @check: a check of a report
 *
 * Whether the check passed.
 *
 * Returns: %TRUE when it passed
 */
gboolean
oxp_validation_check_get_passed (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, FALSE);
  return check->error_code < 0;
}

/**
 * oxp_validation_check_get_reason:
 * @check: a check of a report
 *
 * Why the check failed, naming what was expected and what was found.
 *
 * Returns: (transfer none) (nullable): the reason, %NULL when it passed
 */
const char *
oxp_validation_check_get_reason (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, NULL);
  return check->reason;
}

/**
 * oxp_validation_check_get_error_code:
 * @check: a check of a report
 *
 * The code of the failure in the %OXP_VALIDATION_ERROR domain, what `--json`
 * reports and oxp_validation_report_to_error() raises.
 *
 * Returns: an #OxpValidationError, -1 when the check passed
 */
gint
oxp_validation_check_get_error_code (const OxpValidationCheck *check)
{
  g_return_val_if_fail (check != NULL, -1);
  return check->error_code;
}

/* ---------------------------------------------------------------- report */

struct _OxpValidationReport
{
  GObject parent_instance;

  char *model_path;
  GPtrArray *checks; /* OxpValidationCheck */
};

/**
 * OxpValidationReport:
 *
 * Every check made on one model file, in the order made: load, inputs,
 * outputs, first shape set, second shape set, cache, reference.  A file
 * taking past_key_values.* runs each shape set twice, with its past length
 * and with an empty past; a decoder that also returns present.* gets the
 * cache check: one step after a past of the second set's length (at least
 * 1) against one run over the whole sequence without past, on the first
 * output at the last position, within the tolerance.  A config with fixed
 * shapes (oxp_onnx_config_set_fixed_shapes()) runs once, at its fixed dims:
 * its file takes no other shape.
 */
G_DEFINE_FINAL_TYPE (OxpValidationReport, oxp_validation_report, G_TYPE_OBJECT)

static void
oxp_validation_report_finalize (GObject *object)
{
  OxpValidationReport *self = OXP_VALIDATION_REPORT (object);

  g_free (self->model_path);
  g_ptr_array_unref (self->checks);

  G_OBJECT_CLASS (oxp_validation_report_parent_class)->finalize (object);
}

static void
oxp_validation_report_class_init (OxpValidationReportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_validation_report_finalize;
}

static void
oxp_validation_report_init (OxpValidationReport *self)
{
  self->checks = g_ptr_array_new_with_free_func ((GDestroyNotify)check_free);
}

static OxpValidationReport *
report_new (const char *model_path)
{
  OxpValidationReport *self = g_object_new (OXP_TYPE_VALIDATION_REPORT, NULL);

  self->model_path = g_strdup (model_path);
  return self;
}

/* Appends a row; @code -1 means passed, else @reason_format says why not. */
G_GNUC_PRINTF (9, 10)
static void
report_add (OxpValidationReport *self, OxpValidationCheckKind kind, Subject subject,
            const char *name, const char *shape_set, double max_abs_diff, double atol, gint code,
            const char *reason_format, ...)
{
  OxpValidationCheck *check = g_new0 (OxpValidationCheck, 1);

  check->kind = kind;
  check->subject = subject;
  check->name = g_strdup (name);
  check->shape_set = g_strdup (shape_set);
  check->max_abs_diff = max_abs_diff;
  check->atol = atol;
  check->error_code = code;
  if (reason_format != NULL)
    {
      va_list args;

      va_start (args, reason_format);
      check->reason = g_strdup_vprintf (reason_format, args);
      va_end (args);
    }
  g_ptr_array_add (self->checks, check);
}

static void
report_pass (OxpValidationReport *self, OxpValidationCheckKind kind, Subject subject,
             const char *name, const char *shape_set)
{
  report_add (self, kind, subject, name, shape_set, NAN, NAN, -1, NULL);
}

/**
 * oxp_validation_report_get_model_path:
 * @self: a #OxpValidationReport
 *
 * The model file the checks were made on.
 *
 * Returns: the model file the report is about.
 */
const char *
oxp_validation_report_get_model_path (OxpValidationReport *self)
{
  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), NULL);
  return self->model_path;
}

/**
 * oxp_validation_report_get_n_checks:
 * @self: a #OxpValidationReport
 *
 * The number of checks in the report, failed ones included.
 *
 * Returns: the number of checks made.
 */
guint
oxp_validation_report_get_n_checks (OxpValidationReport *self)
{
  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), 0);
  return self->checks->len;
}

/**
 * oxp_validation_report_get_check:
 * @self: a #OxpValidationReport
 * @index: below oxp_validation_report_get_n_checks()
 *
 * Check @index of the report, in the order the checks were made; owned by
 * the report.
 *
 * Returns: (transfer none): the check.
 */
const OxpValidationCheck *
oxp_validation_report_get_check (OxpValidationReport *self, guint index)
{
  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), NULL);
  g_return_val_if_fail (index < self->checks->len, NULL);
  return g_ptr_array_index (self->checks, index);
}

/**
 * oxp_validation_report_get_first_failure:
 * @self: a #OxpValidationReport
 *
 * The first failing check in the order made: the one the error of
 * oxp_validator_validate() describes.
 *
 * Returns: (transfer none) (nullable): the first failing check.
 */
const OxpValidationCheck *
oxp_validation_report_get_first_failure (OxpValidationReport *self)
{
  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), NULL);

  for (guint i = 0; i < self->checks->len; i++)
    {
      const OxpValidationCheck *check = g_ptr_array_index (self->checks, i);

      if (check->error_code >= 0)
        return check;
    }
  return NULL;
}

/**
 * oxp_validation_report_get_passed:
 * @self: a #OxpValidationReport
 *
 * Whether every check of the report passed.
 *
 * Returns: whether every check passed.
 */
gboolean
oxp_validation_report_get_passed (OxpValidationReport *self)
{
  return oxp_validation_report_get_first_failure (self) == NULL;
}

static char *
check_describe (OxpValidationReport *self, const OxpValidationCheck *check)
{
  GString *s = g_string_new (self->model_path);

  if (check->subject == SUBJECT_INPUT)
    g_string_append_printf (s, ": input %s", check->name);
  else if (check->subject == SUBJECT_OUTPUT)
    g_string_append_printf (s, ": output %s", check->name);
  if (check->kind == OXP_VALIDATION_CHECK_REFERENCE)
    g_string_append (s, check->subject == SUBJECT_MODEL ? ": reference" : " (reference)");
  else if (check->shape_set != NULL)
    g_string_append_printf (s, "%s%s", check->subject == SUBJECT_MODEL ? ": at " : " at ",
                            check->shape_set);
  g_string_append_printf (s, ": %s", check->reason);
  return g_string_free (s, FALSE);
}

/**
 * oxp_validation_report_to_error:
 * @self: a #OxpValidationReport
 * @error: return location for a #GError
 *
 * Turns the first failure into @error (in #OXP_VALIDATION_ERROR).
 *
 * Returns: %TRUE when every check passed.
 */
gboolean
oxp_validation_report_to_error (OxpValidationReport *self, GError **error)
{
  const OxpValidationCheck *failure;
  g_autofree char *message = NULL;

  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), FALSE);

  failure = oxp_validation_report_get_first_failure (self);
  if (failure == NULL)
    return TRUE;
  message = check_describe (self, failure);
  g_set_error_literal (error, OXP_VALIDATION_ERROR, failure->error_code, message);
  return FALSE;
}

static char *
format_number (double value)
{
  if (isnan (value))
    return g_strdup ("-");
  return g_strdup_printf ("%.3g", value);
}

/**
 * oxp_validation_report_to_table:
 * @self: a #OxpValidationReport
 *
 * An aligned text table, one row per check, ending in a newline, with the
 * columns NAME, CHECK, SHAPES, MAX ABS DIFF, ATOL and RESULT: what
 * `oxport validate` prints.
 *
 * Returns: (transfer full): the checks as an aligned text table.
 */
char *
oxp_validation_report_to_table (OxpValidationReport *self)
{
  enum
  {
    N_COLUMNS = 6
  };
  static const char *const headers[N_COLUMNS]
      = { "NAME", "CHECK", "SHAPES", "MAX ABS DIFF", "ATOL", "RESULT" };
  g_autoptr (GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  gsize widths[N_COLUMNS] = { 0 };
  GString *out = g_string_new (NULL);
  guint n_rows;

  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), NULL);

  for (guint c = 0; c < N_COLUMNS; c++)
    g_ptr_array_add (cells, g_strdup (headers[c]));
  for (guint i = 0; i < self->checks->len; i++)
    {
      const OxpValidationCheck *check = g_ptr_array_index (self->checks, i);

      g_ptr_array_add (cells, g_strdup (check->name));
      g_ptr_array_add (cells, g_strdup (oxp_validation_check_kind_to_string (check->kind)));
      g_ptr_array_add (cells, g_strdup (check->shape_set != NULL ? check->shape_set : "-"));
      g_ptr_array_add (cells, format_number (check->max_abs_diff));
      g_ptr_array_add (cells, format_number (check->atol));
      g_ptr_array_add (cells, check->error_code < 0 ? g_strdup ("ok")
                                                    : g_strdup_printf ("FAIL: %s", check->reason));
    }

  n_rows = cells->len / N_COLUMNS;
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < N_COLUMNS - 1; c++)
      widths[c] = MAX (widths[c],
                       (gsize)g_utf8_strlen (g_ptr_array_index (cells, r * N_COLUMNS + c), -1));

  for (guint r = 0; r < n_rows; r++)
    {
      for (guint c = 0; c < N_COLUMNS; c++)
        {
          const char *cell = g_ptr_array_index (cells, r * N_COLUMNS + c);

          g_string_append (out, cell);
          if (c < N_COLUMNS - 1)
            {
              for (gsize pad = (gsize)g_utf8_strlen (cell, -1); pad < widths[c] + 2; pad++)
                g_string_append_c (out, ' ');
            }
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
json_add_number_or_null (JsonBuilder *builder, const char *member, double value)
{
  json_builder_set_member_name (builder, member);
  if (isnan (value))
    json_builder_add_null_value (builder);
  else if (isinf (value))
    /* JSON has no infinity. */
    json_builder_add_string_value (builder, value > 0 ? "inf" : "-inf");
  else
    json_builder_add_double_value (builder, value);
}

static void
json_add_string_or_null (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

static const char *
error_code_to_string (gint code)
{
  switch (code)
    {
    case OXP_VALIDATION_ERROR_LOAD:
      return "load";
    case OXP_VALIDATION_ERROR_INPUT:
      return "input";
    case OXP_VALIDATION_ERROR_OUTPUT:
      return "output";
    case OXP_VALIDATION_ERROR_FROZEN_DIMENSION:
      return "frozen-dimension";
    case OXP_VALIDATION_ERROR_RUN:
      return "run";
    case OXP_VALIDATION_ERROR_SHAPE:
      return "shape";
    case OXP_VALIDATION_ERROR_NOT_FINITE:
      return "not-finite";
    case OXP_VALIDATION_ERROR_TOLERANCE:
      return "tolerance";
    case OXP_VALIDATION_ERROR_REFERENCE:
      return "reference";
    default:
      return NULL;
    }
}

/**
 * oxp_validation_report_to_json:
 * @self: a #OxpValidationReport
 *
 * The report as `--json` prints it: {"model", "passed", "error" (null or the
 * message), "checks": [{"name", "check", "shapes", "max_abs_diff", "atol",
 * "passed", "reason", "error"}]}, with null for what does not apply.
 *
 * Returns: (transfer full): the report as a JSON object.
 */
JsonNode *
oxp_validation_report_to_json (OxpValidationReport *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (OXP_IS_VALIDATION_REPORT (self), NULL);

  oxp_validation_report_to_error (self, &error);

  json_builder_begin_object (builder);
  json_add_string_or_null (builder, "model", self->model_path);
  json_builder_set_member_name (builder, "passed");
  json_builder_add_boolean_value (builder, error == NULL);
  json_add_string_or_null (builder, "error", error != NULL ? error->message : NULL);
  json_builder_set_member_name (builder, "checks");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->checks->len; i++)
    {
      const OxpValidationCheck *check = g_ptr_array_index (self->checks, i);

      json_builder_begin_object (builder);
      json_add_string_or_null (builder, "name", check->name);
      json_add_string_or_null (builder, "check", oxp_validation_check_kind_to_string (check->kind));
      json_add_string_or_null (builder, "shapes", check->shape_set);
      json_add_number_or_null (builder, "max_abs_diff", check->max_abs_diff);
      json_add_number_or_null (builder, "atol", check->atol);
      json_builder_set_member_name (builder, "passed");
      json_builder_add_boolean_value (builder, check->error_code < 0);
      json_add_string_or_null (builder, "reason", check->reason);
      json_add_string_or_null (builder, "error", error_code_to_string (check->error_code));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ------------------------------------------------------------- validator */

struct _OxpValidator
{
  GObject parent_instance;

  OxpRuntime *runtime;
  double atol;
  char *reference;
  char *reference_mask;
  OxpShapes shapes[2];
};

/**
 * OxpValidator:
 *
 * The counterpart of optimum's validate_model_outputs for one exported file
 * and the #OxpOnnxConfig it was exported with: runs it in ONNX Runtime at
 * two shape sets and against reference vectors, and reports each check in
 * an #OxpValidationReport.
 */
G_DEFINE_FINAL_TYPE (OxpValidator, oxp_validator, G_TYPE_OBJECT)

static void
oxp_validator_finalize (GObject *object)
{
  OxpValidator *self = OXP_VALIDATOR (object);

  g_clear_object (&self->runtime);
  g_free (self->reference);
  g_free (self->reference_mask);

  G_OBJECT_CLASS (oxp_validator_parent_class)->finalize (object);
}

static void
oxp_validator_class_init (OxpValidatorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_validator_finalize;
}

static void
oxp_validator_init (OxpValidator *self)
{
  oxp_shapes_init_default (&self->shapes[0]);
  self->shapes[1] = self->shapes[0];
  /* Sizes unlike the defaults and unlike each other, so that a dimension
   * frozen at export, or bound to the wrong symbol, shows. */
  self->shapes[1].batch_size = 3;
  self->shapes[1].sequence_length = 11;
  self->shapes[1].past_sequence_length = 7;
  self->shapes[1].encoder_sequence_length = 13;
  self->shapes[1].seed = self->shapes[0].seed + 1;
}

/**
 * oxp_validator_new:
 * @runtime: the ONNX Runtime to validate with
 *
 * Creates a validator running models in @runtime.
 *
 * Returns: (transfer full): a validator with the default tolerance, shape
 *   sets and no reference.
 */
OxpValidator *
oxp_validator_new (OxpRuntime *runtime)
{
  OxpValidator *self;

  g_return_val_if_fail (OXP_IS_RUNTIME (runtime), NULL);

  self = g_object_new (OXP_TYPE_VALIDATOR, NULL);
  self->runtime = g_object_ref (runtime);
  return self;
}

/**
 * oxp_validator_set_atol:
 * @self: a validator
 * @atol: the absolute tolerance, or 0 for the default
 *
 * Sets the tolerance of the reference comparison.  0 (the default) uses the
 * config's, oxp_onnx_config_get_atol(), or 1e-4 without a config.
 */
void
oxp_validator_set_atol (OxpValidator *self, double atol)
{
  g_return_if_fail (OXP_IS_VALIDATOR (self));
  self->atol = (isnan (atol) || atol < 0) ? 0 : atol;
}

/**
 * oxp_validator_get_atol:
 * @self: a validator
 *
 * The tolerance set with oxp_validator_set_atol().
 *
 * Returns: the tolerance, 0 for the config's
 */
double
oxp_validator_get_atol (OxpValidator *self)
{
  g_return_val_if_fail (OXP_IS_VALIDATOR (self), 0);
  return self->atol;
}

/**
 * oxp_validator_set_reference:
 * @self: a validator
 * @path: (nullable): a safetensors file, or %NULL for none
 *
 * Sets the reference file: inputs and expected outputs under their ONNX
 * names, as transformers computed them (extra tensors are ignored).  The
 * reference inputs are fed to the model and every output present in the
 * file is compared within the tolerance.
 */
void
oxp_validator_set_reference (OxpValidator *self, const char *path)
{
  g_return_if_fail (OXP_IS_VALIDATOR (self));
  g_free (self->reference);
  self->reference = g_strdup (path);
}

/**
 * oxp_validator_get_reference:
 * @self: a validator
 *
 * The reference file set with oxp_validator_set_reference().
 *
 * Returns: (transfer none) (nullable): its path, %NULL for none
 */
const char *
oxp_validator_get_reference (OxpValidator *self)
{
  g_return_val_if_fail (OXP_IS_VALIDATOR (self), NULL);
  return self->reference;
}

/**
 * oxp_validator_set_reference_mask:
 * @self: a #OxpValidator
 * @input_name: (nullable): a reference input (e.g. "attention_mask")
 *
 * Restricts the reference comparison to the positions @input_name keeps
 * (non-zero).  An output whose leading dimensions equal that input's shape
 * is compared where the input is non-zero, other outputs in full; a
 * reference without that input fails the comparison.  For models whose
 * padded positions are implementation-defined (DeBERTa's fully masked query
 * rows); %NULL (the default) compares every element.
 */
void
oxp_validator_set_reference_mask (OxpValidator *self, const char *input_name)
{
  g_return_if_fail (OXP_IS_VALIDATOR (self));
  g_free (self->reference_mask);
  self->reference_mask = g_strdup (input_name);
}

/**
 * oxp_validator_get_reference_mask:
 * @self: a #OxpValidator
 *
 * The input set with oxp_validator_set_reference_mask().
 *
 * Returns: (nullable): the input restricting the reference comparison
 */
const char *
oxp_validator_get_reference_mask (OxpValidator *self)
{
  g_return_val_if_fail (OXP_IS_VALIDATOR (self), NULL);
  return self->reference_mask;
}

/**
 * oxp_validator_set_shapes:
 * @self: a validator
 * @first: the first shape set
 * @second: the second shape set
 *
 * Sets the two shape sets dummy inputs are generated at.  The defaults are
 * optimum's (oxp_shapes_init_default()), then batch 3, sequence 11, past 7
 * and encoder sequence 13 with another seed, so that no symbolic size
 * equals another and a dim frozen to one size shows.
 */
void
oxp_validator_set_shapes (OxpValidator *self, const OxpShapes *first, const OxpShapes *second)
{
  g_return_if_fail (OXP_IS_VALIDATOR (self));
  g_return_if_fail (first != NULL && second != NULL);
  self->shapes[0] = *first;
  self->shapes[1] = *second;
}

/**
 * oxp_validator_get_shapes:
 * @self: a validator
 * @first: (out caller-allocates) (optional): the first shape set
 * @second: (out caller-allocates) (optional): the second shape set
 *
 * The two shape sets dummy inputs are generated at.
 */
void
oxp_validator_get_shapes (OxpValidator *self, OxpShapes *first, OxpShapes *second)
{
  g_return_if_fail (OXP_IS_VALIDATOR (self));
  if (first != NULL)
    *first = self->shapes[0];
  if (second != NULL)
    *second = self->shapes[1];
}

/* -------------------------------------------------------- static checks */

/* Runtime messages start with the model's path, which the report's own
 * messages already give. */
static const char *
strip_path (const char *message, const char *model_path)
{
  gsize n = strlen (model_path);

  if (strncmp (message, model_path, n) == 0 && message[n] == ':' && message[n + 1] == ' ')
    return message + n + 2;
  return message;
}

static const OxpTensorSpec *
spec_lookup (GPtrArray *specs, const char *name, guint *index)
{
  for (guint i = 0; i < specs->len; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (specs, i);

      if (g_strcmp0 (oxp_tensor_spec_get_name (spec), name) == 0)
        {
          if (index != NULL)
            *index = i;
          return spec;
        }
    }
  return NULL;
}

static const char *
dtype_name (OxpDataType dtype)
{
  const char *name = oxp_data_type_to_string (dtype);

  return name != NULL ? name : "unknown";
}

static gboolean
same_names (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (spec_lookup (b, oxp_tensor_spec_get_name (g_ptr_array_index (a, i)), NULL) == NULL)
      return FALSE;
  return TRUE;
}

/* Compares one declared spec with the model's; returns the error code (or
 * -1) and sets @reason. */
static gint
compare_spec (const OxpTensorSpec *want, const OxpTensorSpec *have, gint mismatch_code,
              char **reason)
{
  guint rank = oxp_tensor_spec_get_rank (want);
  g_autofree char *want_dims = oxp_tensor_spec_dims_to_string (want);
  g_autofree char *have_dims = oxp_tensor_spec_dims_to_string (have);

  if (oxp_tensor_spec_get_dtype (want) != oxp_tensor_spec_get_dtype (have))
    {
      *reason = g_strdup_printf ("element type is %s, the config declares %s",
                                 dtype_name (oxp_tensor_spec_get_dtype (have)),
                                 dtype_name (oxp_tensor_spec_get_dtype (want)));
      return mismatch_code;
    }
  if (oxp_tensor_spec_get_rank (have) != rank)
    {
      *reason = g_strdup_printf ("rank is %u ([%s]), the config declares rank %u ([%s])",
                                 oxp_tensor_spec_get_rank (have), have_dims, rank, want_dims);
      return mismatch_code;
    }
  /* Frozen dimensions first: they are the mistake worth naming. */
  for (guint axis = 0; axis < rank; axis++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (want, axis);
      gint64 fixed = oxp_tensor_spec_get_dim_value (have, axis);

      if (param != NULL && fixed >= 0)
        {
          *reason = g_strdup_printf ("frozen dimension: axis %u is fixed at %" G_GINT64_FORMAT
                                     " in the model ([%s]), the config declares it symbolic "
                                     "(%s) ([%s])",
                                     axis, fixed, have_dims, param, want_dims);
          return OXP_VALIDATION_ERROR_FROZEN_DIMENSION;
        }
    }
  for (guint axis = 0; axis < rank; axis++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (want, axis);
      const char *have_param = oxp_tensor_spec_get_dim_param (have, axis);
      gint64 value = oxp_tensor_spec_get_dim_value (want, axis);
      gint64 have_value = oxp_tensor_spec_get_dim_value (have, axis);

      if (param != NULL && g_strcmp0 (param, have_param) != 0)
        {
          *reason = g_strdup_printf ("axis %u is %s%s%s in the model ([%s]), the config names it "
                                     "%s ([%s])",
                                     axis, have_param != NULL ? "named " : "dynamic but unnamed",
                                     have_param != NULL ? have_param : "", "", have_dims, param,
                                     want_dims);
          return mismatch_code;
        }
      /* A number in the config may be dynamic in the model: that only
       * makes the model more general. */
      if (value >= 0 && have_value >= 0 && value != have_value)
        {
          *reason = g_strdup_printf ("axis %u is %" G_GINT64_FORMAT " in the model ([%s]), the "
                                     "config declares %" G_GINT64_FORMAT " ([%s])",
                                     axis, have_value, have_dims, value, want_dims);
          return mismatch_code;
        }
    }
  return -1;
}

/* Checks the model's inputs (@outputs FALSE) or outputs against the
 * config's.  Returns FALSE when the model cannot be fed the config's
 * inputs (a name, type or rank differs). */
static gboolean
check_signature (OxpValidationReport *report, GPtrArray *declared, GPtrArray *actual,
                 gboolean outputs)
{
  OxpValidationCheckKind kind = outputs ? OXP_VALIDATION_CHECK_OUTPUT : OXP_VALIDATION_CHECK_INPUT;
  Subject subject = outputs ? SUBJECT_OUTPUT : SUBJECT_INPUT;
  gint code = outputs ? OXP_VALIDATION_ERROR_OUTPUT : OXP_VALIDATION_ERROR_INPUT;
  const char *what = outputs ? "output" : "input";
  gboolean order_comparable = same_names (declared, actual);
  gboolean feedable = TRUE;

  for (guint i = 0; i < declared->len; i++)
    {
      const OxpTensorSpec *want = g_ptr_array_index (declared, i);
      const char *name = oxp_tensor_spec_get_name (want);
      const OxpTensorSpec *have;
      g_autofree char *reason = NULL;
      guint index = 0;
      gint result;

      have = spec_lookup (actual, name, &index);
      if (have == NULL)
        {
          report_add (report, kind, subject, name, NULL, NAN, NAN, code,
                      "missing %s: the config declares %s #%u, the model has no %s of that name",
                      what, what, i, what);
          feedable = FALSE;
          continue;
        }
      if (order_comparable && index != i)
        {
          report_add (report, kind, subject, name, NULL, NAN, NAN, code,
                      "%s order differs: it is %s #%u in the model, the config declares #%u", what,
                      what, index, i);
          continue;
        }
      result = compare_spec (want, have, code, &reason);
      if (result >= 0)
        {
          report_add (report, kind, subject, name, NULL, NAN, NAN, result, "%s", reason);
          if (result == code)
            feedable = FALSE;
          continue;
        }
      report_pass (report, kind, subject, name, NULL);
    }

  for (guint i = 0; i < actual->len; i++)
    {
      const char *name = oxp_tensor_spec_get_name (g_ptr_array_index (actual, i));

      if (spec_lookup (declared, name, NULL) == NULL)
        {
          report_add (report, kind, subject, name, NULL, NAN, NAN, code,
                      "unexpected %s: the model has %s #%u, which the config does not declare",
                      what, what, i);
          feedable = FALSE;
        }
    }
  return feedable;
}

/* ----------------------------------------------------------- dummy runs */

typedef struct
{
  char *param;
  gint64 value;
  char *where; /* "input input_ids axis 0" */
} Binding;

static void
binding_free (Binding *binding)
{
  g_free (binding->param);
  g_free (binding->where);
  g_free (binding);
}

static Binding *
binding_lookup (GPtrArray *bindings, const char *param)
{
  for (guint i = 0; i < bindings->len; i++)
    {
      Binding *binding = g_ptr_array_index (bindings, i);

      if (g_str_equal (binding->param, param))
        return binding;
    }
  return NULL;
}

static char *
shape_to_string (const gint64 *shape, guint rank)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < rank; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Checks @tensor's shape against @spec: numbers as declared, each
 * symbolic name one size across every tensor (@bindings) and, when
 * @shapes knows the name (or sum of names), the size it asks for.  NULL
 * when it fits, else the reason. */
static char *
check_shape (const OxpTensorSpec *spec, const OxpTensor *tensor, const char *what,
             GPtrArray *bindings, const OxpShapes *shapes)
{
  guint rank = oxp_tensor_spec_get_rank (spec);
  const gint64 *shape = oxp_tensor_get_shape (tensor);
  g_autofree char *have = shape_to_string (shape, oxp_tensor_get_rank (tensor));
  g_autofree char *want = oxp_tensor_spec_dims_to_string (spec);

  if (oxp_tensor_get_rank (tensor) != rank)
    return g_strdup_printf ("shape %s has rank %u, expected [%s]", have,
                            oxp_tensor_get_rank (tensor), want);

  for (guint axis = 0; axis < rank; axis++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, axis);
      gint64 fixed = oxp_tensor_spec_get_dim_value (spec, axis);
      gint64 expected;

      if (fixed >= 0 && shape[axis] != fixed)
        return g_strdup_printf ("shape %s, expected [%s]: axis %u is %" G_GINT64_FORMAT
                                ", expected %" G_GINT64_FORMAT,
                                have, want, axis, shape[axis], fixed);
      if (param != NULL)
        {
          Binding *binding = binding_lookup (bindings, param);

          if (binding == NULL)
            {
              binding = g_new0 (Binding, 1);
              binding->param = g_strdup (param);
              binding->value = shape[axis];
              binding->where
                  = g_strdup_printf ("%s %s axis %u", what, oxp_tensor_get_name (tensor), axis);
              g_ptr_array_add (bindings, binding);
            }
          else if (binding->value != shape[axis])
            return g_strdup_printf ("shape %s, expected [%s]: axis %u (%s) is %" G_GINT64_FORMAT
                                    ", but %s is %" G_GINT64_FORMAT " in %s",
                                    have, want, axis, param, shape[axis], param, binding->value,
                                    binding->where);
          expected = oxp_shapes_resolve_dim (shapes, param);
          if (expected >= 0 && shape[axis] != expected)
            return g_strdup_printf ("shape %s, expected [%s]: axis %u (%s) is %" G_GINT64_FORMAT
                                    ", the shape set has %s = %" G_GINT64_FORMAT,
                                    have, want, axis, param, shape[axis], param, expected);
        }
    }
  return NULL;
}

static gboolean
is_float_type (OxpDataType dtype)
{
  return dtype == OXP_DATA_TYPE_FLOAT || dtype == OXP_DATA_TYPE_DOUBLE
         || dtype == OXP_DATA_TYPE_FLOAT16 || dtype == OXP_DATA_TYPE_BFLOAT16;
}

/* Index of the first non-finite element, or -1. */
static gssize
find_non_finite (const OxpTensor *tensor)
{
  OxpDataType dtype = oxp_tensor_get_dtype (tensor);
  gsize n = oxp_tensor_get_n_elements (tensor);

  if (!is_float_type (dtype))
    return -1;
  if (dtype == OXP_DATA_TYPE_FLOAT)
    {
      const float *data = oxp_tensor_get_data (tensor);

      for (gsize i = 0; i < n; i++)
        if (!isfinite (data[i]))
          return (gssize)i;
      return -1;
    }
  for (gsize i = 0; i < n; i++)
    if (!isfinite (oxp_tensor_get_element_as_double (tensor, i)))
      return (gssize)i;
  return -1;
}

static OxpTensor *
tensor_lookup (GPtrArray *tensors, const char *name)
{
  for (guint i = 0; i < tensors->len; i++)
    {
      OxpTensor *tensor = g_ptr_array_index (tensors, i);

      if (g_strcmp0 (oxp_tensor_get_name (tensor), name) == 0)
        return tensor;
    }
  return NULL;
}

/* "batch_size=2,sequence_length=16" from the inputs' symbolic dims. */
static char *
shape_set_label (GPtrArray *bindings, guint index)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < bindings->len; i++)
    {
      Binding *binding = g_ptr_array_index (bindings, i);

      g_string_append_printf (s, "%s%s=%" G_GINT64_FORMAT, s->len > 0 ? "," : "", binding->param,
                              binding->value);
    }
  if (s->len == 0)
    g_string_append_printf (s, "shape set %u", index + 1);
  return g_string_free (s, FALSE);
}

static gboolean
run_dummy (OxpValidator *self, OxpValidationReport *report, OxpRuntimeSession *session,
           OxpOnnxConfig *config, GPtrArray *declared_inputs, GPtrArray *declared_outputs,
           const OxpShapes *shapes, guint index, GError **error)
{
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GPtrArray) bindings = g_ptr_array_new_with_free_func ((GDestroyNotify)binding_free);
  g_autoptr (GError) run_error = NULL;
  g_autofree char *label = NULL;
  g_autofree char *basename = g_path_get_basename (report->model_path);
  GPtrArray *model_outputs = oxp_runtime_session_get_outputs (session);
  char *input_problem = NULL;

  inputs = oxp_onnx_config_generate_dummy_inputs (config, shapes, error);
  if (inputs == NULL)
    return FALSE;

  /* The inputs fix the size of every symbolic name. */
  for (guint i = 0; i < declared_inputs->len && input_problem == NULL; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (declared_inputs, i);
      OxpTensor *tensor = tensor_lookup (inputs, oxp_tensor_spec_get_name (spec));

      if (tensor == NULL)
        input_problem = g_strdup_printf ("the config's dummy input generators gave no %s",
                                         oxp_tensor_spec_get_name (spec));
      else
        input_problem = check_shape (spec, tensor, "input", bindings, shapes);
    }
  label = shape_set_label (bindings, index);
  if (input_problem != NULL)
    {
      /* The config contradicts itself: not the model's fault. */
      g_set_error (error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_INPUT,
                   "%s: dummy inputs at %s do not fit the config's own inputs: %s",
                   report->model_path, label, input_problem);
      g_free (input_problem);
      return FALSE;
    }

  outputs = oxp_runtime_session_run (session, inputs, &run_error);
  if (outputs == NULL)
    {
      report_add (report, OXP_VALIDATION_CHECK_RUN, SUBJECT_MODEL, basename, label, NAN, NAN,
                  OXP_VALIDATION_ERROR_RUN, "%s",
                  strip_path (run_error->message, report->model_path));
      return TRUE;
    }

  for (guint i = 0; i < declared_outputs->len; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (declared_outputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);
      guint model_index = 0;
      g_autofree char *problem = NULL;
      OxpTensor *tensor;
      gssize bad;

      /* A missing output was already reported by the static check. */
      if (spec_lookup (model_outputs, name, &model_index) == NULL)
        continue;
      tensor = g_ptr_array_index (outputs, model_index);

      problem = check_shape (spec, tensor, "output", bindings, shapes);
      if (problem != NULL)
        {
          report_add (report, OXP_VALIDATION_CHECK_RUN, SUBJECT_OUTPUT, name, label, NAN, NAN,
                      OXP_VALIDATION_ERROR_SHAPE, "%s", problem);
          continue;
        }
      bad = find_non_finite (tensor);
      if (bad >= 0)
        {
          report_add (report, OXP_VALIDATION_CHECK_RUN, SUBJECT_OUTPUT, name, label, NAN, NAN,
                      OXP_VALIDATION_ERROR_NOT_FINITE,
                      "not finite: element %" G_GSSIZE_FORMAT " is %g", bad,
                      oxp_tensor_get_element_as_double (tensor, (gsize)bad));
          continue;
        }
      report_pass (report, OXP_VALIDATION_CHECK_RUN, SUBJECT_OUTPUT, name, label);
    }
  return TRUE;
}

/* ------------------------------------------------------------ cache */

/* A decoder-only file that takes its cache and returns it. */
static gboolean
has_cache (GPtrArray *inputs, GPtrArray *outputs)
{
  return spec_lookup (inputs, "past_key_values.0.key", NULL) != NULL
         && spec_lookup (outputs, "present.0.key", NULL) != NULL;
}

/* Puts @t (consumed) in place of the tensor of the same name. */
static void
replace_tensor (GPtrArray *tensors, OxpTensor *t)
{
  for (guint i = 0; i < tensors->len; i++)
    if (strcmp (oxp_tensor_get_name (g_ptr_array_index (tensors, i)), oxp_tensor_get_name (t)) == 0)
      {
        oxp_tensor_unref (g_ptr_array_index (tensors, i));
        tensors->pdata[i] = t;
        return;
      }
  oxp_tensor_unref (t);
}

/* [rows, @len] of @like's type: @ids[:, @from : @from + @len] when @ids is
 * given, else @start + column index (positions), or 1 when @start < 0. */
static OxpTensor *
int_columns (OxpTensor *like, const char *name, gint64 rows, gint64 len, const OxpTensor *ids,
             gint64 from, gint64 start)
{
  const gint64 shape[] = { rows, len };
  OxpTensor *t
      = oxp_tensor_new (name, like ? oxp_tensor_get_dtype (like) : OXP_DATA_TYPE_INT64, shape, 2);

  for (gint64 r = 0; r < rows; r++)
    for (gint64 k = 0; k < len; k++)
      {
        double v = ids ? oxp_tensor_get_element_as_double (
                       ids, (gsize)(r * oxp_tensor_get_shape (ids)[1] + from + k))
                   : start < 0 ? 1.0
                               : (double)(start + k);
        oxp_tensor_set_element_from_double (t, (gsize)(r * len + k), v);
      }
  return t;
}

/* The inputs of one run over @ids[:, @from : @from + @len] after a past of
 * @past tokens: unpadded mask, positions past + arange, and the merged
 * decoder's branch. */
static GPtrArray *
cache_run_inputs (OxpOnnxConfig *config, const OxpShapes *base, const OxpTensor *ids, gint64 from,
                  gint64 len, gint64 past, GError **error)
{
  OxpShapes shapes = *base;
  GPtrArray *inputs;
  OxpTensor *t;
  gint64 rows = oxp_tensor_get_shape (ids)[0];

  shapes.sequence_length = len;
  shapes.past_sequence_length = past;
  inputs = oxp_onnx_config_generate_dummy_inputs (config, &shapes, error);
  if (inputs == NULL)
    return NULL;
  replace_tensor (inputs, int_columns (tensor_lookup (inputs, "input_ids"), "input_ids", rows, len,
                                       ids, from, 0));
  if ((t = tensor_lookup (inputs, "attention_mask")) != NULL)
    replace_tensor (inputs, int_columns (t, "attention_mask", rows, past + len, NULL, 0, -1));
  if ((t = tensor_lookup (inputs, "position_ids")) != NULL)
    replace_tensor (inputs, int_columns (t, "position_ids", rows, len, NULL, 0, past));
  if ((t = tensor_lookup (inputs, "use_cache_branch")) != NULL)
    {
      OxpTensor *branch = oxp_dummy_constant_tensor ("use_cache_branch", oxp_tensor_get_dtype (t),
                                                     oxp_tensor_get_shape (t),
                                                     oxp_tensor_get_rank (t), past > 0 ? 1 : 0);
      replace_tensor (inputs, branch);
    }
  return inputs;
}

/* One step fed the cache of a first run must give, at its position, the
 * output a run over the whole sequence without past gives there: this is
 * what catches a cache that is returned in the wrong layout, positions that
 * ignore the past, or a mask that does not span it. */
static void
run_cache_check (OxpValidator *self, OxpValidationReport *report, OxpRuntimeSession *session,
                 OxpOnnxConfig *config, GPtrArray *declared_outputs, double atol)
{
  GPtrArray *model_outputs = oxp_runtime_session_get_outputs (session);
  const char *name = oxp_tensor_spec_get_name (g_ptr_array_index (declared_outputs, 0));
  gint64 past = MAX (self->shapes[1].past_sequence_length, 1);
  OxpShapes full = self->shapes[0];
  g_autoptr (GPtrArray) full_in = NULL;
  g_autoptr (GPtrArray) prefix_in = NULL;
  g_autoptr (GPtrArray) step_in = NULL;
  g_autoptr (GPtrArray) full_out = NULL;
  g_autoptr (GPtrArray) prefix_out = NULL;
  g_autoptr (GPtrArray) step_out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  OxpTensor *ids, *whole, *last;
  guint index = 0;
  gint64 rows, width;
  double worst = 0;

  if (spec_lookup (model_outputs, name, &index) == NULL)
    return;
  full.sequence_length = past + 1;
  full.past_sequence_length = 0;
  label = g_strdup_printf ("batch_size=%" G_GINT64_FORMAT ",past_sequence_length=%" G_GINT64_FORMAT
                           ",sequence_length=1 vs past 0,sequence_length=%" G_GINT64_FORMAT,
                           full.batch_size, past, past + 1);

  full_in = oxp_onnx_config_generate_dummy_inputs (config, &full, &error);
  ids = full_in ? tensor_lookup (full_in, "input_ids") : NULL;
  if (ids == NULL || oxp_tensor_get_rank (ids) != 2)
    return; /* not a token decoder: nothing to split */
  ids = oxp_tensor_ref (ids);
  rows = oxp_tensor_get_shape (ids)[0];

  g_clear_pointer (&full_in, g_ptr_array_unref);
  full_in = cache_run_inputs (config, &full, ids, 0, past + 1, 0, &error);
  if (full_in != NULL)
    full_out = oxp_runtime_session_run (session, full_in, &error);
  if (full_out != NULL)
    prefix_in = cache_run_inputs (config, &full, ids, 0, past, 0, &error);
  if (prefix_in != NULL)
    prefix_out = oxp_runtime_session_run (session, prefix_in, &error);
  if (prefix_out != NULL)
    step_in = cache_run_inputs (config, &full, ids, past, 1, past, &error);
  if (step_in != NULL)
    {
      /* The first run's present.i.* is the step's past_key_values.i.*. */
      for (guint i = 0; i < model_outputs->len; i++)
        {
          const char *out = oxp_tensor_spec_get_name (g_ptr_array_index (model_outputs, i));
          g_autofree char *in = NULL;
          OxpTensor *value = g_ptr_array_index (prefix_out, i);
          OxpTensor *copy;

          if (!g_str_has_prefix (out, "present."))
            continue;
          in = g_strconcat ("past_key_values.", out + strlen ("present."), NULL);
          copy = oxp_tensor_new (in, oxp_tensor_get_dtype (value), oxp_tensor_get_shape (value),
                                 oxp_tensor_get_rank (value));
          memcpy (oxp_tensor_get_mutable_data (copy), oxp_tensor_get_data (value),
                  oxp_tensor_get_size (value));
          replace_tensor (step_in, copy);
        }
      step_out = oxp_runtime_session_run (session, step_in, &error);
    }
  oxp_tensor_unref (ids);
  if (step_out == NULL)
    {
      report_add (report, OXP_VALIDATION_CHECK_CACHE, SUBJECT_OUTPUT, name, label, NAN, atol,
                  OXP_VALIDATION_ERROR_RUN, "%s",
                  strip_path (error ? error->message : "no inputs", report->model_path));
      return;
    }

  whole = g_ptr_array_index (full_out, index);
  last = g_ptr_array_index (step_out, index);
  if (oxp_tensor_get_rank (whole) != 3 || oxp_tensor_get_rank (last) != 3
      || oxp_tensor_get_shape (last)[1] != 1
      || oxp_tensor_get_shape (last)[2] != oxp_tensor_get_shape (whole)[2])
    {
      report_add (report, OXP_VALIDATION_CHECK_CACHE, SUBJECT_OUTPUT, name, label, NAN, atol,
                  OXP_VALIDATION_ERROR_SHAPE,
                  "the step's output is not [batch, 1, n] beside the full run's [batch, seq, n]");
      return;
    }
  width = oxp_tensor_get_shape (whole)[2];
  for (gint64 r = 0; r < rows; r++)
    for (gint64 c = 0; c < width; c++)
      {
        double a = oxp_tensor_get_element_as_double (last, (gsize)(r * width + c));
        double e = oxp_tensor_get_element_as_double (whole,
                                                     (gsize)((r * (past + 1) + past) * width + c));
        double d = fabs (a - e);

        worst = isnan (d) ? INFINITY : MAX (worst, d);
      }
  if (!(worst <= atol))
    report_add (report, OXP_VALIDATION_CHECK_CACHE, SUBJECT_OUTPUT, name, label, worst, atol,
                OXP_VALIDATION_ERROR_TOLERANCE,
                "with the cache, the last position differs by %.3g from the run without it "
                "(tolerance %.3g)",
                worst, atol);
  else
    report_add (report, OXP_VALIDATION_CHECK_CACHE, SUBJECT_OUTPUT, name, label, worst, atol, -1,
                NULL);
}

/* ------------------------------------------------------------ reference */

/* Whether element @i of @actual is compared: @mask (nullable) covers the
 * leading dimensions, each of its elements @inner output elements. */
static inline gboolean
kept (const OxpTensor *mask, gsize inner, gsize i)
{
  return mask == NULL || oxp_tensor_get_element_as_double (mask, i / inner) != 0;
}

static double
max_abs_diff (const OxpTensor *actual, const OxpTensor *expected, const OxpTensor *mask,
              gsize inner)
{
  gsize n = oxp_tensor_get_n_elements (actual);
  double worst = 0;

  if (oxp_tensor_get_dtype (actual) == OXP_DATA_TYPE_FLOAT
      && oxp_tensor_get_dtype (expected) == OXP_DATA_TYPE_FLOAT)
    {
      const float *a = oxp_tensor_get_data (actual);
      const float *e = oxp_tensor_get_data (expected);

      for (gsize i = 0; i < n; i++)
        {
          double d;

          if (a[i] == e[i] || !kept (mask, inner, i))
            continue;
          d = fabs ((double)a[i] - (double)e[i]);
          if (isnan (d))
            return INFINITY;
          worst = MAX (worst, d);
        }
      return worst;
    }

  for (gsize i = 0; i < n; i++)
    {
      double a = oxp_tensor_get_element_as_double (actual, i);
      double e = oxp_tensor_get_element_as_double (expected, i);
      double d;

      if (a == e || !kept (mask, inner, i))
        continue;
      d = fabs (a - e);
      if (isnan (d))
        return INFINITY;
      worst = MAX (worst, d);
    }
  return worst;
}

static gboolean
same_shape (const OxpTensor *a, const OxpTensor *b)
{
  guint rank = oxp_tensor_get_rank (a);

  return rank == oxp_tensor_get_rank (b)
         && memcmp (oxp_tensor_get_shape (a), oxp_tensor_get_shape (b), rank * sizeof (gint64))
                == 0;
}

/* Whether @mask's shape is a prefix of @x's. */
static gboolean
covers (const OxpTensor *mask, const OxpTensor *x)
{
  guint rank = mask ? oxp_tensor_get_rank (mask) : 0;

  return mask != NULL && rank <= oxp_tensor_get_rank (x)
         && memcmp (oxp_tensor_get_shape (mask), oxp_tensor_get_shape (x), rank * sizeof (gint64))
                == 0;
}

static void
run_reference (OxpValidator *self, OxpValidationReport *report, OxpRuntimeSession *session,
               double atol)
{
  static const char label[] = "reference";
  g_autoptr (OxpCheckpoint) reference = NULL;
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *basename = g_path_get_basename (report->model_path);
  GPtrArray *model_inputs = oxp_runtime_session_get_inputs (session);
  GPtrArray *model_outputs = oxp_runtime_session_get_outputs (session);
  gboolean inputs_ok = TRUE;
  guint n_compared = 0;
  g_autoptr (OxpTensor) mask = NULL;

  reference = oxp_checkpoint_open_safetensors (self->reference, &local_error);
  if (reference == NULL)
    {
      report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_MODEL, basename, label, NAN, NAN,
                  OXP_VALIDATION_ERROR_REFERENCE, "reference file unreadable: %s",
                  local_error->message);
      return;
    }

  for (guint i = 0; i < model_inputs->len; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (model_inputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);
      const OxpCheckpointTensor *value = oxp_checkpoint_lookup (reference, name);

      if (value == NULL)
        {
          report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_INPUT, name, label, NAN, NAN,
                      OXP_VALIDATION_ERROR_REFERENCE, "%s has no tensor for the model's input %s",
                      self->reference, name);
          inputs_ok = FALSE;
          continue;
        }
      /* References hold transformers' fp32 inputs: a half-precision export
       * takes them rounded, as a caller of that file would feed them. */
      if (is_float_type (oxp_checkpoint_tensor_get_dtype (value))
          && is_float_type (oxp_tensor_spec_get_dtype (spec))
          && oxp_checkpoint_tensor_get_dtype (value) != oxp_tensor_spec_get_dtype (spec))
        {
          g_autoptr (OxpTensor) given = oxp_checkpoint_tensor_to_tensor (value);
          OxpTensor *converted
              = oxp_tensor_new (name, oxp_tensor_spec_get_dtype (spec),
                                oxp_tensor_get_shape (given), oxp_tensor_get_rank (given));

          _oxp_convert_floats (oxp_tensor_spec_get_dtype (spec),
                               oxp_tensor_get_mutable_data (converted),
                               oxp_tensor_get_dtype (given), oxp_tensor_get_data (given),
                               oxp_tensor_get_n_elements (given));
          g_ptr_array_add (inputs, converted);
          continue;
        }
      if (oxp_checkpoint_tensor_get_dtype (value) != oxp_tensor_spec_get_dtype (spec))
        {
          report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_INPUT, name, label, NAN, NAN,
                      OXP_VALIDATION_ERROR_REFERENCE, "%s holds input %s as %s, the model takes %s",
                      self->reference, name, dtype_name (oxp_checkpoint_tensor_get_dtype (value)),
                      dtype_name (oxp_tensor_spec_get_dtype (spec)));
          inputs_ok = FALSE;
          continue;
        }
      g_ptr_array_add (inputs, oxp_checkpoint_tensor_to_tensor (value));
    }
  if (!inputs_ok)
    return;
  if (self->reference_mask != NULL)
    {
      const OxpCheckpointTensor *value = oxp_checkpoint_lookup (reference, self->reference_mask);

      if (value == NULL)
        {
          report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_MODEL, basename, label, NAN,
                      NAN, OXP_VALIDATION_ERROR_REFERENCE,
                      "%s has no tensor %s to select the compared positions", self->reference,
                      self->reference_mask);
          return;
        }
      mask = oxp_checkpoint_tensor_to_tensor (value);
    }

  outputs = oxp_runtime_session_run (session, inputs, &local_error);
  if (outputs == NULL)
    {
      report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_MODEL, basename, label, NAN, NAN,
                  OXP_VALIDATION_ERROR_RUN, "on the reference inputs: %s",
                  strip_path (local_error->message, report->model_path));
      return;
    }

  for (guint i = 0; i < outputs->len; i++)
    {
      OxpTensor *actual = g_ptr_array_index (outputs, i);
      const char *name = oxp_tensor_spec_get_name (g_ptr_array_index (model_outputs, i));
      const OxpCheckpointTensor *value = oxp_checkpoint_lookup (reference, name);
      g_autoptr (OxpTensor) expected = NULL;
      double diff;

      if (value == NULL)
        continue;
      n_compared++;
      expected = oxp_checkpoint_tensor_to_tensor (value);
      if (!same_shape (actual, expected))
        {
          g_autofree char *have
              = shape_to_string (oxp_tensor_get_shape (actual), oxp_tensor_get_rank (actual));
          g_autofree char *want
              = shape_to_string (oxp_tensor_get_shape (expected), oxp_tensor_get_rank (expected));

          report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_OUTPUT, name, label, NAN,
                      atol, OXP_VALIDATION_ERROR_SHAPE, "shape %s, the reference's is %s", have,
                      want);
          continue;
        }
      diff = max_abs_diff (actual, expected, covers (mask, actual) ? mask : NULL,
                           covers (mask, actual) ? oxp_tensor_get_n_elements (actual)
                                                       / MAX (oxp_tensor_get_n_elements (mask), 1)
                                                 : 1);
      if (!(diff <= atol))
        report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_OUTPUT, name, label, diff, atol,
                    OXP_VALIDATION_ERROR_TOLERANCE,
                    "max abs difference %.3g exceeds the tolerance %.3g", diff, atol);
      else
        report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_OUTPUT, name, label, diff, atol,
                    -1, NULL);
    }

  if (n_compared == 0)
    report_add (report, OXP_VALIDATION_CHECK_REFERENCE, SUBJECT_MODEL, basename, label, NAN, atol,
                OXP_VALIDATION_ERROR_REFERENCE, "%s holds none of the model's outputs",
                self->reference);
}

/**
 * oxp_validator_validate:
 * @self: a #OxpValidator
 * @config: (nullable): the config @model_path was exported with
 * @model_path: the ONNX file
 * @report: (out) (optional) (transfer full): every check made
 * @error: return location for a #GError
 *
 * Validates one exported file against the config it was exported with, as
 * optimum's validate_model_outputs does: the model loads; its inputs and
 * outputs have the config's names, order, element types and dims (symbolic
 * ones symbolic); it runs at both shape sets with dummy inputs from the
 * config's generators, every output with the declared shape, one size per
 * symbolic name across all inputs and outputs, and finite values; with a
 * reference, every output present there is within the tolerance.  With
 * @config %NULL only loading and the reference comparison are done.
 *
 * @report receives every check made, also when validation fails.  Fails in
 * %OXP_VALIDATION_ERROR when a check failed (see
 * oxp_validation_report_to_error()), in another domain when the checks
 * could not be made (dummy inputs could not be generated).
 *
 * Returns: %TRUE when every check passed.
 */
gboolean
oxp_validator_validate (OxpValidator *self, OxpOnnxConfig *config, const char *model_path,
                        OxpValidationReport **report, GError **error)
{
  g_autoptr (OxpValidationReport) result = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GError) load_error = NULL;
  g_autoptr (GPtrArray) declared_inputs = NULL;
  g_autoptr (GPtrArray) declared_outputs = NULL;
  g_autofree char *basename = NULL;
  gboolean feedable = TRUE;
  double atol;

  g_return_val_if_fail (OXP_IS_VALIDATOR (self), FALSE);
  g_return_val_if_fail (config == NULL || OXP_IS_ONNX_CONFIG (config), FALSE);
  g_return_val_if_fail (model_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (report != NULL)
    *report = NULL;

  result = report_new (model_path);
  basename = g_path_get_basename (model_path);

  session = oxp_runtime_open_session (self->runtime, model_path, &load_error);
  if (session == NULL)
    {
      report_add (result, OXP_VALIDATION_CHECK_LOAD, SUBJECT_MODEL, basename, NULL, NAN, NAN,
                  OXP_VALIDATION_ERROR_LOAD, "%s", strip_path (load_error->message, model_path));
      goto done;
    }
  report_pass (result, OXP_VALIDATION_CHECK_LOAD, SUBJECT_MODEL, basename, NULL);

  if (config != NULL)
    {
      declared_inputs = oxp_onnx_config_get_inputs (config);
      declared_outputs = oxp_onnx_config_get_outputs (config);

      feedable = check_signature (result, declared_inputs, oxp_runtime_session_get_inputs (session),
                                  FALSE);
      check_signature (result, declared_outputs, oxp_runtime_session_get_outputs (session), TRUE);
    }

  atol = self->atol > 0 ? self->atol : config != NULL ? oxp_onnx_config_get_atol (config) : 0;
  if (!(atol > 0))
    atol = DEFAULT_ATOL;

  /* The model cannot take the config's inputs: running it would only
   * repeat the failure above. */
  if (config != NULL && feedable)
    {
      /* A file that takes a cache also runs with an empty one (the first
       * step of current optimum's model.onnx, the merged file's other
       * branch): two past lengths at each shape set. */
      gboolean past_in
          = spec_lookup (declared_inputs, "past_key_values.0.key", NULL) != NULL
            || spec_lookup (declared_inputs, "past_key_values.0.decoder.key", NULL) != NULL;
      guint n_sets = 0;
      /* A file with fixed dims runs at its one shape, with its one past
       * length: no second set, no empty past, no cache check. */
      gboolean fixed = oxp_onnx_config_get_fixed_shapes (config, NULL);

      for (guint i = 0; i < (fixed ? 1u : G_N_ELEMENTS (self->shapes)); i++)
        for (guint empty = 0; empty < (past_in && !fixed ? 2u : 1u); empty++)
          {
            OxpShapes shapes = self->shapes[i];

            if (empty)
              {
                if (shapes.past_sequence_length == 0)
                  continue;
                shapes.past_sequence_length = 0;
              }
            if (!run_dummy (self, result, session, config, declared_inputs, declared_outputs,
                            &shapes, n_sets++, error))
              {
                if (report != NULL)
                  *report = g_steal_pointer (&result);
                return FALSE;
              }
          }
      if (!fixed && has_cache (declared_inputs, declared_outputs) && declared_outputs->len > 0)
        run_cache_check (self, result, session, config, declared_outputs, atol);
    }
  if (self->reference != NULL && feedable)
    run_reference (self, result, session, atol);

done:
  {
    gboolean passed = oxp_validation_report_to_error (result, error);

    if (report != NULL)
      *report = g_steal_pointer (&result);
    return passed;
  }
}

/* ------------------------------------------------------------ chain */

/* Where @name is in the export folder @folder: at the top (optimum's
 * layout), else as transformers.js's layout names it, onnx/NAME.onnx or
 * onnx/NAME_fp16.onnx.  (transfer full) */
static char *
chain_file_path (const char *folder, const char *name)
{
  g_autofree char *stem = g_strndup (name, strlen (name) - strlen (".onnx"));
  g_autofree char *fp16 = g_strconcat (stem, "_fp16.onnx", NULL);
  char *top = g_build_filename (folder, name, NULL);
  char *candidates[] = {
    g_build_filename (folder, "onnx", name, NULL),
    g_build_filename (folder, "onnx", fp16, NULL),
  };
  char *found = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (found == NULL && !g_file_test (top, G_FILE_TEST_EXISTS)
          && g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
        found = g_steal_pointer (&candidates[i]);
      g_free (candidates[i]);
    }
  if (found == NULL)
    return top;
  g_free (top);
  return found;
}

/* A copy of @t named @name. */
static OxpTensor *
tensor_copy_as (const OxpTensor *t, const char *name)
{
  OxpTensor *copy = oxp_tensor_new (name, oxp_tensor_get_dtype (t), oxp_tensor_get_shape (t),
                                    oxp_tensor_get_rank (t));

  memcpy (oxp_tensor_get_mutable_data (copy), oxp_tensor_get_data (t), oxp_tensor_get_size (t));
  return copy;
}

/* The output @name of a run of @session, or NULL. */
static OxpTensor *
run_output (OxpRuntimeSession *session, GPtrArray *outputs, const char *name)
{
  guint index = 0;

  if (outputs == NULL
      || spec_lookup (oxp_runtime_session_get_outputs (session), name, &index) == NULL)
    return NULL;
  return g_ptr_array_index (outputs, index);
}

/* Largest |a - b| over @a's [batch, n_a, width] rows from position @from_a
 * and @b's from @from_b, @len positions each; INFINITY on a shape mismatch
 * or NaN. */
static double
position_diff (const OxpTensor *a, gint64 from_a, const OxpTensor *b, gint64 from_b, gint64 len)
{
  const gint64 *sa = oxp_tensor_get_shape (a), *sb = oxp_tensor_get_shape (b);
  double worst = 0;

  if (oxp_tensor_get_rank (a) != 3 || oxp_tensor_get_rank (b) != 3 || sa[0] != sb[0]
      || sa[2] != sb[2] || from_a + len > sa[1] || from_b + len > sb[1])
    return INFINITY;
  for (gint64 r = 0; r < sa[0]; r++)
    for (gint64 p = 0; p < len; p++)
      for (gint64 c = 0; c < sa[2]; c++)
        {
          double x
              = oxp_tensor_get_element_as_double (a, (gsize)((r * sa[1] + from_a + p) * sa[2] + c));
          double y
              = oxp_tensor_get_element_as_double (b, (gsize)((r * sb[1] + from_b + p) * sb[2] + c));
          double d = fabs (x - y);

          worst = isnan (d) ? INFINITY : MAX (worst, d);
        }
  return worst;
}

typedef struct
{
  OxpOnnxConfig *config;
  OxpRuntimeSession *session;
  const char *file;
} ChainFile;

/* Inputs for @f at @shapes, with the decoder's tokens @ids[:, @from :
 * @from + @len], the encoder's output and mask, @prefix_out's presents as
 * the past (when given) and the merged file's branch. */
static GPtrArray *
chain_inputs (ChainFile *f, const OxpShapes *base, gint64 len, gint64 past, const OxpTensor *ids,
              gint64 from, const OxpTensor *encoder_out, const OxpTensor *encoder_mask,
              ChainFile *prefix, GPtrArray *prefix_out, GError **error)
{
  OxpShapes shapes = *base;
  GPtrArray *inputs;
  OxpTensor *t;

  shapes.sequence_length = len;
  shapes.past_sequence_length = past;
  inputs = oxp_onnx_config_generate_dummy_inputs (f->config, &shapes, error);
  if (inputs == NULL)
    return NULL;
  replace_tensor (inputs, int_columns (tensor_lookup (inputs, "input_ids"), "input_ids",
                                       oxp_tensor_get_shape (ids)[0], len, ids, from, 0));
  replace_tensor (inputs, tensor_copy_as (encoder_out, "encoder_hidden_states"));
  if (encoder_mask != NULL && (t = tensor_lookup (inputs, "encoder_attention_mask")) != NULL)
    {
      OxpTensor *mask = tensor_copy_as (encoder_mask, "encoder_attention_mask");

      if (oxp_tensor_get_dtype (mask) == oxp_tensor_get_dtype (t))
        replace_tensor (inputs, mask);
      else
        oxp_tensor_unref (mask);
    }
  if ((t = tensor_lookup (inputs, "use_cache_branch")) != NULL)
    replace_tensor (inputs, oxp_dummy_constant_tensor ("use_cache_branch", oxp_tensor_get_dtype (t),
                                                       oxp_tensor_get_shape (t),
                                                       oxp_tensor_get_rank (t), past > 0));
  /* The first step's present.i.* (decoder and encoder) is the past. */
  if (prefix_out != NULL)
    {
      GPtrArray *outs = oxp_runtime_session_get_outputs (prefix->session);

      for (guint i = 0; i < outs->len; i++)
        {
          const char *out = oxp_tensor_spec_get_name (g_ptr_array_index (outs, i));
          g_autofree char *in = NULL;

          if (!g_str_has_prefix (out, "present."))
            continue;
          in = g_strconcat ("past_key_values.", out + strlen ("present."), NULL);
          replace_tensor (inputs, tensor_copy_as (g_ptr_array_index (prefix_out, i), in));
        }
    }
  return inputs;
}

/* Runs @inputs (consumed) in @f; on failure adds a failed row and returns NULL. */
static GPtrArray *
chain_run (OxpValidationReport *report, ChainFile *f, GPtrArray *inputs, GError *input_error,
           const char *label)
{
  g_autoptr (GError) error = input_error;
  GPtrArray *outputs = NULL;

  if (inputs != NULL)
    {
      outputs = oxp_runtime_session_run (f->session, inputs, &error);
      g_ptr_array_unref (inputs);
    }
  if (outputs == NULL)
    report_add (report, OXP_VALIDATION_CHECK_CHAIN, SUBJECT_MODEL, f->file, label, NAN, NAN,
                OXP_VALIDATION_ERROR_RUN, "%s",
                error != NULL
                    ? strip_path (error->message, oxp_runtime_session_get_model_path (f->session))
                    : "no inputs");
  return outputs;
}

/* One row comparing @what's logits with the reference run's. */
static void
chain_compare (OxpValidationReport *report, const char *name, const char *label, double diff,
               double atol, const char *against)
{
  if (diff <= atol)
    report_add (report, OXP_VALIDATION_CHECK_CHAIN, SUBJECT_OUTPUT, name, label, diff, atol, -1,
                NULL);
  else
    report_add (report, OXP_VALIDATION_CHECK_CHAIN, SUBJECT_OUTPUT, name, label, diff, atol,
                OXP_VALIDATION_ERROR_TOLERANCE, "differs by %.3g from %s (tolerance %.3g)", diff,
                against, atol);
}

static void
chain_at (OxpValidationReport *report, ChainFile *enc, ChainFile *dec, ChainFile *step,
          ChainFile *merged, const OxpShapes *shapes, double atol)
{
  gint64 past = MAX (shapes->past_sequence_length, 1);
  g_autoptr (GPtrArray) enc_out = NULL;
  g_autoptr (GPtrArray) full_out = NULL;
  g_autoptr (GPtrArray) prefix_out = NULL;
  g_autoptr (GPtrArray) step_out = NULL;
  g_autoptr (GPtrArray) enc_in = NULL;
  g_autoptr (GPtrArray) probe = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;
  g_autofree char *prefix_name = NULL, *step_name = NULL;
  OxpTensor *encoder_out, *encoder_mask, *ids, *full_logits, *prefix_logits, *step_logits;
  OxpShapes full = *shapes;
  GPtrArray *in;

  label = g_strdup_printf (
      "batch_size=%" G_GINT64_FORMAT ",encoder_sequence_length=%" G_GINT64_FORMAT
      ",past_decoder_sequence_length=%" G_GINT64_FORMAT ",decoder_sequence_length=1",
      shapes->batch_size, shapes->encoder_sequence_length, past);

  /* encoder → last_hidden_state, the decoders' encoder_hidden_states */
  enc_in = oxp_onnx_config_generate_dummy_inputs (enc->config, shapes, &error);
  if (enc_in == NULL)
    {
      chain_run (report, enc, NULL, g_steal_pointer (&error), label);
      return;
    }
  enc_out = chain_run (report, enc, g_ptr_array_ref (enc_in), NULL, label);
  if (enc_out == NULL)
    return;
  encoder_out = run_output (enc->session, enc_out, "last_hidden_state");
  encoder_mask = tensor_lookup (enc_in, "attention_mask");
  if (encoder_out == NULL)
    {
      report_add (report, OXP_VALIDATION_CHECK_CHAIN, SUBJECT_OUTPUT, "last_hidden_state", label,
                  NAN, NAN, OXP_VALIDATION_ERROR_OUTPUT, "%s has no last_hidden_state", enc->file);
      return;
    }

  /* The decoder's tokens: past + 1 of them. */
  full.sequence_length = past + 1;
  full.past_sequence_length = 0;
  probe = oxp_onnx_config_generate_dummy_inputs (dec->config, &full, &error);
  ids = probe != NULL ? tensor_lookup (probe, "input_ids") : NULL;
  if (ids == NULL || oxp_tensor_get_rank (ids) != 2)
    {
      chain_run (report, dec, NULL,
                 error != NULL ? g_steal_pointer (&error)
                               : g_error_new (OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_INPUT,
                                              "no [batch, sequence] input_ids to decode"),
                 label);
      return;
    }

  /* decoder_model.onnx over all past + 1 tokens: what the step must give. */
  in = chain_inputs (dec, shapes, past + 1, 0, ids, 0, encoder_out, encoder_mask, NULL, NULL,
                     &error);
  full_out = chain_run (report, dec, in, g_steal_pointer (&error), label);
  if (full_out == NULL)
    return;
  /* decoder_model.onnx over the first past tokens: the step's past. */
  in = chain_inputs (dec, shapes, past, 0, ids, 0, encoder_out, encoder_mask, NULL, NULL, &error);
  prefix_out = chain_run (report, dec, in, g_steal_pointer (&error), label);
  if (prefix_out == NULL)
    return;
  full_logits = run_output (dec->session, full_out, "logits");
  prefix_logits = run_output (dec->session, prefix_out, "logits");
  if (full_logits == NULL || prefix_logits == NULL)
    {
      report_add (report, OXP_VALIDATION_CHECK_CHAIN, SUBJECT_OUTPUT, "logits", label, NAN, NAN,
                  OXP_VALIDATION_ERROR_OUTPUT, "%s has no logits", dec->file);
      return;
    }
  /* The encoder's output, fed in, gives the decoder's first positions
   * whatever comes after them (causal self-attention). */
  prefix_name = g_strdup_printf ("%s → %s logits", enc->file, dec->file);
  chain_compare (report, prefix_name, label, position_diff (prefix_logits, 0, full_logits, 0, past),
                 atol, "the same positions of a longer run");

  /* decoder_with_past_model.onnx, one step after the decoder's presents. */
  in = chain_inputs (step, shapes, 1, past, ids, past, encoder_out, encoder_mask, dec, prefix_out,
                     &error);
  step_out = chain_run (report, step, in, g_steal_pointer (&error), label);
  if (step_out != NULL)
    {
      step_logits = run_output (step->session, step_out, "logits");
      step_name = g_strdup_printf ("%s logits", step->file);
      chain_compare (report, step_name, label,
                     step_logits ? position_diff (step_logits, 0, full_logits, past, 1) : INFINITY,
                     atol, "the last position of a run without past");
    }

  if (merged != NULL)
    {
      g_autoptr (GPtrArray) no_past = NULL;
      g_autoptr (GPtrArray) with_past = NULL;
      g_autofree char *false_name
          = g_strdup_printf ("%s use_cache_branch=false logits", merged->file);
      g_autofree char *true_name
          = g_strdup_printf ("%s use_cache_branch=true logits", merged->file);
      OxpTensor *l;

      in = chain_inputs (merged, shapes, past, 0, ids, 0, encoder_out, encoder_mask, NULL, NULL,
                         &error);
      no_past = chain_run (report, merged, in, g_steal_pointer (&error), label);
      if (no_past != NULL)
        {
          l = run_output (merged->session, no_past, "logits");
          chain_compare (report, false_name, label,
                         l ? position_diff (l, 0, prefix_logits, 0, past) : INFINITY, atol,
                         "decoder_model.onnx's");
        }
      in = chain_inputs (merged, shapes, 1, past, ids, past, encoder_out, encoder_mask, dec,
                         prefix_out, &error);
      with_past = chain_run (report, merged, in, g_steal_pointer (&error), label);
      if (with_past != NULL)
        {
          l = run_output (merged->session, with_past, "logits");
          chain_compare (report, true_name, label,
                         l ? position_diff (l, 0, full_logits, past, 1) : INFINITY, atol,
                         "the last position of a run without past");
        }
    }
}

static ChainFile *
chain_file_find (ChainFile *files, guint n, const char *file_name)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (files[i].file, file_name) == 0)
      return &files[i];
  return NULL;
}

/**
 * oxp_validator_validate_chain:
 * @self: a #OxpValidator
 * @configs: (element-type OxpOnnxConfig): the configs of the files of one
 *   export (oxp_onnx_config_dup_submodels()), each naming its file
 * @folder: the folder holding those files
 * @report: (out) (optional) (transfer full): the chain's checks, or %NULL
 *   when @configs hold no seq2seq chain
 * @error: return location for a #GError
 *
 * Runs the files of a seq2seq export with past as a generation loop runs
 * them; see the header.
 *
 * Returns: %TRUE when every check passed or there was no chain to check.
 */
gboolean
oxp_validator_validate_chain (OxpValidator *self, GPtrArray *configs, const char *folder,
                              OxpValidationReport **report, GError **error)
{
  static const char *const names[]
      = { "encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx",
          "decoder_model_merged.onnx" };
  ChainFile files[G_N_ELEMENTS (names)] = { { 0 } };
  g_autoptr (OxpValidationReport) result = NULL;
  ChainFile *enc, *dec, *step, *merged;
  gboolean loaded = TRUE;
  double atol;

  g_return_val_if_fail (OXP_IS_VALIDATOR (self), FALSE);
  g_return_val_if_fail (configs != NULL, FALSE);
  g_return_val_if_fail (folder != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (report != NULL)
    *report = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      files[i].file = names[i];
      for (guint j = 0; j < configs->len; j++)
        {
          OxpOnnxConfig *config = g_ptr_array_index (configs, j);

          if (OXP_IS_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)
              && g_strcmp0 (oxp_onnx_config_get_file_name (config), names[i]) == 0)
            files[i].config = config;
        }
    }
  enc = chain_file_find (files, G_N_ELEMENTS (files), "encoder_model.onnx");
  dec = chain_file_find (files, G_N_ELEMENTS (files), "decoder_model.onnx");
  step = chain_file_find (files, G_N_ELEMENTS (files), "decoder_with_past_model.onnx");
  merged = chain_file_find (files, G_N_ELEMENTS (files), "decoder_model_merged.onnx");
  if (enc->config == NULL || dec->config == NULL || step->config == NULL)
    return TRUE;

  result = report_new (folder);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = NULL;
      g_autoptr (GError) load_error = NULL;

      if (files[i].config == NULL)
        continue;
      path = chain_file_path (folder, files[i].file);
      files[i].session = oxp_runtime_open_session (self->runtime, path, &load_error);
      if (files[i].session == NULL)
        {
          report_add (result, OXP_VALIDATION_CHECK_CHAIN, SUBJECT_MODEL, files[i].file, NULL, NAN,
                      NAN, OXP_VALIDATION_ERROR_LOAD, "%s", strip_path (load_error->message, path));
          loaded = FALSE;
        }
    }

  atol = self->atol > 0 ? self->atol : oxp_onnx_config_get_atol (step->config);
  if (!(atol > 0))
    atol = DEFAULT_ATOL;
  if (loaded)
    for (guint i = 0; i < G_N_ELEMENTS (self->shapes); i++)
      chain_at (result, enc, dec, step, merged->config != NULL ? merged : NULL, &self->shapes[i],
                atol);

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    g_clear_object (&files[i].session);

  {
    gboolean passed = oxp_validation_report_to_error (result, error);

    if (report != NULL)
      *report = g_steal_pointer (&result);
    return passed;
  }
}
