/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <string.h>

#include <glib/gstdio.h>

#include "oxp-test-utils.h"

/* A safetensors file of F32 tensors named "a", "b", … with the given shapes
 * (values 0, 1, 2, …), in the test's temporary folder. */
static OxpCheckpoint *
make_checkpoint (const char *path, guint n, const char *const *names, const gint64 (*shapes)[2],
                 const guint *ranks)
{
  g_autoptr (GString) header = g_string_new ("{");
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint64 header_len;
  OxpCheckpoint *ckpt;

  for (guint i = 0; i < n; i++)
    {
      gsize count = 1, start = data->len;

      g_string_append_printf (header, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[", i ? "," : "",
                              names[i]);
      for (guint d = 0; d < ranks[i]; d++)
        {
          g_string_append_printf (header, "%s%" G_GINT64_FORMAT, d ? "," : "", shapes[i][d]);
          count *= shapes[i][d];
        }
      for (gsize k = 0; k < count; k++)
        {
          float v = (float)k;

          g_byte_array_append (data, (const guint8 *)&v, sizeof v);
        }
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GSIZE_FORMAT ",%u]}", start,
                              data->len);
    }
  g_string_append (header, "}");
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  header_len = GUINT64_TO_LE (header->len);
  g_byte_array_append (file, (const guint8 *)&header_len, 8);
  g_byte_array_append (file, (const guint8 *)header->str, header->len);
  g_byte_array_append (file, data->data, data->len);
  g_file_set_contents (path, (const char *)file->data, file->len, &error);
  g_assert_no_error (error);

  ckpt = oxp_checkpoint_open_safetensors (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

static OxpGraph *
graph_with_input (const char *input)
{
  OxpGraph *g = oxp_graph_new ("main", 17);
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new (input, OXP_DATA_TYPE_FLOAT, "batch_size,4");

  oxp_graph_add_input (g, spec);
  return g;
}

static void
test_names (void)
{
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  const char *a, *b, *c, *d;

  a = oxp_graph_op (g, "Relu", "x", NULL);
  g_assert_cmpstr (oxp_node_get_name (oxp_graph_get_last_node (g)), ==, "/Relu");
  g_assert_cmpstr (a, ==, "/Relu_output_0");

  oxp_graph_push_scope (g, "encoder");
  oxp_graph_push_scope (g, "layer.%d", 3);
  oxp_graph_push_scope (g, "attention");
  b = oxp_graph_op (g, "MatMul", a, a, NULL);
  c = oxp_graph_op (g, "MatMul", b, a, NULL);
  d = oxp_graph_op (g, "MatMul", c, a, NULL);
  g_assert_cmpstr (b, ==, "/encoder/layer.3/attention/MatMul_output_0");
  g_assert_cmpstr (c, ==, "/encoder/layer.3/attention/MatMul_1_output_0");
  g_assert_cmpstr (d, ==, "/encoder/layer.3/attention/MatMul_2_output_0");
  g_assert_cmpstr (oxp_node_get_name (oxp_graph_get_last_node (g)), ==,
                   "/encoder/layer.3/attention/MatMul_2");
  oxp_graph_pop_scope (g);
  oxp_graph_pop_scope (g);
  oxp_graph_push_scope (g, "layer.%d", 4);
  oxp_graph_op (g, "MatMul", d, a, NULL);
  g_assert_cmpstr (oxp_node_get_name (oxp_graph_get_last_node (g)), ==, "/encoder/layer.4/MatMul");
  oxp_graph_pop_scope (g);
  oxp_graph_pop_scope (g);
  oxp_graph_op (g, "Relu", d, NULL);
  g_assert_cmpstr (oxp_node_get_name (oxp_graph_get_last_node (g)), ==, "/Relu_1");
  g_assert_cmpuint (oxp_graph_get_n_nodes (g), ==, 6);
}

static void
test_add_node (void)
{
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  const char *inputs[3] = { "x", NULL, NULL };
  const char *k = oxp_graph_add_constant_int64s (g, "k", (const gint64[]){ 2 }, 1);
  OxpNode *node;

  inputs[1] = k;
  node = oxp_graph_add_node (g, "TopK", inputs, 2, 2);
  g_assert_cmpstr (oxp_node_get_name (node), ==, "/TopK");
  g_assert_cmpstr (oxp_node_get_output (node, 0), ==, "/TopK_output_0");
  g_assert_cmpstr (oxp_node_get_output (node, 1), ==, "/TopK_output_1");
  g_assert_true (oxp_graph_get_last_node (g) == node);
  /* An omitted optional input. */
  inputs[0] = "x";
  inputs[1] = NULL;
  inputs[2] = k;
  node = oxp_graph_add_node (g, "Clip", inputs, 3, 1);
  oxp_node_set_attr_int (node, "i", 1);
  oxp_node_set_attr_int (node, "i", 2); /* replaces */
  oxp_node_set_attr_float (node, "f", 0.5f);
  oxp_node_set_attr_string (node, "s", "x");
  oxp_node_set_attr_ints (node, "is", (const gint64[]){ 1, 2 }, 2);
  oxp_node_set_attr_floats (node, "fs", (const float[]){ 1, 2 }, 2);
  g_assert_cmpstr (k, ==, "/k");
}

static void
test_domains (void)
{
  g_autoptr (OxpGraph) g = graph_with_input ("x");

  g_assert_cmpuint (oxp_graph_get_domain_opset (g, ""), ==, 17);
  g_assert_cmpuint (oxp_graph_get_domain_opset (g, NULL), ==, 17);
  g_assert_cmpuint (oxp_graph_get_domain_opset (g, "com.microsoft"), ==, 0);
  oxp_graph_op (g, "Relu", "x", NULL);
  oxp_node_set_domain (oxp_graph_get_last_node (g), "");
  g_assert_cmpuint (oxp_graph_get_domain_opset (g, "com.microsoft"), ==, 0);
  oxp_graph_op (g, "Gelu", "x", NULL);
  oxp_node_set_domain (oxp_graph_get_last_node (g), "com.microsoft");
  g_assert_cmpuint (oxp_graph_get_domain_opset (g, "com.microsoft"), ==, 1);
}

static void
test_constants (void)
{
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  const char *a, *b, *c;

  oxp_graph_push_scope (g, "attention");
  a = oxp_graph_add_constant_float (g, "scale", 0.125);
  b = oxp_graph_add_constant_float (g, "scale", 0.25);
  c = oxp_graph_add_constant_int64 (g, NULL, 7);
  g_assert_cmpstr (a, ==, "/attention/scale");
  g_assert_cmpstr (b, ==, "/attention/scale_1");
  g_assert_cmpstr (c, ==, "/attention/Constant");
  oxp_graph_add_constant_int64s (g, "shape", (const gint64[]){ 1, 2, 3 }, 3);
  g_assert_cmpuint (oxp_graph_get_n_parameters (g), ==, 6);
  g_assert_cmpuint (oxp_graph_get_weights_size (g), ==, 4 + 4 + 8 + 24);
  oxp_graph_set_float_type (g, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpint (oxp_graph_get_float_type (g), ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpuint (oxp_graph_get_weights_size (g), ==, 2 + 2 + 8 + 24);
}

static void
test_weights (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-graph-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);
  const char *names[] = { "w", "b" };
  const gint64 shapes[][2] = { { 3, 4 }, { 3, 0 } };
  const guint ranks[] = { 2, 1 };
  g_autoptr (OxpCheckpoint) ckpt = make_checkpoint (path, 2, names, shapes, ranks);
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  const char *w, *w2, *wt, *wt2, *b;

  w = oxp_graph_add_weight (g, ckpt, "w", OXP_WEIGHT_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (w, ==, "w");
  w2 = oxp_graph_add_weight (g, ckpt, "w", OXP_WEIGHT_NONE, &error);
  g_assert_no_error (error);
  g_assert_true (w == w2); /* tied */
  wt = oxp_graph_add_weight (g, ckpt, "w", OXP_WEIGHT_TRANSPOSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wt, ==, "w.T");
  wt2 = oxp_graph_add_weight (g, ckpt, "w", OXP_WEIGHT_TRANSPOSE | OXP_WEIGHT_KEEP_DTYPE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wt2, ==, "w.T_1");
  b = oxp_graph_add_weight (g, ckpt, "b", OXP_WEIGHT_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (b, ==, "b");

  g_assert_null (oxp_graph_add_weight (g, ckpt, "b", OXP_WEIGHT_TRANSPOSE, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "“b”"));
  g_clear_error (&error);
  g_assert_null (oxp_graph_add_weight (g, ckpt, "nope", OXP_WEIGHT_NONE, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR);
  g_clear_error (&error);

  g_assert_cmpuint (oxp_graph_get_n_parameters (g), ==, 12 * 3 + 3);
  g_assert_cmpuint (oxp_graph_get_weights_size (g), ==, (12 * 3 + 3) * 4);
  oxp_graph_set_float_type (g, OXP_DATA_TYPE_BFLOAT16);
  /* KEEP_DTYPE stays float32. */
  g_assert_cmpuint (oxp_graph_get_weights_size (g), ==, (12 * 2 + 3) * 2 + 12 * 4);
  g_assert_true (oxp_graph_check (g, &error));
  g_assert_no_error (error);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_bind_output_rename (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) out = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  const char *a, *b, *c;
  OxpNode *producer, *consumer;

  oxp_graph_add_output (g, out);
  a = oxp_graph_op (g, "Relu", "x", NULL);
  producer = oxp_graph_get_last_node (g);
  b = oxp_graph_op (g, "Neg", a, NULL);
  consumer = oxp_graph_get_last_node (g);
  g_assert_false (oxp_graph_check (g, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "“y”"));
  g_clear_error (&error);

  g_assert_true (oxp_graph_bind_output (g, "y", a, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (oxp_node_get_output (producer, 0), ==, "y");
  g_assert_cmpuint (oxp_graph_get_n_nodes (g), ==, 2);
  /* The old name still works after the rename. */
  c = oxp_graph_op (g, "Add", a, b, NULL);
  g_assert_nonnull (c);
  g_assert_true (oxp_graph_check (g, &error));
  g_assert_no_error (error);
  (void)consumer;

  g_assert_false (oxp_graph_bind_output (g, "y", b, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_clear_error (&error);
  g_assert_false (oxp_graph_bind_output (g, "z", b, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_OUTPUT_MISMATCH);
  g_clear_error (&error);
}

static void
test_bind_output_identity (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  g_autoptr (OxpTensorSpec) z = oxp_tensor_spec_new ("z", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  g_autoptr (OxpTensorSpec) w = oxp_tensor_spec_new ("w", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  const char *a;

  oxp_graph_add_output (g, y);
  oxp_graph_add_output (g, z);
  oxp_graph_add_output (g, w);
  /* A graph input: Identity. */
  g_assert_true (oxp_graph_bind_output (g, "y", "x", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (oxp_graph_get_n_nodes (g), ==, 1);
  g_assert_cmpstr (oxp_node_get_name (oxp_graph_get_last_node (g)), ==, "/Identity");
  g_assert_cmpstr (oxp_node_get_output (oxp_graph_get_last_node (g), 0), ==, "y");
  /* A value already bound to another output: Identity. */
  a = oxp_graph_op (g, "Relu", "x", NULL);
  g_assert_true (oxp_graph_bind_output (g, "z", a, &error));
  g_assert_true (oxp_graph_bind_output (g, "w", a, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (oxp_graph_get_n_nodes (g), ==, 3);
  g_assert_true (oxp_graph_check (g, &error));
  g_assert_no_error (error);
}

static void
test_bind_output_undefined (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,4");

  oxp_graph_add_output (g, y);
  g_assert_false (oxp_graph_bind_output (g, "y", "nothing", &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "“nothing”"));
}

static void
test_error_quark (void)
{
  /* The name errors are registered and serialized under. */
  g_assert_cmpstr (g_quark_to_string (OXP_EXPORT_ERROR), ==, "oxp-export-error-quark");
}

static void
test_check_undefined (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");

  oxp_graph_op (g, "Add", "x", "missing", NULL);
  g_assert_false (oxp_graph_check (g, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "“/Add”"));
  g_assert_nonnull (strstr (error->message, "“missing”"));
  g_assert_nonnull (strstr (error->message, "not defined"));
}

static void
test_check_order (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");

  /* Uses the output of a node added afterwards. */
  oxp_graph_op (g, "Neg", "/Relu_output_0", NULL);
  oxp_graph_op (g, "Relu", "x", NULL);
  g_assert_false (oxp_graph_check (g, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "topological"));
  g_assert_nonnull (strstr (error->message, "“/Neg”"));
  g_assert_nonnull (strstr (error->message, "“/Relu”"));
}

static void
test_check_duplicate (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) again = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "2");

  oxp_graph_add_input (g, again);
  g_assert_false (oxp_graph_check (g, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "“x”"));
  g_assert_nonnull (strstr (error->message, "twice"));
}

static void
test_bind_output_twice (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  const char *a;

  oxp_graph_add_output (g, y);
  a = oxp_graph_op (g, "Relu", "x", NULL);
  oxp_graph_add_constant_int64 (g, NULL, 1);
  g_assert_true (oxp_graph_bind_output (g, "y", a, &error));
  g_assert_no_error (error);
  g_assert_false (oxp_graph_bind_output (g, "y", a, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
}

static OxpGraph *
make_branch (OxpGraph *parent, const char *name, const char *outer, const char *op)
{
  OxpGraph *branch = oxp_graph_new_subgraph (parent, name);
  g_autoptr (OxpTensorSpec) out = oxp_tensor_spec_new_rank (name, OXP_DATA_TYPE_FLOAT, 2);
  g_autoptr (GError) error = NULL;
  const char *v;

  oxp_graph_add_output (branch, out);
  v = oxp_graph_op (branch, op, outer, NULL);
  g_assert_true (oxp_graph_bind_output (branch, name, v, &error));
  g_assert_no_error (error);
  return branch;
}

static void
test_subgraph (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) cond = oxp_tensor_spec_new ("cond", OXP_DATA_TYPE_BOOL, "1");
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  g_autoptr (OxpGraph) then_branch = NULL;
  g_autoptr (OxpGraph) else_branch = NULL;
  const char *r, *out;
  OxpNode *node;

  oxp_graph_add_input (g, cond);
  oxp_graph_add_output (g, y);
  oxp_graph_push_scope (g, "decoder");
  r = oxp_graph_op (g, "Relu", "x", NULL);
  then_branch = make_branch (g, "then_out", r, "Neg");
  else_branch = make_branch (g, "else_out", "x", "Abs");
  g_assert_cmpstr (oxp_graph_get_name (then_branch), ==, "then_out");
  g_assert_cmpuint (oxp_graph_get_opset (then_branch), ==, 17);
  g_assert_cmpstr (oxp_node_get_name (oxp_graph_get_last_node (then_branch)), ==, "/decoder/Neg");
  out = oxp_graph_op (g, "If", "cond", NULL);
  node = oxp_graph_get_last_node (g);
  oxp_node_set_attr_graph (node, "then_branch", then_branch);
  oxp_node_set_attr_graph (node, "else_branch", else_branch);
  g_assert_true (oxp_graph_bind_output (g, "y", out, &error));
  g_assert_no_error (error);
  g_assert_true (oxp_graph_check (g, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (oxp_graph_get_n_nodes (g), ==, 4);

  /* A value of a branch is not visible to its parent. */
  oxp_graph_op (g, "Neg", "then_out", NULL);
  g_assert_false (oxp_graph_check (g, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "“then_out”"));
}

static void
test_subgraph_order (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = graph_with_input ("x");
  g_autoptr (OxpTensorSpec) cond = oxp_tensor_spec_new ("cond", OXP_DATA_TYPE_BOOL, "1");
  g_autoptr (OxpGraph) then_branch = NULL;
  g_autoptr (OxpGraph) else_branch = NULL;
  OxpNode *node;

  oxp_graph_add_input (g, cond);
  /* The branch uses a value its If node comes before. */
  then_branch = make_branch (g, "then_out", "/Relu_output_0", "Neg");
  else_branch = make_branch (g, "else_out", "x", "Abs");
  oxp_graph_op (g, "If", "cond", NULL);
  node = oxp_graph_get_last_node (g);
  oxp_node_set_attr_graph (node, "then_branch", then_branch);
  oxp_node_set_attr_graph (node, "else_branch", else_branch);
  oxp_graph_op (g, "Relu", "x", NULL);
  g_assert_false (oxp_graph_check (g, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_nonnull (strstr (error->message, "“/Relu_output_0”"));
  g_assert_nonnull (strstr (error->message, "topological"));
}

/* Names a plugin formats stay valid while the graph lives, a subgraph's
 * included (its strings outlive the subgraph object). */
static void
test_intern_printf (void)
{
  g_autoptr (OxpGraph) g = oxp_graph_new ("main", 17);
  OxpGraph *branch = oxp_graph_new_subgraph (g, "branch");
  const char *a = oxp_graph_intern_printf (g, "encoder.layer.%d.%s", 3, "query");
  const char *b = oxp_graph_intern_printf (branch, "present.%" G_GINT64_FORMAT ".key", (gint64)11);

  g_assert_cmpstr (a, ==, "encoder.layer.3.query");
  g_object_unref (branch);
  g_assert_cmpstr (b, ==, "present.11.key");
  /* A string per call: a later one does not overwrite the earlier. */
  g_assert_true (a != oxp_graph_intern_printf (g, "encoder.layer.%d.%s", 3, "query"));
  g_assert_cmpstr (a, ==, "encoder.layer.3.query");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oxp/graph/names", test_names);
  g_test_add_func ("/oxp/graph/add-node", test_add_node);
  g_test_add_func ("/oxp/graph/domains", test_domains);
  g_test_add_func ("/oxp/graph/constants", test_constants);
  g_test_add_func ("/oxp/graph/weights", test_weights);
  g_test_add_func ("/oxp/graph/bind-output/rename", test_bind_output_rename);
  g_test_add_func ("/oxp/graph/bind-output/identity", test_bind_output_identity);
  g_test_add_func ("/oxp/graph/bind-output/undefined", test_bind_output_undefined);
  g_test_add_func ("/oxp/graph/bind-output/twice", test_bind_output_twice);
  g_test_add_func ("/oxp/graph/error-quark", test_error_quark);
  g_test_add_func ("/oxp/graph/check/undefined", test_check_undefined);
  g_test_add_func ("/oxp/graph/check/order", test_check_order);
  g_test_add_func ("/oxp/graph/check/duplicate", test_check_duplicate);
  g_test_add_func ("/oxp/graph/subgraph/outer-scope", test_subgraph);
  g_test_add_func ("/oxp/graph/subgraph/order", test_subgraph_order);
  g_test_add_func ("/oxp/graph/intern-printf", test_intern_printf);

  return g_test_run ();
}
