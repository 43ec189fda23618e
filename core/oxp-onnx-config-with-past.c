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

/**
 * OxpOnnxConfigWithPast:
 *
 * A decoder whose graph may return its key/value cache
 * (#OxpOnnxConfigWithPast:use-past) and take it back in
 * (#OxpOnnxConfigWithPast:use-past-in-inputs), like optimum's
 * OnnxConfigWithPast.
 *
 * Past and present tensors are [batch_size, num_key_value_heads, LENGTH,
 * head_dim] where the heads and head_dim are numbers from the normalized
 * config and LENGTH is "past_sequence_length" for inputs,
 * "past_sequence_length + sequence_length" for outputs when the past is an
 * input, and "sequence_length" when it is not.
 *
 * Outputs: without past inputs, the task's default outputs; with them,
 * last_hidden_state (feature-extraction) or logits [batch_size,
 * sequence_length, vocab_size]; then present.{i}.key/.value when use-past.
 *
 * Submodels: a config with use-past but no past inputs splits into
 * decoder_model.onnx (no past inputs, presents out) and
 * decoder_with_past_model.onnx (past in, presents out); one with past
 * inputs is decoder_with_past_model.onnx alone; one without use-past is
 * itself.
 */
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
 * A [batch_size, heads, @length_dim, head_dim] float spec in the config's
 * float type, the heads read from the normalized config name @heads_name and
 * head_dim from "head_dim"; missing values are recorded as
 * oxp_onnx_config_require_int() records them.  For add_past_key_values
 * implementations.
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

/**
 * OxpOnnxConfigWithPastClass::add_past_key_values:
 * @self: a config
 * @specs: (element-type OxpTensorSpec): the inputs or outputs to append to
 * @direction: past_key_values inputs or present outputs
 *
 * Appends the cache specs of every layer to @specs, key before value.  The
 * default writes past_key_values.{i}.key/.value or present.{i}.key/.value
 * for num_layers layers with num_key_value_heads heads; an architecture
 * with another cache layout overrides it.
 */
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

/**
 * oxp_onnx_config_with_past_get_use_past:
 * @self: a config
 *
 * Whether the graph returns its key/value cache as present.{i}.* outputs
 * (#OxpOnnxConfigWithPast:use-past; the "-with-past" tasks set it).
 *
 * Returns: %TRUE when the cache is an output
 */
gboolean
oxp_onnx_config_with_past_get_use_past (OxpOnnxConfigWithPast *self)
{
  OxpOnnxConfigWithPastPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self), FALSE);
  priv = oxp_onnx_config_with_past_get_instance_private (self);
  return priv->use_past;
}

/**
 * oxp_onnx_config_with_past_get_use_past_in_inputs:
 * @self: a config
 *
 * Whether the graph takes the cache back in as past_key_values.{i}.* inputs
 * (#OxpOnnxConfigWithPast:use-past-in-inputs).
 *
 * Returns: %TRUE when the cache is an input
 */
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
 * optimum's with_past(): a copy of @self with use-past and
 * use-past-in-inputs set, the config of decoder_with_past_model.onnx.
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
 *
 * Appends the past (inputs) or present (outputs) specs of every layer to
 * @specs through #OxpOnnxConfigWithPastClass.add_past_key_values: what a
 * decoder's get_inputs and get_outputs call last.
 */
void
oxp_onnx_config_with_past_add_past_key_values (OxpOnnxConfigWithPast *self, GPtrArray *specs,
                                               OxpPastDirection direction)
{
  g_return_if_fail (OXP_IS_ONNX_CONFIG_WITH_PAST (self));
  g_return_if_fail (specs != NULL);
  OXP_ONNX_CONFIG_WITH_PAST_GET_CLASS (self)->add_past_key_values (self, specs, direction);
}
