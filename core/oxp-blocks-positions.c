/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks for positions and masks: position ids, padding, causal
 * and sliding-window masks, rotary embeddings with transformers' rope
 * scaling, and the cached self-attention that ties them together. */

#include "config.h"

#include <math.h>

#include <oxport/oxport.h>

#include "oxp-blocks-private.h"

/* ---- positions -------------------------------------------------------- */

/**
 * oxp_block_position_ids:
 * @graph: the graph to add nodes to
 * @input_ids: a value whose axis 1 is the sequence
 * @past_length: (nullable): an int64 scalar value, or NULL for 0
 *
 * Absolute positions: @past_length + arange(seq), int64 [1, seq].
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_position_ids (OxpGraph *graph, const char *input_ids, const char *past_length)
{
  static const gint64 batch_axis[] = { 0 };
  const char *seq, *start, *end, *range;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (input_ids != NULL, NULL);

  seq = _oxp_blocks_dim_of (graph, input_ids, 1);
  start = past_length ? past_length : oxp_graph_add_constant_int64 (graph, "zero", 0);
  end = past_length ? oxp_graph_op (graph, "Add", past_length, seq, NULL) : seq;
  range = oxp_graph_op (graph, "Range", start, end, oxp_graph_add_constant_int64 (graph, "one", 1),
                        NULL);
  return _oxp_blocks_unsqueeze (graph, range, batch_axis, 1);
}

/**
 * oxp_block_padded_position_ids:
 * @graph: the graph to add nodes to
 * @input_ids: int64 token ids [batch, seq]
 * @padding_idx: the padding token id
 * @past_length: (nullable): an int64 scalar value, or NULL for 0
 *
 * RoBERTa's positions: (cumsum(ids != pad) + past) · (ids != pad) + pad.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_padded_position_ids (OxpGraph *graph, const char *input_ids, gint64 padding_idx,
                               const char *past_length)
{
  const char *pad, *keep, *count;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (input_ids != NULL, NULL);

  pad = oxp_graph_add_constant_int64 (graph, "padding_idx", padding_idx);
  keep = oxp_graph_op (graph, "Not", oxp_graph_op (graph, "Equal", input_ids, pad, NULL), NULL);
  keep = _oxp_blocks_cast (graph, keep, OXP_DATA_TYPE_INT64);
  count
      = oxp_graph_op (graph, "CumSum", keep, oxp_graph_add_constant_int64 (graph, "axis", 1), NULL);
  if (past_length != NULL)
    count = oxp_graph_op (graph, "Add", count, past_length, NULL);
  count = oxp_graph_op (graph, "Mul", count, keep, NULL);
  return oxp_graph_op (graph, "Add", count, pad, NULL);
}

/* ---- masks ------------------------------------------------------------ */

/**
 * oxp_block_attention_mask:
 * @graph: the graph to add nodes to
 * @attention_mask: int64 [batch, kv] of 1 (keep) and 0 (mask)
 *
 * The additive mask transformers builds: (1 - mask) · finfo.min, as
 * [batch, 1, 1, kv] in the graph's float type.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_attention_mask (OxpGraph *graph, const char *attention_mask)
{
  static const gint64 axes[] = { 1, 2 };
  const char *m;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (attention_mask != NULL, NULL);

  m = _oxp_blocks_unsqueeze (graph, attention_mask, axes, 2);
  m = _oxp_blocks_cast (graph, m, oxp_graph_get_float_type (graph));
  m = oxp_graph_op (graph, "Sub", oxp_graph_add_constant_float (graph, "one", 1.0), m, NULL);
  m = oxp_graph_op (graph, "Mul", m,
                    oxp_graph_add_constant_float (graph, "mask_min", _oxp_blocks_mask_min (graph)),
                    NULL);
  _oxp_blocks_note_mask_source (graph, m, attention_mask);
  return m;
}

/* Keys under which a graph remembers, for a causal mask made by
 * oxp_block_causal_attention_mask(), the int64 attention_mask it came from,
 * and the values GroupQueryAttention derives from that mask (made once per
 * graph), so that cached self-attention can take the fused path while
 * plugins keep passing the additive mask. */
#define CAUSAL_SOURCE_KEY "oxp-causal-source:"
#define GQA_INPUTS_KEY "oxp-gqa-inputs:"
#define BSNH_KEY "oxp-bsnh:"
#define PADDED_BIAS_KEY "oxp-padded-bias:"

typedef struct
{
  const char *attention_mask; /* int64 [batch, past + seq] */
  const char *query_ids;      /* axis 1: seq */
  gint64 window;              /* the sliding window, or 0 */
  const char *no_keys;        /* made by gqa_no_keys() */
} CausalSource;

static void
note_causal_source (OxpGraph *graph, const char *causal, const char *attention_mask,
                    const char *query_ids, gint64 window)
{
  g_autofree char *key = g_strconcat (CAUSAL_SOURCE_KEY, causal, NULL);
  CausalSource *src = g_new (CausalSource, 1);

  /* Value names live as long as the graph. */
  src->attention_mask = attention_mask;
  src->query_ids = query_ids;
  src->window = MAX (window, 0);
  src->no_keys = NULL;
  g_object_set_data_full (G_OBJECT (graph), key, src, g_free);
}

/* Query i (at position kv - q + i) sees key j iff j <= kv - q + i and, with
 * @window > 0, j > kv - q + i - @window. */
static const char *
causal_mask (OxpGraph *graph, const char *attention_mask, const char *query_ids, gint64 window)
{
  static const gint64 col[] = { 1 };
  static const gint64 lead[] = { 0, 1 };
  const char *q, *kv, *zero, *one, *keys, *rows, *hidden, *causal;

  q = _oxp_blocks_dim_of (graph, query_ids, 1);
  kv = attention_mask ? _oxp_blocks_dim_of (graph, attention_mask, 1) : q;
  zero = oxp_graph_add_constant_int64 (graph, "zero", 0);
  one = oxp_graph_add_constant_int64 (graph, "one", 1);

  keys = oxp_graph_op (graph, "Range", zero, kv, one, NULL);
  rows = oxp_graph_op (graph, "Range", zero, q, one, NULL);
  if (attention_mask != NULL)
    rows = oxp_graph_op (graph, "Add", rows, oxp_graph_op (graph, "Sub", kv, q, NULL), NULL);
  rows = _oxp_blocks_unsqueeze (graph, rows, col, 1);
  hidden = oxp_graph_op (graph, "Greater", keys, rows, NULL);
  if (window > 0)
    {
      /* j <= i - window, i.e. j < i - window + 1 (Less: no opset-16 LessOrEqual). */
      const char *oldest = oxp_graph_op (
          graph, "Sub", rows, oxp_graph_add_constant_int64 (graph, "window", window - 1), NULL);
      hidden = oxp_graph_op (graph, "Or", hidden, oxp_graph_op (graph, "Less", keys, oldest, NULL),
                             NULL);
    }
  /* hidden · finfo.min rather than a Where, which takes bfloat16 only
   * from opset 16 on. */
  causal = oxp_graph_op (
      graph, "Mul", _oxp_blocks_cast (graph, hidden, oxp_graph_get_float_type (graph)),
      oxp_graph_add_constant_float (graph, "mask_min", _oxp_blocks_mask_min (graph)), NULL);
  causal = _oxp_blocks_unsqueeze (graph, causal, lead, 2);
  if (attention_mask == NULL)
    return causal;
  causal
      = oxp_graph_op (graph, "Min", causal, oxp_block_attention_mask (graph, attention_mask), NULL);
  note_causal_source (graph, causal, attention_mask, query_ids, window);
  return causal;
}

/**
 * oxp_block_causal_attention_mask:
 * @graph: the graph to add nodes to
 * @attention_mask: (nullable): int64 [batch, kv], or NULL when kv = q
 * @query_ids: a value whose axis 1 is the query length q
 *
 * The additive causal mask [batch|1, 1, q, kv]: query i, at position
 * kv - q + i, sees keys up to that position and those @attention_mask keeps;
 * masked entries hold finfo.min (combined with Min, never -inf).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_causal_attention_mask (OxpGraph *graph, const char *attention_mask, const char *query_ids)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query_ids != NULL, NULL);

  return causal_mask (graph, attention_mask, query_ids, 0);
}

/**
 * oxp_block_sliding_window_mask:
 * @graph: the graph to add nodes to
 * @attention_mask: (nullable): int64 [batch, kv], or NULL when kv = q
 * @query_ids: a value whose axis 1 is the query length q
 * @window: the window size (sliding_window); 0 or less for none
 *
 * oxp_block_causal_attention_mask() restricted to a sliding window, as
 * Mistral's: query i (at position p = kv - q + i) sees key j iff
 * p - @window < j <= p.  Only the mask changes: the cache still holds every
 * position.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_sliding_window_mask (OxpGraph *graph, const char *attention_mask, const char *query_ids,
                               gint64 window)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query_ids != NULL, NULL);

  return causal_mask (graph, attention_mask, query_ids, window);
}

/* ---- rotary position embeddings --------------------------------------- */

/**
 * oxp_rope_inv_freq:
 * @scaling: (nullable): the scaling, or NULL for none
 * @rotary_dim: the rotated channels (even)
 * @theta: the base of the frequencies (rope_theta)
 * @long_factors: for %OXP_ROPE_LONGROPE, use the long factors (else the short ones)
 * @inv_freq: (out caller-allocates) (array): @rotary_dim / 2 values
 *
 * The inverse frequencies transformers' rope init functions compute, in
 * float32: theta^(-2i/@rotary_dim), divided by the factor (linear), by the
 * long or short factors (longrope), or smoothed between 1 and 1/factor by
 * wavelength (llama3).  %OXP_ROPE_DYNAMIC gives the frequencies up to
 * max_positions; beyond, they depend on the sequence and are computed in the
 * graph by oxp_block_rotary_cos_sin_scaled().
 */
void
oxp_rope_inv_freq (const OxpRopeScaling *scaling, gint64 rotary_dim, double theta,
                   gboolean long_factors, float *inv_freq)
{
  OxpRopeType type = scaling ? scaling->type : OXP_ROPE_DEFAULT;
  gint64 half = rotary_dim / 2;

  g_return_if_fail (rotary_dim > 0 && rotary_dim % 2 == 0 && inv_freq != NULL);

  for (gint64 i = 0; i < half; i++)
    {
      float exponent = (float)(2 * i) / (float)rotary_dim;
      float base_pow = powf ((float)theta, exponent);

      switch (type)
        {
        case OXP_ROPE_LINEAR:
          inv_freq[i] = (1.0f / base_pow) / (float)scaling->factor;
          break;
        case OXP_ROPE_LONGROPE:
          {
            const double *ext = long_factors ? scaling->long_factor : scaling->short_factor;
            inv_freq[i] = 1.0f / ((float)ext[i] * base_pow);
          }
          break;
        case OXP_ROPE_LLAMA3:
          {
            /* _compute_llama3_parameters, step by step in float32. */
            float inv = 1.0f / base_pow;
            float factor = (float)scaling->factor;
            float low = (float)scaling->low_freq_factor, high = (float)scaling->high_freq_factor;
            float old_len = (float)scaling->original_max_positions;
            float low_wavelen = old_len / low, high_wavelen = old_len / high;
            float wavelen = 2.0f * (float)G_PI / inv;
            float scaled = wavelen > low_wavelen ? inv / factor : inv;
            if (!(wavelen < high_wavelen) && !(wavelen > low_wavelen))
              {
                float smooth = (old_len / wavelen - low) / (high - low);
                scaled = (1.0f - smooth) * scaled / factor + smooth * scaled;
              }
            inv_freq[i] = scaled;
          }
          break;
        default:
          inv_freq[i] = 1.0f / base_pow;
          break;
        }
    }
}

/**
 * oxp_rope_attention_factor:
 * @scaling: (nullable): the scaling, or NULL for none
 *
 * The factor cos and sin are multiplied by: for %OXP_ROPE_LONGROPE the
 * configured attention_factor, or √(1 + ln(factor) / ln(original_max_positions))
 * when that is unset and factor > 1 (transformers' default); 1 otherwise.
 *
 * Returns: the factor
 */
double
oxp_rope_attention_factor (const OxpRopeScaling *scaling)
{
  if (scaling == NULL || scaling->type != OXP_ROPE_LONGROPE)
    return 1.0;
  if (scaling->attention_factor > 0)
    return scaling->attention_factor;
  if (scaling->factor <= 1.0 || scaling->original_max_positions <= 1)
    return 1.0;
  return sqrt (1.0 + log (scaling->factor) / log ((double)scaling->original_max_positions));
}

static const char *
inv_freq_constant (OxpGraph *graph, const OxpRopeScaling *scaling, gint64 rotary_dim, double theta,
                   gboolean long_factors)
{
  gint64 half = rotary_dim / 2;
  g_autoptr (OxpTensor) inv = oxp_tensor_new ("inv_freq", OXP_DATA_TYPE_FLOAT, &half, 1);

  oxp_rope_inv_freq (scaling, rotary_dim, theta, long_factors, oxp_tensor_get_mutable_data (inv));
  return oxp_graph_add_constant (graph, long_factors ? "inv_freq_long" : "inv_freq", inv);
}

/* max(position_ids) + 1 as an int64 scalar: the sequence length
 * transformers' dynamic rope updates read. */
static const char *
seq_len_from_positions (OxpGraph *graph, const char *position_ids)
{
  const char *max = oxp_graph_op (graph, "ReduceMax", position_ids, NULL);

  _oxp_blocks_set_int (graph, "keepdims", 0);
  return oxp_graph_op (graph, "Add", max, oxp_graph_add_constant_int64 (graph, "one", 1), NULL);
}

/* Dynamic NTK: base' = theta · (factor·L/max - (factor - 1))^(d/(d-2)) with
 * L = max(max_positions, max(position_ids) + 1); inv = 1 / base'^(2i/d),
 * in float32 as _compute_dynamic_ntk_parameters. */
static const char *
dynamic_inv_freq (OxpGraph *graph, const char *position_ids, const OxpRopeScaling *scaling,
                  gint64 rotary_dim, double theta)
{
  gint64 half = rotary_dim / 2;
  g_autoptr (OxpTensor) exps = oxp_tensor_new ("exponents", OXP_DATA_TYPE_FLOAT, &half, 1);
  float *e = oxp_tensor_get_mutable_data (exps);
  double factor = scaling->factor, max_pos = (double)scaling->max_positions;
  const char *len, *ratio, *base;

  for (gint64 i = 0; i < half; i++)
    e[i] = (float)(2 * i) / (float)rotary_dim;
  len = oxp_graph_op (graph, "Max", seq_len_from_positions (graph, position_ids),
                      oxp_graph_add_constant_int64 (graph, "max_positions", scaling->max_positions),
                      NULL);
  len = _oxp_blocks_cast (graph, len, OXP_DATA_TYPE_FLOAT);
  ratio = oxp_graph_op (
      graph, "Sub",
      oxp_graph_op (graph, "Mul", len,
                    _oxp_blocks_const_f32 (graph, "factor_over_max", (float)(factor / max_pos)),
                    NULL),
      _oxp_blocks_const_f32 (graph, "factor_minus_one", (float)(factor - 1.0)), NULL);
  base = oxp_graph_op (
      graph, "Mul", _oxp_blocks_const_f32 (graph, "theta", (float)theta),
      oxp_graph_op (graph, "Pow", ratio,
                    _oxp_blocks_const_f32 (graph, "ntk_exponent",
                                           (float)((double)rotary_dim / (double)(rotary_dim - 2))),
                    NULL),
      NULL);
  return oxp_graph_op (
      graph, "Reciprocal",
      oxp_graph_op (graph, "Pow", base, oxp_graph_add_constant (graph, "exponents", exps), NULL),
      NULL);
}

/* Key under which a graph marks the cosine tables made by
 * oxp_block_rotary_cos_sin_scaled() (rotate-half layout, the two halves
 * repeated), so that cached self-attention can hand them to
 * com.microsoft RotaryEmbedding while plugins keep passing the tables. */
#define ROPE_TABLE_KEY "oxp-rope-table:"
#define ROPE_CACHES_KEY "oxp-rope-caches:"

/**
 * oxp_block_rotary_cos_sin_scaled:
 * @graph: the graph to add nodes to
 * @position_ids: int64 [batch|1, seq]
 * @rotary_dim: the rotated channels (even)
 * @theta: the base of the frequencies (rope_theta)
 * @scaling: (nullable): transformers' rope_scaling, or NULL for none
 * @cos_out: (out) (transfer none): the cosines [batch|1, 1, seq, @rotary_dim]
 * @sin_out: (out) (transfer none): the sines, same shape
 * @error: return location for an error
 *
 * Rotary tables at @position_ids, computed in float32 with the inverse
 * frequencies of oxp_rope_inv_freq() and scaled by
 * oxp_rope_attention_factor().  The choices transformers makes at run time
 * from the sequence length L = max(@position_ids) + 1 are made in the graph:
 * longrope takes the long factors when L > original_max_positions (a
 * Where), dynamic recomputes the base for L > max_positions.  A scaling
 * that lacks a value it needs fails with %OXP_EXPORT_ERROR_UNSUPPORTED.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
oxp_block_rotary_cos_sin_scaled (OxpGraph *graph, const char *position_ids, gint64 rotary_dim,
                                 double theta, const OxpRopeScaling *scaling, const char **cos_out,
                                 const char **sin_out, GError **error)
{
  static const gint64 last[] = { -1 };
  static const gint64 heads[] = { 1 };
  OxpRopeType type = scaling ? scaling->type : OXP_ROPE_DEFAULT;
  double attention_factor = oxp_rope_attention_factor (scaling);
  const char *inv, *pos, *freqs, *emb, *c, *s;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (position_ids != NULL && cos_out != NULL && sin_out != NULL, FALSE);
  g_return_val_if_fail (rotary_dim > 0 && rotary_dim % 2 == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((type == OXP_ROPE_LINEAR || type == OXP_ROPE_DYNAMIC || type == OXP_ROPE_LLAMA3)
      && !(scaling->factor > 0))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "rope scaling needs a positive factor (got %g)", scaling->factor);
      return FALSE;
    }
  if (type == OXP_ROPE_LONGROPE && (scaling->short_factor == NULL || scaling->long_factor == NULL))
    {
      g_set_error_literal (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                           "longrope scaling needs short_factor and long_factor");
      return FALSE;
    }
  if (type == OXP_ROPE_LLAMA3
      && (scaling->original_max_positions <= 0
          || !(scaling->high_freq_factor > scaling->low_freq_factor)
          || !(scaling->low_freq_factor > 0)))
    {
      g_set_error_literal (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                           "llama3 rope scaling needs original_max_position_embeddings and "
                           "0 < low_freq_factor < high_freq_factor");
      return FALSE;
    }
  if ((type == OXP_ROPE_DYNAMIC && (scaling->max_positions <= 0 || rotary_dim <= 2))
      || (type == OXP_ROPE_LONGROPE && scaling->original_max_positions <= 0))
    {
      g_set_error_literal (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                           "dynamic and longrope scaling need the maximum positions");
      return FALSE;
    }

  switch (type)
    {
    case OXP_ROPE_LONGROPE:
      {
        const char *longer
            = oxp_graph_op (graph, "Greater", seq_len_from_positions (graph, position_ids),
                            oxp_graph_add_constant_int64 (graph, "original_max_positions",
                                                          scaling->original_max_positions),
                            NULL);
        inv = oxp_graph_op (graph, "Where", longer,
                            inv_freq_constant (graph, scaling, rotary_dim, theta, TRUE),
                            inv_freq_constant (graph, scaling, rotary_dim, theta, FALSE), NULL);
      }
      break;
    case OXP_ROPE_DYNAMIC:
      inv = dynamic_inv_freq (graph, position_ids, scaling, rotary_dim, theta);
      break;
    default:
      inv = inv_freq_constant (graph, scaling, rotary_dim, theta, FALSE);
      break;
    }

  pos = _oxp_blocks_unsqueeze (graph, _oxp_blocks_cast (graph, position_ids, OXP_DATA_TYPE_FLOAT),
                               last, 1);
  freqs = oxp_graph_op (graph, "Mul", pos, inv, NULL);
  emb = oxp_graph_op (graph, "Concat", freqs, freqs, NULL);
  _oxp_blocks_set_int (graph, "axis", -1);
  c = oxp_graph_op (graph, "Cos", emb, NULL);
  s = oxp_graph_op (graph, "Sin", emb, NULL);
  if (attention_factor != 1.0)
    {
      const char *f = _oxp_blocks_const_f32 (graph, "attention_factor", (float)attention_factor);
      c = oxp_graph_op (graph, "Mul", c, f, NULL);
      s = oxp_graph_op (graph, "Mul", s, f, NULL);
    }
  if (_oxp_blocks_narrow_float (graph))
    {
      c = _oxp_blocks_cast (graph, c, oxp_graph_get_float_type (graph));
      s = _oxp_blocks_cast (graph, s, oxp_graph_get_float_type (graph));
    }
  *cos_out = _oxp_blocks_unsqueeze (graph, c, heads, 1);
  *sin_out = _oxp_blocks_unsqueeze (graph, s, heads, 1);
  {
    g_autofree char *key = g_strconcat (ROPE_TABLE_KEY, *cos_out, NULL);
    g_object_set_data (G_OBJECT (graph), key, GINT_TO_POINTER (TRUE));
  }
  return TRUE;
}

/**
 * oxp_block_rotary_cos_sin:
 * @graph: the graph to add nodes to
 * @position_ids: int64 [batch|1, seq]
 * @rotary_dim: the rotated channels (even)
 * @theta: the base of the frequencies (rope_theta)
 * @cos_out: (out) (transfer none): the cosines [batch|1, 1, seq, @rotary_dim]
 * @sin_out: (out) (transfer none): the sines, same shape
 *
 * LLaMA's rotary tables at @position_ids, computed in float32 with
 * inv_freq = @theta^(-2i/@rotary_dim): oxp_block_rotary_cos_sin_scaled()
 * without scaling.
 */
void
oxp_block_rotary_cos_sin (OxpGraph *graph, const char *position_ids, gint64 rotary_dim,
                          double theta, const char **cos_out, const char **sin_out)
{
  g_return_if_fail (OXP_IS_GRAPH (graph));
  g_return_if_fail (position_ids != NULL && cos_out != NULL && sin_out != NULL);
  g_return_if_fail (rotary_dim > 0 && rotary_dim % 2 == 0);

  /* Without scaling nothing can fail. */
  oxp_block_rotary_cos_sin_scaled (graph, position_ids, rotary_dim, theta, NULL, cos_out, sin_out,
                                   NULL);
}

/**
 * oxp_block_rotary:
 * @graph: the graph to add nodes to
 * @x: [batch, heads, seq, @head_dim]
 * @cos: from oxp_block_rotary_cos_sin()
 * @sin: from oxp_block_rotary_cos_sin()
 * @rotary_dim: the rotated channels (even, at most @head_dim)
 * @head_dim: size of one head
 *
 * x · cos + rotate_half(x) · sin on the first @rotary_dim channels; the
 * others pass through.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_rotary (OxpGraph *graph, const char *x, const char *cos, const char *sin,
                  gint64 rotary_dim, gint64 head_dim)
{
  gint64 half = rotary_dim / 2;
  const char *xr, *x1, *x2, *rotated, *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && cos != NULL && sin != NULL, NULL);
  g_return_val_if_fail (rotary_dim > 0 && rotary_dim % 2 == 0 && rotary_dim <= head_dim, NULL);

  xr = rotary_dim < head_dim ? _oxp_blocks_slice_last (graph, x, 3, 0, rotary_dim) : x;
  x1 = _oxp_blocks_slice_last (graph, xr, 3, 0, half);
  x2 = _oxp_blocks_slice_last (graph, xr, 3, half, rotary_dim);
  rotated = oxp_graph_op (graph, "Concat", oxp_graph_op (graph, "Neg", x2, NULL), x1, NULL);
  _oxp_blocks_set_int (graph, "axis", -1);
  out = oxp_graph_op (graph, "Add", oxp_graph_op (graph, "Mul", xr, cos, NULL),
                      oxp_graph_op (graph, "Mul", rotated, sin, NULL), NULL);
  if (rotary_dim < head_dim)
    {
      out = oxp_graph_op (graph, "Concat", out,
                          _oxp_blocks_slice_last (graph, x, 3, rotary_dim, head_dim), NULL);
      _oxp_blocks_set_int (graph, "axis", -1);
    }
  return out;
}

/* ---- cached self-attention -------------------------------------------- */

/* The standard form: heads split, rotary, past concatenated, key/value
 * heads repeated, softmax attention, heads merged. */
static const char *
plain_cached_attention (OxpGraph *graph, const char *query, const char *key, const char *value,
                        const char *past_key, const char *past_value, const char *cos,
                        const char *sin, gint64 rotary_dim, gint64 n_heads, gint64 n_kv_heads,
                        gint64 head_dim, double scale, const char *mask, const char **present_key,
                        const char **present_value)
{
  const char *q, *k, *v, *ctx;

  q = oxp_block_split_heads (graph, query, n_heads, head_dim);
  k = oxp_block_split_heads (graph, key, n_kv_heads, head_dim);
  v = oxp_block_split_heads (graph, value, n_kv_heads, head_dim);
  if (cos != NULL)
    {
      q = oxp_block_rotary (graph, q, cos, sin, rotary_dim, head_dim);
      k = oxp_block_rotary (graph, k, cos, sin, rotary_dim, head_dim);
    }
  if (past_key != NULL)
    {
      k = oxp_block_concat_past (graph, past_key, k);
      v = oxp_block_concat_past (graph, past_value, v);
    }
  if (present_key != NULL)
    *present_key = k;
  if (present_value != NULL)
    *present_value = v;
  k = oxp_block_repeat_kv (graph, k, n_kv_heads, n_heads / n_kv_heads, head_dim);
  v = oxp_block_repeat_kv (graph, v, n_kv_heads, n_heads / n_kv_heads, head_dim);
  ctx = _oxp_blocks_attention (graph, q, k, v, mask, scale, TRUE);
  return oxp_block_merge_heads (graph, ctx, n_heads, head_dim);
}

typedef struct
{
  const char *seqlens_k;  /* int32 [batch]: total - 1 for every row */
  const char *total;      /* int32 scalar: the mask's width, past + seq */
  /* With a past, for ORT's kernel limit (batch 1 only when several new
   * tokens follow a past), the extra query rows: past when batch > 1,
   * seq > 1 and past > 0, else 0; as [1], and what stays of the past. */
  const char *pad_rows;
  const char *keep_past;
  const char *pads_bsd; /* Pad's pads for [batch, seq, d]: pad_rows before seq */
  const char *pads_mask;
} GqaInputs;

/* GroupQueryAttention's inputs, made once per graph.  Every row is
 * described as total tokens long (seqlens_k = total - 1): the kernel's
 * causal masking is then that of the plain mask, and the padding is left
 * to attention_bias, the plain additive mask itself.  A query whose keys
 * up to its position are all masked (a left pad) sees, in the plain form,
 * every key at finfo.min, that is the mean of all the values; the kernel
 * gives the mean of the causal ones, so those queries are marked here. */
static const GqaInputs *
gqa_inputs (OxpGraph *graph, const CausalSource *src)
{
  static const gint64 first[] = { 0 };
  g_autofree char *key = g_strconcat (GQA_INPUTS_KEY, src->attention_mask, NULL);
  GqaInputs *in = g_object_get_data (G_OBJECT (graph), key);
  const char *mask = src->attention_mask, *seq, *total, *ones;

  if (in != NULL)
    return in;
  in = g_new0 (GqaInputs, 1);
  oxp_graph_push_scope (graph, "gqa_inputs");
  seq = _oxp_blocks_dim_of (graph, src->query_ids, 1);
  total = _oxp_blocks_dim_of (graph, mask, 1);
  in->total = _oxp_blocks_cast (graph, total, OXP_DATA_TYPE_INT32);
  /* seqlens_k: total - 1 in each row (Expand of the scalar to [batch]). */
  ones = oxp_graph_op (graph, "Sub", total, oxp_graph_add_constant_int64 (graph, "one", 1), NULL);
  ones = oxp_graph_op (graph, "Expand", ones,
                       _oxp_blocks_unsqueeze (graph, _oxp_blocks_dim_of (graph, mask, 0), first,
                                              1),
                       NULL);
  in->seqlens_k = _oxp_blocks_cast (graph, ones, OXP_DATA_TYPE_INT32);
  {
    static const gint64 zeros[] = { 0, 0, 0, 0 };
    const char *one = oxp_graph_add_constant_int64 (graph, "one", 1), *past, *split, *z1, *z2, *z3;

    past = oxp_graph_op (graph, "Sub", total, seq, NULL);
    split = oxp_graph_op (
        graph, "And",
        oxp_graph_op (graph, "Greater", seq, one, NULL),
        oxp_graph_op (graph, "And",
                      oxp_graph_op (graph, "Greater", _oxp_blocks_dim_of (graph, mask, 0), one, NULL),
                      oxp_graph_op (graph, "Greater", past,
                                    oxp_graph_add_constant_int64 (graph, "zero", 0), NULL),
                      NULL),
        NULL);
    in->pad_rows = oxp_graph_op (graph, "Mul", _oxp_blocks_cast (graph, split, OXP_DATA_TYPE_INT64),
                                 past, NULL);
    in->keep_past = _oxp_blocks_unsqueeze (
        graph, oxp_graph_op (graph, "Sub", past, in->pad_rows, NULL), first, 1);
    in->pad_rows = _oxp_blocks_unsqueeze (graph, in->pad_rows, first, 1);
    z1 = oxp_graph_add_constant_int64s (graph, "zeros", zeros, 1);
    z2 = oxp_graph_add_constant_int64s (graph, "zeros", zeros, 2);
    z3 = oxp_graph_add_constant_int64s (graph, "zeros", zeros, 3);
    in->pads_bsd = oxp_graph_op (graph, "Concat", z1, in->pad_rows, z3, z1, NULL);
    _oxp_blocks_set_int (graph, "axis", 0);
    in->pads_mask = oxp_graph_op (graph, "Concat", z2, in->pad_rows, z3, z2, NULL);
    _oxp_blocks_set_int (graph, "axis", 0);
  }
  oxp_graph_pop_scope (graph);
  g_object_set_data_full (G_OBJECT (graph), key, in, g_free);
  return in;
}

/* The queries that @src's mask leaves no key, bool [batch, seq, 1]: no
 * valid key in (p - window, p] for the query at p = total - seq + i, the
 * count being cumsum(mask)[p] - cumsum(mask)[p - window] (the second term
 * only with a window); once per causal mask. */
static const char *
gqa_no_keys (OxpGraph *graph, CausalSource *src)
{
  static const gint64 axis[] = { 1 };
  static const gint64 last[] = { 2 };
  static const gint64 to_end = G_MAXINT64;
  const char *mask = src->attention_mask, *seen, *start, *total;

  if (src->no_keys != NULL)
    return src->no_keys;
  oxp_graph_push_scope (graph, "gqa_no_keys");
  total = _oxp_blocks_dim_of (graph, mask, 1);
  seen = oxp_graph_op (graph, "CumSum", mask, oxp_graph_add_constant_int64 (graph, "axis", 1),
                       NULL);
  if (src->window > 0)
    {
      /* cumsum shifted right by window, zeros coming in. */
      const gint64 pads[] = { 0, src->window, 0, 0 };
      static const gint64 zero = 0;
      const char *shifted;

      shifted = oxp_graph_op (graph, "Pad", seen,
                              oxp_graph_add_constant_int64s (graph, "pads", pads, 4), NULL);
      shifted = oxp_graph_op (
          graph, "Slice", shifted, oxp_graph_add_constant_int64s (graph, "starts", &zero, 1),
          _oxp_blocks_unsqueeze (graph, total, &zero, 1),
          oxp_graph_add_constant_int64s (graph, "axes", axis, 1), NULL);
      seen = oxp_graph_op (graph, "Sub", seen, shifted, NULL);
    }
  start = oxp_graph_op (graph, "Sub", total, _oxp_blocks_dim_of (graph, src->query_ids, 1), NULL);
  start = _oxp_blocks_unsqueeze (graph, start, (const gint64[]){ 0 }, 1);
  seen = oxp_graph_op (graph, "Slice", seen, start,
                       oxp_graph_add_constant_int64s (graph, "ends", &to_end, 1),
                       oxp_graph_add_constant_int64s (graph, "axes", axis, 1), NULL);
  seen = oxp_graph_op (graph, "Equal", seen, oxp_graph_add_constant_int64 (graph, "zero", 0), NULL);
  src->no_keys = _oxp_blocks_unsqueeze (graph, seen, last, 1);
  oxp_graph_pop_scope (graph);
  return src->no_keys;
}

/* A rotary table [batch|1, 1, seq, rot] as [batch|1, seq, 1, rot], for
 * heads laid out [batch, seq, heads, head_dim]; once per graph. */
static const char *
bsnh_table (OxpGraph *graph, const char *table)
{
  static const gint64 perm[] = { 0, 2, 1, 3 };
  g_autofree char *key = g_strconcat (BSNH_KEY, table, NULL);
  const char *t = g_object_get_data (G_OBJECT (graph), key);

  if (t == NULL)
    {
      t = _oxp_blocks_transpose (graph, table, perm, 4);
      g_object_set_data (G_OBJECT (graph), key, (gpointer)t);
    }
  return t;
}

/* oxp_block_rotary() on [batch, seq, @n_heads · @head_dim] without moving
 * the heads: the same arithmetic on a [batch, seq, heads, head_dim] view. */
static const char *
rotary_packed (OxpGraph *graph, const char *x, const char *cos, const char *sin, gint64 rotary_dim,
               gint64 n_heads, gint64 head_dim)
{
  const gint64 split[] = { 0, 0, n_heads, head_dim };
  const gint64 merge[] = { 0, 0, n_heads * head_dim };
  const char *r;

  r = oxp_graph_op (graph, "Reshape", x, oxp_graph_add_constant_int64s (graph, "shape", split, 4),
                    NULL);
  r = oxp_block_rotary (graph, r, cos, sin, rotary_dim, head_dim);
  return oxp_graph_op (graph, "Reshape", r,
                       oxp_graph_add_constant_int64s (graph, "shape", merge, 3), NULL);
}

typedef struct
{
  const char *position_ids; /* int64 [batch, seq], rows of the caches */
  const char *cos_cache;    /* [rows, rotary_dim / 2] */
  const char *sin_cache;
} RopeCaches;

/* RotaryEmbedding's inputs for the tables @cos and @sin [tb, 1, seq,
 * rotary_dim] (tb: batch or 1), made once per graph and table: their
 * first halves (the second repeats it) as [tb · seq, rotary_dim / 2], the
 * row of token (b, s) being b · seq + s (s when tb = 1).  The values are
 * the tables' own, for every rope variant and any position_ids, and the
 * caches have at least seq rows, as the kernel needs. */
static const RopeCaches *
rope_caches (OxpGraph *graph, const char *cos, const char *sin, gint64 rotary_dim,
             const char *query)
{
  static const gint64 first[] = { 0 };
  const gint64 flat[] = { -1, rotary_dim / 2 };
  g_autofree char *key = g_strconcat (ROPE_CACHES_KEY, cos, NULL);
  RopeCaches *rc = g_object_get_data (G_OBJECT (graph), key);
  const char *tb, *seq, *ids, *shape, *c_flat;

  if (rc != NULL)
    return rc;
  rc = g_new0 (RopeCaches, 1);
  oxp_graph_push_scope (graph, "rotary_caches");
  c_flat = oxp_graph_add_constant_int64s (graph, "shape", flat, 2);
  rc->cos_cache = oxp_graph_op (
      graph, "Reshape", _oxp_blocks_slice_last (graph, cos, 3, 0, rotary_dim / 2), c_flat, NULL);
  rc->sin_cache = oxp_graph_op (
      graph, "Reshape", _oxp_blocks_slice_last (graph, sin, 3, 0, rotary_dim / 2), c_flat, NULL);
  tb = _oxp_blocks_unsqueeze (graph, _oxp_blocks_dim_of (graph, cos, 0), first, 1);
  seq = _oxp_blocks_unsqueeze (graph, _oxp_blocks_dim_of (graph, cos, 2), first, 1);
  shape = oxp_graph_op (graph, "Concat", tb, seq, NULL);
  _oxp_blocks_set_int (graph, "axis", 0);
  ids = oxp_graph_op (graph, "Range", oxp_graph_add_constant_int64 (graph, "zero", 0),
                      oxp_graph_op (graph, "Mul", _oxp_blocks_dim_of (graph, cos, 0),
                                    _oxp_blocks_dim_of (graph, cos, 2), NULL),
                      oxp_graph_add_constant_int64 (graph, "one", 1), NULL);
  ids = oxp_graph_op (graph, "Reshape", ids, shape, NULL);
  /* [tb, seq] → [batch, seq], as the kernel checks. */
  shape = oxp_graph_op (
      graph, "Concat",
      _oxp_blocks_unsqueeze (graph, _oxp_blocks_dim_of (graph, query, 0), first, 1), seq, NULL);
  _oxp_blocks_set_int (graph, "axis", 0);
  rc->position_ids = oxp_graph_op (graph, "Expand", ids, shape, NULL);
  oxp_graph_pop_scope (graph);
  g_object_set_data_full (G_OBJECT (graph), key, rc, g_free);
  return rc;
}

/* One com.microsoft RotaryEmbedding on [batch, seq, @n_heads · @head_dim]
 * (rotate-half layout, the first @rotary_dim channels of each head). */
static const char *
rotary_fused (OxpGraph *graph, const RopeCaches *rc, const char *x, gint64 rotary_dim,
              gint64 n_heads)
{
  const char *inputs[4] = { x, rc->position_ids, rc->cos_cache, rc->sin_cache };
  OxpNode *node = oxp_graph_add_node (graph, "RotaryEmbedding", inputs, 4, 1);

  oxp_node_set_domain (node, "com.microsoft");
  oxp_node_set_attr_int (node, "interleaved", 0);
  oxp_node_set_attr_int (node, "num_heads", n_heads);
  oxp_node_set_attr_int (node, "rotary_embedding_dim", rotary_dim);
  return oxp_node_get_output (node, 0);
}

/* The mean of @values [batch, kv_heads, total, head_dim] over the keys,
 * for every query head: [batch, 1, @n_heads · @head_dim]. */
static const char *
mean_values (OxpGraph *graph, const char *values, gint64 n_heads, gint64 n_kv_heads,
             gint64 head_dim)
{
  static const gint64 keys[] = { 2 };
  const gint64 merged[] = { 0, 1, n_heads * head_dim };
  const char *m;

  if (oxp_graph_get_opset (graph) >= 18)
    m = oxp_graph_op (graph, "ReduceMean", values,
                      oxp_graph_add_constant_int64s (graph, "axes", keys, 1), NULL);
  else
    {
      m = oxp_graph_op (graph, "ReduceMean", values, NULL);
      _oxp_blocks_set_ints (graph, "axes", keys, 1);
    }
  _oxp_blocks_set_int (graph, "keepdims", 1);
  if (n_heads != n_kv_heads)
    {
      /* [batch, kv, 1, 1, head_dim] → [batch, kv, group, 1, head_dim]:
       * query head h reads key/value head h / group, as repeat_kv. */
      const gint64 group[] = { 1, 1, n_heads / n_kv_heads, 1, 1 };

      m = _oxp_blocks_unsqueeze (graph, m, keys, 1);
      m = oxp_graph_op (graph, "Expand", m, oxp_graph_add_constant_int64s (graph, "group", group, 5),
                        NULL);
    }
  return oxp_graph_op (graph, "Reshape", m,
                       oxp_graph_add_constant_int64s (graph, "shape", merged, 3), NULL);
}

/* With a window, local_window_size = window: ORT 1.30's CPU kernel then
 * keeps at least the mask's keys p - window < j <= p (window - 1 drops
 * the oldest of them: test-llama.sh's window cases fail), and
 * attention_bias, the window mask itself, hides any older one. */
static OxpNode *
gqa_node (OxpGraph *graph, const char *const *inputs, gint64 n_heads, gint64 n_kv_heads,
          double scale, gint64 window)
{
  OxpNode *node = oxp_graph_add_node (graph, "GroupQueryAttention", inputs, 11, 3);

  oxp_node_set_domain (node, "com.microsoft");
  oxp_node_set_attr_int (node, "num_heads", n_heads);
  oxp_node_set_attr_int (node, "kv_num_heads", n_kv_heads);
  oxp_node_set_attr_float (node, "scale", (float)scale);
  if (window > 0)
    oxp_node_set_attr_int (node, "local_window_size", window);
  return node;
}

/* @mask [batch, 1, seq, total] with the extra query rows before; once per
 * graph and mask. */
static const char *
padded_bias (OxpGraph *graph, const GqaInputs *in, const char *mask)
{
  g_autofree char *key = g_strconcat (PADDED_BIAS_KEY, mask, NULL);
  const char *b = g_object_get_data (G_OBJECT (graph), key);

  if (b == NULL)
    {
      b = oxp_graph_op (graph, "Pad", mask, in->pads_mask, NULL);
      g_object_set_data (G_OBJECT (graph), key, (gpointer)b);
    }
  return b;
}

/* Optimize level 2: one com.microsoft GroupQueryAttention, exact for any
 * attention_mask.  Every row is given as total tokens long, so the
 * kernel's causal masking is the plain one, and @mask (causal and padding,
 * finfo.min where hidden) goes in as attention_bias: a hidden key then
 * weighs exp(finfo.min - max) = 0, as in the plain softmax.  The queries
 * with no visible key at all (left pads) are given the plain form's result,
 * the mean of every value.  The rotary of tables from
 * oxp_block_rotary_cos_sin_scaled() is two com.microsoft RotaryEmbedding
 * reading those tables (rope_caches()); that of other tables, the plain
 * arithmetic. */
static const char *
gqa_cached_attention (OxpGraph *graph, const CausalSource *src, const char *query, const char *key,
                      const char *value, const char *past_key, const char *past_value,
                      const char *cos, const char *sin, gint64 rotary_dim, gint64 n_heads,
                      gint64 n_kv_heads, gint64 head_dim, double scale, const char *mask,
                      const char **present_key, const char **present_value)
{
  const GqaInputs *in = gqa_inputs (graph, src);
  const char *q = query, *k = key, *out, *pv;
  gboolean fused_rope = FALSE;
  OxpNode *node;

  /* RotaryEmbedding's CPU kernel is float32 only. */
  if (cos != NULL && oxp_graph_get_float_type (graph) == OXP_DATA_TYPE_FLOAT)
    {
      g_autofree char *rope_key = g_strconcat (ROPE_TABLE_KEY, cos, NULL);
      fused_rope = g_object_get_data (G_OBJECT (graph), rope_key) != NULL;
    }

  oxp_graph_push_scope (graph, "gqa");
  if (fused_rope)
    {
      const RopeCaches *rc = rope_caches (graph, cos, sin, rotary_dim, query);

      q = rotary_fused (graph, rc, query, rotary_dim, n_heads);
      k = rotary_fused (graph, rc, key, rotary_dim, n_kv_heads);
    }
  else if (cos != NULL)
    {
      const char *cos_bsnh = bsnh_table (graph, cos), *sin_bsnh = bsnh_table (graph, sin);

      q = rotary_packed (graph, query, cos_bsnh, sin_bsnh, rotary_dim, n_heads, head_dim);
      k = rotary_packed (graph, key, cos_bsnh, sin_bsnh, rotary_dim, n_kv_heads, head_dim);
    }
  if (past_key != NULL)
    {
      /* The kernel's limit: the past's tail (pad_rows of it, all or
       * nothing) moves to this step's keys and values, and as many zero
       * query rows go before the queries, dropped from the output. */
      static const gint64 zero = 0, seq_axis = 1, past_axis = 2, end = G_MAXINT64;
      static const gint64 perm[] = { 0, 2, 1, 3 };
      const gint64 merge[] = { 0, 0, n_kv_heads * head_dim };
      const char *c_zero = oxp_graph_add_constant_int64s (graph, "zero", &zero, 1);
      const char *c_end = oxp_graph_add_constant_int64s (graph, "end", &end, 1);
      const char *c_past = oxp_graph_add_constant_int64s (graph, "axis", &past_axis, 1);
      const char *c_merge = oxp_graph_add_constant_int64s (graph, "shape", merge, 3);
      const char *pasts[2] = { past_key, past_value }, *news[2] = { k, value };
      const char *c_seq = oxp_graph_add_constant_int64s (graph, "axis", &seq_axis, 1);

      for (guint i = 0; i < 2; i++)
        {
          const char *tail = oxp_graph_op (graph, "Slice", pasts[i], in->keep_past, c_end,
                                           c_past, NULL);
          tail = _oxp_blocks_transpose (graph, tail, perm, 4);
          tail = oxp_graph_op (graph, "Reshape", tail, c_merge, NULL);
          news[i] = oxp_graph_op (graph, "Concat", tail, news[i], NULL);
          _oxp_blocks_set_int (graph, "axis", 1);
          pasts[i] = oxp_graph_op (graph, "Slice", pasts[i], c_zero, in->keep_past, c_past, NULL);
        }
      q = oxp_graph_op (graph, "Pad", q, in->pads_bsd, NULL);
      mask = padded_bias (graph, in, mask);
      {
        const char *inputs[11] = { q, news[0], news[1], pasts[0], pasts[1], in->seqlens_k,
                                   in->total, "", "", "", mask };

        node = gqa_node (graph, inputs, n_heads, n_kv_heads, scale, src->window);
      }
      out = oxp_graph_op (graph, "Slice", oxp_node_get_output (node, 0), in->pad_rows, c_end,
                          c_seq, NULL);
    }
  else
    {
      const char *inputs[11] = { q, k, value, "", "", in->seqlens_k, in->total, "", "", "", mask };

      node = gqa_node (graph, inputs, n_heads, n_kv_heads, scale, src->window);
      out = oxp_node_get_output (node, 0);
    }
  pv = oxp_node_get_output (node, 2);
  out = oxp_graph_op (graph, "Where", gqa_no_keys (graph, (CausalSource *)src),
                      mean_values (graph, pv, n_heads, n_kv_heads, head_dim), out, NULL);
  oxp_graph_pop_scope (graph);
  if (present_key != NULL)
    *present_key = oxp_node_get_output (node, 1);
  if (present_value != NULL)
    *present_value = pv;
  return out;
}

/**
 * oxp_block_cached_self_attention:
 * @graph: the graph to add nodes to
 * @query: projected queries [batch, seq, @n_heads · @head_dim]
 * @key: projected keys [batch, seq, @n_kv_heads · @head_dim]
 * @value: projected values, same shape as @key
 * @past_key: (nullable): cached keys [batch, @n_kv_heads, past, @head_dim], or NULL
 * @past_value: (nullable): cached values, same shape, or NULL
 * @cos: (nullable): rotary cosines from oxp_block_rotary_cos_sin_scaled(), or NULL for none
 * @sin: (nullable): rotary sines, or NULL
 * @rotary_dim: the rotated channels of each head (with @cos)
 * @n_heads: query heads
 * @n_kv_heads: key/value heads (a divisor of @n_heads; grouped-query attention when fewer)
 * @head_dim: size of one head
 * @scale: the factor of Q·Kᵀ
 * @mask: (nullable): additive mask broadcastable to [batch, n_heads, seq, past + seq]
 * @present_key: (out) (transfer none) (optional): the keys to cache,
 *   [batch, @n_kv_heads, past + seq, @head_dim] (rotated, after the past)
 * @present_value: (out) (transfer none) (optional): the values to cache
 *
 * A decoder's self-attention after its projections: heads split, rotary on
 * queries and keys, the past concatenated before this step's keys and
 * values (what is returned as present), key/value heads repeated for the
 * query heads, softmax(@scale · Q·Kᵀ + @mask) · V (the softmax in float32
 * whatever the graph's float type, as transformers' decoders do), heads
 * merged.
 *
 * From optimize level 2 (float32 graphs, @head_dim a multiple of 8), when
 * @mask is an oxp_block_causal_attention_mask() or
 * oxp_block_sliding_window_mask() of an attention_mask, this is one
 * com.microsoft GroupQueryAttention (seqlens_k and total_sequence_length
 * computed from the mask, @mask as its attention_bias, local_window_size
 * for a window), with the same result as the form above for every mask,
 * left padding included, and no `If`; with tables from
 * oxp_block_rotary_cos_sin_scaled(), the rotary on queries and keys is then
 * two com.microsoft RotaryEmbedding reading the tables themselves.
 *
 * Returns: (transfer none): the attention output [batch, seq, @n_heads · @head_dim]
 */
const char *
oxp_block_cached_self_attention (OxpGraph *graph, const char *query, const char *key,
                                 const char *value, const char *past_key, const char *past_value,
                                 const char *cos, const char *sin, gint64 rotary_dim,
                                 gint64 n_heads, gint64 n_kv_heads, gint64 head_dim, double scale,
                                 const char *mask, const char **present_key,
                                 const char **present_value)
{
  const CausalSource *src = NULL;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query != NULL && key != NULL && value != NULL, NULL);
  g_return_val_if_fail ((past_key == NULL) == (past_value == NULL), NULL);
  g_return_val_if_fail ((cos == NULL) == (sin == NULL), NULL);
  g_return_val_if_fail (n_heads > 0 && n_kv_heads > 0 && n_heads % n_kv_heads == 0, NULL);

  /* ORT's GroupQueryAttention kernels take head sizes in multiples of 8. */
  if (mask != NULL && _oxp_blocks_fused_ok (graph) && head_dim % 8 == 0)
    {
      g_autofree char *key_name = g_strconcat (CAUSAL_SOURCE_KEY, mask, NULL);
      src = g_object_get_data (G_OBJECT (graph), key_name);
    }
  if (src != NULL)
    return gqa_cached_attention (graph, src, query, key, value, past_key, past_value, cos, sin,
                                 rotary_dim, n_heads, n_kv_heads, head_dim, scale, mask,
                                 present_key, present_value);
  return plain_cached_attention (graph, query, key, value, past_key, past_value, cos, sin,
                                 rotary_dim, n_heads, n_kv_heads, head_dim, scale, mask,
                                 present_key, present_value);
}
