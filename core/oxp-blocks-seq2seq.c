/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks of encoder-decoder models: T5's relative position
 * buckets and bias, the decoder's causal mask over a cache, and
 * cross-attention keys/values taken from the encoder past when there is one. */
#include "config.h"

#include <math.h>

#include <oxport/oxport.h>

#include "oxp-blocks-private.h"

static void
set_int (OxpGraph *graph, const char *name, gint64 value)
{
  oxp_node_set_attr_int (oxp_graph_get_last_node (graph), name, value);
}

static const char *
unsqueeze (OxpGraph *graph, const char *x, const gint64 *axes, gsize n)
{
  return oxp_graph_op (graph, "Unsqueeze", x,
                       oxp_graph_add_constant_int64s (graph, "axes", axes, n), NULL);
}

/* torch.finfo(dtype).min of the graph's float type (as oxp-blocks.c). */
static double
mask_min (OxpGraph *graph)
{
  switch (oxp_graph_get_float_type (graph))
    {
    case OXP_DATA_TYPE_FLOAT16:
      return -65504.0;
    case OXP_DATA_TYPE_BFLOAT16:
      return -3.3895313892515355e38;
    default:
      return -3.4028234663852886e38;
    }
}

/**
 * oxp_block_axis_length:
 * @graph: the graph to add nodes to
 * @x: any value
 * @axis: an axis of @x
 *
 * The length of one axis of a value as a graph-computed int64 scalar (Shape,
 * Gather): the past length of a cache input is axis 2.
 *
 * Returns: (transfer none): an int64 scalar, the length of @axis
 */
const char *
oxp_block_axis_length (OxpGraph *graph, const char *x, gint64 axis)
{
  const char *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);

  out = oxp_graph_op (graph, "Gather", oxp_graph_op (graph, "Shape", x, NULL),
                      oxp_graph_add_constant_int64 (graph, "axis", axis), NULL);
  set_int (graph, "axis", 0);
  return out;
}

/* Query positions [q, 1] (past + arange(q)) and key positions [kv]. */
static void
positions (OxpGraph *graph, const char *query_ids, const char *past_length, const char **rows,
           const char **keys)
{
  static const gint64 col[] = { 1 };
  const char *zero = oxp_graph_add_constant_int64 (graph, "zero", 0);
  const char *one = oxp_graph_add_constant_int64 (graph, "one", 1);
  const char *q = oxp_block_axis_length (graph, query_ids, 1);
  const char *kv = past_length ? oxp_graph_op (graph, "Add", past_length, q, NULL) : q;
  const char *r = oxp_graph_op (graph, "Range", zero, q, one, NULL);

  if (past_length != NULL)
    r = oxp_graph_op (graph, "Add", r, past_length, NULL);
  *rows = unsqueeze (graph, r, col, 1);
  *keys = oxp_graph_op (graph, "Range", zero, kv, one, NULL);
}

/* transformers' T5Attention._relative_position_bucket for one relative
 * position, in its float32 arithmetic. */
static gint64
relative_bucket (gint64 relative, gboolean bidirectional, gint64 num_buckets, gint64 max_distance)
{
  gint64 bucket = 0, max_exact;

  if (bidirectional)
    {
      num_buckets /= 2;
      if (relative > 0)
        bucket += num_buckets;
      relative = relative < 0 ? -relative : relative;
    }
  else
    relative = relative < 0 ? -relative : 0;
  max_exact = num_buckets / 2;
  if (relative < max_exact)
    return bucket + relative;
  {
    float ratio = logf ((float)relative / (float)max_exact);
    float scaled = ratio / (float)log ((double)max_distance / (double)max_exact)
                   * (float)(num_buckets - max_exact);
    gint64 large = max_exact + (gint64)scaled;
    return bucket + MIN (large, num_buckets - 1);
  }
}

/**
 * oxp_block_relative_position_buckets:
 * @graph: the graph to add nodes to
 * @query_ids: a value whose axis 1 is the query sequence
 * @past_length: (nullable): int64 scalar, the cached length before the queries
 * @bidirectional: the encoder's buckets (TRUE) or the decoder's causal ones
 * @num_buckets: relative_attention_num_buckets (> 0; even when bidirectional)
 * @max_distance: relative_attention_max_distance (> 0)
 * @error: return location for a #GError
 *
 * T5's _relative_position_bucket of (key − query) for queries at positions
 * past_length + arange(q) and keys arange(past_length + q): bidirectional
 * (encoder) or causal (decoder), @num_buckets buckets, logarithmic up to the
 * distance @max_distance.  The buckets are a constant table of the clamped
 * relative position, computed in float32 as transformers does, so bucket
 * edges match exactly.
 *
 * Returns: (transfer none) (nullable): int64 [q, past + q]
 */
const char *
oxp_block_relative_position_buckets (OxpGraph *graph, const char *query_ids,
                                     const char *past_length, gboolean bidirectional,
                                     gint64 num_buckets, gint64 max_distance, GError **error)
{
  g_autoptr (OxpTensor) table = NULL;
  gint64 size, *data;
  const char *rows, *keys, *relative;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query_ids != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Below 2 (bidirectional: 4) buckets, max_exact is 0 and transformers
   * divides by it. */
  if (num_buckets < (bidirectional ? 4 : 2) || max_distance <= 0 || max_distance > (1 << 20))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "relative position buckets: %" G_GINT64_FORMAT
                   " buckets up to distance %" G_GINT64_FORMAT
                   " cannot be computed (need at least %d buckets and a distance "
                   "in 1…%d)",
                   num_buckets, max_distance, bidirectional ? 4 : 2, 1 << 20);
      return NULL;
    }

  /* Every distance at or beyond max_distance falls in the last bucket of
   * its side: a table over [-max_distance, max_distance] is exact. */
  size = 2 * max_distance + 1;
  table = oxp_tensor_new ("relative_buckets", OXP_DATA_TYPE_INT64, &size, 1);
  data = oxp_tensor_get_mutable_data (table);
  for (gint64 r = -max_distance; r <= max_distance; r++)
    data[r + max_distance] = relative_bucket (r, bidirectional, num_buckets, max_distance);

  positions (graph, query_ids, past_length, &rows, &keys);
  relative = oxp_graph_op (graph, "Sub", keys, rows, NULL);
  relative = oxp_graph_op (
      graph, "Min",
      oxp_graph_op (graph, "Max", relative,
                    oxp_graph_add_constant_int64 (graph, "min_distance", -max_distance), NULL),
      oxp_graph_add_constant_int64 (graph, "max_distance", max_distance), NULL);
  relative = oxp_graph_op (graph, "Add", relative,
                           oxp_graph_add_constant_int64 (graph, "offset", max_distance), NULL);
  return oxp_graph_op (graph, "Gather", oxp_graph_add_constant (graph, "relative_buckets", table),
                       relative, NULL);
}

/**
 * oxp_block_relative_position_bias:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding @weight
 * @weight: the bias table [@num_buckets, @n_heads]
 * @query_ids: a value whose axis 1 is the query sequence
 * @past_length: (nullable): int64 scalar, the cached length before the queries
 * @n_heads: number of heads
 * @bidirectional: encoder (TRUE) or causal decoder buckets
 * @num_buckets: relative_attention_num_buckets
 * @max_distance: relative_attention_max_distance
 * @error: return location for a #GError
 *
 * T5's relative position bias: the rows of @weight (a checkpoint tensor,
 * relative_attention_bias.weight) at the buckets of
 * oxp_block_relative_position_buckets(), heads first, ready to add to the
 * attention scores.
 *
 * Returns: (transfer none) (nullable): float [1, @n_heads, q, past + q]
 */
const char *
oxp_block_relative_position_bias (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *weight,
                                  const char *query_ids, const char *past_length, gint64 n_heads,
                                  gboolean bidirectional, gint64 num_buckets, gint64 max_distance,
                                  GError **error)
{
  static const gint64 perm[] = { 2, 0, 1 };
  static const gint64 lead[] = { 0 };
  const char *buckets, *values;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (weight != NULL && query_ids != NULL, NULL);

  buckets = oxp_block_relative_position_buckets (graph, query_ids, past_length, bidirectional,
                                                 num_buckets, max_distance, error);
  if (buckets == NULL)
    return NULL;
  values = oxp_block_embedding (graph, checkpoint, buckets, weight, num_buckets, n_heads, error);
  if (values == NULL)
    return NULL;
  values = oxp_graph_op (graph, "Transpose", values, NULL);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (graph), "perm", perm, 3);
  return unsqueeze (graph, values, lead, 1);
}

/**
 * oxp_block_causal_mask_with_past:
 * @graph: the graph to add nodes to
 * @query_ids: a value whose axis 1 is the query sequence
 * @past_length: (nullable): int64 scalar, the cached length before the queries
 *
 * The additive causal mask of a decoder without a decoder attention mask:
 * 0 where key j ≤ past_length + i, else the float type's most negative
 * finite value (transformers' finfo.min).  The queries are the tokens of the
 * value @query_ids at positions past_length + arange(q).
 *
 * Returns: (transfer none): float [1, 1, q, past + q]
 */
const char *
oxp_block_causal_mask_with_past (OxpGraph *graph, const char *query_ids, const char *past_length)
{
  static const gint64 lead[] = { 0, 1 };
  const char *rows, *keys, *future;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query_ids != NULL, NULL);

  positions (graph, query_ids, past_length, &rows, &keys);
  future = oxp_graph_op (graph, "Greater", keys, rows, NULL);
  return unsqueeze (
      graph,
      oxp_graph_op (graph, "Where", future,
                    oxp_graph_add_constant_float (graph, "mask_min", mask_min (graph)),
                    oxp_graph_add_constant_float (graph, "zero", 0.0), NULL),
      lead, 2);
}

/**
 * oxp_block_cross_attention_kv:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the projections
 * @encoder_hidden_states: (nullable): [batch, enc, @hidden]; needed without a past
 * @past_key: (nullable): the cached keys [batch, @n_heads, enc, @head_dim]
 * @past_value: (nullable): the cached values
 * @key_prefix: the key projection ("<prefix>.weight", "<prefix>.bias")
 * @value_prefix: the value projection
 * @hidden: the encoder's hidden size
 * @n_heads: number of heads
 * @head_dim: size of one head
 * @flags: how the projections are stored (T5: %OXP_LINEAR_NO_BIAS)
 * @key_out: (out) (transfer none): the keys
 * @value_out: (out) (transfer none): the values
 * @error: return location for a #GError
 *
 * Cross-attention keys and values [batch, @n_heads, enc, @head_dim]: the
 * cached @past_key and @past_value when both are given (a decoder with past
 * never recomputes them), else the projections @key_prefix and @value_prefix
 * (linear [@hidden → @n_heads·@head_dim], @flags) of @encoder_hidden_states,
 * split into heads.
 *
 * Returns: whether the keys and values were built
 */
gboolean
oxp_block_cross_attention_kv (OxpGraph *graph, OxpCheckpoint *checkpoint,
                              const char *encoder_hidden_states, const char *past_key,
                              const char *past_value, const char *key_prefix,
                              const char *value_prefix, gint64 hidden, gint64 n_heads,
                              gint64 head_dim, OxpLinearFlags flags, const char **key_out,
                              const char **value_out, GError **error)
{
  const char *k, *v;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (key_out != NULL && value_out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (past_key != NULL && past_value != NULL)
    {
      *key_out = past_key;
      *value_out = past_value;
      return TRUE;
    }
  g_return_val_if_fail (encoder_hidden_states != NULL, FALSE);
  k = oxp_block_linear (graph, checkpoint, encoder_hidden_states, key_prefix, hidden,
                        n_heads * head_dim, flags, error);
  if (k == NULL)
    return FALSE;
  v = oxp_block_linear (graph, checkpoint, encoder_hidden_states, value_prefix, hidden,
                        n_heads * head_dim, flags, error);
  if (v == NULL)
    return FALSE;
  *key_out = oxp_block_split_heads (graph, k, n_heads, head_dim);
  *value_out = oxp_block_split_heads (graph, v, n_heads, head_dim);
  return TRUE;
}

/**
 * oxp_block_attention_merged:
 * @graph: the graph to add nodes to
 * @query: [batch, @n_heads, q, @head_dim]
 * @key: [batch, @n_heads, kv, @head_dim] (with any past already concatenated,
 *   or the cached, already projected cross-attention keys)
 * @value: as @key
 * @mask: (nullable): an additive bias broadcastable to [batch, @n_heads, q, kv]
 *   (padding, causal, T5's position bias)
 * @scale: the scores' scale (T5: 1.0)
 * @n_heads: number of heads
 * @head_dim: size of one head
 *
 * softmax(@scale · Q·Kᵀ + @mask)·V with its heads merged: [batch, q,
 * @n_heads·@head_dim].  At optimize level 2 and up one com.microsoft
 * MultiHeadAttention taking the 4-D keys and values as they are (so cached
 * cross-attention keys are not projected again) and @mask expanded to
 * [.., q, kv] as its attention_bias (ORT wants the query axis spelled out);
 * below that, oxp_block_attention() and oxp_block_merge_heads(), node for
 * node what plain exports always had.
 *
 * Returns: (transfer none): the merged context (owned by @graph)
 */
const char *
oxp_block_attention_merged (OxpGraph *graph, const char *query, const char *key, const char *value,
                            const char *mask, double scale, gint64 n_heads, gint64 head_dim)
{
  static const gint64 lead[] = { 1, 1 };
  const char *inputs[6];
  OxpNode *node;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query != NULL && key != NULL && value != NULL, NULL);
  g_return_val_if_fail (n_heads > 0 && head_dim > 0, NULL);

  if (!_oxp_blocks_fused_ok (graph))
    return oxp_block_merge_heads (
        graph, oxp_block_attention (graph, query, key, value, mask, scale), n_heads, head_dim);

  inputs[0] = oxp_block_merge_heads (graph, query, n_heads, head_dim);
  inputs[1] = key;
  inputs[2] = value;
  inputs[3] = NULL; /* bias */
  inputs[4] = NULL; /* key_padding_mask */
  inputs[5] = NULL;
  if (mask != NULL)
    {
      /* [1, 1, q, kv]: Expand broadcasts a [batch, 1, 1, kv] padding mask
       * up to the [batch|1, heads|1, q, kv] attention_bias ORT checks. */
      const char *qk = oxp_graph_op (
          graph, "Concat", oxp_graph_add_constant_int64s (graph, "ones", lead, 2),
          unsqueeze (graph, oxp_block_axis_length (graph, query, 2), (const gint64[]){ 0 }, 1),
          unsqueeze (graph, oxp_block_axis_length (graph, key, 2), (const gint64[]){ 0 }, 1), NULL);
      set_int (graph, "axis", 0);
      inputs[5] = oxp_graph_op (graph, "Expand", mask, qk, NULL);
    }
  node = oxp_graph_add_node (graph, "MultiHeadAttention", inputs, mask != NULL ? 6 : 3, 1);
  oxp_node_set_domain (node, "com.microsoft");
  oxp_node_set_attr_int (node, "num_heads", n_heads);
  oxp_node_set_attr_float (node, "scale", (float)scale);
  return oxp_node_get_output (node, 0);
}

/**
 * oxp_block_attention_heads:
 * @graph: the graph to add nodes to
 * @x: a projection [batch, seq, @n_heads·@head_dim]
 * @n_heads: number of heads
 * @head_dim: size of one head
 *
 * A query, key or value projection in the form
 * oxp_block_self_attention_merged() takes it: below optimize level 2 split
 * into heads by oxp_block_split_heads() (the nodes plain exports always
 * had), from 2 on @x itself, since MultiHeadAttention splits its 3-D
 * inputs itself and takes a past only with 3-D keys and values.
 *
 * Returns: (transfer none): [batch, @n_heads, seq, @head_dim], or @x at
 *   optimize level 2 and up
 */
const char *
oxp_block_attention_heads (OxpGraph *graph, const char *x, gint64 n_heads, gint64 head_dim)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (n_heads > 0 && head_dim > 0, NULL);

  if (_oxp_blocks_fused_ok (graph))
    return x;
  return oxp_block_split_heads (graph, x, n_heads, head_dim);
}

/**
 * oxp_block_self_attention_merged:
 * @graph: the graph to add nodes to
 * @query: the queries, from oxp_block_attention_heads()
 * @key: the new tokens' keys, from oxp_block_attention_heads()
 * @value: the new tokens' values, as @key
 * @past_key: (nullable): the cached keys [batch, @n_heads, past, @head_dim]
 * @past_value: (nullable): the cached values, given with @past_key
 * @mask: (nullable): an additive bias broadcastable to [batch, @n_heads, q,
 *   past + q] whose query and key axes are spelled out (the causal mask of
 *   oxp_block_causal_mask_with_past(), T5's position bias added to it)
 * @scale: the scores' scale (T5: 1.0)
 * @n_heads: number of heads
 * @head_dim: size of one head
 * @present_key: (out) (optional) (transfer none): the keys with the past,
 *   [batch, @n_heads, past + q, @head_dim]; required with a past
 * @present_value: (out) (optional) (transfer none): the values with the past
 *
 * A decoder's self-attention over its cache: softmax(@scale · Q·Kᵀ +
 * @mask)·V of the past and new keys and values, heads merged to [batch, q,
 * @n_heads·@head_dim].  Below optimize level 2 the past is concatenated on
 * the sequence axis, and the result is oxp_block_attention_merged() of the
 * concatenation, node for node what plain exports always had.  From 2 on
 * it is one com.microsoft MultiHeadAttention with 3-D query, key and value,
 * @mask as its attention_bias, @past_key and @past_value as its past
 * inputs and the presents as its present_key / present_value outputs, so
 * no Concat of the cache is left outside the operator.
 *
 * Returns: (transfer none): the merged context (owned by @graph)
 */
const char *
oxp_block_self_attention_merged (OxpGraph *graph, const char *query, const char *key,
                                 const char *value, const char *past_key, const char *past_value,
                                 const char *mask, double scale, gint64 n_heads, gint64 head_dim,
                                 const char **present_key, const char **present_value)
{
  gboolean past = past_key != NULL;
  gboolean presents = present_key != NULL && present_value != NULL;
  const char *inputs[8];
  OxpNode *node;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query != NULL && key != NULL && value != NULL, NULL);
  g_return_val_if_fail ((past_key == NULL) == (past_value == NULL), NULL);
  g_return_val_if_fail ((present_key == NULL) == (present_value == NULL), NULL);
  g_return_val_if_fail (!past || presents, NULL);
  g_return_val_if_fail (n_heads > 0 && head_dim > 0, NULL);

  if (!_oxp_blocks_fused_ok (graph))
    {
      if (past)
        {
          key = oxp_block_concat_past (graph, past_key, key);
          value = oxp_block_concat_past (graph, past_value, value);
        }
      if (presents)
        {
          *present_key = key;
          *present_value = value;
        }
      return oxp_block_attention_merged (graph, query, key, value, mask, scale, n_heads, head_dim);
    }

  /* query, key, value, bias, key_padding_mask, attention_bias, past_key,
   * past_value: ORT's past is BNSH and takes 3-D keys and values only. */
  inputs[0] = query;
  inputs[1] = key;
  inputs[2] = value;
  inputs[3] = NULL;
  inputs[4] = NULL;
  inputs[5] = mask;
  inputs[6] = past_key;
  inputs[7] = past_value;
  node = oxp_graph_add_node (graph, "MultiHeadAttention", inputs,
                             past   ? 8
                             : mask ? 6
                                    : 3,
                             presents ? 3 : 1);
  oxp_node_set_domain (node, "com.microsoft");
  oxp_node_set_attr_int (node, "num_heads", n_heads);
  oxp_node_set_attr_float (node, "scale", (float)scale);
  if (presents)
    {
      *present_key = oxp_node_get_output (node, 1);
      *present_value = oxp_node_get_output (node, 2);
    }
  return oxp_node_get_output (node, 0);
}
