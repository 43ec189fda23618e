/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Middle-end configs: text encoder, text decoder, text seq2seq, vision,
 * text-and-vision, audio, audio-to-text. */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-onnx-config-private.h"

static void
add_spec (GPtrArray *specs, const char *name, OxpDataType dtype, const char *dims)
{
  g_ptr_array_add (specs, oxp_tensor_spec_new (name, dtype, dims));
}

static void
add_hidden_states (OxpOnnxConfig *config, GPtrArray *specs, const char *name)
{
  OxpTensorSpec *spec = oxp_tensor_spec_new (name, OXP_DATA_TYPE_FLOAT,
                                             "batch_size,encoder_sequence_length,?");
  oxp_tensor_spec_set_dim_value (spec, 2, oxp_onnx_config_require_int (config, "hidden_size"));
  g_ptr_array_add (specs, spec);
}

static GPtrArray *
new_generators (void)
{
  return g_ptr_array_new_with_free_func (g_object_unref);
}

/* Text encoder */

G_DEFINE_ABSTRACT_TYPE (OxpTextEncoderOnnxConfig, oxp_text_encoder_onnx_config,
                        OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_text_encoder_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpTextEncoderOnnxConfigClass *klass = OXP_TEXT_ENCODER_ONNX_CONFIG_GET_CLASS (config);
  const char *dims = g_strcmp0 (oxp_onnx_config_get_task (config), "multiple-choice") == 0
                         ? "batch_size,num_choices,sequence_length"
                         : "batch_size,sequence_length";
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, dims);
  add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64, dims);
  if (klass->uses_token_type_ids)
    add_spec (inputs, "token_type_ids", OXP_DATA_TYPE_INT64, dims);
  return inputs;
}

static void
oxp_text_encoder_onnx_config_class_init (OxpTextEncoderOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_encoder_onnx_config_get_inputs;
}

static void
oxp_text_encoder_onnx_config_init (OxpTextEncoderOnnxConfig *self)
{
}

/* Text decoder */

G_DEFINE_ABSTRACT_TYPE (OxpTextDecoderOnnxConfig, oxp_text_decoder_onnx_config,
                        OXP_TYPE_ONNX_CONFIG_WITH_PAST)

static GPtrArray *
oxp_text_decoder_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpTextDecoderOnnxConfigClass *klass = OXP_TEXT_DECODER_ONNX_CONFIG_GET_CLASS (config);
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  GPtrArray *inputs = _oxp_spec_array_new ();
  const char *mask_dims = past_in ? "batch_size,past_sequence_length + sequence_length"
                                  : "batch_size,sequence_length";

  add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length");
  if (past_in && klass->past_before_attention_mask)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64, mask_dims);
  if (klass->uses_position_ids)
    add_spec (inputs, "position_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length");
  if (past_in && !klass->past_before_attention_mask)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  return inputs;
}

static GPtrArray *
oxp_text_decoder_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();
  OxpDummyInputGenerator *text = oxp_dummy_text_input_generator_new (task, nc);

  g_object_set (text, "use-past-in-inputs",
                oxp_onnx_config_with_past_get_use_past_in_inputs (OXP_ONNX_CONFIG_WITH_PAST (config)),
                NULL);
  g_ptr_array_add (gens, text);
  g_ptr_array_add (gens, oxp_dummy_past_key_values_generator_new (task, nc));
  return gens;
}

static GPtrArray *
oxp_text_decoder_onnx_config_dup_submodels (OxpOnnxConfig *config)
{
  GPtrArray *models;

  if (oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (config))
      || g_strcmp0 (oxp_onnx_config_get_task (config), "text-generation") != 0)
    return OXP_ONNX_CONFIG_CLASS (oxp_text_decoder_onnx_config_parent_class)->dup_submodels (config);

  /* optimum 1.13 writes text-generation as decoder_model.onnx with presents. */
  models = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (models, oxp_onnx_config_copy (config, "use-past", TRUE, "use-past-in-inputs",
                                                 FALSE, "file-name", "decoder_model.onnx", NULL));
  return models;
}

static void
oxp_text_decoder_onnx_config_class_init (OxpTextDecoderOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_decoder_onnx_config_get_inputs;
  config_class->create_dummy_input_generators
      = oxp_text_decoder_onnx_config_create_dummy_input_generators;
  config_class->dup_submodels = oxp_text_decoder_onnx_config_dup_submodels;
}

static void
oxp_text_decoder_onnx_config_init (OxpTextDecoderOnnxConfig *self)
{
}

/* Text seq2seq */

G_DEFINE_ABSTRACT_TYPE (OxpTextSeq2SeqOnnxConfig, oxp_text_seq2seq_onnx_config,
                        OXP_TYPE_ONNX_SEQ2SEQ_CONFIG_WITH_PAST)

static GPtrArray *
oxp_text_seq2seq_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpTextSeq2SeqOnnxConfigClass *klass = OXP_TEXT_SEQ2SEQ_ONNX_CONFIG_GET_CLASS (config);
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  GPtrArray *inputs = _oxp_spec_array_new ();

  switch (oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)))
    {
    case OXP_CONFIG_BEHAVIOR_ENCODER:
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,encoder_sequence_length");
      add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64,
                "batch_size,encoder_sequence_length");
      return inputs;
    case OXP_CONFIG_BEHAVIOR_DECODER:
      add_spec (inputs, "encoder_attention_mask", OXP_DATA_TYPE_INT64,
                "batch_size,encoder_sequence_length");
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,decoder_sequence_length");
      if (!past_in || klass->encoder_hidden_states_with_past)
        add_hidden_states (config, inputs, "encoder_hidden_states");
      break;
    case OXP_CONFIG_BEHAVIOR_MONOLITH:
    default:
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,encoder_sequence_length");
      add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64,
                "batch_size,encoder_sequence_length");
      add_spec (inputs, "decoder_input_ids", OXP_DATA_TYPE_INT64,
                "batch_size,decoder_sequence_length");
      break;
    }
  if (past_in)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  return inputs;
}

static OxpNormalizedConfig *
oxp_text_seq2seq_onnx_config_create_normalized_config (OxpOnnxConfig *config,
                                                       JsonObject    *json,
                                                       GError       **error)
{
  return oxp_normalized_seq2seq_config_new (json);
}

static GPtrArray *
oxp_text_seq2seq_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_seq2seq_past_key_values_generator_new (task, nc));
  return gens;
}

static void
oxp_text_seq2seq_onnx_config_class_init (OxpTextSeq2SeqOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_seq2seq_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_text_seq2seq_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_text_seq2seq_onnx_config_create_dummy_input_generators;
}

static void
oxp_text_seq2seq_onnx_config_init (OxpTextSeq2SeqOnnxConfig *self)
{
}

/* Vision */

G_DEFINE_ABSTRACT_TYPE (OxpVisionOnnxConfig, oxp_vision_onnx_config, OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_vision_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "pixel_values", OXP_DATA_TYPE_FLOAT, "batch_size,num_channels,height,width");
  return inputs;
}

static OxpNormalizedConfig *
oxp_vision_onnx_config_create_normalized_config (OxpOnnxConfig *config,
                                                 JsonObject    *json,
                                                 GError       **error)
{
  return oxp_normalized_vision_config_new (json);
}

static GPtrArray *
oxp_vision_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_vision_input_generator_new (
                             oxp_onnx_config_get_task (config),
                             oxp_onnx_config_get_normalized_config (config)));
  return gens;
}

static void
oxp_vision_onnx_config_class_init (OxpVisionOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_vision_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_vision_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_vision_onnx_config_create_dummy_input_generators;
}

static void
oxp_vision_onnx_config_init (OxpVisionOnnxConfig *self)
{
}

/* Text and vision */

G_DEFINE_ABSTRACT_TYPE (OxpTextAndVisionOnnxConfig, oxp_text_and_vision_onnx_config,
                        OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_text_and_vision_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "text_batch_size,sequence_length");
  add_spec (inputs, "pixel_values", OXP_DATA_TYPE_FLOAT,
            "image_batch_size,num_channels,height,width");
  add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64, "text_batch_size,sequence_length");
  return inputs;
}

static OxpNormalizedConfig *
oxp_text_and_vision_onnx_config_create_normalized_config (OxpOnnxConfig *config,
                                                          JsonObject    *json,
                                                          GError       **error)
{
  return oxp_normalized_text_and_vision_config_new (json);
}

static GPtrArray *
oxp_text_and_vision_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_vision_input_generator_new (task, nc));
  return gens;
}

static void
oxp_text_and_vision_onnx_config_class_init (OxpTextAndVisionOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_and_vision_onnx_config_get_inputs;
  config_class->create_normalized_config
      = oxp_text_and_vision_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_text_and_vision_onnx_config_create_dummy_input_generators;
}

static void
oxp_text_and_vision_onnx_config_init (OxpTextAndVisionOnnxConfig *self)
{
}

/* Audio */

G_DEFINE_ABSTRACT_TYPE (OxpAudioOnnxConfig, oxp_audio_onnx_config, OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_audio_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "input_values", OXP_DATA_TYPE_FLOAT, "batch_size,sequence_length");
  return inputs;
}

static GPtrArray *
oxp_audio_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_audio_input_generator_new (
                             oxp_onnx_config_get_task (config),
                             oxp_onnx_config_get_normalized_config (config)));
  return gens;
}

static void
oxp_audio_onnx_config_class_init (OxpAudioOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_audio_onnx_config_get_inputs;
  config_class->create_dummy_input_generators = oxp_audio_onnx_config_create_dummy_input_generators;
}

static void
oxp_audio_onnx_config_init (OxpAudioOnnxConfig *self)
{
}

/* Audio to text */

G_DEFINE_ABSTRACT_TYPE (OxpAudioToTextOnnxConfig, oxp_audio_to_text_onnx_config,
                        OXP_TYPE_ONNX_SEQ2SEQ_CONFIG_WITH_PAST)

static GPtrArray *
oxp_audio_to_text_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  GPtrArray *inputs = _oxp_spec_array_new ();

  switch (oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)))
    {
    case OXP_CONFIG_BEHAVIOR_ENCODER:
      add_spec (inputs, "input_features", OXP_DATA_TYPE_FLOAT,
                "batch_size,feature_size,encoder_sequence_length");
      return inputs;
    case OXP_CONFIG_BEHAVIOR_DECODER:
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,decoder_sequence_length");
      if (!past_in)
        add_hidden_states (config, inputs, "encoder_hidden_states");
      break;
    case OXP_CONFIG_BEHAVIOR_MONOLITH:
    default:
      add_spec (inputs, "input_features", OXP_DATA_TYPE_FLOAT,
                "batch_size,feature_size,encoder_sequence_length");
      add_spec (inputs, "decoder_input_ids", OXP_DATA_TYPE_INT64,
                "batch_size,decoder_sequence_length");
      break;
    }
  if (past_in)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  return inputs;
}

static OxpNormalizedConfig *
oxp_audio_to_text_onnx_config_create_normalized_config (OxpOnnxConfig *config,
                                                        JsonObject    *json,
                                                        GError       **error)
{
  OxpNormalizedConfig *nc = oxp_normalized_seq2seq_config_new (json);

  oxp_normalized_config_set_alias (nc, "feature_size", "num_mel_bins|feature_size");
  return nc;
}

static GPtrArray *
oxp_audio_to_text_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_audio_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_seq2seq_past_key_values_generator_new (task, nc));
  return gens;
}

static void
oxp_audio_to_text_onnx_config_class_init (OxpAudioToTextOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_audio_to_text_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_audio_to_text_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_audio_to_text_onnx_config_create_dummy_input_generators;
}

static void
oxp_audio_to_text_onnx_config_init (OxpAudioToTextOnnxConfig *self)
{
}
