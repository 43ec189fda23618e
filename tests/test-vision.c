/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the vit and clip configs declare beyond the reference cases:
 * ViT's optional pooler_output (the with-pooler-output property) run in
 * ONNX Runtime against transformers' pooler_output, and CLIP's split into
 * text_model.onnx / vision_model.onnx (the split property). */

#include "config.h"

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static OxpTasksManager *manager;
static OxpRuntime *runtime;

static OxpOnnxConfig *
case_config (const char *case_name, const char *task, OxpCheckpoint **checkpoint_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = oxp_test_srcdir_path ("data", case_name, NULL);
  g_autoptr (OxpCheckpoint) checkpoint = oxp_checkpoint_open (dir, &error);
  OxpOnnxConfig *config;

  g_assert_no_error (error);
  config = oxp_tasks_manager_create_config (manager, oxp_checkpoint_get_model_type (checkpoint),
                                            task, oxp_checkpoint_get_config (checkpoint), &error);
  g_assert_no_error (error);
  if (checkpoint_out != NULL)
    *checkpoint_out = g_steal_pointer (&checkpoint);
  return config;
}

/* "a,b,c": the names of @specs. */
static char *
names_of (GPtrArray *specs)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (guint i = 0; i < specs->len; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "",
                            oxp_tensor_spec_get_name (g_ptr_array_index (specs, i)));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
io_of (OxpOnnxConfig *config, gboolean outputs)
{
  g_autoptr (GPtrArray) specs
      = outputs ? oxp_onnx_config_get_outputs (config) : oxp_onnx_config_get_inputs (config);
  return names_of (specs);
}

static char *
dims_of (OxpOnnxConfig *config, const char *name)
{
  g_autoptr (GPtrArray) specs = oxp_onnx_config_get_outputs (config);

  for (guint i = 0; i < specs->len; i++)
    if (g_str_equal (oxp_tensor_spec_get_name (g_ptr_array_index (specs, i)), name))
      return oxp_tensor_spec_dims_to_string (g_ptr_array_index (specs, i));
  return NULL;
}

/* optimum's ViT feature-extraction: last_hidden_state only, fixed tokens. */
static void
test_vit_default_outputs (void)
{
  g_autoptr (OxpOnnxConfig) config
      = case_config ("vit_feature-extraction", "feature-extraction", NULL);
  g_autofree char *outputs = io_of (config, TRUE);
  g_autofree char *dims = dims_of (config, "last_hidden_state");
  gboolean with = TRUE;

  g_object_get (config, "with-pooler-output", &with, NULL);
  g_assert_false (with);
  g_assert_cmpstr (outputs, ==, "last_hidden_state");
  g_assert_cmpstr (dims, ==, "batch_size,226,32");
}

/* Asked for, pooler_output comes second and matches transformers'. */
static void
test_vit_pooler_output (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = NULL;
  g_autoptr (OxpOnnxConfig) base
      = case_config ("vit_feature-extraction", "feature-extraction", &checkpoint);
  g_autoptr (OxpOnnxConfig) config = oxp_onnx_config_copy (base, "with-pooler-output", TRUE, NULL);
  g_autofree char *outputs = io_of (config, TRUE);
  g_autofree char *dims = dims_of (config, "pooler_output");
  g_autoptr (OxpGraph) graph = NULL;
  g_autoptr (OxpOnnxWriter) writer = NULL;
  g_autoptr (OxpValidator) validator = NULL;
  g_autoptr (OxpValidationReport) report = NULL;
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-vit-pooler-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autofree char *vectors
      = oxp_test_srcdir_path ("data", "vit_feature-extraction", "vectors.safetensors", NULL);
  gboolean compared = FALSE;

  g_assert_cmpstr (outputs, ==, "last_hidden_state,pooler_output");
  g_assert_cmpstr (dims, ==, "batch_size,32");

  graph = oxp_graph_new ("main_graph", oxp_onnx_config_get_default_opset (config));
  oxp_onnx_config_build_graph (config, graph, checkpoint, &error);
  g_assert_no_error (error);
  writer = oxp_onnx_writer_new ();
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);
  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to run the model with");
      return;
    }

  validator = oxp_validator_new (runtime);
  oxp_validator_set_atol (validator, 1e-4);
  oxp_validator_set_reference (validator, vectors);
  if (!oxp_validator_validate (validator, config, path, &report, &error))
    g_error ("validation of %s failed: %s", path, error->message);
  g_assert_true (oxp_validation_report_get_passed (report));
  for (guint i = 0; i < oxp_validation_report_get_n_checks (report); i++)
    {
      const OxpValidationCheck *check = oxp_validation_report_get_check (report, i);

      if (oxp_validation_check_get_kind (check) == OXP_VALIDATION_CHECK_REFERENCE
          && g_str_equal (oxp_validation_check_get_name (check), "pooler_output"))
        {
          g_test_message ("pooler_output: max abs diff %.3g",
                          oxp_validation_check_get_max_abs_diff (check));
          g_assert_cmpfloat (oxp_validation_check_get_max_abs_diff (check), <=, 1e-4);
          compared = TRUE;
        }
    }
  g_assert_true (compared);
}

/* Only feature-extraction has the pooled output. */
static void
test_vit_pooler_classification (void)
{
  g_autoptr (OxpOnnxConfig) base
      = case_config ("vit_image-classification", "image-classification", NULL);
  g_autoptr (OxpOnnxConfig) config = oxp_onnx_config_copy (base, "with-pooler-output", TRUE, NULL);
  g_autofree char *outputs = io_of (config, TRUE);

  g_assert_cmpstr (outputs, ==, "logits");
}

/* optimum's CLIPOnnxConfig, for both of its tasks: one model.onnx. */
static void
test_clip_one_file (gconstpointer data)
{
  g_autoptr (OxpOnnxConfig) config
      = case_config ("clip_zero-shot-image-classification", data, NULL);
  g_autoptr (GPtrArray) submodels = oxp_onnx_config_dup_submodels (config);
  g_autofree char *inputs = io_of (config, FALSE);
  g_autofree char *outputs = io_of (config, TRUE);

  g_assert_cmpuint (submodels->len, ==, 1);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 0)), ==,
                   "model.onnx");
  g_assert_cmpstr (inputs, ==, "input_ids,pixel_values,attention_mask");
  g_assert_cmpstr (outputs, ==, "logits_per_image,logits_per_text,text_embeds,image_embeds");
}

/* transformers.js' files: CLIPTextModelWithProjection and
 * CLIPVisionModelWithProjection, each with its own batch axis. */
static void
test_clip_split (void)
{
  g_autoptr (OxpOnnxConfig) config
      = case_config ("clip_zero-shot-image-classification", "zero-shot-image-classification", NULL);
  g_autoptr (GPtrArray) submodels = NULL;
  static const char *const expected[][4] = {
    { "text_model.onnx", "input_ids", "text_embeds,last_hidden_state", "batch_size,24" },
    { "vision_model.onnx", "pixel_values", "image_embeds,last_hidden_state", "batch_size,24" },
  };

  g_object_set (config, "split", TRUE, NULL);
  submodels = oxp_onnx_config_dup_submodels (config);
  g_assert_cmpuint (submodels->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);
      g_autofree char *inputs = io_of (sub, FALSE);
      g_autofree char *outputs = io_of (sub, TRUE);
      g_autofree char *embeds = dims_of (sub, i == 0 ? "text_embeds" : "image_embeds");
      g_autofree char *last = dims_of (sub, "last_hidden_state");

      g_assert_cmpstr (oxp_onnx_config_get_file_name (sub), ==, expected[i][0]);
      g_assert_cmpstr (inputs, ==, expected[i][1]);
      g_assert_cmpstr (outputs, ==, expected[i][2]);
      g_assert_cmpstr (embeds, ==, expected[i][3]);
      g_assert_cmpstr (last, ==, i == 0 ? "batch_size,sequence_length,32" : "batch_size,226,32");
      g_assert_true (oxp_onnx_config_check (sub, NULL));
    }
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  manager = oxp_tasks_manager_new ();
  oxp_tasks_manager_load_plugins (manager, NULL, TRUE, &error);
  g_assert_no_error (error);
  if (g_getenv ("OXPORT_ONNXRUNTIME") != NULL && *g_getenv ("OXPORT_ONNXRUNTIME") != '\0')
    {
      runtime = oxp_runtime_new (NULL, FALSE, &error);
      g_assert_no_error (error);
    }

  g_test_add_func ("/oxp/vit/outputs/default", test_vit_default_outputs);
  g_test_add_func ("/oxp/vit/outputs/pooler-output", test_vit_pooler_output);
  g_test_add_func ("/oxp/vit/outputs/pooler-output-classification", test_vit_pooler_classification);
  g_test_add_data_func ("/oxp/clip/one-file/zero-shot-image-classification",
                        "zero-shot-image-classification", test_clip_one_file);
  g_test_add_data_func ("/oxp/clip/one-file/feature-extraction", "feature-extraction",
                        test_clip_one_file);
  g_test_add_func ("/oxp/clip/split", test_clip_split);

  ret = g_test_run ();

  g_clear_object (&runtime);
  g_clear_object (&manager);
  return ret;
}
