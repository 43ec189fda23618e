/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

typedef enum
{
  OXP_BART_POSITIONS_LEARNED,    /* embed_positions.weight, rows past + i + 2 */
  OXP_BART_POSITIONS_SINUSOIDAL, /* not in the checkpoint: computed (Marian) */
} OxpBartPositions;

/* What sets a family apart: a table row, not a copy of the graph code. */
typedef struct
{
  const char *model_type;
  gboolean pre_norm;            /* LayerNorm before each sublayer, a final one per stack */
  gboolean layernorm_embedding; /* LayerNorm right after token + position embeddings */
  OxpBartPositions positions;
} OxpBartVariant;

/* Everything the graphs need from config.json, read once by the config. */
typedef struct
{
  const OxpBartVariant *variant;
  const char *task;
  gint64 vocab_size;         /* encoder embeddings */
  gint64 decoder_vocab_size; /* decoder embeddings, lm_head, final_logits_bias (Marian) */
  gint64 d_model;
  gint64 encoder_layers;
  gint64 decoder_layers;
  gint64 encoder_heads;
  gint64 decoder_heads;
  gint64 encoder_ffn_dim;
  gint64 decoder_ffn_dim;
  gint64 max_positions; /* max_position_embeddings */
  double embed_scale;   /* √d_model when scale_embedding, else 1 */
  const char *act;      /* activation_function, an ACT2FN name */
  gboolean tied;        /* tie_word_embeddings: lm_head is the decoder's embeddings */
} OxpBartSpec;

G_GNUC_INTERNAL
gboolean _oxp_bart_spec_init (OxpBartSpec *spec, OxpNormalizedConfig *config, const char *task,
                              GError **error);

/* Builds the graph @behavior asks for: the encoder, or the decoder (with
 * past when @inputs, the config's input specs, hold the past). */
G_GNUC_INTERNAL
gboolean _oxp_bart_build_graph (const OxpBartSpec *spec, OxpConfigBehavior behavior,
                                GPtrArray *inputs, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                GError **error);

G_END_DECLS
