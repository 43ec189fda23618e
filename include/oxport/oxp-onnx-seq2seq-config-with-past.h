/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-onnx-config-with-past.h>

G_BEGIN_DECLS

/**
 * OxpConfigBehavior:
 * @OXP_CONFIG_BEHAVIOR_MONOLITH: the whole encoder-decoder in one graph
 * @OXP_CONFIG_BEHAVIOR_ENCODER: the encoder alone (encoder_model.onnx)
 * @OXP_CONFIG_BEHAVIOR_DECODER: the decoder alone (decoder_model.onnx,
 *   decoder_with_past_model.onnx)
 *
 * Which part of an encoder-decoder a #OxpOnnxSeq2SeqConfigWithPast exports
 * (#OxpOnnxSeq2SeqConfigWithPast:behavior).
 */
typedef enum {
  OXP_CONFIG_BEHAVIOR_MONOLITH,
  OXP_CONFIG_BEHAVIOR_ENCODER,
  OXP_CONFIG_BEHAVIOR_DECODER,
} OxpConfigBehavior;

#define OXP_TYPE_CONFIG_BEHAVIOR (oxp_config_behavior_get_type ())
OXP_API GType oxp_config_behavior_get_type (void) G_GNUC_CONST;

/* OxpOnnxSeq2SeqConfigWithPast: an encoder-decoder (optimum's
 * OnnxSeq2SeqConfigWithPast); cache names and shapes, outputs and
 * submodels: see core/oxp-onnx-seq2seq-config-with-past.c. */

#define OXP_TYPE_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (oxp_onnx_seq2seq_config_with_past_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpOnnxSeq2SeqConfigWithPast, oxp_onnx_seq2seq_config_with_past, OXP,
                          ONNX_SEQ2SEQ_CONFIG_WITH_PAST, OxpOnnxConfigWithPast)

/**
 * OxpOnnxSeq2SeqConfigWithPastClass:
 * @encoder_length_divisor: how many encoder input steps make one encoder
 *   output step (Whisper's convolutions halve the frames: 2).  0 or 1: the
 *   encoder keeps the length.  Above 1, the encoder output, the decoder's
 *   encoder_hidden_states and the cross-attention cache are
 *   "ceil(encoder_sequence_length / N)" long (rounded up, as a stride-N
 *   convolution padded on both sides counts its windows).
 *
 * The class of #OxpOnnxSeq2SeqConfigWithPast.
 */
struct _OxpOnnxSeq2SeqConfigWithPastClass
{
  OxpOnnxConfigWithPastClass parent_class;

  guint encoder_length_divisor;

  /*< private >*/
  gpointer _oxp_reserved[8];
};

OXP_API OxpConfigBehavior oxp_onnx_seq2seq_config_with_past_get_behavior (OxpOnnxSeq2SeqConfigWithPast *self);

/* optimum's with_behavior(): a copy with another behaviour and past
 * settings; the file name follows ("encoder_model.onnx", …). (transfer full) */
OXP_API OxpOnnxConfig *oxp_onnx_seq2seq_config_with_past_with_behavior (OxpOnnxSeq2SeqConfigWithPast *self,
                                                                        OxpConfigBehavior behavior,
                                                                        gboolean          use_past,
                                                                        gboolean          use_past_in_inputs);

G_END_DECLS
