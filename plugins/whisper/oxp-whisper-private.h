/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Everything the graphs need from config.json, read once by the config. */
typedef struct
{
  gint64 vocab_size;
  gint64 d_model;
  gint64 num_mel_bins;
  gint64 encoder_layers;
  gint64 decoder_layers;
  gint64 encoder_heads;
  gint64 decoder_heads;
  gint64 encoder_ffn_dim;
  gint64 decoder_ffn_dim;
  gint64 max_source_positions;
  gint64 max_target_positions;
  const char *act; /* activation_function, an ACT2FN name */
  gboolean tied;   /* tie_word_embeddings: proj_out is decoder.embed_tokens */
} OxpWhisperSpec;

G_GNUC_INTERNAL
gboolean _oxp_whisper_spec_init (OxpWhisperSpec *spec, OxpNormalizedConfig *config, GError **error);

/* Builds the graph @behavior asks for: the encoder, or the decoder (with
 * past when @inputs, the config's input specs, hold the past). */
G_GNUC_INTERNAL
gboolean _oxp_whisper_build_graph (const OxpWhisperSpec *spec, OxpConfigBehavior behavior,
                                   GPtrArray *inputs, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                   GError **error);

G_END_DECLS
