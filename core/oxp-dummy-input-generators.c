/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stock dummy input generators: text, past key values (decoder-only
 * and seq2seq), vision, audio. */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-dummy-input-generator-private.h"

static gsize
n_rows (const gint64 *shape, guint rank)
{
  gsize n = 1;
  for (guint i = 0; i + 1 < rank; i++)
    n *= (gsize)shape[i];
  return n;
}

/* Whether the last dim of @spec is a plain token count (padding applies),
 * rather than past + current tokens. */
static gboolean
last_dim_is_plain_sequence (const OxpTensorSpec *spec)
{
  guint rank = oxp_tensor_spec_get_rank (spec);
  const char *param = rank ? oxp_tensor_spec_get_dim_param (spec, rank - 1) : NULL;

  return param != NULL
         && (strcmp (param, "sequence_length") == 0
             || strcmp (param, "encoder_sequence_length") == 0
             || strcmp (param, "decoder_sequence_length") == 0);
}

/* Padded positions of the row @row of a [batch, …, length] tensor. */
static gint64
row_padding (const gint64 *shape, guint rank, gsize row)
{
  gsize rows = n_rows (shape, rank);
  gsize per_batch = shape[0] ? rows / (gsize)shape[0] : 1;
  gint64 batch = per_batch ? (gint64)(row / per_batch) : 0;

  if (rank < 2 || batch != shape[0] - 1)
    return 0;
  return oxp_dummy_text_padding (shape[0], shape[rank - 1]);
}

/* Text */

typedef struct
{
  gboolean use_past_in_inputs;
} OxpDummyTextInputGeneratorPrivate;

/**
 * OxpDummyTextInputGeneratorClass:
 * @parent_class: the parent class
 *
 * The class of #OxpDummyTextInputGenerator; a plugin derives from it to change how one input is
 * generated and chains up for the others.
 */
G_DEFINE_TYPE_WITH_PRIVATE (OxpDummyTextInputGenerator, oxp_dummy_text_input_generator,
                            OXP_TYPE_DUMMY_INPUT_GENERATOR)

enum
{
  PROP_TEXT_0,
  PROP_TEXT_USE_PAST_IN_INPUTS,
};

static const char *const text_inputs[] = {
  "input_ids",
  "attention_mask",
  "token_type_ids",
  "position_ids",
  "decoder_input_ids",
  "decoder_attention_mask",
  "encoder_attention_mask",
  "encoder_hidden_states",
  "decoder_position_ids",
  "use_cache_branch",
  NULL,
};

static OxpTensor *
generate_ids (OxpDummyInputGenerator *self, const OxpTensorSpec *spec, const gint64 *shape,
              const OxpShapes *shapes, GError **error)
{
  OxpNormalizedConfig *nc = oxp_dummy_input_generator_get_normalized_config (self);
  const char *name = oxp_tensor_spec_get_name (spec);
  guint rank = oxp_tensor_spec_get_rank (spec);
  gint64 vocab, pad;
  OxpTensor *t;

  if (nc == NULL || !oxp_normalized_config_get_int (nc, "vocab_size", &vocab, error))
    {
      if (nc == NULL)
        g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY,
                     "%s has no normalized config to read vocab_size from for '%s'",
                     G_OBJECT_TYPE_NAME (self), name);
      return NULL;
    }
  if (vocab < 1)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: vocab_size is %" G_GINT64_FORMAT ", expected at least 1",
                   oxp_normalized_config_get_source (nc), vocab);
      return NULL;
    }
  pad = oxp_normalized_config_get_int_or (nc, "pad_token_id", 0);
  if (pad < 0 || pad >= vocab)
    pad = 0;

  t = oxp_dummy_random_int_tensor (name, oxp_tensor_spec_get_dtype (spec), shape, rank, 0, vocab,
                                   shapes->seed);
  if (rank >= 1 && last_dim_is_plain_sequence (spec))
    {
      gsize rows = n_rows (shape, rank);
      gint64 len = shape[rank - 1];
      for (gsize r = 0; r < rows; r++)
        for (gint64 k = len - row_padding (shape, rank, r); k < len; k++)
          oxp_tensor_set_element_from_double (t, r * (gsize)len + (gsize)k, (double)pad);
    }
  return t;
}

/* A mask over past + current tokens is padded like a plain one when the
 * past is empty (the first step of a single-file decoder). */
static gboolean
mask_is_padded (const OxpTensorSpec *spec, const OxpShapes *shapes)
{
  guint rank = oxp_tensor_spec_get_rank (spec);
  const char *param = rank ? oxp_tensor_spec_get_dim_param (spec, rank - 1) : NULL;

  return last_dim_is_plain_sequence (spec)
         || (param != NULL && strcmp (param, "past_sequence_length + sequence_length") == 0
             && shapes->past_sequence_length == 0);
}

static OxpTensor *
generate_mask (const OxpTensorSpec *spec, const gint64 *shape, const OxpShapes *shapes)
{
  guint rank = oxp_tensor_spec_get_rank (spec);
  OxpTensor *t = oxp_dummy_constant_tensor (oxp_tensor_spec_get_name (spec),
                                            oxp_tensor_spec_get_dtype (spec), shape, rank, 1.0);

  if (rank >= 1 && mask_is_padded (spec, shapes))
    {
      gsize rows = n_rows (shape, rank);
      gint64 len = shape[rank - 1];
      for (gsize r = 0; r < rows; r++)
        for (gint64 k = len - row_padding (shape, rank, r); k < len; k++)
          oxp_tensor_set_element_from_double (t, r * (gsize)len + (gsize)k, 0.0);
    }
  return t;
}

static OxpTensor *
oxp_dummy_text_input_generator_generate (OxpDummyInputGenerator *self, const OxpTensorSpec *spec,
                                         const gint64 *shape, const OxpShapes *shapes,
                                         GError **error)
{
  OxpDummyTextInputGeneratorPrivate *priv
      = oxp_dummy_text_input_generator_get_instance_private (OXP_DUMMY_TEXT_INPUT_GENERATOR (self));
  OxpNormalizedConfig *nc = oxp_dummy_input_generator_get_normalized_config (self);
  const char *name = oxp_tensor_spec_get_name (spec);
  OxpDataType dtype = oxp_tensor_spec_get_dtype (spec);
  guint rank = oxp_tensor_spec_get_rank (spec);

  if (strcmp (name, "input_ids") == 0 || strcmp (name, "decoder_input_ids") == 0)
    return generate_ids (self, spec, shape, shapes, error);
  if (g_str_has_suffix (name, "attention_mask"))
    return generate_mask (spec, shape, shapes);
  if (strcmp (name, "token_type_ids") == 0)
    {
      OxpTensor *t = oxp_tensor_new (name, dtype, shape, rank);
      gint64 types = nc ? oxp_normalized_config_get_int_or (nc, "type_vocab_size", 2) : 2;
      if (rank >= 1 && types >= 2)
        {
          /* A sentence pair: segment 0 then segment 1. */
          gsize rows = n_rows (shape, rank);
          gint64 len = shape[rank - 1];
          for (gsize r = 0; r < rows; r++)
            for (gint64 k = len / 2; k < len; k++)
              oxp_tensor_set_element_from_double (t, r * (gsize)len + (gsize)k, 1.0);
        }
      return t;
    }
  if (strcmp (name, "position_ids") == 0 || strcmp (name, "decoder_position_ids") == 0)
    {
      /* What optimum's runtime feeds: cumsum(attention_mask) - 1, masked
       * positions 1, the last columns only when a past precedes them.  The
       * mask this generator gives is padded on the right of the last batch
       * row when no past precedes, and all ones after a past. */
      OxpTensor *t = oxp_tensor_new (name, dtype, shape, rank);
      gint64 offset = priv->use_past_in_inputs ? shapes->past_sequence_length : 0;
      if (rank >= 1)
        {
          gsize rows = n_rows (shape, rank);
          gint64 len = shape[rank - 1];
          for (gsize r = 0; r < rows; r++)
            {
              gint64 padding = offset > 0 ? 0 : row_padding (shape, rank, r);
              for (gint64 k = 0; k < len; k++)
                oxp_tensor_set_element_from_double (t, r * (gsize)len + (gsize)k,
                                                    k < len - padding ? (double)(offset + k) : 1.0);
            }
        }
      return t;
    }
  if (strcmp (name, "use_cache_branch") == 0)
    /* The merged decoder's branch: with cache exactly when there is a past. */
    return oxp_dummy_constant_tensor (name, dtype, shape, rank,
                                      shapes->past_sequence_length > 0 ? 1.0 : 0.0);
  if (strcmp (name, "encoder_hidden_states") == 0)
    return oxp_dummy_random_float_tensor (name, dtype, shape, rank, -1.0, 1.0, shapes->seed);

  return OXP_DUMMY_INPUT_GENERATOR_CLASS (oxp_dummy_text_input_generator_parent_class)
      ->generate (self, spec, shape, shapes, error);
}

static void
oxp_dummy_text_input_generator_get_property (GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
  OxpDummyTextInputGeneratorPrivate *priv = oxp_dummy_text_input_generator_get_instance_private (
      OXP_DUMMY_TEXT_INPUT_GENERATOR (object));

  switch (prop_id)
    {
    case PROP_TEXT_USE_PAST_IN_INPUTS:
      g_value_set_boolean (value, priv->use_past_in_inputs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_dummy_text_input_generator_set_property (GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
  OxpDummyTextInputGeneratorPrivate *priv = oxp_dummy_text_input_generator_get_instance_private (
      OXP_DUMMY_TEXT_INPUT_GENERATOR (object));

  switch (prop_id)
    {
    case PROP_TEXT_USE_PAST_IN_INPUTS:
      priv->use_past_in_inputs = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_dummy_text_input_generator_class_init (OxpDummyTextInputGeneratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OxpDummyInputGeneratorClass *gen_class = OXP_DUMMY_INPUT_GENERATOR_CLASS (klass);

  object_class->get_property = oxp_dummy_text_input_generator_get_property;
  object_class->set_property = oxp_dummy_text_input_generator_set_property;
  gen_class->supported_inputs = text_inputs;
  gen_class->generate = oxp_dummy_text_input_generator_generate;

  /**
   * OxpDummyTextInputGenerator:use-past-in-inputs:
   *
   * Whether the model also takes past key values: position_ids then start
   * at OxpShapes.past_sequence_length.
   */
  g_object_class_install_property (
      object_class, PROP_TEXT_USE_PAST_IN_INPUTS,
      g_param_spec_boolean ("use-past-in-inputs", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
oxp_dummy_text_input_generator_init (OxpDummyTextInputGenerator *self)
{
}

/**
 * oxp_dummy_text_input_generator_new:
 * @task: the task
 * @normalized: the normalized config (vocab_size, pad_token_id, type_vocab_size)
 *
 * Creates the generator of text inputs (input_ids, attention_mask,
 * token_type_ids, position_ids, …) described at #OxpDummyTextInputGenerator.
 *
 * Returns: (transfer full): a text input generator
 */
OxpDummyInputGenerator *
oxp_dummy_text_input_generator_new (const char *task, OxpNormalizedConfig *normalized)
{
  return g_object_new (OXP_TYPE_DUMMY_TEXT_INPUT_GENERATOR, "task", task, "normalized-config",
                       normalized, NULL);
}

/* Past key values (decoder-only) */

/**
 * OxpDummyPastKeyValuesGeneratorClass:
 * @parent_class: the parent class
 *
 * The class of #OxpDummyPastKeyValuesGenerator; a plugin derives from it to change how one input is
 * generated and chains up for the others.
 */
G_DEFINE_TYPE (OxpDummyPastKeyValuesGenerator, oxp_dummy_past_key_values_generator,
               OXP_TYPE_DUMMY_INPUT_GENERATOR)

static gboolean
is_seq2seq_past (const char *name)
{
  return strstr (name, ".decoder.") != NULL || strstr (name, ".encoder.") != NULL;
}

static gboolean
oxp_dummy_past_key_values_generator_supports_input (OxpDummyInputGenerator *self, const char *name)
{
  return g_str_has_prefix (name, "past_key_values.") && !is_seq2seq_past (name);
}

static OxpTensor *
generate_past (OxpDummyInputGenerator *self, const OxpTensorSpec *spec, const gint64 *shape,
               const OxpShapes *shapes, GError **error)
{
  const char *name = oxp_tensor_spec_get_name (spec);
  OxpDataType dtype = oxp_tensor_spec_get_dtype (spec);

  if (dtype != OXP_DATA_TYPE_FLOAT && dtype != OXP_DATA_TYPE_FLOAT16
      && dtype != OXP_DATA_TYPE_BFLOAT16 && dtype != OXP_DATA_TYPE_DOUBLE)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "input '%s' is declared %s, expected a float type", name,
                   oxp_data_type_to_string (dtype));
      return NULL;
    }
  return oxp_dummy_random_float_tensor (name, dtype, shape, oxp_tensor_spec_get_rank (spec), -1.0,
                                        1.0, shapes->seed);
}

static void
oxp_dummy_past_key_values_generator_class_init (OxpDummyPastKeyValuesGeneratorClass *klass)
{
  OxpDummyInputGeneratorClass *gen_class = OXP_DUMMY_INPUT_GENERATOR_CLASS (klass);

  gen_class->supports_input = oxp_dummy_past_key_values_generator_supports_input;
  gen_class->generate = generate_past;
}

static void
oxp_dummy_past_key_values_generator_init (OxpDummyPastKeyValuesGenerator *self)
{
}

/**
 * oxp_dummy_past_key_values_generator_new:
 * @task: the task
 * @normalized: the normalized config
 *
 * Creates the generator of a decoder's past_key_values.{i}.key/.value
 * inputs described at #OxpDummyPastKeyValuesGenerator.
 *
 * Returns: (transfer full): a decoder-only past key values generator
 */
OxpDummyInputGenerator *
oxp_dummy_past_key_values_generator_new (const char *task, OxpNormalizedConfig *normalized)
{
  return g_object_new (OXP_TYPE_DUMMY_PAST_KEY_VALUES_GENERATOR, "task", task, "normalized-config",
                       normalized, NULL);
}

/* Past key values (seq2seq) */

/**
 * OxpDummySeq2SeqPastKeyValuesGeneratorClass:
 * @parent_class: the parent class
 *
 * The class of #OxpDummySeq2SeqPastKeyValuesGenerator; a plugin derives from it to change how one
 * input is generated and chains up for the others.
 */
G_DEFINE_TYPE (OxpDummySeq2SeqPastKeyValuesGenerator, oxp_dummy_seq2seq_past_key_values_generator,
               OXP_TYPE_DUMMY_INPUT_GENERATOR)

static gboolean
oxp_dummy_seq2seq_past_key_values_generator_supports_input (OxpDummyInputGenerator *self,
                                                            const char *name)
{
  return g_str_has_prefix (name, "past_key_values.") && is_seq2seq_past (name);
}

static void
oxp_dummy_seq2seq_past_key_values_generator_class_init (
    OxpDummySeq2SeqPastKeyValuesGeneratorClass *klass)
{
  OxpDummyInputGeneratorClass *gen_class = OXP_DUMMY_INPUT_GENERATOR_CLASS (klass);

  gen_class->supports_input = oxp_dummy_seq2seq_past_key_values_generator_supports_input;
  gen_class->generate = generate_past;
}

static void
oxp_dummy_seq2seq_past_key_values_generator_init (OxpDummySeq2SeqPastKeyValuesGenerator *self)
{
}

/**
 * oxp_dummy_seq2seq_past_key_values_generator_new:
 * @task: the task
 * @normalized: the normalized config
 *
 * Creates the generator of a seq2seq decoder's self- and cross-attention
 * cache inputs described at #OxpDummySeq2SeqPastKeyValuesGenerator.
 *
 * Returns: (transfer full): a seq2seq past key values generator
 */
OxpDummyInputGenerator *
oxp_dummy_seq2seq_past_key_values_generator_new (const char *task, OxpNormalizedConfig *normalized)
{
  return g_object_new (OXP_TYPE_DUMMY_SEQ2SEQ_PAST_KEY_VALUES_GENERATOR, "task", task,
                       "normalized-config", normalized, NULL);
}

/* Vision */

/**
 * OxpDummyVisionInputGeneratorClass:
 * @parent_class: the parent class
 *
 * The class of #OxpDummyVisionInputGenerator; a plugin derives from it to change how one input is
 * generated and chains up for the others.
 */
G_DEFINE_TYPE (OxpDummyVisionInputGenerator, oxp_dummy_vision_input_generator,
               OXP_TYPE_DUMMY_INPUT_GENERATOR)

static const char *const vision_inputs[] = { "pixel_values", "pixel_mask", NULL };

static OxpTensor *
oxp_dummy_vision_input_generator_generate (OxpDummyInputGenerator *self, const OxpTensorSpec *spec,
                                           const gint64 *shape, const OxpShapes *shapes,
                                           GError **error)
{
  const char *name = oxp_tensor_spec_get_name (spec);
  guint rank = oxp_tensor_spec_get_rank (spec);

  OxpNormalizedConfig *nc = oxp_dummy_input_generator_get_normalized_config (self);
  g_autofree gint64 *real = g_memdup2 (shape, MAX (rank, 1) * sizeof (gint64));
  gint64 height = -1, width = -1;

  /* The model only accepts its own image geometry (optimum reads it from
   * the config too); the requested shapes are the fallback. */
  if (nc && oxp_normalized_config_has (nc, "image_size"))
    oxp_normalized_config_get_image_size (nc, &height, &width, NULL);
  for (guint d = 0; d < rank; d++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, d);
      if (param == NULL)
        continue;
      if (strcmp (param, "num_channels") == 0 && nc)
        real[d] = oxp_normalized_config_get_int_or (nc, "num_channels", shape[d]);
      else if (strcmp (param, "height") == 0 && height > 0)
        real[d] = height;
      else if (strcmp (param, "width") == 0 && width > 0)
        real[d] = width;
    }
  if (strcmp (name, "pixel_mask") == 0)
    return oxp_dummy_constant_tensor (name, oxp_tensor_spec_get_dtype (spec), real, rank, 1.0);
  return generate_past (self, spec, real, shapes, error);
}

static void
oxp_dummy_vision_input_generator_class_init (OxpDummyVisionInputGeneratorClass *klass)
{
  OxpDummyInputGeneratorClass *gen_class = OXP_DUMMY_INPUT_GENERATOR_CLASS (klass);

  gen_class->supported_inputs = vision_inputs;
  gen_class->generate = oxp_dummy_vision_input_generator_generate;
}

static void
oxp_dummy_vision_input_generator_init (OxpDummyVisionInputGenerator *self)
{
}

/**
 * oxp_dummy_vision_input_generator_new:
 * @task: the task
 * @normalized: the normalized config
 *
 * Creates the generator of pixel_values and pixel_mask described at
 * #OxpDummyVisionInputGenerator.
 *
 * Returns: (transfer full): a vision input generator
 */
OxpDummyInputGenerator *
oxp_dummy_vision_input_generator_new (const char *task, OxpNormalizedConfig *normalized)
{
  return g_object_new (OXP_TYPE_DUMMY_VISION_INPUT_GENERATOR, "task", task, "normalized-config",
                       normalized, NULL);
}

/* Audio */

/**
 * OxpDummyAudioInputGeneratorClass:
 * @parent_class: the parent class
 *
 * The class of #OxpDummyAudioInputGenerator; a plugin derives from it to change how one input is
 * generated and chains up for the others.
 */
G_DEFINE_TYPE (OxpDummyAudioInputGenerator, oxp_dummy_audio_input_generator,
               OXP_TYPE_DUMMY_INPUT_GENERATOR)

static const char *const audio_inputs[] = { "input_features", "input_values", NULL };

static OxpTensor *
oxp_dummy_audio_input_generator_generate (OxpDummyInputGenerator *self, const OxpTensorSpec *spec,
                                          const gint64 *shape, const OxpShapes *shapes,
                                          GError **error)
{
  OxpNormalizedConfig *nc = oxp_dummy_input_generator_get_normalized_config (self);
  const char *name = oxp_tensor_spec_get_name (spec);
  guint rank = oxp_tensor_spec_get_rank (spec);
  g_autofree gint64 *real = g_memdup2 (shape, MAX (rank, 1) * sizeof (gint64));

  for (guint d = 0; d < rank; d++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, d);
      if (param == NULL)
        continue;
      /* The mel bins are fixed by the model; raw audio has its own length. */
      if (strcmp (param, "feature_size") == 0 && nc)
        real[d] = oxp_normalized_config_get_int_or (nc, "feature_size", shape[d]);
      else if (strcmp (param, "sequence_length") == 0 && strcmp (name, "input_values") == 0)
        real[d] = shapes->audio_sequence_length;
    }
  return generate_past (self, spec, real, shapes, error);
}

static void
oxp_dummy_audio_input_generator_class_init (OxpDummyAudioInputGeneratorClass *klass)
{
  OxpDummyInputGeneratorClass *gen_class = OXP_DUMMY_INPUT_GENERATOR_CLASS (klass);

  gen_class->supported_inputs = audio_inputs;
  gen_class->generate = oxp_dummy_audio_input_generator_generate;
}

static void
oxp_dummy_audio_input_generator_init (OxpDummyAudioInputGenerator *self)
{
}

/**
 * oxp_dummy_audio_input_generator_new:
 * @task: the task
 * @normalized: the normalized config
 *
 * Creates the generator of input_features and input_values described at
 * #OxpDummyAudioInputGenerator.
 *
 * Returns: (transfer full): an audio input generator
 */
OxpDummyInputGenerator *
oxp_dummy_audio_input_generator_new (const char *task, OxpNormalizedConfig *normalized)
{
  return g_object_new (OXP_TYPE_DUMMY_AUDIO_INPUT_GENERATOR, "task", task, "normalized-config",
                       normalized, NULL);
}
