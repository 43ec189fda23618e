/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

/* The test reads the written files back with the same generated protobuf-c
 * code the library writes them with (an in-tree test may; the public
 * headers never show it), and runs them in ONNX Runtime. */
#include "onnx.pb-c.h"
#include "oxp-test-utils.h"

/* Where the models go: $OXP_WRITER_OUTDIR when set (test-writer-onnx.sh
 * checks them with python3-onnx afterwards), else a temporary folder. */
static char *outdir;

/* Removes @dir and what it holds (the test's temporary folders). */
static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

/* --- A small safetensors writer ------------------------------------------- */

typedef struct
{
  GString *header;
  GByteArray *data;
} Safetensors;

static Safetensors *
st_new (void)
{
  Safetensors *st = g_new0 (Safetensors, 1);

  st->header = g_string_new ("{");
  st->data = g_byte_array_new ();
  return st;
}

static void
st_add (Safetensors *st, const char *name, const char *dtype, const gint64 *shape, guint rank,
        gconstpointer data, gsize size)
{
  gsize start = st->data->len;

  g_string_append_printf (st->header, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                          st->header->len > 1 ? "," : "", name, dtype);
  for (guint d = 0; d < rank; d++)
    g_string_append_printf (st->header, "%s%" G_GINT64_FORMAT, d ? "," : "", shape[d]);
  g_byte_array_append (st->data, data, size);
  g_string_append_printf (st->header, "],\"data_offsets\":[%" G_GSIZE_FORMAT ",%u]}", start,
                          st->data->len);
}

static OxpCheckpoint *
st_finish (Safetensors *st, const char *path)
{
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  guint64 header_len;
  OxpCheckpoint *ckpt;

  g_string_append (st->header, "}");
  /* An odd header length: tensor data need not be aligned. */
  if (st->header->len % 2 == 0)
    g_string_append_c (st->header, ' ');
  header_len = GUINT64_TO_LE (st->header->len);
  g_byte_array_append (file, (const guint8 *)&header_len, 8);
  g_byte_array_append (file, (const guint8 *)st->header->str, st->header->len);
  g_byte_array_append (file, st->data->data, st->data->len);
  g_file_set_contents (path, (const char *)file->data, file->len, &error);
  g_assert_no_error (error);
  g_string_free (st->header, TRUE);
  g_byte_array_unref (st->data);
  g_free (st);

  ckpt = oxp_checkpoint_open_safetensors (path, &error);
  g_assert_no_error (error);
  return ckpt;
}

/* --- The test model ----------------------------------------------------------- */

#define EMB_ROWS 260
#define EMB_COLS 1024 /* 1 040 KiB: above the 1 MiB alignment threshold */

static float
lin_w (int o, int i)
{
  return 0.25f * (float)(o * 4 + i) - 1.0f;
}

static float
emb_w (gsize r, gsize c)
{
  return (float)((r * 7 + c * 3) % 11) - 5.0f;
}

static OxpCheckpoint *
make_model_checkpoint (const char *path)
{
  Safetensors *st = st_new ();
  float w[3 * 4], b[3] = { 0.5f, -1.0f, 2.0f };
  gint64 steps[4] = { 1, -2, 3, 1 << 20 };
  g_autofree float *emb = g_new (float, EMB_ROWS *EMB_COLS);

  for (int o = 0; o < 3; o++)
    for (int i = 0; i < 4; i++)
      w[o * 4 + i] = lin_w (o, i);
  for (gsize r = 0; r < EMB_ROWS; r++)
    for (gsize c = 0; c < EMB_COLS; c++)
      emb[r * EMB_COLS + c] = emb_w (r, c);
  st_add (st, "lin.weight", "F32", (const gint64[]){ 3, 4 }, 2, w, sizeof w);
  st_add (st, "lin.bias", "F32", (const gint64[]){ 3 }, 1, b, sizeof b);
  st_add (st, "steps", "I64", (const gint64[]){ 4 }, 1, steps, sizeof steps);
  st_add (st, "emb.weight", "F32", (const gint64[]){ EMB_ROWS, EMB_COLS }, 2, emb,
          sizeof (float) * EMB_ROWS * EMB_COLS);
  return st_finish (st, path);
}

static void
bind (OxpGraph *g, const char *name, const char *value)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (oxp_graph_bind_output (g, name, value, &error));
  g_assert_no_error (error);
}

static const char *
weight (OxpGraph *g, OxpCheckpoint *ckpt, const char *name, OxpWeightFlags flags)
{
  g_autoptr (GError) error = NULL;
  const char *v = oxp_graph_add_weight (g, ckpt, name, flags, &error);

  g_assert_no_error (error);
  return v;
}

static OxpGraph *
make_branch (OxpGraph *parent, const char *name, const char *op, const char *outer)
{
  OxpGraph *branch = oxp_graph_new_subgraph (parent, name);
  g_autoptr (OxpTensorSpec) out = oxp_tensor_spec_new (name, OXP_DATA_TYPE_FLOAT, "?,3");

  oxp_graph_add_output (branch, out);
  bind (branch, name, oxp_graph_op (branch, op, outer, NULL));
  return branch;
}

/* y = If (cond, -h, |h|) with h = LeakyRelu (x·Wᵀ + b) + [1, 2, 3];
 * emb_sum = Σ_c emb[ids, c]; steps_f = float (steps); padded = Pad ([7.5, 7.5], edge, [1, 0]). */
static OxpGraph *
make_model_graph (OxpCheckpoint *ckpt)
{
  OxpGraph *g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpTensorSpec) x = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "batch_size,4");
  g_autoptr (OxpTensorSpec) ids = oxp_tensor_spec_new ("ids", OXP_DATA_TYPE_INT64, "batch_size");
  g_autoptr (OxpTensorSpec) cond = oxp_tensor_spec_new_rank ("cond", OXP_DATA_TYPE_BOOL, 0);
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,3");
  g_autoptr (OxpTensorSpec) emb_sum
      = oxp_tensor_spec_new ("emb_sum", OXP_DATA_TYPE_FLOAT, "batch_size");
  g_autoptr (OxpTensorSpec) steps_f = oxp_tensor_spec_new ("steps_f", OXP_DATA_TYPE_FLOAT, "4");
  g_autoptr (OxpTensorSpec) padded = oxp_tensor_spec_new ("padded", OXP_DATA_TYPE_FLOAT, "3");
  g_autoptr (OxpGraph) then_branch = NULL;
  g_autoptr (OxpGraph) else_branch = NULL;
  g_autoptr (OxpTensor) seven = NULL;
  const char *h, *e, *s;
  OxpNode *node;

  oxp_graph_set_doc_string (g, "oxport writer test model");
  oxp_graph_add_input (g, x);
  oxp_graph_add_input (g, ids);
  oxp_graph_add_input (g, cond);
  oxp_graph_add_output (g, y);
  oxp_graph_add_output (g, emb_sum);
  oxp_graph_add_output (g, steps_f);
  oxp_graph_add_output (g, padded);

  oxp_graph_push_scope (g, "lin");
  h = oxp_graph_op (g, "MatMul", "x", weight (g, ckpt, "lin.weight", OXP_WEIGHT_TRANSPOSE), NULL);
  h = oxp_graph_op (g, "Add", h, weight (g, ckpt, "lin.bias", OXP_WEIGHT_NONE), NULL);
  h = oxp_graph_op (g, "LeakyRelu", h, NULL);
  oxp_node_set_attr_float (oxp_graph_get_last_node (g), "alpha", 0.125f);
  s = oxp_graph_op (g, "Constant", NULL);
  oxp_node_set_attr_floats (oxp_graph_get_last_node (g), "value_floats", (const float[]){ 1, 2, 3 },
                            3);
  h = oxp_graph_op (g, "Add", h, s, NULL);
  oxp_graph_pop_scope (g);

  then_branch = make_branch (g, "then_y", "Neg", h);
  else_branch = make_branch (g, "else_y", "Abs", h);
  node = oxp_graph_add_node (g, "If", (const char *[]){ "cond" }, 1, 1);
  oxp_node_set_attr_graph (node, "then_branch", then_branch);
  oxp_node_set_attr_graph (node, "else_branch", else_branch);
  bind (g, "y", oxp_node_get_output (node, 0));

  oxp_graph_push_scope (g, "emb");
  e = oxp_graph_op (g, "Gather", weight (g, ckpt, "emb.weight", OXP_WEIGHT_NONE), "ids", NULL);
  e = oxp_graph_op (g, "ReduceSum", e,
                    oxp_graph_add_constant_int64s (g, "axes", (const gint64[]){ 1 }, 1), NULL);
  oxp_node_set_attr_int (oxp_graph_get_last_node (g), "keepdims", 0);
  oxp_graph_pop_scope (g);
  bind (g, "emb_sum", e);

  s = oxp_graph_op (g, "Cast", weight (g, ckpt, "steps", OXP_WEIGHT_NONE), NULL);
  oxp_node_set_attr_int (oxp_graph_get_last_node (g), "to", OXP_DATA_TYPE_FLOAT);
  bind (g, "steps_f", s);

  seven = oxp_tensor_new ("value", OXP_DATA_TYPE_FLOAT, (const gint64[]){ 1 }, 1);
  *(float *)oxp_tensor_get_mutable_data (seven) = 7.5f;
  s = oxp_graph_op (g, "ConstantOfShape",
                    oxp_graph_add_constant_int64s (g, "shape", (const gint64[]){ 2 }, 1), NULL);
  oxp_node_set_attr_tensor (oxp_graph_get_last_node (g), "value", seven);
  s = oxp_graph_op (g, "Pad", s,
                    oxp_graph_add_constant_int64s (g, "pads", (const gint64[]){ 1, 0 }, 2), NULL);
  oxp_node_set_attr_string (oxp_graph_get_last_node (g), "mode", "edge");
  bind (g, "padded", s);
  return g;
}

static char *
out_path (const char *name)
{
  return g_build_filename (outdir, name, NULL);
}

static void
progress_cb (guint64 done, guint64 total, gpointer user_data)
{
  guint64 *last = user_data;

  g_assert_cmpuint (done, >=, last[0]);
  g_assert_cmpuint (done, <=, total);
  last[0] = done;
  last[1] = total;
  last[2]++;
}

static OxpRuntime *
get_runtime (void)
{
  g_autoptr (GError) error = NULL;
  OxpRuntime *rt;

  if (g_getenv ("OXPORT_ONNXRUNTIME") == NULL || *g_getenv ("OXPORT_ONNXRUNTIME") == '\0')
    return NULL;
  rt = oxp_runtime_new (NULL, FALSE, &error);
  g_assert_no_error (error);
  return rt;
}

static OxpTensor *
find_output (GPtrArray *outputs, const char *name)
{
  for (guint i = 0; i < outputs->len; i++)
    if (g_strcmp0 (oxp_tensor_get_name (g_ptr_array_index (outputs, i)), name) == 0)
      return g_ptr_array_index (outputs, i);
  g_assert_not_reached ();
}

/* Runs the model at batch 2 and compares with values computed here. */
static void
run_model (const char *path, gboolean cond_value)
{
  g_autoptr (OxpRuntime) rt = get_runtime ();
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GError) error = NULL;
  const float xv[2][4] = { { 1, -2, 0.5f, 3 }, { -1, 0, 2, -0.25f } };
  const gint64 idv[2] = { 3, EMB_ROWS - 1 };
  OxpTensor *t;
  const float *out;

  if (rt == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  session = oxp_runtime_open_session (rt, path, &error);
  g_assert_no_error (error);

  t = oxp_tensor_new ("x", OXP_DATA_TYPE_FLOAT, (const gint64[]){ 2, 4 }, 2);
  memcpy (oxp_tensor_get_mutable_data (t), xv, sizeof xv);
  g_ptr_array_add (inputs, t);
  t = oxp_tensor_new ("ids", OXP_DATA_TYPE_INT64, (const gint64[]){ 2 }, 1);
  memcpy (oxp_tensor_get_mutable_data (t), idv, sizeof idv);
  g_ptr_array_add (inputs, t);
  t = oxp_tensor_new ("cond", OXP_DATA_TYPE_BOOL, NULL, 0);
  *(guint8 *)oxp_tensor_get_mutable_data (t) = cond_value;
  g_ptr_array_add (inputs, t);

  outputs = oxp_runtime_session_run (session, inputs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outputs->len, ==, 4);

  out = oxp_tensor_get_data (find_output (outputs, "y"));
  for (int b = 0; b < 2; b++)
    for (int o = 0; o < 3; o++)
      {
        float h = (o == 0 ? 0.5f : o == 1 ? -1.0f : 2.0f), expected;

        for (int i = 0; i < 4; i++)
          h += xv[b][i] * lin_w (o, i);
        h = h < 0 ? 0.125f * h : h;
        h += (float)(o + 1);
        expected = cond_value ? -h : fabsf (h);
        g_assert_cmpfloat_with_epsilon (out[b * 3 + o], expected, 1e-5);
      }
  out = oxp_tensor_get_data (find_output (outputs, "emb_sum"));
  for (int b = 0; b < 2; b++)
    {
      double sum = 0;

      for (gsize c = 0; c < EMB_COLS; c++)
        sum += emb_w (idv[b], c);
      g_assert_cmpfloat_with_epsilon (out[b], sum, 1e-3);
    }
  out = oxp_tensor_get_data (find_output (outputs, "steps_f"));
  g_assert_cmpfloat (out[0], ==, 1);
  g_assert_cmpfloat (out[1], ==, -2);
  g_assert_cmpfloat (out[3], ==, 1 << 20);
  out = oxp_tensor_get_data (find_output (outputs, "padded"));
  g_assert_cmpuint (oxp_tensor_get_n_elements (find_output (outputs, "padded")), ==, 3);
  g_assert_cmpfloat (out[0], ==, 7.5f);
  g_assert_cmpfloat (out[2], ==, 7.5f);
}

static Onnx__ModelProto *
load_model (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  Onnx__ModelProto *model;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  model = onnx__model_proto__unpack (NULL, len, (const guint8 *)contents);
  g_assert_nonnull (model);
  return model;
}

static const char *
metadata_value (Onnx__ModelProto *model, const char *key)
{
  for (gsize i = 0; i < model->n_metadata_props; i++)
    if (strcmp (model->metadata_props[i]->key, key) == 0)
      return model->metadata_props[i]->value;
  return NULL;
}

static Onnx__TensorProto *
find_initializer (Onnx__GraphProto *graph, const char *name)
{
  for (gsize i = 0; i < graph->n_initializer; i++)
    if (strcmp (graph->initializer[i]->name, name) == 0)
      return graph->initializer[i];
  return NULL;
}

static const char *
external_entry (Onnx__TensorProto *t, const char *key)
{
  for (gsize i = 0; i < t->n_external_data; i++)
    if (strcmp (t->external_data[i]->key, key) == 0)
      return t->external_data[i]->value;
  return NULL;
}

static void
check_model_structure (Onnx__ModelProto *model)
{
  Onnx__GraphProto *graph = model->graph;
  Onnx__TensorProto *w;

  g_assert_true (model->has_ir_version);
  g_assert_cmpint (model->ir_version, ==, 8);
  g_assert_cmpstr (model->producer_name, ==, "oxport");
  g_assert_cmpstr (model->producer_version, ==, PACKAGE_VERSION);
  g_assert_cmpuint (model->n_opset_import, ==, 1);
  g_assert_cmpstr (model->opset_import[0]->domain, ==, "");
  g_assert_cmpint (model->opset_import[0]->version, ==, 17);
  g_assert_cmpstr (metadata_value (model, "task"), ==, "feature-extraction");
  g_assert_cmpstr (metadata_value (model, "source_model_type"), ==, "test");
  g_assert_null (metadata_value (model, "removed"));
  g_assert_nonnull (graph);
  g_assert_cmpstr (graph->name, ==, "main_graph");
  g_assert_cmpstr (graph->doc_string, ==, "oxport writer test model");
  g_assert_cmpuint (graph->n_input, ==, 3);
  g_assert_cmpuint (graph->n_output, ==, 4);
  g_assert_cmpstr (graph->input[0]->type->tensor_type->shape->dim[0]->dim_param, ==, "batch_size");
  g_assert_cmpint (graph->input[0]->type->tensor_type->shape->dim[1]->dim_value, ==, 4);
  g_assert_cmpstr (graph->node[0]->name, ==, "/lin/MatMul");
  g_assert_cmpstr (graph->node[0]->input[1], ==, "lin.weight.T");

  /* The transposed weight: [4, 3] with w.T[i][o] = w[o][i]. */
  w = find_initializer (graph, "lin.weight.T");
  g_assert_nonnull (w);
  g_assert_cmpuint (w->n_dims, ==, 2);
  g_assert_cmpint (w->dims[0], ==, 4);
  g_assert_cmpint (w->dims[1], ==, 3);
  g_assert_cmpint (w->data_type, ==, OXP_DATA_TYPE_FLOAT);
  g_assert_true (w->has_raw_data);
  for (int i = 0; i < 4; i++)
    for (int o = 0; o < 3; o++)
      g_assert_cmpfloat (((const float *)w->raw_data.data)[i * 3 + o], ==, lin_w (o, i));
  w = find_initializer (graph, "steps");
  g_assert_cmpint (w->data_type, ==, OXP_DATA_TYPE_INT64);
}

static OxpOnnxWriter *
make_writer (OxpExternalData mode)
{
  OxpOnnxWriter *writer = oxp_onnx_writer_new ();

  oxp_onnx_writer_set_external_data (writer, mode);
  oxp_onnx_writer_set_metadata (writer, "source_model_type", "test");
  oxp_onnx_writer_set_metadata (writer, "task", "text-classification");
  oxp_onnx_writer_set_metadata (writer, "removed", "x");
  oxp_onnx_writer_set_metadata (writer, "task", "feature-extraction");
  oxp_onnx_writer_set_metadata (writer, "removed", NULL);
  return writer;
}

static void
test_inline (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *st_path = out_path ("model.safetensors");
  g_autofree char *path = out_path ("inline.onnx");
  g_autofree char *data_path = out_path ("inline.onnx_data");
  g_autoptr (OxpCheckpoint) ckpt = make_model_checkpoint (st_path);
  g_autoptr (OxpGraph) g = make_model_graph (ckpt);
  g_autoptr (OxpOnnxWriter) writer = make_writer (OXP_EXTERNAL_DATA_AUTO);
  guint64 progress[3] = { 0 };
  Onnx__ModelProto *model;
  Onnx__TensorProto *emb;

  oxp_onnx_writer_set_metadata (writer, "oxp_test_source", "model.safetensors");
  oxp_onnx_writer_set_progress_func (writer, progress_cb, progress, NULL);
  g_assert_true (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (data_path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (progress[1], ==, oxp_graph_get_weights_size (g));
  g_assert_cmpuint (progress[0], ==, progress[1]);
  g_assert_cmpuint (progress[2], >, 1);

  model = load_model (path);
  check_model_structure (model);
  emb = find_initializer (model->graph, "emb.weight");
  g_assert_true (emb->has_raw_data);
  g_assert_cmpuint (emb->raw_data.len, ==, sizeof (float) * EMB_ROWS * EMB_COLS);
  g_assert_cmpfloat (((const float *)emb->raw_data.data)[5 * EMB_COLS + 17], ==, emb_w (5, 17));
  onnx__model_proto__free_unpacked (model, NULL);

  run_model (path, TRUE);
  run_model (path, FALSE);
}

static void
test_external (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *st_path = out_path ("model-ext.safetensors");
  g_autofree char *path = out_path ("external.onnx");
  g_autofree char *data_path = out_path ("external.onnx_data");
  g_autoptr (OxpCheckpoint) ckpt = make_model_checkpoint (st_path);
  g_autoptr (OxpGraph) g = make_model_graph (ckpt);
  g_autoptr (OxpOnnxWriter) writer = make_writer (OXP_EXTERNAL_DATA_ALWAYS);
  g_autofree char *data = NULL;
  gsize data_len;
  Onnx__ModelProto *model;
  Onnx__TensorProto *emb, *bias;
  guint64 offset, length;

  oxp_onnx_writer_set_metadata (writer, "oxp_test_source", "model-ext.safetensors");
  g_assert_true (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_no_error (error);
  g_file_get_contents (data_path, &data, &data_len, &error);
  g_assert_no_error (error);

  model = load_model (path);
  check_model_structure (model);
  /* Large tensors go to the data file at a 64 KiB boundary; small ones stay. */
  emb = find_initializer (model->graph, "emb.weight");
  g_assert_true (emb->has_data_location);
  g_assert_cmpint (emb->data_location, ==, ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
  g_assert_false (emb->has_raw_data);
  g_assert_cmpstr (external_entry (emb, "location"), ==, "external.onnx_data");
  offset = g_ascii_strtoull (external_entry (emb, "offset"), NULL, 10);
  length = g_ascii_strtoull (external_entry (emb, "length"), NULL, 10);
  g_assert_cmpuint (offset % 65536, ==, 0);
  g_assert_cmpuint (length, ==, sizeof (float) * EMB_ROWS * EMB_COLS);
  g_assert_cmpuint (offset + length, <=, data_len);
  g_assert_cmpfloat (((const float *)(data + offset))[7 * EMB_COLS + 3], ==, emb_w (7, 3));
  bias = find_initializer (model->graph, "lin.bias");
  g_assert_true (bias->has_raw_data);
  g_assert_cmpuint (bias->n_external_data, ==, 0);
  onnx__model_proto__free_unpacked (model, NULL);

  run_model (path, TRUE);
}

/* Special values for the float conversions (the python check compares
 * them with numpy's rounding). */
static const float conversion_values[] = {
  0.0f,
  -0.0f,
  1.0f,
  -1.5f,
  65504.0f,
  65519.0f,
  65520.0f,
  1e10f,
  -1e10f,
  5.9604645e-08f /* 2^-24 */,
  2.9802322e-08f /* 2^-25: a tie, to 0 */,
  4.4703484e-08f /* 1.5·2^-25 */,
  6.1035156e-05f /* 2^-14 */,
  6.0975552e-05f /* largest fp16 subnormal */,
  1.00048828125f /* 1 + 2^-11: tie */,
  1.00146484375f /* 1 + 3·2^-11: tie up */,
  3.14159265f,
  1.0f / 3.0f,
  1.00390625f /* 1 + 2^-8: bf16 tie */,
  1.01171875f /* 1 + 3·2^-8: bf16 tie up */,
  3.3895314e38f,
  INFINITY,
  -INFINITY,
  NAN,
};

#define WIDE_COLS 700001

static void
write_float_type_model (OxpDataType float_type, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *st_file = g_strdup_printf ("%s.safetensors", name);
  g_autofree char *onnx_file = g_strdup_printf ("%s.onnx", name);
  g_autofree char *st_path = out_path (st_file);
  g_autofree char *path = out_path (onnx_file);
  Safetensors *st = st_new ();
  float w[2 * 3] = { 0.1f, -0.2f, 0.3f, 1.7f, -2.9f, 65519.0f };
  gint64 n = G_N_ELEMENTS (conversion_values);
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autoptr (OxpGraph) g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpTensorSpec) x = oxp_tensor_spec_new ("x", float_type, "batch_size,3");
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", float_type, "batch_size,2");
  g_autoptr (OxpTensorSpec) v = oxp_tensor_spec_new ("values", float_type, "?");
  g_autoptr (OxpTensorSpec) k = oxp_tensor_spec_new ("kept", OXP_DATA_TYPE_FLOAT, "?");
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  g_autofree float *wide = NULL;
  const char *h;

  st_add (st, "w", "F32", (const gint64[]){ 2, 3 }, 2, w, sizeof w);
  st_add (st, "values", "F32", &n, 1, conversion_values, sizeof conversion_values);
  /* Rows of 2.8 MB: the writer transposes it in several bands. */
  wide = g_new (float, 3 * WIDE_COLS);
  for (gsize i = 0; i < 3 * WIDE_COLS; i++)
    wide[i] = (float)i * 0.001f - 1000.0f;
  st_add (st, "wide", "F32", (const gint64[]){ 3, WIDE_COLS }, 2, wide,
          3 * WIDE_COLS * sizeof (float));
  ckpt = st_finish (st, st_path);

  oxp_graph_set_float_type (g, float_type);
  oxp_graph_add_input (g, x);
  oxp_graph_add_output (g, y);
  oxp_graph_add_output (g, v);
  oxp_graph_add_output (g, k);
  h = oxp_graph_op (g, "MatMul", "x", weight (g, ckpt, "w", OXP_WEIGHT_TRANSPOSE), NULL);
  h = oxp_graph_op (g, "Mul", h, oxp_graph_add_constant_float (g, "scale", 0.5), NULL);
  bind (g, "y", h);
  bind (g, "values", weight (g, ckpt, "values", OXP_WEIGHT_NONE));
  bind (g, "kept", weight (g, ckpt, "values", OXP_WEIGHT_KEEP_DTYPE));
  /* Unused by the nodes; check-onnx.py compares their values. */
  g_assert_cmpstr (weight (g, ckpt, "wide", OXP_WEIGHT_TRANSPOSE), ==, "wide.T");
  g_assert_cmpstr (weight (g, ckpt, "wide", OXP_WEIGHT_TRANSPOSE | OXP_WEIGHT_KEEP_DTYPE), ==,
                   "wide.T_1");
  /* For check-onnx.py: where the source tensors are. */
  oxp_onnx_writer_set_metadata (writer, "oxp_test_source", st_file);
  g_assert_true (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_no_error (error);
}

static guint16
read_u16 (const guint8 *p, gsize i)
{
  guint16 v;

  memcpy (&v, p + 2 * i, 2);
  return GUINT16_FROM_LE (v);
}

static void
test_float16 (void)
{
  g_autofree char *path = out_path ("fp16.onnx");
  g_autoptr (OxpRuntime) rt = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GError) error = NULL;
  Onnx__ModelProto *model;
  Onnx__TensorProto *t;
  OxpTensor *x;
  guint16 *xd;

  write_float_type_model (OXP_DATA_TYPE_FLOAT16, "fp16");
  model = load_model (path);
  t = find_initializer (model->graph, "values");
  g_assert_cmpint (t->data_type, ==, OXP_DATA_TYPE_FLOAT16);
  /* Spot checks of the rounding (all values are compared by check-onnx.py). */
  g_assert_cmphex (read_u16 (t->raw_data.data, 2), ==, 0x3c00);  /* 1 */
  g_assert_cmphex (read_u16 (t->raw_data.data, 5), ==, 0x7bff);  /* 65519 → 65504 */
  g_assert_cmphex (read_u16 (t->raw_data.data, 6), ==, 0x7c00);  /* 65520 → inf */
  g_assert_cmphex (read_u16 (t->raw_data.data, 9), ==, 0x0001);  /* 2^-24 */
  g_assert_cmphex (read_u16 (t->raw_data.data, 10), ==, 0x0000); /* 2^-25 → 0 */
  g_assert_cmphex (read_u16 (t->raw_data.data, 11), ==, 0x0001); /* 1.5·2^-25 → 2^-24 */
  g_assert_cmphex (read_u16 (t->raw_data.data, 14), ==, 0x3c00); /* tie to even */
  g_assert_cmphex (read_u16 (t->raw_data.data, 15), ==, 0x3c02); /* tie to even, up */
  g_assert_cmphex (read_u16 (t->raw_data.data, 23) & 0x7c00, ==, 0x7c00);
  g_assert_cmphex (read_u16 (t->raw_data.data, 23) & 0x3ff, !=, 0); /* NaN stays NaN */
  t = find_initializer (model->graph, "values_1");
  g_assert_cmpint (t->data_type, ==, OXP_DATA_TYPE_FLOAT);
  t = find_initializer (model->graph, "/scale");
  g_assert_cmpint (t->data_type, ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpuint (t->n_dims, ==, 0);
  g_assert_cmphex (read_u16 (t->raw_data.data, 0), ==, 0x3800); /* 0.5 */
  onnx__model_proto__free_unpacked (model, NULL);

  rt = get_runtime ();
  if (rt == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  session = oxp_runtime_open_session (rt, path, &error);
  g_assert_no_error (error);
  x = oxp_tensor_new ("x", OXP_DATA_TYPE_FLOAT16, (const gint64[]){ 1, 3 }, 2);
  xd = oxp_tensor_get_mutable_data (x);
  xd[0] = 0x3c00; /* 1 */
  xd[1] = 0x4000; /* 2 */
  xd[2] = 0xbc00; /* -1 */
  g_ptr_array_add (inputs, x);
  outputs = oxp_runtime_session_run (session, inputs, &error);
  g_assert_no_error (error);
  /* 0.5 · (x · wᵀ): row 0 = 0.5 · (0.1 - 0.4 - 0.3) = -0.3 */
  g_assert_cmpfloat_with_epsilon (oxp_tensor_get_element_as_double (find_output (outputs, "y"), 0),
                                  -0.3, 2e-3);
}

static void
test_bfloat16 (void)
{
  g_autofree char *path = out_path ("bf16.onnx");
  Onnx__ModelProto *model;
  Onnx__TensorProto *t;

  write_float_type_model (OXP_DATA_TYPE_BFLOAT16, "bf16");
  model = load_model (path);
  t = find_initializer (model->graph, "values");
  g_assert_cmpint (t->data_type, ==, OXP_DATA_TYPE_BFLOAT16);
  g_assert_cmphex (read_u16 (t->raw_data.data, 2), ==, 0x3f80);  /* 1 */
  g_assert_cmphex (read_u16 (t->raw_data.data, 18), ==, 0x3f80); /* 1 + 2^-8: tie to even */
  g_assert_cmphex (read_u16 (t->raw_data.data, 19), ==, 0x3f82); /* 1 + 3·2^-8: tie up */
  g_assert_cmphex (read_u16 (t->raw_data.data, 21), ==, 0x7f80); /* inf */
  g_assert_cmphex (read_u16 (t->raw_data.data, 23) & 0x7f80, ==, 0x7f80);
  g_assert_cmphex (read_u16 (t->raw_data.data, 23) & 0x7f, !=, 0); /* NaN */
  t = find_initializer (model->graph, "w.T");
  g_assert_cmpint (t->dims[0], ==, 3);
  g_assert_cmphex (read_u16 (t->raw_data.data, 5), ==, 0x4780); /* 65519 → 65536 */
  onnx__model_proto__free_unpacked (model, NULL);
}

static void
test_contrib_domain (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = out_path ("contrib.onnx");
  g_autofree char *data_path = out_path ("contrib.onnx_data");
  g_autoptr (OxpGraph) g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpTensorSpec) x = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "batch_size,3");
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "batch_size,3");
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  g_autoptr (OxpRuntime) rt = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) outputs = NULL;
  Onnx__ModelProto *model;
  OxpTensor *xt;
  float *xd;

  oxp_graph_add_input (g, x);
  oxp_graph_add_output (g, y);
  bind (g, "y", oxp_graph_op (g, "Gelu", "x", NULL));
  oxp_node_set_domain (oxp_graph_get_last_node (g), "com.microsoft");
  /* Nothing to put out of line: no data file even when asked. */
  oxp_onnx_writer_set_external_data (writer, OXP_EXTERNAL_DATA_ALWAYS);
  g_assert_true (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (data_path, G_FILE_TEST_EXISTS));

  model = load_model (path);
  g_assert_cmpuint (model->n_opset_import, ==, 2);
  g_assert_cmpstr (model->opset_import[1]->domain, ==, "com.microsoft");
  g_assert_cmpint (model->opset_import[1]->version, ==, 1);
  g_assert_cmpstr (model->graph->node[0]->domain, ==, "com.microsoft");
  onnx__model_proto__free_unpacked (model, NULL);

  rt = get_runtime ();
  if (rt == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  session = oxp_runtime_open_session (rt, path, &error);
  g_assert_no_error (error);
  xt = oxp_tensor_new ("x", OXP_DATA_TYPE_FLOAT, (const gint64[]){ 1, 3 }, 2);
  xd = oxp_tensor_get_mutable_data (xt);
  xd[0] = -1;
  xd[1] = 0;
  xd[2] = 2;
  g_ptr_array_add (inputs, xt);
  outputs = oxp_runtime_session_run (session, inputs, &error);
  g_assert_no_error (error);
  /* GELU (x) = x · Φ (x) */
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat_with_epsilon (
        oxp_tensor_get_element_as_double (g_ptr_array_index (outputs, 0), i),
        xd[i] * 0.5 * (1 + erf (xd[i] / sqrt (2))), 1e-5);
}

/* A 2.1 GB tensor in a sparse file: the size check comes before any write. */
static void
test_too_big_inline (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-writer-XXXXXX");
  g_autofree char *st_path = g_build_filename (dir, "big.safetensors", NULL);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *path = g_build_filename (out, "model.onnx", NULL);
  const guint64 size = G_GUINT64_CONSTANT (2200000000);
  g_autofree char *header
      = g_strdup_printf ("{\"big\":{\"dtype\":\"U8\",\"shape\":[%" G_GUINT64_FORMAT
                         "],\"data_offsets\":[0,%" G_GUINT64_FORMAT "]}}",
                         size, size);
  guint64 header_len = GUINT64_TO_LE (strlen (header));
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autoptr (OxpGraph) g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_UINT8, "?");
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  FILE *f;

  f = fopen (st_path, "wb");
  g_assert_nonnull (f);
  g_assert_cmpint (fwrite (&header_len, 8, 1, f), ==, 1);
  g_assert_cmpint (fwrite (header, strlen (header), 1, f), ==, 1);
  g_assert_cmpint (fflush (f), ==, 0);
  g_assert_cmpint (ftruncate (fileno (f), 8 + strlen (header) + size), ==, 0);
  fclose (f);
  ckpt = oxp_checkpoint_open_safetensors (st_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir (out, 0755), ==, 0);

  oxp_graph_add_output (g, y);
  bind (g, "y", weight (g, ckpt, "big", OXP_WEIGHT_NONE));
  oxp_onnx_writer_set_external_data (writer, OXP_EXTERNAL_DATA_NEVER);
  g_assert_false (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "2 GiB"));
  g_assert_cmpuint (oxp_test_count_dir_entries (out), ==, 0);
  remove_tree (dir);
}

static void
test_invalid_graph (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-writer-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  g_autoptr (OxpGraph) g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();

  oxp_graph_op (g, "Relu", "missing", NULL);
  g_assert_false (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH);
  g_assert_cmpuint (oxp_test_count_dir_entries (dir), ==, 0);
  remove_tree (dir);
}

static void
test_missing_dir (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-writer-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "absent", "model.onnx", NULL);
  g_autoptr (OxpGraph) g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpTensorSpec) x = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "2");
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();

  oxp_graph_add_input (g, x);
  oxp_graph_op (g, "Relu", "x", NULL);
  g_assert_false (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_cmpuint (oxp_test_count_dir_entries (dir), ==, 0);
  remove_tree (dir);
}

/* Run by test-writer-nospace.sh under a small `ulimit -f` with SIGXFSZ
 * ignored, on a checkpoint it made before setting the limit: every write
 * must fail with NO_SPACE naming the file and leave nothing behind. */
static void
test_no_space (void)
{
  const char *dir = g_getenv ("OXP_TEST_NOSPACE_DIR");
  const char *ckpt_dir = g_getenv ("OXP_TEST_NOSPACE_CHECKPOINT");
  OxpExternalData modes[] = { OXP_EXTERNAL_DATA_NEVER, OXP_EXTERNAL_DATA_ALWAYS };
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autoptr (OxpGraph) g = NULL;
  g_autoptr (OxpTensorSpec) y = NULL;
  g_autoptr (GError) error = NULL;
  const char *first = NULL;

  if (dir == NULL || ckpt_dir == NULL)
    {
      g_test_skip ("run by test-writer-nospace.sh");
      return;
    }
  ckpt = oxp_checkpoint_open (ckpt_dir, &error);
  g_assert_no_error (error);
  g = oxp_graph_new ("main_graph", 17);
  for (guint i = 0; i < oxp_checkpoint_get_n_tensors (ckpt); i++)
    {
      const char *w
          = weight (g, ckpt, oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, i)),
                    OXP_WEIGHT_NONE);

      first = first ? first : w;
    }
  g_assert_nonnull (first);
  y = oxp_tensor_spec_new_rank ("y", OXP_DATA_TYPE_FLOAT, 2);
  oxp_graph_add_output (g, y);
  bind (g, "y", first);

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
      g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);

      oxp_onnx_writer_set_external_data (writer, modes[i]);
      g_assert_false (oxp_onnx_writer_write (writer, g, path, &error));
      g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_NO_SPACE);
      g_assert_nonnull (strstr (error->message, path));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
      g_assert_cmpuint (oxp_test_count_dir_entries (dir), ==, 0);
    }
}

/* The bytes of an initializer, inline or in @data (the data file). */
static const guint8 *
initializer_bytes (Onnx__GraphProto *graph, const char *name, const char *data, gsize data_len,
                   gsize *len)
{
  Onnx__TensorProto *t = find_initializer (graph, name);
  guint64 offset, length;

  g_assert_nonnull (t);
  if (t->has_raw_data)
    {
      *len = t->raw_data.len;
      return t->raw_data.data;
    }
  offset = g_ascii_strtoull (external_entry (t, "offset"), NULL, 10);
  length = g_ascii_strtoull (external_entry (t, "length"), NULL, 10);
  g_assert_cmpuint (offset + length, <=, data_len);
  *len = length;
  return (const guint8 *)data + offset;
}

static void
assert_is_transposition (const guint8 *t, gsize t_len, const guint8 *m, gsize m_len, gsize rows,
                         gsize cols, gsize elem, const char *what)
{
  g_assert_cmpuint (t_len, ==, rows * cols * elem);
  g_assert_cmpuint (m_len, ==, rows * cols * elem);
  for (gsize i = 0; i < rows; i++)
    for (gsize j = 0; j < cols; j++)
      if (memcmp (t + (j * rows + i) * elem, m + (i * cols + j) * elem, elem) != 0)
        g_error ("%s: element [%" G_GSIZE_FORMAT ", %" G_GSIZE_FORMAT "] of the transposition "
                 "differs from the naive one",
                 what, j, i);
}

/* Tensors big enough for the writer's worker threads (more than one
 * block of output), odd shapes, every source type: each transposed (and
 * converted) initializer holds exactly the naive transposition of the same
 * tensor written untransposed (converted by the plain path), and of the
 * checkpoint's bytes when the type is kept. */
static void
test_transposed_bytes (gconstpointer data)
{
  static const struct
  {
    const char *name, *dtype;
    gsize rows, cols, elem;
  } tensors[] = {
    { "f32", "F32", 1031, 1029, 4 },
    { "bf16", "BF16", 2053, 517, 2 },
    { "f16", "F16", 1027, 1031, 2 },
    { "small", "F32", 5, 3, 4 },
  };
  OxpDataType float_type = GPOINTER_TO_INT (data);
  g_autofree char *base = g_strdup_printf ("transposed-%s", oxp_data_type_to_string (float_type));
  g_autofree char *st_file = g_strdup_printf ("%s.safetensors", base);
  g_autofree char *onnx_file = g_strdup_printf ("%s.onnx", base);
  g_autofree char *st_path = out_path (st_file);
  g_autofree char *path = out_path (onnx_file);
  g_autofree char *data_path = g_strconcat (path, "_data", NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (float_type);
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autoptr (OxpGraph) g = oxp_graph_new ("main_graph", 17);
  g_autoptr (OxpTensorSpec) y = oxp_tensor_spec_new ("y", float_type, "5,3");
  g_autoptr (OxpOnnxWriter) writer = make_writer (OXP_EXTERNAL_DATA_ALWAYS);
  g_autoptr (GError) error = NULL;
  g_autofree char *file_data = NULL;
  const char *names[G_N_ELEMENTS (tensors)][3];
  Safetensors *st = st_new ();
  Onnx__ModelProto *model;
  gsize file_len;

  for (gsize i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      gsize size = tensors[i].rows * tensors[i].cols * tensors[i].elem;
      guint32 *words = g_new (guint32, size / 4 + 1);

      /* Raw bits: NaNs, infinities, subnormals and ties all occur. */
      for (gsize w = 0; w < size / 4 + 1; w++)
        words[w] = g_rand_int (rand);
      st_add (st, tensors[i].name, tensors[i].dtype,
              (const gint64[]){ tensors[i].rows, tensors[i].cols }, 2, words, size);
      g_ptr_array_add (sources, words);
    }
  ckpt = st_finish (st, st_path);

  oxp_graph_set_float_type (g, float_type);
  oxp_graph_add_output (g, y);
  for (gsize i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      names[i][0] = weight (g, ckpt, tensors[i].name, OXP_WEIGHT_NONE);
      names[i][1] = weight (g, ckpt, tensors[i].name, OXP_WEIGHT_TRANSPOSE);
      names[i][2] = weight (g, ckpt, tensors[i].name, OXP_WEIGHT_TRANSPOSE | OXP_WEIGHT_KEEP_DTYPE);
    }
  bind (g, "y", names[3][0]);
  g_assert_true (oxp_onnx_writer_write (writer, g, path, &error));
  g_assert_no_error (error);

  g_file_get_contents (data_path, &file_data, &file_len, &error);
  g_assert_no_error (error);
  model = load_model (path);
  for (gsize i = 0; i < G_N_ELEMENTS (tensors); i++)
    {
      gsize m_len, t_len, k_len;
      const guint8 *m = initializer_bytes (model->graph, names[i][0], file_data, file_len, &m_len);
      const guint8 *t = initializer_bytes (model->graph, names[i][1], file_data, file_len, &t_len);
      const guint8 *k = initializer_bytes (model->graph, names[i][2], file_data, file_len, &k_len);
      gsize elem = oxp_data_type_get_size (find_initializer (model->graph, names[i][0])->data_type);

      assert_is_transposition (t, t_len, m, m_len, tensors[i].rows, tensors[i].cols, elem,
                               names[i][1]);
      assert_is_transposition (k, k_len, sources->pdata[i],
                               tensors[i].rows * tensors[i].cols * tensors[i].elem, tensors[i].rows,
                               tensors[i].cols, tensors[i].elem, names[i][2]);
    }
  onnx__model_proto__free_unpacked (model, NULL);
  g_unlink (path);
  g_unlink (data_path);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (g_getenv ("OXP_WRITER_OUTDIR") != NULL)
    outdir = g_strdup (g_getenv ("OXP_WRITER_OUTDIR"));
  else
    outdir = g_dir_make_tmp ("oxp-test-writer-XXXXXX", NULL);
  g_assert_nonnull (outdir);

  g_test_add_func ("/oxp/writer/inline", test_inline);
  g_test_add_func ("/oxp/writer/external", test_external);
  g_test_add_func ("/oxp/writer/float16", test_float16);
  g_test_add_func ("/oxp/writer/bfloat16", test_bfloat16);
  g_test_add_func ("/oxp/writer/contrib-domain", test_contrib_domain);
  g_test_add_func ("/oxp/writer/too-big-inline", test_too_big_inline);
  g_test_add_func ("/oxp/writer/invalid-graph", test_invalid_graph);
  g_test_add_func ("/oxp/writer/missing-dir", test_missing_dir);
  g_test_add_func ("/oxp/writer/no-space", test_no_space);
  g_test_add_data_func ("/oxp/writer/transposed-bytes/float32",
                        GINT_TO_POINTER (OXP_DATA_TYPE_FLOAT), test_transposed_bytes);
  g_test_add_data_func ("/oxp/writer/transposed-bytes/float16",
                        GINT_TO_POINTER (OXP_DATA_TYPE_FLOAT16), test_transposed_bytes);
  g_test_add_data_func ("/oxp/writer/transposed-bytes/bfloat16",
                        GINT_TO_POINTER (OXP_DATA_TYPE_BFLOAT16), test_transposed_bytes);

  ret = g_test_run ();
  if (g_getenv ("OXP_WRITER_OUTDIR") == NULL)
    remove_tree (outdir);
  g_free (outdir);
  return ret;
}
