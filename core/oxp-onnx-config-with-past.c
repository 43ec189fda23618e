/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-onnx-config-private.h"

typedef struct
{
  gboolean use_past;
  gboolean use_past_in_inputs;
} OxpOnnxConfigWithPastPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OxpOnnxConfigWithPast, oxp_onnx_config_with_past,
                                     OXP_TYPE_ONNX_CONFIG)

enum
{
  PROP_0,
  PROP_USE_PAST,
  PROP_USE_PAST_IN_INPUTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/**
 * oxp_onnx_config_with_past_new_cache_spec:
 * @self: a config
 * @name: the input or output name
 * @heads_name: the normalized config name of the head count
 * @length_dim: the symbolic sequence dim
 *
 * Returns: (transfer full): the spec
 */
OxpTensorSpec *
oxp_onnx_config_with_past_new_cache_spec (OxpOnnxConfigWithPast *self, const char *name,
                                          const char *heads_name, const char *length_dim)
{
  OxpOnnxConfig *config = OXP_ONNX_CONFIG (self);
  OxpTensorSpec *spec;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self), NULL);
  g_return_val_if_fail (name != NULL && heads_name != NULL && length_dim != NULL, NULL);

  spec = oxp_tensor_spec_new_rank (name, OXP_DATA_TYPE_FLOAT, 4);
  oxp_tensor_spec_set_dim_param (spec, 0, "batch_size");
  oxp_tensor_spec_set_dim_value (spec, 1, oxp_onnx_config_require_int (config, heads_name));
  oxp_tensor_spec_set_dim_param (spec, 2, length_dim);
  oxp_tensor_spec_set_dim_value (spec, 3, oxp_onnx_config_require_int (config, "head_dim"));
  return spec;
}

static void
oxp_onnx_config_with_past_real_add_past_key_values (OxpOnnxConfigWithPast *self, GPtrArray *specs,
                                                    OxpPastDirection direction)
{
  OxpOnnxConfigWithPastPrivate *priv = oxp_onnx_config_with_past_get_instance_private (self);
  gint64 n_layers = oxp_onnx_config_require_int (OXP_ONNX_CONFIG (self), "num_layers");
  const char *prefix = direction == OXP_PAST_DIRECTION_INPUTS ? "past_key_values" : "present";
  const char *length;

  if (direction == OXP_PAST_DIRECTION_INPUTS)
    length = "past_sequence_length";
  else if (priv->use_past_in_inputs)
    length = "past_sequence_length + sequence_length";
  else
    length = "sequence_length";

  for (gint64 i = 0; i < n_layers; i++)
    {
      static const char *const leaves[] = { "key", "value" };
      for (guint l = 0; l < G_N_ELEMENTS (leaves); l++)
        {
          g_autofree char *name = oxp_onnx_config_flatten_output_name (prefix, (guint)i, leaves[l]);
          g_ptr_array_add (specs, oxp_onnx_config_with_past_new_cache_spec (
                                      self, name, "num_key_value_heads", length));
        }
    }
}

static GPtrArray *
oxp_onnx_config_with_past_get_outputs (OxpOnnxConfig *config)
{
  OxpOnnxConfigWithPast *self = OXP_ONNX_CONFIG_WITH_PAST (config);
  OxpOnnxConfigWithPastPrivate *priv = oxp_onnx_config_with_past_get_instance_private (self);
  const char *task = oxp_onnx_config_get_task (config);
  GPtrArray *outputs;

  if (!priv->use_past_in_inputs)
    outputs = oxp_onnx_config_get_common_outputs (config);
  else
    {
      gboolean features = g_strcmp0 (task, "feature-extraction") == 0;
      OxpTensorSpec *spec
          = oxp_tensor_spec_new (features ? "last_hidden_state" : "logits", OXP_DATA_TYPE_FLOAT,
                                 "batch_size,sequence_length,?");
      oxp_tensor_spec_set_dim_value (
          spec, 2, oxp_onnx_config_require_int (config, features ? "hidden_size" : "vocab_size"));
      outputs = _oxp_spec_array_new ();
      g_ptr_array_add (outputs, spec);
    }
  if (priv->use_past)
    oxp_onnx_config_with_past_add_past_key_values (self, outputs, OXP_PAST_DIRECTION_OUTPUTS);
  return outputs;
}

static GPtrArray *
oxp_onnx_config_with_past_dup_submodels (OxpOnnxConfig *config)
{
  OxpOnnxConfigWithPast *self = OXP_ONNX_CONFIG_WITH_PAST (config);
  OxpOnnxConfigWithPastPrivate *priv = oxp_onnx_config_with_past_get_instance_private (self);
  GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);

  if (priv->use_past && !priv->use_past_in_inputs)
    {
      g_ptr_array_add (models,
                       oxp_onnx_config_copy (config, "file-name", "decoder_model.onnx", NULL));
      g_ptr_array_add (models,
                       oxp_onnx_config_copy (config, "use-past-in-inputs", TRUE, "file-name",
                                             "decoder_with_past_model.onnx", NULL));
    }
  else if (priv->use_past_in_inputs)
    g_ptr_array_add (
        models, oxp_onnx_config_copy (config, "file-name", "decoder_with_past_model.onnx", NULL));
  else
    g_ptr_array_add (models, g_object_ref (config));
  return models;
}

static void
oxp_onnx_config_with_past_get_property (GObject *object, guint prop_id, GValue *value,
                                        GParamSpec *pspec)
{
  OxpOnnxConfigWithPastPrivate *priv
      = oxp_onnx_config_with_past_get_instance_private (OXP_ONNX_CONFIG_WITH_PAST (object));

  switch (prop_id)
    {
    case PROP_USE_PAST:
      g_value_set_boolean (value, priv->use_past);
      break;
    case PROP_USE_PAST_IN_INPUTS:
      g_value_set_boolean (value, priv->use_past_in_inputs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_config_with_past_set_property (GObject *object, guint prop_id, const GValue *value,
                                        GParamSpec *pspec)
{
  OxpOnnxConfigWithPastPrivate *priv
      = oxp_onnx_config_with_past_get_instance_private (OXP_ONNX_CONFIG_WITH_PAST (object));

  switch (prop_id)
    {
    case PROP_USE_PAST:
      priv->use_past = g_value_get_boolean (value);
      break;
    case PROP_USE_PAST_IN_INPUTS:
      priv->use_past_in_inputs = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_config_with_past_class_init (OxpOnnxConfigWithPastClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  object_class->get_property = oxp_onnx_config_with_past_get_property;
  object_class->set_property = oxp_onnx_config_with_past_set_property;
  config_class->get_outputs = oxp_onnx_config_with_past_get_outputs;
  config_class->dup_submodels = oxp_onnx_config_with_past_dup_submodels;
  klass->add_past_key_values = oxp_onnx_config_with_past_real_add_past_key_values;

  /**
   * OxpOnnxConfigWithPast:use-past:
   *
   * Whether the graph returns its key/value cache (present.*).
   */
  properties[PROP_USE_PAST]
      = g_param_spec_boolean ("use-past", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpOnnxConfigWithPast:use-past-in-inputs:
   *
   * Whether the graph takes a key/value cache (past_key_values.*).
   */
  properties[PROP_USE_PAST_IN_INPUTS]
      = g_param_spec_boolean ("use-past-in-inputs", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_onnx_config_with_past_init (OxpOnnxConfigWithPast *self)
{
}

gboolean
oxp_onnx_config_with_past_get_use_past (OxpOnnxConfigWithPast *self)
{
  OxpOnnxConfigWithPastPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self), FALSE);
  priv = oxp_onnx_config_with_past_get_instance_private (self);
  return priv->use_past;
}

gboolean
oxp_onnx_config_with_past_get_use_past_in_inputs (OxpOnnxConfigWithPast *self)
{
  OxpOnnxConfigWithPastPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self), FALSE);
  priv = oxp_onnx_config_with_past_get_instance_private (self);
  return priv->use_past_in_inputs;
}

/**
 * oxp_onnx_config_with_past_with_past:
 * @self: a config
 *
 * Returns: (transfer full): a copy of @self taking and returning the cache
 */
OxpOnnxConfig *
oxp_onnx_config_with_past_with_past (OxpOnnxConfigWithPast *self)
{
  g_return_val_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self), NULL);
  return oxp_onnx_config_copy (OXP_ONNX_CONFIG (self), "use-past", TRUE, "use-past-in-inputs", TRUE,
                               NULL);
}

/**
 * oxp_onnx_config_with_past_add_past_key_values:
 * @self: a config
 * @specs: (element-type OxpTensorSpec): the array to append to
 * @direction: inputs (past_key_values) or outputs (present)
 */
void
oxp_onnx_config_with_past_add_past_key_values (OxpOnnxConfigWithPast *self, GPtrArray *specs,
                                               OxpPastDirection direction)
{
  g_return_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self));
  g_return_if_fail (specs != NULL);
  OXP_ONNX_CONFIG_WITH_PAST_GET_CLASS (self)->add_past_key_values (self, specs, direction);
}
