/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks for fused projections and sentence embeddings: the split
 * of a fused q/k/v projection, masked pooling over the sequence
 * (sentence-transformers' Pooling module) and L2 normalisation. */

#include "config.h"

#include <oxport/oxport.h>

#include "oxp-blocks-private.h"

/* Reduce @op over axis 1 without keeping it, in the operator form of the
 * graph's opset (axes became an input at opset 13 for ReduceSum, 18 for
 * the others). */
static const char *
reduce_axis1 (OxpGraph *graph, const char *op, const char *x)
{
  static const gint64 axis1[] = { 1 };
  gboolean axes_input = oxp_graph_get_opset (graph) >= (g_str_equal (op, "ReduceSum") ? 13 : 18);
  const char *out;

  if (axes_input)
    out = oxp_graph_op (graph, op, x, oxp_graph_add_constant_int64s (graph, "axes", axis1, 1),
                        NULL);
  else
    {
      out = oxp_graph_op (graph, op, x, NULL);
      _oxp_blocks_set_ints (graph, "axes", axis1, 1);
    }
  _oxp_blocks_set_int (graph, "keepdims", 0);
  return out;
}

/**
 * oxp_block_split:
 * @graph: the graph to add nodes to
 * @x: the value to split
 * @axis: the axis (negative counts from the end)
 * @sizes: (array length=n): the size of each part along @axis
 * @n: the number of parts (≥ 1)
 * @outputs: (out caller-allocates) (array length=n): receives the @n parts
 *
 * Splits @x into consecutive parts along @axis (an ONNX Split with the
 * sizes as an input), e.g. a fused q/k/v projection [batch, seq, 3·hidden]
 * into its three [batch, seq, hidden] parts:
 * |[<!-- language="C" -->
 * const gint64 sizes[] = { hidden, hidden, hidden };
 * const char *qkv[3];
 * oxp_block_split (graph, fused, -1, sizes, 3, qkv);
 * ]|
 */
void
oxp_block_split (OxpGraph *graph, const char *x, gint64 axis, const gint64 *sizes, guint n,
                 const char **outputs)
{
  const char *inputs[2];
  OxpNode *node;

  g_return_if_fail (OXP_IS_GRAPH (graph));
  g_return_if_fail (x != NULL && sizes != NULL && outputs != NULL && n >= 1);

  inputs[0] = x;
  inputs[1] = oxp_graph_add_constant_int64s (graph, "split", sizes, n);
  node = oxp_graph_add_node (graph, "Split", inputs, 2, n);
  oxp_node_set_attr_int (node, "axis", axis);
  for (guint i = 0; i < n; i++)
    outputs[i] = oxp_node_get_output (node, i);
}

/* The attention mask as [batch, seq, 1] in @dtype. */
static const char *
mask_column (OxpGraph *graph, const char *attention_mask, OxpDataType dtype)
{
  static const gint64 last[] = { -1 };

  return _oxp_blocks_cast (graph, _oxp_blocks_unsqueeze (graph, attention_mask, last, 1), dtype);
}

/**
 * oxp_block_masked_mean_pool:
 * @graph: the graph to add nodes to
 * @x: hidden states [batch, seq, hidden]
 * @attention_mask: int64 [batch, seq], 1 for the tokens to average
 *
 * sentence-transformers' mean pooling: the sum of the kept tokens' vectors
 * divided by their count clamped to at least 1e-9 (a row with no token
 * gives zeros, not NaN).  Computed in float32 whatever the graph's float
 * type, cast back last.
 *
 * Returns: (transfer none): [batch, hidden]
 */
const char *
oxp_block_masked_mean_pool (OxpGraph *graph, const char *x, const char *attention_mask)
{
  OxpDataType ft;
  const char *m, *xf, *sum, *count;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && attention_mask != NULL, NULL);

  ft = oxp_graph_get_float_type (graph);
  xf = ft == OXP_DATA_TYPE_FLOAT ? x : _oxp_blocks_cast (graph, x, OXP_DATA_TYPE_FLOAT);
  m = mask_column (graph, attention_mask, OXP_DATA_TYPE_FLOAT);
  sum = reduce_axis1 (graph, "ReduceSum", oxp_graph_op (graph, "Mul", xf, m, NULL));
  count = reduce_axis1 (graph, "ReduceSum", m);
  count
      = oxp_graph_op (graph, "Max", count, _oxp_blocks_const_f32 (graph, "min_count", 1e-9f), NULL);
  sum = oxp_graph_op (graph, "Div", sum, count, NULL);
  return ft == OXP_DATA_TYPE_FLOAT ? sum : _oxp_blocks_cast (graph, sum, ft);
}

/**
 * oxp_block_masked_max_pool:
 * @graph: the graph to add nodes to
 * @x: hidden states [batch, seq, hidden]
 * @attention_mask: int64 [batch, seq], 1 for the tokens to consider
 *
 * sentence-transformers' max pooling: the element-wise maximum over the
 * kept tokens, the others set to -1e9 first (so a row with no token gives
 * -1e9).
 *
 * Returns: (transfer none): [batch, hidden]
 */
const char *
oxp_block_masked_max_pool (OxpGraph *graph, const char *x, const char *attention_mask)
{
  static const gint64 last[] = { -1 };
  OxpDataType ft;
  const char *keep, *xf, *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && attention_mask != NULL, NULL);

  ft = oxp_graph_get_float_type (graph);
  xf = ft == OXP_DATA_TYPE_FLOAT ? x : _oxp_blocks_cast (graph, x, OXP_DATA_TYPE_FLOAT);
  keep = _oxp_blocks_cast (graph, _oxp_blocks_unsqueeze (graph, attention_mask, last, 1),
                           OXP_DATA_TYPE_BOOL);
  xf = oxp_graph_op (graph, "Where", keep, xf, _oxp_blocks_const_f32 (graph, "masked", -1e9f),
                     NULL);
  out = reduce_axis1 (graph, "ReduceMax", xf);
  return ft == OXP_DATA_TYPE_FLOAT ? out : _oxp_blocks_cast (graph, out, ft);
}

/**
 * oxp_block_l2_normalize:
 * @graph: the graph to add nodes to
 * @x: any value
 * @eps: the smallest norm divided by (torch.nn.functional.normalize: 1e-12)
 *
 * x / max(‖x‖₂, @eps) over the last axis, in float32.
 *
 * Returns: (transfer none): a value shaped like @x
 */
const char *
oxp_block_l2_normalize (OxpGraph *graph, const char *x, double eps)
{
  static const gint64 last[] = { -1 };
  OxpDataType ft;
  const char *xf, *norm, *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);

  ft = oxp_graph_get_float_type (graph);
  xf = ft == OXP_DATA_TYPE_FLOAT ? x : _oxp_blocks_cast (graph, x, OXP_DATA_TYPE_FLOAT);
  norm = oxp_graph_op (graph, "Mul", xf, xf, NULL);
  if (oxp_graph_get_opset (graph) >= 13)
    norm = oxp_graph_op (graph, "ReduceSum", norm,
                         oxp_graph_add_constant_int64s (graph, "axes", last, 1), NULL);
  else
    {
      norm = oxp_graph_op (graph, "ReduceSum", norm, NULL);
      _oxp_blocks_set_ints (graph, "axes", last, 1);
    }
  _oxp_blocks_set_int (graph, "keepdims", 1);
  norm = oxp_graph_op (graph, "Sqrt", norm, NULL);
  norm = oxp_graph_op (graph, "Max", norm, _oxp_blocks_const_f32 (graph, "eps", (float)eps), NULL);
  out = oxp_graph_op (graph, "Div", xf, norm, NULL);
  return ft == OXP_DATA_TYPE_FLOAT ? out : _oxp_blocks_cast (graph, out, ft);
}

/**
 * oxp_block_last_non_pad_token:
 * @graph: the graph to add nodes to
 * @x: per-token values [batch, seq, dim] (hidden states, or logits)
 * @input_ids: int64 [batch, seq], the ids @x was computed from
 * @pad_token_id: the padding id, or a negative number when the model has none
 *
 * The pooling of transformers' decoder *ForSequenceClassification models
 * (GPT-2, LLaMA, GPT-NeoX, OPT …): each row's value at its last token that
 * is not @pad_token_id, argmax(arange(seq) · (ids != pad)), so row 0 for a
 * row of padding only and the last token for a row without padding.
 * Without a pad token (@pad_token_id < 0) the last token of every row.
 *
 * Returns: (transfer none): [batch, dim]
 */
const char *
oxp_block_last_non_pad_token (OxpGraph *graph, const char *x, const char *input_ids,
                              gint64 pad_token_id)
{
  const char *keep, *positions, *index, *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && input_ids != NULL, NULL);

  if (pad_token_id < 0)
    return oxp_block_select (graph, x, 1, -1);

  keep = oxp_graph_op (
      graph, "Not",
      oxp_graph_op (graph, "Equal", input_ids,
                    oxp_graph_add_constant_int64 (graph, "pad_token_id", pad_token_id), NULL),
      NULL);
  positions = oxp_graph_op (graph, "Range", oxp_graph_add_constant_int64 (graph, "zero", 0),
                            _oxp_blocks_dim_of (graph, input_ids, 1),
                            oxp_graph_add_constant_int64 (graph, "one", 1), NULL);
  /* ArgMax in float32, the one type every execution provider's kernel
   * takes (CUDA's has no int64); positions are exact below 2^24. */
  index = oxp_graph_op (graph, "Mul", _oxp_blocks_cast (graph, keep, OXP_DATA_TYPE_FLOAT),
                        _oxp_blocks_cast (graph, positions, OXP_DATA_TYPE_FLOAT), NULL);
  index = oxp_graph_op (graph, "ArgMax", index, NULL);
  _oxp_blocks_set_int (graph, "axis", -1);
  _oxp_blocks_set_int (graph, "keepdims", 1); /* [batch, 1]: one index per row */
  out = oxp_graph_op (graph, "GatherND", x, index, NULL);
  _oxp_blocks_set_int (graph, "batch_dims", 1);
  return out;
}

/**
 * oxp_block_split_per_head:
 * @graph: the graph to add nodes to
 * @x: a fused projection [batch, seq, @n_groups · Σ@sizes]
 * @n_groups: the number of head groups its channels are laid out in
 * @sizes: (array length=n): the width of each part within one group
 * @n: the number of parts (≥ 1)
 * @outputs: (out caller-allocates) (array length=n): receives the @n parts,
 *   part i [batch, seq, @n_groups · @sizes[i]]
 *
 * Splits a fused projection whose channels are grouped by head rather than
 * by part: [group 0: part 0, part 1 …][group 1: part 0, part 1 …]….  This is
 * GPT-NeoX's (and BLOOM's) query_key_value, with @n_groups the heads and
 * @sizes { head_dim, head_dim, head_dim }; Falcon's grouped layout is
 * @n_groups kv heads and @sizes { q_per_kv · head_dim, head_dim, head_dim }.
 * Each part keeps the head order, so oxp_block_split_heads() applies to it.
 * Reshapes and one Split only, no transpose.  For [q | k | v] laid out part
 * after part, use oxp_block_split().
 */
void
oxp_block_split_per_head (OxpGraph *graph, const char *x, gint64 n_groups, const gint64 *sizes,
                          guint n, const char **outputs)
{
  gint64 per_group[4] = { 0, 0, n_groups, 0 };
  const char *grouped;

  g_return_if_fail (OXP_IS_GRAPH (graph));
  g_return_if_fail (x != NULL && sizes != NULL && outputs != NULL && n >= 1 && n_groups >= 1);

  for (guint i = 0; i < n; i++)
    per_group[3] += sizes[i];
  grouped = oxp_graph_op (graph, "Reshape", x,
                          oxp_graph_add_constant_int64s (graph, "per_head", per_group, 4), NULL);
  oxp_block_split (graph, grouped, -1, sizes, n, outputs);
  for (guint i = 0; i < n; i++)
    {
      const gint64 merged[] = { 0, 0, n_groups * sizes[i] };

      outputs[i] = oxp_graph_op (graph, "Reshape", outputs[i],
                                 oxp_graph_add_constant_int64s (graph, "merged", merged, 3), NULL);
    }
}
