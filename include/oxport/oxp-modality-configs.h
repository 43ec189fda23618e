/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-onnx-config.h>
#include <oxport/oxp-onnx-config-with-past.h>
#include <oxport/oxp-onnx-seq2seq-config-with-past.h>

G_BEGIN_DECLS

/* Middle-end configs, one per modality (optimum's exporters/onnx/config.py).
 * Each picks the normalized config variant, the inputs and the dummy input
 * generators of its modality; an architecture derives from one, sets its
 * class fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then oxp_normalized_config_set_alias),
 * and implements build_graph.  All inputs are INT64 unless said otherwise. */

/**
 * OxpTextEncoderOnnxConfigClass:
 * @uses_token_type_ids: add token_type_ids after input_ids, attention_mask
 *
 * Inputs: input_ids, attention_mask[, token_type_ids], each
 * [batch_size, sequence_length], or [batch_size, num_choices,
 * sequence_length] for multiple-choice.  Normalized config: text.
 * Generators: text.
 */
#define OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG (oxp_text_encoder_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpTextEncoderOnnxConfig, oxp_text_encoder_onnx_config, OXP,
                          TEXT_ENCODER_ONNX_CONFIG, OxpOnnxConfig)
struct _OxpTextEncoderOnnxConfigClass
{
  OxpOnnxConfigClass parent_class;

  gboolean uses_token_type_ids;

  /*< private >*/
  gpointer _oxp_reserved[8];
};

/**
 * OxpTextDecoderOnnxConfigClass:
 * @past_before_attention_mask: order the past inputs before attention_mask
 *   (GPT-2's forward signature) instead of after it (LLaMA's)
 * @uses_position_ids: add position_ids [batch_size, sequence_length] (current
 *   optimum's TextDecoderWithPositionIdsOnnxConfig: text-generation and
 *   feature-extraction only, never with #OxpTextDecoderOnnxConfig:legacy);
 *   it follows attention_mask unless @position_ids_after_past
 * @position_ids_after_past: put position_ids last, after the past (OPT's
 *   forward signature)
 *
 * The inputs follow the HF model's forward signature, as optimum's
 * ordered_inputs() does: input_ids [batch_size, sequence_length],
 * attention_mask ([batch_size, past_sequence_length + sequence_length] with
 * past inputs, else [batch_size, sequence_length]), position_ids,
 * past_key_values.{i}.key/.value [batch_size, num_key_value_heads,
 * past_sequence_length, head_dim].  So llama, mistral, qwen2, phi3,
 * gpt_neox: input_ids, attention_mask, position_ids, past; gemma (no
 * position_ids): input_ids, attention_mask, past; opt: input_ids,
 * attention_mask, past, position_ids; gpt2 (past before the mask, as
 * GPT2LMHeadModel.forward takes them): input_ids, past, attention_mask,
 * position_ids.
 *
 * Files (current optimum, the default): text-generation-with-past is ONE
 * model.onnx that takes the past (of length 0 for the first step) and
 * returns logits and present.{i}.key/.value [batch_size,
 * num_key_value_heads, past_sequence_length + sequence_length, head_dim];
 * every other task (text-generation: logits only) is model.onnx without a
 * cache.  With #OxpTextDecoderOnnxConfig:legacy, optimum 1.13's files:
 * decoder_model.onnx (no past in, presents out), decoder_with_past_model.onnx
 * and decoder_model_merged.onnx for -with-past tasks, and text-generation as
 * decoder_model.onnx with presents.  Normalized config: text.  Generators:
 * text, past key values.
 */
#define OXP_TYPE_TEXT_DECODER_ONNX_CONFIG (oxp_text_decoder_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpTextDecoderOnnxConfig, oxp_text_decoder_onnx_config, OXP,
                          TEXT_DECODER_ONNX_CONFIG, OxpOnnxConfigWithPast)
struct _OxpTextDecoderOnnxConfigClass
{
  OxpOnnxConfigWithPastClass parent_class;

  gboolean past_before_attention_mask;
  gboolean uses_position_ids;
  gboolean position_ids_after_past;

  /*< private >*/
  gpointer _oxp_reserved[7];
};

OXP_API gboolean oxp_text_decoder_onnx_config_get_legacy (OxpTextDecoderOnnxConfig *self);

/**
 * OxpTextSeq2SeqOnnxConfigClass:
 * @encoder_hidden_states_with_past: keep the encoder_hidden_states input in
 *   the decoder with past (T5 does; BART does not)
 *
 * Encoder inputs: input_ids, attention_mask [batch_size,
 * encoder_sequence_length].  Decoder inputs: encoder_attention_mask
 * [batch_size, encoder_sequence_length], input_ids [batch_size,
 * decoder_sequence_length], encoder_hidden_states [batch_size,
 * encoder_sequence_length, hidden_size], then the past.  Monolith inputs:
 * input_ids, attention_mask, decoder_input_ids.  Normalized config:
 * seq2seq.  Generators: text, seq2seq past key values.
 */
#define OXP_TYPE_TEXT_SEQ2SEQ_ONNX_CONFIG (oxp_text_seq2seq_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpTextSeq2SeqOnnxConfig, oxp_text_seq2seq_onnx_config, OXP,
                          TEXT_SEQ2SEQ_ONNX_CONFIG, OxpOnnxSeq2SeqConfigWithPast)
struct _OxpTextSeq2SeqOnnxConfigClass
{
  OxpOnnxSeq2SeqConfigWithPastClass parent_class;

  gboolean encoder_hidden_states_with_past;

  /*< private >*/
  gpointer _oxp_reserved[8];
};

/**
 * OxpVisionOnnxConfigClass:
 * @n_extra_tokens: tokens the encoder adds to the patches (1 by default,
 *   ViT's [CLS]; DeiT: 2)
 *
 * Inputs: pixel_values FLOAT [batch_size, num_channels, height, width],
 * with num_channels and image_size as numbers when config.json has them
 * (the position embeddings fix them).  feature-extraction's
 * last_hidden_state is [batch_size, (height / patch_size) × (width /
 * patch_size) + n_extra_tokens, hidden_size] when image_size and
 * patch_size are known.  Normalized config: vision.  Generators: vision.
 */
#define OXP_TYPE_VISION_ONNX_CONFIG (oxp_vision_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpVisionOnnxConfig, oxp_vision_onnx_config, OXP, VISION_ONNX_CONFIG,
                          OxpOnnxConfig)
struct _OxpVisionOnnxConfigClass
{
  OxpOnnxConfigClass parent_class;

  gint64 n_extra_tokens;

  /*< private >*/
  gpointer _oxp_reserved[8];
};

/**
 * OxpTextAndVisionOnnxConfigClass:
 *
 * Inputs (CLIP's order): input_ids [text_batch_size, sequence_length],
 * pixel_values FLOAT [image_batch_size, num_channels, height, width] (the
 * vision config's numbers when known, as for #OxpVisionOnnxConfigClass),
 * attention_mask [text_batch_size, sequence_length].  Normalized config:
 * text-and-vision.  Generators: text, vision.
 */
#define OXP_TYPE_TEXT_AND_VISION_ONNX_CONFIG (oxp_text_and_vision_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpTextAndVisionOnnxConfig, oxp_text_and_vision_onnx_config, OXP,
                          TEXT_AND_VISION_ONNX_CONFIG, OxpOnnxConfig)
struct _OxpTextAndVisionOnnxConfigClass
{
  OxpOnnxConfigClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[8];
};

/**
 * OxpAudioOnnxConfigClass:
 *
 * Inputs: input_values FLOAT [batch_size, sequence_length] (raw audio; the
 * dummy generator uses OxpShapes.audio_sequence_length samples).
 * Normalized config: text.  Generators: audio.
 */
#define OXP_TYPE_AUDIO_ONNX_CONFIG (oxp_audio_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpAudioOnnxConfig, oxp_audio_onnx_config, OXP, AUDIO_ONNX_CONFIG,
                          OxpOnnxConfig)
struct _OxpAudioOnnxConfigClass
{
  OxpOnnxConfigClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[8];
};

/**
 * OxpAudioToTextOnnxConfigClass:
 *
 * Encoder inputs: input_features FLOAT [batch_size, feature_size,
 * encoder_sequence_length] (feature_size: the number of the normalized
 * config's feature_size, aliased to num_mel_bins, when known).  Decoder inputs: input_ids
 * [batch_size, decoder_sequence_length], encoder_hidden_states [batch_size,
 * encoder_sequence_length (/ encoder_length_divisor), hidden_size] (without
 * past inputs only), then the past.  Whisper sets the parent class's
 * encoder_length_divisor to 2.  Monolith inputs: input_features, decoder_input_ids.
 * Normalized config: seq2seq.  Generators: audio, text, seq2seq past.
 */
#define OXP_TYPE_AUDIO_TO_TEXT_ONNX_CONFIG (oxp_audio_to_text_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpAudioToTextOnnxConfig, oxp_audio_to_text_onnx_config, OXP,
                          AUDIO_TO_TEXT_ONNX_CONFIG, OxpOnnxSeq2SeqConfigWithPast)
struct _OxpAudioToTextOnnxConfigClass
{
  OxpOnnxSeq2SeqConfigWithPastClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[8];
};

G_END_DECLS
