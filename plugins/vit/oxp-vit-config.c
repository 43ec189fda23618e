/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipes of the ViT family (optimum's ViTOnnxConfig and
 * DeiTOnnxConfig): pixel_values in; last_hidden_state (feature-extraction)
 * or logits (image-classification) out. */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "oxp-vit-private.h"

typedef struct
{
  gboolean with_pooler_output;
} OxpVitOnnxConfigPrivate;

struct _OxpDeitOnnxConfig
{
  OxpVitOnnxConfig parent_instance;
};

G_DEFINE_TYPE_WITH_PRIVATE (OxpVitOnnxConfig, oxp_vit_onnx_config, OXP_TYPE_VISION_ONNX_CONFIG)
G_DEFINE_FINAL_TYPE (OxpDeitOnnxConfig, oxp_deit_onnx_config, OXP_TYPE_VIT_ONNX_CONFIG)

enum
{
  PROP_0,
  PROP_WITH_POOLER_OUTPUT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static const struct
{
  const char *model_type;
  OxpVitKind kind;
  const char *base_prefix;
  gint64 n_extra_tokens;
} variants[] = {
  { "vit", OXP_VIT_KIND_VIT, "vit", 1 },
  { "deit", OXP_VIT_KIND_DEIT, "deit", 2 },
};

static gboolean invalid (OxpNormalizedConfig *nc, GError **error, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
invalid (OxpNormalizedConfig *nc, GError **error, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list ap;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE, "%s: %s",
               oxp_normalized_config_get_source (nc), what);
  return FALSE;
}

gboolean
_oxp_vit_spec_init (OxpVitSpec *spec, OxpNormalizedConfig *nc, const char *task, GError **error)
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
                   "the vit plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }
  spec->kind = variants[v].kind;
  spec->model_type = variants[v].model_type;
  spec->base_prefix = variants[v].base_prefix;
  spec->n_extra_tokens = variants[v].n_extra_tokens;
  spec->task = task;

  if (!oxp_normalized_config_get_int (nc, "hidden_size", &spec->hidden_size, error)
      || !oxp_normalized_config_get_int (nc, "num_layers", &spec->num_layers, error)
      || !oxp_normalized_config_get_int (nc, "num_attention_heads", &spec->num_heads, error)
      || !oxp_normalized_config_get_int (nc, "intermediate_size", &spec->intermediate_size, error)
      || !oxp_normalized_config_get_int (nc, "num_labels", &spec->num_labels, error))
    return FALSE;
  if (spec->num_heads <= 0 || spec->hidden_size % spec->num_heads != 0)
    return invalid (nc, error,
                    "hidden_size %" G_GINT64_FORMAT
                    " is not a multiple of num_attention_heads %" G_GINT64_FORMAT,
                    spec->hidden_size, spec->num_heads);

  /* ViTConfig's defaults for what a config.json may leave out. */
  spec->num_channels = oxp_normalized_config_get_int_or (nc, "num_channels", 3);
  spec->patch_size = oxp_normalized_config_get_int_or (nc, "patch_size", 16);
  spec->image_height = spec->image_width = 224;
  if (oxp_normalized_config_has (nc, "image_size")
      && !oxp_normalized_config_get_image_size (nc, &spec->image_height, &spec->image_width, error))
    return FALSE;
  if (spec->num_channels <= 0)
    return invalid (nc, error, "num_channels must be positive, not %" G_GINT64_FORMAT,
                    spec->num_channels);
  if (spec->patch_size <= 0 || spec->image_height % spec->patch_size != 0
      || spec->image_width % spec->patch_size != 0)
    return invalid (nc, error,
                    "image_size %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                    " is not divisible by patch_size %" G_GINT64_FORMAT,
                    spec->image_height, spec->image_width, spec->patch_size);
  spec->num_patches
      = (spec->image_height / spec->patch_size) * (spec->image_width / spec->patch_size);

  spec->qkv_bias = oxp_normalized_config_get_boolean_or (nc, "qkv_bias", TRUE);
  spec->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-12);
  spec->hidden_act = oxp_normalized_config_get_string_or (nc, "hidden_act", "gelu");
  if (!oxp_block_activation_is_supported (spec->hidden_act))
    return invalid (nc, error, "unsupported activation “%s” in key “hidden_act”", spec->hidden_act);
  /* Newer ViTConfigs name the pooler's activation; older ones imply tanh. */
  spec->pooler_act = oxp_normalized_config_get_string_or (nc, "pooler_act", "tanh");
  if (!oxp_block_activation_is_supported (spec->pooler_act))
    return invalid (nc, error, "unsupported activation “%s” in key “pooler_act”", spec->pooler_act);
  return TRUE;
}

static GPtrArray *
oxp_vit_onnx_config_get_outputs (OxpOnnxConfig *config)
{
  OxpVitOnnxConfigPrivate *priv
      = oxp_vit_onnx_config_get_instance_private (OXP_VIT_ONNX_CONFIG (config));
  GPtrArray *outputs
      = OXP_ONNX_CONFIG_CLASS (oxp_vit_onnx_config_parent_class)->get_outputs (config);

  /* optimum writes last_hidden_state only; the pooled [CLS] (ViTModel's
   * pooler_output) comes second when asked for. */
  if (priv->with_pooler_output
      && g_strcmp0 (oxp_onnx_config_get_task (config), "feature-extraction") == 0)
    {
      OxpTensorSpec *spec = oxp_tensor_spec_new_rank ("pooler_output", OXP_DATA_TYPE_FLOAT, 2);

      oxp_tensor_spec_set_dim_param (spec, 0, "batch_size");
      oxp_tensor_spec_set_dim_value (spec, 1, oxp_onnx_config_require_int (config, "hidden_size"));
      g_ptr_array_add (outputs, spec);
    }
  return outputs;
}

static gboolean
oxp_vit_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                 GError **error)
{
  OxpVitOnnxConfigPrivate *priv
      = oxp_vit_onnx_config_get_instance_private (OXP_VIT_ONNX_CONFIG (self));
  OxpVitSpec spec;

  if (!_oxp_vit_spec_init (&spec, oxp_onnx_config_get_normalized_config (self),
                           oxp_onnx_config_get_task (self), error))
    return FALSE;
  spec.with_pooler = priv->with_pooler_output;
  return _oxp_vit_build_graph (&spec, graph, checkpoint, error);
}

static void
oxp_vit_onnx_config_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OxpVitOnnxConfigPrivate *priv
      = oxp_vit_onnx_config_get_instance_private (OXP_VIT_ONNX_CONFIG (object));

  switch (prop_id)
    {
    case PROP_WITH_POOLER_OUTPUT:
      g_value_set_boolean (value, priv->with_pooler_output);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_vit_onnx_config_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  OxpVitOnnxConfigPrivate *priv
      = oxp_vit_onnx_config_get_instance_private (OXP_VIT_ONNX_CONFIG (object));

  switch (prop_id)
    {
    case PROP_WITH_POOLER_OUTPUT:
      priv->with_pooler_output = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_vit_onnx_config_class_init (OxpVitOnnxConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  object_class->get_property = oxp_vit_onnx_config_get_property;
  object_class->set_property = oxp_vit_onnx_config_set_property;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4; /* optimum's VisionOnnxConfig ATOL_FOR_VALIDATION */
  config_class->get_outputs = oxp_vit_onnx_config_get_outputs;
  config_class->build_graph = oxp_vit_onnx_config_build_graph;

  /**
   * OxpVitOnnxConfig:with-pooler-output:
   *
   * feature-extraction also outputs pooler_output [batch_size, hidden_size]
   * (ViTModel's pooled [CLS]); optimum's export has last_hidden_state only.
   */
  props[PROP_WITH_POOLER_OUTPUT] = g_param_spec_boolean (
      "with-pooler-output", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
oxp_vit_onnx_config_init (OxpVitOnnxConfig *self)
{
}

static void
oxp_deit_onnx_config_class_init (OxpDeitOnnxConfigClass *klass)
{
  OXP_VISION_ONNX_CONFIG_CLASS (klass)->n_extra_tokens = 2;
}

static void
oxp_deit_onnx_config_init (OxpDeitOnnxConfig *self)
{
}
