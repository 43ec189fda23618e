/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The export recipe of GPT-2 (optimum's GPT2OnnxConfig, a
 * TextDecoderWithPositionIdsOnnxConfig). */

#include "config.h"

#include <string.h>

#include "oxp-gpt2-config.h"
#include "oxp-gpt2-private.h"

struct _OxpGpt2OnnxConfig
{
  OxpTextDecoderOnnxConfig parent_instance;
};

G_DEFINE_FINAL_TYPE (OxpGpt2OnnxConfig, oxp_gpt2_onnx_config, OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)

/* The config.json values every task needs, checked when the config is
 * created so that a bad value is named before anything is computed from it
 * (head_dim would otherwise just be missing). */
gboolean
_oxp_gpt2_check_config (OxpNormalizedConfig *nc, GError **error)
{
  const char *source = oxp_normalized_config_get_source (nc);
  const char *activation;
  gint64 hidden, heads;

  if (!oxp_normalized_config_get_int (nc, "hidden_size", &hidden, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &heads, error))
    return FALSE;
  if (heads <= 0 || hidden <= 0 || hidden % heads != 0)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: n_embd %" G_GINT64_FORMAT " is not a multiple of n_head %" G_GINT64_FORMAT
                   " (each head gets n_embd / n_head channels)",
                   source, hidden, heads);
      return FALSE;
    }

  activation = oxp_normalized_config_get_string_or (nc, "hidden_act", "gelu_new");
  if (!oxp_block_activation_is_supported (activation))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: unsupported activation “%s” in key “activation_function”", source,
                   activation);
      return FALSE;
    }
  return TRUE;
}

static OxpNormalizedConfig *
oxp_gpt2_onnx_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *config,
                                               GError **error)
{
  g_autoptr (OxpNormalizedConfig) nc = OXP_ONNX_CONFIG_CLASS (oxp_gpt2_onnx_config_parent_class)
                                           ->create_normalized_config (self, config, error);

  if (nc == NULL)
    return NULL;
  /* GPT2Config's own keys only (optimum: NormalizedTextConfig.with_args
   * (num_layers="n_layer", num_attention_heads="n_head")). */
  oxp_normalized_config_set_aliases (
      nc, "num_layers", "n_layer", "num_attention_heads", "n_head", "hidden_size", "n_embd",
      "max_position_embeddings", "n_positions", "intermediate_size", "n_inner", "layer_norm_eps",
      "layer_norm_epsilon", "hidden_act", "activation_function", NULL);
  if (!_oxp_gpt2_check_config (nc, error))
    return NULL;
  return g_steal_pointer (&nc);
}

/* From the config, not the graph: inside an If branch (the merged
 * decoder) the graph has no inputs of its own. */
static gboolean
declares_input (OxpOnnxConfig *config, const char *name)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);

  return oxp_tensor_spec_array_find (inputs, name) != NULL;
}

gboolean
_oxp_gpt2_spec_init (OxpGpt2Spec *spec, OxpOnnxConfig *config, GError **error)
{
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);

  memset (spec, 0, sizeof *spec);
  spec->source = oxp_normalized_config_get_source (nc);
  spec->task = oxp_onnx_config_get_task (config);
  if (!_oxp_gpt2_check_config (nc, error)
      || !oxp_normalized_config_get_int (nc, "vocab_size", &spec->vocab_size, error)
      || !oxp_normalized_config_get_int (nc, "hidden_size", &spec->hidden_size, error)
      || !oxp_normalized_config_get_int (nc, "num_layers", &spec->num_layers, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &spec->num_heads, error)
      || !oxp_normalized_config_get_int (nc, "max_position_embeddings", &spec->max_positions, error)
      || !oxp_normalized_config_get_int (nc, "num_labels", &spec->num_labels, error))
    return FALSE;
  spec->head_dim = spec->hidden_size / spec->num_heads;
  /* GPT2MLP: n_inner, or 4 · n_embd when null or absent. */
  spec->inner_size
      = oxp_normalized_config_get_int_or (nc, "intermediate_size", 4 * spec->hidden_size);
  spec->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-5);
  spec->activation = oxp_normalized_config_get_string_or (nc, "hidden_act", "gelu_new");
  spec->scale_attn_weights = oxp_normalized_config_get_boolean_or (nc, "scale_attn_weights", TRUE);
  spec->scale_attn_by_inverse_layer_idx
      = oxp_normalized_config_get_boolean_or (nc, "scale_attn_by_inverse_layer_idx", FALSE);
  spec->reorder_and_upcast_attn
      = oxp_normalized_config_get_boolean_or (nc, "reorder_and_upcast_attn", FALSE);
  spec->tie_word_embeddings
      = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", TRUE);
  spec->has_pad_token_id = oxp_normalized_config_has (nc, "pad_token_id");
  if (spec->has_pad_token_id
      && !oxp_normalized_config_get_int (nc, "pad_token_id", &spec->pad_token_id, error))
    return FALSE;
  spec->use_past = oxp_onnx_config_with_past_get_use_past (past);
  spec->past_inputs = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  spec->position_ids = declares_input (config, "position_ids");

  if (spec->inner_size <= 0 || spec->num_layers <= 0 || spec->vocab_size <= 0)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: n_layer, n_inner and vocab_size must be positive", spec->source);
      return FALSE;
    }
  /* GPT2ForSequenceClassification cannot find the last token of a batch of
   * several rows without a padding token (it raises); optimum refuses the
   * export likewise. */
  if (g_str_equal (spec->task, "text-classification") && !spec->has_pad_token_id)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY,
                   "%s: text-classification needs “pad_token_id” (the logits are taken at the "
                   "last non-padding token of each row)",
                   spec->source);
      return FALSE;
    }
  return TRUE;
}

static gboolean
oxp_gpt2_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                  GError **error)
{
  OxpGpt2Spec spec;

  if (!_oxp_gpt2_spec_init (&spec, self, error))
    return FALSE;
  return _oxp_gpt2_build_graph (&spec, graph, checkpoint, error);
}

static void
oxp_gpt2_onnx_config_class_init (OxpGpt2OnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);
  OxpTextDecoderOnnxConfigClass *decoder_class = OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass);

  decoder_class->past_before_attention_mask = TRUE;
  decoder_class->uses_position_ids = TRUE;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4;
  config_class->create_normalized_config = oxp_gpt2_onnx_config_create_normalized_config;
  config_class->build_graph = oxp_gpt2_onnx_config_build_graph;
}

static void
oxp_gpt2_onnx_config_init (OxpGpt2OnnxConfig *self)
{
}
