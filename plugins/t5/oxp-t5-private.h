/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Everything the graphs need from config.json, read once by the config. */
typedef struct
{
  const char *model_type;
  const char *task;
  gint64 vocab_size;
  gint64 d_model;
  gint64 d_kv;
  gint64 d_ff;
  gint64 num_heads;
  gint64 num_layers;         /* encoder */
  gint64 num_decoder_layers; /* decoder */
  gint64 num_buckets;        /* relative_attention_num_buckets */
  gint64 max_distance;       /* relative_attention_max_distance */
  double eps;                /* layer_norm_epsilon */
  const char *act;           /* the ACT2FN name feed_forward_proj resolves to */
  gboolean gated;            /* "gated-…": wo(act(wi_0 x) · wi_1 x) */
  gboolean tied;             /* tie_word_embeddings: lm_head is shared, input × d_model^-0.5 */
} OxpT5Spec;

G_GNUC_INTERNAL
gboolean _oxp_t5_spec_init (OxpT5Spec *spec, OxpNormalizedConfig *config, const char *task,
                            GError **error);

/* Builds the graph @behavior asks for: the encoder, or the decoder (with
 * past when @inputs, the config's input specs, hold the past). */
G_GNUC_INTERNAL
gboolean _oxp_t5_build_graph (const OxpT5Spec *spec, OxpConfigBehavior behavior, GPtrArray *inputs,
                              OxpGraph *graph, OxpCheckpoint *checkpoint, GError **error);

G_END_DECLS
