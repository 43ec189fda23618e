/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipe of Whisper (optimum's WhisperOnnxConfig). */

#include "config.h"

#include <string.h>

#include "oxp-whisper-config.h"
#include "oxp-whisper-private.h"

struct _OxpWhisperOnnxConfig
{
  OxpAudioToTextOnnxConfig parent_instance;
};

G_DEFINE_FINAL_TYPE (OxpWhisperOnnxConfig, oxp_whisper_onnx_config,
                     OXP_TYPE_AUDIO_TO_TEXT_ONNX_CONFIG)

/* A size that must be there and positive. */
static gboolean
get_positive (OxpNormalizedConfig *nc, const char *key, gint64 *out, GError **error)
{
  return oxp_normalized_config_get_int (nc, key, out, error)
         && oxp_normalized_config_require_positive (nc, key, *out, error);
}

/* The attention splits d_model evenly into heads (WhisperAttention raises otherwise). */
static gboolean
check_heads (OxpNormalizedConfig *nc, const char *key, gint64 d_model, gint64 heads, GError **error)
{
  if (d_model % heads == 0)
    return TRUE;
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
               "%s: d_model %" G_GINT64_FORMAT " is not a multiple of %s %" G_GINT64_FORMAT,
               oxp_normalized_config_get_source (nc), d_model, key, heads);
  return FALSE;
}

gboolean
_oxp_whisper_spec_init (OxpWhisperSpec *spec, OxpNormalizedConfig *nc, GError **error)
{
  memset (spec, 0, sizeof *spec);
  /* config.json's own keys: the encoder and decoder sizes may differ. */
  if (!get_positive (nc, "vocab_size", &spec->vocab_size, error)
      || !get_positive (nc, "d_model", &spec->d_model, error)
      || !get_positive (nc, "num_mel_bins", &spec->num_mel_bins, error)
      || !get_positive (nc, "encoder_layers", &spec->encoder_layers, error)
      || !get_positive (nc, "decoder_layers", &spec->decoder_layers, error)
      || !get_positive (nc, "encoder_attention_heads", &spec->encoder_heads, error)
      || !get_positive (nc, "decoder_attention_heads", &spec->decoder_heads, error)
      || !get_positive (nc, "encoder_ffn_dim", &spec->encoder_ffn_dim, error)
      || !get_positive (nc, "decoder_ffn_dim", &spec->decoder_ffn_dim, error)
      || !get_positive (nc, "max_source_positions", &spec->max_source_positions, error)
      || !get_positive (nc, "max_target_positions", &spec->max_target_positions, error))
    return FALSE;
  if (!check_heads (nc, "encoder_attention_heads", spec->d_model, spec->encoder_heads, error)
      || !check_heads (nc, "decoder_attention_heads", spec->d_model, spec->decoder_heads, error))
    return FALSE;
  spec->act = oxp_normalized_config_get_string_or (nc, "activation_function", "gelu");
  if (!oxp_block_activation_is_supported (spec->act))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: unsupported activation “%s” in key “activation_function”",
                   oxp_normalized_config_get_source (nc), spec->act);
      return FALSE;
    }
  spec->tied = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", TRUE);
  return TRUE;
}

/* The config is checked here, before the core asks it for cache shapes
 * (head_dim), so that a bad value is reported as itself. */
static OxpNormalizedConfig *
oxp_whisper_onnx_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *config,
                                                  GError **error)
{
  g_autoptr (OxpNormalizedConfig) nc = OXP_ONNX_CONFIG_CLASS (oxp_whisper_onnx_config_parent_class)
                                           ->create_normalized_config (self, config, error);
  OxpWhisperSpec spec;

  if (nc == NULL || !_oxp_whisper_spec_init (&spec, nc, error))
    return NULL;
  return g_steal_pointer (&nc);
}

static gboolean
oxp_whisper_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph,
                                     OxpCheckpoint *checkpoint, GError **error)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (self);
  OxpWhisperSpec spec;

  if (!_oxp_whisper_spec_init (&spec, oxp_onnx_config_get_normalized_config (self), error))
    return FALSE;
  return _oxp_whisper_build_graph (
      &spec,
      oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self)),
      inputs, graph, checkpoint, error);
}

static void
oxp_whisper_onnx_config_class_init (OxpWhisperOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  /* conv2 has stride 2: the encoder returns half as many frames. */
  OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST_CLASS (klass)->encoder_length_divisor = 2;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-3; /* optimum's WhisperOnnxConfig.ATOL_FOR_VALIDATION */
  config_class->create_normalized_config = oxp_whisper_onnx_config_create_normalized_config;
  config_class->build_graph = oxp_whisper_onnx_config_build_graph;
}

static void
oxp_whisper_onnx_config_init (OxpWhisperOnnxConfig *self)
{
}
