/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* What distinguishes one architecture of the family: a row of the variant
 * table in oxp-llama-config.c. */
typedef struct
{
  const char *model_type;
  gboolean fused;              /* Phi-3: qkv_proj (q, k, v rows) and gate_up_proj (gate first) */
  gboolean qkv_bias;           /* Qwen2: q/k/v biases, none on o_proj */
  gboolean attention_bias_key; /* LLaMA, Gemma: config "attention_bias" adds q/k/v/o biases */
  gboolean gemma_norms;        /* RMSNorm × (1 + w), embeddings × √hidden */
  gboolean tied_default;       /* tie_word_embeddings when config.json omits it */
  const char *default_act;
  const char *act_keys;    /* config keys of the activation, first found wins */
  const char *window_flag; /* config key that must be true for sliding_window, or NULL */
  gboolean window;         /* sliding_window is read at all */
  double default_eps;
} OxpLlamaVariant;

/* Everything the graph needs from config.json, read once. */
typedef struct
{
  const OxpLlamaVariant *variant;
  const char *task;
  const char *source; /* what errors call config.json */
  gint64 vocab_size;
  gint64 hidden_size;
  gint64 num_layers;
  gint64 num_heads;
  gint64 num_kv_heads;
  gint64 head_dim;
  gint64 rotary_dim;
  gint64 intermediate_size;
  gint64 num_labels;
  gint64 pad_token_id; /* -1: none */
  double rms_norm_eps;
  double rope_theta;
  OxpRopeScaling rope;
  double *short_factor; /* owned; rope.short_factor points here */
  double *long_factor;
  const char *hidden_act;
  const char *hidden_act_key;
  gboolean tied;
  gboolean qkv_bias, o_bias, mlp_bias;
  gint64 sliding_window;     /* 0: none */
  gint64 first_window_layer; /* layers from here on use the window (Qwen2's max_window_layers) */
} OxpLlamaSpec;

G_GNUC_INTERNAL
gboolean _oxp_llama_spec_init (OxpLlamaSpec *spec, OxpNormalizedConfig *config, const char *task,
                               const char *source, GError **error);
G_GNUC_INTERNAL
void _oxp_llama_spec_clear (OxpLlamaSpec *spec);

G_GNUC_INTERNAL
gboolean _oxp_llama_build_graph (const OxpLlamaSpec *spec, OxpOnnxConfig *config, OxpGraph *graph,
                                 OxpCheckpoint *checkpoint, GError **error);

G_END_DECLS
