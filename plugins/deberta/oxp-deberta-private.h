/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* DeBERTa-v2 (and v3, which is the same model type): optimum's
 * DebertaV2OnnxConfig; token_type_ids only when type_vocab_size > 0. */
#define OXP_TYPE_DEBERTA_V2_ONNX_CONFIG (oxp_deberta_v2_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpDebertaV2OnnxConfig, oxp_deberta_v2_onnx_config, OXP,
                      DEBERTA_V2_ONNX_CONFIG, OxpTextEncoderOnnxConfig)

/* Everything the graph needs from config.json, read once by the config. */
typedef struct
{
  const char *task;
  gint64 vocab_size;
  gint64 hidden_size;
  gint64 embedding_size;
  gint64 num_layers;
  gint64 num_heads;
  gint64 intermediate_size;
  gint64 max_positions;
  gint64 type_vocab_size;
  gint64 num_labels;
  gint64 pooler_hidden_size;
  double layer_norm_eps;
  const char *hidden_act;
  const char *pooler_hidden_act;
  gboolean position_biased_input;
  gboolean relative_attention;
  gboolean c2p, p2c; /* pos_att_type */
  gboolean share_att_key;
  gboolean norm_rel_layer_norm; /* norm_rel_ebd has "layer_norm" */
  gint64 position_buckets;      /* > 0: log buckets */
  gint64 max_relative;          /* max_relative_positions, max_position_embeddings when < 1 */
  gint64 att_span;              /* position_buckets when > 0, else max_relative */
} OxpDebertaSpec;

G_GNUC_INTERNAL
gboolean _oxp_deberta_spec_init (OxpDebertaSpec *spec, OxpNormalizedConfig *config,
                                 const char *task, GError **error);

G_GNUC_INTERNAL
gboolean _oxp_deberta_build_graph (const OxpDebertaSpec *spec, OxpGraph *graph,
                                   OxpCheckpoint *checkpoint, GError **error);

G_END_DECLS
