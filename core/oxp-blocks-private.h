/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Node helpers shared by the building-block sources (oxp-blocks*.c). */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Attributes of the last node added. */
G_GNUC_INTERNAL void _oxp_blocks_set_ints (OxpGraph *graph, const char *name, const gint64 *values,
                                           gsize n);
G_GNUC_INTERNAL void _oxp_blocks_set_int (OxpGraph *graph, const char *name, gint64 value);

/* A float32 scalar constant, whatever the graph's float type. */
G_GNUC_INTERNAL const char *_oxp_blocks_const_f32 (OxpGraph *graph, const char *hint, float value);
G_GNUC_INTERNAL const char *_oxp_blocks_cast (OxpGraph *graph, const char *x, OxpDataType to);
G_GNUC_INTERNAL const char *_oxp_blocks_unsqueeze (OxpGraph *graph, const char *x,
                                                   const gint64 *axes, gsize n);
G_GNUC_INTERNAL const char *_oxp_blocks_transpose (OxpGraph *graph, const char *x,
                                                   const gint64 *perm, gsize n);
G_GNUC_INTERNAL const char *_oxp_blocks_reduce_mean_last (OxpGraph *graph, const char *x);
/* Axis @axis of @x's shape as an int64 scalar. */
G_GNUC_INTERNAL const char *_oxp_blocks_dim_of (OxpGraph *graph, const char *x, gint64 axis);
/* x[start:end] along @axis. */
G_GNUC_INTERNAL const char *_oxp_blocks_slice_last (OxpGraph *graph, const char *x, gint64 axis,
                                                    gint64 start, gint64 end);
/* torch.finfo(dtype).min of the graph's float type. */
G_GNUC_INTERNAL double _oxp_blocks_mask_min (OxpGraph *graph);
/* Whether the graph's float type is narrower than float32. */
G_GNUC_INTERNAL gboolean _oxp_blocks_narrow_float (OxpGraph *graph);

/* oxp_block_attention(); with @softmax_float32 a narrower float type's
 * scores go through Softmax in float32 (transformers' decoders:
 * softmax(..., dtype=torch.float32).to(query.dtype)). */
G_GNUC_INTERNAL const char *_oxp_blocks_attention (OxpGraph *graph, const char *query,
                                                   const char *key, const char *value,
                                                   const char *mask, double scale,
                                                   gboolean softmax_float32);

/* Records that @additive is oxp_block_attention_mask (@attention_mask), for
 * the fused attention of the optimize levels. */
G_GNUC_INTERNAL void _oxp_blocks_note_mask_source (OxpGraph *graph, const char *additive,
                                                   const char *attention_mask);
/* Whether the optimize level asks for ORT's fused operators and their CPU
 * kernels take the graph's float type. */
G_GNUC_INTERNAL gboolean _oxp_blocks_fused_ok (OxpGraph *graph);
G_END_DECLS
