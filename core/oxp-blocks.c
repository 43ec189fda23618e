/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transformer building blocks composed of standard ONNX operators. */

#include "config.h"

#include <math.h>
#include <string.h>

#include <oxport/oxport.h>

#include "oxp-blocks-private.h"

/* ---- small helpers (shared with oxp-blocks-positions.c) ---------------- */

void
_oxp_blocks_set_ints (OxpGraph *graph, const char *name, const gint64 *values, gsize n)
{
  oxp_node_set_attr_ints (oxp_graph_get_last_node (graph), name, values, n);
}

void
_oxp_blocks_set_int (OxpGraph *graph, const char *name, gint64 value)
{
  oxp_node_set_attr_int (oxp_graph_get_last_node (graph), name, value);
}

const char *
_oxp_blocks_const_f32 (OxpGraph *graph, const char *hint, float value)
{
  g_autoptr (OxpTensor) t = oxp_tensor_new (hint, OXP_DATA_TYPE_FLOAT, NULL, 0);

  *(float *)oxp_tensor_get_mutable_data (t) = value;
  return oxp_graph_add_constant (graph, hint, t);
}

const char *
_oxp_blocks_cast (OxpGraph *graph, const char *x, OxpDataType to)
{
  const char *out = oxp_graph_op (graph, "Cast", x, NULL);

  _oxp_blocks_set_int (graph, "to", to);
  return out;
}

const char *
_oxp_blocks_unsqueeze (OxpGraph *graph, const char *x, const gint64 *axes, gsize n)
{
  const char *axes_value = oxp_graph_add_constant_int64s (graph, "axes", axes, n);

  return oxp_graph_op (graph, "Unsqueeze", x, axes_value, NULL);
}

const char *
_oxp_blocks_transpose (OxpGraph *graph, const char *x, const gint64 *perm, gsize n)
{
  const char *out = oxp_graph_op (graph, "Transpose", x, NULL);

  _oxp_blocks_set_ints (graph, "perm", perm, n);
  return out;
}

/* Mean over the last axis, keeping it (axes became an input in opset 18). */
const char *
_oxp_blocks_reduce_mean_last (OxpGraph *graph, const char *x)
{
  static const gint64 last[] = { -1 };
  const char *out;

  if (oxp_graph_get_opset (graph) >= 18)
    {
      const char *axes = oxp_graph_add_constant_int64s (graph, "axes", last, 1);
      out = oxp_graph_op (graph, "ReduceMean", x, axes, NULL);
    }
  else
    {
      out = oxp_graph_op (graph, "ReduceMean", x, NULL);
      _oxp_blocks_set_ints (graph, "axes", last, 1);
    }
  _oxp_blocks_set_int (graph, "keepdims", 1);
  return out;
}

/* Axis @axis of @x's shape as an int64 scalar. */
const char *
_oxp_blocks_dim_of (OxpGraph *graph, const char *x, gint64 axis)
{
  const char *shape = oxp_graph_op (graph, "Shape", x, NULL);
  const char *index = oxp_graph_add_constant_int64 (graph, "axis", axis);
  const char *out = oxp_graph_op (graph, "Gather", shape, index, NULL);

  _oxp_blocks_set_int (graph, "axis", 0);
  return out;
}

const char *
_oxp_blocks_slice_last (OxpGraph *graph, const char *x, gint64 axis, gint64 start, gint64 end)
{
  const char *starts = oxp_graph_add_constant_int64s (graph, "starts", &start, 1);
  const char *ends = oxp_graph_add_constant_int64s (graph, "ends", &end, 1);
  const char *axes = oxp_graph_add_constant_int64s (graph, "axes", &axis, 1);

  return oxp_graph_op (graph, "Slice", x, starts, ends, axes, NULL);
}

/* torch.finfo(dtype).min of the graph's float type. */
double
_oxp_blocks_mask_min (OxpGraph *graph)
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

gboolean
_oxp_blocks_narrow_float (OxpGraph *graph)
{
  return oxp_graph_get_float_type (graph) != OXP_DATA_TYPE_FLOAT;
}

/* Whether ORT's CPU kernels of the fused operators take the graph's float
 * type (their float32 kernels are the ones every build has). */
gboolean
_oxp_blocks_fused_ok (OxpGraph *graph)
{
  return oxp_graph_get_optimize_level (graph) >= 2
         && oxp_graph_get_float_type (graph) == OXP_DATA_TYPE_FLOAT;
}

/* ---- dense layers and norms ------------------------------------------- */

/* The index of the block a weight belongs to ("model.layers.3.mlp…" → 3,
 * with "model.layers." as @prefix), or -1 outside numbered blocks. */
static gint64
layer_index (const char *name, char **prefix)
{
  const char *p = name;

  while (p != NULL && *p != '\0')
    {
      const char *end = p;

      while (g_ascii_isdigit (*end))
        end++;
      if (end > p && *end == '.' && (p == name || p[-1] == '.'))
        {
          if (prefix != NULL)
            *prefix = g_strndup (name, (gsize)(p - name));
          return g_ascii_strtoll (p, NULL, 10);
        }
      p = strchr (p, '.');
      if (p != NULL)
        p++;
    }
  return -1;
}

/* Whether the graph's quantization leaves @weight in floats. */
static gboolean
quantize_excludes (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *weight)
{
  OxpQuantizeExclude exclude = oxp_graph_get_quantize_exclude (graph);
  g_autofree char *prefix = NULL;
  gint64 index = layer_index (weight, &prefix), last = index;

  if (index < 0)
    return (exclude & OXP_QUANTIZE_EXCLUDE_LM_HEAD) != 0;
  if ((exclude & OXP_QUANTIZE_EXCLUDE_FIRST) && index == 0)
    return TRUE;
  if (!(exclude & OXP_QUANTIZE_EXCLUDE_LAST))
    return FALSE;
  for (guint i = 0; i < oxp_checkpoint_get_n_tensors (checkpoint); i++)
    {
      const char *name = oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (checkpoint, i));
      g_autofree char *other = NULL;
      gint64 j = layer_index (name, &other);

      if (j > last && g_strcmp0 (other, prefix) == 0)
        last = j;
    }
  return index == last;
}

/* x · Wᵀ by com.microsoft MatMulNBits, when the graph quantizes this weight
 * (@done TRUE; ORT's kernels take float32 and float16 activations). */
static const char *
linear_quantized (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x, const char *weight,
                  OxpLinearFlags flags, gboolean *done, GError **error)
{
  const OxpCheckpointTensor *t = oxp_checkpoint_lookup (checkpoint, weight);
  const gint64 *shape;
  const char *b, *scales, *zero_points, *y;
  gboolean in_out = (flags & OXP_LINEAR_WEIGHT_IN_OUT) != 0;
  OxpDataType ft = oxp_graph_get_float_type (graph);

  *done = FALSE;
  if (oxp_graph_get_quantize_bits (graph) == 0 || t == NULL
      || quantize_excludes (graph, checkpoint, weight))
    return NULL;
  *done = TRUE;
  if (ft != OXP_DATA_TYPE_FLOAT && ft != OXP_DATA_TYPE_FLOAT16)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Cannot quantize “%s” in a %s graph: MatMulNBits computes in float32 or "
                   "float16",
                   weight, oxp_data_type_to_string (ft));
      return NULL;
    }
  shape = oxp_checkpoint_tensor_get_shape (t);
  b = oxp_graph_add_quantized_weight (graph, checkpoint, weight, in_out, &scales, &zero_points,
                                      error);
  if (b == NULL)
    return NULL;
  /* MatMulNBits takes its scales in the activations' type: float16 ones
   * stored for a float32 graph are cast (ONNX Runtime folds it at load). */
  if (oxp_graph_get_quantize_scales_type (graph) != ft)
    scales = _oxp_blocks_cast (graph, scales, ft);
  y = oxp_graph_op (graph, "MatMulNBits", x, b, scales, zero_points, NULL);
  oxp_node_set_domain (oxp_graph_get_last_node (graph), "com.microsoft");
  _oxp_blocks_set_int (graph, "K", shape[in_out ? 0 : 1]);
  _oxp_blocks_set_int (graph, "N", shape[in_out ? 1 : 0]);
  _oxp_blocks_set_int (graph, "bits", oxp_graph_get_quantize_bits (graph));
  _oxp_blocks_set_int (graph, "block_size", oxp_graph_get_quantize_block_size (graph));
  if (oxp_graph_get_quantize_accuracy_level (graph) != 0)
    _oxp_blocks_set_int (graph, "accuracy_level", oxp_graph_get_quantize_accuracy_level (graph));
  return y;
}

/**
 * oxp_block_linear_from:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @in_features]
 * @weight: the weight tensor ([out, in], or [in, out] with %OXP_LINEAR_WEIGHT_IN_OUT)
 * @bias: (nullable): the bias tensor [out], or NULL for none
 * @in_features: input size, or -1 for any
 * @out_features: output size, or -1 for any
 * @flags: weight layout and bias handling
 * @error: return location for an error
 *
 * A dense layer: MatMul by the weight (transposed while writing for a torch
 * Linear) and Add of the bias.  When the graph quantizes (see
 * oxp_graph_set_quantize()) and does not exclude this layer, a
 * com.microsoft MatMulNBits on the block-quantized weight instead; at
 * optimize level 2 and above in float32, a com.microsoft FusedMatMul with
 * transB reading the [out, in] weight as stored (no transposition).  A
 * missing or misshaped tensor fails in %OXP_CHECKPOINT_ERROR naming it.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_linear_from (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x,
                       const char *weight, const char *bias, gint64 in_features,
                       gint64 out_features, OxpLinearFlags flags, GError **error)
{
  gint64 shape[2];
  const char *w, *y;
  gboolean quantized;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && weight != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (flags & OXP_LINEAR_WEIGHT_IN_OUT)
    {
      shape[0] = in_features;
      shape[1] = out_features;
    }
  else
    {
      shape[0] = out_features;
      shape[1] = in_features;
    }
  if (!oxp_checkpoint_expect_float_tensor (checkpoint, weight, shape, 2, error))
    return NULL;

  y = linear_quantized (graph, checkpoint, x, weight, flags, &quantized, error);
  if (quantized && y == NULL)
    return NULL;
  if (quantized)
    goto bias;

  /* O2: the weight as the checkpoint stores it, [out, in], read by
   * FusedMatMul with transB (which ORT prepacks like MatMul's B), so the
   * writer copies the bytes instead of transposing them. */
  if (_oxp_blocks_fused_ok (graph) && !(flags & OXP_LINEAR_WEIGHT_IN_OUT))
    {
      w = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_NONE, error);
      if (w == NULL)
        return NULL;
      y = oxp_graph_op (graph, "FusedMatMul", x, w, NULL);
      oxp_node_set_domain (oxp_graph_get_last_node (graph), "com.microsoft");
      _oxp_blocks_set_int (graph, "transB", 1);
      goto bias;
    }

  if (flags & OXP_LINEAR_WEIGHT_IN_OUT)
    w = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_NONE, error);
  else if (flags & OXP_LINEAR_SHARED_WEIGHT)
    {
      static const gint64 perm[] = { 1, 0 };
      w = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_NONE, error);
      if (w != NULL)
        w = _oxp_blocks_transpose (graph, w, perm, 2);
    }
  else
    w = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_TRANSPOSE, error);
  if (w == NULL)
    return NULL;

  y = oxp_graph_op (graph, "MatMul", x, w, NULL);

bias:
  if (bias == NULL || (flags & OXP_LINEAR_NO_BIAS))
    return y;
  if ((flags & OXP_LINEAR_OPTIONAL_BIAS) && oxp_checkpoint_lookup (checkpoint, bias) == NULL)
    return y;
  if (!oxp_checkpoint_expect_float_tensor (checkpoint, bias, &out_features, 1, error))
    return NULL;
  {
    const char *b = oxp_graph_add_weight (graph, checkpoint, bias, OXP_WEIGHT_NONE, error);
    if (b == NULL)
      return NULL;
    return oxp_graph_op (graph, "Add", y, b, NULL);
  }
}

/**
 * oxp_block_linear:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @in_features]
 * @prefix: the layer's name; its tensors are "@prefix.weight" and "@prefix.bias"
 * @in_features: input size, or -1 for any
 * @out_features: output size, or -1 for any
 * @flags: weight layout and bias handling
 * @error: return location for an error
 *
 * oxp_block_linear_from() with the tensors named after @prefix.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_linear (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x, const char *prefix,
                  gint64 in_features, gint64 out_features, OxpLinearFlags flags, GError **error)
{
  g_autofree char *weight = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bias = (flags & OXP_LINEAR_NO_BIAS) ? NULL : g_strconcat (prefix, ".bias", NULL);

  return oxp_block_linear_from (graph, checkpoint, x, weight, bias, in_features, out_features,
                                flags, error);
}

static gboolean
add_norm_weights (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *weight, const char *bias,
                  gint64 hidden, const char **w_out, const char **b_out, GError **error)
{
  if (!oxp_checkpoint_expect_float_tensor (checkpoint, weight, &hidden, 1, error))
    return FALSE;
  if (bias != NULL && !oxp_checkpoint_expect_float_tensor (checkpoint, bias, &hidden, 1, error))
    return FALSE;
  *w_out = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_NONE, error);
  if (*w_out == NULL)
    return FALSE;
  *b_out = NULL;
  if (bias != NULL)
    {
      *b_out = oxp_graph_add_weight (graph, checkpoint, bias, OXP_WEIGHT_NONE, error);
      if (*b_out == NULL)
        return FALSE;
    }
  return TRUE;
}

/**
 * oxp_block_layer_norm_from:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @hidden]
 * @weight: the scale tensor [@hidden]
 * @bias: (nullable): the shift tensor [@hidden], or NULL for none
 * @hidden: size of the normalized (last) axis
 * @eps: the epsilon added to the variance
 * @error: return location for an error
 *
 * Layer normalization over the last axis: LayerNormalization from opset 17,
 * ReduceMean/Sub/Pow/Sqrt/Div below (statistics in float32 when the graph's
 * float type is narrower).
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_layer_norm_from (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x,
                           const char *weight, const char *bias, gint64 hidden, double eps,
                           GError **error)
{
  const char *w, *b, *xf, *mean, *d, *var, *std, *y;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && weight != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!add_norm_weights (graph, checkpoint, weight, bias, hidden, &w, &b, error))
    return NULL;

  if (oxp_graph_get_opset (graph) >= 17)
    {
      OxpNode *node;
      const char *inputs[3] = { x, w, b };

      node = oxp_graph_add_node (graph, "LayerNormalization", inputs, b ? 3 : 2, 1);
      oxp_node_set_attr_int (node, "axis", -1);
      oxp_node_set_attr_float (node, "epsilon", (float)eps);
      return oxp_node_get_output (node, 0);
    }

  /* Below opset 17: the statistics in float32, like stash_type=1. */
  xf = _oxp_blocks_narrow_float (graph) ? _oxp_blocks_cast (graph, x, OXP_DATA_TYPE_FLOAT) : x;
  mean = _oxp_blocks_reduce_mean_last (graph, xf);
  d = oxp_graph_op (graph, "Sub", xf, mean, NULL);
  var = _oxp_blocks_reduce_mean_last (
      graph, oxp_graph_op (graph, "Pow", d, _oxp_blocks_const_f32 (graph, "two", 2.0f), NULL));
  std = oxp_graph_op (
      graph, "Sqrt",
      oxp_graph_op (graph, "Add", var, _oxp_blocks_const_f32 (graph, "eps", (float)eps), NULL),
      NULL);
  y = oxp_graph_op (graph, "Div", d, std, NULL);
  if (_oxp_blocks_narrow_float (graph))
    y = _oxp_blocks_cast (graph, y, oxp_graph_get_float_type (graph));
  y = oxp_graph_op (graph, "Mul", y, w, NULL);
  if (b != NULL)
    y = oxp_graph_op (graph, "Add", y, b, NULL);
  return y;
}

/**
 * oxp_block_layer_norm:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @hidden]
 * @prefix: the norm's name; its tensors are "@prefix.weight" and "@prefix.bias"
 * @hidden: size of the normalized (last) axis
 * @eps: the epsilon added to the variance
 * @error: return location for an error
 *
 * oxp_block_layer_norm_from() with the tensors named after @prefix.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_layer_norm (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x, const char *prefix,
                      gint64 hidden, double eps, GError **error)
{
  g_autofree char *weight = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bias = g_strconcat (prefix, ".bias", NULL);

  return oxp_block_layer_norm_from (graph, checkpoint, x, weight, bias, hidden, eps, error);
}

/* x / sqrt(mean(x²) + eps) in float32, then scaled by w (LLaMA: after the
 * cast back, in the graph's float type) or by 1 + w (Gemma: in float32,
 * cast last). */
static const char *
rms_norm (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x, const char *prefix,
          gint64 hidden, double eps, gboolean unit_offset, GError **error)
{
  g_autofree char *weight = g_strconcat (prefix, ".weight", NULL);
  OxpDataType float_type = oxp_graph_get_float_type (graph);
  const char *w, *b, *xf, *var, *rms, *y;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && prefix != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!add_norm_weights (graph, checkpoint, weight, NULL, hidden, &w, &b, error))
    return NULL;

  xf = _oxp_blocks_narrow_float (graph) ? _oxp_blocks_cast (graph, x, OXP_DATA_TYPE_FLOAT) : x;
  var = _oxp_blocks_reduce_mean_last (
      graph, oxp_graph_op (graph, "Pow", xf, _oxp_blocks_const_f32 (graph, "two", 2.0f), NULL));
  rms = oxp_graph_op (
      graph, "Sqrt",
      oxp_graph_op (graph, "Add", var, _oxp_blocks_const_f32 (graph, "eps", (float)eps), NULL),
      NULL);
  /* With --optimize, x / rms as a Div: the form ORT's own
   * SimplifiedLayerNormFusion matches (it leaves Reciprocal + Mul alone),
   * so ORT runs its one-kernel RMS norm while the file keeps standard ONNX
   * ops (the contrib SimplifiedLayerNormalization sits in the ai.onnx
   * domain, where onnx's checker rejects it).  The plain export keeps
   * transformers' x · rsqrt(·). */
  if (oxp_graph_get_optimize_level (graph) >= 1)
    y = oxp_graph_op (graph, "Div", xf, rms, NULL);
  else
    y = oxp_graph_op (graph, "Mul", xf, oxp_graph_op (graph, "Reciprocal", rms, NULL), NULL);
  if (unit_offset)
    {
      const char *wf
          = _oxp_blocks_narrow_float (graph) ? _oxp_blocks_cast (graph, w, OXP_DATA_TYPE_FLOAT) : w;
      wf = oxp_graph_op (graph, "Add", wf, _oxp_blocks_const_f32 (graph, "one", 1.0f), NULL);
      y = oxp_graph_op (graph, "Mul", y, wf, NULL);
      return _oxp_blocks_narrow_float (graph) ? _oxp_blocks_cast (graph, y, float_type) : y;
    }
  if (_oxp_blocks_narrow_float (graph))
    y = _oxp_blocks_cast (graph, y, float_type);
  return oxp_graph_op (graph, "Mul", w, y, NULL);
}

/**
 * oxp_block_rms_norm:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @hidden]
 * @prefix: the norm's name; its scale is "@prefix.weight"
 * @hidden: size of the normalized (last) axis
 * @eps: the epsilon added to the mean square
 * @error: return location for an error
 *
 * RMS normalization as T5 and LLaMA compute it: x / sqrt(mean(x²) + eps),
 * in float32, then scaled.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_rms_norm (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x, const char *prefix,
                    gint64 hidden, double eps, GError **error)
{
  return rms_norm (graph, checkpoint, x, prefix, hidden, eps, FALSE, error);
}

/**
 * oxp_block_rms_norm_unit_offset:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @hidden]
 * @prefix: the norm's name; its offset is "@prefix.weight"
 * @hidden: size of the normalized (last) axis
 * @eps: the epsilon added to the mean square
 * @error: return location for an error
 *
 * Gemma's RMS normalization: x / sqrt(mean(x²) + eps) · (1 + "@prefix.weight"),
 * all in float32 and cast to the graph's float type last, as GemmaRMSNorm
 * does (the stored weight is an offset from 1).
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_rms_norm_unit_offset (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x,
                                const char *prefix, gint64 hidden, double eps, GError **error)
{
  return rms_norm (graph, checkpoint, x, prefix, hidden, eps, TRUE, error);
}

/**
 * oxp_block_cast:
 * @graph: the graph to add nodes to
 * @x: the input value
 * @to: the element type to convert to
 *
 * One ONNX Cast of @x to @to (ids to int32 for a contrib operator, a bool
 * mask to the float type, a softmax back to the graph's float type).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_cast (OxpGraph *graph, const char *x, OxpDataType to)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);
  return _oxp_blocks_cast (graph, x, to);
}

/* ---- activations ------------------------------------------------------ */

/**
 * oxp_block_gelu:
 * @graph: the graph to add nodes to
 * @x: the input value
 *
 * GELU, exact form: x · ½(1 + erf(x / √2)).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_gelu (OxpGraph *graph, const char *x)
{
  const char *e, *y;

  /* O2: ORT's one-kernel Gelu (exact); O3: its tanh approximation. */
  if (_oxp_blocks_fused_ok (graph))
    {
      y = oxp_graph_op (graph, oxp_graph_get_optimize_level (graph) >= 3 ? "FastGelu" : "Gelu", x,
                        NULL);
      oxp_node_set_domain (oxp_graph_get_last_node (graph), "com.microsoft");
      return y;
    }
  e = oxp_graph_op (
      graph, "Erf",
      oxp_graph_op (graph, "Div", x, oxp_graph_add_constant_float (graph, "sqrt2", G_SQRT2), NULL),
      NULL);
  e = oxp_graph_op (graph, "Add", e, oxp_graph_add_constant_float (graph, "one", 1.0), NULL);
  y = oxp_graph_op (graph, "Mul", x, e, NULL);
  return oxp_graph_op (graph, "Mul", y, oxp_graph_add_constant_float (graph, "half", 0.5), NULL);
}

/**
 * oxp_block_gelu_tanh:
 * @graph: the graph to add nodes to
 * @x: the input value
 *
 * GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_gelu_tanh (OxpGraph *graph, const char *x)
{
  const char *x3, *inner, *t, *half_x;

  /* ORT's FastGelu is this very formula, in one kernel. */
  if (_oxp_blocks_fused_ok (graph))
    {
      t = oxp_graph_op (graph, "FastGelu", x, NULL);
      oxp_node_set_domain (oxp_graph_get_last_node (graph), "com.microsoft");
      return t;
    }
  /* x·x·x as torch's kernel computes it; Pow takes bfloat16 only from opset 15. */
  x3 = oxp_graph_op (graph, "Mul", oxp_graph_op (graph, "Mul", x, x, NULL), x, NULL);
  inner
      = oxp_graph_op (graph, "Add", x,
                      oxp_graph_op (graph, "Mul", x3,
                                    oxp_graph_add_constant_float (graph, "coeff", 0.044715), NULL),
                      NULL);
  t = oxp_graph_op (
      graph, "Tanh",
      oxp_graph_op (graph, "Mul", inner,
                    oxp_graph_add_constant_float (graph, "sqrt_2_over_pi", sqrt (2.0 / G_PI)),
                    NULL),
      NULL);
  t = oxp_graph_op (graph, "Add", t, oxp_graph_add_constant_float (graph, "one", 1.0), NULL);
  half_x = oxp_graph_op (graph, "Mul", x, oxp_graph_add_constant_float (graph, "half", 0.5), NULL);
  return oxp_graph_op (graph, "Mul", half_x, t, NULL);
}

/**
 * oxp_block_quick_gelu:
 * @graph: the graph to add nodes to
 * @x: the input value
 *
 * quick_gelu: x · sigmoid(1.702x).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_quick_gelu (OxpGraph *graph, const char *x)
{
  const char *s;

  s = oxp_graph_op (
      graph, "Sigmoid",
      oxp_graph_op (graph, "Mul", x, oxp_graph_add_constant_float (graph, "alpha", 1.702), NULL),
      NULL);
  return oxp_graph_op (graph, "Mul", x, s, NULL);
}

/**
 * oxp_block_silu:
 * @graph: the graph to add nodes to
 * @x: the input value
 *
 * SiLU (swish): x · sigmoid(x).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_silu (OxpGraph *graph, const char *x)
{
  return oxp_graph_op (graph, "Mul", x, oxp_graph_op (graph, "Sigmoid", x, NULL), NULL);
}

/**
 * oxp_block_swiglu:
 * @graph: the graph to add nodes to
 * @gate: the gate projection
 * @up: the up projection
 *
 * SwiGLU: silu(@gate) · @up.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_swiglu (OxpGraph *graph, const char *gate, const char *up)
{
  return oxp_graph_op (graph, "Mul", oxp_block_silu (graph, gate), up, NULL);
}

typedef enum
{
  ACT_GELU,
  ACT_GELU_TANH,
  ACT_QUICK_GELU,
  ACT_RELU,
  ACT_SILU,
  ACT_TANH,
  ACT_SIGMOID,
  ACT_LINEAR,
} Activation;

static const struct
{
  const char *name;
  Activation act;
} activations[] = {
  { "gelu", ACT_GELU },
  { "gelu_python", ACT_GELU },
  { "gelu_new", ACT_GELU_TANH },
  { "gelu_pytorch_tanh", ACT_GELU_TANH },
  { "gelu_fast", ACT_GELU_TANH },
  { "gelu_accurate", ACT_GELU_TANH },
  { "quick_gelu", ACT_QUICK_GELU },
  { "relu", ACT_RELU },
  { "silu", ACT_SILU },
  { "swish", ACT_SILU },
  { "tanh", ACT_TANH },
  { "sigmoid", ACT_SIGMOID },
  { "linear", ACT_LINEAR },
};

/**
 * oxp_block_activation_is_supported:
 * @hf_name: (nullable): an activation name from a config.json
 *
 * Whether oxp_block_activation() can build the activation a Hugging Face
 * config names (ACT2FN keys: gelu, gelu_new, gelu_pytorch_tanh, quick_gelu,
 * relu, silu, …), so a config can refuse an unsupported one before the
 * export starts.
 *
 * Returns: whether oxp_block_activation() knows @hf_name
 */
gboolean
oxp_block_activation_is_supported (const char *hf_name)
{
  for (gsize i = 0; hf_name != NULL && i < G_N_ELEMENTS (activations); i++)
    if (g_str_equal (activations[i].name, hf_name))
      return TRUE;
  return FALSE;
}

/**
 * oxp_block_activation:
 * @graph: the graph to add nodes to
 * @x: the input value
 * @hf_name: (nullable): the activation name the config gives
 * @config_key: (nullable): the config.json key it comes from, for the error ("hidden_act" when
 * NULL)
 * @error: return location for an error
 *
 * The activation transformers' ACT2FN maps @hf_name to.  An unknown name
 * fails with %OXP_EXPORT_ERROR_UNSUPPORTED naming @config_key and @hf_name.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_activation (OxpGraph *graph, const char *x, const char *hf_name, const char *config_key,
                      GError **error)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (gsize i = 0; hf_name != NULL && i < G_N_ELEMENTS (activations); i++)
    {
      if (!g_str_equal (activations[i].name, hf_name))
        continue;
      switch (activations[i].act)
        {
        case ACT_GELU:
          return oxp_block_gelu (graph, x);
        case ACT_GELU_TANH:
          return oxp_block_gelu_tanh (graph, x);
        case ACT_QUICK_GELU:
          return oxp_block_quick_gelu (graph, x);
        case ACT_RELU:
          return oxp_graph_op (graph, "Relu", x, NULL);
        case ACT_SILU:
          return oxp_block_silu (graph, x);
        case ACT_TANH:
          return oxp_graph_op (graph, "Tanh", x, NULL);
        case ACT_SIGMOID:
          return oxp_graph_op (graph, "Sigmoid", x, NULL);
        case ACT_LINEAR:
          return x;
        default:
          g_assert_not_reached ();
        }
    }

  {
    g_autoptr (GString) known = g_string_new (NULL);
    for (gsize i = 0; i < G_N_ELEMENTS (activations); i++)
      g_string_append_printf (known, "%s%s", i ? ", " : "", activations[i].name);
    g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                 "config.json key “%s”: unsupported activation “%s” (supported: %s)",
                 config_key ? config_key : "hidden_act", hf_name ? hf_name : "(none)", known->str);
  }
  return NULL;
}

/* ---- embeddings and positions ----------------------------------------- */

/**
 * oxp_block_embedding:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @ids: int64 indices, any shape
 * @weight: the table tensor [@num, @dim]
 * @num: number of rows, or -1 for any
 * @dim: row size, or -1 for any
 * @error: return location for an error
 *
 * An embedding lookup: Gather of the rows @ids.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_embedding (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *ids,
                     const char *weight, gint64 num, gint64 dim, GError **error)
{
  gint64 shape[2] = { num, dim };
  const char *w;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (ids != NULL && weight != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!oxp_checkpoint_expect_float_tensor (checkpoint, weight, shape, 2, error))
    return NULL;
  w = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_NONE, error);
  if (w == NULL)
    return NULL;
  return oxp_graph_op (graph, "Gather", w, ids, NULL);
}

/**
 * oxp_block_select:
 * @graph: the graph to add nodes to
 * @x: any tensor
 * @axis: the axis to select along (negative counts from the end)
 * @index: the position to take
 *
 * The slice of @x at @index along @axis, without that axis (a Gather with a
 * scalar index): start and end logits of question answering, [CLS] tokens.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_select (OxpGraph *graph, const char *x, gint64 axis, gint64 index)
{
  const char *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);

  out = oxp_graph_op (graph, "Gather", x, oxp_graph_add_constant_int64 (graph, "index", index),
                      NULL);
  _oxp_blocks_set_int (graph, "axis", axis);
  return out;
}

/**
 * oxp_block_select_token:
 * @graph: the graph to add nodes to
 * @x: hidden states [batch, seq, hidden]
 * @index: the position to take
 *
 * x[:, @index, :] → [batch, hidden], what poolers read.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_select_token (OxpGraph *graph, const char *x, gint64 index)
{
  return oxp_block_select (graph, x, 1, index);
}

/* ---- attention -------------------------------------------------------- */

/**
 * oxp_block_split_heads:
 * @graph: the graph to add nodes to
 * @x: [batch, seq, @n_heads · @head_dim]
 * @n_heads: number of heads
 * @head_dim: size of one head
 *
 * Reshape and transpose to [batch, heads, seq, head_dim].
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_split_heads (OxpGraph *graph, const char *x, gint64 n_heads, gint64 head_dim)
{
  static const gint64 perm[] = { 0, 2, 1, 3 };
  const gint64 shape[] = { 0, 0, n_heads, head_dim };
  const char *r;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);

  r = oxp_graph_op (graph, "Reshape", x, oxp_graph_add_constant_int64s (graph, "shape", shape, 4),
                    NULL);
  return _oxp_blocks_transpose (graph, r, perm, 4);
}

/**
 * oxp_block_merge_heads:
 * @graph: the graph to add nodes to
 * @x: [batch, heads, seq, head_dim]
 * @n_heads: number of heads
 * @head_dim: size of one head
 *
 * The inverse of oxp_block_split_heads().
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_merge_heads (OxpGraph *graph, const char *x, gint64 n_heads, gint64 head_dim)
{
  static const gint64 perm[] = { 0, 2, 1, 3 };
  const gint64 shape[] = { 0, 0, n_heads * head_dim };
  const char *t;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);

  t = _oxp_blocks_transpose (graph, x, perm, 4);
  return oxp_graph_op (graph, "Reshape", t,
                       oxp_graph_add_constant_int64s (graph, "shape", shape, 3), NULL);
}

/**
 * oxp_block_attention:
 * @graph: the graph to add nodes to
 * @query: [batch, heads, q, head_dim]
 * @key: [batch, heads, kv, head_dim]
 * @value: [batch, heads, kv, head_dim]
 * @mask: (nullable): an additive bias broadcastable to [batch, heads, q, kv]
 * @scale: the factor of Q·Kᵀ (usually 1/√head_dim; 1 adds no node)
 *
 * Scaled dot-product attention: softmax(@scale · Q·Kᵀ + @mask) · V.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_attention (OxpGraph *graph, const char *query, const char *key, const char *value,
                     const char *mask, double scale)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (query != NULL && key != NULL && value != NULL, NULL);

  return _oxp_blocks_attention (graph, query, key, value, mask, scale, FALSE);
}

const char *
_oxp_blocks_attention (OxpGraph *graph, const char *query, const char *key, const char *value,
                       const char *mask, double scale, gboolean softmax_float32)
{
  static const gint64 perm[] = { 0, 1, 3, 2 };
  gboolean upcast = softmax_float32 && _oxp_blocks_narrow_float (graph);
  const char *scores, *probs;

  scores = oxp_graph_op (graph, "MatMul", query, _oxp_blocks_transpose (graph, key, perm, 4), NULL);
  if (scale != 1.0)
    scores = oxp_graph_op (graph, "Mul", scores,
                           oxp_graph_add_constant_float (graph, "scale", scale), NULL);
  if (mask != NULL)
    scores = oxp_graph_op (graph, "Add", scores, mask, NULL);
  if (upcast)
    scores = _oxp_blocks_cast (graph, scores, OXP_DATA_TYPE_FLOAT);
  probs = oxp_graph_op (graph, "Softmax", scores, NULL);
  _oxp_blocks_set_int (graph, "axis", -1);
  if (upcast)
    probs = _oxp_blocks_cast (graph, probs, oxp_graph_get_float_type (graph));
  return oxp_graph_op (graph, "MatMul", probs, value, NULL);
}

/**
 * oxp_block_concat_past:
 * @graph: the graph to add nodes to
 * @past: cached keys or values [batch, heads, past, head_dim]
 * @current: this step's [batch, heads, seq, head_dim]
 *
 * Concatenation along the sequence axis (2).
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_concat_past (OxpGraph *graph, const char *past, const char *current)
{
  const char *out;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (past != NULL && current != NULL, NULL);

  out = oxp_graph_op (graph, "Concat", past, current, NULL);
  _oxp_blocks_set_int (graph, "axis", 2);
  return out;
}

/**
 * oxp_block_repeat_kv:
 * @graph: the graph to add nodes to
 * @x: [batch, @n_kv_heads, seq, @head_dim]
 * @n_kv_heads: number of key/value heads
 * @n_rep: how many query heads share one key/value head
 * @head_dim: size of one head
 *
 * Grouped-query attention's repeat_kv: each head repeated @n_rep times.
 *
 * Returns: (transfer none): the output value (owned by @graph)
 */
const char *
oxp_block_repeat_kv (OxpGraph *graph, const char *x, gint64 n_kv_heads, gint64 n_rep,
                     gint64 head_dim)
{
  static const gint64 axis[] = { 2 };
  const gint64 expand[] = { 1, 1, n_rep, 1, 1 };
  const gint64 shape[] = { 0, n_kv_heads * n_rep, -1, head_dim };
  const char *u;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL, NULL);

  if (n_rep == 1)
    return x;
  u = _oxp_blocks_unsqueeze (graph, x, axis, 1);
  u = oxp_graph_op (graph, "Expand", u, oxp_graph_add_constant_int64s (graph, "repeats", expand, 5),
                    NULL);
  return oxp_graph_op (graph, "Reshape", u,
                       oxp_graph_add_constant_int64s (graph, "shape", shape, 4), NULL);
}

/* ---- fused forms (optimize level 2 and up) ---------------------------- */

/* Keys under which a graph remembers, for an additive padding mask made by
 * oxp_block_attention_mask(), the int64 attention_mask it came from, and
 * that mask's int32 form (ORT's mask_index), so fused attention reads the
 * raw mask while plugins keep passing the additive one. */
#define MASK_SOURCE_KEY "oxp-mask-source:"
#define MASK_INDEX_KEY "oxp-mask-index:"

void
_oxp_blocks_note_mask_source (OxpGraph *graph, const char *additive, const char *attention_mask)
{
  g_autofree char *key = g_strconcat (MASK_SOURCE_KEY, additive, NULL);

  /* Value names live as long as the graph. */
  g_object_set_data (G_OBJECT (graph), key, (gpointer)attention_mask);
}

/* The int32 [batch, kv] mask ORT's Attention takes, made once per graph. */
static const char *
mask_index_of (OxpGraph *graph, const char *additive)
{
  g_autofree char *src_key = g_strconcat (MASK_SOURCE_KEY, additive, NULL);
  const char *source = g_object_get_data (G_OBJECT (graph), src_key);
  g_autofree char *key = NULL;
  const char *index;

  if (source == NULL)
    return NULL;
  key = g_strconcat (MASK_INDEX_KEY, source, NULL);
  index = g_object_get_data (G_OBJECT (graph), key);
  if (index == NULL)
    {
      index = _oxp_blocks_cast (graph, source, OXP_DATA_TYPE_INT32);
      g_object_set_data (G_OBJECT (graph), key, (gpointer)index);
    }
  return index;
}

/**
 * oxp_block_self_attention:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: hidden states [batch, seq, @hidden]
 * @q_prefix: the query projection ("@q_prefix.weight" [@hidden, @hidden], ".bias")
 * @k_prefix: the key projection
 * @v_prefix: the value projection
 * @hidden: hidden size
 * @n_heads: number of heads (dividing @hidden)
 * @mask: (nullable): the additive mask from oxp_block_attention_mask(), or
 *   any additive bias broadcastable to [batch, heads, seq, seq]
 * @scale: the factor of Q·Kᵀ (usually 1/√head_dim)
 * @error: return location for an error
 *
 * An encoder's bidirectional self-attention up to (not including) its
 * output projection: [batch, seq, @hidden].  Plain and O1: three Linear
 * layers, oxp_block_attention() between split and merged heads.  From
 * optimize level 2 (float32 graphs): one com.microsoft Attention node with
 * the three projections packed and the padding mask as ORT's mask_index,
 * when @mask is an oxp_block_attention_mask() (or NULL).
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_self_attention (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x,
                          const char *q_prefix, const char *k_prefix, const char *v_prefix,
                          gint64 hidden, gint64 n_heads, const char *mask, double scale,
                          GError **error)
{
  const char *prefixes[3] = { q_prefix, k_prefix, v_prefix };
  const char *mask_index = NULL;
  gint64 head_dim;
  guint n_bias = 0;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && q_prefix != NULL && k_prefix != NULL && v_prefix != NULL,
                        NULL);
  g_return_val_if_fail (n_heads > 0 && hidden % n_heads == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  head_dim = hidden / n_heads;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *b = g_strconcat (prefixes[i], ".bias", NULL);
      n_bias += oxp_checkpoint_lookup (checkpoint, b) != NULL;
    }
  if (mask != NULL)
    mask_index = mask_index_of (graph, mask);

  if (_oxp_blocks_fused_ok (graph) && (mask == NULL || mask_index != NULL)
      && (n_bias == 0 || n_bias == 3))
    {
      const char *w[3], *b[3], *inputs[4];
      OxpNode *node;

      for (guint i = 0; i < 3; i++)
        {
          g_autofree char *wn = g_strconcat (prefixes[i], ".weight", NULL);
          g_autofree char *bn = g_strconcat (prefixes[i], ".bias", NULL);
          gint64 shape[2] = { hidden, hidden };

          if (!oxp_checkpoint_expect_tensor (checkpoint, wn, shape, 2, error))
            return NULL;
          w[i] = oxp_graph_add_weight (graph, checkpoint, wn, OXP_WEIGHT_TRANSPOSE, error);
          if (w[i] == NULL)
            return NULL;
          if (n_bias == 0)
            continue;
          if (!oxp_checkpoint_expect_tensor (checkpoint, bn, &hidden, 1, error))
            return NULL;
          b[i] = oxp_graph_add_weight (graph, checkpoint, bn, OXP_WEIGHT_NONE, error);
          if (b[i] == NULL)
            return NULL;
        }
      /* Packed [hidden, 3·hidden] and [3·hidden]: constant Concats ORT
       * folds when the session starts. */
      inputs[1] = oxp_graph_op (graph, "Concat", w[0], w[1], w[2], NULL);
      _oxp_blocks_set_int (graph, "axis", 1);
      inputs[2] = NULL;
      if (n_bias == 3)
        {
          inputs[2] = oxp_graph_op (graph, "Concat", b[0], b[1], b[2], NULL);
          _oxp_blocks_set_int (graph, "axis", 0);
        }
      inputs[0] = x;
      inputs[3] = mask_index;
      node = oxp_graph_add_node (graph, "Attention", inputs, mask_index ? 4 : 3, 1);
      oxp_node_set_domain (node, "com.microsoft");
      oxp_node_set_attr_int (node, "num_heads", n_heads);
      oxp_node_set_attr_float (node, "scale", (float)scale);
      /* transformers' finfo.min, not ORT's default -10000. */
      oxp_node_set_attr_float (node, "mask_filter_value", (float)_oxp_blocks_mask_min (graph));
      return oxp_node_get_output (node, 0);
    }

  {
    const char *q, *k, *v, *ctx;

    if ((q = oxp_block_linear (graph, checkpoint, x, q_prefix, hidden, hidden, OXP_LINEAR_DEFAULT,
                               error))
            == NULL
        || (k = oxp_block_linear (graph, checkpoint, x, k_prefix, hidden, hidden,
                                  OXP_LINEAR_DEFAULT, error))
               == NULL
        || (v = oxp_block_linear (graph, checkpoint, x, v_prefix, hidden, hidden,
                                  OXP_LINEAR_DEFAULT, error))
               == NULL)
      return NULL;
    q = oxp_block_split_heads (graph, q, n_heads, head_dim);
    k = oxp_block_split_heads (graph, k, n_heads, head_dim);
    v = oxp_block_split_heads (graph, v, n_heads, head_dim);
    ctx = oxp_block_attention (graph, q, k, v, mask, scale);
    return oxp_block_merge_heads (graph, ctx, n_heads, head_dim);
  }
}

/**
 * oxp_block_skip_layer_norm:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @x: the input value [..., @hidden]
 * @skip: the residual added to @x, same shape
 * @prefix: the norm's name; its tensors are "@prefix.weight" and "@prefix.bias"
 * @hidden: size of the normalized (last) axis
 * @eps: the epsilon added to the variance
 * @error: return location for an error
 *
 * LayerNorm(@x + @skip), a post-LN residual: an Add (a Sum from optimize
 * level 2) and oxp_block_layer_norm(), at every optimize level.  ONNX Runtime's
 * com.microsoft SkipLayerNormalization computes the same in one node, but
 * its CPU kernel (1.30) took 2.3 ms where LayerNormalization took 0.24 ms
 * on bert-base's [1, 128, 768] (one thread, 24 nodes in a row), which made
 * a bert-base O2 export slower than the plain one.
 *
 * Returns: (transfer none) (nullable): the output value (owned by @graph), or NULL with @error set
 */
const char *
oxp_block_skip_layer_norm (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *x,
                           const char *skip, const char *prefix, gint64 hidden, double eps,
                           GError **error)
{
  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && skip != NULL && prefix != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* From O2 the sum is a Sum node: ORT's SkipLayerNormFusion rewrites an
   * Add of two same-shaped 3D values feeding LayerNormalization (as soon as
   * shape inference can prove the shapes equal, e.g. after an
   * EmbedLayerNormalization) into the slow kernel above; it matches Add only. */
  return oxp_block_layer_norm (
      graph, checkpoint,
      oxp_graph_op (graph, oxp_graph_get_optimize_level (graph) >= 2 ? "Sum" : "Add", x, skip,
                    NULL),
      prefix, hidden, eps, error);
}
