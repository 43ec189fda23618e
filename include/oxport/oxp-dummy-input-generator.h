/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-tensor.h>
#include <oxport/oxp-tensor-spec.h>
#include <oxport/oxp-normalized-config.h>
#include <oxport/oxp-onnx-config.h>

G_BEGIN_DECLS

/* OxpDummyInputGenerator: produces the value of a graph input from its spec
 * and the requested OxpShapes, deterministically. */

#define OXP_TYPE_DUMMY_INPUT_GENERATOR (oxp_dummy_input_generator_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpDummyInputGenerator, oxp_dummy_input_generator, OXP,
                          DUMMY_INPUT_GENERATOR, GObject)

/**
 * OxpDummyInputGeneratorClass:
 * @supported_inputs: NULL-terminated input names the generator produces
 *   (the default supports_input() matches them, and "NAME.*" for a name
 *   ending in '.')
 * @supports_input: whether the generator produces the input @name
 * @generate: the tensor for @spec at the concrete @shape (already resolved
 *   from @shapes; its rank is the spec's)
 *
 * The class of #OxpDummyInputGenerator.  A generator for new inputs lists
 * them in @supported_inputs and implements @generate; @supports_input is for
 * names a list cannot express.
 */
struct _OxpDummyInputGeneratorClass
{
  GObjectClass parent_class;

  const char * const *supported_inputs;

  gboolean   (*supports_input) (OxpDummyInputGenerator *self,
                                const char             *name);
  OxpTensor *(*generate)       (OxpDummyInputGenerator *self,
                                const OxpTensorSpec    *spec,
                                const gint64           *shape,
                                const OxpShapes        *shapes,
                                GError                **error);

  /*< private >*/
  gpointer _oxp_reserved[8];
};

OXP_API const char          *oxp_dummy_input_generator_get_task              (OxpDummyInputGenerator *self);
OXP_API OxpNormalizedConfig *oxp_dummy_input_generator_get_normalized_config (OxpDummyInputGenerator *self);
OXP_API gboolean             oxp_dummy_input_generator_supports_input (OxpDummyInputGenerator *self,
                                                                       const char             *name);
/* The value of the input @spec at @shapes. (transfer full) */
OXP_API OxpTensor           *oxp_dummy_input_generator_generate (OxpDummyInputGenerator *self,
                                                                 const OxpTensorSpec    *spec,
                                                                 const OxpShapes        *shapes,
                                                                 GError                **error);

/* Helpers for generate() implementations, all deterministic from @seed and
 * @name.  Integers are drawn uniformly in [@low, @high); floats uniformly
 * in [@low, @high) and stored as @dtype (FLOAT, FLOAT16, BFLOAT16, DOUBLE). */
OXP_API OxpTensor *oxp_dummy_random_int_tensor   (const char   *name,
                                                  OxpDataType   dtype,
                                                  const gint64 *shape,
                                                  guint         rank,
                                                  gint64        low,
                                                  gint64        high,
                                                  guint32       seed);
OXP_API OxpTensor *oxp_dummy_random_float_tensor (const char   *name,
                                                  OxpDataType   dtype,
                                                  const gint64 *shape,
                                                  guint         rank,
                                                  double        low,
                                                  double        high,
                                                  guint32       seed);
/* A tensor of @dtype filled with @value. */
OXP_API OxpTensor *oxp_dummy_constant_tensor     (const char   *name,
                                                  OxpDataType   dtype,
                                                  const gint64 *shape,
                                                  guint         rank,
                                                  double        value);
/* Writes @value as element @i of @tensor (any numeric dtype). */
OXP_API void       oxp_tensor_set_element_from_double (OxpTensor *tensor,
                                                       gsize      i,
                                                       double     value);

/* Number of right-padded positions the text generator gives the last batch
 * row of a sequence of @sequence_length when there are @batch_size rows:
 * 0 for a single row or a sequence shorter than 2, else min(3, length - 1)
 * (like the reference vectors: 11 tokens, the last 3 padded). */
OXP_API gint64 oxp_dummy_text_padding (gint64 batch_size, gint64 sequence_length);

/**
 * OxpDummyTextInputGenerator:
 *
 * input_ids (and decoder_input_ids) uniform in [0, vocab_size) with
 * pad_token_id (else 0) at padded positions; attention_mask,
 * decoder_attention_mask and encoder_attention_mask of ones with the last
 * batch row right-padded (see oxp_dummy_text_padding()) when their last
 * dim is a plain sequence length, all ones when it spans past + current
 * tokens; token_type_ids 0 in the first half of each row and 1 after it
 * (0 everywhere when type_vocab_size is 1); position_ids
 * past_sequence_length + arange; encoder_hidden_states uniform floats.
 * Works for 2-D and multiple-choice 3-D [batch_size, num_choices,
 * sequence_length] specs alike.
 */
#define OXP_TYPE_DUMMY_TEXT_INPUT_GENERATOR (oxp_dummy_text_input_generator_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpDummyTextInputGenerator, oxp_dummy_text_input_generator, OXP,
                          DUMMY_TEXT_INPUT_GENERATOR, OxpDummyInputGenerator)
struct _OxpDummyTextInputGeneratorClass
{
  OxpDummyInputGeneratorClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpDummyInputGenerator *oxp_dummy_text_input_generator_new (const char          *task,
                                                                    OxpNormalizedConfig *normalized);

/**
 * OxpDummyPastKeyValuesGenerator:
 *
 * Decoder-only past_key_values.{i}.key/.value: uniform floats of shape
 * [batch_size, num_key_value_heads, past_sequence_length, head_dim].
 */
#define OXP_TYPE_DUMMY_PAST_KEY_VALUES_GENERATOR (oxp_dummy_past_key_values_generator_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpDummyPastKeyValuesGenerator, oxp_dummy_past_key_values_generator,
                          OXP, DUMMY_PAST_KEY_VALUES_GENERATOR, OxpDummyInputGenerator)
struct _OxpDummyPastKeyValuesGeneratorClass
{
  OxpDummyInputGeneratorClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpDummyInputGenerator *oxp_dummy_past_key_values_generator_new (const char          *task,
                                                                         OxpNormalizedConfig *normalized);

/**
 * OxpDummySeq2SeqPastKeyValuesGenerator:
 *
 * Seq2seq past_key_values.{i}.decoder.key/.value (past decoder length) and
 * past_key_values.{i}.encoder.key/.value (encoder length); uniform floats.
 */
#define OXP_TYPE_DUMMY_SEQ2SEQ_PAST_KEY_VALUES_GENERATOR \
  (oxp_dummy_seq2seq_past_key_values_generator_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpDummySeq2SeqPastKeyValuesGenerator,
                          oxp_dummy_seq2seq_past_key_values_generator, OXP,
                          DUMMY_SEQ2SEQ_PAST_KEY_VALUES_GENERATOR, OxpDummyInputGenerator)
struct _OxpDummySeq2SeqPastKeyValuesGeneratorClass
{
  OxpDummyInputGeneratorClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpDummyInputGenerator *
oxp_dummy_seq2seq_past_key_values_generator_new (const char *task, OxpNormalizedConfig *normalized);

/**
 * OxpDummyVisionInputGenerator:
 *
 * pixel_values: uniform floats in [-1, 1) of shape [batch_size,
 * num_channels, height, width]; pixel_mask: ones.  Dims named num_channels,
 * height and width take the normalized config's num_channels and
 * image_size when it has them (the model accepts no other geometry).
 */
#define OXP_TYPE_DUMMY_VISION_INPUT_GENERATOR (oxp_dummy_vision_input_generator_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpDummyVisionInputGenerator, oxp_dummy_vision_input_generator, OXP,
                          DUMMY_VISION_INPUT_GENERATOR, OxpDummyInputGenerator)
struct _OxpDummyVisionInputGeneratorClass
{
  OxpDummyInputGeneratorClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpDummyInputGenerator *oxp_dummy_vision_input_generator_new (const char          *task,
                                                                      OxpNormalizedConfig *normalized);

/**
 * OxpDummyAudioInputGenerator:
 *
 * input_features: uniform floats in [-1, 1) of shape [batch_size,
 * feature_size, nb_max_frames] (or whatever dims the spec names; a dim
 * named feature_size takes the normalized config's feature_size when it
 * has one); input_values (raw audio): its "sequence_length" dim is
 * OxpShapes.audio_sequence_length.
 */
#define OXP_TYPE_DUMMY_AUDIO_INPUT_GENERATOR (oxp_dummy_audio_input_generator_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpDummyAudioInputGenerator, oxp_dummy_audio_input_generator, OXP,
                          DUMMY_AUDIO_INPUT_GENERATOR, OxpDummyInputGenerator)
struct _OxpDummyAudioInputGeneratorClass
{
  OxpDummyInputGeneratorClass parent_class;
  /*< private >*/
  gpointer _oxp_reserved[4];
};
OXP_API OxpDummyInputGenerator *oxp_dummy_audio_input_generator_new (const char          *task,
                                                                     OxpNormalizedConfig *normalized);

G_END_DECLS
