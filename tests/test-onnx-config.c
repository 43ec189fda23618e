/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

/* Test configs, defined the way a plugin defines them. */
#define TEST_CONFIG(Name, name, Parent, PARENT_TYPE)                                               \
  typedef struct                                                                                   \
  {                                                                                                \
    Parent parent;                                                                                 \
  } Name;                                                                                          \
  typedef struct                                                                                   \
  {                                                                                                \
    Parent##Class parent_class;                                                                    \
  } Name##Class;                                                                                   \
  static GType name##_get_type (void);                                                             \
  G_DEFINE_TYPE (Name, name, PARENT_TYPE)                                                          \
  static void name##_init (Name *self) {}

/* A bare OxpOnnxConfig: one input, a one-node graph. */
TEST_CONFIG (TestTinyConfig, test_tiny_config, OxpOnnxConfig, OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
test_tiny_config_get_inputs (OxpOnnxConfig *self)
{
  GPtrArray *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  g_ptr_array_add (
      inputs, oxp_tensor_spec_new ("input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length"));
  return inputs;
}

static gboolean
test_tiny_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                              GError **error)
{
  gint64 vocab = oxp_onnx_config_require_int (self, "vocab_size");
  gint64 hidden = oxp_onnx_config_require_int (self, "hidden_size");
  const gint64 shape[] = { vocab, hidden };
  g_autoptr (OxpTensor) table
      = oxp_tensor_new ("embeddings", oxp_graph_get_float_type (graph), shape, 2);
  const char *w = oxp_graph_add_constant (graph, "embeddings", table);
  const char *out = oxp_graph_op (graph, "Gather", w, "input_ids", NULL);

  if (g_strcmp0 (oxp_onnx_config_get_task (self), "fill-mask") == 0)
    return TRUE; /* leaves "logits" unbound: oxp_graph_check() must catch it */
  return oxp_graph_bind_output (graph, "last_hidden_state", out, error);
}

static void
test_tiny_config_class_init (TestTinyConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->default_opset = 14;
  config_class->min_opset = 13;
  config_class->atol = 1e-4;
  config_class->get_inputs = test_tiny_config_get_inputs;
  config_class->build_graph = test_tiny_config_build_graph;
  oxp_onnx_config_class_set_task_atol (config_class, "fill-mask", 3e-4);
}

/* Inherits the per-task tolerance, overrides the class one. */
TEST_CONFIG (TestTinyChildConfig, test_tiny_child_config, TestTinyConfig,
             test_tiny_config_get_type ())

static void
test_tiny_child_config_class_init (TestTinyChildConfigClass *klass)
{
  OXP_ONNX_CONFIG_CLASS (klass)->atol = 2e-5;
}

/* Architectures on the middle-end classes. */
TEST_CONFIG (TestBertConfig, test_bert_config, OxpTextEncoderOnnxConfig,
             OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)
static void
test_bert_config_class_init (TestBertConfigClass *klass)
{
  OXP_TEXT_ENCODER_ONNX_CONFIG_CLASS (klass)->uses_token_type_ids = TRUE;
}

TEST_CONFIG (TestRobertaConfig, test_roberta_config, OxpTextEncoderOnnxConfig,
             OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)
static void
test_roberta_config_class_init (TestRobertaConfigClass *klass)
{
}

/* DistilBERT's keys differ: a plugin aliases them (optimum's with_args). */
TEST_CONFIG (TestDistilBertConfig, test_distil_bert_config, OxpTextEncoderOnnxConfig,
             OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)

static OxpNormalizedConfig *
test_distil_bert_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *json,
                                                  GError **error)
{
  OxpNormalizedConfig *nc = OXP_ONNX_CONFIG_CLASS (test_distil_bert_config_parent_class)
                                ->create_normalized_config (self, json, error);
  oxp_normalized_config_set_aliases (nc, "hidden_size", "dim", "num_layers", "n_layers",
                                     "num_attention_heads", "n_heads", NULL);
  return nc;
}

static void
test_distil_bert_config_class_init (TestDistilBertConfigClass *klass)
{
  OXP_ONNX_CONFIG_CLASS (klass)->create_normalized_config
      = test_distil_bert_config_create_normalized_config;
}

TEST_CONFIG (TestGpt2Config, test_gpt2_config, OxpTextDecoderOnnxConfig,
             OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)
static void
test_gpt2_config_class_init (TestGpt2ConfigClass *klass)
{
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->past_before_attention_mask = TRUE;
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->uses_position_ids = TRUE;
}

/* llama, mistral, qwen2, phi3, gpt_neox: position_ids after the mask. */
TEST_CONFIG (TestLlamaConfig, test_llama_config, OxpTextDecoderOnnxConfig,
             OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)
static void
test_llama_config_class_init (TestLlamaConfigClass *klass)
{
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->uses_position_ids = TRUE;
}

/* Current optimum gives gemma no position_ids. */
TEST_CONFIG (TestGemmaConfig, test_gemma_config, OxpTextDecoderOnnxConfig,
             OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)
static void
test_gemma_config_class_init (TestGemmaConfigClass *klass)
{
}

TEST_CONFIG (TestOptConfig, test_opt_config, OxpTextDecoderOnnxConfig,
             OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)
static void
test_opt_config_class_init (TestOptConfigClass *klass)
{
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->uses_position_ids = TRUE;
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->position_ids_after_past = TRUE;
}

TEST_CONFIG (TestT5Config, test_t5_config, OxpTextSeq2SeqOnnxConfig,
             OXP_TYPE_TEXT_SEQ2SEQ_ONNX_CONFIG)
static void
test_t5_config_class_init (TestT5ConfigClass *klass)
{
  OXP_TEXT_SEQ2SEQ_ONNX_CONFIG_CLASS (klass)->encoder_hidden_states_with_past = TRUE;
}

TEST_CONFIG (TestBartConfig, test_bart_config, OxpTextSeq2SeqOnnxConfig,
             OXP_TYPE_TEXT_SEQ2SEQ_ONNX_CONFIG)
static void
test_bart_config_class_init (TestBartConfigClass *klass)
{
}

TEST_CONFIG (TestWhisperConfig, test_whisper_config, OxpAudioToTextOnnxConfig,
             OXP_TYPE_AUDIO_TO_TEXT_ONNX_CONFIG)
static void
test_whisper_config_class_init (TestWhisperConfigClass *klass)
{
  /* The encoder's convolutions halve the frames. */
  OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST_CLASS (klass)->encoder_length_divisor = 2;
}

TEST_CONFIG (TestVitConfig, test_vit_config, OxpVisionOnnxConfig, OXP_TYPE_VISION_ONNX_CONFIG)
static void
test_vit_config_class_init (TestVitConfigClass *klass)
{
}

/* A vision config with an input no stock generator makes. */
TEST_CONFIG (TestBboxConfig, test_bbox_config, OxpVisionOnnxConfig, OXP_TYPE_VISION_ONNX_CONFIG)

static GPtrArray *
test_bbox_config_get_inputs (OxpOnnxConfig *self)
{
  GPtrArray *inputs = OXP_ONNX_CONFIG_CLASS (test_bbox_config_parent_class)->get_inputs (self);
  g_ptr_array_add (inputs, oxp_tensor_spec_new ("bbox", OXP_DATA_TYPE_INT64, "batch_size,4"));
  return inputs;
}

static void
test_bbox_config_class_init (TestBboxConfigClass *klass)
{
  OXP_ONNX_CONFIG_CLASS (klass)->get_inputs = test_bbox_config_get_inputs;
}

TEST_CONFIG (TestClipConfig, test_clip_config, OxpTextAndVisionOnnxConfig,
             OXP_TYPE_TEXT_AND_VISION_ONNX_CONFIG)
static void
test_clip_config_class_init (TestClipConfigClass *klass)
{
}

TEST_CONFIG (TestWav2VecConfig, test_wav2vec_config, OxpAudioOnnxConfig, OXP_TYPE_AUDIO_ONNX_CONFIG)
static void
test_wav2vec_config_class_init (TestWav2VecConfigClass *klass)
{
}

/* Configs used by the tests (the reference vectors' sizes). */
static const char text_json[]
    = "{\"model_type\": \"bert\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"vocab_size\": 320, \"type_vocab_size\": 2,"
      " \"pad_token_id\": 0, \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}}";
static const char gpt2_json[]
    = "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_layer\": 2, \"n_head\": 4,"
      " \"vocab_size\": 320}";
static const char llama_gqa_json[]
    = "{\"model_type\": \"llama\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 320}";
static const char t5_json[]
    = "{\"model_type\": \"t5\", \"d_model\": 32, \"d_kv\": 8, \"num_layers\": 2,"
      " \"num_decoder_layers\": 2, \"num_heads\": 4, \"vocab_size\": 320}";
static const char whisper_json[]
    = "{\"model_type\": \"whisper\", \"d_model\": 32, \"encoder_layers\": 2, \"decoder_layers\": 2,"
      " \"encoder_attention_heads\": 4, \"decoder_attention_heads\": 4, \"vocab_size\": 320,"
      " \"num_mel_bins\": 16}";
static const char vit_json[]
    = "{\"model_type\": \"vit\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"image_size\": 30, \"patch_size\": 2, \"num_channels\": 3,"
      " \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"}}";
static const char clip_json[] = "{\"model_type\": \"clip\", \"projection_dim\": 24,"
                                " \"text_config\": {\"hidden_size\": 32, \"num_hidden_layers\": 2, "
                                "\"num_attention_heads\": 4,"
                                "   \"vocab_size\": 320, \"pad_token_id\": 1},"
                                " \"vision_config\": {\"hidden_size\": 32, \"num_hidden_layers\": "
                                "2, \"num_attention_heads\": 4,"
                                "   \"image_size\": 30, \"patch_size\": 2, \"num_channels\": 3}}";

static JsonObject *
parse_object (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static OxpOnnxConfig *
new_config (GType type, const char *task, const char *json)
{
  g_autoptr (JsonObject) obj = parse_object (json);
  g_autoptr (GError) error = NULL;
  OxpOnnxConfig *config = oxp_onnx_config_new (type, task, obj, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static void
shapes_for (OxpShapes *shapes, gint64 batch, gint64 seq, gint64 past, gint64 encoder)
{
  oxp_shapes_init_default (shapes);
  shapes->batch_size = batch;
  shapes->sequence_length = seq;
  shapes->past_sequence_length = past;
  shapes->encoder_sequence_length = encoder;
}

/* "name[2,4,11,8] …" of specs resolved at @shapes, for one-line comparisons. */
static char *
describe_specs (GPtrArray *specs, const OxpShapes *shapes)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      guint rank = oxp_tensor_spec_get_rank (spec);
      g_autofree gint64 *shape = g_new0 (gint64, MAX (rank, 1));
      g_autoptr (GError) error = NULL;

      if (i)
        g_string_append_c (s, ' ');
      g_string_append (s, oxp_tensor_spec_get_name (spec));
      if (!oxp_shapes_resolve_spec (shapes, spec, shape, &error))
        {
          g_string_append_printf (s, "[%s]", error->message);
          continue;
        }
      g_string_append_c (s, '[');
      for (guint d = 0; d < rank; d++)
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? "," : "", shape[d]);
      g_string_append_c (s, ']');
    }
  return g_string_free (s, FALSE);
}

static void
assert_io (OxpOnnxConfig *config, const OxpShapes *shapes, const char *expected_inputs,
           const char *expected_outputs)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);
  g_autoptr (GPtrArray) outputs = oxp_onnx_config_get_outputs (config);
  g_autofree char *in = describe_specs (inputs, shapes);
  g_autofree char *out = describe_specs (outputs, shapes);

  g_assert_cmpstr (in, ==, expected_inputs);
  g_assert_cmpstr (out, ==, expected_outputs);
}

/* Base class behaviour */

static void
test_opset (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_tiny_config_get_type (), "feature-extraction", text_json);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (oxp_onnx_config_get_default_opset (config), ==, 14);
  g_assert_cmpuint (oxp_onnx_config_get_min_opset (config), ==, 13);
  g_assert_cmpuint (oxp_onnx_config_get_opset (config), ==, 14);

  g_assert_true (oxp_onnx_config_set_opset (config, 17, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (oxp_onnx_config_get_opset (config), ==, 17);
  g_assert_true (oxp_onnx_config_set_opset (config, 13, &error));
  g_assert_cmpuint (oxp_onnx_config_get_opset (config), ==, 13);

  g_assert_false (oxp_onnx_config_set_opset (config, 12, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_OPSET);
  g_assert_nonnull (strstr (error->message, "opset 12"));
  g_assert_nonnull (strstr (error->message, "opset 13 or newer"));
  g_assert_nonnull (strstr (error->message, "bert"));
  /* A refused opset leaves the previous one. */
  g_assert_cmpuint (oxp_onnx_config_get_opset (config), ==, 13);

  g_assert_true (oxp_onnx_config_set_opset (config, 0, NULL));
  g_assert_cmpuint (oxp_onnx_config_get_opset (config), ==, 14);
}

static void
test_getters (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_tiny_config_get_type (), "feature-extraction", text_json);
  g_autofree char *task = NULL;
  g_autoptr (OxpNormalizedConfig) nc = NULL;

  g_assert_cmpstr (oxp_onnx_config_get_task (config), ==, "feature-extraction");
  g_assert_cmpstr (oxp_onnx_config_get_model_type (config), ==, "bert");
  g_assert_true (OXP_IS_NORMALIZED_TEXT_CONFIG (oxp_onnx_config_get_normalized_config (config)));
  g_assert_cmpstr (oxp_onnx_config_get_file_name (config), ==, "model.onnx");
  oxp_onnx_config_set_file_name (config, "encoder_model.onnx");
  g_assert_cmpstr (oxp_onnx_config_get_file_name (config), ==, "encoder_model.onnx");
  oxp_onnx_config_set_file_name (config, NULL);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (config), ==, "model.onnx");

  g_object_get (config, "task", &task, "normalized-config", &nc, NULL);
  g_assert_cmpstr (task, ==, "feature-extraction");
  g_assert_true (nc == oxp_onnx_config_get_normalized_config (config));
}

static void
test_atol (void)
{
  g_autoptr (OxpOnnxConfig) fe
      = new_config (test_tiny_config_get_type (), "feature-extraction", text_json);
  g_autoptr (JsonObject) json = parse_object (text_json);
  /* fill-mask's build_graph is broken on purpose, but construction works. */
  g_autoptr (OxpOnnxConfig) fm
      = oxp_onnx_config_new (test_tiny_config_get_type (), "fill-mask", json, NULL);
  g_autoptr (OxpOnnxConfig) child_fe
      = new_config (test_tiny_child_config_get_type (), "feature-extraction", text_json);
  g_autoptr (OxpOnnxConfig) child_fm
      = oxp_onnx_config_new (test_tiny_child_config_get_type (), "fill-mask", json, NULL);

  g_assert_cmpfloat (oxp_onnx_config_get_atol (fe), ==, 1e-4);
  g_assert_cmpfloat (oxp_onnx_config_get_atol (fm), ==, 3e-4);
  g_assert_cmpfloat (oxp_onnx_config_get_atol (child_fe), ==, 2e-5);
  g_assert_cmpfloat (oxp_onnx_config_get_atol (child_fm), ==, 3e-4);
}

static void
test_flatten_and_external_data (void)
{
  g_autofree char *a = oxp_onnx_config_flatten_output_name ("present", 3, "key");
  g_autofree char *b = oxp_onnx_config_flatten_output_name ("present", 0, "decoder.value");
  g_autofree char *c = oxp_onnx_config_flatten_output_name ("hidden_states", 12, NULL);

  g_assert_cmpstr (a, ==, "present.3.key");
  g_assert_cmpstr (b, ==, "present.0.decoder.value");
  g_assert_cmpstr (c, ==, "hidden_states.12");

  /* optimum: n_params × 4 bytes ≥ 2 GiB. */
  g_assert_false (oxp_onnx_config_needs_external_data (0));
  g_assert_false (oxp_onnx_config_needs_external_data (124000000));
  g_assert_false (oxp_onnx_config_needs_external_data (536870911));
  g_assert_true (oxp_onnx_config_needs_external_data (536870912));
  g_assert_true (oxp_onnx_config_needs_external_data (7000000000ULL));
  g_assert_true (oxp_onnx_config_needs_external_data (G_MAXUINT64));
}

static void
test_shapes (void)
{
  OxpShapes shapes;
  g_autoptr (OxpTensorSpec) bad
      = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "batch_size,num_queries");
  g_autoptr (OxpTensorSpec) unknown = oxp_tensor_spec_new ("y", OXP_DATA_TYPE_FLOAT, "?,3");
  g_autoptr (GError) error = NULL;
  gint64 out[2];

  oxp_shapes_init_default (&shapes);
  g_assert_cmpint (shapes.batch_size, ==, 2);
  g_assert_cmpint (shapes.sequence_length, ==, 16);
  g_assert_cmpint (shapes.num_choices, ==, 4);
  g_assert_cmpint (shapes.width, ==, 64);
  g_assert_cmpint (shapes.feature_size, ==, 80);
  g_assert_cmpint (shapes.nb_max_frames, ==, 3000);
  g_assert_cmpint (shapes.audio_sequence_length, ==, 16000);

  shapes_for (&shapes, 3, 7, 5, 11);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "batch_size"), ==, 3);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "text_batch_size"), ==, 3);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "decoder_sequence_length"), ==, 7);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "past_sequence_length + sequence_length"), ==,
                   12);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "past_decoder_sequence_length + 1"), ==, 6);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "encoder_sequence_length_out"), ==, 11);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "encoder_sequence_length / 2"), ==, 5);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "ceil(encoder_sequence_length / 2)"), ==, 6);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "ceil(encoder_sequence_length / 11)"), ==, 1);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "ceil(batch_size * 2) + 1"), ==, 7);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "ceil(batch_size / 0)"), ==, -1);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "ceil(batch_size / 2"), ==, -1);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "floor(batch_size / 2)"), ==, -1);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "2 * batch_size + 1"), ==, 7);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "num_queries"), ==, -1);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "batch_size / 0"), ==, -1);
  g_assert_cmpint (oxp_shapes_resolve_dim (&shapes, "batch_size +"), ==, -1);

  g_assert_false (oxp_shapes_resolve_spec (&shapes, bad, out, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "'x'"));
  g_assert_nonnull (strstr (error->message, "num_queries"));
  g_clear_error (&error);
  g_assert_false (oxp_shapes_resolve_spec (&shapes, unknown, out, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
}

static void
test_construction_errors (void)
{
  g_autoptr (JsonObject) no_vocab = parse_object ("{\"model_type\": \"bert\", \"hidden_size\": 8}");
  g_autoptr (JsonObject) json = parse_object (text_json);
  g_autoptr (GError) error = NULL;
  OxpOnnxConfig *config;

  /* fill-mask needs vocab_size for its logits. */
  config = oxp_onnx_config_new (test_bert_config_get_type (), "fill-mask", no_vocab, &error);
  g_assert_null (config);
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "'vocab_size'"));
  g_assert_nonnull (strstr (error->message, "model type 'bert'"));
  g_clear_error (&error);

  /* feature-extraction only needs hidden_size. */
  config
      = oxp_onnx_config_new (test_bert_config_get_type (), "feature-extraction", no_vocab, &error);
  g_assert_no_error (error);
  g_clear_object (&config);

  /* A task without default outputs. */
  config = oxp_onnx_config_new (test_bert_config_get_type (), "translation-of-poems", json, &error);
  g_assert_null (config);
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_UNSUPPORTED_TASK);
  g_assert_nonnull (strstr (error->message, "translation-of-poems"));
  g_clear_error (&error);

  /* Decoders need the layer count for their presents. */
  config = oxp_onnx_config_new (test_llama_config_get_type (), "text-generation", no_vocab, &error);
  g_assert_null (config);
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY);
}

static void
test_common_outputs_table (void)
{
  static const char *const tasks[] = {
    "feature-extraction",
    "fill-mask",
    "text-classification",
    "token-classification",
    "question-answering",
    "multiple-choice",
    "text-generation",
    "text2text-generation",
    "image-classification",
    "automatic-speech-recognition",
    "zero-shot-image-classification",
    "audio-classification",
    "semantic-segmentation",
    "object-detection",
  };
  OxpShapes shapes;
  g_autoptr (OxpOnnxConfig) clip = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_assert_true (oxp_onnx_config_task_has_common_outputs (tasks[i]));
  g_assert_false (oxp_onnx_config_task_has_common_outputs ("text-generation-with-past"));
  g_assert_false (oxp_onnx_config_task_has_common_outputs ("default"));

  shapes_for (&shapes, 2, 11, 0, 0);
  shapes.num_choices = 3;
#define CHECK_TASK(task, expected)                                                                 \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autoptr (OxpOnnxConfig) c_ = new_config (test_bert_config_get_type (), task, text_json);     \
    g_autoptr (GPtrArray) o_ = oxp_onnx_config_get_common_outputs (c_);                            \
    g_autofree char *d_ = describe_specs (o_, &shapes);                                            \
    g_assert_cmpstr (d_, ==, expected);                                                            \
    for (guint k_ = 0; k_ < o_->len; k_++)                                                         \
      g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (o_, k_)), ==,                 \
                       OXP_DATA_TYPE_FLOAT);                                                       \
  }                                                                                                \
  G_STMT_END
  CHECK_TASK ("feature-extraction", "last_hidden_state[2,11,32]");
  CHECK_TASK ("fill-mask", "logits[2,11,320]");
  CHECK_TASK ("text-classification", "logits[2,3]");
  CHECK_TASK ("token-classification", "logits[2,11,3]");
  CHECK_TASK ("question-answering", "start_logits[2,11] end_logits[2,11]");
  CHECK_TASK ("multiple-choice", "logits[2,3]");
  CHECK_TASK ("text-generation", "logits[2,11,320]");
  CHECK_TASK ("text2text-generation", "logits[2,11,320]");
  CHECK_TASK ("automatic-speech-recognition", "logits[2,11,320]");
  CHECK_TASK ("image-classification", "logits[2,3]");
#undef CHECK_TASK

  clip = new_config (test_clip_config_get_type (), "zero-shot-image-classification", clip_json);
  {
    g_autoptr (GPtrArray) o = oxp_onnx_config_get_common_outputs (clip);
    g_autofree char *d = describe_specs (o, &shapes);
    g_assert_cmpstr (d, ==,
                     "logits_per_image[2,2] logits_per_text[2,2] text_embeds[2,24] "
                     "image_embeds[2,24]");
  }
}

static void
test_float_type (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_vit_config_get_type (), "image-classification", vit_json);
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (OxpOnnxConfig) gpt2
      = new_config (test_gpt2_config_get_type (), "text-generation", gpt2_json);
  g_autoptr (OxpOnnxConfig) past = NULL;
  g_autoptr (GPtrArray) past_inputs = NULL;

  g_assert_cmpint (oxp_onnx_config_get_float_type (config), ==, OXP_DATA_TYPE_FLOAT);
  oxp_onnx_config_set_float_type (config, OXP_DATA_TYPE_FLOAT16);
  inputs = oxp_onnx_config_get_inputs (config);
  outputs = oxp_onnx_config_get_outputs (config);
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (inputs, 0)), ==,
                   OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (outputs, 0)), ==,
                   OXP_DATA_TYPE_FLOAT16);

  /* Integer inputs keep their type; the float type survives copies. */
  oxp_onnx_config_set_float_type (gpt2, OXP_DATA_TYPE_BFLOAT16);
  past = oxp_onnx_config_with_past_with_past (OXP_ONNX_CONFIG_WITH_PAST (gpt2));
  past_inputs = oxp_onnx_config_get_inputs (past);
  g_assert_cmpstr (oxp_tensor_spec_get_name (g_ptr_array_index (past_inputs, 0)), ==, "input_ids");
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (past_inputs, 0)), ==,
                   OXP_DATA_TYPE_INT64);
  g_assert_cmpstr (oxp_tensor_spec_get_name (g_ptr_array_index (past_inputs, 1)), ==,
                   "past_key_values.0.key");
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (past_inputs, 1)), ==,
                   OXP_DATA_TYPE_BFLOAT16);
}

static void
test_copy (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_llama_config_get_type (), "text-generation", llama_gqa_json);
  g_autoptr (OxpOnnxConfig) copy = NULL;
  gboolean use_past = FALSE, in_inputs = TRUE;

  g_assert_true (oxp_onnx_config_set_opset (config, 17, NULL));
  oxp_onnx_config_set_file_name (config, "x.onnx");
  copy = oxp_onnx_config_copy (config, "use-past", TRUE, NULL);
  g_assert_true (G_OBJECT_TYPE (copy) == G_OBJECT_TYPE (config));
  g_assert_cmpstr (oxp_onnx_config_get_task (copy), ==, "text-generation");
  g_assert_true (oxp_onnx_config_get_normalized_config (copy)
                 == oxp_onnx_config_get_normalized_config (config));
  g_assert_cmpuint (oxp_onnx_config_get_opset (copy), ==, 17);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (copy), ==, "x.onnx");
  g_object_get (copy, "use-past", &use_past, "use-past-in-inputs", &in_inputs, NULL);
  g_assert_true (use_past);
  g_assert_false (in_inputs);
  /* The original is untouched. */
  g_assert_false (oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (config)));
}

/* Fixed shapes (--no-dynamic-axes): every symbolic dim of the inputs and
 * outputs, sums included, becomes its size; a copy keeps them; NULL
 * restores the symbolic dims. */
static void
test_fixed_shapes (void)
{
  g_autoptr (OxpOnnxConfig) base
      = new_config (test_llama_config_get_type (), "text-generation", llama_gqa_json);
  g_autoptr (OxpOnnxConfig) config
      = oxp_onnx_config_copy (base, "use-past", TRUE, "use-past-in-inputs", TRUE, NULL);
  g_autoptr (OxpOnnxConfig) copy = NULL;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GPtrArray) symbolic = NULL;
  g_autoptr (OxpTensorSpec) odd
      = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "batch_size,beams");
  g_autoptr (OxpTensorSpec) fixed = NULL;
  g_autoptr (GError) error = NULL;
  OxpShapes shapes, got;

  oxp_shapes_init_default (&shapes);
  shapes.batch_size = 1;
  shapes.sequence_length = 5;
  shapes.past_sequence_length = 7;
  g_assert_false (oxp_onnx_config_get_fixed_shapes (config, NULL));
  oxp_onnx_config_set_fixed_shapes (config, &shapes);
  g_assert_true (oxp_onnx_config_get_fixed_shapes (config, &got));
  g_assert_cmpint (got.past_sequence_length, ==, 7);

  inputs = oxp_onnx_config_get_inputs (config);
  outputs = oxp_onnx_config_get_outputs (config);
  for (guint l = 0; l < 2; l++)
    {
      GPtrArray *specs = l == 0 ? inputs : outputs;

      for (guint i = 0; i < specs->len; i++)
        for (guint d = 0; d < oxp_tensor_spec_get_rank (g_ptr_array_index (specs, i)); d++)
          g_assert_null (oxp_tensor_spec_get_dim_param (g_ptr_array_index (specs, i), d));
    }
  {
    g_autofree char *ids
        = oxp_tensor_spec_dims_to_string (oxp_tensor_spec_array_find (inputs, "input_ids"));
    g_autofree char *mask
        = oxp_tensor_spec_dims_to_string (oxp_tensor_spec_array_find (inputs, "attention_mask"));
    g_autofree char *past = oxp_tensor_spec_dims_to_string (
        oxp_tensor_spec_array_find (inputs, "past_key_values.0.key"));

    g_assert_cmpstr (ids, ==, "1,5");
    g_assert_cmpstr (mask, ==, "1,12");
    g_assert_true (g_str_has_prefix (past, "1,") && strstr (past, ",7,") != NULL);
  }

  copy = oxp_onnx_config_copy (config, "use-past", TRUE, NULL);
  g_assert_true (oxp_onnx_config_get_fixed_shapes (copy, &got));
  g_assert_cmpint (got.sequence_length, ==, 5);

  oxp_onnx_config_set_fixed_shapes (config, NULL);
  symbolic = oxp_onnx_config_get_inputs (config);
  g_assert_cmpstr (
      oxp_tensor_spec_get_dim_param (oxp_tensor_spec_array_find (symbolic, "input_ids"), 0), ==,
      "batch_size");

  /* A name without a size cannot be fixed: the error names tensor and dim. */
  fixed = oxp_tensor_spec_new_fixed (odd, &shapes, &error);
  g_assert_null (fixed);
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "'x': dim 1 (beams)"));
}

/* The bert-family reference cases in tests/data: names, order and shapes. */

typedef struct
{
  const char *case_name;
  GType (*get_type) (void);
} CaseTest;

static void
check_against_case (JsonArray *expected, GPtrArray *specs, const OxpShapes *shapes)
{
  g_assert_cmpuint (json_array_get_length (expected), ==, specs->len);
  for (guint i = 0; i < specs->len; i++)
    {
      JsonObject *e = json_array_get_object_element (expected, i);
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      JsonArray *shape = json_object_get_array_member (e, "shape");
      guint rank = oxp_tensor_spec_get_rank (spec);
      g_autofree gint64 *resolved = g_new0 (gint64, MAX (rank, 1));
      g_autoptr (GError) error = NULL;

      g_assert_cmpstr (oxp_tensor_spec_get_name (spec), ==,
                       json_object_get_string_member (e, "name"));
      g_assert_cmpint (oxp_tensor_spec_get_dtype (spec), ==,
                       oxp_data_type_from_string (json_object_get_string_member (e, "dtype")));
      g_assert_cmpuint (rank, ==, json_array_get_length (shape));
      g_assert_true (oxp_shapes_resolve_spec (shapes, spec, resolved, &error));
      g_assert_no_error (error);
      for (guint d = 0; d < rank; d++)
        g_assert_cmpint (resolved[d], ==, json_array_get_int_element (shape, d));
    }
}

static void
test_reference_case (gconstpointer data)
{
  const CaseTest *ct = data;
  g_autofree char *case_path = oxp_test_srcdir_path ("data", ct->case_name, "case.json", NULL);
  g_autofree char *config_path = oxp_test_srcdir_path ("data", ct->case_name, "config.json", NULL);
  g_autoptr (JsonParser) case_parser = json_parser_new ();
  g_autoptr (JsonParser) config_parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GPtrArray) submodels = NULL;
  g_autoptr (GPtrArray) dummies = NULL;
  JsonObject *c;
  JsonArray *first_shape;
  OxpShapes shapes;

  json_parser_load_from_file (case_parser, case_path, &error);
  g_assert_no_error (error);
  json_parser_load_from_file (config_parser, config_path, &error);
  g_assert_no_error (error);
  c = json_node_get_object (json_parser_get_root (case_parser));

  config
      = oxp_onnx_config_new (ct->get_type (), json_object_get_string_member (c, "task"),
                             json_node_get_object (json_parser_get_root (config_parser)), &error);
  g_assert_no_error (error);

  /* The case's own sizes: [batch, seq] or [batch, choices, seq]. */
  first_shape = json_object_get_array_member (
      json_array_get_object_element (json_object_get_array_member (c, "inputs"), 0), "shape");
  oxp_shapes_init_default (&shapes);
  shapes.batch_size = json_array_get_int_element (first_shape, 0);
  shapes.sequence_length
      = json_array_get_int_element (first_shape, json_array_get_length (first_shape) - 1);
  if (json_array_get_length (first_shape) == 3)
    shapes.num_choices = json_array_get_int_element (first_shape, 1);

  inputs = oxp_onnx_config_get_inputs (config);
  outputs = oxp_onnx_config_get_outputs (config);
  check_against_case (json_object_get_array_member (c, "inputs"), inputs, &shapes);
  check_against_case (json_object_get_array_member (c, "outputs"), outputs, &shapes);

  /* One file, named as optimum names it. */
  submodels = oxp_onnx_config_dup_submodels (config);
  g_assert_cmpuint (submodels->len, ==, 1);
  g_assert_cmpstr (
      oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 0)), ==,
      json_object_get_string_member (json_object_get_object_member (c, "optimum"), "onnx_file"));

  /* Dummy inputs exist for every input, at the case's shapes. */
  dummies = oxp_onnx_config_generate_dummy_inputs (config, &shapes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dummies->len, ==, inputs->len);
  for (guint i = 0; i < dummies->len; i++)
    g_assert_cmpstr (oxp_tensor_get_name (g_ptr_array_index (dummies, i)), ==,
                     oxp_tensor_spec_get_name (g_ptr_array_index (inputs, i)));
}

static const CaseTest reference_cases[] = {
  { "bert_feature-extraction", test_bert_config_get_type },
  { "bert_fill-mask", test_bert_config_get_type },
  { "bert_text-classification", test_bert_config_get_type },
  { "bert_token-classification", test_bert_config_get_type },
  { "bert_question-answering", test_bert_config_get_type },
  { "bert_multiple-choice", test_bert_config_get_type },
  { "albert_feature-extraction", test_bert_config_get_type },
  { "albert_text-classification", test_bert_config_get_type },
  { "electra_feature-extraction", test_bert_config_get_type },
  { "electra_text-classification", test_bert_config_get_type },
  { "roberta_feature-extraction", test_roberta_config_get_type },
  { "roberta_text-classification", test_roberta_config_get_type },
  { "xlm-roberta_feature-extraction", test_roberta_config_get_type },
  { "xlm-roberta_text-classification", test_roberta_config_get_type },
  { "distilbert_feature-extraction", test_distil_bert_config_get_type },
  { "distilbert_text-classification", test_distil_bert_config_get_type },
};

/* Decoders: current optimum's model.onnx by default, 1.13's files with
 * "legacy". */

static void
test_decoder_text_generation (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_gpt2_config_get_type (), "text-generation", gpt2_json);
  g_autoptr (GPtrArray) submodels = oxp_onnx_config_dup_submodels (config);
  g_autoptr (OxpOnnxConfig) legacy = oxp_onnx_config_copy (config, "legacy", TRUE, NULL);
  g_autoptr (GPtrArray) legacy_models = oxp_onnx_config_dup_submodels (legacy);
  OxpOnnxConfig *decoder;
  OxpShapes shapes;

  g_assert_true (OXP_IS_ONNX_CONFIG_WITH_PAST (config));
  g_assert_false (oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (config)));
  g_assert_false (oxp_text_decoder_onnx_config_get_legacy (OXP_TEXT_DECODER_ONNX_CONFIG (config)));

  /* Current optimum: model.onnx, logits only, with position_ids. */
  g_assert_cmpuint (submodels->len, ==, 1);
  g_assert_true (g_ptr_array_index (submodels, 0) == config);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (config), ==, "model.onnx");
  shapes_for (&shapes, 2, 14, 0, 0);
  assert_io (config, &shapes, "input_ids[2,14] attention_mask[2,14] position_ids[2,14]",
             "logits[2,14,320]");

  /* optimum 1.13: text-generation → decoder_model.onnx with presents, no
   * position_ids. */
  g_assert_true (oxp_text_decoder_onnx_config_get_legacy (OXP_TEXT_DECODER_ONNX_CONFIG (legacy)));
  g_assert_cmpuint (legacy_models->len, ==, 1);
  decoder = g_ptr_array_index (legacy_models, 0);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (decoder), ==, "decoder_model.onnx");
  assert_io (decoder, &shapes, "input_ids[2,14] attention_mask[2,14]",
             "logits[2,14,320] present.0.key[2,4,14,8] present.0.value[2,4,14,8] "
             "present.1.key[2,4,14,8] present.1.value[2,4,14,8]");

  /* Other tasks of a decoder: one model.onnx, no cache; classification has
   * no position_ids in optimum either. */
  {
    g_autoptr (OxpOnnxConfig) cls
        = new_config (test_gpt2_config_get_type (), "text-classification",
                      "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_layer\": 2, \"n_head\": 4,"
                      " \"vocab_size\": 320, \"num_labels\": 5}");
    g_autoptr (GPtrArray) models = oxp_onnx_config_dup_submodels (cls);
    g_autoptr (OxpOnnxConfig) features
        = new_config (test_llama_config_get_type (), "feature-extraction", llama_gqa_json);
    g_autoptr (GPtrArray) feature_models = oxp_onnx_config_dup_submodels (features);

    g_assert_cmpuint (models->len, ==, 1);
    g_assert_true (g_ptr_array_index (models, 0) == cls);
    g_assert_cmpstr (oxp_onnx_config_get_file_name (cls), ==, "model.onnx");
    assert_io (cls, &shapes, "input_ids[2,14] attention_mask[2,14]", "logits[2,5]");
    g_assert_cmpuint (feature_models->len, ==, 1);
    g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (feature_models, 0)), ==,
                     "model.onnx");
    assert_io (features, &shapes, "input_ids[2,14] attention_mask[2,14] position_ids[2,14]",
               "last_hidden_state[2,14,32]");
  }
}

static void
test_decoder_with_past_gpt2 (void)
{
  g_autoptr (OxpOnnxConfig) base
      = new_config (test_gpt2_config_get_type (), "text-generation", gpt2_json);
  g_autoptr (OxpOnnxConfig) config = oxp_onnx_config_copy (base, "use-past", TRUE, NULL);
  g_autoptr (GPtrArray) submodels = oxp_onnx_config_dup_submodels (config);
  g_autoptr (OxpOnnxConfig) legacy = oxp_onnx_config_copy (config, "legacy", TRUE, NULL);
  g_autoptr (GPtrArray) legacy_models = oxp_onnx_config_dup_submodels (legacy);
  OxpShapes shapes;

  /* One model.onnx taking the past; GPT2LMHeadModel.forward's order: the
   * past before the mask, position_ids after it. */
  g_assert_cmpuint (submodels->len, ==, 1);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 0)), ==,
                   "model.onnx");
  shapes_for (&shapes, 2, 1, 11, 0);
  assert_io (g_ptr_array_index (submodels, 0), &shapes,
             "input_ids[2,1] past_key_values.0.key[2,4,11,8] past_key_values.0.value[2,4,11,8] "
             "past_key_values.1.key[2,4,11,8] past_key_values.1.value[2,4,11,8] "
             "attention_mask[2,12] position_ids[2,1]",
             "logits[2,1,320] present.0.key[2,4,12,8] present.0.value[2,4,12,8] "
             "present.1.key[2,4,12,8] present.1.value[2,4,12,8]");
  /* The first step is the same file with an empty past. */
  shapes_for (&shapes, 2, 11, 0, 0);
  assert_io (g_ptr_array_index (submodels, 0), &shapes,
             "input_ids[2,11] past_key_values.0.key[2,4,0,8] past_key_values.0.value[2,4,0,8] "
             "past_key_values.1.key[2,4,0,8] past_key_values.1.value[2,4,0,8] "
             "attention_mask[2,11] position_ids[2,11]",
             "logits[2,11,320] present.0.key[2,4,11,8] present.0.value[2,4,11,8] "
             "present.1.key[2,4,11,8] present.1.value[2,4,11,8]");

  /* optimum 1.13: the split files, without position_ids. */
  g_assert_cmpuint (legacy_models->len, >=, 2);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (legacy_models, 0)), ==,
                   "decoder_model.onnx");
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (legacy_models, 1)), ==,
                   "decoder_with_past_model.onnx");
  shapes_for (&shapes, 2, 11, 0, 0);
  assert_io (g_ptr_array_index (legacy_models, 0), &shapes, "input_ids[2,11] attention_mask[2,11]",
             "logits[2,11,320] present.0.key[2,4,11,8] present.0.value[2,4,11,8] "
             "present.1.key[2,4,11,8] present.1.value[2,4,11,8]");
  shapes_for (&shapes, 2, 1, 11, 0);
  assert_io (g_ptr_array_index (legacy_models, 1), &shapes,
             "input_ids[2,1] past_key_values.0.key[2,4,11,8] past_key_values.0.value[2,4,11,8] "
             "past_key_values.1.key[2,4,11,8] past_key_values.1.value[2,4,11,8] "
             "attention_mask[2,12]",
             "logits[2,1,320] present.0.key[2,4,12,8] present.0.value[2,4,12,8] "
             "present.1.key[2,4,12,8] present.1.value[2,4,12,8]");
}

static void
test_decoder_with_past_llama_gqa (void)
{
  g_autoptr (OxpOnnxConfig) base
      = new_config (test_llama_config_get_type (), "text-generation", llama_gqa_json);
  g_autoptr (OxpOnnxConfig) config
      = oxp_onnx_config_with_past_with_past (OXP_ONNX_CONFIG_WITH_PAST (base));
  g_autoptr (GPtrArray) submodels = oxp_onnx_config_dup_submodels (config);
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);
  g_autoptr (OxpTensorSpec) expected_past = oxp_tensor_spec_new (
      "past_key_values.1.value", OXP_DATA_TYPE_FLOAT, "batch_size,2,past_sequence_length,8");
  g_autoptr (OxpTensorSpec) expected_mask = oxp_tensor_spec_new (
      "attention_mask", OXP_DATA_TYPE_INT64, "batch_size,past_sequence_length + sequence_length");
  g_autoptr (GPtrArray) outputs = oxp_onnx_config_get_outputs (config);
  g_autoptr (OxpTensorSpec) expected_present
      = oxp_tensor_spec_new ("present.0.key", OXP_DATA_TYPE_FLOAT,
                             "batch_size,2,past_sequence_length + sequence_length,8");
  OxpShapes shapes;

  g_assert_true (oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (config)));
  g_assert_true (
      oxp_onnx_config_with_past_get_use_past_in_inputs (OXP_ONNX_CONFIG_WITH_PAST (config)));
  g_assert_cmpuint (submodels->len, ==, 1);
  g_assert_true (g_ptr_array_index (submodels, 0) == config);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (config), ==, "model.onnx");

  /* LLaMA's order, with 2 key/value heads, and the dims optimum names. */
  shapes_for (&shapes, 2, 1, 11, 0);
  assert_io (config, &shapes,
             "input_ids[2,1] attention_mask[2,12] position_ids[2,1] "
             "past_key_values.0.key[2,2,11,8] past_key_values.0.value[2,2,11,8] "
             "past_key_values.1.key[2,2,11,8] past_key_values.1.value[2,2,11,8]",
             "logits[2,1,320] present.0.key[2,2,12,8] present.0.value[2,2,12,8] "
             "present.1.key[2,2,12,8] present.1.value[2,2,12,8]");
  g_assert_true (oxp_tensor_spec_equal (g_ptr_array_index (inputs, 1), expected_mask));
  g_assert_true (oxp_tensor_spec_equal (g_ptr_array_index (inputs, 6), expected_past));
  g_assert_true (oxp_tensor_spec_equal (g_ptr_array_index (outputs, 1), expected_present));
}

/* gemma: no position_ids; opt: position_ids after the past. */
static void
test_decoder_position_ids_order (void)
{
  g_autoptr (OxpOnnxConfig) gemma_base
      = new_config (test_gemma_config_get_type (), "text-generation", llama_gqa_json);
  g_autoptr (OxpOnnxConfig) gemma
      = oxp_onnx_config_with_past_with_past (OXP_ONNX_CONFIG_WITH_PAST (gemma_base));
  g_autoptr (OxpOnnxConfig) opt_base
      = new_config (test_opt_config_get_type (), "text-generation", llama_gqa_json);
  g_autoptr (OxpOnnxConfig) opt
      = oxp_onnx_config_with_past_with_past (OXP_ONNX_CONFIG_WITH_PAST (opt_base));
  g_autoptr (OxpOnnxConfig) opt_legacy = oxp_onnx_config_copy (opt, "legacy", TRUE, NULL);
  OxpShapes shapes;

  shapes_for (&shapes, 2, 1, 5, 0);
  assert_io (gemma, &shapes,
             "input_ids[2,1] attention_mask[2,6] "
             "past_key_values.0.key[2,2,5,8] past_key_values.0.value[2,2,5,8] "
             "past_key_values.1.key[2,2,5,8] past_key_values.1.value[2,2,5,8]",
             "logits[2,1,320] present.0.key[2,2,6,8] present.0.value[2,2,6,8] "
             "present.1.key[2,2,6,8] present.1.value[2,2,6,8]");
  assert_io (opt, &shapes,
             "input_ids[2,1] attention_mask[2,6] "
             "past_key_values.0.key[2,2,5,8] past_key_values.0.value[2,2,5,8] "
             "past_key_values.1.key[2,2,5,8] past_key_values.1.value[2,2,5,8] position_ids[2,1]",
             "logits[2,1,320] present.0.key[2,2,6,8] present.0.value[2,2,6,8] "
             "present.1.key[2,2,6,8] present.1.value[2,2,6,8]");
  assert_io (opt_legacy, &shapes,
             "input_ids[2,1] attention_mask[2,6] "
             "past_key_values.0.key[2,2,5,8] past_key_values.0.value[2,2,5,8] "
             "past_key_values.1.key[2,2,5,8] past_key_values.1.value[2,2,5,8]",
             "logits[2,1,320] present.0.key[2,2,6,8] present.0.value[2,2,6,8] "
             "present.1.key[2,2,6,8] present.1.value[2,2,6,8]");
}

/* Every decoder reference case: the file it names, with the inputs and
 * outputs in its order and at its shapes (first-batch cases through
 * "legacy", optimum 1.13's layout). */
static void
test_decoder_reference_case (gconstpointer data)
{
  const CaseTest *ct = data;
  g_autofree char *case_path = oxp_test_srcdir_path ("data", ct->case_name, "case.json", NULL);
  g_autofree char *config_path = oxp_test_srcdir_path ("data", ct->case_name, "config.json", NULL);
  g_autoptr (JsonParser) case_parser = json_parser_new ();
  g_autoptr (JsonParser) config_parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpOnnxConfig) base = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (GPtrArray) submodels = NULL;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  g_autoptr (GPtrArray) dummies = NULL;
  JsonObject *c, *optimum;
  JsonArray *case_inputs, *first_shape;
  const char *task, *file;
  OxpOnnxConfig *chosen = NULL;
  OxpShapes shapes;

  json_parser_load_from_file (case_parser, case_path, &error);
  g_assert_no_error (error);
  json_parser_load_from_file (config_parser, config_path, &error);
  g_assert_no_error (error);
  c = json_node_get_object (json_parser_get_root (case_parser));
  optimum = json_object_get_object_member (c, "optimum");
  task = json_object_get_string_member (optimum, "task");
  file = json_object_get_string_member (optimum, "onnx_file");

  base = oxp_onnx_config_new (ct->get_type (),
                              g_str_has_prefix (task, "text-generation") ? "text-generation" : task,
                              json_node_get_object (json_parser_get_root (config_parser)), &error);
  g_assert_no_error (error);
  config = oxp_onnx_config_copy (base, "use-past", g_str_has_suffix (task, "-with-past"), "legacy",
                                 strcmp (file, "model.onnx") != 0, NULL);
  submodels = oxp_onnx_config_dup_submodels (config);
  for (guint i = 0; i < submodels->len; i++)
    if (strcmp (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, i)), file) == 0)
      chosen = g_ptr_array_index (submodels, i);
  g_assert_nonnull (chosen);

  case_inputs = json_object_get_array_member (c, "inputs");
  first_shape
      = json_object_get_array_member (json_array_get_object_element (case_inputs, 0), "shape");
  shapes_for (&shapes, json_array_get_int_element (first_shape, 0),
              json_array_get_int_element (first_shape, 1), 0, 0);
  for (guint i = 0; i < json_array_get_length (case_inputs); i++)
    {
      JsonObject *in = json_array_get_object_element (case_inputs, i);
      if (strcmp (json_object_get_string_member (in, "name"), "past_key_values.0.key") == 0)
        shapes.past_sequence_length
            = json_array_get_int_element (json_object_get_array_member (in, "shape"), 2);
    }

  inputs = oxp_onnx_config_get_inputs (chosen);
  outputs = oxp_onnx_config_get_outputs (chosen);
  check_against_case (case_inputs, inputs, &shapes);
  check_against_case (json_object_get_array_member (c, "outputs"), outputs, &shapes);

  dummies = oxp_onnx_config_generate_dummy_inputs (chosen, &shapes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dummies->len, ==, inputs->len);
}

static const CaseTest decoder_cases[] = {
  { "gpt2_decoder", test_gpt2_config_get_type },
  { "gpt2_decoder-with-past", test_gpt2_config_get_type },
  { "gpt2_text-generation", test_gpt2_config_get_type },
  { "llama_decoder", test_llama_config_get_type },
  { "llama_decoder-with-past", test_llama_config_get_type },
  { "llama_text-generation", test_llama_config_get_type },
  { "llama-gqa_decoder", test_llama_config_get_type },
  { "llama-gqa_decoder-with-past", test_llama_config_get_type },
  { "llama-gqa_text-generation", test_llama_config_get_type },
  { "mistral_decoder", test_llama_config_get_type },
  { "mistral_decoder-with-past", test_llama_config_get_type },
  { "qwen2_decoder", test_llama_config_get_type },
  { "qwen2_decoder-with-past", test_llama_config_get_type },
  { "phi3_decoder", test_llama_config_get_type },
  { "phi3_decoder-with-past", test_llama_config_get_type },
  { "gpt_neox_decoder", test_llama_config_get_type },
  { "gpt_neox_decoder-with-past", test_llama_config_get_type },
  { "gemma_decoder", test_gemma_config_get_type },
  { "gemma_decoder-with-past", test_gemma_config_get_type },
  { "opt_decoder", test_opt_config_get_type },
  { "opt_decoder-with-past", test_opt_config_get_type },
};

static void
test_past_helpers (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_llama_config_get_type (), "text-generation", llama_gqa_json);
  g_autoptr (GPtrArray) specs
      = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  g_autoptr (OxpTensorSpec) cache = oxp_onnx_config_with_past_new_cache_spec (
      OXP_ONNX_CONFIG_WITH_PAST (config), "k", "num_attention_heads", "past_sequence_length");
  g_autofree char *dims = oxp_tensor_spec_dims_to_string (cache);

  oxp_onnx_config_with_past_add_past_key_values (OXP_ONNX_CONFIG_WITH_PAST (config), specs,
                                                 OXP_PAST_DIRECTION_INPUTS);
  g_assert_cmpuint (specs->len, ==, 4);
  g_assert_cmpstr (oxp_tensor_spec_get_name (g_ptr_array_index (specs, 3)), ==,
                   "past_key_values.1.value");
  oxp_onnx_config_with_past_add_past_key_values (OXP_ONNX_CONFIG_WITH_PAST (config), specs,
                                                 OXP_PAST_DIRECTION_OUTPUTS);
  g_assert_cmpuint (specs->len, ==, 8);
  g_assert_cmpstr (oxp_tensor_spec_get_name (g_ptr_array_index (specs, 4)), ==, "present.0.key");
  /* No past inputs: the present covers the current tokens only. */
  g_assert_cmpstr (oxp_tensor_spec_get_dim_param (g_ptr_array_index (specs, 4), 2), ==,
                   "sequence_length");
  g_assert_cmpstr (dims, ==, "batch_size,4,past_sequence_length,8");
}

/* Seq2seq: the t5 / bart / whisper reference cases' three files. */

static void
test_seq2seq_t5 (void)
{
  g_autoptr (OxpOnnxConfig) base
      = new_config (test_t5_config_get_type (), "text2text-generation", t5_json);
  g_autoptr (OxpOnnxConfig) config = oxp_onnx_config_copy (base, "use-past", TRUE, NULL);
  g_autoptr (GPtrArray) submodels = oxp_onnx_config_dup_submodels (config);
  g_autoptr (GPtrArray) no_past = oxp_onnx_config_dup_submodels (base);
  OxpShapes shapes;

  g_assert_cmpint (
      oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)),
      ==, OXP_CONFIG_BEHAVIOR_MONOLITH);
  g_assert_cmpuint (submodels->len, ==, 4);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 0)), ==,
                   "encoder_model.onnx");
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 1)), ==,
                   "decoder_model.onnx");
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 2)), ==,
                   "decoder_with_past_model.onnx");
  g_assert_cmpint (
      oxp_onnx_seq2seq_config_with_past_get_behavior (g_ptr_array_index (submodels, 0)), ==,
      OXP_CONFIG_BEHAVIOR_ENCODER);
  g_assert_cmpint (
      oxp_onnx_seq2seq_config_with_past_get_behavior (g_ptr_array_index (submodels, 2)), ==,
      OXP_CONFIG_BEHAVIOR_DECODER);
  /* The task stays the model's. */
  g_assert_cmpstr (oxp_onnx_config_get_task (g_ptr_array_index (submodels, 0)), ==,
                   "text2text-generation");

  shapes_for (&shapes, 2, 5, 0, 11);
  assert_io (g_ptr_array_index (submodels, 0), &shapes, "input_ids[2,11] attention_mask[2,11]",
             "last_hidden_state[2,11,32]");
  assert_io (g_ptr_array_index (submodels, 1), &shapes,
             "encoder_attention_mask[2,11] input_ids[2,5] encoder_hidden_states[2,11,32]",
             "logits[2,5,320] present.0.decoder.key[2,4,5,8] present.0.decoder.value[2,4,5,8] "
             "present.0.encoder.key[2,4,11,8] present.0.encoder.value[2,4,11,8] "
             "present.1.decoder.key[2,4,5,8] present.1.decoder.value[2,4,5,8] "
             "present.1.encoder.key[2,4,11,8] present.1.encoder.value[2,4,11,8]");
  shapes_for (&shapes, 2, 1, 5, 11);
  assert_io (g_ptr_array_index (submodels, 2), &shapes,
             "encoder_attention_mask[2,11] input_ids[2,1] encoder_hidden_states[2,11,32] "
             "past_key_values.0.decoder.key[2,4,5,8] past_key_values.0.decoder.value[2,4,5,8] "
             "past_key_values.0.encoder.key[2,4,11,8] past_key_values.0.encoder.value[2,4,11,8] "
             "past_key_values.1.decoder.key[2,4,5,8] past_key_values.1.decoder.value[2,4,5,8] "
             "past_key_values.1.encoder.key[2,4,11,8] past_key_values.1.encoder.value[2,4,11,8]",
             "logits[2,1,320] present.0.decoder.key[2,4,6,8] present.0.decoder.value[2,4,6,8] "
             "present.1.decoder.key[2,4,6,8] present.1.decoder.value[2,4,6,8]");
  /* The merged decoder: the first step's inputs, the past, use_cache_branch;
   * the first step's outputs, the decoder presents over past + current. */
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 3)), ==,
                   "decoder_model_merged.onnx");
  assert_io (g_ptr_array_index (submodels, 3), &shapes,
             "encoder_attention_mask[2,11] input_ids[2,1] encoder_hidden_states[2,11,32] "
             "past_key_values.0.decoder.key[2,4,5,8] past_key_values.0.decoder.value[2,4,5,8] "
             "past_key_values.0.encoder.key[2,4,11,8] past_key_values.0.encoder.value[2,4,11,8] "
             "past_key_values.1.decoder.key[2,4,5,8] past_key_values.1.decoder.value[2,4,5,8] "
             "past_key_values.1.encoder.key[2,4,11,8] past_key_values.1.encoder.value[2,4,11,8] "
             "use_cache_branch[1]",
             "logits[2,1,320] present.0.decoder.key[2,4,6,8] present.0.decoder.value[2,4,6,8] "
             "present.0.encoder.key[2,4,11,8] present.0.encoder.value[2,4,11,8] "
             "present.1.decoder.key[2,4,6,8] present.1.decoder.value[2,4,6,8] "
             "present.1.encoder.key[2,4,11,8] present.1.encoder.value[2,4,11,8]");

  /* Without use-past: encoder and decoder only, no presents. */
  g_assert_cmpuint (no_past->len, ==, 2);
  shapes_for (&shapes, 2, 5, 0, 11);
  assert_io (g_ptr_array_index (no_past, 1), &shapes,
             "encoder_attention_mask[2,11] input_ids[2,5] encoder_hidden_states[2,11,32]",
             "logits[2,5,320]");
}

static void
test_seq2seq_bart_with_behavior (void)
{
  g_autoptr (OxpOnnxConfig) base = new_config (
      test_bart_config_get_type (), "text2text-generation",
      "{\"model_type\": \"bart\", \"d_model\": 32, \"encoder_layers\": 1, \"decoder_layers\": 1,"
      " \"encoder_attention_heads\": 4, \"decoder_attention_heads\": 4, \"vocab_size\": 320}");
  g_autoptr (OxpOnnxConfig) decoder = oxp_onnx_seq2seq_config_with_past_with_behavior (
      OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (base), OXP_CONFIG_BEHAVIOR_DECODER, TRUE, TRUE);
  g_autoptr (OxpOnnxConfig) encoder = oxp_onnx_seq2seq_config_with_past_with_behavior (
      OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (base), OXP_CONFIG_BEHAVIOR_ENCODER, TRUE, TRUE);
  g_autoptr (GPtrArray) decoder_models = oxp_onnx_config_dup_submodels (decoder);
  OxpShapes shapes;

  g_assert_cmpstr (oxp_onnx_config_get_file_name (decoder), ==, "decoder_with_past_model.onnx");
  g_assert_cmpstr (oxp_onnx_config_get_file_name (encoder), ==, "encoder_model.onnx");
  /* An encoder never has a past. */
  g_assert_false (oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (encoder)));
  /* A non-monolith config is its own only submodel. */
  g_assert_cmpuint (decoder_models->len, ==, 1);
  g_assert_true (g_ptr_array_index (decoder_models, 0) == decoder);

  /* BART's decoder with past has no encoder_hidden_states input. */
  shapes_for (&shapes, 2, 1, 5, 11);
  assert_io (decoder, &shapes,
             "encoder_attention_mask[2,11] input_ids[2,1] "
             "past_key_values.0.decoder.key[2,4,5,8] past_key_values.0.decoder.value[2,4,5,8] "
             "past_key_values.0.encoder.key[2,4,11,8] past_key_values.0.encoder.value[2,4,11,8]",
             "logits[2,1,320] present.0.decoder.key[2,4,6,8] present.0.decoder.value[2,4,6,8]");
  /* The monolith: encoder and decoder inputs in one graph. */
  shapes_for (&shapes, 2, 5, 0, 11);
  assert_io (base, &shapes, "input_ids[2,11] attention_mask[2,11] decoder_input_ids[2,5]",
             "logits[2,5,320]");
}

static void
test_audio_to_text (void)
{
  g_autoptr (OxpOnnxConfig) base
      = new_config (test_whisper_config_get_type (), "automatic-speech-recognition", whisper_json);
  g_autoptr (OxpOnnxConfig) config = oxp_onnx_config_copy (base, "use-past", TRUE, NULL);
  g_autoptr (GPtrArray) submodels = oxp_onnx_config_dup_submodels (config);
  OxpShapes shapes;

  g_assert_cmpuint (submodels->len, ==, 4);
  shapes_for (&shapes, 2, 5, 0, 30);
  assert_io (g_ptr_array_index (submodels, 0), &shapes, "input_features[2,16,30]",
             "last_hidden_state[2,15,32]");
  assert_io (g_ptr_array_index (submodels, 1), &shapes,
             "input_ids[2,5] encoder_hidden_states[2,15,32]",
             "logits[2,5,320] present.0.decoder.key[2,4,5,8] present.0.decoder.value[2,4,5,8] "
             "present.0.encoder.key[2,4,15,8] present.0.encoder.value[2,4,15,8] "
             "present.1.decoder.key[2,4,5,8] present.1.decoder.value[2,4,5,8] "
             "present.1.encoder.key[2,4,15,8] present.1.encoder.value[2,4,15,8]");
  shapes_for (&shapes, 2, 1, 5, 30);
  assert_io (g_ptr_array_index (submodels, 2), &shapes,
             "input_ids[2,1] past_key_values.0.decoder.key[2,4,5,8] "
             "past_key_values.0.decoder.value[2,4,5,8] past_key_values.0.encoder.key[2,4,15,8] "
             "past_key_values.0.encoder.value[2,4,15,8] past_key_values.1.decoder.key[2,4,5,8] "
             "past_key_values.1.decoder.value[2,4,5,8] past_key_values.1.encoder.key[2,4,15,8] "
             "past_key_values.1.encoder.value[2,4,15,8]",
             "logits[2,1,320] present.0.decoder.key[2,4,6,8] present.0.decoder.value[2,4,6,8] "
             "present.1.decoder.key[2,4,6,8] present.1.decoder.value[2,4,6,8]");
  /* The merged decoder keeps the first step's encoder_hidden_states. */
  assert_io (g_ptr_array_index (submodels, 3), &shapes,
             "input_ids[2,1] encoder_hidden_states[2,15,32] "
             "past_key_values.0.decoder.key[2,4,5,8] "
             "past_key_values.0.decoder.value[2,4,5,8] past_key_values.0.encoder.key[2,4,15,8] "
             "past_key_values.0.encoder.value[2,4,15,8] past_key_values.1.decoder.key[2,4,5,8] "
             "past_key_values.1.decoder.value[2,4,5,8] past_key_values.1.encoder.key[2,4,15,8] "
             "past_key_values.1.encoder.value[2,4,15,8] use_cache_branch[1]",
             "logits[2,1,320] present.0.decoder.key[2,4,6,8] present.0.decoder.value[2,4,6,8] "
             "present.0.encoder.key[2,4,15,8] present.0.encoder.value[2,4,15,8] "
             "present.1.decoder.key[2,4,6,8] present.1.decoder.value[2,4,6,8] "
             "present.1.encoder.key[2,4,15,8] present.1.encoder.value[2,4,15,8]");
  /* Monolith inputs. */
  shapes_for (&shapes, 2, 5, 0, 30);
  assert_io (base, &shapes, "input_features[2,16,30] decoder_input_ids[2,5]", "logits[2,5,320]");
}

static void
test_vision_and_multimodal (void)
{
  g_autoptr (OxpOnnxConfig) vit
      = new_config (test_vit_config_get_type (), "image-classification", vit_json);
  g_autoptr (OxpOnnxConfig) clip
      = new_config (test_clip_config_get_type (), "zero-shot-image-classification", clip_json);
  g_autoptr (OxpOnnxConfig) vit_fe
      = new_config (test_vit_config_get_type (), "feature-extraction", vit_json);
  g_autoptr (OxpOnnxConfig) any_fe
      = new_config (test_vit_config_get_type (), "feature-extraction", text_json);
  g_autoptr (OxpOnnxConfig) wav2vec
      = new_config (test_wav2vec_config_get_type (), "audio-classification", text_json);
  OxpShapes shapes;

  /* The image geometry is the model's, whatever the requested shapes. */
  shapes_for (&shapes, 2, 11, 0, 0);
  shapes.height = shapes.width = 64;
  g_assert_true (OXP_IS_NORMALIZED_VISION_CONFIG (oxp_onnx_config_get_normalized_config (vit)));
  assert_io (vit, &shapes, "pixel_values[2,3,30,30]", "logits[2,3]");
  /* ViT feature-extraction: 15 × 15 patches + [CLS], as in the reference case. */
  assert_io (vit_fe, &shapes, "pixel_values[2,3,30,30]", "last_hidden_state[2,226,32]");
  /* Without a known geometry the dims stay symbolic. */
  assert_io (any_fe, &shapes, "pixel_values[2,3,64,64]", "last_hidden_state[2,11,32]");
  g_assert_true (
      OXP_IS_NORMALIZED_TEXT_AND_VISION_CONFIG (oxp_onnx_config_get_normalized_config (clip)));
  assert_io (clip, &shapes, "input_ids[2,11] pixel_values[2,3,30,30] attention_mask[2,11]",
             "logits_per_image[2,2] logits_per_text[2,2] text_embeds[2,24] image_embeds[2,24]");
  assert_io (wav2vec, &shapes, "input_values[2,11]", "logits[2,3]");
}

static void
test_dummy_inputs (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_vit_config_get_type (), "image-classification", vit_json);
  g_autoptr (OxpOnnxConfig) tiny
      = new_config (test_tiny_config_get_type (), "feature-extraction", text_json);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tensors = NULL;
  OxpShapes shapes;

  oxp_shapes_init_default (&shapes);
  /* A bare config falls back on the text generator. */
  tensors = oxp_onnx_config_generate_dummy_inputs (tiny, &shapes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tensors->len, ==, 1);
  g_clear_pointer (&tensors, g_ptr_array_unref);

  tensors = oxp_onnx_config_generate_dummy_inputs (config, &shapes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (oxp_tensor_get_shape (g_ptr_array_index (tensors, 0))[2], ==, 30);
  g_clear_pointer (&tensors, g_ptr_array_unref);

  /* An input none of the config's generators produces. */
  {
    g_autoptr (OxpOnnxConfig) odd
        = new_config (test_bbox_config_get_type (), "image-classification", vit_json);
    tensors = oxp_onnx_config_generate_dummy_inputs (odd, &shapes, &error);
    g_assert_null (tensors);
    g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "'bbox'"));
    g_assert_nonnull (strstr (error->message, "TestBboxConfig"));
  }
}

/* build_graph */

static void
test_build_graph (void)
{
  g_autoptr (OxpOnnxConfig) config
      = new_config (test_tiny_config_get_type (), "feature-extraction", text_json);
  g_autoptr (OxpGraph) graph = oxp_graph_new ("tiny", oxp_onnx_config_get_opset (config));
  g_autoptr (OxpGraph) half = oxp_graph_new ("tiny-fp16", 14);
  g_autoptr (GError) error = NULL;
  GPtrArray *inputs, *outputs;

  g_assert_true (oxp_onnx_config_build_graph (config, graph, NULL, &error));
  g_assert_no_error (error);
  inputs = oxp_graph_get_inputs (graph);
  outputs = oxp_graph_get_outputs (graph);
  g_assert_cmpuint (inputs->len, ==, 1);
  g_assert_cmpstr (oxp_tensor_spec_get_name (g_ptr_array_index (inputs, 0)), ==, "input_ids");
  g_assert_cmpuint (outputs->len, ==, 1);
  g_assert_cmpstr (oxp_tensor_spec_get_name (g_ptr_array_index (outputs, 0)), ==,
                   "last_hidden_state");
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (outputs, 0)), ==,
                   OXP_DATA_TYPE_FLOAT);
  g_assert_cmpint (oxp_tensor_spec_get_dim_value (g_ptr_array_index (outputs, 0), 2), ==, 32);

  /* An fp16 graph gets fp16 float outputs; integer inputs stay int64. */
  oxp_graph_set_float_type (half, OXP_DATA_TYPE_FLOAT16);
  g_assert_true (oxp_onnx_config_build_graph (config, half, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (oxp_graph_get_outputs (half), 0)),
                   ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpint (oxp_tensor_spec_get_dtype (g_ptr_array_index (oxp_graph_get_inputs (half), 0)),
                   ==, OXP_DATA_TYPE_INT64);
}

static void
test_build_graph_errors (void)
{
  g_autoptr (JsonObject) json = parse_object (text_json);
  g_autoptr (OxpOnnxConfig) unbound
      = oxp_onnx_config_new (test_tiny_config_get_type (), "fill-mask", json, NULL);
  g_autoptr (OxpOnnxConfig) no_graph
      = new_config (test_bert_config_get_type (), "feature-extraction", text_json);
  g_autoptr (OxpGraph) g1 = oxp_graph_new ("a", 14);
  g_autoptr (OxpGraph) g2 = oxp_graph_new ("b", 14);
  g_autoptr (GError) error = NULL;

  /* build_graph left the declared output unbound: oxp_graph_check() says so. */
  g_assert_false (oxp_onnx_config_build_graph (unbound, g1, NULL, &error));
  g_assert_true (error->domain == OXP_EXPORT_ERROR);
  g_assert_nonnull (strstr (error->message, "logits"));
  g_clear_error (&error);

  /* A middle-end class alone does not build anything. */
  g_assert_false (oxp_onnx_config_build_graph (no_graph, g2, NULL, &error));
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "TestBertConfig"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oxp/onnx-config/opset", test_opset);
  g_test_add_func ("/oxp/onnx-config/getters", test_getters);
  g_test_add_func ("/oxp/onnx-config/atol", test_atol);
  g_test_add_func ("/oxp/onnx-config/flatten-and-external-data", test_flatten_and_external_data);
  g_test_add_func ("/oxp/onnx-config/shapes", test_shapes);
  g_test_add_func ("/oxp/onnx-config/construction-errors", test_construction_errors);
  g_test_add_func ("/oxp/onnx-config/common-outputs", test_common_outputs_table);
  g_test_add_func ("/oxp/onnx-config/float-type", test_float_type);
  g_test_add_func ("/oxp/onnx-config/copy", test_copy);
  g_test_add_func ("/oxp/onnx-config/fixed-shapes", test_fixed_shapes);
  for (gsize i = 0; i < G_N_ELEMENTS (reference_cases); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/oxp/onnx-config/reference/%s", reference_cases[i].case_name);
      g_test_add_data_func (path, &reference_cases[i], test_reference_case);
    }
  g_test_add_func ("/oxp/onnx-config/decoder/text-generation", test_decoder_text_generation);
  g_test_add_func ("/oxp/onnx-config/decoder/with-past-gpt2", test_decoder_with_past_gpt2);
  g_test_add_func ("/oxp/onnx-config/decoder/with-past-llama-gqa",
                   test_decoder_with_past_llama_gqa);
  g_test_add_func ("/oxp/onnx-config/decoder/position-ids-order", test_decoder_position_ids_order);
  for (gsize i = 0; i < G_N_ELEMENTS (decoder_cases); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/oxp/onnx-config/decoder/reference/%s", decoder_cases[i].case_name);
      g_test_add_data_func (path, &decoder_cases[i], test_decoder_reference_case);
    }
  g_test_add_func ("/oxp/onnx-config/decoder/past-helpers", test_past_helpers);
  g_test_add_func ("/oxp/onnx-config/seq2seq/t5", test_seq2seq_t5);
  g_test_add_func ("/oxp/onnx-config/seq2seq/bart-with-behavior", test_seq2seq_bart_with_behavior);
  g_test_add_func ("/oxp/onnx-config/seq2seq/audio-to-text", test_audio_to_text);
  g_test_add_func ("/oxp/onnx-config/vision-and-multimodal", test_vision_and_multimodal);
  g_test_add_func ("/oxp/onnx-config/dummy-inputs", test_dummy_inputs);
  g_test_add_func ("/oxp/onnx-config/build-graph", test_build_graph);
  g_test_add_func ("/oxp/onnx-config/build-graph-errors", test_build_graph_errors);

  return g_test_run ();
}
