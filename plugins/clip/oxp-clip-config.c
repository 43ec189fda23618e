/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export recipe of CLIP (optimum's CLIPOnnxConfig): input_ids,
 * pixel_values, attention_mask → logits_per_image, logits_per_text,
 * text_embeds, image_embeds.  With the "split" property, the two files
 * transformers.js loads instead: text_model.onnx (input_ids → text_embeds,
 * last_hidden_state) and vision_model.onnx (pixel_values → image_embeds,
 * last_hidden_state), the outputs of CLIPTextModelWithProjection and
 * CLIPVisionModelWithProjection. */

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "oxp-clip-private.h"

struct _OxpClipOnnxConfig
{
  OxpTextAndVisionOnnxConfig parent_instance;

  OxpClipTower tower;
  gboolean split;
};

G_DEFINE_FINAL_TYPE (OxpClipOnnxConfig, oxp_clip_onnx_config, OXP_TYPE_TEXT_AND_VISION_ONNX_CONFIG)

enum
{
  PROP_0,
  PROP_TOWER,
  PROP_SPLIT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

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

/* One tower's sizes, with CLIPTextConfig's / CLIPVisionConfig's defaults
 * (save_pretrained leaves default values out of config.json). */
static gboolean
encoder_spec_init (OxpClipEncoderSpec *e, OxpNormalizedConfig *nc, gint64 hidden, gint64 inter,
                   gint64 layers, gint64 heads, GError **error)
{
  e->hidden_size = oxp_normalized_config_get_int_or (nc, "hidden_size", hidden);
  e->intermediate_size = oxp_normalized_config_get_int_or (nc, "intermediate_size", inter);
  e->num_layers = oxp_normalized_config_get_int_or (nc, "num_layers", layers);
  e->num_heads = oxp_normalized_config_get_int_or (nc, "num_attention_heads", heads);
  e->layer_norm_eps = oxp_normalized_config_get_double_or (nc, "layer_norm_eps", 1e-5);
  e->hidden_act = oxp_normalized_config_get_string_or (nc, "hidden_act", "quick_gelu");
  if (e->hidden_size <= 0 || e->num_heads <= 0 || e->hidden_size % e->num_heads != 0)
    return invalid (nc, error,
                    "hidden_size %" G_GINT64_FORMAT
                    " is not a multiple of num_attention_heads %" G_GINT64_FORMAT,
                    e->hidden_size, e->num_heads);
  if (!oxp_block_activation_is_supported (e->hidden_act))
    return invalid (nc, error, "unsupported activation “%s” in key “hidden_act”", e->hidden_act);
  return TRUE;
}

gboolean
_oxp_clip_spec_init (OxpClipSpec *spec, OxpNormalizedConfig *nc, const char *task, GError **error)
{
  g_autoptr (OxpNormalizedConfig) text = NULL;
  g_autoptr (OxpNormalizedConfig) vision = NULL;
  const char *model_type = oxp_normalized_config_get_model_type (nc);

  memset (spec, 0, sizeof *spec);
  if (g_strcmp0 (model_type, "clip") != 0)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "the clip plugin does not handle model type “%s”",
                   model_type ? model_type : "(none)");
      return FALSE;
    }
  spec->task = task;
  text = oxp_normalized_config_dup_sub_config (nc, "text_config", OXP_TYPE_NORMALIZED_TEXT_CONFIG,
                                               error);
  if (text == NULL)
    return FALSE;
  vision = oxp_normalized_config_dup_sub_config (nc, "vision_config",
                                                 OXP_TYPE_NORMALIZED_VISION_CONFIG, error);
  if (vision == NULL)
    return FALSE;

  spec->projection_dim = oxp_normalized_config_get_int_or (nc, "projection_dim", 512);
  if (!encoder_spec_init (&spec->text, text, 512, 2048, 12, 8, error)
      || !encoder_spec_init (&spec->vision, vision, 768, 3072, 12, 12, error))
    return FALSE;

  spec->vocab_size = oxp_normalized_config_get_int_or (text, "vocab_size", 49408);
  spec->max_positions = oxp_normalized_config_get_int_or (text, "max_position_embeddings", 77);
  /* transformers' rule: eos_token_id 2 is the legacy default of configs
   * saved before it was set right; pool at the highest id (the tokenizer's
   * end token) then, else at the first eos_token_id. */
  spec->eos_token_id = oxp_normalized_config_get_int_or (text, "eos_token_id", 2);
  if (spec->eos_token_id == 2)
    spec->eos_token_id = -1;

  spec->num_channels = oxp_normalized_config_get_int_or (vision, "num_channels", 3);
  spec->patch_size = oxp_normalized_config_get_int_or (vision, "patch_size", 32);
  spec->image_height = spec->image_width = 224;
  if (oxp_normalized_config_has (vision, "image_size")
      && !oxp_normalized_config_get_image_size (vision, &spec->image_height, &spec->image_width,
                                                error))
    return FALSE;
  if (spec->num_channels <= 0)
    return invalid (vision, error, "num_channels must be positive, not %" G_GINT64_FORMAT,
                    spec->num_channels);
  if (spec->patch_size <= 0 || spec->image_height % spec->patch_size != 0
      || spec->image_width % spec->patch_size != 0)
    return invalid (vision, error,
                    "image_size %" G_GINT64_FORMAT "×%" G_GINT64_FORMAT
                    " is not divisible by patch_size %" G_GINT64_FORMAT,
                    spec->image_height, spec->image_width, spec->patch_size);
  spec->num_patches
      = (spec->image_height / spec->patch_size) * (spec->image_width / spec->patch_size);
  return TRUE;
}

/* The spec named @name of @specs, its batch axis renamed @batch. */
static OxpTensorSpec *
take_input (GPtrArray *specs, const char *name, const char *batch)
{
  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      if (g_str_equal (oxp_tensor_spec_get_name (spec), name))
        {
          oxp_tensor_spec_set_dim_param (spec, 0, batch);
          return oxp_tensor_spec_ref (spec);
        }
    }
  g_return_val_if_reached (NULL);
}

static GPtrArray *
oxp_clip_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpClipOnnxConfig *self = OXP_CLIP_ONNX_CONFIG (config);
  g_autoptr (GPtrArray) all
      = OXP_ONNX_CONFIG_CLASS (oxp_clip_onnx_config_parent_class)->get_inputs (config);
  GPtrArray *inputs;

  if (self->tower == OXP_CLIP_TOWER_BOTH)
    return g_steal_pointer (&all);
  /* The towers alone take optimum's CLIPTextWithProjection /
   * CLIPVisionModel inputs: input_ids (the causal mask hides the right
   * padding from the pooled token) or pixel_values. */
  inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  g_ptr_array_add (
      inputs, take_input (all, self->tower == OXP_CLIP_TOWER_TEXT ? "input_ids" : "pixel_values",
                          "batch_size"));
  return inputs;
}

static OxpTensorSpec *
output (GPtrArray *outputs, const char *name, const char *dims)
{
  OxpTensorSpec *spec = oxp_tensor_spec_new (name, OXP_DATA_TYPE_FLOAT, dims);

  g_ptr_array_add (outputs, spec);
  return spec;
}

static GPtrArray *
oxp_clip_onnx_config_get_outputs (OxpOnnxConfig *config)
{
  OxpClipOnnxConfig *self = OXP_CLIP_ONNX_CONFIG (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  gint64 projection = oxp_normalized_config_get_int_or (nc, "projection_dim", 512);
  OxpTensorSpec *spec;

  switch (self->tower)
    {
    case OXP_CLIP_TOWER_TEXT:
      spec = output (outputs, "text_embeds", "batch_size,projection_dim");
      oxp_tensor_spec_set_dim_value (spec, 1, projection);
      spec = output (outputs, "last_hidden_state", "batch_size,sequence_length,hidden_size");
      oxp_tensor_spec_set_dim_value (spec, 2, oxp_onnx_config_require_int (config, "hidden_size"));
      break;
    case OXP_CLIP_TOWER_VISION:
      {
        gint64 height = 0, width = 0, patch = oxp_onnx_config_require_int (config, "patch_size");

        spec = output (outputs, "image_embeds", "batch_size,projection_dim");
        oxp_tensor_spec_set_dim_value (spec, 1, projection);
        spec = output (outputs, "last_hidden_state", "batch_size,sequence_length,hidden_size");
        if (oxp_normalized_config_get_image_size (nc, &height, &width, NULL) && patch > 0)
          oxp_tensor_spec_set_dim_value (spec, 1, (height / patch) * (width / patch) + 1);
        oxp_tensor_spec_set_dim_value (spec, 2,
                                       oxp_onnx_config_require_int (config, "vision_hidden_size"));
      }
      break;
    default:
      /* optimum: feature-extraction is the same model as zero-shot. */
      output (outputs, "logits_per_image", "image_batch_size,text_batch_size");
      output (outputs, "logits_per_text", "text_batch_size,image_batch_size");
      spec = output (outputs, "text_embeds", "text_batch_size,projection_dim");
      oxp_tensor_spec_set_dim_value (spec, 1, projection);
      spec = output (outputs, "image_embeds", "image_batch_size,projection_dim");
      oxp_tensor_spec_set_dim_value (spec, 1, projection);
      break;
    }
  return outputs;
}

static GPtrArray *
oxp_clip_onnx_config_dup_submodels (OxpOnnxConfig *config)
{
  OxpClipOnnxConfig *self = OXP_CLIP_ONNX_CONFIG (config);
  GPtrArray *models;
  OxpOnnxConfig *text, *vision;

  if (!self->split || self->tower != OXP_CLIP_TOWER_BOTH)
    return OXP_ONNX_CONFIG_CLASS (oxp_clip_onnx_config_parent_class)->dup_submodels (config);

  text = oxp_onnx_config_copy (config, "split", FALSE, "tower", OXP_CLIP_TOWER_TEXT, NULL);
  oxp_onnx_config_set_file_name (text, "text_model.onnx");
  vision = oxp_onnx_config_copy (config, "split", FALSE, "tower", OXP_CLIP_TOWER_VISION, NULL);
  oxp_onnx_config_set_file_name (vision, "vision_model.onnx");
  models = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (models, text);
  g_ptr_array_add (models, vision);
  return models;
}

static gboolean
oxp_clip_onnx_config_build_graph (OxpOnnxConfig *config, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                  GError **error)
{
  OxpClipSpec spec;

  if (!_oxp_clip_spec_init (&spec, oxp_onnx_config_get_normalized_config (config),
                            oxp_onnx_config_get_task (config), error))
    return FALSE;
  spec.tower = OXP_CLIP_ONNX_CONFIG (config)->tower;
  return _oxp_clip_build_graph (&spec, graph, checkpoint, error);
}

static void
oxp_clip_onnx_config_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OxpClipOnnxConfig *self = OXP_CLIP_ONNX_CONFIG (object);

  switch (prop_id)
    {
    case PROP_TOWER:
      g_value_set_int (value, self->tower);
      break;
    case PROP_SPLIT:
      g_value_set_boolean (value, self->split);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_clip_onnx_config_set_property (GObject *object, guint prop_id, const GValue *value,
                                   GParamSpec *pspec)
{
  OxpClipOnnxConfig *self = OXP_CLIP_ONNX_CONFIG (object);

  switch (prop_id)
    {
    case PROP_TOWER:
      self->tower = g_value_get_int (value);
      break;
    case PROP_SPLIT:
      self->split = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_clip_onnx_config_class_init (OxpClipOnnxConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  object_class->get_property = oxp_clip_onnx_config_get_property;
  object_class->set_property = oxp_clip_onnx_config_set_property;
  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4; /* optimum's TextAndVisionOnnxConfig ATOL_FOR_VALIDATION */
  config_class->get_inputs = oxp_clip_onnx_config_get_inputs;
  config_class->get_outputs = oxp_clip_onnx_config_get_outputs;
  config_class->dup_submodels = oxp_clip_onnx_config_dup_submodels;
  config_class->build_graph = oxp_clip_onnx_config_build_graph;

  /**
   * OxpClipOnnxConfig:tower:
   *
   * The part of CLIP the file holds, an #OxpClipTower.
   */
  props[PROP_TOWER]
      = g_param_spec_int ("tower", NULL, NULL, OXP_CLIP_TOWER_BOTH, OXP_CLIP_TOWER_VISION,
                          OXP_CLIP_TOWER_BOTH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * OxpClipOnnxConfig:split:
   *
   * Write text_model.onnx and vision_model.onnx (transformers.js' layout)
   * instead of model.onnx.
   */
  props[PROP_SPLIT] = g_param_spec_boolean ("split", NULL, NULL, FALSE,
                                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
oxp_clip_onnx_config_init (OxpClipOnnxConfig *self)
{
}
