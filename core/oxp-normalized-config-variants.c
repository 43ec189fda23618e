/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The normalized config variants: text, seq2seq, vision, text-and-vision. */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

/* Text: the keys BERT-, GPT-2- and T5-style configs use for the same things. */

/**
 * OxpNormalizedTextConfig:
 *
 * optimum's NormalizedTextConfig: a view that knows the keys BERT-, GPT-2-
 * and T5-style configs use for the same things.  Its default aliases:
 * num_layers → num_hidden_layers|n_layer|num_layers, hidden_size →
 * hidden_size|n_embd|d_model, num_attention_heads →
 * num_attention_heads|n_head|num_heads, max_position_embeddings →
 * max_position_embeddings|n_positions, intermediate_size →
 * intermediate_size|n_inner|d_ff, layer_norm_eps →
 * layer_norm_eps|layer_norm_epsilon|rms_norm_eps, hidden_act →
 * hidden_act|activation_function|hidden_activation.
 */
/**
 * OxpNormalizedTextConfigClass:
 * @parent_class: the parent class
 *
 * The class of #OxpNormalizedTextConfig; derive from it for a text model
 * whose config needs a derived value the defaults cannot express.
 */
G_DEFINE_TYPE (OxpNormalizedTextConfig, oxp_normalized_text_config, OXP_TYPE_NORMALIZED_CONFIG)

static void
oxp_normalized_text_config_class_init (OxpNormalizedTextConfigClass *klass)
{
}

static void
oxp_normalized_text_config_init (OxpNormalizedTextConfig *self)
{
  oxp_normalized_config_set_aliases (
      OXP_NORMALIZED_CONFIG (self), "num_layers", "num_hidden_layers|n_layer|num_layers",
      "hidden_size", "hidden_size|n_embd|d_model", "num_attention_heads",
      "num_attention_heads|n_head|num_heads", "max_position_embeddings",
      "max_position_embeddings|n_positions", "intermediate_size", "intermediate_size|n_inner|d_ff",
      "layer_norm_eps", "layer_norm_eps|layer_norm_epsilon|rms_norm_eps", "hidden_act",
      "hidden_act|activation_function|hidden_activation", NULL);
}

/**
 * oxp_normalized_text_config_new:
 * @config: a config.json object
 *
 * Creates an #OxpNormalizedTextConfig view over @config, with the text
 * aliases set.
 *
 * Returns: (transfer full): a text view (optimum's NormalizedTextConfig)
 */
OxpNormalizedConfig *
oxp_normalized_text_config_new (JsonObject *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return g_object_new (OXP_TYPE_NORMALIZED_TEXT_CONFIG, "config", config, NULL);
}

/* Seq2seq: encoder and decoder stacks may differ in depth and heads. */

/**
 * OxpNormalizedSeq2SeqConfig:
 *
 * optimum's NormalizedSeq2SeqConfig: an #OxpNormalizedTextConfig that also
 * tells the encoder's and the decoder's sizes apart.  Its default aliases:
 * encoder_num_layers → encoder_layers|num_layers, decoder_num_layers →
 * decoder_layers|num_decoder_layers|num_layers, encoder_num_attention_heads
 * → encoder_attention_heads|num_heads, decoder_num_attention_heads →
 * decoder_attention_heads|num_heads, hidden_size → d_model|hidden_size,
 * head_dim → head_dim|d_kv, num_layers and num_attention_heads → the
 * decoder's keys, intermediate_size →
 * d_ff|decoder_ffn_dim|intermediate_size, hidden_act →
 * activation_function|feed_forward_proj|hidden_act.
 */
/**
 * OxpNormalizedSeq2SeqConfigClass:
 * @parent_class: the parent class
 *
 * The class of #OxpNormalizedSeq2SeqConfig.
 */
G_DEFINE_TYPE (OxpNormalizedSeq2SeqConfig, oxp_normalized_seq2seq_config,
               OXP_TYPE_NORMALIZED_TEXT_CONFIG)

static void
oxp_normalized_seq2seq_config_class_init (OxpNormalizedSeq2SeqConfigClass *klass)
{
}

static void
oxp_normalized_seq2seq_config_init (OxpNormalizedSeq2SeqConfig *self)
{
  oxp_normalized_config_set_aliases (
      OXP_NORMALIZED_CONFIG (self), "encoder_num_layers",
      "encoder_layers|num_layers|num_hidden_layers", "decoder_num_layers",
      "decoder_layers|num_decoder_layers|num_layers|num_hidden_layers",
      "encoder_num_attention_heads", "encoder_attention_heads|num_heads|num_attention_heads",
      "decoder_num_attention_heads", "decoder_attention_heads|num_heads|num_attention_heads",
      "num_layers", "decoder_layers|num_decoder_layers|num_layers|num_hidden_layers",
      "num_attention_heads", "decoder_attention_heads|num_heads|num_attention_heads", "hidden_size",
      "d_model|hidden_size", "head_dim", "head_dim|d_kv", "intermediate_size",
      "d_ff|decoder_ffn_dim|intermediate_size", "max_position_embeddings",
      "max_position_embeddings|n_positions|max_target_positions", "hidden_act",
      "activation_function|feed_forward_proj|hidden_act", NULL);
}

/**
 * oxp_normalized_seq2seq_config_new:
 * @config: a config.json object
 *
 * Creates an #OxpNormalizedSeq2SeqConfig view over @config, with the
 * encoder-decoder aliases set.
 *
 * Returns: (transfer full): a seq2seq view (optimum's NormalizedSeq2SeqConfig)
 */
OxpNormalizedConfig *
oxp_normalized_seq2seq_config_new (JsonObject *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return g_object_new (OXP_TYPE_NORMALIZED_SEQ2SEQ_CONFIG, "config", config, NULL);
}

/* Vision: transformer dims plus the image geometry. */

/**
 * OxpNormalizedVisionConfig:
 *
 * optimum's NormalizedVisionConfig: num_layers → num_hidden_layers, and
 * image_size, num_channels and patch_size as keys
 * (oxp_normalized_config_get_image_size() reads a number or a [height,
 * width] pair).
 */
/**
 * OxpNormalizedVisionConfigClass:
 * @parent_class: the parent class
 *
 * The class of #OxpNormalizedVisionConfig.
 */
G_DEFINE_TYPE (OxpNormalizedVisionConfig, oxp_normalized_vision_config, OXP_TYPE_NORMALIZED_CONFIG)

static void
oxp_normalized_vision_config_class_init (OxpNormalizedVisionConfigClass *klass)
{
}

static void
oxp_normalized_vision_config_init (OxpNormalizedVisionConfig *self)
{
  oxp_normalized_config_set_aliases (OXP_NORMALIZED_CONFIG (self), "num_layers",
                                     "num_hidden_layers|num_layers", "layer_norm_eps",
                                     "layer_norm_eps|layer_norm_epsilon", NULL);
}

/**
 * oxp_normalized_vision_config_new:
 * @config: a config.json object
 *
 * Creates an #OxpNormalizedVisionConfig view over @config.
 *
 * Returns: (transfer full): a vision view (optimum's NormalizedVisionConfig)
 */
OxpNormalizedConfig *
oxp_normalized_vision_config_new (JsonObject *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return g_object_new (OXP_TYPE_NORMALIZED_VISION_CONFIG, "config", config, NULL);
}

/* Text and vision (CLIP-like): two nested configs. */

/**
 * OxpNormalizedTextAndVisionConfig:
 *
 * optimum's NormalizedTextAndVisionConfig, for configs with a
 * "text_config" and a "vision_config" (CLIP): image_size, num_channels and
 * patch_size resolve in "vision_config", every other name at the top
 * level, then in "text_config", then in "vision_config"; num_layers is the
 * text tower's, vision_num_layers, vision_hidden_size and
 * vision_num_attention_heads the vision tower's.
 */
/**
 * OxpNormalizedTextAndVisionConfigClass:
 * @parent_class: the parent class
 *
 * The class of #OxpNormalizedTextAndVisionConfig.
 */
G_DEFINE_TYPE (OxpNormalizedTextAndVisionConfig, oxp_normalized_text_and_vision_config,
               OXP_TYPE_NORMALIZED_CONFIG)

static gboolean
is_vision_name (const char *name)
{
  return strcmp (name, "image_size") == 0 || strcmp (name, "num_channels") == 0
         || strcmp (name, "patch_size") == 0;
}

static JsonNode *
oxp_normalized_text_and_vision_config_lookup (OxpNormalizedConfig *self, const char *name)
{
  g_autofree char *in_text = NULL;
  g_autofree char *in_vision = NULL;
  JsonNode *node;

  /* Dotted paths are explicit: no search in the nested configs. */
  if (strchr (name, '.') == NULL)
    {
      in_text = g_strconcat ("text_config.", name, NULL);
      in_vision = g_strconcat ("vision_config.", name, NULL);
      if (is_vision_name (name))
        {
          if ((node = oxp_normalized_config_lookup (self, in_vision)) != NULL)
            return json_node_copy (node);
        }
      else
        {
          if ((node = oxp_normalized_config_lookup (self, in_text)) != NULL)
            return json_node_copy (node);
          if ((node = oxp_normalized_config_lookup (self, in_vision)) != NULL)
            return json_node_copy (node);
        }
    }
  return OXP_NORMALIZED_CONFIG_CLASS (oxp_normalized_text_and_vision_config_parent_class)
      ->lookup (self, name);
}

static void
oxp_normalized_text_and_vision_config_class_init (OxpNormalizedTextAndVisionConfigClass *klass)
{
  OXP_NORMALIZED_CONFIG_CLASS (klass)->lookup = oxp_normalized_text_and_vision_config_lookup;
}

static void
oxp_normalized_text_and_vision_config_init (OxpNormalizedTextAndVisionConfig *self)
{
  oxp_normalized_config_set_aliases (
      OXP_NORMALIZED_CONFIG (self), "num_layers",
      "text_config.num_hidden_layers|text_config.num_layers", "vision_num_layers",
      "vision_config.num_hidden_layers|vision_config.num_layers", "vision_hidden_size",
      "vision_config.hidden_size", "vision_num_attention_heads",
      "vision_config.num_attention_heads", NULL);
}

/**
 * oxp_normalized_text_and_vision_config_new:
 * @config: a config.json object with "text_config" and "vision_config"
 *
 * Creates an #OxpNormalizedTextAndVisionConfig view over @config, which looks
 * names up in its two towers.
 *
 * Returns: (transfer full): a text-and-vision view (optimum's
 *   NormalizedTextAndVisionConfig)
 */
OxpNormalizedConfig *
oxp_normalized_text_and_vision_config_new (JsonObject *config)
{
  g_return_val_if_fail (config != NULL, NULL);
  return g_object_new (OXP_TYPE_NORMALIZED_TEXT_AND_VISION_CONFIG, "config", config, NULL);
}
