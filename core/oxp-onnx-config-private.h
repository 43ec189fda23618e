/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Records @error (consumed) as the config's first deferred error. */
G_GNUC_INTERNAL void _oxp_onnx_config_defer_error (OxpOnnxConfig *self, GError *error);

/* A GPtrArray owning OxpTensorSpecs. */
G_GNUC_INTERNAL GPtrArray *_oxp_spec_array_new (void);

/* The encoder output length dim of a seq2seq config: "encoder_sequence_length",
 * or "ceil(encoder_sequence_length / N)" (see encoder_length_divisor). */
G_GNUC_INTERNAL char *_oxp_seq2seq_encoder_output_length (OxpOnnxSeq2SeqConfigWithPast *self);

/* Declares @self's outputs on the subgraph @branch and runs build_graph. */
G_GNUC_INTERNAL gboolean _oxp_onnx_config_build_branch (OxpOnnxConfig *self, OxpGraph *branch,
                                                        OxpCheckpoint *checkpoint, GError **error);

/* optimum 1.13's decoder_model_merged.onnx: an If on use_cache_branch. */
G_GNUC_INTERNAL gboolean _oxp_text_decoder_onnx_config_get_merged (OxpTextDecoderOnnxConfig *self);
G_GNUC_INTERNAL gboolean _oxp_text_decoder_onnx_config_build_merged (OxpOnnxConfig *self,
                                                                     OxpGraph *graph,
                                                                     OxpCheckpoint *checkpoint,
                                                                     GError **error);

/* A seq2seq decoder_model_merged.onnx (built by the same If as above). */
G_GNUC_INTERNAL gboolean _oxp_seq2seq_config_get_merged (OxpOnnxSeq2SeqConfigWithPast *self);

G_END_DECLS
