/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every BERT-family reference case in tests/data exported through the
 * library (tasks manager → config → graph → writer), run in ONNX Runtime on
 * the case's inputs and compared with the outputs transformers computed;
 * each model is also checked by python3-onnx's checker and validated at two
 * further shape sets. */

#include "config.h"

#include <math.h>
#include <string.h>

#include <unistd.h>

#include <glib/gstdio.h>
#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static const char *const model_types[] = {
  "bert", "roberta", "xlm-roberta", "camembert", "distilbert", "albert", "electra", NULL,
};

/* Under ASan/UBSan an ONNX Runtime session costs seconds: the sanitizer
 * build runs the reference cases at the default opset in fp32 with the
 * validator, and the generated heads without it; the plain build runs all. */
#ifdef OXP_TEST_SANITIZERS
static const gboolean quick = TRUE;
#else
static const gboolean quick = FALSE;
#endif

static OxpTasksManager *manager;
static OxpRuntime *runtime;
static char *workdir;

typedef struct
{
  char *name; /* "bert_fill-mask" */
  char *dir;
  JsonParser *parser; /* case.json */
  guint opset;        /* 0: the config's default */
  OxpDataType float_type;
  gboolean generated; /* by gen-bert-heads.py */
  guint optimize;     /* oxp_graph_set_optimize_level() */
} BertCase;

static void
bert_case_free (gpointer data)
{
  BertCase *c = data;

  g_free (c->name);
  g_free (c->dir);
  g_clear_object (&c->parser);
  g_free (c);
}

static JsonObject *
case_json (const BertCase *c)
{
  return json_node_get_object (json_parser_get_root (c->parser));
}

/* Exports the case into a fresh folder; returns the model path. */
static char *
export_case (const BertCase *c, OxpCheckpoint **checkpoint_out, OxpOnnxConfig **config_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (OxpGraph) graph = NULL;
  g_autoptr (OxpOnnxWriter) writer = NULL;
  const char *task = json_object_get_string_member (case_json (c), "task");
  g_autofree char *sub = g_strdup_printf ("%s-opset%u-%s-O%u", c->name, c->opset,
                                          oxp_data_type_to_string (c->float_type), c->optimize);
  guint opset;
  g_autofree char *outdir = g_build_filename (workdir, sub, NULL);
  char *path = g_build_filename (outdir, "model.onnx", NULL);

  checkpoint = oxp_checkpoint_open (c->dir, &error);
  g_assert_no_error (error);
  config = oxp_tasks_manager_create_config (manager, oxp_checkpoint_get_model_type (checkpoint),
                                            task, oxp_checkpoint_get_config (checkpoint), &error);
  g_assert_no_error (error);
  if (c->opset != 0)
    {
      oxp_onnx_config_set_opset (config, c->opset, &error);
      g_assert_no_error (error);
    }
  oxp_onnx_config_set_float_type (config, c->float_type);

  opset = c->opset ? c->opset : oxp_onnx_config_get_default_opset (config);
  /* As the exporter does: the optimize levels start from LayerNormalization. */
  if (c->optimize > 0 && c->opset == 0)
    opset = MAX (opset, 17);
  graph = oxp_graph_new ("main_graph", opset);
  oxp_graph_set_float_type (graph, c->float_type);
  oxp_graph_set_optimize_level (graph, c->optimize);
  oxp_onnx_config_build_graph (config, graph, checkpoint, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_mkdir_with_parents (outdir, 0755), ==, 0);
  /* check-onnx.py compares the initializers with the checkpoint beside the model. */
  {
    g_autofree char *weights = g_build_filename (c->dir, "model.safetensors", NULL);
    g_autofree char *link = g_build_filename (outdir, "source.safetensors", NULL);
    g_assert_cmpint (symlink (weights, link), ==, 0);
  }
  writer = oxp_onnx_writer_new ();
  oxp_onnx_writer_set_metadata (writer, "oxp_test_source", "source.safetensors");
  oxp_onnx_writer_set_metadata (writer, "source_model_type",
                                oxp_checkpoint_get_model_type (checkpoint));
  oxp_onnx_writer_set_metadata (writer, "task", task);
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);

  if (checkpoint_out)
    *checkpoint_out = g_steal_pointer (&checkpoint);
  if (config_out)
    *config_out = g_steal_pointer (&config);
  return path;
}

/* Names of a case.json "inputs"/"outputs" list, in order. */
static GPtrArray *
case_names (const BertCase *c, const char *member)
{
  JsonArray *list = json_object_get_array_member (case_json (c), member);
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (list); i++)
    g_ptr_array_add (names, (gpointer)json_object_get_string_member (
                                json_array_get_object_element (list, i), "name"));
  return names;
}

static void
assert_spec_names (GPtrArray *specs, GPtrArray *names, const char *what)
{
  g_assert_cmpuint (specs->len, ==, names->len);
  for (guint i = 0; i < names->len; i++)
    {
      const char *got = oxp_tensor_spec_get_name (g_ptr_array_index (specs, i));
      if (!g_str_equal (got, g_ptr_array_index (names, i)))
        g_error ("%s %u is “%s”, expected “%s”", what, i, got,
                 (char *)g_ptr_array_index (names, i));
    }
}

/* tests/check-onnx.py: python3-onnx's checker (full_check) and every
 * initializer that names a checkpoint tensor equal to it. */
static void
run_python_checker (const char *model_path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *script = oxp_test_srcdir_path ("check-onnx.py", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *python = g_getenv ("PYTHON3");
  const char *argv[] = { python ? python : "python3", script, model_path, NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("check-onnx.py rejected %s: %s\n%s%s", model_path, error->message, out, err);
  g_assert_nonnull (strstr (out, "initializers)"));
  g_test_message ("check-onnx.py: %s", out);
}

/* Runs the exported model on the case's inputs; compares every output. */
static void
compare_with_reference (const BertCase *c, const char *model_path, double atol)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *vectors_path = g_build_filename (c->dir, "vectors.safetensors", NULL);
  g_autoptr (OxpCheckpoint) vectors = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GPtrArray) in_names = case_names (c, "inputs");
  g_autoptr (GPtrArray) out_names = case_names (c, "outputs");

  vectors = oxp_checkpoint_open_safetensors (vectors_path, &error);
  g_assert_no_error (error);
  session = oxp_runtime_open_session (runtime, model_path, &error);
  g_assert_no_error (error);
  assert_spec_names (oxp_runtime_session_get_inputs (session), in_names, "input");
  assert_spec_names (oxp_runtime_session_get_outputs (session), out_names, "output");

  for (guint i = 0; i < in_names->len; i++)
    {
      const OxpCheckpointTensor *t
          = oxp_checkpoint_get_tensor (vectors, g_ptr_array_index (in_names, i), &error);
      g_assert_no_error (error);
      g_ptr_array_add (feeds, oxp_checkpoint_tensor_to_tensor (t));
    }
  outputs = oxp_runtime_session_run (session, feeds, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outputs->len, ==, out_names->len);

  for (guint o = 0; o < outputs->len; o++)
    {
      OxpTensor *got = g_ptr_array_index (outputs, o);
      const char *name = g_ptr_array_index (out_names, o);
      const OxpCheckpointTensor *ref = oxp_checkpoint_get_tensor (vectors, name, &error);
      double max_diff = 0, out_atol = atol;

      g_assert_no_error (error);
      g_assert_cmpuint (oxp_tensor_get_rank (got), ==, oxp_checkpoint_tensor_get_rank (ref));
      for (guint a = 0; a < oxp_tensor_get_rank (got); a++)
        g_assert_cmpint (oxp_tensor_get_shape (got)[a], ==,
                         oxp_checkpoint_tensor_get_shape (ref)[a]);
      g_assert_cmpint (oxp_checkpoint_tensor_get_dtype (ref), ==, OXP_DATA_TYPE_FLOAT);
      {
        const float *expected = oxp_checkpoint_tensor_get_data (ref);
        double max_ref = 0;
        for (gsize i = 0; i < oxp_tensor_get_n_elements (got); i++)
          {
            double v = oxp_tensor_get_element_as_double (got, i);
            double d = fabs (v - (double)expected[i]);
            g_assert_false (isnan (v));
            max_diff = MAX (max_diff, d);
            max_ref = MAX (max_ref, fabs ((double)expected[i]));
          }
        /* fp16 keeps about 3 significant digits, O3's FastGelu errs by up to
         * ~5e-4 per activation: their tolerance scales with the values. */
        if (c->float_type == OXP_DATA_TYPE_FLOAT16 || c->optimize >= 3)
          out_atol = atol * MAX (1.0, max_ref);
      }
      g_test_message ("%s opset %u %s O%u: output %s max abs diff %.3g (atol %.2g)", c->name,
                      c->opset ? c->opset : 17, oxp_data_type_to_string (c->float_type),
                      c->optimize, name, max_diff, out_atol);
      g_assert_cmpfloat (max_diff, <=, out_atol);
    }
}

/* Whether the file at @path holds the bytes of @needle (an operator's name
 * in a NodeProto). */
static gboolean
file_contains (const char *path, const char *needle)
{
  g_autofree char *bytes = NULL;
  gsize len = 0, n = strlen (needle);

  if (!g_file_get_contents (path, &bytes, &len, NULL))
    return FALSE;
  for (gsize i = 0; i + n <= len; i++)
    if (bytes[i] == needle[0] && memcmp (bytes + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static void
test_case (gconstpointer data)
{
  const BertCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (OxpValidator) validator = NULL;
  g_autoptr (OxpValidationReport) report = NULL;
  g_autofree char *vectors_path = g_build_filename (c->dir, "vectors.safetensors", NULL);
  g_autofree char *model_path = export_case (c, &checkpoint, &config);
  double atol = json_object_get_double_member (case_json (c), "atol");

  /* O2 (float32): the embeddings are one com.microsoft EmbedLayerNormalization. */
  g_assert_cmpint (file_contains (model_path, "EmbedLayerNormalization"), ==,
                   c->optimize >= 2 && c->float_type == OXP_DATA_TYPE_FLOAT);
  if (c->float_type == OXP_DATA_TYPE_FLOAT16)
    atol = 1e-2; /* fp16 weights and activations against the fp32 reference, relative */
  else if (c->optimize < 2)
    run_python_checker (model_path); /* python3-onnx has no com.microsoft schemas */
  if (c->optimize >= 3)
    atol = MAX (atol, 1e-3); /* FastGelu's approximation, relative (below) */
  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to run the model with");
      return;
    }
  compare_with_reference (c, model_path, atol);
  if (quick && c->generated)
    return;

  /* The validator: names, types and symbolic dims against the config, runs at
   * two further shape sets, and (fp32) the reference again. */
  validator = oxp_validator_new (runtime);
  if (c->float_type == OXP_DATA_TYPE_FLOAT)
    {
      /* fp16 was compared above with a tolerance relative to the values. */
      oxp_validator_set_atol (validator,
                              c->optimize >= 3 ? MAX (atol, OXP_EXPORTER_APPROX_ATOL) : atol);
      oxp_validator_set_reference (validator, vectors_path);
    }
  if (!oxp_validator_validate (validator, config, model_path, &report, &error))
    {
      g_autofree char *table = report ? oxp_validation_report_to_table (report) : NULL;
      g_error ("validation of %s failed: %s\n%s", model_path, error->message, table ? table : "");
    }
  g_assert_true (oxp_validation_report_get_passed (report));
}

/* The task each case's config.json "architectures" names is the case's. */
static void
test_infer_task (gconstpointer data)
{
  const BertCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = oxp_checkpoint_open (c->dir, &error);
  g_autofree char *task = NULL;

  g_assert_no_error (error);
  task = oxp_tasks_manager_infer_task (manager, oxp_checkpoint_get_config (checkpoint), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (task, ==, json_object_get_string_member (case_json (c), "task"));
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *)a, *(char *const *)b);
}

/* Appends the cases of @data_dir: for each, an export at the default opset
 * and, for reference cases (not @generated) outside the quick run, at
 * opset 14 and in fp16. */
static void
load_cases (GPtrArray *cases, const char *data_dir, gboolean generated)
{
  g_autoptr (GDir) dir = g_dir_open (data_dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *case_dir = g_build_filename (data_dir, g_ptr_array_index (names, i), NULL);
      g_autofree char *json = g_build_filename (case_dir, "case.json", NULL);
      g_autoptr (JsonParser) parser = json_parser_new ();
      const char *model_type;

      if (!g_file_test (json, G_FILE_TEST_EXISTS))
        continue;
      json_parser_load_from_file (parser, json, &error);
      g_assert_no_error (error);
      model_type = json_object_get_string_member (
          json_node_get_object (json_parser_get_root (parser)), "model_type");
      if (!g_strv_contains (model_types, model_type))
        continue;

      /* Under the sanitizers only O2 of the levels: a session costs seconds there. */
      guint n_variants = (generated || quick ? 1u : 3u) + (generated ? 0u : quick ? 1u : 3u);

      for (guint variant = 0; variant < n_variants; variant++)
        {
          BertCase *c = g_new0 (BertCase, 1);
          guint n_plain = quick ? 1 : 3;
          c->name = g_strdup (g_ptr_array_index (names, i));
          c->dir = g_strdup (case_dir);
          c->parser = g_object_ref (parser);
          c->opset = variant == 1 && !quick ? 14 : 0;
          c->float_type = variant == 2 && !quick ? OXP_DATA_TYPE_FLOAT16 : OXP_DATA_TYPE_FLOAT;
          c->generated = generated;
          /* Reference cases also at O1, O2 and O3, fp32. */
          if (!generated && variant >= n_plain)
            c->optimize = quick ? 2 : variant - n_plain + 1;
          g_ptr_array_add (cases, c);
        }
    }
}

/* tests/gen-bert-heads.py: the heads the reference set lacks, on top of
 * transformers' own base-model outputs. */
static char *
generate_head_cases (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *script = oxp_test_srcdir_path ("gen-bert-heads.py", NULL);
  g_autofree char *data_dir = oxp_test_srcdir_path ("data", NULL);
  g_autofree char *err = NULL;
  char *out_dir = g_build_filename (workdir, "heads", NULL);
  const char *python = g_getenv ("PYTHON3");
  const char *argv[] = { python ? python : "python3", script, data_dir, out_dir, NULL };
  int status = 0;

  g_assert_cmpint (g_mkdir_with_parents (out_dir, 0755), ==, 0);
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", script, error->message, err);
  return out_dir;
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_remove (path);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  g_autofree char *data_dir = NULL, *heads_dir = NULL;
  guint n_fp32 = 0;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  manager = oxp_tasks_manager_new ();
  oxp_tasks_manager_load_plugins (manager, NULL, TRUE, &error);
  g_assert_no_error (error);
  /* Like the other ONNX Runtime tests: without OXPORT_ONNXRUNTIME (a dist
   * tree has no _deps/) the models are still exported and checked, not run. */
  if (g_getenv ("OXPORT_ONNXRUNTIME") != NULL && *g_getenv ("OXPORT_ONNXRUNTIME") != '\0')
    {
      runtime = oxp_runtime_new (NULL, FALSE, &error);
      g_assert_no_error (error);
    }
  workdir = oxp_test_make_tmpdir ("oxp-bert-XXXXXX");

  cases = g_ptr_array_new_with_free_func (bert_case_free);
  data_dir = oxp_test_srcdir_path ("data", NULL);
  load_cases (cases, data_dir, FALSE);
  heads_dir = generate_head_cases ();
  load_cases (cases, heads_dir, TRUE);
  for (guint i = 0; i < cases->len; i++)
    {
      BertCase *c = g_ptr_array_index (cases, i);
      g_autofree char *path = NULL;

      if (c->optimize > 0)
        path = g_strdup_printf ("/oxp/bert/%s/O%u", c->name, c->optimize);
      else if (c->float_type == OXP_DATA_TYPE_FLOAT16)
        path = g_strdup_printf ("/oxp/bert/%s/fp16", c->name);
      else if (c->opset != 0)
        path = g_strdup_printf ("/oxp/bert/%s/opset%u", c->name, c->opset);
      else
        {
          path = g_strdup_printf ("/oxp/bert/%s/export", c->name);
          n_fp32++;
        }
      g_test_add_data_func (path, c, test_case);
      if (c->opset == 0 && c->float_type == OXP_DATA_TYPE_FLOAT && c->optimize == 0)
        {
          g_autofree char *infer = g_strdup_printf ("/oxp/bert/%s/infer-task", c->name);
          g_test_add_data_func (infer, c, test_infer_task);
        }
    }
  /* 16 BERT-family reference cases and 36 generated heads: losing one must fail. */
  g_assert_cmpuint (n_fp32, ==, 16 + 36);

  ret = g_test_run ();

  g_clear_object (&runtime);
  g_clear_object (&manager);
  remove_tree (workdir);
  g_free (workdir);
  return ret;
}
