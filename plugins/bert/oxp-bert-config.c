/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipes of the BERT family (optimum's BertOnnxConfig and
 * DistilBertOnnxConfig, which RoBERTa, XLM-RoBERTa and CamemBERT share). */

#include "config.h"

#include <string.h>

#include "oxp-bert-config.h"
#include "oxp-bert-private.h"

struct _OxpDistilBertOnnxConfig
{
  OxpBertOnnxConfig parent_instance;
};

G_DEFINE_TYPE (OxpBertOnnxConfig, oxp_bert_onnx_config, OXP_TYPE_TEXT_ENCODER_ONNX_CONFIG)
G_DEFINE_FINAL_TYPE (OxpDistilBertOnnxConfig, oxp_distil_bert_onnx_config,
                     OXP_TYPE_BERT_ONNX_CONFIG)

static const struct
{
  const char *model_type;
  OxpBertKind kind;
  const char *base_prefix;
  const char *default_act;
  gint64 default_pad;
} variants[] = {
  { "bert", OXP_BERT_KIND_BERT, "bert", "gelu", 0 },
  { "roberta", OXP_BERT_KIND_ROBERTA, "roberta", "gelu", 1 },
  { "xlm-roberta", OXP_BERT_KIND_ROBERTA, "roberta", "gelu", 1 },
  { "camembert", OXP_BERT_KIND_ROBERTA, "roberta", "gelu", 1 },
  { "distilbert", OXP_BERT_KIND_DISTILBERT, "distilbert", "gelu", 0 },
  { "albert", OXP_BERT_KIND_ALBERT, "albert", "gelu_new", 0 },
  { "electra", OXP_BERT_KIND_ELECTRA, "electra", "gelu", 0 },
  { "mpnet", OXP_BERT_KIND_MPNET, "mpnet", "gelu", 1 },
};

static OxpNormalizedConfig *
oxp_bert_onnx_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *config,
                                               GError **error)
{
  OxpNormalizedConfig *nc = OXP_ONNX_CONFIG_CLASS (oxp_bert_onnx_config_parent_class)
                                ->create_normalized_config (self, config, error);

  if (nc != NULL && g_strcmp0 (oxp_normalized_config_get_model_type (nc), "distilbert") == 0)
    oxp_normalized_config_set_aliases (nc, "hidden_size", "dim", "num_layers", "n_layers",
                                       "num_attention_heads", "n_heads", "intermediate_size",
                                       "hidden_dim", "hidden_act", "activation", NULL);
  return nc;
}

gboolean
_oxp_bert_spec_init (OxpBertSpec *spec, OxpNormalizedConfig *nc, const char *task, GError **error)
{
  const char *model_type = oxp_normalized_config_get_model_type (nc);
  const char *position_type;
  gsize v;

  memset (spec, 0, sizeof *spec);
  for (v = 0; v < G_N_ELEMENTS (variants); v++)
    if (g_strcmp0 (variants[v].model_type, model_type) == 0)
      break;
  if (v == G_N_ELEMENTS (variants))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "the bert plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }

  spec->kind = variants[v].kind;
  spec->model_type = variants[v].model_type;
  spec->base_prefix = variants[v].base_prefix;
  spec->task = task;

  if (!oxp_normalized_config_get_int (nc, "vocab_size", &spec->vocab_size, error)
      || !oxp_normalized_config_get_int (nc, "hidden_size", &spec->hidden_size, error)
      || !oxp_normalized_config_get_int (nc, "num_layers", &spec->num_layers, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &spec->num_heads, error)
      || !oxp_normalized_config_get_int (nc, "intermediate_size", &spec->intermediate_size, error)
      || !oxp_normalized_config_get_int (nc, "max_position_embeddings", &spec->max_positions, error)
      || !oxp_normalized_config_get_int (nc, "num_labels", &spec->num_labels, error))
    return FALSE;
  if (spec->num_heads <= 0 || spec->hidden_size % spec->num_heads != 0)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                   "%s: hidden size %" G_GINT64_FORMAT " is not a multiple of the %" G_GINT64_FORMAT
                   " attention heads",
                   oxp_normalized_config_get_source (nc), spec->hidden_size, spec->num_heads);
      return FALSE;
    }

  spec->pad_token_id
      = oxp_normalized_config_get_int_or (nc, "pad_token_id", variants[v].default_pad);
  spec->embedding_size = spec->hidden_size;
  spec->type_vocab_size = 0;
  if (spec->kind == OXP_BERT_KIND_DISTILBERT)
    spec->layer_norm_eps = 1e-12; /* fixed in modeling_distilbert.py */
  else if (spec->kind == OXP_BERT_KIND_MPNET)
    {
      /* MPNetEmbeddings has no token type table; its relative bias splits
       * the buckets in two sides and halves them again for the exact range,
       * so fewer than 4 would divide by zero in transformers. */
      spec->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-12);
      spec->relative_buckets
          = oxp_normalized_config_get_int_or (nc, "relative_attention_num_buckets", 32);
      if (spec->relative_buckets < 4)
        {
          g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                       "%s: relative_attention_num_buckets is %" G_GINT64_FORMAT
                       ", expected at least 4",
                       oxp_normalized_config_get_source (nc), spec->relative_buckets);
          return FALSE;
        }
    }
  else
    {
      spec->type_vocab_size = oxp_normalized_config_get_int_or (nc, "type_vocab_size", 2);
      spec->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-12);
    }
  if (spec->kind == OXP_BERT_KIND_ALBERT || spec->kind == OXP_BERT_KIND_ELECTRA)
    spec->embedding_size = oxp_normalized_config_get_int_or (nc, "embedding_size", 128);
  if (spec->kind == OXP_BERT_KIND_ALBERT)
    {
      spec->num_hidden_groups = oxp_normalized_config_get_int_or (nc, "num_hidden_groups", 1);
      spec->inner_group_num = oxp_normalized_config_get_int_or (nc, "inner_group_num", 1);
      if (spec->num_hidden_groups < 1 || spec->num_hidden_groups > spec->num_layers
          || spec->inner_group_num < 1)
        {
          g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                       "%s: num_hidden_groups %" G_GINT64_FORMAT
                       " and inner_group_num %" G_GINT64_FORMAT
                       " must be at least 1 (and groups at most num_hidden_layers)",
                       oxp_normalized_config_get_source (nc), spec->num_hidden_groups,
                       spec->inner_group_num);
          return FALSE;
        }
    }

  spec->hidden_act_key = spec->kind == OXP_BERT_KIND_DISTILBERT ? "activation" : "hidden_act";
  spec->hidden_act
      = oxp_normalized_config_get_string_or (nc, "hidden_act", variants[v].default_act);
  if (!oxp_block_activation_is_supported (spec->hidden_act))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: unsupported activation “%s” in key “%s”",
                   oxp_normalized_config_get_source (nc), spec->hidden_act, spec->hidden_act_key);
      return FALSE;
    }

  if (spec->kind == OXP_BERT_KIND_ELECTRA)
    {
      const char *summary_type = oxp_normalized_config_get_string_or (nc, "summary_type", "first");
      spec->summary_use_proj = oxp_normalized_config_get_boolean_or (nc, "summary_use_proj", TRUE);
      spec->summary_act = oxp_normalized_config_get_string_or (nc, "summary_activation", NULL);
      if (g_str_equal (task, "multiple-choice") && !g_str_equal (summary_type, "first"))
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                       "%s: summary_type “%s” is not supported (only “first”)",
                       oxp_normalized_config_get_source (nc), summary_type);
          return FALSE;
        }
      if (g_str_equal (task, "multiple-choice") && spec->summary_act != NULL
          && !oxp_block_activation_is_supported (spec->summary_act))
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                       "%s: unsupported activation “%s” in key “summary_activation”",
                       oxp_normalized_config_get_source (nc), spec->summary_act);
          return FALSE;
        }
    }

  position_type = oxp_normalized_config_get_string_or (nc, "position_embedding_type", "absolute");
  if (!g_str_equal (position_type, "absolute"))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: position_embedding_type “%s” is not supported (only “absolute”)",
                   oxp_normalized_config_get_source (nc), position_type);
      return FALSE;
    }
  return TRUE;
}

static gboolean
oxp_bert_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                  GError **error)
{
  OxpBertSpec spec;

  if (!_oxp_bert_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                            oxp_onnx_config_get_task (self), error))
    return FALSE;
  return _oxp_bert_build_graph (&spec, graph, checkpoint, error);
}

static void
oxp_bert_onnx_config_class_init (OxpBertOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  OXP_TEXT_ENCODER_ONNX_CONFIG_CLASS (klass)->uses_token_type_ids = TRUE;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4; /* optimum's BertOnnxConfig.ATOL_FOR_VALIDATION */
  config_class->create_normalized_config = oxp_bert_onnx_config_create_normalized_config;
  config_class->build_graph = oxp_bert_onnx_config_build_graph;
}

static void
oxp_bert_onnx_config_init (OxpBertOnnxConfig *self)
{
}

static void
oxp_distil_bert_onnx_config_class_init (OxpDistilBertOnnxConfigClass *klass)
{
  OXP_TEXT_ENCODER_ONNX_CONFIG_CLASS (klass)->uses_token_type_ids = FALSE;
}

static void
oxp_distil_bert_onnx_config_init (OxpDistilBertOnnxConfig *self)
{
}
