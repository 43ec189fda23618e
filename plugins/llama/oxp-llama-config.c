/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipes of the LLaMA family (optimum's LlamaOnnxConfig, which
 * Mistral, Qwen2 and Phi-3 share, and GemmaOnnxConfig), and the reading of
 * config.json into one OxpLlamaSpec. */

#include "config.h"

#include <string.h>

#include "oxp-llama-config.h"
#include "oxp-llama-private.h"

struct _OxpGemmaOnnxConfig
{
  OxpLlamaOnnxConfig parent_instance;
};

G_DEFINE_TYPE (OxpLlamaOnnxConfig, oxp_llama_onnx_config, OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)
G_DEFINE_FINAL_TYPE (OxpGemmaOnnxConfig, oxp_gemma_onnx_config, OXP_TYPE_LLAMA_ONNX_CONFIG)

/* One row per architecture (modeling_{llama,mistral,qwen2,phi3,gemma}.py). */
static const OxpLlamaVariant variants[] = {
  /* model_type fused  qkv_b  attn_b gemma  tied   act          act keys */
  { "llama", FALSE, FALSE, TRUE, FALSE, FALSE, "silu", "hidden_act", NULL, FALSE, 1e-6 },
  { "mistral", FALSE, FALSE, FALSE, FALSE, FALSE, "silu", "hidden_act", NULL, TRUE, 1e-6 },
  { "qwen2", FALSE, TRUE, FALSE, FALSE, FALSE, "silu", "hidden_act", "use_sliding_window", TRUE,
    1e-6 },
  { "phi3", TRUE, FALSE, FALSE, FALSE, FALSE, "silu", "hidden_act", NULL, TRUE, 1e-5 },
  /* GeGLU with the tanh GELU: hidden_activation is what Gemma was trained with. */
  { "gemma", FALSE, FALSE, TRUE, TRUE, TRUE, "gelu_pytorch_tanh", "hidden_activation|hidden_act",
    NULL, FALSE, 1e-6 },
};

static gboolean llama_config_error (GError **error, const char *source, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
llama_config_error (GError **error, const char *source, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE, "%s: %s", source, message);
  return FALSE;
}

static JsonNode *
member (JsonObject *object, const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
member_double (JsonObject *object, const char *name, double *out)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (node);
  return TRUE;
}

static gboolean
require_double (OxpLlamaSpec *spec, JsonObject *rope, const char *name, double *out, GError **error)
{
  if (member_double (rope, name, out))
    return TRUE;
  return llama_config_error (error, spec->source, "rope_scaling.%s must be a number", name);
}

/* short_factor / long_factor: exactly rotary_dim / 2 numbers. */
static double *
read_factors (OxpLlamaSpec *spec, JsonObject *rope, const char *name, GError **error)
{
  JsonNode *node = member (rope, name);
  gint64 half = spec->rotary_dim / 2;
  JsonArray *array;
  double *values;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (array = json_node_get_array (node)) != (guint)half)
    {
      llama_config_error (error, spec->source,
                          "rope_scaling.%s must be a list of %" G_GINT64_FORMAT
                          " numbers (rotary dimension / 2)",
                          name, half);
      return NULL;
    }
  values = g_new (double, half);
  for (gint64 i = 0; i < half; i++)
    {
      JsonNode *v = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (v)
          || (json_node_get_value_type (v) != G_TYPE_DOUBLE
              && json_node_get_value_type (v) != G_TYPE_INT64))
        {
          g_free (values);
          llama_config_error (error, spec->source,
                              "rope_scaling.%s[%" G_GINT64_FORMAT "] is not a number", name, i);
          return NULL;
        }
      values[i] = json_node_get_double (v);
    }
  return values;
}

/* transformers' rope_scaling (type names as ROPE_INIT_FUNCTIONS knows them). */
static gboolean
read_rope_scaling (OxpLlamaSpec *spec, JsonObject *config, GError **error)
{
  JsonNode *node = member (config, "rope_scaling");
  JsonObject *rope;
  const char *type_key = "type", *type;
  gint64 max_positions = 0;
  double value;

  memset (&spec->rope, 0, sizeof spec->rope);
  spec->rope.type = OXP_ROPE_DEFAULT;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return llama_config_error (error, spec->source, "rope_scaling must be an object or null");
  rope = json_node_get_object (node);
  if (member (rope, "rope_type") != NULL)
    type_key = "rope_type";
  node = member (rope, type_key);
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return llama_config_error (error, spec->source, "rope_scaling.type must be a string");
  type = json_node_get_string (node);

  if (member_double (config, "max_position_embeddings", &value))
    max_positions = (gint64)value;
  if (g_str_equal (type, "default"))
    return TRUE;
  if (g_str_equal (type, "linear") || g_str_equal (type, "dynamic"))
    {
      spec->rope.type = g_str_equal (type, "linear") ? OXP_ROPE_LINEAR : OXP_ROPE_DYNAMIC;
      spec->rope.max_positions = max_positions;
      if (!require_double (spec, rope, "factor", &spec->rope.factor, error))
        return FALSE;
      if (spec->rope.type == OXP_ROPE_DYNAMIC && max_positions <= 0)
        return llama_config_error (error, spec->source,
                                   "rope_scaling.type “dynamic” needs max_position_embeddings");
      return TRUE;
    }
  if (g_str_equal (type, "llama3"))
    {
      double original;
      spec->rope.type = OXP_ROPE_LLAMA3;
      if (!require_double (spec, rope, "factor", &spec->rope.factor, error)
          || !require_double (spec, rope, "low_freq_factor", &spec->rope.low_freq_factor, error)
          || !require_double (spec, rope, "high_freq_factor", &spec->rope.high_freq_factor, error)
          || !require_double (spec, rope, "original_max_position_embeddings", &original, error))
        return FALSE;
      spec->rope.original_max_positions = (gint64)original;
      if (!(spec->rope.low_freq_factor > 0)
          || !(spec->rope.high_freq_factor > spec->rope.low_freq_factor))
        return llama_config_error (error, spec->source,
                                   "rope_scaling.low_freq_factor must be positive and below "
                                   "rope_scaling.high_freq_factor");
      return TRUE;
    }
  if (g_str_equal (type, "longrope") || g_str_equal (type, "su"))
    {
      double original = 0;
      spec->rope.type = OXP_ROPE_LONGROPE;
      /* Phi-3 keeps the pretrained length beside the extended one and
       * derives the factor from them (_compute_longrope_parameters). */
      if (member_double (config, "original_max_position_embeddings", &original))
        spec->rope.factor = original > 0 ? (double)max_positions / original : 1.0;
      else
        {
          original = (double)max_positions;
          if (!member_double (rope, "factor", &spec->rope.factor))
            spec->rope.factor = 1.0;
        }
      spec->rope.original_max_positions = (gint64)original;
      spec->rope.max_positions = max_positions;
      if (!member_double (rope, "attention_factor", &spec->rope.attention_factor))
        spec->rope.attention_factor = 0;
      if (spec->rope.original_max_positions <= 0)
        return llama_config_error (error, spec->source,
                                   "rope_scaling.type “%s” needs max_position_embeddings", type);
      if ((spec->short_factor = read_factors (spec, rope, "short_factor", error)) == NULL
          || (spec->long_factor = read_factors (spec, rope, "long_factor", error)) == NULL)
        return FALSE;
      spec->rope.short_factor = spec->short_factor;
      spec->rope.long_factor = spec->long_factor;
      return TRUE;
    }
  return llama_config_error (error, spec->source,
                             "rope_scaling.%s “%s” is not supported (known: default, linear, "
                             "dynamic, llama3, longrope, su)",
                             type_key, type);
}

void
_oxp_llama_spec_clear (OxpLlamaSpec *spec)
{
  g_clear_pointer (&spec->short_factor, g_free);
  g_clear_pointer (&spec->long_factor, g_free);
}

gboolean
_oxp_llama_spec_init (OxpLlamaSpec *spec, OxpNormalizedConfig *nc, const char *task,
                      const char *source, GError **error)
{
  const char *model_type = oxp_normalized_config_get_model_type (nc);
  JsonObject *config = oxp_normalized_config_get_config (nc);
  const OxpLlamaVariant *v = NULL;
  g_auto (GStrv) act_keys = NULL;
  double partial;

  memset (spec, 0, sizeof *spec);
  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    if (g_strcmp0 (variants[i].model_type, model_type) == 0)
      v = &variants[i];
  if (v == NULL)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "the llama plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }
  spec->variant = v;
  spec->task = task;
  spec->source = source ? source : oxp_normalized_config_get_source (nc);

  if (!oxp_normalized_config_get_int (nc, "vocab_size", &spec->vocab_size, error)
      || !oxp_normalized_config_get_int (nc, "hidden_size", &spec->hidden_size, error)
      || !oxp_normalized_config_get_int (nc, "num_layers", &spec->num_layers, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &spec->num_heads, error)
      || !oxp_normalized_config_get_int (nc, "num_key_value_heads", &spec->num_kv_heads, error)
      || !oxp_normalized_config_get_int (nc, "intermediate_size", &spec->intermediate_size, error)
      || !oxp_normalized_config_get_int (nc, "num_labels", &spec->num_labels, error))
    return FALSE;
  if (spec->num_heads <= 0 || spec->num_kv_heads <= 0 || spec->num_heads % spec->num_kv_heads != 0)
    return llama_config_error (
        error, spec->source,
        "num_attention_heads (%" G_GINT64_FORMAT
        ") must be a positive multiple of num_key_value_heads (%" G_GINT64_FORMAT ")",
        spec->num_heads, spec->num_kv_heads);
  /* head_dim: explicit (Gemma, Mistral) or hidden / heads. */
  if (!oxp_normalized_config_get_int (nc, "head_dim", &spec->head_dim, error))
    return FALSE;
  if (spec->head_dim <= 0 || spec->head_dim % 2 != 0)
    return llama_config_error (error, spec->source,
                               "head_dim (%" G_GINT64_FORMAT ") must be positive and even",
                               spec->head_dim);
  partial = oxp_normalized_config_get_double_or (nc, "partial_rotary_factor", 1.0);
  spec->rotary_dim = (gint64)(spec->head_dim * partial);
  if (spec->rotary_dim <= 0 || spec->rotary_dim % 2 != 0 || spec->rotary_dim > spec->head_dim)
    return llama_config_error (
        error, spec->source,
        "partial_rotary_factor %g gives a rotary dimension of %" G_GINT64_FORMAT
        ", not an even number in 2..head_dim",
        partial, spec->rotary_dim);

  spec->rms_norm_eps = oxp_normalized_config_get_double_or (nc, "rms_norm_eps", v->default_eps);
  spec->rope_theta = oxp_normalized_config_get_double_or (nc, "rope_theta", 10000.0);
  if (!read_rope_scaling (spec, config, error))
    return FALSE;

  act_keys = g_strsplit (v->act_keys, "|", -1);
  spec->hidden_act = v->default_act;
  spec->hidden_act_key = act_keys[0];
  for (guint i = 0; act_keys[i] != NULL; i++)
    {
      JsonNode *node = member (config, act_keys[i]);
      if (node != NULL && json_node_get_value_type (node) == G_TYPE_STRING)
        {
          spec->hidden_act = json_node_get_string (node);
          spec->hidden_act_key = g_intern_string (act_keys[i]);
          break;
        }
    }
  spec->hidden_act_key = g_intern_string (spec->hidden_act_key);
  if (!oxp_block_activation_is_supported (spec->hidden_act))
    return llama_config_error (error, spec->source, "unsupported activation “%s” in key “%s”",
                               spec->hidden_act, spec->hidden_act_key);

  spec->tied = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", v->tied_default);
  spec->qkv_bias = v->qkv_bias;
  if (v->attention_bias_key && oxp_normalized_config_get_boolean_or (nc, "attention_bias", FALSE))
    spec->qkv_bias = spec->o_bias = TRUE;
  spec->mlp_bias = oxp_normalized_config_get_boolean_or (nc, "mlp_bias", FALSE);
  spec->pad_token_id = oxp_normalized_config_get_int_or (nc, "pad_token_id", -1);

  if (v->window
      && (v->window_flag == NULL
          || oxp_normalized_config_get_boolean_or (nc, v->window_flag, FALSE)))
    {
      spec->sliding_window = oxp_normalized_config_get_int_or (nc, "sliding_window", 0);
      /* Qwen2: the first max_window_layers layers attend to everything. */
      if (v->window_flag != NULL)
        spec->first_window_layer = oxp_normalized_config_get_int_or (nc, "max_window_layers", 0);
    }
  return TRUE;
}

static gboolean
oxp_llama_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                   GError **error)
{
  OxpLlamaSpec spec;
  const char *path = oxp_checkpoint_get_path (checkpoint);
  g_autofree char *source = g_file_test (path, G_FILE_TEST_IS_DIR)
                                ? g_build_filename (path, "config.json", NULL)
                                : g_strdup (oxp_normalized_config_get_source (
                                    oxp_onnx_config_get_normalized_config (self)));
  gboolean ok;

  ok = _oxp_llama_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                             oxp_onnx_config_get_task (self), source, error);
  ok = ok && _oxp_llama_build_graph (&spec, self, graph, checkpoint, error);
  _oxp_llama_spec_clear (&spec);
  return ok;
}

static void
oxp_llama_onnx_config_class_init (OxpLlamaOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->uses_position_ids = TRUE;
  config_class->default_opset = 14; /* optimum's LlamaOnnxConfig.DEFAULT_ONNX_OPSET */
  config_class->min_opset = 14;
  config_class->atol = 1e-4;
  config_class->build_graph = oxp_llama_onnx_config_build_graph;
}

static void
oxp_llama_onnx_config_init (OxpLlamaOnnxConfig *self)
{
}

static void
oxp_gemma_onnx_config_class_init (OxpGemmaOnnxConfigClass *klass)
{
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->uses_position_ids = FALSE;
}

static void
oxp_gemma_onnx_config_init (OxpGemmaOnnxConfig *self)
{
}
