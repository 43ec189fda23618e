/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "oxp-test-utils.h"

/* ------------------------------------------------------------------------
 * A config declaring what gen-test-models.py's graphs compute: int64
 * input_ids and attention_mask [batch_size, sequence_length] →
 * last_hidden_state [batch_size, sequence_length, 4] and pooler_output
 * [batch_size, 4]; the base class's text generator gives the dummy inputs.
 */

typedef struct
{
  OxpOnnxConfig parent_instance;
} TestConfig;

typedef struct
{
  OxpOnnxConfigClass parent_class;
} TestConfigClass;

static GType test_config_get_type (void);
G_DEFINE_TYPE (TestConfig, test_config, OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
test_config_get_inputs (OxpOnnxConfig *self)
{
  GPtrArray *specs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);

  g_ptr_array_add (
      specs, oxp_tensor_spec_new ("input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length"));
  g_ptr_array_add (specs, oxp_tensor_spec_new ("attention_mask", OXP_DATA_TYPE_INT64,
                                               "batch_size,sequence_length"));
  return specs;
}

static GPtrArray *
test_config_get_outputs (OxpOnnxConfig *self)
{
  GPtrArray *specs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);

  g_ptr_array_add (specs, oxp_tensor_spec_new ("last_hidden_state", OXP_DATA_TYPE_FLOAT,
                                               "batch_size,sequence_length,4"));
  g_ptr_array_add (specs,
                   oxp_tensor_spec_new ("pooler_output", OXP_DATA_TYPE_FLOAT, "batch_size,4"));
  return specs;
}

static void
test_config_class_init (TestConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->atol = 1e-4;
  config_class->get_inputs = test_config_get_inputs;
  config_class->get_outputs = test_config_get_outputs;
}

static void
test_config_init (TestConfig *self)
{
}

/* The same, but declaring the sequence axis of last_hidden_state as the
 * past length: equal to the sequence length at optimum's default shapes,
 * so only a second shape set that changes them apart can tell. */
typedef TestConfig TestPastConfig;
typedef TestConfigClass TestPastConfigClass;

static GType test_past_config_get_type (void);
G_DEFINE_TYPE (TestPastConfig, test_past_config, test_config_get_type ())

static GPtrArray *
test_past_config_get_outputs (OxpOnnxConfig *self)
{
  GPtrArray *specs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);

  g_ptr_array_add (specs, oxp_tensor_spec_new ("last_hidden_state", OXP_DATA_TYPE_FLOAT,
                                               "batch_size,past_sequence_length,4"));
  g_ptr_array_add (specs,
                   oxp_tensor_spec_new ("pooler_output", OXP_DATA_TYPE_FLOAT, "batch_size,4"));
  return specs;
}

static void
test_past_config_class_init (TestPastConfigClass *klass)
{
  OXP_ONNX_CONFIG_CLASS (klass)->get_outputs = test_past_config_get_outputs;
}

static void
test_past_config_init (TestPastConfig *self)
{
}

static OxpOnnxConfig *
config_new_of_type (GType type)
{
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
  OxpOnnxConfig *config;

  node = json_from_string ("{\"model_type\": \"oxp-test\", \"vocab_size\": 100, "
                           "\"pad_token_id\": 0, \"hidden_size\": 4}",
                           &error);
  g_assert_no_error (error);
  config = oxp_onnx_config_new (type, "feature-extraction", json_node_get_object (node), &error);
  g_assert_no_error (error);
  return config;
}

static OxpOnnxConfig *
config_new (void)
{
  return config_new_of_type (test_config_get_type ());
}

/* ------------------------------------------------------------------------
 * Models, written by gen-test-models.py into a folder shared with the
 * subprocesses of this program.
 */

static char *models_dir;

static char *
model_path (const char *name)
{
  return g_build_filename (models_dir, name, NULL);
}

/* ------------------------------------------------------------------------
 * Running the validator.
 */

typedef struct
{
  OxpRuntime *runtime;
  OxpOnnxConfig *config;
  OxpValidator *validator;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *library = g_getenv ("OXPORT_ONNXRUNTIME");

  if (library == NULL || *library == '\0')
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to test with");
      return;
    }
  f->runtime = oxp_runtime_new (NULL, FALSE, &error);
  g_assert_no_error (error);
  f->config = config_new ();
  f->validator = oxp_validator_new (f->runtime);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->validator);
  g_clear_object (&f->config);
  g_clear_object (&f->runtime);
}

#define SET_1 "batch_size=2,sequence_length=16"
#define SET_2 "batch_size=3,sequence_length=11"

/* Validates @model (with @reference if given); returns the report and
 * sets @error. */
static OxpValidationReport *
validate (Fixture *f, const char *model, const char *reference, GError **error)
{
  g_autofree char *path = model_path (model);
  g_autofree char *reference_path = reference != NULL ? model_path (reference) : NULL;
  OxpValidationReport *report = NULL;
  gboolean passed;

  oxp_validator_set_reference (f->validator, reference_path);
  passed = oxp_validator_validate (f->validator, f->config, path, &report, error);
  g_assert_nonnull (report);
  g_assert_cmpint (passed, ==, oxp_validation_report_get_passed (report));
  g_assert_cmpint (passed, ==, error == NULL || *error == NULL);
  if (g_test_verbose ())
    {
      g_autofree char *table = oxp_validation_report_to_table (report);

      g_test_message ("%s:\n%s", model, table);
    }
  return report;
}

/* The check for @name/@kind at @shape_set (NULL: the static one). */
static const OxpValidationCheck *
find_check (OxpValidationReport *report, const char *name, OxpValidationCheckKind kind,
            const char *shape_set)
{
  for (guint i = 0; i < oxp_validation_report_get_n_checks (report); i++)
    {
      const OxpValidationCheck *check = oxp_validation_report_get_check (report, i);

      if (g_str_equal (oxp_validation_check_get_name (check), name)
          && oxp_validation_check_get_kind (check) == kind
          && g_strcmp0 (oxp_validation_check_get_shape_set (check), shape_set) == 0)
        return check;
    }
  g_error ("no %s check for %s at %s", oxp_validation_check_kind_to_string (kind), name,
           shape_set != NULL ? shape_set : "(static)");
  return NULL;
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("\"%s\" not in \"%s\"", needle, haystack);
}

/* The expected first failure of one broken model. */
typedef struct
{
  const char *model;
  const char *reference;
  gint code;
  const char *name; /* of the failing input/output, or the model */
  OxpValidationCheckKind kind;
  const char *shape_set;
  const char *reason_part;
} FailureCase;

static const FailureCase failure_cases[] = {
  /* An output outside the tolerance: one element off by 0.01. */
  { "good.onnx", "off-reference.safetensors", OXP_VALIDATION_ERROR_TOLERANCE, "last_hidden_state",
    OXP_VALIDATION_CHECK_REFERENCE, "reference", "exceeds the tolerance 0.0001" },
  /* Batch and sequence swapped behind declared shapes that look right. */
  { "wrong-shape.onnx", NULL, OXP_VALIDATION_ERROR_SHAPE, "last_hidden_state",
    OXP_VALIDATION_CHECK_RUN, SET_1, "shape [16,2,4], expected [batch_size,sequence_length,4]" },
  { "missing-output.onnx", NULL, OXP_VALIDATION_ERROR_OUTPUT, "pooler_output",
    OXP_VALIDATION_CHECK_OUTPUT, NULL, "missing output" },
  { "swapped-outputs.onnx", NULL, OXP_VALIDATION_ERROR_OUTPUT, "last_hidden_state",
    OXP_VALIDATION_CHECK_OUTPUT, NULL, "output order differs" },
  { "wrong-type.onnx", NULL, OXP_VALIDATION_ERROR_OUTPUT, "pooler_output",
    OXP_VALIDATION_CHECK_OUTPUT, NULL, "element type is float64, the config declares float32" },
  /* A fixed batch size in the inputs. */
  { "frozen-input.onnx", NULL, OXP_VALIDATION_ERROR_FROZEN_DIMENSION, "input_ids",
    OXP_VALIDATION_CHECK_INPUT, NULL, "frozen dimension: axis 0 is fixed at 2" },
  /* A reshape to the export batch size: ORT's shape inference shows it. */
  { "frozen-reshape.onnx", NULL, OXP_VALIDATION_ERROR_FROZEN_DIMENSION, "last_hidden_state",
    OXP_VALIDATION_CHECK_OUTPUT, NULL, "frozen dimension: axis 0 is fixed at 2" },
  /* A slice to the export batch size: invisible until the batch changes,
   * so it fails at the second shape set only. */
  { "frozen-graph.onnx", NULL, OXP_VALIDATION_ERROR_SHAPE, "last_hidden_state",
    OXP_VALIDATION_CHECK_RUN, SET_2,
    "axis 0 (batch_size) is 2, but batch_size is 3 in input input_ids axis 0" },
  { "not-finite.onnx", NULL, OXP_VALIDATION_ERROR_NOT_FINITE, "last_hidden_state",
    OXP_VALIDATION_CHECK_RUN, SET_1, "not finite: element 0 is inf" },
  { "corrupt.onnx", NULL, OXP_VALIDATION_ERROR_LOAD, "corrupt.onnx", OXP_VALIDATION_CHECK_LOAD,
    NULL, "Protobuf parsing failed" },
  { "good.onnx", "wrong-shape-reference.safetensors", OXP_VALIDATION_ERROR_SHAPE, "pooler_output",
    OXP_VALIDATION_CHECK_REFERENCE, "reference", "shape [2,4], the reference's is [2,3]" },
  { "good.onnx", "no-input-reference.safetensors", OXP_VALIDATION_ERROR_REFERENCE, "attention_mask",
    OXP_VALIDATION_CHECK_REFERENCE, "reference",
    "has no tensor for the model's input attention_mask" },
  { "good.onnx", "absent.safetensors", OXP_VALIDATION_ERROR_REFERENCE, "good.onnx",
    OXP_VALIDATION_CHECK_REFERENCE, "reference", "reference file unreadable: " },
};

static void
test_failure (Fixture *f, gconstpointer data)
{
  const FailureCase *c = data;
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) again = NULL;
  g_autofree char *path = NULL;
  const OxpValidationCheck *failure;

  if (f->runtime == NULL)
    return;
  report = validate (f, c->model, c->reference, &error);
  path = model_path (c->model);

  g_assert_error (error, OXP_VALIDATION_ERROR, c->code);
  failure = oxp_validation_report_get_first_failure (report);
  g_assert_nonnull (failure);
  g_assert_cmpstr (oxp_validation_check_get_name (failure), ==, c->name);
  g_assert_cmpint (oxp_validation_check_get_kind (failure), ==, c->kind);
  g_assert_cmpstr (oxp_validation_check_get_shape_set (failure), ==, c->shape_set);
  g_assert_cmpint (oxp_validation_check_get_error_code (failure), ==, c->code);
  g_assert_false (oxp_validation_check_get_passed (failure));
  assert_contains (oxp_validation_check_get_reason (failure), c->reason_part);

  /* The error names the file, the tensor and the reason. */
  g_assert_true (g_str_has_prefix (error->message, path));
  assert_contains (error->message, c->name);
  assert_contains (error->message, c->reason_part);

  g_assert_false (oxp_validation_report_to_error (report, &again));
  g_assert_error (again, OXP_VALIDATION_ERROR, c->code);
  g_assert_cmpstr (again->message, ==, error->message);
}

static void
test_pass (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  static const char *const outputs[] = { "last_hidden_state", "pooler_output" };

  if (f->runtime == NULL)
    return;
  report = validate (f, "good.onnx", "good-reference.safetensors", &error);
  g_assert_no_error (error);
  g_assert_true (oxp_validation_report_get_passed (report));
  g_assert_null (oxp_validation_report_get_first_failure (report));

  /* load, 2 inputs, 2 outputs, 2 outputs at each shape set, 2 references. */
  g_assert_cmpuint (oxp_validation_report_get_n_checks (report), ==, 11);
  find_check (report, "good.onnx", OXP_VALIDATION_CHECK_LOAD, NULL);
  find_check (report, "input_ids", OXP_VALIDATION_CHECK_INPUT, NULL);
  find_check (report, "attention_mask", OXP_VALIDATION_CHECK_INPUT, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (outputs); i++)
    {
      const OxpValidationCheck *check;

      find_check (report, outputs[i], OXP_VALIDATION_CHECK_OUTPUT, NULL);
      find_check (report, outputs[i], OXP_VALIDATION_CHECK_RUN, SET_1);
      find_check (report, outputs[i], OXP_VALIDATION_CHECK_RUN, SET_2);
      check = find_check (report, outputs[i], OXP_VALIDATION_CHECK_REFERENCE, "reference");
      g_assert_true (oxp_validation_check_get_passed (check));
      g_assert_cmpint (oxp_validation_check_get_error_code (check), ==, -1);
      g_assert_null (oxp_validation_check_get_reason (check));
      /* numpy and ORT agree to float32 rounding; the config's atol applies. */
      g_assert_cmpfloat (oxp_validation_check_get_max_abs_diff (check), <=, 1e-5);
      g_assert_cmpfloat (oxp_validation_check_get_atol (check), ==, 1e-4);
    }
}

/* --atol: a looser tolerance lets the 0.01 difference pass, and the report
 * says which tolerance was used. */
static void
test_atol_override (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  const OxpValidationCheck *check;

  if (f->runtime == NULL)
    return;
  oxp_validator_set_atol (f->validator, 0.05);
  g_assert_cmpfloat (oxp_validator_get_atol (f->validator), ==, 0.05);
  report = validate (f, "good.onnx", "off-reference.safetensors", &error);
  g_assert_no_error (error);
  check = find_check (report, "last_hidden_state", OXP_VALIDATION_CHECK_REFERENCE, "reference");
  g_assert_cmpfloat (oxp_validation_check_get_atol (check), ==, 0.05);
  g_assert_cmpfloat (fabs (oxp_validation_check_get_max_abs_diff (check) - 0.01), <, 1e-4);

  /* And a stricter one fails. */
  g_clear_object (&report);
  oxp_validator_set_atol (f->validator, 0.005);
  report = validate (f, "good.onnx", "off-reference.safetensors", &error);
  g_assert_error (error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_TOLERANCE);
}

/* Without a config: the model loads and matches the reference. */
static void
test_no_config (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = model_path ("good.onnx");
  g_autofree char *reference = model_path ("good-reference.safetensors");

  if (f->runtime == NULL)
    return;
  oxp_validator_set_reference (f->validator, reference);
  g_assert_true (oxp_validator_validate (f->validator, NULL, path, &report, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (oxp_validation_report_get_n_checks (report), ==, 3);
  g_assert_cmpfloat (oxp_validation_check_get_atol (find_check (
                         report, "pooler_output", OXP_VALIDATION_CHECK_REFERENCE, "reference")),
                     ==, 1e-4);
}

/* The shape sets differ from each other in every symbolic size. */
static void
test_shapes (Fixture *f, gconstpointer data)
{
  OxpShapes first, second, custom;
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = model_path ("good.onnx");

  if (f->runtime == NULL)
    return;
  oxp_validator_get_shapes (f->validator, &first, &second);
  g_assert_cmpint (first.batch_size, !=, second.batch_size);
  g_assert_cmpint (first.sequence_length, !=, second.sequence_length);
  g_assert_cmpint (first.past_sequence_length, !=, second.past_sequence_length);
  g_assert_cmpint (second.batch_size, !=, second.sequence_length);
  g_assert_cmpint (second.sequence_length, !=, second.past_sequence_length);

  oxp_shapes_init_default (&custom);
  custom.batch_size = 5;
  custom.sequence_length = 1;
  oxp_validator_set_shapes (f->validator, &first, &custom);
  g_assert_true (oxp_validator_validate (f->validator, f->config, path, &report, &error));
  g_assert_no_error (error);
  find_check (report, "pooler_output", OXP_VALIDATION_CHECK_RUN, "batch_size=5,sequence_length=1");
}

/* A symbolic size is checked against the shape set, not only against the
 * other tensors: here the output's past_sequence_length is really the
 * sequence length, which only the second shape set shows. */
static void
test_dim_from_shape_set (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = model_path ("past-named.onnx");
  const OxpValidationCheck *failure;

  if (f->runtime == NULL)
    return;
  config = config_new_of_type (test_past_config_get_type ());
  g_assert_false (oxp_validator_validate (f->validator, config, path, &report, &error));
  g_assert_error (error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_SHAPE);
  g_assert_true (oxp_validation_check_get_passed (
      find_check (report, "last_hidden_state", OXP_VALIDATION_CHECK_RUN, SET_1)));
  failure = oxp_validation_report_get_first_failure (report);
  g_assert_cmpstr (oxp_validation_check_get_name (failure), ==, "last_hidden_state");
  g_assert_cmpstr (oxp_validation_check_get_shape_set (failure), ==,
                   "batch_size=3,sequence_length=11");
  assert_contains (oxp_validation_check_get_reason (failure),
                   "axis 1 (past_sequence_length) is 11, the shape set has "
                   "past_sequence_length = 7");
}

/* ORT not found: no runtime, hence no validator; the error says how to
 * point oxport at the library. */
static void
test_runtime_not_found (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("OXPORT_ONNXRUNTIME"));

  g_setenv ("OXPORT_ONNXRUNTIME", "/nonexistent", TRUE);
  runtime = oxp_runtime_new (NULL, FALSE, &error);
  if (saved != NULL)
    g_setenv ("OXPORT_ONNXRUNTIME", saved, TRUE);
  else
    g_unsetenv ("OXPORT_ONNXRUNTIME");

  g_assert_null (runtime);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND);
  assert_contains (error->message, "OXPORT_ONNXRUNTIME");
}

static void
test_table (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *table = NULL;
  g_auto (GStrv) lines = NULL;
  const char *columns[] = { "CHECK", "SHAPES", "MAX ABS DIFF", "ATOL", "RESULT" };
  gsize offsets[G_N_ELEMENTS (columns)];
  guint n_lines;

  if (f->runtime == NULL)
    return;
  report = validate (f, "good.onnx", "off-reference.safetensors", &error);
  g_assert_error (error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_TOLERANCE);
  table = oxp_validation_report_to_table (report);
  g_assert_true (g_str_has_suffix (table, "\n"));
  lines = g_strsplit (table, "\n", -1);
  n_lines = g_strv_length (lines) - 1;
  g_assert_cmpuint (n_lines, ==, oxp_validation_report_get_n_checks (report) + 1);
  g_assert_true (g_str_has_prefix (lines[0], "NAME "));
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    offsets[c] = strstr (lines[0], columns[c]) - lines[0];

  /* Every column starts at the header's offset, after a blank. */
  for (guint l = 1; l < n_lines; l++)
    for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
      {
        g_assert_cmpuint (strlen (lines[l]), >, offsets[c]);
        g_assert_cmpint (lines[l][offsets[c] - 1], ==, ' ');
        g_assert_cmpint (lines[l][offsets[c]], !=, ' ');
      }

  assert_contains (table, "last_hidden_state  reference");
  assert_contains (table, "0.01 ");
  assert_contains (table, "FAIL: max abs difference 0.01 exceeds the tolerance 0.0001");
  assert_contains (table, SET_2);
}

static void
test_json (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonArray *checks;
  gboolean found = FALSE;

  if (f->runtime == NULL)
    return;
  report = validate (f, "good.onnx", "off-reference.safetensors", &error);
  g_assert_error (error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_TOLERANCE);

  /* Through text, as a consumer of --json would read it. */
  root = oxp_validation_report_to_json (report);
  text = json_to_string (root, FALSE);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  object = json_node_get_object (json_parser_get_root (parser));

  g_assert_false (json_object_get_boolean_member (object, "passed"));
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, error->message);
  assert_contains (json_object_get_string_member (object, "model"), "good.onnx");
  checks = json_object_get_array_member (object, "checks");
  g_assert_cmpuint (json_array_get_length (checks), ==,
                    oxp_validation_report_get_n_checks (report));
  for (guint i = 0; i < json_array_get_length (checks); i++)
    {
      JsonObject *check = json_array_get_object_element (checks, i);

      if (g_str_equal (json_object_get_string_member (check, "check"), "reference")
          && g_str_equal (json_object_get_string_member (check, "name"), "last_hidden_state"))
        {
          found = TRUE;
          g_assert_false (json_object_get_boolean_member (check, "passed"));
          g_assert_cmpstr (json_object_get_string_member (check, "error"), ==, "tolerance");
          g_assert_cmpstr (json_object_get_string_member (check, "shapes"), ==, "reference");
          g_assert_cmpfloat (fabs (json_object_get_double_member (check, "max_abs_diff") - 0.01), <,
                             1e-4);
          g_assert_cmpfloat (json_object_get_double_member (check, "atol"), ==, 1e-4);
        }
      if (g_str_equal (json_object_get_string_member (check, "check"), "input"))
        {
          g_assert_true (json_object_get_boolean_member (check, "passed"));
          g_assert_true (json_object_get_null_member (check, "shapes"));
          g_assert_true (json_object_get_null_member (check, "max_abs_diff"));
          g_assert_true (json_object_get_null_member (check, "reason"));
        }
    }
  g_assert_true (found);
}

static char *
failure_test_path (const FailureCase *c)
{
  g_autofree char *base = g_strndup (c->model, strlen (c->model) - strlen (".onnx"));

  if (c->reference != NULL)
    {
      g_autofree char *ref
          = g_strndup (c->reference, strlen (c->reference) - strlen (".safetensors"));

      return g_strdup_printf ("/oxp/validator/failure/%s/%s", base, ref);
    }
  return g_strdup_printf ("/oxp/validator/failure/%s", base);
}

int
main (int argc, char **argv)
{
  gboolean owns_models = FALSE;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  models_dir = oxp_test_models_dir ("OXP_TEST_VALIDATOR_MODELS", "oxp-test-validator-XXXXXX",
                                    &owns_models);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/oxp/validator/pass", test_pass);
  ADD ("/oxp/validator/atol-override", test_atol_override);
  ADD ("/oxp/validator/no-config", test_no_config);
  ADD ("/oxp/validator/shapes", test_shapes);
  ADD ("/oxp/validator/dim-from-shape-set", test_dim_from_shape_set);
  ADD ("/oxp/validator/report/table", test_table);
  ADD ("/oxp/validator/report/json", test_json);
#undef ADD
  for (guint i = 0; i < G_N_ELEMENTS (failure_cases); i++)
    {
      g_autofree char *path = failure_test_path (&failure_cases[i]);

      g_test_add (path, Fixture, &failure_cases[i], fixture_set_up, test_failure,
                  fixture_tear_down);
    }
  g_test_add_func ("/oxp/validator/runtime-not-found", test_runtime_not_found);

  status = g_test_run ();
  if (owns_models)
    oxp_test_remove_models_dir (models_dir);
  g_free (models_dir);
  return status;
}
