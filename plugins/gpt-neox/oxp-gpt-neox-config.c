/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipes of GPT-NeoX and OPT (optimum's GPTNeoXOnnxConfig and
 * OPTOnnxConfig: text decoders with position_ids). */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "oxp-gpt-neox-config.h"
#include "oxp-gpt-neox-private.h"

struct _OxpOptOnnxConfig
{
  OxpGptNeoxOnnxConfig parent_instance;
};

G_DEFINE_TYPE (OxpGptNeoxOnnxConfig, oxp_gpt_neox_onnx_config, OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)
G_DEFINE_FINAL_TYPE (OxpOptOnnxConfig, oxp_opt_onnx_config, OXP_TYPE_GPT_NEOX_ONNX_CONFIG)

static const struct
{
  const char *model_type;
  OxpGptNeoxKind kind;
  const char *act_key;
  const char *default_act;
} variants[] = {
  { "gpt_neox", OXP_GPT_NEOX_KIND_GPT_NEOX, "hidden_act", "gelu" },
  { "opt", OXP_GPT_NEOX_KIND_OPT, "activation_function", "relu" },
};

static gboolean G_GNUC_PRINTF (3, 4)
    refuse (GError **error, const OxpGptNeoxSpec *spec, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED, "%s: %s", spec->source, what);
  return FALSE;
}

/* GPT-NeoX's rotary settings, under the names transformers has read them
 * by: rotary_pct / rotary_emb_base (every version), rope_parameters (v5). */
static gboolean
gpt_neox_rotary (OxpGptNeoxSpec *spec, OxpNormalizedConfig *nc, GError **error)
{
  const char *rope_type;
  double pct;

  rope_type = oxp_normalized_config_get_string_or (nc, "rope_scaling_type", "default");
  if (g_str_equal (rope_type, "linear") || g_str_equal (rope_type, "dynamic"))
    {
      spec->rope_scaling.type
          = g_str_equal (rope_type, "linear") ? OXP_ROPE_LINEAR : OXP_ROPE_DYNAMIC;
      spec->rope_scaling.factor
          = oxp_normalized_config_get_double_or (nc, "rope_scaling_factor", 0.0);
      spec->rope_scaling.max_positions = spec->max_positions;
      if (spec->rope_scaling.factor <= 0.0)
        return refuse (error, spec, "rope_scaling of type “%s” has no positive “factor”",
                       rope_type);
    }
  else if (!g_str_equal (rope_type, "default"))
    return refuse (error, spec,
                   "rope_scaling type “%s” is not supported (only “linear” and “dynamic”)",
                   rope_type);

  pct = oxp_normalized_config_get_double_or (nc, "rotary_fraction", 0.25);
  spec->rope_theta = oxp_normalized_config_get_double_or (nc, "rotary_base", 10000.0);
  if (pct < 0.0 || pct > 1.0)
    return refuse (error, spec, "rotary_pct %g is not between 0 and 1", pct);
  /* transformers: int(head_size * rotary_pct). */
  spec->rotary_dim = (gint64)(spec->head_dim * pct);
  if (spec->rotary_dim % 2 != 0)
    return refuse (error, spec,
                   "rotary_pct %g gives %" G_GINT64_FORMAT
                   " rotary channels per head, an odd number rotate_half cannot split",
                   pct, spec->rotary_dim);
  return TRUE;
}

static gboolean
opt_settings (OxpGptNeoxSpec *spec, OxpNormalizedConfig *nc, GError **error)
{
  gboolean before = oxp_normalized_config_get_boolean_or (nc, "do_layer_norm_before", TRUE);

  if (!oxp_normalized_config_get_boolean_or (nc, "layer_norm_elementwise_affine", TRUE))
    return refuse (error, spec,
                   "“layer_norm_elementwise_affine”: false is not supported (LayerNorm without "
                   "weights)");
  spec->residual = before ? OXP_GPT_NEOX_RESIDUAL_PRE_LN : OXP_GPT_NEOX_RESIDUAL_POST_LN;
  /* _remove_final_layer_norm: checkpoints fine-tuned before transformers 4.20.1. */
  spec->final_layer_norm
      = before && !oxp_normalized_config_get_boolean_or (nc, "_remove_final_layer_norm", FALSE);
  spec->enable_bias = oxp_normalized_config_get_boolean_or (nc, "enable_bias", TRUE);
  spec->tie_word_embeddings
      = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", TRUE);
  spec->layer_norm_eps = 1e-5; /* nn.LayerNorm's default; OPT has no eps key */
  spec->embed_dim = oxp_normalized_config_get_int_or (nc, "word_embed_proj_dim", spec->hidden_size);
  if (spec->embed_dim <= 0)
    return refuse (error, spec, "word_embed_proj_dim %" G_GINT64_FORMAT " is not positive",
                   spec->embed_dim);
  return TRUE;
}

gboolean
_oxp_gpt_neox_spec_init (OxpGptNeoxSpec *spec, OxpNormalizedConfig *nc, const char *task,
                         GError **error)
{
  const char *model_type = oxp_normalized_config_get_model_type (nc);
  gsize v;

  memset (spec, 0, sizeof *spec);
  spec->source = oxp_normalized_config_get_source (nc);
  for (v = 0; v < G_N_ELEMENTS (variants); v++)
    if (g_strcmp0 (variants[v].model_type, model_type) == 0)
      break;
  if (v == G_N_ELEMENTS (variants))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "the gpt-neox plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }
  spec->kind = variants[v].kind;
  spec->model_type = variants[v].model_type;
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
                   "%s: hidden_size %" G_GINT64_FORMAT
                   " is not a multiple of num_attention_heads %" G_GINT64_FORMAT,
                   spec->source, spec->hidden_size, spec->num_heads);
      return FALSE;
    }
  spec->head_dim = spec->hidden_size / spec->num_heads;
  spec->embed_dim = spec->hidden_size;
  spec->pad_token_id = oxp_normalized_config_get_int_or (nc, "pad_token_id", -1);

  spec->act_key = variants[v].act_key;
  spec->act = oxp_normalized_config_get_string_or (nc, spec->act_key, variants[v].default_act);
  if (!oxp_block_activation_is_supported (spec->act))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "%s: unsupported activation “%s” in key “%s”", spec->source, spec->act,
                   spec->act_key);
      return FALSE;
    }

  if (spec->kind == OXP_GPT_NEOX_KIND_OPT)
    return opt_settings (spec, nc, error);

  spec->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-5);
  spec->residual = oxp_normalized_config_get_boolean_or (nc, "use_parallel_residual", TRUE)
                       ? OXP_GPT_NEOX_RESIDUAL_PARALLEL
                       : OXP_GPT_NEOX_RESIDUAL_PRE_LN;
  spec->attention_bias = oxp_normalized_config_get_boolean_or (nc, "attention_bias", TRUE);
  spec->tie_word_embeddings
      = oxp_normalized_config_get_boolean_or (nc, "tie_word_embeddings", FALSE);
  spec->final_layer_norm = TRUE;
  return gpt_neox_rotary (spec, nc, error);
}

static OxpNormalizedConfig *
oxp_gpt_neox_onnx_config_create_normalized_config (OxpOnnxConfig *self, JsonObject *config,
                                                   GError **error)
{
  g_autoptr (OxpNormalizedConfig) nc = OXP_ONNX_CONFIG_CLASS (oxp_gpt_neox_onnx_config_parent_class)
                                           ->create_normalized_config (self, config, error);
  OxpGptNeoxSpec spec;

  if (nc == NULL)
    return NULL;
  if (g_strcmp0 (oxp_normalized_config_get_model_type (nc), "opt") == 0)
    oxp_normalized_config_set_alias (nc, "intermediate_size", "ffn_dim");
  else
    /* The names transformers has read GPT-NeoX's rotary settings by:
     * rotary_pct, rotary_emb_base and rope_scaling until v5, then
     * rope_parameters. */
    oxp_normalized_config_set_aliases (
        nc, "rotary_fraction",
        "rotary_pct|partial_rotary_factor|rope_parameters.partial_rotary_factor", "rotary_base",
        "rotary_emb_base|rope_theta|rope_parameters.rope_theta", "rope_scaling_type",
        "rope_scaling.rope_type|rope_scaling.type|rope_parameters.rope_type|rope_parameters.type",
        "rope_scaling_factor", "rope_scaling.factor|rope_parameters.factor", NULL);
  /* Refuse a bad config.json before the inputs are derived from it (a
   * head_dim that does not divide would otherwise be a missing key). */
  if (!_oxp_gpt_neox_spec_init (&spec, nc, "text-generation", error))
    return NULL;
  return g_steal_pointer (&nc);
}

static gboolean
oxp_gpt_neox_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph,
                                      OxpCheckpoint *checkpoint, GError **error)
{
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (self);
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (self);
  OxpGptNeoxSpec spec;

  if (!_oxp_gpt_neox_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                                oxp_onnx_config_get_task (self), error))
    return FALSE;
  spec.past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  spec.present_out = oxp_onnx_config_with_past_get_use_past (past);
  spec.position_ids = oxp_tensor_spec_array_find (inputs, "position_ids") != NULL;
  return _oxp_gpt_neox_build_graph (&spec, graph, checkpoint, error);
}

static void
oxp_gpt_neox_onnx_config_class_init (OxpGptNeoxOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);
  OxpTextDecoderOnnxConfigClass *decoder_class = OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass);

  decoder_class->uses_position_ids = TRUE;
  decoder_class->past_before_attention_mask = FALSE;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4;
  config_class->create_normalized_config = oxp_gpt_neox_onnx_config_create_normalized_config;
  config_class->build_graph = oxp_gpt_neox_onnx_config_build_graph;
}

static void
oxp_gpt_neox_onnx_config_init (OxpGptNeoxOnnxConfig *self)
{
}

/* OPTModel's last_hidden_state comes out of project_out: word_embed_proj_dim
 * wide, not hidden_size. */
static GPtrArray *
oxp_opt_onnx_config_get_outputs (OxpOnnxConfig *self)
{
  GPtrArray *outputs = OXP_ONNX_CONFIG_CLASS (oxp_opt_onnx_config_parent_class)->get_outputs (self);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (self);
  gint64 embed_dim = oxp_normalized_config_get_int_or (nc, "word_embed_proj_dim", -1);

  if (outputs == NULL || embed_dim <= 0)
    return outputs;
  for (guint i = 0; i < outputs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (outputs, i);
      if (g_str_equal (oxp_tensor_spec_get_name (spec), "last_hidden_state")
          && oxp_tensor_spec_get_rank (spec) == 3)
        oxp_tensor_spec_set_dim_value (spec, 2, embed_dim);
    }
  return outputs;
}

static void
oxp_opt_onnx_config_class_init (OxpOptOnnxConfigClass *klass)
{
  /* OPTForCausalLM.forward takes position_ids after past_key_values. */
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->position_ids_after_past = TRUE;
  OXP_ONNX_CONFIG_CLASS (klass)->get_outputs = oxp_opt_onnx_config_get_outputs;
}

static void
oxp_opt_onnx_config_init (OxpOptOnnxConfig *self)
{
}
