/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipe of the BART family (optimum's BartOnnxConfig; MBart and
 * Marian share its inputs, outputs and files). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-bart-config.h"
#include "oxp-bart-private.h"

struct _OxpBartOnnxConfig
{
  OxpTextSeq2SeqOnnxConfig parent_instance;
};

G_DEFINE_FINAL_TYPE (OxpBartOnnxConfig, oxp_bart_onnx_config, OXP_TYPE_TEXT_SEQ2SEQ_ONNX_CONFIG)

/* modeling_bart.py, modeling_mbart.py, modeling_marian.py. */
static const OxpBartVariant variants[] = {
  /* Post-norm layers, LayerNorm on the embeddings, learned positions. */
  { "bart", FALSE, TRUE, OXP_BART_POSITIONS_LEARNED },
  /* Pre-norm layers with a final LayerNorm per stack. */
  { "mbart", TRUE, TRUE, OXP_BART_POSITIONS_LEARNED },
  /* Post-norm, no embedding LayerNorm, positions not in the checkpoint. */
  { "marian", FALSE, FALSE, OXP_BART_POSITIONS_SINUSOIDAL },
};

/* BartAttention refuses an embed_dim its heads do not divide. */
static gboolean
require_heads_divide (OxpNormalizedConfig *nc, const char *key, gint64 heads, gint64 d_model,
                      GError **error)
{
  if (d_model % heads == 0)
    return TRUE;
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
               "%s: d_model %" G_GINT64_FORMAT " is not a multiple of %s %" G_GINT64_FORMAT,
               oxp_normalized_config_get_source (nc), d_model, key, heads);
  return FALSE;
}

gboolean
_oxp_bart_spec_init (OxpBartSpec *spec, OxpNormalizedConfig *nc, const char *task, GError **error)
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
                   "the bart plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }
  spec->variant = &variants[v];
  spec->task = task;

  if (!oxp_normalized_config_get_int (nc, "vocab_size", &spec->vocab_size, error)
      || !oxp_normalized_config_get_int (nc, "d_model", &spec->d_model, error)
      || !oxp_normalized_config_get_int (nc, "encoder_layers", &spec->encoder_layers, error)
      || !oxp_normalized_config_get_int (nc, "decoder_layers", &spec->decoder_layers, error)
      || !oxp_normalized_config_get_int (nc, "encoder_attention_heads", &spec->encoder_heads, error)
      || !oxp_normalized_config_get_int (nc, "decoder_attention_heads", &spec->decoder_heads, error)
      || !oxp_normalized_config_get_int (nc, "encoder_ffn_dim", &spec->encoder_ffn_dim, error)
      || !oxp_normalized_config_get_int (nc, "decoder_ffn_dim", &spec->decoder_ffn_dim, error)
      || !oxp_normalized_config_get_int (nc, "max_position_embeddings", &spec->max_positions,
                                         error))
    return FALSE;
  /* MarianConfig: decoder_vocab_size, null or absent, is vocab_size. */
  spec->decoder_vocab_size
      = oxp_normalized_config_get_int_or (nc, "decoder_vocab_size", spec->vocab_size);
  if (!oxp_normalized_config_require_positive (nc, "vocab_size", spec->vocab_size, error)
      || !oxp_normalized_config_require_positive (nc, "decoder_vocab_size",
                                                  spec->decoder_vocab_size, error)
      || !oxp_normalized_config_require_positive (nc, "d_model", spec->d_model, error)
      || !oxp_normalized_config_require_positive (nc, "encoder_layers", spec->encoder_layers, error)
      || !oxp_normalized_config_require_positive (nc, "decoder_layers", spec->decoder_layers, error)
      || !oxp_normalized_config_require_positive (nc, "encoder_attention_heads",
                                                  spec->encoder_heads, error)
      || !oxp_normalized_config_require_positive (nc, "decoder_attention_heads",
                                                  spec->decoder_heads, error)
      || !oxp_normalized_config_require_positive (nc, "encoder_ffn_dim", spec->encoder_ffn_dim,
                                                  error)
      || !oxp_normalized_config_require_positive (nc, "decoder_ffn_dim", spec->decoder_ffn_dim,
                                                  error)
      || !oxp_normalized_config_require_positive (nc, "max_position_embeddings",
                                                  spec->max_positions, error)
      || !require_heads_divide (nc, "encoder_attention_heads", spec->encoder_heads, spec->d_model,
                                error)
      || !require_heads_divide (nc, "decoder_attention_heads", spec->decoder_heads, spec->d_model,
                                error))
    return FALSE;

  spec->embed_scale = oxp_normalized_config_get_boolean_or (nc, "scale_embedding", FALSE)
                          ? sqrt ((double)spec->d_model)
                          : 1.0;
  spec->tied = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", TRUE);
  spec->act
      = g_intern_string (oxp_normalized_config_get_string_or (nc, "activation_function", "gelu"));
  if (!oxp_block_activation_is_supported (spec->act))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: unsupported activation “%s” in key “activation_function”",
                   oxp_normalized_config_get_source (nc), spec->act);
      return FALSE;
    }
  return TRUE;
}

/* The checks run as soon as the config exists: a d_model the decoder heads
 * do not divide would otherwise surface as a missing head_dim. */
static OxpNormalizedConfig *
oxp_bart_onnx_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *json,
                                               GError **error)
{
  g_autoptr (OxpNormalizedConfig) nc = OXP_ONNX_CONFIG_CLASS (oxp_bart_onnx_config_parent_class)
                                           ->create_normalized_config (self, json, error);
  OxpBartSpec spec;

  if (nc == NULL || !_oxp_bart_spec_init (&spec, nc, oxp_onnx_config_get_task (self), error))
    return NULL;
  return g_steal_pointer (&nc);
}

static gboolean
oxp_bart_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                  GError **error)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (self);
  OxpBartSpec spec;

  if (!_oxp_bart_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                            oxp_onnx_config_get_task (self), error))
    return FALSE;
  return _oxp_bart_build_graph (
      &spec,
      oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self)),
      inputs, graph, checkpoint, error);
}

static void
oxp_bart_onnx_config_class_init (OxpBartOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  /* optimum's BartOnnxConfig: the decoder with past reads the encoder past only. */
  OXP_TEXT_SEQ2SEQ_ONNX_CONFIG_CLASS (klass)->encoder_hidden_states_with_past = FALSE;
  /* 17 has LayerNormalization; 14 (optimum's) gets the decomposed form. */
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4; /* optimum's BartOnnxConfig.ATOL_FOR_VALIDATION */
  config_class->create_normalized_config = oxp_bart_onnx_config_create_normalized_config;
  config_class->build_graph = oxp_bart_onnx_config_build_graph;
}

static void
oxp_bart_onnx_config_init (OxpBartOnnxConfig *self)
{
}
