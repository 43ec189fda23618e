/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Everything the graph needs from config.json, read once by the config. */
typedef struct
{
  const char *source; /* what errors call config.json */
  const char *task;   /* base task: "text-generation", "feature-extraction", … */
  gint64 vocab_size;
  gint64 hidden_size; /* n_embd */
  gint64 num_layers;  /* n_layer */
  gint64 num_heads;   /* n_head */
  gint64 head_dim;
  gint64 inner_size;    /* n_inner, or 4 · n_embd */
  gint64 max_positions; /* n_positions */
  gint64 num_labels;
  gint64 pad_token_id;
  gboolean has_pad_token_id;
  double layer_norm_eps;
  const char *activation; /* activation_function */
  gboolean scale_attn_weights;
  gboolean scale_attn_by_inverse_layer_idx;
  gboolean reorder_and_upcast_attn;
  gboolean tie_word_embeddings;
  gboolean use_past;     /* present.* outputs */
  gboolean past_inputs;  /* past_key_values.* inputs */
  gboolean position_ids; /* a position_ids input */
} OxpGpt2Spec;

G_GNUC_INTERNAL
gboolean _oxp_gpt2_check_config (OxpNormalizedConfig *config, GError **error);

G_GNUC_INTERNAL
gboolean _oxp_gpt2_spec_init (OxpGpt2Spec *spec, OxpOnnxConfig *config, GError **error);

G_GNUC_INTERNAL
gboolean _oxp_gpt2_build_graph (const OxpGpt2Spec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                GError **error);

G_END_DECLS
