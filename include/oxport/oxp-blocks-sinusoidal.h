/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-graph.h>

G_BEGIN_DECLS

/* Sinusoidal positions that a checkpoint does not store.  Same conventions
 * as <oxport/oxp-blocks.h>: values are names owned by the graph, NULL on
 * error with @error set. */

/* [batch|1, seq, @dim] in the graph's float type: the rows at
 * @position_ids (int64 [batch|1, seq]) of the table transformers'
 * MarianSinusoidalPositionalEmbedding (and Pegasus's) builds: for position
 * p, column j < ⌈@dim/2⌉ is sin(p · 10000^(-2j/@dim)) and column ⌈@dim/2⌉ + j
 * is cos(p · 10000^(-2j/@dim)), the sines first, not interleaved.  Computed
 * from the positions in float32 (the frequencies rounded from double), so no
 * table is stored and no position limit applies.  Fails when @dim < 1. */
OXP_API const char *oxp_block_sinusoidal_positions (OxpGraph *graph, const char *position_ids,
                                                    gint64 dim, GError **error);

G_END_DECLS
