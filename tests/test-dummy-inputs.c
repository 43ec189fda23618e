/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static const char text_json[]
    = "{\"model_type\": \"bert\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"vocab_size\": 320, \"type_vocab_size\": 2,"
      " \"pad_token_id\": 7}";

static OxpNormalizedConfig *
normalized (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return oxp_normalized_text_config_new (json_node_get_object (json_parser_get_root (parser)));
}

static OxpTensor *
generate (OxpDummyInputGenerator *gen, const char *name, OxpDataType dtype, const char *dims,
          const OxpShapes *shapes)
{
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new (name, dtype, dims);
  g_autoptr (GError) error = NULL;
  OxpTensor *t;

  g_assert_true (oxp_dummy_input_generator_supports_input (gen, name));
  t = oxp_dummy_input_generator_generate (gen, spec, shapes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  g_assert_cmpstr (oxp_tensor_get_name (t), ==, name);
  g_assert_cmpint (oxp_tensor_get_dtype (t), ==, dtype);
  return t;
}

static double
at (OxpTensor *t, gsize i)
{
  return oxp_tensor_get_element_as_double (t, i);
}

static void
text_shapes (OxpShapes *shapes)
{
  oxp_shapes_init_default (shapes);
  shapes->batch_size = 2;
  shapes->sequence_length = 11;
  shapes->num_choices = 3;
}

static void
test_padding_rule (void)
{
  g_assert_cmpint (oxp_dummy_text_padding (2, 11), ==, 3);
  g_assert_cmpint (oxp_dummy_text_padding (4, 2), ==, 1);
  g_assert_cmpint (oxp_dummy_text_padding (1, 11), ==, 0);
  g_assert_cmpint (oxp_dummy_text_padding (2, 1), ==, 0);
}

static void
test_text_ids_and_mask (void)
{
  g_autoptr (OxpNormalizedConfig) nc = normalized (text_json);
  g_autoptr (OxpDummyInputGenerator) gen = oxp_dummy_text_input_generator_new ("fill-mask", nc);
  g_autoptr (OxpTensor) ids = NULL;
  g_autoptr (OxpTensor) mask = NULL;
  OxpShapes shapes;
  gboolean saw_large = FALSE;

  text_shapes (&shapes);
  ids = generate (gen, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length", &shapes);
  mask = generate (gen, "attention_mask", OXP_DATA_TYPE_INT64, "batch_size,sequence_length",
                   &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (ids)[0], ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (ids)[1], ==, 11);

  for (gsize i = 0; i < 22; i++)
    {
      gboolean padded = i >= 19; /* row 1, positions 8..10 */
      g_assert_cmpfloat (at (ids, i), >=, 0);
      g_assert_cmpfloat (at (ids, i), <, 320);
      saw_large |= at (ids, i) >= 100;
      g_assert_cmpfloat (at (mask, i), ==, padded ? 0.0 : 1.0);
      if (padded)
        g_assert_cmpfloat (at (ids, i), ==, 7.0);
    }
  /* Ids spread over the vocabulary. */
  g_assert_true (saw_large);

  /* One row: no padding at all. */
  shapes.batch_size = 1;
  g_clear_pointer (&mask, oxp_tensor_unref);
  mask = generate (gen, "attention_mask", OXP_DATA_TYPE_INT64, "batch_size,sequence_length",
                   &shapes);
  for (gsize i = 0; i < 11; i++)
    g_assert_cmpfloat (at (mask, i), ==, 1.0);
}

static void
test_text_multiple_choice (void)
{
  g_autoptr (OxpNormalizedConfig) nc = normalized (text_json);
  g_autoptr (OxpDummyInputGenerator) gen
      = oxp_dummy_text_input_generator_new ("multiple-choice", nc);
  g_autoptr (OxpTensor) mask = NULL;
  g_autoptr (OxpTensor) types = NULL;
  OxpShapes shapes;

  text_shapes (&shapes);
  mask = generate (gen, "attention_mask", OXP_DATA_TYPE_INT64,
                   "batch_size,num_choices,sequence_length", &shapes);
  g_assert_cmpuint (oxp_tensor_get_rank (mask), ==, 3);
  g_assert_cmpint (oxp_tensor_get_shape (mask)[1], ==, 3);
  for (gsize b = 0; b < 2; b++)
    for (gsize c = 0; c < 3; c++)
      for (gsize k = 0; k < 11; k++)
        {
          gsize i = (b * 3 + c) * 11 + k;
          g_assert_cmpfloat (at (mask, i), ==, (b == 1 && k >= 8) ? 0.0 : 1.0);
        }

  types = generate (gen, "token_type_ids", OXP_DATA_TYPE_INT64,
                    "batch_size,num_choices,sequence_length", &shapes);
  for (gsize r = 0; r < 6; r++)
    for (gsize k = 0; k < 11; k++)
      g_assert_cmpfloat (at (types, r * 11 + k), ==, k >= 5 ? 1.0 : 0.0);
}

static void
test_text_other_inputs (void)
{
  g_autoptr (OxpNormalizedConfig) nc
      = normalized ("{\"vocab_size\": 50, \"type_vocab_size\": 1, \"hidden_size\": 8}");
  g_autoptr (OxpDummyInputGenerator) gen
      = oxp_dummy_text_input_generator_new ("text-generation", nc);
  g_autoptr (OxpTensor) types = NULL;
  g_autoptr (OxpTensor) pos = NULL;
  g_autoptr (OxpTensor) pos_past = NULL;
  g_autoptr (OxpTensor) full_mask = NULL;
  g_autoptr (OxpTensor) hidden = NULL;
  g_autoptr (OxpTensor) ids32 = NULL;
  gboolean past_in = TRUE;
  OxpShapes shapes;

  text_shapes (&shapes);
  shapes.past_sequence_length = 4;
  shapes.encoder_sequence_length = 6;

  /* type_vocab_size 1: a single segment. */
  types = generate (gen, "token_type_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length",
                    &shapes);
  for (gsize i = 0; i < 22; i++)
    g_assert_cmpfloat (at (types, i), ==, 0.0);

  /* cumsum(mask) - 1, padded positions 1 (row 1's last 3), as optimum's
   * runtime feeds them. */
  pos = generate (gen, "position_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length", &shapes);
  for (gsize i = 0; i < 22; i++)
    g_assert_cmpfloat (at (pos, i), ==, i >= 19 ? 1.0 : (double)(i % 11));

  g_object_get (gen, "use-past-in-inputs", &past_in, NULL);
  g_assert_false (past_in);
  g_object_set (gen, "use-past-in-inputs", TRUE, NULL);
  pos_past
      = generate (gen, "position_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length", &shapes);
  g_assert_cmpfloat (at (pos_past, 0), ==, 4.0);
  g_assert_cmpfloat (at (pos_past, 12), ==, 5.0);
  g_assert_cmpfloat (at (pos_past, 21), ==, 14.0);

  /* A mask spanning past and current tokens is never padded. */
  full_mask = generate (gen, "attention_mask", OXP_DATA_TYPE_INT64,
                        "batch_size,past_sequence_length + sequence_length", &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (full_mask)[1], ==, 15);
  for (gsize i = 0; i < 30; i++)
    g_assert_cmpfloat (at (full_mask, i), ==, 1.0);

  /* An empty past (the first step of model.onnx): padded like a plain
   * mask, and the positions follow it; an empty past tensor. */
  {
    g_autoptr (OxpTensor) first_mask = NULL;
    g_autoptr (OxpTensor) first_pos = NULL;
    g_autoptr (OxpNormalizedConfig) dnc
        = normalized ("{\"vocab_size\": 50, \"num_key_value_heads\": 2, \"head_dim\": 4}");
    g_autoptr (OxpDummyInputGenerator) past
        = oxp_dummy_past_key_values_generator_new ("text-generation", dnc);
    g_autoptr (OxpTensor) empty = NULL;

    shapes.past_sequence_length = 0;
    first_mask = generate (gen, "attention_mask", OXP_DATA_TYPE_INT64,
                           "batch_size,past_sequence_length + sequence_length", &shapes);
    first_pos = generate (gen, "position_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length",
                          &shapes);
    g_assert_cmpint (oxp_tensor_get_shape (first_mask)[1], ==, 11);
    for (gsize i = 0; i < 22; i++)
      {
        g_assert_cmpfloat (at (first_mask, i), ==, i >= 19 ? 0.0 : 1.0);
        g_assert_cmpfloat (at (first_pos, i), ==, i >= 19 ? 1.0 : (double)(i % 11));
      }
    empty = generate (past, "past_key_values.0.key", OXP_DATA_TYPE_FLOAT,
                      "batch_size,2,past_sequence_length,4", &shapes);
    g_assert_cmpint (oxp_tensor_get_shape (empty)[2], ==, 0);
    g_assert_cmpuint (oxp_tensor_get_n_elements (empty), ==, 0);
    shapes.past_sequence_length = 4;
  }

  hidden = generate (gen, "encoder_hidden_states", OXP_DATA_TYPE_FLOAT,
                     "batch_size,encoder_sequence_length,8", &shapes);
  g_assert_cmpuint (oxp_tensor_get_n_elements (hidden), ==, 2 * 6 * 8);
  for (gsize i = 0; i < 96; i++)
    {
      g_assert_cmpfloat (at (hidden, i), >=, -1.0);
      g_assert_cmpfloat (at (hidden, i), <, 1.0);
    }

  /* No pad_token_id: padded ids are 0; an int32 spec gives int32 ids. */
  ids32 = generate (gen, "decoder_input_ids", OXP_DATA_TYPE_INT32,
                    "batch_size,decoder_sequence_length", &shapes);
  for (gsize k = 8; k < 11; k++)
    g_assert_cmpfloat (at (ids32, 11 + k), ==, 0.0);
  for (gsize i = 0; i < 22; i++)
    g_assert_cmpfloat (at (ids32, i), <, 50.0);
}

static void
test_determinism (void)
{
  g_autoptr (OxpNormalizedConfig) nc = normalized (text_json);
  g_autoptr (OxpDummyInputGenerator) gen = oxp_dummy_text_input_generator_new ("fill-mask", nc);
  g_autoptr (OxpDummyInputGenerator) gen2 = oxp_dummy_text_input_generator_new ("fill-mask", nc);
  g_autoptr (OxpTensor) a = NULL;
  g_autoptr (OxpTensor) b = NULL;
  g_autoptr (OxpTensor) c = NULL;
  g_autoptr (OxpTensor) d = NULL;
  OxpShapes shapes;

  text_shapes (&shapes);
  a = generate (gen, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length", &shapes);
  b = generate (gen2, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length", &shapes);
  g_assert_cmpmem (oxp_tensor_get_data (a), oxp_tensor_get_size (a), oxp_tensor_get_data (b),
                   oxp_tensor_get_size (b));

  shapes.seed = 43;
  c = generate (gen, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length", &shapes);
  g_assert_cmpint (
      memcmp (oxp_tensor_get_data (a), oxp_tensor_get_data (c), oxp_tensor_get_size (a)), !=, 0);

  /* Two inputs of the same shape get different values. */
  shapes.seed = 42;
  d = generate (gen, "decoder_input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length",
                &shapes);
  g_assert_cmpint (
      memcmp (oxp_tensor_get_data (a), oxp_tensor_get_data (d), oxp_tensor_get_size (a)), !=, 0);
}

static void
test_past_generators (void)
{
  g_autoptr (OxpNormalizedConfig) nc = normalized (text_json);
  g_autoptr (OxpDummyInputGenerator) past
      = oxp_dummy_past_key_values_generator_new ("text-generation", nc);
  g_autoptr (OxpDummyInputGenerator) s2s
      = oxp_dummy_seq2seq_past_key_values_generator_new ("text2text-generation", nc);
  g_autoptr (OxpTensor) key = NULL;
  g_autoptr (OxpTensor) half = NULL;
  g_autoptr (OxpTensor) enc = NULL;
  g_autoptr (OxpTensorSpec) int_spec
      = oxp_tensor_spec_new ("past_key_values.0.key", OXP_DATA_TYPE_INT64, "batch_size,2");
  g_autoptr (GError) error = NULL;
  OxpShapes shapes;

  text_shapes (&shapes);
  shapes.past_sequence_length = 11;
  shapes.encoder_sequence_length = 13;

  g_assert_false (oxp_dummy_input_generator_supports_input (past, "past_key_values.0.decoder.key"));
  g_assert_false (oxp_dummy_input_generator_supports_input (past, "input_ids"));
  g_assert_false (oxp_dummy_input_generator_supports_input (s2s, "past_key_values.0.key"));
  g_assert_true (oxp_dummy_input_generator_supports_input (s2s, "past_key_values.3.encoder.value"));

  key = generate (past, "past_key_values.1.key", OXP_DATA_TYPE_FLOAT,
                  "batch_size,2,past_sequence_length,8", &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (key)[1], ==, 2);
  g_assert_cmpint (oxp_tensor_get_shape (key)[2], ==, 11);
  for (gsize i = 0; i < oxp_tensor_get_n_elements (key); i++)
    {
      g_assert_cmpfloat (at (key, i), >=, -1.0);
      g_assert_cmpfloat (at (key, i), <, 1.0);
    }
  /* An fp16 export gets fp16 past values. */
  half = generate (past, "past_key_values.1.value", OXP_DATA_TYPE_FLOAT16,
                   "batch_size,2,past_sequence_length,8", &shapes);
  g_assert_cmpuint (oxp_tensor_get_size (half), ==, 2 * 2 * 11 * 8 * 2);

  enc = generate (s2s, "past_key_values.0.encoder.key", OXP_DATA_TYPE_FLOAT,
                  "batch_size,4,encoder_sequence_length_out,8", &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (enc)[2], ==, 13);

  g_assert_null (oxp_dummy_input_generator_generate (past, int_spec, &shapes, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "past_key_values.0.key"));
}

static void
test_vision_and_audio (void)
{
  g_autoptr (OxpNormalizedConfig) vit
      = normalized ("{\"image_size\": [30, 20], \"num_channels\": 1}");
  g_autoptr (OxpNormalizedConfig) whisper = normalized ("{\"num_mel_bins\": 16}");
  g_autoptr (OxpNormalizedConfig) empty = normalized ("{}");
  g_autoptr (OxpDummyInputGenerator) vision
      = oxp_dummy_vision_input_generator_new ("image-classification", vit);
  g_autoptr (OxpDummyInputGenerator) plain_vision
      = oxp_dummy_vision_input_generator_new ("image-classification", empty);
  g_autoptr (OxpDummyInputGenerator) audio = NULL;
  g_autoptr (OxpTensor) pixels = NULL;
  g_autoptr (OxpTensor) pixels2 = NULL;
  g_autoptr (OxpTensor) pixel_mask = NULL;
  g_autoptr (OxpTensor) features = NULL;
  g_autoptr (OxpTensor) values = NULL;
  OxpShapes shapes;

  oxp_shapes_init_default (&shapes);
  /* The config's geometry wins over the requested one. */
  pixels = generate (vision, "pixel_values", OXP_DATA_TYPE_FLOAT,
                     "batch_size,num_channels,height,width", &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (pixels)[1], ==, 1);
  g_assert_cmpint (oxp_tensor_get_shape (pixels)[2], ==, 30);
  g_assert_cmpint (oxp_tensor_get_shape (pixels)[3], ==, 20);
  pixels2 = generate (plain_vision, "pixel_values", OXP_DATA_TYPE_FLOAT,
                      "batch_size,num_channels,height,width", &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (pixels2)[1], ==, 3);
  g_assert_cmpint (oxp_tensor_get_shape (pixels2)[3], ==, 64);
  pixel_mask
      = generate (vision, "pixel_mask", OXP_DATA_TYPE_INT64, "batch_size,height,width", &shapes);
  g_assert_cmpfloat (at (pixel_mask, 599), ==, 1.0);

  oxp_normalized_config_set_alias (whisper, "feature_size", "num_mel_bins");
  audio = oxp_dummy_audio_input_generator_new ("automatic-speech-recognition", whisper);
  shapes.encoder_sequence_length = 30;
  features = generate (audio, "input_features", OXP_DATA_TYPE_FLOAT,
                       "batch_size,feature_size,encoder_sequence_length", &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (features)[1], ==, 16);
  g_assert_cmpint (oxp_tensor_get_shape (features)[2], ==, 30);
  shapes.audio_sequence_length = 400;
  values = generate (audio, "input_values", OXP_DATA_TYPE_FLOAT, "batch_size,sequence_length",
                     &shapes);
  g_assert_cmpint (oxp_tensor_get_shape (values)[1], ==, 400);
  g_assert_cmpstr (oxp_dummy_input_generator_get_task (audio), ==, "automatic-speech-recognition");
  g_assert_true (oxp_dummy_input_generator_get_normalized_config (audio) == whisper);
}

static void
test_errors (void)
{
  g_autoptr (OxpNormalizedConfig) nc = normalized ("{\"model_type\": \"odd\"}");
  g_autoptr (OxpDummyInputGenerator) gen = oxp_dummy_text_input_generator_new ("fill-mask", nc);
  g_autoptr (OxpTensorSpec) ids
      = oxp_tensor_spec_new ("input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length");
  g_autoptr (OxpTensorSpec) odd_dim
      = oxp_tensor_spec_new ("attention_mask", OXP_DATA_TYPE_INT64, "batch_size,num_boxes");
  g_autoptr (OxpTensorSpec) unknown = oxp_tensor_spec_new ("bbox", OXP_DATA_TYPE_INT64, "2");
  g_autoptr (GError) error = NULL;
  OxpShapes shapes;

  oxp_shapes_init_default (&shapes);
  /* input_ids needs vocab_size. */
  g_assert_null (oxp_dummy_input_generator_generate (gen, ids, &shapes, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "vocab_size"));
  g_clear_error (&error);

  g_assert_null (oxp_dummy_input_generator_generate (gen, odd_dim, &shapes, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "num_boxes"));
  g_clear_error (&error);

  g_assert_false (oxp_dummy_input_generator_supports_input (gen, "bbox"));
  g_assert_null (oxp_dummy_input_generator_generate (gen, unknown, &shapes, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
}

/* A plugin's own generator: supported_inputs with a prefix entry. */
typedef struct
{
  OxpDummyInputGenerator parent;
} TestBboxGenerator;
typedef struct
{
  OxpDummyInputGeneratorClass parent_class;
} TestBboxGeneratorClass;
static GType test_bbox_generator_get_type (void);
G_DEFINE_TYPE (TestBboxGenerator, test_bbox_generator, OXP_TYPE_DUMMY_INPUT_GENERATOR)

static const char *const bbox_inputs[] = { "bbox", "boxes.", NULL };

static OxpTensor *
test_bbox_generator_generate (OxpDummyInputGenerator *self, const OxpTensorSpec *spec,
                              const gint64 *shape, const OxpShapes *shapes, GError **error)
{
  return oxp_dummy_random_int_tensor (oxp_tensor_spec_get_name (spec),
                                      oxp_tensor_spec_get_dtype (spec), shape,
                                      oxp_tensor_spec_get_rank (spec), 0, 1000, shapes->seed);
}

static void
test_bbox_generator_class_init (TestBboxGeneratorClass *klass)
{
  OXP_DUMMY_INPUT_GENERATOR_CLASS (klass)->supported_inputs = bbox_inputs;
  OXP_DUMMY_INPUT_GENERATOR_CLASS (klass)->generate = test_bbox_generator_generate;
}

static void
test_bbox_generator_init (TestBboxGenerator *self)
{
}

static void
test_custom_generator (void)
{
  g_autoptr (OxpDummyInputGenerator) gen = g_object_new (test_bbox_generator_get_type (), NULL);
  g_autoptr (OxpTensor) t = NULL;
  g_autoptr (OxpTensor) c = NULL;
  OxpShapes shapes;

  oxp_shapes_init_default (&shapes);
  g_assert_true (oxp_dummy_input_generator_supports_input (gen, "boxes.0"));
  g_assert_false (oxp_dummy_input_generator_supports_input (gen, "bboxes"));
  t = generate (gen, "bbox", OXP_DATA_TYPE_INT64, "batch_size,4", &shapes);
  g_assert_cmpuint (oxp_tensor_get_n_elements (t), ==, 8);
  for (gsize i = 0; i < 8; i++)
    g_assert_cmpfloat (at (t, i), <, 1000);

  c = oxp_dummy_constant_tensor ("c", OXP_DATA_TYPE_FLOAT16, (const gint64[]){ 3 }, 1, 0.5);
  g_assert_cmpfloat (at (c, 2), ==, 0.5);
}

static void
test_through_config_gpt2 (void)
{
  /* The decoder config's own generators, for the decoder with past. */
  typedef struct
  {
    const char *name;
    gint64 dims[4];
    guint rank;
  } Expected;
  static const Expected expected[] = {
    { "input_ids", { 2, 1 }, 2 },
    { "attention_mask", { 2, 12 }, 2 },
    { "past_key_values.0.key", { 2, 4, 11, 8 }, 4 },
    { "past_key_values.0.value", { 2, 4, 11, 8 }, 4 },
    { "past_key_values.1.key", { 2, 4, 11, 8 }, 4 },
    { "past_key_values.1.value", { 2, 4, 11, 8 }, 4 },
  };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (OxpOnnxConfig) past = NULL;
  g_autoptr (GPtrArray) tensors = NULL;
  GType type;
  OxpShapes shapes;

  /* Register an ad-hoc concrete subclass of the abstract decoder class. */
  type = g_type_register_static_simple (OXP_TYPE_TEXT_DECODER_ONNX_CONFIG, "TestAdHocDecoder",
                                        sizeof (OxpTextDecoderOnnxConfigClass), NULL,
                                        sizeof (OxpTextDecoderOnnxConfig), NULL, 0);
  json_parser_load_from_data (parser,
                              "{\"model_type\": \"llama\", \"hidden_size\": 32,"
                              " \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                              " \"vocab_size\": 320}",
                              -1, &error);
  g_assert_no_error (error);
  config = oxp_onnx_config_new (type, "text-generation",
                                json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);
  past = oxp_onnx_config_with_past_with_past (OXP_ONNX_CONFIG_WITH_PAST (config));

  oxp_shapes_init_default (&shapes);
  shapes.sequence_length = 1;
  shapes.past_sequence_length = 11;
  tensors = oxp_onnx_config_generate_dummy_inputs (past, &shapes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tensors->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < tensors->len; i++)
    {
      OxpTensor *t = g_ptr_array_index (tensors, i);
      g_assert_cmpstr (oxp_tensor_get_name (t), ==, expected[i].name);
      g_assert_cmpuint (oxp_tensor_get_rank (t), ==, expected[i].rank);
      for (guint d = 0; d < expected[i].rank; d++)
        g_assert_cmpint (oxp_tensor_get_shape (t)[d], ==, expected[i].dims[d]);
    }
  /* The full mask covers past and current tokens. */
  for (gsize i = 0; i < 24; i++)
    g_assert_cmpfloat (at (g_ptr_array_index (tensors, 1), i), ==, 1.0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oxp/dummy-inputs/padding-rule", test_padding_rule);
  g_test_add_func ("/oxp/dummy-inputs/text/ids-and-mask", test_text_ids_and_mask);
  g_test_add_func ("/oxp/dummy-inputs/text/multiple-choice", test_text_multiple_choice);
  g_test_add_func ("/oxp/dummy-inputs/text/other-inputs", test_text_other_inputs);
  g_test_add_func ("/oxp/dummy-inputs/determinism", test_determinism);
  g_test_add_func ("/oxp/dummy-inputs/past", test_past_generators);
  g_test_add_func ("/oxp/dummy-inputs/vision-and-audio", test_vision_and_audio);
  g_test_add_func ("/oxp/dummy-inputs/errors", test_errors);
  g_test_add_func ("/oxp/dummy-inputs/custom-generator", test_custom_generator);
  g_test_add_func ("/oxp/dummy-inputs/through-config", test_through_config_gpt2);

  return g_test_run ();
}
