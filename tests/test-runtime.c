/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "oxp-test-utils.h"

/* Models written by gen-test-models.py into a folder shared with the
 * subprocesses of this program. */
static char *models_dir;

static char *
model_path (const char *name)
{
  return g_build_filename (models_dir, name, NULL);
}

static gboolean
have_runtime (void)
{
  const char *path = g_getenv ("OXPORT_ONNXRUNTIME");

  if (path == NULL || *path == '\0')
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to test with");
      return FALSE;
    }
  return TRUE;
}

static OxpRuntime *
runtime_new (void)
{
  g_autoptr (GError) error = NULL;
  OxpRuntime *runtime = oxp_runtime_new (NULL, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (runtime);
  return runtime;
}

static OxpRuntimeSession *
session_open (OxpRuntime *runtime, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = model_path (name);
  OxpRuntimeSession *session = oxp_runtime_open_session (runtime, path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (session);
  return session;
}

/* input_ids = i (+ @offset), attention_mask = 1 except the last position of
 * the last row, both [batch, seq]. */
static GPtrArray *
make_inputs (gint64 batch, gint64 seq, OxpDataType ids_type, gint64 offset)
{
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  gint64 shape[] = { batch, seq };
  OxpTensor *mask = oxp_tensor_new ("attention_mask", OXP_DATA_TYPE_INT64, shape, 2);
  OxpTensor *ids = oxp_tensor_new ("input_ids", ids_type, shape, 2);
  gint64 *m = oxp_tensor_get_mutable_data (mask);

  for (gint64 i = 0; i < batch * seq; i++)
    m[i] = i == batch * seq - 1 ? 0 : 1;
  if (ids_type == OXP_DATA_TYPE_INT64)
    {
      gint64 *d = oxp_tensor_get_mutable_data (ids);

      for (gint64 i = 0; i < batch * seq; i++)
        d[i] = i + offset;
    }
  /* Mask first: inputs are matched by name, not position. */
  g_ptr_array_add (inputs, mask);
  g_ptr_array_add (inputs, ids);
  return inputs;
}

static void
assert_spec (const OxpTensorSpec *spec, const char *name, OxpDataType dtype, const char *dims)
{
  g_autofree char *have = oxp_tensor_spec_dims_to_string (spec);

  g_assert_cmpstr (oxp_tensor_spec_get_name (spec), ==, name);
  g_assert_cmpint (oxp_tensor_spec_get_dtype (spec), ==, dtype);
  g_assert_cmpstr (have, ==, dims);
}

static void
test_not_found_path (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;

  runtime = oxp_runtime_new ("/nonexistent/libonnxruntime.so.1", FALSE, &error);
  g_assert_null (runtime);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/libonnxruntime.so.1"));
  g_assert_nonnull (strstr (error->message, "OXPORT_ONNXRUNTIME"));
  g_assert_nonnull (strstr (error->message, "onnxruntime-node"));
}

static void
test_not_found_env (void)
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
  g_assert_nonnull (strstr (error->message, "/nonexistent"));
  g_assert_nonnull (strstr (error->message, "Set OXPORT_ONNXRUNTIME to the path of "
                                            "libonnxruntime.so.1"));
}

/* A real shared library that is not ONNX Runtime. */
static void
test_not_ort (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  const char *top = g_getenv ("OXP_TOP_BUILDDIR");
  g_autofree char *library = NULL;

  if (top == NULL)
    {
      g_test_skip ("OXP_TOP_BUILDDIR is not set");
      return;
    }
  library = g_build_filename (top, ".libs", "liboxport-1.0.so", NULL);
  if (!g_file_test (library, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the built liboxport-1.0.so is not in .libs");
      return;
    }
  runtime = oxp_runtime_new (library, FALSE, &error);
  g_assert_null (runtime);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "OrtGetApiBase"));
  g_assert_nonnull (strstr (error->message, library));
}

static void
test_not_a_library (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autofree char *path = model_path ("good.onnx");

  runtime = oxp_runtime_new (path, FALSE, &error);
  g_assert_null (runtime);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

/* Versions are checked before anything else is asked of the library; the
 * API version asked for is min(minor, 30). */
typedef struct
{
  const char *version;
  const char *message_part;
} VersionCase;

static const VersionCase version_cases[] = {
  { "1.4.0", "oxport needs ONNX Runtime 1.5 or a later 1.x" },
  { "2.0.0", "ONNX Runtime 2.0.0 at" },
  { "one.two", "unreadable version \"one.two\"" },
  { "1.7.2", "refused C API version 7" },
  { "1.31.0", "refused C API version 30" },
};

static void
test_version_refused (gconstpointer data)
{
  const VersionCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autofree char *library = NULL;

  library = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                              ".libs", "fake-onnxruntime.so", NULL);
  if (!g_file_test (library, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the fake ONNX Runtime module is not built");
      return;
    }
  g_setenv ("OXP_FAKE_ORT_VERSION", c->version, TRUE);
  runtime = oxp_runtime_new (library, FALSE, &error);
  g_unsetenv ("OXP_FAKE_ORT_VERSION");

  g_assert_null (runtime);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_VERSION);
  g_assert_nonnull (strstr (error->message, library));
  if (strstr (error->message, c->message_part) == NULL)
    g_error ("\"%s\" not in \"%s\"", c->message_part, error->message);
}

static void
test_version (void)
{
  g_autoptr (OxpRuntime) runtime = NULL;

  if (!have_runtime ())
    return;
  runtime = runtime_new ();
  g_assert_true (g_str_has_prefix (oxp_runtime_get_version (runtime), "1."));
  g_assert_cmpstr (oxp_runtime_get_library_path (runtime), ==, g_getenv ("OXPORT_ONNXRUNTIME"));
}

/* A folder holding libonnxruntime.so.1 is accepted for the library. */
static void
test_directory (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *expected = NULL;

  if (!have_runtime ())
    return;
  dir = g_path_get_dirname (g_getenv ("OXPORT_ONNXRUNTIME"));
  expected = g_build_filename (dir, "libonnxruntime.so.1", NULL);
  if (!g_file_test (expected, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not named libonnxruntime.so.1");
      return;
    }
  runtime = oxp_runtime_new (dir, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (oxp_runtime_get_library_path (runtime), ==, expected);
}

static void
test_session_specs (void)
{
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  GPtrArray *inputs, *outputs;

  if (!have_runtime ())
    return;
  runtime = runtime_new ();
  session = session_open (runtime, "good.onnx");
  g_assert_true (g_str_has_suffix (oxp_runtime_session_get_model_path (session), "good.onnx"));

  inputs = oxp_runtime_session_get_inputs (session);
  g_assert_cmpuint (inputs->len, ==, 2);
  assert_spec (g_ptr_array_index (inputs, 0), "input_ids", OXP_DATA_TYPE_INT64,
               "batch_size,sequence_length");
  assert_spec (g_ptr_array_index (inputs, 1), "attention_mask", OXP_DATA_TYPE_INT64,
               "batch_size,sequence_length");
  outputs = oxp_runtime_session_get_outputs (session);
  g_assert_cmpuint (outputs->len, ==, 2);
  assert_spec (g_ptr_array_index (outputs, 0), "last_hidden_state", OXP_DATA_TYPE_FLOAT,
               "batch_size,sequence_length,4");
  assert_spec (g_ptr_array_index (outputs, 1), "pooler_output", OXP_DATA_TYPE_FLOAT,
               "batch_size,4");

  /* Fixed dims come back as numbers, other element types as themselves. */
  g_clear_object (&session);
  session = session_open (runtime, "frozen-input.onnx");
  assert_spec (g_ptr_array_index (oxp_runtime_session_get_inputs (session), 0), "input_ids",
               OXP_DATA_TYPE_INT64, "2,sequence_length");
  g_clear_object (&session);
  session = session_open (runtime, "wrong-type.onnx");
  assert_spec (g_ptr_array_index (oxp_runtime_session_get_outputs (session), 1), "pooler_output",
               OXP_DATA_TYPE_DOUBLE, "batch_size,4");
}

static void
test_session_run (void)
{
  static const float W[] = { 0.01f, -0.02f, 0.03f, 0.5f };
  static const float B[] = { 1.0f, 2.0f, -1.0f, 0.25f };
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GError) error = NULL;
  const gint64 batch = 3, seq = 5;
  OxpTensor *hidden, *pooled;
  const gint64 *mask;

  if (!have_runtime ())
    return;
  runtime = runtime_new ();
  session = session_open (runtime, "good.onnx");
  inputs = make_inputs (batch, seq, OXP_DATA_TYPE_INT64, 7);
  mask = oxp_tensor_get_data (g_ptr_array_index (inputs, 0));

  /* Twice: a session runs any number of times. */
  for (int round = 0; round < 2; round++)
    {
      g_clear_pointer (&outputs, g_ptr_array_unref);
      outputs = oxp_runtime_session_run (session, inputs, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (outputs->len, ==, 2);
    }

  hidden = g_ptr_array_index (outputs, 0);
  g_assert_cmpstr (oxp_tensor_get_name (hidden), ==, "last_hidden_state");
  g_assert_cmpint (oxp_tensor_get_dtype (hidden), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpuint (oxp_tensor_get_rank (hidden), ==, 3);
  g_assert_cmpint (oxp_tensor_get_shape (hidden)[0], ==, batch);
  g_assert_cmpint (oxp_tensor_get_shape (hidden)[1], ==, seq);
  g_assert_cmpint (oxp_tensor_get_shape (hidden)[2], ==, 4);
  for (gint64 i = 0; i < batch * seq; i++)
    for (int k = 0; k < 4; k++)
      {
        float expected = (float)(i + 7) * W[k] + (float)mask[i] * B[k];

        g_assert_cmpfloat_with_epsilon (oxp_tensor_get_element_as_double (hidden, i * 4 + k),
                                        expected, 1e-5);
      }

  pooled = g_ptr_array_index (outputs, 1);
  g_assert_cmpstr (oxp_tensor_get_name (pooled), ==, "pooler_output");
  g_assert_cmpuint (oxp_tensor_get_rank (pooled), ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (pooled)[0], ==, batch);
  for (gint64 b = 0; b < batch; b++)
    for (int k = 0; k < 4; k++)
      {
        double sum = 0;

        for (gint64 s = 0; s < seq; s++)
          sum += oxp_tensor_get_element_as_double (hidden, (b * seq + s) * 4 + k);
        g_assert_cmpfloat_with_epsilon (oxp_tensor_get_element_as_double (pooled, b * 4 + k),
                                        sum / seq, 1e-5);
      }
}

static void
test_session_missing_file (void)
{
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = model_path ("absent.onnx");

  if (!have_runtime ())
    return;
  runtime = runtime_new ();
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_null (session);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_LOAD);
  g_assert_true (g_str_has_prefix (error->message, path));
}

static void
test_session_corrupt (void)
{
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = model_path ("corrupt.onnx");

  if (!have_runtime ())
    return;
  runtime = runtime_new ();
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_null (session);
  g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_LOAD);
  g_assert_true (g_str_has_prefix (error->message, path));
  /* What ORT said is passed on. */
  g_assert_nonnull (strstr (error->message, "ONNX Runtime said: "));
  g_assert_nonnull (strstr (error->message, "Protobuf parsing failed"));
}

typedef struct
{
  const char *model;
  gint64 batch;
  OxpDataType ids_type;
  const char *drop;  /* input to leave out */
  const char *extra; /* input to add */
  gint code;
  const char *message_part;
} RunErrorCase;

static const RunErrorCase run_error_cases[] = {
  { "good.onnx", 2, OXP_DATA_TYPE_INT64, "attention_mask", NULL, OXP_RUNTIME_ERROR_INPUT,
    "no tensor given for the model's input attention_mask" },
  { "good.onnx", 2, OXP_DATA_TYPE_INT64, NULL, "token_type_ids", OXP_RUNTIME_ERROR_INPUT,
    "the model has no input named token_type_ids" },
  { "good.onnx", 2, OXP_DATA_TYPE_INT32, NULL, NULL, OXP_RUNTIME_ERROR_INPUT,
    "input input_ids is int32, the model expects int64" },
  { "frozen-input.onnx", 3, OXP_DATA_TYPE_INT64, NULL, NULL, OXP_RUNTIME_ERROR_INPUT,
    "axis 0 must be 2" },
  { "frozen-reshape.onnx", 3, OXP_DATA_TYPE_INT64, NULL, NULL, OXP_RUNTIME_ERROR_RUN, "Reshape" },
};

static void
test_run_error (gconstpointer data)
{
  const RunErrorCase *c = data;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GError) error = NULL;

  if (!have_runtime ())
    return;
  runtime = runtime_new ();
  session = session_open (runtime, c->model);
  inputs = make_inputs (c->batch, 5, c->ids_type, 0);
  if (c->drop != NULL)
    for (guint i = 0; i < inputs->len; i++)
      if (g_str_equal (oxp_tensor_get_name (g_ptr_array_index (inputs, i)), c->drop))
        g_ptr_array_remove_index (inputs, i);
  if (c->extra != NULL)
    {
      gint64 shape[] = { c->batch, 5 };

      g_ptr_array_add (inputs, oxp_tensor_new (c->extra, OXP_DATA_TYPE_INT64, shape, 2));
    }

  outputs = oxp_runtime_session_run (session, inputs, &error);
  g_assert_null (outputs);
  g_assert_error (error, OXP_RUNTIME_ERROR, c->code);
  g_assert_true (g_str_has_prefix (error->message, oxp_runtime_session_get_model_path (session)));
  if (strstr (error->message, c->message_part) == NULL)
    g_error ("\"%s\" not in \"%s\"", c->message_part, error->message);
}

/* ORT's logging stays off the terminal unless asked for: a failing load and
 * a failing run print nothing. */
static void
test_quiet (void)
{
  if (!have_runtime ())
    return;
  if (g_test_subprocess ())
    {
      g_autoptr (OxpRuntime) runtime = runtime_new ();
      g_autoptr (OxpRuntimeSession) session = NULL;
      g_autoptr (GPtrArray) inputs = make_inputs (3, 5, OXP_DATA_TYPE_INT64, 0);
      g_autoptr (GError) error = NULL;
      g_autofree char *corrupt = model_path ("corrupt.onnx");

      g_assert_null (oxp_runtime_open_session (runtime, corrupt, &error));
      g_clear_error (&error);
      session = session_open (runtime, "frozen-reshape.onnx");
      g_assert_null (oxp_runtime_session_run (session, inputs, &error));
      g_assert_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_RUN);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("");
}

/* … and with verbose, ORT's own error lines reach stderr: the quiet test
 * above would notice a logger that is not installed. */
static void
test_verbose (void)
{
  if (!have_runtime ())
    return;
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (OxpRuntime) runtime = oxp_runtime_new (NULL, TRUE, &error);
      g_autoptr (OxpRuntimeSession) session = NULL;
      g_autoptr (GPtrArray) inputs = make_inputs (3, 5, OXP_DATA_TYPE_INT64, 0);

      g_assert_no_error (error);
      session = session_open (runtime, "frozen-reshape.onnx");
      g_assert_null (oxp_runtime_session_run (session, inputs, &error));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*onnxruntime*Reshape*");
}

int
main (int argc, char **argv)
{
  gboolean owns_models = FALSE;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  models_dir
      = oxp_test_models_dir ("OXP_TEST_RUNTIME_MODELS", "oxp-test-runtime-XXXXXX", &owns_models);

  g_test_add_func ("/oxp/runtime/not-found/path", test_not_found_path);
  g_test_add_func ("/oxp/runtime/not-found/env", test_not_found_env);
  g_test_add_func ("/oxp/runtime/not-found/not-ort", test_not_ort);
  g_test_add_func ("/oxp/runtime/not-found/not-a-library", test_not_a_library);
  g_test_add_func ("/oxp/runtime/version", test_version);
  for (guint i = 0; i < G_N_ELEMENTS (version_cases); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/oxp/runtime/version/refused/%s", version_cases[i].version);

      g_test_add_data_func (path, &version_cases[i], test_version_refused);
    }
  g_test_add_func ("/oxp/runtime/directory", test_directory);
  g_test_add_func ("/oxp/runtime/session/specs", test_session_specs);
  g_test_add_func ("/oxp/runtime/session/run", test_session_run);
  g_test_add_func ("/oxp/runtime/session/missing-file", test_session_missing_file);
  g_test_add_func ("/oxp/runtime/session/corrupt", test_session_corrupt);
  g_test_add_data_func ("/oxp/runtime/run/missing-input", &run_error_cases[0], test_run_error);
  g_test_add_data_func ("/oxp/runtime/run/unknown-input", &run_error_cases[1], test_run_error);
  g_test_add_data_func ("/oxp/runtime/run/wrong-type", &run_error_cases[2], test_run_error);
  g_test_add_data_func ("/oxp/runtime/run/fixed-dim", &run_error_cases[3], test_run_error);
  g_test_add_data_func ("/oxp/runtime/run/failure", &run_error_cases[4], test_run_error);
  g_test_add_func ("/oxp/runtime/logging/quiet", test_quiet);
  g_test_add_func ("/oxp/runtime/logging/verbose", test_verbose);

  status = g_test_run ();
  if (owns_models)
    oxp_test_remove_models_dir (models_dir);
  g_free (models_dir);
  return status;
}
