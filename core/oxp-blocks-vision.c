/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks for vision transformers' embeddings: patches by a strided
 * Conv, and the learned tokens prepended to them. */

#include "config.h"

#include <oxport/oxport.h>

#include "oxp-blocks-private.h"

/**
 * oxp_block_patch_embedding:
 * @graph: the graph to add nodes to
 * @checkpoint: the checkpoint holding the weights
 * @pixel_values: images [batch, @num_channels, height, width]
 * @weight: the name of the Conv weight [@hidden, @num_channels, @patch_size, @patch_size]
 * @bias: (nullable): the name of its bias [@hidden], or %NULL for none (CLIP)
 * @num_channels: the image channels
 * @hidden: the embedding width
 * @patch_size: the side of a square patch, the Conv's kernel and stride
 * @error: return location for a #GError
 *
 * The patch embedding of ViT, DeiT and CLIP's vision tower: each
 * non-overlapping @patch_size × @patch_size patch projected to @hidden
 * values by one Conv, the patches in row-major order (torch's
 * conv(x).flatten(2).transpose(1, 2)).  The weights' shapes are checked.
 *
 * Returns: (transfer none) (nullable): [batch, num_patches, @hidden], or
 *   %NULL with @error set
 */
const char *
oxp_block_patch_embedding (OxpGraph *graph, OxpCheckpoint *checkpoint, const char *pixel_values,
                           const char *weight, const char *bias, gint64 num_channels, gint64 hidden,
                           gint64 patch_size, GError **error)
{
  static const gint64 flatten[] = { 0, 0, -1 };
  static const gint64 perm[] = { 0, 2, 1 };
  const gint64 wshape[] = { hidden, num_channels, patch_size, patch_size };
  const gint64 kernel[] = { patch_size, patch_size };
  const char *w, *b = NULL, *x;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (pixel_values != NULL && weight != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!oxp_checkpoint_expect_tensor (checkpoint, weight, wshape, 4, error)
      || (w = oxp_graph_add_weight (graph, checkpoint, weight, OXP_WEIGHT_NONE, error)) == NULL)
    return NULL;
  if (bias != NULL
      && (!oxp_checkpoint_expect_tensor (checkpoint, bias, &hidden, 1, error)
          || (b = oxp_graph_add_weight (graph, checkpoint, bias, OXP_WEIGHT_NONE, error)) == NULL))
    return NULL;
  x = oxp_graph_op (graph, "Conv", pixel_values, w, b, NULL);
  _oxp_blocks_set_ints (graph, "kernel_shape", kernel, 2);
  _oxp_blocks_set_ints (graph, "strides", kernel, 2);
  x = oxp_graph_op (graph, "Reshape", x,
                    oxp_graph_add_constant_int64s (graph, "flatten_shape", flatten, 3), NULL);
  return _oxp_blocks_transpose (graph, x, perm, 3);
}

/**
 * oxp_block_prepend_tokens:
 * @graph: the graph to add nodes to
 * @x: the sequence [batch, seq, hidden]
 * @tokens: (array length=n_tokens): learned tokens, each broadcastable to
 *   [1, n, hidden] (ViT's cls_token [1, 1, hidden]; CLIP's class_embedding
 *   [hidden] is one token)
 * @n_tokens: the number of @tokens (≥ 1)
 *
 * Puts the @tokens, expanded to the batch size of @x (torch's
 * expand(batch, -1, -1)), before @x along the sequence axis, in the order
 * given: ViT's [CLS] token, DeiT's [CLS] and distillation tokens.
 *
 * Returns: (transfer none): [batch, n + seq, hidden]
 */
const char *
oxp_block_prepend_tokens (OxpGraph *graph, const char *x, const char *const *tokens, guint n_tokens)
{
  static const gint64 ones[] = { 1, 1 };
  const char **parts;
  const char *batch, *shape;
  OxpNode *concat;

  g_return_val_if_fail (OXP_IS_GRAPH (graph), NULL);
  g_return_val_if_fail (x != NULL && tokens != NULL && n_tokens >= 1, NULL);

  /* [batch, 1, 1]: the shape every token is expanded to. */
  batch = _oxp_blocks_slice_last (graph, oxp_graph_op (graph, "Shape", x, NULL), 0, 0, 1);
  shape = oxp_graph_op (graph, "Concat", batch,
                        oxp_graph_add_constant_int64s (graph, "ones", ones, 2), NULL);
  _oxp_blocks_set_int (graph, "axis", 0);

  parts = g_newa (const char *, n_tokens + 1);
  for (guint i = 0; i < n_tokens; i++)
    parts[i] = oxp_graph_op (graph, "Expand", tokens[i], shape, NULL);
  parts[n_tokens] = x;
  concat = oxp_graph_add_node (graph, "Concat", parts, n_tokens + 1, 1);
  oxp_node_set_attr_int (concat, "axis", 1);
  return oxp_node_get_output (concat, 0);
}
