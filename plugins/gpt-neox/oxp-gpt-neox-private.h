/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* The architecture variants of the family. */
typedef enum
{
  OXP_GPT_NEOX_KIND_GPT_NEOX, /* gpt_neox: fused per-head qkv, partial rotary */
  OXP_GPT_NEOX_KIND_OPT,      /* opt: learned positions at +2, separate q/k/v */
} OxpGptNeoxKind;

/* How a layer adds its two sublayers to the residual stream. */
typedef enum
{
  OXP_GPT_NEOX_RESIDUAL_PARALLEL, /* x + attn(ln1(x)) + mlp(ln2(x)) */
  OXP_GPT_NEOX_RESIDUAL_PRE_LN,   /* h = x + attn(ln1(x)); h + mlp(ln2(h)) */
  OXP_GPT_NEOX_RESIDUAL_POST_LN,  /* h = ln1(x + attn(x)); ln2(h + mlp(h)) */
} OxpGptNeoxResidual;

/* Everything the graph needs from config.json, read once by the config. */
typedef struct
{
  OxpGptNeoxKind kind;
  const char *model_type;
  const char *task;
  const char *source; /* what errors call config.json */
  gint64 vocab_size;
  gint64 hidden_size;
  gint64 embed_dim; /* OPT's word_embed_proj_dim; = hidden otherwise */
  gint64 num_layers;
  gint64 num_heads;
  gint64 head_dim;
  gint64 intermediate_size;
  gint64 max_positions;
  gint64 num_labels;
  gint64 pad_token_id; /* -1: none (the last token is pooled) */
  double layer_norm_eps;
  const char *act;     /* value of … */
  const char *act_key; /* … this config.json key */
  OxpGptNeoxResidual residual;
  gboolean attention_bias; /* gpt_neox: query_key_value and dense biases */
  gboolean enable_bias;    /* opt: every projection and norm bias */
  gboolean final_layer_norm;
  gboolean tie_word_embeddings;
  /* The graph's inputs and outputs, from the config (an If branch of the
   * merged decoder has no inputs of its own to look at). */
  gboolean past_in;      /* past_key_values.{i}.* */
  gboolean present_out;  /* present.{i}.* */
  gboolean position_ids; /* a position_ids input */
  gint64 rotary_dim;     /* gpt_neox: rotated channels of each head (0: none) */
  double rope_theta;
  OxpRopeScaling rope_scaling; /* gpt_neox: rope_scaling linear or dynamic */
} OxpGptNeoxSpec;

G_GNUC_INTERNAL
gboolean _oxp_gpt_neox_spec_init (OxpGptNeoxSpec *spec, OxpNormalizedConfig *config,
                                  const char *task, GError **error);

G_GNUC_INTERNAL
gboolean _oxp_gpt_neox_build_graph (const OxpGptNeoxSpec *spec, OxpGraph *graph,
                                    OxpCheckpoint *checkpoint, GError **error);

G_END_DECLS
