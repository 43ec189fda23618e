/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library side of --quantize: what oxp_exporter_set_quantize() refuses,
 * and the initializers oxp_graph_add_quantized_weight() declares (shapes
 * MatMulNBits reads, by the bytes they will take: one set per tensor, no
 * zero points when symmetric, K padded to whole blocks, a 1-D tensor
 * refused, float16 scales two bytes each), and float32 scales in a float16
 * export refused before anything is written.  The numbers themselves are checked by
 * test-quantize.sh. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static void
test_exporter_refuses (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autoptr (OxpExporter) exporter = oxp_exporter_new (manager);
  g_autoptr (GError) error = NULL;

  g_assert_false (oxp_exporter_set_quantize (exporter, 4, 48, TRUE, 0, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "48"));
  g_clear_error (&error);
  g_assert_false (oxp_exporter_set_quantize (exporter, 3, 32, TRUE, 0, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (oxp_exporter_set_quantize (exporter, 8, 32, TRUE, 1 << 5, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_true (
      oxp_exporter_set_quantize (exporter, 8, 128, FALSE, OXP_QUANTIZE_EXCLUDE_LM_HEAD, &error));
  g_assert_no_error (error);
}

/* Float32 scales cannot feed a float16 MatMulNBits (its scales have the
 * activations' type): refused before anything is read or written. */
static void
test_exporter_refuses_fp32_scales (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autoptr (OxpExporter) exporter = oxp_exporter_new (manager);
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autofree char *dir = oxp_test_srcdir_path ("data", "llama_text-generation", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("oxp-quantize-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (tmp, "out", NULL);

  g_assert_true (oxp_exporter_set_quantize (exporter, 4, 32, TRUE, 0, &error));
  oxp_exporter_set_float_type (exporter, OXP_DATA_TYPE_FLOAT16);
  oxp_exporter_set_quantize_scales_type (exporter, OXP_DATA_TYPE_FLOAT);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, dir, out, &error);
  g_assert_null (result);
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "--quantize-scales fp32"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static void
test_graph_initializers (void)
{
  g_autofree char *dir = oxp_test_srcdir_path ("data", "llama_text-generation", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) ckpt = oxp_checkpoint_open (dir, &error);
  g_autoptr (OxpGraph) graph = oxp_graph_new ("g", 17);
  /* [37, 32] (gate_proj: out 37, in 32) and [32, 37] (down_proj: K 37, padded). */
  const char *gate = "model.layers.0.mlp.gate_proj.weight";
  const char *down = "model.layers.0.mlp.down_proj.weight";
  const char *b, *b2, *scales, *scales2, *zp, *zp2;
  g_assert_no_error (error);
  oxp_graph_set_quantize (graph, 4, 32, TRUE, OXP_QUANTIZE_EXCLUDE_NONE);
  g_assert_cmpuint (oxp_graph_get_quantize_bits (graph), ==, 4);
  b = oxp_graph_add_quantized_weight (graph, ckpt, gate, FALSE, &scales, &zp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b, ==, "model.layers.0.mlp.gate_proj.weight.q4");
  g_assert_cmpstr (scales, ==, "model.layers.0.mlp.gate_proj.weight.scales");
  g_assert_null (zp);
  /* 37 rows of one block: 16 bytes of codes and a float32 scale each. */
  g_assert_cmpuint (oxp_graph_get_weights_size (graph), ==, 37 * 16 + 37 * 4);

  /* Asked again: the same values, nothing more to write. */
  b2 = oxp_graph_add_quantized_weight (graph, ckpt, gate, FALSE, &scales2, &zp2, &error);
  g_assert_no_error (error);
  g_assert_true (b2 == b && scales2 == scales && zp2 == NULL);
  g_assert_cmpuint (oxp_graph_get_weights_size (graph), ==, 37 * 16 + 37 * 4);

  /* Asymmetric, K 37: two blocks a row (the second padded), two scales and
   * one byte of two zero points a row. */
  oxp_graph_set_quantize (graph, 4, 32, FALSE, OXP_QUANTIZE_EXCLUDE_NONE);
  b = oxp_graph_add_quantized_weight (graph, ckpt, down, FALSE, &scales, &zp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (zp, ==, "model.layers.0.mlp.down_proj.weight.zero_points");
  g_assert_cmpuint (oxp_graph_get_weights_size (graph), ==,
                    37 * 16 + 37 * 4 + 32 * 2 * 16 + 32 * 2 * 4 + 32);

  /* Float16 scales in this float32 graph: two bytes each. */
  g_assert_cmpint (oxp_graph_get_quantize_scales_type (graph), ==, OXP_DATA_TYPE_FLOAT);
  oxp_graph_set_quantize_scales_type (graph, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpint (oxp_graph_get_quantize_scales_type (graph), ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpuint (oxp_graph_get_weights_size (graph), ==,
                    37 * 16 + 37 * 2 + 32 * 2 * 16 + 32 * 2 * 2 + 32);

  g_assert_null (oxp_graph_add_quantized_weight (graph, ckpt, "model.norm.weight", FALSE, &scales,
                                                 &zp, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "model.norm.weight"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/oxp/quantize/exporter/refuses", test_exporter_refuses);
  g_test_add_func ("/oxp/quantize/exporter/refuses-fp32-scales",
                   test_exporter_refuses_fp32_scales);
  g_test_add_func ("/oxp/quantize/graph/initializers", test_graph_initializers);
  return g_test_run ();
}
