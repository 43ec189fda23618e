/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-graph.h>
#include <oxport/oxp-checkpoint.h>
#include <oxport/oxp-blocks.h>

G_BEGIN_DECLS

/* Building blocks of encoder-decoder models (T5's relative positions, the
 * decoder's causal mask over a cache, cross-attention over a cached
 * encoder past).  Same conventions as <oxport/oxp-blocks.h>: values are
 * names owned by the graph, NULL on error with @error set.
 *
 * Positions: the queries are the tokens of @query_ids (axis 1, q of them)
 * at positions past_length + arange(q); the keys are arange(past_length +
 * q).  @past_length is an int64 scalar value, or NULL for no past. */

/* int64 [q, past + q]: T5's _relative_position_bucket of (key − query):
 * bidirectional (encoder) or causal (decoder), @num_buckets buckets,
 * logarithmic up to @max_distance.  The buckets are a constant table of
 * the clamped relative position, computed in float32 as transformers
 * does, so bucket edges match exactly. */
OXP_API const char *oxp_block_relative_position_buckets (OxpGraph   *graph,
                                                         const char *query_ids,
                                                         const char *past_length,
                                                         gboolean    bidirectional,
                                                         gint64      num_buckets,
                                                         gint64      max_distance,
                                                         GError    **error);

/* float [1, @n_heads, q, past + q]: the rows of @weight [@num_buckets,
 * @n_heads] (a checkpoint tensor, T5's relative_attention_bias.weight) at
 * the buckets above, heads first. */
OXP_API const char *oxp_block_relative_position_bias (OxpGraph      *graph,
                                                      OxpCheckpoint *checkpoint,
                                                      const char    *weight,
                                                      const char    *query_ids,
                                                      const char    *past_length,
                                                      gint64         n_heads,
                                                      gboolean       bidirectional,
                                                      gint64         num_buckets,
                                                      gint64         max_distance,
                                                      GError       **error);

/* float [1, 1, q, past + q]: 0 where key j ≤ past_length + i, else the float
 * type's finfo.min (a decoder without a decoder attention mask). */
OXP_API const char *oxp_block_causal_mask_with_past (OxpGraph   *graph,
                                                     const char *query_ids,
                                                     const char *past_length);

/* int64 scalar: the length of axis @axis of @x (past_length from a cache
 * input: axis 2). */
OXP_API const char *oxp_block_axis_length (OxpGraph   *graph,
                                           const char *x,
                                           gint64      axis);

/* Cross-attention keys and values [batch, @n_heads, enc, @head_dim]: the
 * cached @past_key and @past_value when both are given (a decoder with past
 * never recomputes them), else the projections "@key_prefix" and
 * "@value_prefix" (linear [@hidden → @n_heads·@head_dim], @flags) of
 * @encoder_hidden_states [batch, enc, @hidden], split into heads. */
OXP_API gboolean    oxp_block_cross_attention_kv (OxpGraph       *graph,
                                                  OxpCheckpoint  *checkpoint,
                                                  const char     *encoder_hidden_states,
                                                  const char     *past_key,
                                                  const char     *past_value,
                                                  const char     *key_prefix,
                                                  const char     *value_prefix,
                                                  gint64          hidden,
                                                  gint64          n_heads,
                                                  gint64          head_dim,
                                                  OxpLinearFlags  flags,
                                                  const char    **key_out,
                                                  const char    **value_out,
                                                  GError        **error);

/* softmax(@scale · Q·Kᵀ + @mask)·V of [batch, @n_heads, seq, @head_dim]
 * inputs, heads merged to [batch, q, @n_heads·@head_dim]; from optimize
 * level 2 one com.microsoft MultiHeadAttention (4-D keys and values as given,
 * @mask as its attention_bias). */
OXP_API const char *oxp_block_attention_merged (OxpGraph   *graph,
                                                const char *query,
                                                const char *key,
                                                const char *value,
                                                const char *mask,
                                                double      scale,
                                                gint64      n_heads,
                                                gint64      head_dim);

/* A query, key or value projection @x [batch, seq, @n_heads·@head_dim] in
 * the form oxp_block_self_attention_merged() takes it: split into heads
 * [batch, @n_heads, seq, @head_dim] below optimize level 2, as it is from
 * 2 on (MultiHeadAttention splits it itself). */
OXP_API const char *oxp_block_attention_heads (OxpGraph   *graph,
                                               const char *x,
                                               gint64      n_heads,
                                               gint64      head_dim);

/* A decoder's self-attention over its cache, heads merged to [batch, q,
 * @n_heads·@head_dim]: @query, @key and @value from
 * oxp_block_attention_heads(), @past_key and @past_value [batch, @n_heads,
 * past, @head_dim] (or both NULL), @mask an additive bias broadcastable to
 * [batch, @n_heads, q, past + q] whose last two axes are spelled out (the
 * causal mask, T5's position bias).  @present_key and @present_value
 * (nullable; needed with a past) receive the keys and values with the past,
 * [batch, @n_heads, past + q, @head_dim].  Below optimize level 2 the past
 * is concatenated before oxp_block_attention_merged(); from 2 on one
 * com.microsoft MultiHeadAttention takes it as its past_key / past_value
 * and gives the presents. */
OXP_API const char *oxp_block_self_attention_merged (OxpGraph    *graph,
                                                     const char  *query,
                                                     const char  *key,
                                                     const char  *value,
                                                     const char  *past_key,
                                                     const char  *past_value,
                                                     const char  *mask,
                                                     double       scale,
                                                     gint64       n_heads,
                                                     gint64       head_dim,
                                                     const char **present_key,
                                                     const char **present_value);

G_END_DECLS
