/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The export recipe of DeBERTa-v2 (optimum's DebertaV2OnnxConfig). */

#include "config.h"

#include <string.h>

#include "oxp-deberta-private.h"

struct _OxpDebertaV2OnnxConfig
{
  OxpTextEncoderOnnxConfig parent_instance;
};

G_DEFINE_FINAL_TYPE (OxpDebertaV2OnnxConfig, oxp_deberta_v2_onnx_config,
                     OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)

static gboolean invalid (GError **error, OxpNormalizedConfig *nc, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, OxpNormalizedConfig *nc, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE, "%s: %s",
               oxp_normalized_config_get_source (nc), message);
  return FALSE;
}

/* One pos_att_type entry; transformers also accepts "p2c|c2p" strings. */
static gboolean
add_att_type (OxpDebertaSpec *spec, OxpNormalizedConfig *nc, const char *entry, GError **error)
{
  if (g_str_equal (entry, "c2p"))
    spec->c2p = TRUE;
  else if (g_str_equal (entry, "p2c"))
    spec->p2c = TRUE;
  else
    return invalid (error, nc, "pos_att_type entry “%s” is not one of “c2p”, “p2c”", entry);
  return TRUE;
}

static gboolean
read_pos_att_type (OxpDebertaSpec *spec, OxpNormalizedConfig *nc, GError **error)
{
  JsonObject *config = oxp_normalized_config_get_config (nc);
  JsonNode *node = json_object_get_member (config, "pos_att_type");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_auto (GStrv) parts = g_strsplit (json_node_get_string (node), "|", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          g_strstrip (parts[i]);
          if (parts[i][0] != '\0' && !add_att_type (spec, nc, parts[i], error))
            return FALSE;
        }
      return TRUE;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *e = json_array_get_element (array, i);
          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
            return invalid (error, nc, "pos_att_type entry %u is not a string", i);
          if (!add_att_type (spec, nc, json_node_get_string (e), error))
            return FALSE;
        }
      return TRUE;
    }
  return invalid (error, nc, "pos_att_type must be a list of strings or a “|”-separated string");
}

gboolean
_oxp_deberta_spec_init (OxpDebertaSpec *spec, OxpNormalizedConfig *nc, const char *task,
                        GError **error)
{
  const char *norm_rel;
  gint64 conv_kernel;

  memset (spec, 0, sizeof *spec);
  spec->task = task;
  if (!oxp_normalized_config_get_int (nc, "vocab_size", &spec->vocab_size, error)
      || !oxp_normalized_config_get_int (nc, "hidden_size", &spec->hidden_size, error)
      || !oxp_normalized_config_get_int (nc, "num_layers", &spec->num_layers, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &spec->num_heads, error)
      || !oxp_normalized_config_get_int (nc, "intermediate_size", &spec->intermediate_size, error)
      || !oxp_normalized_config_get_int (nc, "num_labels", &spec->num_labels, error))
    return FALSE;
  if (spec->num_heads <= 0 || spec->hidden_size % spec->num_heads != 0)
    return invalid (error, nc,
                    "hidden size %" G_GINT64_FORMAT " is not a multiple of the %" G_GINT64_FORMAT
                    " attention heads",
                    spec->hidden_size, spec->num_heads);

  spec->max_positions = oxp_normalized_config_get_int_or (nc, "max_position_embeddings", 512);
  spec->embedding_size = oxp_normalized_config_get_int_or (nc, "embedding_size", spec->hidden_size);
  spec->type_vocab_size = oxp_normalized_config_get_int_or (nc, "type_vocab_size", 0);
  spec->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-7);
  spec->pooler_hidden_size
      = oxp_normalized_config_get_int_or (nc, "pooler_hidden_size", spec->hidden_size);
  spec->position_biased_input
      = oxp_normalized_config_get_boolean_or (nc, "position_biased_input", TRUE);
  spec->relative_attention = oxp_normalized_config_get_boolean_or (nc, "relative_attention", FALSE);
  spec->share_att_key = oxp_normalized_config_get_boolean_or (nc, "share_att_key", FALSE);
  spec->hidden_act = oxp_normalized_config_get_string_or (nc, "hidden_act", "gelu");
  spec->pooler_hidden_act = oxp_normalized_config_get_string_or (nc, "pooler_hidden_act", "gelu");
  if (!oxp_block_activation_is_supported (spec->hidden_act))
    return invalid (error, nc, "unsupported activation “%s” in key “hidden_act”", spec->hidden_act);
  if (!oxp_block_activation_is_supported (spec->pooler_hidden_act))
    return invalid (error, nc, "unsupported activation “%s” in key “pooler_hidden_act”",
                    spec->pooler_hidden_act);
  if (!read_pos_att_type (spec, nc, error))
    return FALSE;

  norm_rel = oxp_normalized_config_get_string_or (nc, "norm_rel_ebd", "none");
  spec->norm_rel_layer_norm = strstr (norm_rel, "layer_norm") != NULL;

  /* DebertaV2Encoder: max_relative_positions < 1 means max_position_embeddings;
   * the relative embedding table spans 2·att_span rows. */
  spec->position_buckets = oxp_normalized_config_get_int_or (nc, "position_buckets", -1);
  spec->max_relative = oxp_normalized_config_get_int_or (nc, "max_relative_positions", -1);
  if (spec->max_relative < 1)
    spec->max_relative = spec->max_positions;
  spec->att_span = spec->position_buckets > 0 ? spec->position_buckets : spec->max_relative;
  if (spec->relative_attention)
    {
      if (spec->att_span < 1)
        return invalid (error, nc,
                        "max_relative_positions and max_position_embeddings give no relative "
                        "span (%" G_GINT64_FORMAT ")",
                        spec->att_span);
      /* make_log_bucket_position divides by position_buckets / 2 and by
       * log((max_relative_positions - 1) / (position_buckets / 2)). */
      if (spec->position_buckets > 0
          && (spec->position_buckets < 2 || spec->max_relative - 1 <= spec->position_buckets / 2))
        return invalid (error, nc,
                        "position_buckets %" G_GINT64_FORMAT
                        " needs max_relative_positions above position_buckets / 2 + 1 "
                        "(it is %" G_GINT64_FORMAT ") and at least 2 buckets",
                        spec->position_buckets, spec->max_relative);
    }

  conv_kernel = oxp_normalized_config_get_int_or (nc, "conv_kernel_size", 0);
  if (conv_kernel > 0)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: conv_kernel_size %" G_GINT64_FORMAT
                   " (DeBERTa's ConvLayer after the first layer) is not supported",
                   oxp_normalized_config_get_source (nc), conv_kernel);
      return FALSE;
    }
  return TRUE;
}

/* optimum's DebertaV2OnnxConfig.inputs: token_type_ids only when the model
 * has a token type table. */
static GPtrArray *
oxp_deberta_v2_onnx_config_get_inputs (OxpOnnxConfig *self)
{
  GPtrArray *inputs
      = OXP_ONNX_CONFIG_CLASS (oxp_deberta_v2_onnx_config_parent_class)->get_inputs (self);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (self);

  if (oxp_normalized_config_get_int_or (nc, "type_vocab_size", 0) > 0)
    return inputs;
  for (guint i = 0; i < inputs->len; i++)
    if (g_str_equal (oxp_tensor_spec_get_name (g_ptr_array_index (inputs, i)), "token_type_ids"))
      g_ptr_array_remove_index (inputs, i--);
  return inputs;
}

static gboolean
oxp_deberta_v2_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph,
                                        OxpCheckpoint *checkpoint, GError **error)
{
  OxpDebertaSpec spec;

  if (!_oxp_deberta_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                               oxp_onnx_config_get_task (self), error))
    return FALSE;
  return _oxp_deberta_build_graph (&spec, graph, checkpoint, error);
}

static void
oxp_deberta_v2_onnx_config_class_init (OxpDebertaV2OnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  OXP_TEXT_ENCODER_ONNX_CONFIG_CLASS (klass)->uses_token_type_ids = TRUE;
  /* optimum's DebertaV2OnnxConfig.DEFAULT_ONNX_OPSET is 12; GatherElements
   * and the blocks need 13, and LayerNormalization is 17. */
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4;
  config_class->get_inputs = oxp_deberta_v2_onnx_config_get_inputs;
  config_class->build_graph = oxp_deberta_v2_onnx_config_build_graph;
}

static void
oxp_deberta_v2_onnx_config_init (OxpDebertaV2OnnxConfig *self)
{
}
