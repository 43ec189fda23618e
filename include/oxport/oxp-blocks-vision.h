/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-graph.h>
#include <oxport/oxp-checkpoint.h>

G_BEGIN_DECLS

/* Vision transformers' embeddings (ViT, DeiT, CLIP's vision tower …).  Same
 * conventions as <oxport/oxp-blocks.h>: values are names owned by the
 * graph, NULL on error with @error set. */

/* Non-overlapping patches: a Conv of kernel = stride = @patch_size over
 * @pixel_values [batch, @num_channels, H, W] with "@weight" [@hidden,
 * @num_channels, @patch_size, @patch_size] and "@bias" [@hidden]
 * (nullable), flattened to [batch, (H/@patch_size)·(W/@patch_size), @hidden]
 * (torch's flatten(2).transpose(1, 2)). */
OXP_API const char *oxp_block_patch_embedding (OxpGraph      *graph,
                                               OxpCheckpoint *checkpoint,
                                               const char    *pixel_values,
                                               const char    *weight,
                                               const char    *bias,
                                               gint64         num_channels,
                                               gint64         hidden,
                                               gint64         patch_size,
                                               GError       **error);
/* The @n_tokens learned tokens (each broadcastable to [1, n, hidden]: a
 * [hidden] vector is one token) expanded to the batch of @x [batch, seq,
 * hidden] and put before it, in order, along axis 1 ([CLS], DeiT's
 * distillation token). */
OXP_API const char *oxp_block_prepend_tokens  (OxpGraph           *graph,
                                               const char         *x,
                                               const char * const *tokens,
                                               guint               n_tokens);

G_END_DECLS
