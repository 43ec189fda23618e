/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The encoder-decoder blocks (oxp-blocks-seq2seq.h) run in ONNX Runtime:
 * T5's relative position buckets far beyond the reference cases' lengths,
 * against bucket edges numpy computed with transformers' float32 formula;
 * the bias gathered from a table; the causal mask over a cache; the
 * cross-attention cache passed through; refused bucket counts. */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static OxpRuntime *runtime;
static char *workdir;

/* The distances at which the bucket magnitude grows by one (numpy:
 * max_exact + int64(log(float32(r) / max_exact) / log(max_distance /
 * max_exact) · (n − max_exact)), capped at n − 1). */
static const gint64 edges_16_128[] = { 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 23, 32, 46, 64, 91 };
static const gint64 edges_32_128[]
    = { 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
        19, 21, 24, 27, 31, 35, 40, 46, 52, 59, 67, 77, 87, 99, 113 };

static gint64
magnitude (const gint64 *edges, gsize n, gint64 r)
{
  gint64 m = 0;

  for (gsize i = 0; i < n; i++)
    m += r >= edges[i];
  return m;
}

/* T5's buckets for 32 buckets up to 128: the encoder's use 16 per side. */
static gint64
expected_bucket (gboolean bidirectional, gint64 relative)
{
  if (bidirectional)
    return (relative > 0 ? 16 : 0)
           + magnitude (edges_16_128, G_N_ELEMENTS (edges_16_128),
                        relative < 0 ? -relative : relative);
  return magnitude (edges_32_128, G_N_ELEMENTS (edges_32_128), relative < 0 ? -relative : 0);
}

static OxpTensor *
ids_tensor (gint64 q)
{
  gint64 shape[2] = { 1, q };
  OxpTensor *t = oxp_tensor_new ("ids", OXP_DATA_TYPE_INT64, shape, 2);

  memset (oxp_tensor_get_mutable_data (t), 0, (gsize)q * sizeof (gint64));
  return t;
}

static OxpTensor *
scalar_tensor (gint64 value)
{
  OxpTensor *t = oxp_tensor_new ("past_length", OXP_DATA_TYPE_INT64, NULL, 0);

  *(gint64 *)oxp_tensor_get_mutable_data (t) = value;
  return t;
}

/* Graph inputs "ids" [1, q] and, with @past >= 0, "past_length" (scalar). */
static void
add_inputs (OxpGraph *graph, GPtrArray *feeds, gint64 q, gint64 past)
{
  g_autoptr (OxpTensorSpec) ids = oxp_tensor_spec_new ("ids", OXP_DATA_TYPE_INT64, "1,q");

  oxp_graph_add_input (graph, ids);
  g_ptr_array_add (feeds, ids_tensor (q));
  if (past >= 0)
    {
      g_autoptr (OxpTensorSpec) spec
          = oxp_tensor_spec_new_rank ("past_length", OXP_DATA_TYPE_INT64, 0);

      oxp_graph_add_input (graph, spec);
      g_ptr_array_add (feeds, scalar_tensor (past));
    }
}

/* Binds @y to output "y" of @rank, writes the graph, runs it on @feeds. */
static OxpTensor *
run (OxpGraph *graph, const char *y, OxpDataType dtype, guint rank, GPtrArray *feeds,
     const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new_rank ("y", dtype, rank);
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autofree char *path = g_strdup_printf ("%s/%s.onnx", workdir, name);

  oxp_graph_add_output (graph, spec);
  oxp_graph_bind_output (graph, "y", y, &error);
  g_assert_no_error (error);
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_no_error (error);
  outputs = oxp_runtime_session_run (session, feeds, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outputs->len, ==, 1);
  return oxp_tensor_ref (g_ptr_array_index (outputs, 0));
}

typedef struct
{
  const char *path;
  gboolean bidirectional;
  gint64 q, past; /* past < 0: no past_length input */
} BucketCase;

static const BucketCase bucket_cases[] = {
  /* Every distance up to ±299: both sides, the exact and the log range, the cap. */
  { "/oxp/blocks-seq2seq/buckets/bidirectional", TRUE, 300, -1 },
  { "/oxp/blocks-seq2seq/buckets/causal", FALSE, 300, -1 },
  /* A with-past step: the queries sit at past + i. */
  { "/oxp/blocks-seq2seq/buckets/causal-with-past", FALSE, 3, 200 },
  { "/oxp/blocks-seq2seq/buckets/bidirectional-with-past", TRUE, 3, 200 },
};

static void
test_buckets (gconstpointer data)
{
  const BucketCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("buckets", 17);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpTensor) got = NULL;
  gint64 past = MAX (c->past, 0), kv = past + c->q;
  const char *y;

  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  add_inputs (graph, feeds, c->q, c->past);
  y = oxp_block_relative_position_buckets (graph, "ids", c->past >= 0 ? "past_length" : NULL,
                                           c->bidirectional, 32, 128, &error);
  g_assert_no_error (error);
  got = run (graph, y, OXP_DATA_TYPE_INT64, 2, feeds,
             c->path + 1 + strlen ("oxp/blocks-seq2seq/buckets/"));

  g_assert_cmpint (oxp_tensor_get_shape (got)[0], ==, c->q);
  g_assert_cmpint (oxp_tensor_get_shape (got)[1], ==, kv);
  for (gint64 i = 0; i < c->q; i++)
    for (gint64 j = 0; j < kv; j++)
      {
        gint64 have = (gint64)oxp_tensor_get_element_as_double (got, (gsize)(i * kv + j));
        gint64 want = expected_bucket (c->bidirectional, j - (past + i));

        if (have != want)
          g_error ("query %" G_GINT64_FORMAT ", key %" G_GINT64_FORMAT ": bucket %" G_GINT64_FORMAT
                   ", expected %" G_GINT64_FORMAT,
                   i, j, have, want);
      }
}

/* A one-tensor safetensors file: "bias.weight" F32 [32, 2], row b = (10 b, 10 b + 1). */
static OxpCheckpoint *
bias_checkpoint (void)
{
  const char *header
      = "{\"bias.weight\":{\"dtype\":\"F32\",\"shape\":[32,2],\"data_offsets\":[0,256]}}";
  gsize header_len = (strlen (header) + 7) / 8 * 8;
  g_autofree guint8 *file = g_malloc0 (8 + header_len + 256);
  g_autofree char *path = g_build_filename (workdir, "bias.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  float *w = (float *)(file + 8 + header_len);
  guint64 n = header_len;
  OxpCheckpoint *ck;

  memcpy (file, &n, 8); /* little-endian, as the test machines are */
  memset (file + 8, ' ', header_len);
  memcpy (file + 8, header, strlen (header));
  for (int b = 0; b < 32; b++)
    {
      w[2 * b] = (float)(10 * b);
      w[2 * b + 1] = (float)(10 * b + 1);
    }
  g_file_set_contents (path, (const char *)file, (gssize)(8 + header_len + 256), &error);
  g_assert_no_error (error);
  ck = oxp_checkpoint_open_safetensors (path, &error);
  g_assert_no_error (error);
  return ck;
}

static void
test_bias (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("bias", 17);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpCheckpoint) ck = NULL;
  g_autoptr (OxpTensor) got = NULL;
  const gint64 q = 2, past = 5, kv = 7;
  const char *y;

  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  ck = bias_checkpoint ();
  add_inputs (graph, feeds, q, past);
  y = oxp_block_relative_position_bias (graph, ck, "bias.weight", "ids", "past_length", 2, FALSE,
                                        32, 128, &error);
  g_assert_no_error (error);
  got = run (graph, y, OXP_DATA_TYPE_FLOAT, 4, feeds, "bias");

  /* [1, heads, q, kv], head h of bucket b = 10 b + h. */
  g_assert_cmpint (oxp_tensor_get_shape (got)[0], ==, 1);
  g_assert_cmpint (oxp_tensor_get_shape (got)[1], ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (got)[2], ==, q);
  g_assert_cmpint (oxp_tensor_get_shape (got)[3], ==, kv);
  for (gint64 h = 0; h < 2; h++)
    for (gint64 i = 0; i < q; i++)
      for (gint64 j = 0; j < kv; j++)
        g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, (gsize)((h * q + i) * kv + j)),
                           ==, 10.0 * (double)expected_bucket (FALSE, j - (past + i)) + (double)h);

  /* The table's shape is checked against the head count. */
  {
    g_autoptr (OxpGraph) g2 = oxp_graph_new ("bias", 17);
    g_autoptr (GError) e2 = NULL;
    g_autoptr (GPtrArray) f2 = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);

    add_inputs (g2, f2, q, past);
    g_assert_null (oxp_block_relative_position_bias (g2, ck, "bias.weight", "ids", "past_length", 4,
                                                     FALSE, 32, 128, &e2));
    g_assert_nonnull (e2);
    g_assert_nonnull (strstr (e2->message, "bias.weight"));
  }
}

static void
test_causal_mask (void)
{
  g_autoptr (OxpGraph) graph = oxp_graph_new ("mask", 17);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpTensor) got = NULL;
  const gint64 q = 2, past = 3, kv = 5;

  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  add_inputs (graph, feeds, q, past);
  got = run (graph, oxp_block_causal_mask_with_past (graph, "ids", "past_length"),
             OXP_DATA_TYPE_FLOAT, 4, feeds, "mask");
  g_assert_cmpint (oxp_tensor_get_shape (got)[2], ==, q);
  g_assert_cmpint (oxp_tensor_get_shape (got)[3], ==, kv);
  for (gint64 i = 0; i < q; i++)
    for (gint64 j = 0; j < kv; j++)
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, (gsize)(i * kv + j)), ==,
                         j <= past + i ? 0.0 : -3.4028234663852886e38);
}

/* With a cached encoder past the projections are not built at all. */
static void
test_cross_attention_cached (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("cross", 17);
  const char *k = NULL, *v = NULL;
  guint before = oxp_graph_get_n_nodes (graph);

  g_assert_true (oxp_block_cross_attention_kv (graph, NULL, NULL, "past.key", "past.value",
                                               "cross.k", "cross.v", 32, 4, 8, OXP_LINEAR_NO_BIAS,
                                               &k, &v, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (k, ==, "past.key");
  g_assert_cmpstr (v, ==, "past.value");
  g_assert_cmpuint (oxp_graph_get_n_nodes (graph), ==, before);
  g_assert_cmpuint (oxp_graph_get_n_parameters (graph), ==, 0);
}

/* Deterministic values in (-1, 1) for tensor @name of @shape. */
static OxpTensor *
float_tensor (const char *name, const gint64 *shape, guint rank, guint seed)
{
  OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_FLOAT, shape, rank);
  float *data = oxp_tensor_get_mutable_data (t);
  gsize n = 1;

  for (guint i = 0; i < rank; i++)
    n *= (gsize)shape[i];
  for (gsize i = 0; i < n; i++)
    data[i] = (float)sin (0.37 * (double)(i + 1) * (double)(seed + 1));
  return t;
}

enum
{
  SA_BATCH = 2,
  SA_HEADS = 2,
  SA_HEAD_DIM = 4,
  SA_Q = 3,
  SA_PAST = 5
};

/* oxp_block_self_attention_merged() at optimize @level over a cache of
 * SA_PAST (0: none) with a [1, heads, q, past + q] bias: its output and
 * presents, run in ONNX Runtime; *n_nodes the block's node count. */
static GPtrArray *
run_self_attention (guint level, gint64 past, guint *n_nodes)
{
  static const char *const names[] = { "y", "present_key", "present_value" };
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("self_attention", 17);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autofree char *path
      = g_strdup_printf ("%s/self-attention-O%u-%" G_GINT64_FORMAT ".onnx", workdir, level, past);
  const gint64 proj[] = { SA_BATCH, SA_Q, SA_HEADS * SA_HEAD_DIM };
  const gint64 cache[] = { SA_BATCH, SA_HEADS, past, SA_HEAD_DIM };
  const gint64 bias[] = { 1, SA_HEADS, SA_Q, past + SA_Q };
  const char *q, *k, *v, *pk = NULL, *pv = NULL, *y;
  guint before;

  oxp_graph_set_optimize_level (graph, level);
  for (guint i = 0; i < 3; i++)
    {
      const char *name = (const char *[]){ "q", "k", "v" }[i];
      g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new_rank (name, OXP_DATA_TYPE_FLOAT, 3);

      oxp_graph_add_input (graph, spec);
      g_ptr_array_add (feeds, float_tensor (name, proj, 3, i));
    }
  if (past > 0)
    for (guint i = 0; i < 2; i++)
      {
        const char *name = i == 0 ? "past_key" : "past_value";
        g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new_rank (name, OXP_DATA_TYPE_FLOAT, 4);

        oxp_graph_add_input (graph, spec);
        g_ptr_array_add (feeds, float_tensor (name, cache, 4, 3 + i));
      }
  {
    g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new_rank ("bias", OXP_DATA_TYPE_FLOAT, 4);

    oxp_graph_add_input (graph, spec);
    g_ptr_array_add (feeds, float_tensor ("bias", bias, 4, 5));
  }

  before = oxp_graph_get_n_nodes (graph);
  q = oxp_block_attention_heads (graph, "q", SA_HEADS, SA_HEAD_DIM);
  k = oxp_block_attention_heads (graph, "k", SA_HEADS, SA_HEAD_DIM);
  v = oxp_block_attention_heads (graph, "v", SA_HEADS, SA_HEAD_DIM);
  y = oxp_block_self_attention_merged (graph, q, k, v, past > 0 ? "past_key" : NULL,
                                       past > 0 ? "past_value" : NULL, "bias", 0.5, SA_HEADS,
                                       SA_HEAD_DIM, &pk, &pv);
  g_assert_nonnull (y);
  *n_nodes = oxp_graph_get_n_nodes (graph) - before;
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (OxpTensorSpec) spec
          = oxp_tensor_spec_new_rank (names[i], OXP_DATA_TYPE_FLOAT, i == 0 ? 3 : 4);

      oxp_graph_add_output (graph, spec);
      oxp_graph_bind_output (graph, names[i], (const char *[]){ y, pk, pv }[i], &error);
      g_assert_no_error (error);
    }
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_no_error (error);
  {
    GPtrArray *outputs = oxp_runtime_session_run (session, feeds, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (outputs->len, ==, 3);
    return outputs;
  }
}

/* The decoder self-attention over a cache: at optimize level 2 one
 * MultiHeadAttention node takes the past itself (no Concat, no split of
 * heads) and gives the same output and presents as the plain form. */
static void
test_self_attention_past (gconstpointer data)
{
  gint64 past = GPOINTER_TO_INT (data);
  g_autoptr (GPtrArray) plain = NULL;
  g_autoptr (GPtrArray) fused = NULL;
  guint plain_nodes, fused_nodes;

  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set");
      return;
    }
  plain = run_self_attention (0, past, &plain_nodes);
  fused = run_self_attention (2, past, &fused_nodes);
  g_assert_cmpuint (fused_nodes, ==, 1);
  g_assert_cmpuint (plain_nodes, >, 1);
  for (guint o = 0; o < 3; o++)
    {
      OxpTensor *a = g_ptr_array_index (plain, o), *b = g_ptr_array_index (fused, o);
      gsize n = oxp_tensor_get_n_elements (a);

      g_assert_cmpuint (oxp_tensor_get_rank (a), ==, oxp_tensor_get_rank (b));
      for (guint d = 0; d < oxp_tensor_get_rank (a); d++)
        g_assert_cmpint (oxp_tensor_get_shape (a)[d], ==, oxp_tensor_get_shape (b)[d]);
      /* The presents hold past + q positions. */
      if (o > 0)
        g_assert_cmpint (oxp_tensor_get_shape (a)[2], ==, past + SA_Q);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpfloat_with_epsilon (oxp_tensor_get_element_as_double (a, i),
                                        oxp_tensor_get_element_as_double (b, i), 1e-5);
    }
}

static void
test_refused_buckets (void)
{
  static const struct
  {
    gboolean bidirectional;
    gint64 buckets, distance;
  } bad[] = {
    { TRUE, 0, 128 }, { TRUE, 3, 128 }, { FALSE, 1, 128 }, { FALSE, 32, 0 }, { TRUE, -32, 128 }
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (OxpGraph) graph = oxp_graph_new ("refused", 17);
      g_autoptr (GError) error = NULL;
      g_autoptr (OxpTensorSpec) ids = oxp_tensor_spec_new ("ids", OXP_DATA_TYPE_INT64, "1,q");

      oxp_graph_add_input (graph, ids);
      g_assert_null (oxp_block_relative_position_buckets (graph, "ids", NULL, bad[i].bidirectional,
                                                          bad[i].buckets, bad[i].distance, &error));
      g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
    }
}

static void
remove_workdir (void)
{
  g_autoptr (GDir) dir = g_dir_open (workdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (workdir, name, NULL);
      g_remove (path);
    }
  g_rmdir (workdir);
  g_clear_pointer (&workdir, g_free);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  workdir = oxp_test_make_tmpdir ("oxp-blocks-seq2seq-XXXXXX");
  if (g_getenv ("OXPORT_ONNXRUNTIME") != NULL && *g_getenv ("OXPORT_ONNXRUNTIME") != '\0')
    {
      runtime = oxp_runtime_new (NULL, FALSE, &error);
      g_assert_no_error (error);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bucket_cases); i++)
    g_test_add_data_func (bucket_cases[i].path, &bucket_cases[i], test_buckets);
  g_test_add_func ("/oxp/blocks-seq2seq/bias", test_bias);
  g_test_add_func ("/oxp/blocks-seq2seq/causal-mask-with-past", test_causal_mask);
  g_test_add_func ("/oxp/blocks-seq2seq/cross-attention/cached", test_cross_attention_cached);
  g_test_add_data_func ("/oxp/blocks-seq2seq/self-attention/past", GINT_TO_POINTER (SA_PAST),
                        test_self_attention_past);
  g_test_add_data_func ("/oxp/blocks-seq2seq/self-attention/no-past", GINT_TO_POINTER (0),
                        test_self_attention_past);
  g_test_add_func ("/oxp/blocks-seq2seq/errors/buckets", test_refused_buckets);

  ret = g_test_run ();

  g_clear_object (&runtime);
  remove_workdir ();
  return ret;
}
