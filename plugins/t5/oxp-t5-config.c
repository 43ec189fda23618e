/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipe of the T5 family (optimum's T5OnnxConfig; MT5 shares it). */

#include "config.h"

#include <string.h>

#include "oxp-t5-config.h"
#include "oxp-t5-private.h"

struct _OxpT5OnnxConfig
{
  OxpTextSeq2SeqOnnxConfig parent_instance;
};

G_DEFINE_FINAL_TYPE (OxpT5OnnxConfig, oxp_t5_onnx_config, OXP_TYPE_TEXT_SEQ2SEQ_ONNX_CONFIG)

/* T5Config and MT5Config defaults that differ. */
static const struct
{
  const char *model_type;
  gboolean default_tied;
  const char *default_ffn;
} variants[] = {
  { "t5", TRUE, "relu" },
  { "mt5", FALSE, "gated-gelu" },
};

/* T5Config's parsing of feed_forward_proj: "ACT" or "gated-ACT", where
 * "gated-gelu" means the tanh GELU for backwards compatibility. */
static gboolean
parse_feed_forward_proj (OxpT5Spec *spec, OxpNormalizedConfig *nc, const char *value,
                         GError **error)
{
  g_auto (GStrv) parts = g_strsplit (value, "-", -1);
  guint n = g_strv_length (parts);

  spec->gated = n == 2 && strcmp (parts[0], "gated") == 0;
  if (n == 0 || n > 2 || (n == 2 && !spec->gated) || *parts[n - 1] == '\0')
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: feed_forward_proj “%s” is not of the form “ACT” or “gated-ACT”",
                   oxp_normalized_config_get_source (nc), value);
      return FALSE;
    }
  spec->act = g_intern_string (parts[n - 1]);
  if (spec->gated && strcmp (spec->act, "gelu") == 0)
    spec->act = "gelu_new";
  if (!oxp_block_activation_is_supported (spec->act))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: unsupported activation “%s” in key “feed_forward_proj” (“%s”)",
                   oxp_normalized_config_get_source (nc), spec->act, value);
      return FALSE;
    }
  return TRUE;
}

gboolean
_oxp_t5_spec_init (OxpT5Spec *spec, OxpNormalizedConfig *nc, const char *task, GError **error)
{
  const char *model_type = oxp_normalized_config_get_model_type (nc);
  gsize v;

  memset (spec, 0, sizeof *spec);
  for (v = 0; v < G_N_ELEMENTS (variants); v++)
    if (g_strcmp0 (variants[v].model_type, model_type) == 0)
      break;
  if (v == G_N_ELEMENTS (variants))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "the t5 plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }
  spec->model_type = variants[v].model_type;
  spec->task = task;

  if (!oxp_normalized_config_get_int (nc, "vocab_size", &spec->vocab_size, error)
      || !oxp_normalized_config_get_int (nc, "hidden_size", &spec->d_model, error)
      || !oxp_normalized_config_get_int (nc, "head_dim", &spec->d_kv, error)
      || !oxp_normalized_config_get_int (nc, "intermediate_size", &spec->d_ff, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &spec->num_heads, error)
      || !oxp_normalized_config_get_int (nc, "encoder_num_layers", &spec->num_layers, error)
      || !oxp_normalized_config_get_int (nc, "decoder_num_layers", &spec->num_decoder_layers,
                                         error))
    return FALSE;
  spec->num_buckets = oxp_normalized_config_get_int_or (nc, "relative_attention_num_buckets", 32);
  spec->max_distance
      = oxp_normalized_config_get_int_or (nc, "relative_attention_max_distance", 128);
  /* T5's attention needs no d_model = num_heads · d_kv (t5-11b has 1024 vs
   * 128 · 128): the projections map d_model to num_heads · d_kv, and their
   * shapes are checked against the checkpoint. */
  if (!oxp_normalized_config_require_positive (nc, "vocab_size", spec->vocab_size, error)
      || !oxp_normalized_config_require_positive (nc, "d_model", spec->d_model, error)
      || !oxp_normalized_config_require_positive (nc, "d_kv", spec->d_kv, error)
      || !oxp_normalized_config_require_positive (nc, "d_ff", spec->d_ff, error)
      || !oxp_normalized_config_require_positive (nc, "num_heads", spec->num_heads, error)
      || !oxp_normalized_config_require_positive (nc, "num_layers", spec->num_layers, error)
      || !oxp_normalized_config_require_positive (nc, "num_decoder_layers",
                                                  spec->num_decoder_layers, error)
      || !oxp_normalized_config_require_positive (nc, "relative_attention_num_buckets",
                                                  spec->num_buckets, error)
      || !oxp_normalized_config_require_positive (nc, "relative_attention_max_distance",
                                                  spec->max_distance, error))
    return FALSE;
  /* The encoder's bidirectional buckets split the count in two halves,
   * each with an exact and a logarithmic part. */
  if (spec->num_buckets < 4)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: relative_attention_num_buckets is %" G_GINT64_FORMAT
                   ", expected at least 4",
                   oxp_normalized_config_get_source (nc), spec->num_buckets);
      return FALSE;
    }
  spec->eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-6);
  spec->tied
      = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", variants[v].default_tied);
  return parse_feed_forward_proj (
      spec, nc,
      oxp_normalized_config_get_string_or (nc, "feed_forward_proj", variants[v].default_ffn),
      error);
}

/* A T5EncoderModel checkpoint has no decoder: feature-extraction exports
 * the encoder alone, as model.onnx. */
static gboolean
is_encoder_model (OxpOnnxConfig *config)
{
  JsonObject *json
      = oxp_normalized_config_get_config (oxp_onnx_config_get_normalized_config (config));
  JsonArray *archs;

  if (g_strcmp0 (oxp_onnx_config_get_task (config), "feature-extraction") != 0 || json == NULL
      || !json_object_has_member (json, "architectures")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json, "architectures")))
    return FALSE;
  archs = json_object_get_array_member (json, "architectures");
  for (guint i = 0; i < json_array_get_length (archs); i++)
    {
      JsonNode *node = json_array_get_element (archs, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
          && g_str_has_suffix (json_node_get_string (node), "EncoderModel"))
        return TRUE;
    }
  return FALSE;
}

static GPtrArray *
oxp_t5_onnx_config_dup_submodels (OxpOnnxConfig *config)
{
  OxpOnnxSeq2SeqConfigWithPast *self = OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config);

  if (oxp_onnx_seq2seq_config_with_past_get_behavior (self) == OXP_CONFIG_BEHAVIOR_MONOLITH
      && is_encoder_model (config))
    {
      GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr (OxpOnnxConfig) encoder = oxp_onnx_seq2seq_config_with_past_with_behavior (
          self, OXP_CONFIG_BEHAVIOR_ENCODER, FALSE, FALSE);

      g_ptr_array_add (models, oxp_onnx_config_copy (encoder, "file-name", "model.onnx", NULL));
      return models;
    }
  return OXP_ONNX_CONFIG_CLASS (oxp_t5_onnx_config_parent_class)->dup_submodels (config);
}

static gboolean
oxp_t5_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                GError **error)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (self);
  OxpT5Spec spec;

  if (!_oxp_t5_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                          oxp_onnx_config_get_task (self), error))
    return FALSE;
  return _oxp_t5_build_graph (
      &spec,
      oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self)),
      inputs, graph, checkpoint, error);
}

static void
oxp_t5_onnx_config_class_init (OxpT5OnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  OXP_TEXT_SEQ2SEQ_ONNX_CONFIG_CLASS (klass)->encoder_hidden_states_with_past = TRUE;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4; /* optimum's T5OnnxConfig.ATOL_FOR_VALIDATION */
  config_class->dup_submodels = oxp_t5_onnx_config_dup_submodels;
  config_class->build_graph = oxp_t5_onnx_config_build_graph;
}

static void
oxp_t5_onnx_config_init (OxpT5OnnxConfig *self)
{
}
