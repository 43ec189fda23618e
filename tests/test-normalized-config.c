/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

/* Trimmed config.json files of the architectures the variants must read. */
static const char bert_json[]
    = "{\"model_type\": \"bert\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"vocab_size\": 320, \"intermediate_size\": 37,"
      " \"max_position_embeddings\": 512, \"type_vocab_size\": 2, \"pad_token_id\": 0,"
      " \"layer_norm_eps\": 1e-12, \"hidden_act\": \"gelu\", \"use_cache\": true,"
      " \"classifier_dropout\": null}";
static const char gpt2_json[]
    = "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_layer\": 2, \"n_head\": 4,"
      " \"n_positions\": 512, \"vocab_size\": 320, \"layer_norm_epsilon\": 1e-05,"
      " \"activation_function\": \"gelu_new\", \"n_inner\": null,"
      " \"id2label\": {\"0\": \"A\", \"1\": \"B\", \"2\": \"C\"}}";
static const char llama_gqa_json[]
    = "{\"model_type\": \"llama\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 320,"
      " \"rms_norm_eps\": 1e-06, \"hidden_act\": \"silu\"}";
static const char t5_json[]
    = "{\"model_type\": \"t5\", \"d_model\": 32, \"d_kv\": 8, \"d_ff\": 37, \"num_layers\": 2,"
      " \"num_decoder_layers\": 3, \"num_heads\": 4, \"vocab_size\": 320,"
      " \"feed_forward_proj\": \"relu\"}";
static const char bart_json[]
    = "{\"model_type\": \"bart\", \"d_model\": 32, \"encoder_layers\": 2, \"decoder_layers\": 3,"
      " \"encoder_attention_heads\": 4, \"decoder_attention_heads\": 2, \"vocab_size\": 320,"
      " \"decoder_ffn_dim\": 37, \"activation_function\": \"gelu\"}";
static const char vit_json[]
    = "{\"model_type\": \"vit\", \"hidden_size\": 32, \"num_hidden_layers\": 2,"
      " \"num_attention_heads\": 4, \"image_size\": 30, \"patch_size\": 2,"
      " \"num_channels\": 3, \"layer_norm_eps\": 1e-12}";
static const char clip_json[]
    = "{\"model_type\": \"clip\", \"projection_dim\": 24, \"logit_scale_init_value\": 2.6592,"
      " \"text_config\": {\"hidden_size\": 32, \"num_hidden_layers\": 2, \"num_attention_heads\": "
      "4,"
      "   \"vocab_size\": 320, \"max_position_embeddings\": 77, \"pad_token_id\": 1},"
      " \"vision_config\": {\"hidden_size\": 40, \"num_hidden_layers\": 3, "
      "\"num_attention_heads\": 5,"
      "   \"image_size\": [30, 28], \"patch_size\": 2, \"num_channels\": 3}}";

static JsonObject *
parse_object (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static gint64
get_int (OxpNormalizedConfig *nc, const char *name)
{
  g_autoptr (GError) error = NULL;
  gint64 v = -1;

  if (!oxp_normalized_config_get_int (nc, name, &v, &error))
    g_error ("%s: %s", name, error->message);
  return v;
}

static void
test_text_bert (void)
{
  g_autoptr (JsonObject) json = parse_object (bert_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_config_new (json);
  g_autoptr (GError) error = NULL;
  double eps = 0;

  g_assert_true (OXP_IS_NORMALIZED_TEXT_CONFIG (nc));
  g_assert_true (oxp_normalized_config_get_config (nc) == json);
  g_assert_cmpstr (oxp_normalized_config_get_model_type (nc), ==, "bert");
  g_assert_cmpint (get_int (nc, "num_layers"), ==, 2);
  g_assert_cmpint (get_int (nc, "hidden_size"), ==, 32);
  g_assert_cmpint (get_int (nc, "num_attention_heads"), ==, 4);
  g_assert_cmpint (get_int (nc, "vocab_size"), ==, 320);
  g_assert_cmpint (get_int (nc, "intermediate_size"), ==, 37);
  g_assert_cmpint (get_int (nc, "max_position_embeddings"), ==, 512);
  g_assert_cmpint (get_int (nc, "type_vocab_size"), ==, 2);
  g_assert_cmpint (get_int (nc, "pad_token_id"), ==, 0);
  /* Derived values. */
  g_assert_cmpint (get_int (nc, "num_key_value_heads"), ==, 4);
  g_assert_cmpint (get_int (nc, "head_dim"), ==, 8);
  g_assert_cmpint (get_int (nc, "num_labels"), ==, 2);

  g_assert_true (oxp_normalized_config_get_double (nc, "layer_norm_eps", &eps, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (eps, ==, 1e-12);
  g_assert_cmpstr (oxp_normalized_config_get_string (nc, "hidden_act", NULL), ==, "gelu");
  g_assert_true (oxp_normalized_config_get_boolean_or (nc, "use_cache", FALSE));
  /* JSON null is absent. */
  g_assert_false (oxp_normalized_config_has (nc, "classifier_dropout"));
  g_assert_cmpfloat (oxp_normalized_config_get_double_or (nc, "classifier_dropout", 0.5), ==, 0.5);
}

static void
test_text_gpt2_keys (void)
{
  g_autoptr (JsonObject) json = parse_object (gpt2_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_config_new (json);

  g_assert_cmpint (get_int (nc, "num_layers"), ==, 2);
  g_assert_cmpint (get_int (nc, "hidden_size"), ==, 32);
  g_assert_cmpint (get_int (nc, "num_attention_heads"), ==, 4);
  g_assert_cmpint (get_int (nc, "max_position_embeddings"), ==, 512);
  g_assert_cmpint (get_int (nc, "head_dim"), ==, 8);
  g_assert_cmpfloat (oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 0), ==, 1e-5);
  g_assert_cmpstr (oxp_normalized_config_get_string_or (nc, "hidden_act", "x"), ==, "gelu_new");
  /* n_inner is null: intermediate_size is absent, not 0. */
  g_assert_false (oxp_normalized_config_has (nc, "intermediate_size"));
  g_assert_cmpint (oxp_normalized_config_get_int_or (nc, "intermediate_size", 128), ==, 128);
  /* num_labels from id2label. */
  g_assert_cmpint (get_int (nc, "num_labels"), ==, 3);
}

/* A size of 0 or below fails naming the config, the key and the value. */
static void
test_require_positive (void)
{
  g_autoptr (JsonObject) json = parse_object (gpt2_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_config_new (json);
  g_autoptr (GError) error = NULL;

  g_assert_true (oxp_normalized_config_require_positive (nc, "n_layer", 1, &error));
  g_assert_no_error (error);
  g_assert_false (oxp_normalized_config_require_positive (nc, "n_layer", 0, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_cmpstr (error->message, ==,
                   "config.json of model type 'gpt2': n_layer is 0, expected a positive number");
  g_clear_error (&error);
  g_assert_false (oxp_normalized_config_require_positive (nc, "d_kv", -8, &error));
  g_assert_nonnull (strstr (error->message, "d_kv is -8"));
}

static void
test_gqa_heads (void)
{
  g_autoptr (JsonObject) json = parse_object (llama_gqa_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_config_new (json);

  g_assert_cmpint (get_int (nc, "num_attention_heads"), ==, 4);
  g_assert_cmpint (get_int (nc, "num_key_value_heads"), ==, 2);
  g_assert_cmpint (get_int (nc, "head_dim"), ==, 8);
  g_assert_cmpfloat (oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 0), ==, 1e-6);
}

static void
test_aliases (void)
{
  g_autoptr (JsonObject) json
      = parse_object ("{\"model_type\": \"mine\", \"num_hidden_layers\": 2, \"my_layers\": 7,"
                      " \"sub\": {\"deep\": {\"heads\": 6}}, \"b\": 9}");
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_config_new (json);

  g_assert_cmpint (get_int (nc, "num_layers"), ==, 2);
  /* Like NormalizedTextConfig.with_args (num_layers="my_layers"); the cache
   * does not keep the old answer. */
  oxp_normalized_config_set_alias (nc, "num_layers", "my_layers");
  g_assert_cmpstr (oxp_normalized_config_get_alias (nc, "num_layers"), ==, "my_layers");
  g_assert_cmpint (get_int (nc, "num_layers"), ==, 7);
  /* Dotted paths and alternatives. */
  oxp_normalized_config_set_aliases (nc, "num_attention_heads", "sub.deep.heads", "thing",
                                     "missing|also.missing|b", NULL);
  g_assert_cmpint (get_int (nc, "num_attention_heads"), ==, 6);
  g_assert_cmpint (get_int (nc, "thing"), ==, 9);
  g_assert_cmpint (get_int (nc, "sub.deep.heads"), ==, 6);
  g_assert_false (oxp_normalized_config_has (nc, "sub.deep.nothing"));
  g_assert_false (oxp_normalized_config_has (nc, "b.c"));
  /* Removing the alias falls back on the name as a key, then the defaults. */
  oxp_normalized_config_set_alias (nc, "thing", NULL);
  g_assert_null (oxp_normalized_config_get_alias (nc, "thing"));
  g_assert_false (oxp_normalized_config_has (nc, "thing"));
}

static void
test_errors (void)
{
  g_autoptr (JsonObject) json = parse_object (gpt2_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_config_new (json);
  g_autoptr (OxpNormalizedConfig) plain = oxp_normalized_config_new (json);
  g_autoptr (GError) error = NULL;
  gint64 v = 42;

  /* The plain view knows no aliases: the message names the key and the config. */
  g_assert_false (oxp_normalized_config_get_int (plain, "num_layers", &v, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "config.json of model type 'gpt2'"));
  g_assert_nonnull (strstr (error->message, "'num_layers'"));
  g_assert_cmpint (v, ==, 42);
  g_clear_error (&error);

  /* With an alias, every key tried is named. */
  oxp_normalized_config_set_alias (nc, "rope_theta", "rope_theta|rotary_base");
  g_assert_false (oxp_normalized_config_get_double (nc, "rope_theta", NULL, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY);
  g_assert_nonnull (strstr (error->message, "'rope_theta', 'rotary_base' (for rope_theta)"));
  g_clear_error (&error);

  /* Wrong JSON types. */
  g_assert_false (oxp_normalized_config_get_int (nc, "hidden_act", &v, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "activation_function"));
  g_assert_nonnull (strstr (error->message, "an integer"));
  g_clear_error (&error);
  g_assert_false (oxp_normalized_config_get_int (nc, "layer_norm_eps", &v, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_null (oxp_normalized_config_get_string (nc, "vocab_size", &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_false (oxp_normalized_config_get_boolean (nc, "vocab_size", NULL, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_false (oxp_normalized_config_get_double (nc, "hidden_act", NULL, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  /* A named source is used in messages. */
  oxp_normalized_config_set_source (nc, "/models/gpt2/config.json");
  g_assert_false (oxp_normalized_config_get_int (nc, "nothing", NULL, &error));
  g_assert_nonnull (strstr (error->message, "/models/gpt2/config.json"));
  g_clear_error (&error);

  /* The _or getters never fail. */
  g_assert_cmpint (oxp_normalized_config_get_int_or (nc, "hidden_act", -3), ==, -3);
  g_assert_cmpstr (oxp_normalized_config_get_string_or (nc, "nothing", NULL), ==, NULL);
  g_assert_false (oxp_normalized_config_get_boolean_or (nc, "vocab_size", FALSE));
}

static void
test_integral_numbers (void)
{
  g_autoptr (JsonObject) json
      = parse_object ("{\"a\": 2.0, \"b\": 2.5, \"c\": 1e300, \"d\": -4, \"e\": 12}");
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_config_new (json);

  g_assert_cmpint (get_int (nc, "a"), ==, 2);
  g_assert_cmpint (oxp_normalized_config_get_int_or (nc, "b", 0), ==, 0);
  g_assert_cmpint (oxp_normalized_config_get_int_or (nc, "c", 0), ==, 0);
  g_assert_cmpint (get_int (nc, "d"), ==, -4);
  g_assert_cmpfloat (oxp_normalized_config_get_double_or (nc, "e", 0), ==, 12.0);
  /* Without model_type the config is just "config.json". */
  g_assert_cmpstr (oxp_normalized_config_get_source (nc), ==, "config.json");
  g_assert_null (oxp_normalized_config_get_model_type (nc));
}

static void
test_seq2seq (void)
{
  g_autoptr (JsonObject) t5 = parse_object (t5_json);
  g_autoptr (JsonObject) bart = parse_object (bart_json);
  g_autoptr (OxpNormalizedConfig) nt5 = oxp_normalized_seq2seq_config_new (t5);
  g_autoptr (OxpNormalizedConfig) nbart = oxp_normalized_seq2seq_config_new (bart);

  g_assert_true (OXP_IS_NORMALIZED_TEXT_CONFIG (nt5));
  g_assert_cmpint (get_int (nt5, "encoder_num_layers"), ==, 2);
  g_assert_cmpint (get_int (nt5, "decoder_num_layers"), ==, 3);
  g_assert_cmpint (get_int (nt5, "num_layers"), ==, 3);
  g_assert_cmpint (get_int (nt5, "encoder_num_attention_heads"), ==, 4);
  g_assert_cmpint (get_int (nt5, "decoder_num_attention_heads"), ==, 4);
  g_assert_cmpint (get_int (nt5, "hidden_size"), ==, 32);
  g_assert_cmpint (get_int (nt5, "head_dim"), ==, 8);
  g_assert_cmpint (get_int (nt5, "intermediate_size"), ==, 37);
  g_assert_cmpstr (oxp_normalized_config_get_string_or (nt5, "hidden_act", NULL), ==, "relu");

  g_assert_cmpint (get_int (nbart, "encoder_num_layers"), ==, 2);
  g_assert_cmpint (get_int (nbart, "decoder_num_layers"), ==, 3);
  g_assert_cmpint (get_int (nbart, "encoder_num_attention_heads"), ==, 4);
  g_assert_cmpint (get_int (nbart, "decoder_num_attention_heads"), ==, 2);
  g_assert_cmpint (get_int (nbart, "num_attention_heads"), ==, 2);
  /* head_dim derives from the decoder: 32 / 2. */
  g_assert_cmpint (get_int (nbart, "head_dim"), ==, 16);
  g_assert_cmpint (get_int (nbart, "num_key_value_heads"), ==, 2);
  g_assert_cmpint (get_int (nbart, "intermediate_size"), ==, 37);
}

static void
test_vision (void)
{
  g_autoptr (JsonObject) json = parse_object (vit_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_vision_config_new (json);
  g_autoptr (JsonObject) bad_json = parse_object ("{\"image_size\": [30]}");
  g_autoptr (OxpNormalizedConfig) bad = oxp_normalized_vision_config_new (bad_json);
  g_autoptr (GError) error = NULL;
  gint64 h = 0, w = 0;

  g_assert_cmpint (get_int (nc, "num_layers"), ==, 2);
  g_assert_cmpint (get_int (nc, "image_size"), ==, 30);
  g_assert_cmpint (get_int (nc, "patch_size"), ==, 2);
  g_assert_cmpint (get_int (nc, "num_channels"), ==, 3);
  g_assert_true (oxp_normalized_config_get_image_size (nc, &h, &w, &error));
  g_assert_no_error (error);
  g_assert_cmpint (h, ==, 30);
  g_assert_cmpint (w, ==, 30);

  g_assert_false (oxp_normalized_config_get_image_size (bad, &h, &w, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "image_size"));
}

static void
test_text_and_vision (void)
{
  g_autoptr (JsonObject) json = parse_object (clip_json);
  g_autoptr (OxpNormalizedConfig) nc = oxp_normalized_text_and_vision_config_new (json);
  g_autoptr (OxpNormalizedConfig) vision = NULL;
  g_autoptr (OxpNormalizedConfig) text = NULL;
  g_autoptr (GError) error = NULL;
  gint64 h = 0, w = 0;

  g_assert_cmpint (get_int (nc, "projection_dim"), ==, 24);
  g_assert_cmpint (get_int (nc, "vocab_size"), ==, 320);
  g_assert_cmpint (get_int (nc, "hidden_size"), ==, 32);
  g_assert_cmpint (get_int (nc, "num_layers"), ==, 2);
  g_assert_cmpint (get_int (nc, "pad_token_id"), ==, 1);
  g_assert_cmpint (get_int (nc, "max_position_embeddings"), ==, 77);
  g_assert_cmpint (get_int (nc, "patch_size"), ==, 2);
  g_assert_cmpint (get_int (nc, "num_channels"), ==, 3);
  g_assert_cmpint (get_int (nc, "vision_hidden_size"), ==, 40);
  g_assert_cmpint (get_int (nc, "vision_num_layers"), ==, 3);
  g_assert_cmpint (get_int (nc, "vision_num_attention_heads"), ==, 5);
  g_assert_cmpint (get_int (nc, "text_config.num_attention_heads"), ==, 4);
  g_assert_true (oxp_normalized_config_get_image_size (nc, &h, &w, NULL));
  g_assert_cmpint (h, ==, 30);
  g_assert_cmpint (w, ==, 28);
  /* Explicit dotted paths are not searched elsewhere. */
  g_assert_false (oxp_normalized_config_has (nc, "text_config.image_size"));

  vision = oxp_normalized_config_dup_sub_config (nc, "vision_config",
                                                 OXP_TYPE_NORMALIZED_VISION_CONFIG, &error);
  g_assert_no_error (error);
  g_assert_true (OXP_IS_NORMALIZED_VISION_CONFIG (vision));
  g_assert_cmpint (get_int (vision, "num_layers"), ==, 3);
  g_assert_cmpint (get_int (vision, "head_dim"), ==, 8);
  g_assert_false (oxp_normalized_config_get_int (vision, "vocab_size", NULL, &error));
  g_assert_nonnull (strstr (error->message, "in 'vision_config'"));
  g_clear_error (&error);

  text = oxp_normalized_config_dup_sub_config (nc, "text_config", OXP_TYPE_NORMALIZED_TEXT_CONFIG,
                                               NULL);
  g_assert_cmpint (get_int (text, "vocab_size"), ==, 320);

  g_assert_null (oxp_normalized_config_dup_sub_config (nc, "audio_config",
                                                       OXP_TYPE_NORMALIZED_CONFIG, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY);
  g_clear_error (&error);
  g_assert_null (oxp_normalized_config_dup_sub_config (nc, "projection_dim",
                                                       OXP_TYPE_NORMALIZED_CONFIG, &error));
  g_assert_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE);
}

/* A plugin-style subclass deriving a value in its lookup vfunc. */
typedef struct
{
  OxpNormalizedTextConfig parent;
} TestDerivedConfig;
typedef struct
{
  OxpNormalizedTextConfigClass parent_class;
} TestDerivedConfigClass;
static GType test_derived_config_get_type (void);
G_DEFINE_TYPE (TestDerivedConfig, test_derived_config, OXP_TYPE_NORMALIZED_TEXT_CONFIG)

static JsonNode *
test_derived_config_lookup (OxpNormalizedConfig *self, const char *name)
{
  if (g_strcmp0 (name, "intermediate_size") == 0)
    {
      JsonNode *node = json_node_new (JSON_NODE_VALUE);
      json_node_set_int (node, 4 * oxp_normalized_config_get_int_or (self, "hidden_size", 0));
      return node;
    }
  return OXP_NORMALIZED_CONFIG_CLASS (test_derived_config_parent_class)->lookup (self, name);
}

static void
test_derived_config_class_init (TestDerivedConfigClass *klass)
{
  OXP_NORMALIZED_CONFIG_CLASS (klass)->lookup = test_derived_config_lookup;
}

static void
test_derived_config_init (TestDerivedConfig *self)
{
}

static void
test_subclass_lookup (void)
{
  g_autoptr (JsonObject) json = parse_object (gpt2_json);
  g_autoptr (OxpNormalizedConfig) nc
      = g_object_new (test_derived_config_get_type (), "config", json, NULL);

  /* n_inner is null, so the subclass derives 4 × n_embd. */
  g_assert_cmpint (get_int (nc, "intermediate_size"), ==, 128);
  /* The parent's derivations still work. */
  g_assert_cmpint (get_int (nc, "num_labels"), ==, 3);
  g_assert_cmpint (get_int (nc, "num_key_value_heads"), ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/oxp/normalized-config/text/bert", test_text_bert);
  g_test_add_func ("/oxp/normalized-config/text/gpt2-keys", test_text_gpt2_keys);
  g_test_add_func ("/oxp/normalized-config/text/gqa-heads", test_gqa_heads);
  g_test_add_func ("/oxp/normalized-config/aliases", test_aliases);
  g_test_add_func ("/oxp/normalized-config/errors", test_errors);
  g_test_add_func ("/oxp/normalized-config/integral-numbers", test_integral_numbers);
  g_test_add_func ("/oxp/normalized-config/seq2seq", test_seq2seq);
  g_test_add_func ("/oxp/normalized-config/vision", test_vision);
  g_test_add_func ("/oxp/normalized-config/text-and-vision", test_text_and_vision);
  g_test_add_func ("/oxp/normalized-config/subclass-lookup", test_subclass_lookup);
  g_test_add_func ("/oxp/normalized-config/require-positive", test_require_positive);

  return g_test_run ();
}
