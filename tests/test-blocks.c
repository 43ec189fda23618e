/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numeric tests of the building blocks: each block is built into a tiny
 * graph, written with OxpOnnxWriter, run in ONNX Runtime and compared with
 * values computed independently (numpy in tests/gen-block-refs.py, or the
 * closed forms below). */

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static OxpCheckpoint *refs;
static OxpRuntime *runtime;
static char *workdir;

#define F32_MIN (-3.4028234663852886e38)

typedef const char *(*BuildFunc) (OxpGraph *g, OxpCheckpoint *ck, const char *const *in,
                                  GError **error);
typedef OxpTensor *(*ExpectFunc) (void);

typedef struct
{
  const char *path;
  const char *inputs[7]; /* reference tensors fed as graph inputs */
  const char *expected;  /* reference tensor … */
  ExpectFunc expect;     /* … or a closed form */
  BuildFunc build;
  guint opset;
  OxpDataType float_type;
  double atol;
} BlockCase;

/* ---- fp16 inputs ------------------------------------------------------- */

static guint16
half_from_float (float f)
{
  union
  {
    float f;
    guint32 u;
  } v = { f };
  guint32 sign = (v.u >> 16) & 0x8000, mant;
  gint32 exp;

  if ((v.u & 0x7f800000) == 0x7f800000)
    return sign | 0x7c00 | ((v.u & 0x7fffff) ? 0x200 : 0);
  exp = (gint32)((v.u >> 23) & 0xff) - 127 + 15;
  mant = v.u & 0x7fffff;
  if (exp >= 31)
    return sign | 0x7c00;
  if (exp <= 0)
    {
      guint32 shift;
      if (exp < -10)
        return sign;
      mant |= 0x800000;
      shift = (guint32)(14 - exp);
      {
        guint32 h = mant >> shift, rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (h & 1)))
          h++;
        return sign | h;
      }
    }
  {
    guint32 h = ((guint32)exp << 10) | (mant >> 13), rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
      h++;
    return sign | h;
  }
}

static OxpTensor *
to_float16 (OxpTensor *t)
{
  OxpTensor *h = oxp_tensor_new (oxp_tensor_get_name (t), OXP_DATA_TYPE_FLOAT16,
                                 oxp_tensor_get_shape (t), oxp_tensor_get_rank (t));
  guint16 *dst = oxp_tensor_get_mutable_data (h);
  const float *src = oxp_tensor_get_data (t);

  for (gsize i = 0; i < oxp_tensor_get_n_elements (t); i++)
    dst[i] = half_from_float (src[i]);
  return h;
}

/* ---- running one case -------------------------------------------------- */

static OxpTensor *
ref_tensor (const char *name)
{
  g_autoptr (GError) error = NULL;
  const OxpCheckpointTensor *t = oxp_checkpoint_get_tensor (refs, name, &error);

  g_assert_no_error (error);
  return oxp_checkpoint_tensor_to_tensor (t);
}

static OxpTensorSpec *
dynamic_spec (OxpTensor *t, guint index)
{
  g_autoptr (GString) dims = g_string_new (NULL);

  for (guint a = 0; a < oxp_tensor_get_rank (t); a++)
    g_string_append_printf (dims, "%sin%u_dim%u", a ? "," : "", index, a);
  return oxp_tensor_spec_new (oxp_tensor_get_name (t), oxp_tensor_get_dtype (t), dims->str);
}

static void
test_block (gconstpointer data)
{
  const BlockCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("block", c->opset);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpTensor) expected = NULL;
  g_autoptr (OxpOnnxWriter) writer = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (OxpTensorSpec) out_spec = NULL;
  g_autofree char *file = NULL, *path = NULL;
  const char *in[7] = { NULL };
  const char *y;
  OxpTensor *got;
  OxpDataType out_type;
  double max_diff = 0;

  oxp_graph_set_float_type (graph, c->float_type);
  for (guint i = 0; i < G_N_ELEMENTS (c->inputs) && c->inputs[i]; i++)
    {
      g_autoptr (OxpTensor) t = ref_tensor (c->inputs[i]);
      g_autoptr (OxpTensorSpec) spec = NULL;

      if (c->float_type == OXP_DATA_TYPE_FLOAT16 && oxp_tensor_get_dtype (t) == OXP_DATA_TYPE_FLOAT)
        {
          OxpTensor *h = to_float16 (t);
          oxp_tensor_unref (t);
          t = h;
        }
      spec = dynamic_spec (t, i);
      in[i] = oxp_graph_add_input (graph, spec);
      g_ptr_array_add (feeds, g_steal_pointer (&t));
    }

  y = c->build (graph, refs, in, &error);
  g_assert_no_error (error);
  g_assert_nonnull (y);

  expected = c->expect ? c->expect () : ref_tensor (c->expected);
  out_type = oxp_tensor_get_dtype (expected) == OXP_DATA_TYPE_FLOAT
                 ? c->float_type
                 : oxp_tensor_get_dtype (expected);
  out_spec = oxp_tensor_spec_new_rank ("y", out_type, oxp_tensor_get_rank (expected));
  oxp_graph_add_output (graph, out_spec);
  oxp_graph_bind_output (graph, "y", y, &error);
  g_assert_no_error (error);

  file = g_strdelimit (g_strdup_printf ("%s.onnx", c->path + 1), "/", '_');
  path = g_build_filename (workdir, file, NULL);
  writer = oxp_onnx_writer_new ();
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);

  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to run the block with");
      return;
    }
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_no_error (error);
  outputs = oxp_runtime_session_run (session, feeds, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outputs->len, ==, 1);
  got = g_ptr_array_index (outputs, 0);

  g_assert_cmpint (oxp_tensor_get_dtype (got), ==, out_type);
  g_assert_cmpuint (oxp_tensor_get_rank (got), ==, oxp_tensor_get_rank (expected));
  for (guint a = 0; a < oxp_tensor_get_rank (got); a++)
    g_assert_cmpint (oxp_tensor_get_shape (got)[a], ==, oxp_tensor_get_shape (expected)[a]);
  for (gsize i = 0; i < oxp_tensor_get_n_elements (got); i++)
    {
      double a = oxp_tensor_get_element_as_double (got, i);
      double b = oxp_tensor_get_element_as_double (expected, i);
      double d = (a == b) ? 0.0 : fabs (a - b);

      g_assert_false (isnan (a));
      if (d > max_diff)
        max_diff = d;
    }
  g_test_message ("%s (opset %u, %s): max abs diff %.3g, tolerance %.1g", c->path, c->opset,
                  oxp_data_type_to_string (c->float_type), max_diff, c->atol);
  g_assert_cmpfloat (max_diff, <=, c->atol);
}

/* ---- builders ------------------------------------------------------------ */

static const char *
build_linear (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_linear (g, ck, in[0], "linear", 5, 4, OXP_LINEAR_DEFAULT, error);
}

static const char *
build_linear_shared (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_linear (g, ck, in[0], "linear", 5, 4, OXP_LINEAR_SHARED_WEIGHT, error);
}

static const char *
build_linear_no_bias (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_linear (g, ck, in[0], "linear", 5, 4, OXP_LINEAR_NO_BIAS, error);
}

static const char *
build_linear_optional_bias (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  /* "norm.x" has no ".bias" sibling, "linear" has one: both forms. */
  const char *y = oxp_block_linear_from (g, ck, in[0], "linear.weight", "linear.no_such_bias", 5, 4,
                                         OXP_LINEAR_OPTIONAL_BIAS, error);
  if (y == NULL)
    return NULL;
  return oxp_graph_op (g, "Add", y, oxp_graph_add_weight (g, ck, "linear.bias", 0, error), NULL);
}

static const char *
build_conv1d (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_linear (g, ck, in[0], "conv1d", 5, 4, OXP_LINEAR_WEIGHT_IN_OUT, error);
}

static const char *
build_layer_norm (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_layer_norm (g, ck, in[0], "norm", 8, 1e-5, error);
}

static const char *
build_layer_norm_no_bias (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_layer_norm_from (g, ck, in[0], "norm.weight", NULL, 8, 1e-12, error);
}

static const char *
build_rms_norm (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_rms_norm (g, ck, in[0], "norm", 8, 1e-6, error);
}

static const char *
build_rms_norm_unit_offset (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_rms_norm_unit_offset (g, ck, in[0], "norm", 8, 1e-6, error);
}

#define ACT_BUILDER(fn, name)                                                                      \
  static const char *build_act_##fn (OxpGraph *g, OxpCheckpoint *ck, const char *const *in,        \
                                     GError **error)                                               \
  {                                                                                                \
    return oxp_block_activation (g, in[0], name, "hidden_act", error);                             \
  }
ACT_BUILDER (gelu, "gelu")
ACT_BUILDER (gelu_new, "gelu_new")
ACT_BUILDER (gelu_pytorch_tanh, "gelu_pytorch_tanh")
ACT_BUILDER (quick_gelu, "quick_gelu")
ACT_BUILDER (silu, "silu")
ACT_BUILDER (swish, "swish")
ACT_BUILDER (relu, "relu")
ACT_BUILDER (tanh, "tanh")
ACT_BUILDER (sigmoid, "sigmoid")
ACT_BUILDER (linear, "linear")

static const char *
build_swiglu (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_swiglu (g, in[0], in[1]);
}

static const char *
build_embedding (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_embedding (g, ck, in[0], "emb.weight", 10, 6, error);
}

static const char *
build_position_ids (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_position_ids (g, in[0], NULL);
}

static const char *
build_position_ids_past (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_position_ids (g, in[0], oxp_graph_add_constant_int64 (g, "past", 3));
}

static const char *
build_padded_position_ids (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_padded_position_ids (g, in[0], 1, NULL);
}

static const char *
build_padded_position_ids_past (OxpGraph *g, OxpCheckpoint *ck, const char *const *in,
                                GError **error)
{
  return oxp_block_padded_position_ids (g, in[0], 1, oxp_graph_add_constant_int64 (g, "past", 3));
}

static const char *
build_select_token (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_select_token (g, in[0], 0);
}

static const char *
build_attention_mask (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_attention_mask (g, in[0]);
}

static const char *
build_causal_mask (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_causal_attention_mask (g, in[1], in[0]);
}

static const char *
build_causal_mask_no_padding (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_causal_attention_mask (g, NULL, in[0]);
}

static const char *
build_split_heads (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_split_heads (g, in[0], 3, 5);
}

static const char *
build_merge_heads (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_merge_heads (g, oxp_block_split_heads (g, in[0], 3, 5), 3, 5);
}

static const char *
build_attention (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_attention (g, in[0], in[1], in[2], oxp_block_attention_mask (g, in[3]),
                              1.0 / sqrt (5.0));
}

static const char *
build_attention_unscaled (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_attention (g, in[0], in[1], in[2], NULL, 1.0);
}

static const char *
build_concat_past (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_concat_past (g, in[0], in[1]);
}

static const char *
build_repeat_kv (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_repeat_kv (g, in[0], 2, 3, 5);
}

static const char *
build_rotary (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  const char *c, *s;

  oxp_block_rotary_cos_sin (g, in[1], 8, 10000.0, &c, &s);
  return oxp_block_rotary (g, in[0], c, s, 8, 8);
}

static const char *
build_rotary_partial (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  const char *c, *s;

  oxp_block_rotary_cos_sin (g, in[1], 4, 10000.0, &c, &s);
  return oxp_block_rotary (g, in[0], c, s, 4, 8);
}

static const char *
rotary_scaled (OxpGraph *g, const char *x, const char *positions, const OxpRopeScaling *scaling,
               GError **error)
{
  const char *c, *s;

  if (!oxp_block_rotary_cos_sin_scaled (g, positions, 8, 10000.0, scaling, &c, &s, error))
    return NULL;
  return oxp_block_rotary (g, x, c, s, 8, 8);
}

static const char *
build_rope_linear (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  OxpRopeScaling scaling = { .type = OXP_ROPE_LINEAR, .factor = 2.0 };

  return rotary_scaled (g, in[0], in[1], &scaling, error);
}

static const char *
build_rope_llama3 (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  OxpRopeScaling scaling = { .type = OXP_ROPE_LLAMA3,
                             .factor = 8.0,
                             .low_freq_factor = 1.0,
                             .high_freq_factor = 4.0,
                             .original_max_positions = 64 };

  return rotary_scaled (g, in[0], in[1], &scaling, error);
}

static const double short_factor[] = { 1.0, 1.25, 1.5, 2.0 };
static const double long_factor[] = { 1.0, 2.0, 4.0, 8.0 };

static const char *
build_rope_longrope (OxpGraph *g, const char *const *in, gint64 original, GError **error)
{
  OxpRopeScaling scaling = { .type = OXP_ROPE_LONGROPE,
                             .factor = 4.0,
                             .original_max_positions = original,
                             .short_factor = short_factor,
                             .long_factor = long_factor };

  return rotary_scaled (g, in[0], in[1], &scaling, error);
}

/* rope.positions reach 8: a length of 9, beyond 8 and within 16. */
static const char *
build_rope_longrope_long (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return build_rope_longrope (g, in, 8, error);
}

static const char *
build_rope_longrope_short (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return build_rope_longrope (g, in, 16, error);
}

static const char *
build_rope_dynamic_for (OxpGraph *g, const char *const *in, gint64 max_positions, GError **error)
{
  OxpRopeScaling scaling
      = { .type = OXP_ROPE_DYNAMIC, .factor = 2.0, .max_positions = max_positions };

  return rotary_scaled (g, in[0], in[1], &scaling, error);
}

static const char *
build_rope_dynamic (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return build_rope_dynamic_for (g, in, 4, error);
}

static const char *
build_rope_dynamic_within (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return build_rope_dynamic_for (g, in, 16, error);
}

static const char *
build_sliding_window_mask (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return oxp_block_sliding_window_mask (g, in[1], in[0], 3);
}

/* in: q, k, v, past_key, past_value, mask, positions (two builders each
 * return one of the three results). */
static const char *
cached_attention (OxpGraph *g, const char *const *in, int which)
{
  const char *c, *s, *y, *pk, *pv;

  oxp_block_rotary_cos_sin (g, in[6], 8, 10000.0, &c, &s);
  y = oxp_block_cached_self_attention (g, in[0], in[1], in[2], in[3], in[4], c, s, 8, 4, 2, 8,
                                       1.0 / sqrt (8.0),
                                       oxp_block_causal_attention_mask (g, in[5], in[0]), &pk, &pv);
  return which == 0 ? y : which == 1 ? pk : pv;
}

static const char *
build_cached_attention (OxpGraph *g, OxpCheckpoint *ck, const char *const *in, GError **error)
{
  return cached_attention (g, in, 0);
}

static const char *
build_cached_attention_present_key (OxpGraph *g, OxpCheckpoint *ck, const char *const *in,
                                    GError **error)
{
  return cached_attention (g, in, 1);
}

static const char *
build_cached_attention_present_value (OxpGraph *g, OxpCheckpoint *ck, const char *const *in,
                                      GError **error)
{
  return cached_attention (g, in, 2);
}

/* ---- closed forms -------------------------------------------------------- */

static OxpTensor *
expect_position_ids_for (gint64 past)
{
  const gint64 shape[] = { 1, 5 };
  OxpTensor *t = oxp_tensor_new ("y", OXP_DATA_TYPE_INT64, shape, 2);
  gint64 *d = oxp_tensor_get_mutable_data (t);

  for (gint64 i = 0; i < 5; i++)
    d[i] = past + i;
  return t;
}

static OxpTensor *
expect_position_ids (void)
{
  return expect_position_ids_for (0);
}

static OxpTensor *
expect_position_ids_past (void)
{
  return expect_position_ids_for (3);
}

/* attn.mask is [2, 6] with the last two keys of row 1 masked. */
static gboolean
key_masked (gint64 b, gint64 j)
{
  return b == 1 && j >= 4;
}

static OxpTensor *
expect_attention_mask (void)
{
  const gint64 shape[] = { 2, 1, 1, 6 };
  OxpTensor *t = oxp_tensor_new ("y", OXP_DATA_TYPE_FLOAT, shape, 4);
  float *d = oxp_tensor_get_mutable_data (t);

  for (gint64 b = 0; b < 2; b++)
    for (gint64 j = 0; j < 6; j++)
      d[b * 6 + j] = key_masked (b, j) ? (float)F32_MIN : 0.0f;
  return t;
}

/* emb.ids gives 5 queries over attn.mask's 6 keys: one past position. */
static OxpTensor *
expect_causal_mask (void)
{
  const gint64 shape[] = { 2, 1, 5, 6 };
  OxpTensor *t = oxp_tensor_new ("y", OXP_DATA_TYPE_FLOAT, shape, 4);
  float *d = oxp_tensor_get_mutable_data (t);

  for (gint64 b = 0; b < 2; b++)
    for (gint64 i = 0; i < 5; i++)
      for (gint64 j = 0; j < 6; j++)
        d[(b * 5 + i) * 6 + j] = (j > i + 1 || key_masked (b, j)) ? (float)F32_MIN : 0.0f;
  return t;
}

/* The same within a window of 3: query i (at position i + 1) sees keys i - 1..i + 1. */
static OxpTensor *
expect_sliding_window_mask (void)
{
  const gint64 shape[] = { 2, 1, 5, 6 };
  OxpTensor *t = oxp_tensor_new ("y", OXP_DATA_TYPE_FLOAT, shape, 4);
  float *d = oxp_tensor_get_mutable_data (t);

  for (gint64 b = 0; b < 2; b++)
    for (gint64 i = 0; i < 5; i++)
      for (gint64 j = 0; j < 6; j++)
        d[(b * 5 + i) * 6 + j]
            = (j > i + 1 || j <= i + 1 - 3 || key_masked (b, j)) ? (float)F32_MIN : 0.0f;
  return t;
}

static OxpTensor *
expect_causal_mask_no_padding (void)
{
  const gint64 shape[] = { 1, 1, 5, 5 };
  OxpTensor *t = oxp_tensor_new ("y", OXP_DATA_TYPE_FLOAT, shape, 4);
  float *d = oxp_tensor_get_mutable_data (t);

  for (gint64 i = 0; i < 5; i++)
    for (gint64 j = 0; j < 5; j++)
      d[i * 5 + j] = j > i ? (float)F32_MIN : 0.0f;
  return t;
}

static OxpTensor *
expect_select_token (void)
{
  g_autoptr (OxpTensor) x = ref_tensor ("heads.x");
  const gint64 *xs = oxp_tensor_get_shape (x);
  const gint64 shape[] = { xs[0], xs[2] };
  OxpTensor *t = oxp_tensor_new ("y", OXP_DATA_TYPE_FLOAT, shape, 2);
  float *d = oxp_tensor_get_mutable_data (t);
  const float *s = oxp_tensor_get_data (x);

  for (gint64 b = 0; b < xs[0]; b++)
    memcpy (d + b * xs[2], s + b * xs[1] * xs[2], xs[2] * sizeof (float));
  return t;
}

/* ---- the table ----------------------------------------------------------- */

#define F32 OXP_DATA_TYPE_FLOAT
#define F16 OXP_DATA_TYPE_FLOAT16

/* One row per case; kept one line each (clang-format would spread them out). */
/* clang-format off */
static const BlockCase cases[] = {
  { "/oxp/blocks/linear", { "linear.x" }, "linear.y", NULL, build_linear, 17, F32, 1e-5 },
  { "/oxp/blocks/linear/shared-weight", { "linear.x" }, "linear.y", NULL, build_linear_shared, 17, F32, 1e-5 },
  { "/oxp/blocks/linear/no-bias", { "linear.x" }, "linear.y_no_bias", NULL, build_linear_no_bias, 17, F32, 1e-5 },
  { "/oxp/blocks/linear/optional-bias", { "linear.x" }, "linear.y", NULL, build_linear_optional_bias, 17, F32, 1e-5 },
  { "/oxp/blocks/linear/conv1d", { "linear.x" }, "linear.y", NULL, build_conv1d, 17, F32, 1e-5 },
  { "/oxp/blocks/linear/fp16", { "linear.x" }, "linear.y", NULL, build_linear, 17, F16, 1e-2 },
  { "/oxp/blocks/layer-norm/opset17", { "norm.x" }, "norm.layer_norm", NULL, build_layer_norm, 17, F32, 1e-5 },
  { "/oxp/blocks/layer-norm/opset14", { "norm.x" }, "norm.layer_norm", NULL, build_layer_norm, 14, F32, 1e-5 },
  { "/oxp/blocks/layer-norm/opset18", { "norm.x" }, "norm.layer_norm", NULL, build_layer_norm, 18, F32, 1e-5 },
  { "/oxp/blocks/layer-norm/no-bias", { "norm.x" }, "norm.layer_norm_no_bias", NULL, build_layer_norm_no_bias, 14, F32, 1e-5 },
  { "/oxp/blocks/layer-norm/opset17-fp16", { "norm.x" }, "norm.layer_norm", NULL, build_layer_norm, 17, F16, 1e-2 },
  { "/oxp/blocks/layer-norm/opset14-fp16", { "norm.x" }, "norm.layer_norm", NULL, build_layer_norm, 14, F16, 1e-2 },
  { "/oxp/blocks/rms-norm/opset14", { "norm.x" }, "norm.rms_norm", NULL, build_rms_norm, 14, F32, 1e-5 },
  { "/oxp/blocks/rms-norm/opset18", { "norm.x" }, "norm.rms_norm", NULL, build_rms_norm, 18, F32, 1e-5 },
  { "/oxp/blocks/rms-norm/unit-offset", { "norm.x" }, "norm.rms_norm_unit_offset", NULL, build_rms_norm_unit_offset, 14, F32, 1e-5 },
  { "/oxp/blocks/rms-norm/unit-offset-fp16", { "norm.x" }, "norm.rms_norm_unit_offset", NULL, build_rms_norm_unit_offset, 17, F16, 2e-2 },
  { "/oxp/blocks/rms-norm/fp16", { "norm.x" }, "norm.rms_norm", NULL, build_rms_norm, 17, F16, 1e-2 },
  { "/oxp/blocks/activation/gelu", { "act.x" }, "act.gelu", NULL, build_act_gelu, 17, F32, 1e-5 },
  { "/oxp/blocks/activation/gelu_new", { "act.x" }, "act.gelu_tanh", NULL, build_act_gelu_new, 17, F32, 1e-5 },
  { "/oxp/blocks/activation/gelu_pytorch_tanh", { "act.x" }, "act.gelu_tanh", NULL, build_act_gelu_pytorch_tanh, 17, F32, 1e-5 },
  { "/oxp/blocks/activation/quick_gelu", { "act.x" }, "act.quick_gelu", NULL, build_act_quick_gelu, 17, F32, 1e-5 },
  { "/oxp/blocks/activation/silu", { "act.x" }, "act.silu", NULL, build_act_silu, 17, F32, 1e-5 },
  { "/oxp/blocks/activation/swish", { "act.x" }, "act.silu", NULL, build_act_swish, 17, F32, 1e-5 },
  { "/oxp/blocks/activation/relu", { "act.x" }, "act.relu", NULL, build_act_relu, 17, F32, 1e-6 },
  { "/oxp/blocks/activation/tanh", { "act.x" }, "act.tanh", NULL, build_act_tanh, 17, F32, 1e-6 },
  { "/oxp/blocks/activation/sigmoid", { "act.x" }, "act.sigmoid", NULL, build_act_sigmoid, 17, F32, 1e-6 },
  { "/oxp/blocks/activation/linear", { "act.x" }, "act.x", NULL, build_act_linear, 17, F32, 0 },
  { "/oxp/blocks/activation/gelu-fp16", { "act.x" }, "act.gelu", NULL, build_act_gelu, 17, F16, 1e-2 },
  { "/oxp/blocks/swiglu", { "act.x", "act.up" }, "act.swiglu", NULL, build_swiglu, 17, F32, 1e-5 },
  { "/oxp/blocks/embedding", { "emb.ids" }, "emb.y", NULL, build_embedding, 17, F32, 0 },
  { "/oxp/blocks/position-ids", { "emb.ids" }, NULL, expect_position_ids, build_position_ids, 14, F32, 0 },
  { "/oxp/blocks/position-ids/past", { "emb.ids" }, NULL, expect_position_ids_past, build_position_ids_past, 14, F32, 0 },
  { "/oxp/blocks/padded-position-ids", { "emb.ids" }, "pos.roberta", NULL, build_padded_position_ids, 14, F32, 0 },
  { "/oxp/blocks/padded-position-ids/past", { "emb.ids" }, "pos.roberta_past3", NULL, build_padded_position_ids_past, 14, F32, 0 },
  { "/oxp/blocks/select-token", { "heads.x" }, NULL, expect_select_token, build_select_token, 14, F32, 0 },
  { "/oxp/blocks/attention-mask", { "attn.mask" }, NULL, expect_attention_mask, build_attention_mask, 14, F32, 0 },
  { "/oxp/blocks/causal-mask", { "emb.ids", "attn.mask" }, NULL, expect_causal_mask, build_causal_mask, 14, F32, 0 },
  { "/oxp/blocks/causal-mask/no-padding", { "emb.ids" }, NULL, expect_causal_mask_no_padding, build_causal_mask_no_padding, 14, F32, 0 },
  { "/oxp/blocks/sliding-window-mask", { "emb.ids", "attn.mask" }, NULL, expect_sliding_window_mask, build_sliding_window_mask, 14, F32, 0 },
  { "/oxp/blocks/split-heads", { "heads.x" }, "heads.split", NULL, build_split_heads, 14, F32, 0 },
  { "/oxp/blocks/merge-heads", { "heads.x" }, "heads.x", NULL, build_merge_heads, 14, F32, 0 },
  { "/oxp/blocks/attention/scaled-masked", { "attn.q", "attn.k", "attn.v", "attn.mask" }, "attn.scaled", NULL, build_attention, 14, F32, 1e-5 },
  { "/oxp/blocks/attention/unscaled", { "attn.q", "attn.k", "attn.v" }, "attn.unscaled", NULL, build_attention_unscaled, 14, F32, 1e-5 },
  { "/oxp/blocks/attention/fp16", { "attn.q", "attn.k", "attn.v", "attn.mask" }, "attn.scaled", NULL, build_attention, 17, F16, 1e-2 },
  { "/oxp/blocks/concat-past", { "attn.past", "attn.k" }, "attn.concat", NULL, build_concat_past, 14, F32, 0 },
  { "/oxp/blocks/repeat-kv", { "gqa.x" }, "gqa.y", NULL, build_repeat_kv, 14, F32, 0 },
  { "/oxp/blocks/rotary/full", { "rope.x", "rope.positions" }, "rope.full", NULL, build_rotary, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/partial", { "rope.x", "rope.positions" }, "rope.partial", NULL, build_rotary_partial, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/linear", { "rope.x", "rope.positions" }, "rope.linear", NULL, build_rope_linear, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/llama3", { "rope.x", "rope.positions" }, "rope.llama3", NULL, build_rope_llama3, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/longrope-long", { "rope.x", "rope.positions" }, "rope.longrope_long", NULL, build_rope_longrope_long, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/longrope-short", { "rope.x", "rope.positions" }, "rope.longrope_short", NULL, build_rope_longrope_short, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/dynamic", { "rope.x", "rope.positions" }, "rope.dynamic", NULL, build_rope_dynamic, 14, F32, 1e-5 },
  { "/oxp/blocks/rotary/dynamic-within", { "rope.x", "rope.positions" }, "rope.dynamic_within", NULL, build_rope_dynamic_within, 14, F32, 1e-5 },
  { "/oxp/blocks/cached-self-attention", { "cached.q", "cached.k", "cached.v", "cached.past_key", "cached.past_value", "cached.mask", "cached.positions" }, "cached.y", NULL, build_cached_attention, 14, F32, 1e-5 },
  { "/oxp/blocks/cached-self-attention/fp16", { "cached.q", "cached.k", "cached.v", "cached.past_key", "cached.past_value", "cached.mask", "cached.positions" }, "cached.y", NULL, build_cached_attention, 17, F16, 1e-2 },
  { "/oxp/blocks/cached-self-attention/present-key", { "cached.q", "cached.k", "cached.v", "cached.past_key", "cached.past_value", "cached.mask", "cached.positions" }, "cached.present_key", NULL, build_cached_attention_present_key, 14, F32, 1e-5 },
  { "/oxp/blocks/cached-self-attention/present-value", { "cached.q", "cached.k", "cached.v", "cached.past_key", "cached.past_value", "cached.mask", "cached.positions" }, "cached.present_value", NULL, build_cached_attention_present_value, 14, F32, 0 },
};
/* clang-format on */

/* ---- errors ------------------------------------------------------------ */

static void
test_missing_tensor (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = oxp_graph_new ("block", 17);
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "b,s,5");
  const char *x = oxp_graph_add_input (g, spec);

  g_assert_null (oxp_block_linear (g, refs, x, "encoder.missing", 5, 4, 0, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR);
  g_assert_nonnull (strstr (error->message, "encoder.missing.weight"));
  g_clear_error (&error);

  /* The weight exists, its bias does not. */
  g_assert_null (
      oxp_block_linear_from (g, refs, x, "linear.weight", "linear.nope", 5, 4, 0, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR);
  g_assert_nonnull (strstr (error->message, "linear.nope"));
  g_clear_error (&error);

  g_assert_null (oxp_block_layer_norm (g, refs, x, "nothing", 5, 1e-5, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR);
  g_assert_nonnull (strstr (error->message, "nothing.weight"));
}

static void
test_wrong_shape (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = oxp_graph_new ("block", 17);
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "b,s,5");
  const char *x = oxp_graph_add_input (g, spec);

  /* linear.weight is [4, 5]: asking for 5 → 6 names it. */
  g_assert_null (oxp_block_linear (g, refs, x, "linear", 5, 6, 0, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_assert_nonnull (strstr (error->message, "linear.weight"));
  g_clear_error (&error);

  /* A Conv1D layout is [in, out]: the torch layout does not pass. */
  g_assert_null (oxp_block_linear (g, refs, x, "linear", 5, 4, OXP_LINEAR_WEIGHT_IN_OUT, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_clear_error (&error);

  g_assert_null (oxp_block_layer_norm (g, refs, x, "norm", 16, 1e-5, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_assert_nonnull (strstr (error->message, "norm.weight"));
  g_clear_error (&error);

  g_assert_null (oxp_block_embedding (g, refs, x, "emb.weight", 11, 6, &error));
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_assert_nonnull (strstr (error->message, "emb.weight"));
}

static void
test_unknown_activation (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpGraph) g = oxp_graph_new ("block", 17);
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "b,s,5");
  const char *x = oxp_graph_add_input (g, spec);

  g_assert_true (oxp_block_activation_is_supported ("gelu_new"));
  g_assert_false (oxp_block_activation_is_supported ("gelu_10"));
  g_assert_null (oxp_block_activation (g, x, "gelu_10", "hidden_act", &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "hidden_act"));
  g_assert_nonnull (strstr (error->message, "gelu_10"));
  g_clear_error (&error);

  g_assert_null (oxp_block_activation (g, x, "mish", "activation", &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "“activation”"));
}

/* ---- blocks checked against hand-computed values ------------------------ */

/* Writes @graph (its output "y" bound to @y, of @y_type and @y_rank), runs
 * it on @feeds and returns "y", or NULL when the test is skipped (no ONNX
 * Runtime). */
static OxpTensor *
run_graph (OxpGraph *graph, const char *y, OxpDataType y_type, guint y_rank, GPtrArray *feeds,
           const char *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpTensorSpec) out_spec = oxp_tensor_spec_new_rank ("y", y_type, y_rank);
  g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autofree char *path = g_build_filename (workdir, file, NULL);

  g_assert_nonnull (y);
  oxp_graph_add_output (graph, out_spec);
  oxp_graph_bind_output (graph, "y", y, &error);
  g_assert_no_error (error);
  oxp_onnx_writer_write (writer, graph, path, &error);
  g_assert_no_error (error);
  if (runtime == NULL)
    {
      g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to run the block with");
      return NULL;
    }
  session = oxp_runtime_open_session (runtime, path, &error);
  g_assert_no_error (error);
  outputs = oxp_runtime_session_run (session, feeds, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outputs->len, ==, 1);
  return oxp_tensor_ref (g_ptr_array_index (outputs, 0));
}

/* x[b, s, d] = 100·b + 10·s + d over ids with padding (pad id 0): row 0
 * has a pad token inside and at the end, row 1 a leading one, row 2 is
 * padding only (transformers' argmax then picks position 0). */
static const gint64 pool_ids[3][4] = { { 5, 0, 7, 0 }, { 0, 3, 4, 9 }, { 0, 0, 0, 0 } };

typedef struct
{
  gint64 pad_token_id;
  gint64 positions[3]; /* the token each row pools */
} LastTokenCase;

static const LastTokenCase last_token_pad = { 0, { 2, 3, 0 } };
static const LastTokenCase last_token_no_pad = { -1, { 3, 3, 3 } };

static void
test_last_non_pad_token (gconstpointer data)
{
  const LastTokenCase *c = data;
  const gint64 x_shape[] = { 3, 4, 2 }, ids_shape[] = { 3, 4 };
  g_autoptr (OxpGraph) graph = oxp_graph_new ("block", 14);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpTensorSpec) x_spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "b,s,2");
  g_autoptr (OxpTensorSpec) ids_spec = oxp_tensor_spec_new ("ids", OXP_DATA_TYPE_INT64, "b,s");
  g_autoptr (OxpTensor) got = NULL;
  OxpTensor *x = oxp_tensor_new ("x", OXP_DATA_TYPE_FLOAT, x_shape, 3);
  OxpTensor *ids = oxp_tensor_new ("ids", OXP_DATA_TYPE_INT64, ids_shape, 2);
  float *xd = oxp_tensor_get_mutable_data (x);
  const char *y;

  for (gint64 b = 0; b < 3; b++)
    for (gint64 s = 0; s < 4; s++)
      for (gint64 d = 0; d < 2; d++)
        xd[(b * 4 + s) * 2 + d] = (float)(100 * b + 10 * s + d);
  memcpy (oxp_tensor_get_mutable_data (ids), pool_ids, sizeof pool_ids);
  g_ptr_array_add (feeds, x);
  g_ptr_array_add (feeds, ids);

  y = oxp_block_last_non_pad_token (graph, oxp_graph_add_input (graph, x_spec),
                                    oxp_graph_add_input (graph, ids_spec), c->pad_token_id);
  got = run_graph (graph, y, OXP_DATA_TYPE_FLOAT, 2, feeds,
                   c->pad_token_id < 0 ? "last-token-no-pad.onnx" : "last-token.onnx");
  if (got == NULL)
    return;
  g_assert_cmpuint (oxp_tensor_get_rank (got), ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (got)[0], ==, 3);
  g_assert_cmpint (oxp_tensor_get_shape (got)[1], ==, 2);
  for (gint64 b = 0; b < 3; b++)
    for (gint64 d = 0; d < 2; d++)
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, b * 2 + d), ==,
                         100 * b + 10 * c->positions[b] + d);
}

/* Two head groups, each [part 0 (1 wide) | part 1 (2 wide)]: x = 0..5 is
 * group 0 [0 | 1 2], group 1 [3 | 4 5], so the parts are [0 3] and
 * [1 2 4 5]; y is both, concatenated. */
static void
test_split_per_head (void)
{
  const gint64 x_shape[] = { 1, 1, 6 }, sizes[] = { 1, 2 };
  const float expected[] = { 0, 3, 1, 2, 4, 5 };
  g_autoptr (OxpGraph) graph = oxp_graph_new ("block", 14);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpTensorSpec) x_spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "b,s,6");
  g_autoptr (OxpTensor) got = NULL;
  OxpTensor *x = oxp_tensor_new ("x", OXP_DATA_TYPE_FLOAT, x_shape, 3);
  float *xd = oxp_tensor_get_mutable_data (x);
  const char *parts[2], *y;

  for (guint i = 0; i < 6; i++)
    xd[i] = (float)i;
  g_ptr_array_add (feeds, x);
  oxp_block_split_per_head (graph, oxp_graph_add_input (graph, x_spec), 2, sizes, 2, parts);
  y = oxp_graph_op (graph, "Concat", parts[0], parts[1], NULL);
  oxp_node_set_attr_int (oxp_graph_get_last_node (graph), "axis", -1);
  got = run_graph (graph, y, OXP_DATA_TYPE_FLOAT, 3, feeds, "split-per-head.onnx");
  if (got == NULL)
    return;
  g_assert_cmpint (oxp_tensor_get_shape (got)[2], ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, i), ==, expected[i]);
}

/* Two tokens of the two accepted shapes (CLIP's [hidden], ViT's [1, 1,
 * hidden]) before a batch of two sequences: every row starts with them, in
 * order. */
static void
test_prepend_tokens (void)
{
  const gint64 x_shape[] = { 2, 2, 3 }, t1_shape[] = { 1, 1, 3 };
  const float t0[] = { 7, 8, 9 }, t1[] = { 4, 5, 6 };
  g_autoptr (OxpGraph) graph = oxp_graph_new ("block", 14);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (OxpTensorSpec) x_spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "b,s,3");
  g_autoptr (OxpTensor) t0_value = oxp_tensor_new ("t0", OXP_DATA_TYPE_FLOAT, &x_shape[2], 1);
  g_autoptr (OxpTensor) t1_value = oxp_tensor_new ("t1", OXP_DATA_TYPE_FLOAT, t1_shape, 3);
  g_autoptr (OxpTensor) got = NULL;
  OxpTensor *x = oxp_tensor_new ("x", OXP_DATA_TYPE_FLOAT, x_shape, 3);
  float *xd = oxp_tensor_get_mutable_data (x);
  const char *tokens[2];

  for (guint i = 0; i < 12; i++)
    xd[i] = (float)(10 + i);
  g_ptr_array_add (feeds, x);
  memcpy (oxp_tensor_get_mutable_data (t0_value), t0, sizeof t0);
  memcpy (oxp_tensor_get_mutable_data (t1_value), t1, sizeof t1);
  tokens[0] = oxp_graph_add_constant (graph, "t0", t0_value);
  tokens[1] = oxp_graph_add_constant (graph, "t1", t1_value);
  got = run_graph (graph,
                   oxp_block_prepend_tokens (graph, oxp_graph_add_input (graph, x_spec), tokens, 2),
                   OXP_DATA_TYPE_FLOAT, 3, feeds, "prepend-tokens.onnx");
  if (got == NULL)
    return;
  g_assert_cmpint (oxp_tensor_get_shape (got)[0], ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (got)[1], ==, 4);
  g_assert_cmpint (oxp_tensor_get_shape (got)[2], ==, 3);
  for (guint b = 0; b < 2; b++)
    for (guint j = 0; j < 3; j++)
      {
        g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, b * 12 + j), ==, t0[j]);
        g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, b * 12 + 3 + j), ==, t1[j]);
        for (guint s = 0; s < 2; s++)
          g_assert_cmpfloat (oxp_tensor_get_element_as_double (got, b * 12 + (2 + s) * 3 + j), ==,
                             xd[(b * 2 + s) * 3 + j]);
      }
}

/* ---- setup ------------------------------------------------------------- */

static void
generate_refs (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *script = oxp_test_srcdir_path ("gen-block-refs.py", NULL);
  g_autofree char *refs_path = NULL;
  g_autofree char *err_out = NULL;
  const char *python = g_getenv ("PYTHON3");
  const char *argv[] = { python ? python : "python3", script, workdir, NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                NULL, NULL, &err_out, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", script, error->message, err_out);

  refs_path = g_build_filename (workdir, "block-refs.safetensors", NULL);
  refs = oxp_checkpoint_open_safetensors (refs_path, &error);
  g_assert_no_error (error);
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

  workdir = oxp_test_make_tmpdir ("oxp-blocks-XXXXXX");
  generate_refs ();
  /* Like the other ONNX Runtime tests: without OXPORT_ONNXRUNTIME (a dist
   * tree has no _deps/) the graphs are still built and written, not run. */
  if (g_getenv ("OXPORT_ONNXRUNTIME") != NULL && *g_getenv ("OXPORT_ONNXRUNTIME") != '\0')
    {
      runtime = oxp_runtime_new (NULL, FALSE, &error);
      g_assert_no_error (error);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_block);
  g_test_add_func ("/oxp/blocks/errors/missing-tensor", test_missing_tensor);
  g_test_add_func ("/oxp/blocks/errors/wrong-shape", test_wrong_shape);
  g_test_add_func ("/oxp/blocks/errors/unknown-activation", test_unknown_activation);
  g_test_add_data_func ("/oxp/blocks/last-non-pad-token", &last_token_pad, test_last_non_pad_token);
  g_test_add_data_func ("/oxp/blocks/last-non-pad-token/no-pad-token", &last_token_no_pad,
                        test_last_non_pad_token);
  g_test_add_func ("/oxp/blocks/split-per-head", test_split_per_head);
  g_test_add_func ("/oxp/blocks/prepend-tokens", test_prepend_tokens);

  ret = g_test_run ();

  g_clear_object (&runtime);
  g_clear_object (&refs);
  remove_workdir ();
  return ret;
}
