/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-onnx-config-private.h"

G_DEFINE_ENUM_TYPE (OxpConfigBehavior, oxp_config_behavior,
                    G_DEFINE_ENUM_VALUE (OXP_CONFIG_BEHAVIOR_MONOLITH, "monolith"),
                    G_DEFINE_ENUM_VALUE (OXP_CONFIG_BEHAVIOR_ENCODER, "encoder"),
                    G_DEFINE_ENUM_VALUE (OXP_CONFIG_BEHAVIOR_DECODER, "decoder"))

typedef struct
{
  OxpConfigBehavior behavior;
  gboolean merged;
} OxpOnnxSeq2SeqConfigWithPastPrivate;

/**
 * OxpOnnxSeq2SeqConfigWithPast:
 *
 * An encoder-decoder, optimum's OnnxSeq2SeqConfigWithPast.
 *
 * Past inputs per decoder layer i: past_key_values.i.decoder.key/.value
 * [batch_size, heads, past_decoder_sequence_length, head_dim] and
 * past_key_values.i.encoder.key/.value [batch_size, heads,
 * encoder_sequence_length_out, head_dim].  Present outputs:
 * present.i.decoder.key/.value ("past_decoder_sequence_length +
 * decoder_sequence_length" with past inputs, else
 * "decoder_sequence_length"), and present.i.encoder.key/.value only for a
 * decoder without past inputs.  Layers: decoder_num_layers; heads:
 * decoder_num_attention_heads.
 *
 * Outputs: the encoder behaviour gives last_hidden_state [batch_size,
 * encoder_sequence_length, hidden_size]; the others the task's default
 * outputs with their sequence dim renamed decoder_sequence_length.
 *
 * Submodels of a monolith config: encoder_model.onnx, decoder_model.onnx,
 * and with use-past decoder_with_past_model.onnx and
 * decoder_model_merged.onnx (#OxpOnnxSeq2SeqConfigWithPast:merged: an `If`
 * on use_cache_branch over both decoders, each weight stored once).
 */
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OxpOnnxSeq2SeqConfigWithPast,
                                     oxp_onnx_seq2seq_config_with_past,
                                     OXP_TYPE_ONNX_CONFIG_WITH_PAST)

enum
{
  PROP_0,
  PROP_BEHAVIOR,
  PROP_MERGED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

char *
_oxp_seq2seq_encoder_output_length (OxpOnnxSeq2SeqConfigWithPast *self)
{
  guint divisor = OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST_GET_CLASS (self)->encoder_length_divisor;

  if (divisor <= 1)
    return g_strdup ("encoder_sequence_length");
  /* Rounded up, as a stride-N convolution padded on both sides counts its
   * windows (whisper's conv2 turns 2n + 1 frames into n + 1). */
  return g_strdup_printf ("ceil(encoder_sequence_length / %u)", divisor);
}

static void
oxp_onnx_seq2seq_config_with_past_add_past_key_values (OxpOnnxConfigWithPast *self,
                                                       GPtrArray *specs, OxpPastDirection direction)
{
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv
      = oxp_onnx_seq2seq_config_with_past_get_instance_private (
          OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self));
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (self);
  gint64 n_layers = oxp_onnx_config_require_int (OXP_ONNX_CONFIG (self), "decoder_num_layers");
  const char *prefix = direction == OXP_PAST_DIRECTION_INPUTS ? "past_key_values" : "present";
  const char *decoder_length;
  g_autofree char *encoder_length = NULL;
  gboolean with_encoder;

  if (direction == OXP_PAST_DIRECTION_INPUTS)
    decoder_length = "past_decoder_sequence_length";
  else if (past_in)
    decoder_length = "past_decoder_sequence_length + decoder_sequence_length";
  else
    decoder_length = "decoder_sequence_length";
  /* The cross-attention cache is constant once computed: a decoder with
   * past takes it but does not return it. */
  with_encoder = direction == OXP_PAST_DIRECTION_INPUTS
                 || (priv->behavior == OXP_CONFIG_BEHAVIOR_DECODER && !past_in);

  /* optimum's name for the cross-attention length, unless the encoder
   * shortens its input: then it is the encoder output's length. */
  if (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST_GET_CLASS (self)->encoder_length_divisor > 1)
    encoder_length = _oxp_seq2seq_encoder_output_length (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self));
  else
    encoder_length = g_strdup ("encoder_sequence_length_out");

  for (gint64 i = 0; i < n_layers; i++)
    {
      static const char *const leaves[]
          = { "decoder.key", "decoder.value", "encoder.key", "encoder.value" };
      for (guint l = 0; l < (with_encoder ? 4u : 2u); l++)
        {
          g_autofree char *name = oxp_onnx_config_flatten_output_name (prefix, (guint)i, leaves[l]);
          g_ptr_array_add (specs, oxp_onnx_config_with_past_new_cache_spec (
                                      self, name, "decoder_num_attention_heads",
                                      l < 2 ? decoder_length : encoder_length));
        }
    }
}

/* A copy of @spec with every dim containing "sequence" named @sequence_name. */
static OxpTensorSpec *
rename_sequence_dims (OxpTensorSpec *spec, const char *sequence_name)
{
  OxpTensorSpec *copy = oxp_tensor_spec_copy_renamed (spec, oxp_tensor_spec_get_name (spec));

  for (guint d = 0; d < oxp_tensor_spec_get_rank (spec); d++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, d);
      if (param && strstr (param, "sequence") != NULL)
        oxp_tensor_spec_set_dim_param (copy, d, sequence_name);
    }
  return copy;
}

/* The merged decoder's outputs: the first-step decoder's (optimum's
 * merge_decoders() keeps them, encoder presents included), with the
 * decoder presents spanning past + current tokens as the decoder with past
 * gives them. */
static GPtrArray *
merged_outputs (OxpOnnxConfig *config)
{
  g_autoptr (OxpOnnxConfig) no_past
      = oxp_onnx_config_copy (config, "merged", FALSE, "use-past-in-inputs", FALSE, NULL);
  g_autoptr (OxpOnnxConfig) with_past
      = oxp_onnx_config_copy (config, "merged", FALSE, "use-past-in-inputs", TRUE, NULL);
  g_autoptr (GPtrArray) first = oxp_onnx_config_get_outputs (no_past);
  g_autoptr (GPtrArray) second = oxp_onnx_config_get_outputs (with_past);
  GPtrArray *outputs = _oxp_spec_array_new ();

  for (guint i = 0; i < first->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (first, i);

      for (guint j = 0; j < second->len; j++)
        if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (second, j)),
                    oxp_tensor_spec_get_name (spec))
            == 0)
          spec = g_ptr_array_index (second, j);
      g_ptr_array_add (outputs, oxp_tensor_spec_ref (spec));
    }
  return outputs;
}

static GPtrArray *
oxp_onnx_seq2seq_config_with_past_get_outputs (OxpOnnxConfig *config)
{
  OxpOnnxSeq2SeqConfigWithPast *self = OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config);
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv
      = oxp_onnx_seq2seq_config_with_past_get_instance_private (self);
  g_autoptr (GPtrArray) common = NULL;
  GPtrArray *outputs;

  if (priv->merged)
    return merged_outputs (config);
  outputs = _oxp_spec_array_new ();
  if (priv->behavior == OXP_CONFIG_BEHAVIOR_ENCODER)
    {
      g_autofree char *length = _oxp_seq2seq_encoder_output_length (self);
      OxpTensorSpec *spec = oxp_tensor_spec_new_rank ("last_hidden_state", OXP_DATA_TYPE_FLOAT, 3);
      oxp_tensor_spec_set_dim_param (spec, 0, "batch_size");
      oxp_tensor_spec_set_dim_param (spec, 1, length);
      oxp_tensor_spec_set_dim_value (spec, 2, oxp_onnx_config_require_int (config, "hidden_size"));
      g_ptr_array_add (outputs, spec);
      return outputs;
    }

  common = oxp_onnx_config_get_common_outputs (config);
  for (guint i = 0; i < common->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (common, i);
      const char *name = oxp_tensor_spec_get_name (spec);
      g_ptr_array_add (outputs, rename_sequence_dims (spec, strstr (name, "encoder")
                                                                ? "encoder_sequence_length"
                                                                : "decoder_sequence_length"));
    }
  if (oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (self)))
    oxp_onnx_config_with_past_add_past_key_values (OXP_ONNX_CONFIG_WITH_PAST (self), outputs,
                                                   OXP_PAST_DIRECTION_OUTPUTS);
  return outputs;
}

static const char *
file_name_for (OxpConfigBehavior behavior, gboolean use_past_in_inputs)
{
  switch (behavior)
    {
    case OXP_CONFIG_BEHAVIOR_ENCODER:
      return "encoder_model.onnx";
    case OXP_CONFIG_BEHAVIOR_DECODER:
      return use_past_in_inputs ? "decoder_with_past_model.onnx" : "decoder_model.onnx";
    case OXP_CONFIG_BEHAVIOR_MONOLITH:
    default:
      return "model.onnx";
    }
}

static GPtrArray *
oxp_onnx_seq2seq_config_with_past_dup_submodels (OxpOnnxConfig *config)
{
  OxpOnnxSeq2SeqConfigWithPast *self = OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config);
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv
      = oxp_onnx_seq2seq_config_with_past_get_instance_private (self);
  gboolean use_past = oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (self));
  GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);

  if (priv->behavior != OXP_CONFIG_BEHAVIOR_MONOLITH)
    {
      g_ptr_array_add (models, g_object_ref (config));
      return models;
    }
  g_ptr_array_add (models, oxp_onnx_seq2seq_config_with_past_with_behavior (
                               self, OXP_CONFIG_BEHAVIOR_ENCODER, FALSE, FALSE));
  g_ptr_array_add (models, oxp_onnx_seq2seq_config_with_past_with_behavior (
                               self, OXP_CONFIG_BEHAVIOR_DECODER, use_past, FALSE));
  if (use_past)
    {
      g_autoptr (OxpOnnxConfig) merged = NULL;

      g_ptr_array_add (models, oxp_onnx_seq2seq_config_with_past_with_behavior (
                                   self, OXP_CONFIG_BEHAVIOR_DECODER, TRUE, TRUE));
      /* What transformers.js loads: one If, each weight stored once. */
      merged = oxp_onnx_seq2seq_config_with_past_with_behavior (self, OXP_CONFIG_BEHAVIOR_DECODER,
                                                                TRUE, TRUE);
      g_ptr_array_add (models, oxp_onnx_config_copy (merged, "merged", TRUE, "file-name",
                                                     "decoder_model_merged.onnx", NULL));
    }
  return models;
}

static void
oxp_onnx_seq2seq_config_with_past_get_property (GObject *object, guint prop_id, GValue *value,
                                                GParamSpec *pspec)
{
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv
      = oxp_onnx_seq2seq_config_with_past_get_instance_private (
          OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (object));

  switch (prop_id)
    {
    case PROP_BEHAVIOR:
      g_value_set_enum (value, priv->behavior);
      break;
    case PROP_MERGED:
      g_value_set_boolean (value, priv->merged);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_seq2seq_config_with_past_set_property (GObject *object, guint prop_id, const GValue *value,
                                                GParamSpec *pspec)
{
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv
      = oxp_onnx_seq2seq_config_with_past_get_instance_private (
          OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (object));

  switch (prop_id)
    {
    case PROP_BEHAVIOR:
      priv->behavior = g_value_get_enum (value);
      break;
    case PROP_MERGED:
      priv->merged = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_seq2seq_config_with_past_class_init (OxpOnnxSeq2SeqConfigWithPastClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);
  OxpOnnxConfigWithPastClass *past_class = OXP_ONNX_CONFIG_WITH_PAST_CLASS (klass);

  object_class->get_property = oxp_onnx_seq2seq_config_with_past_get_property;
  object_class->set_property = oxp_onnx_seq2seq_config_with_past_set_property;
  config_class->get_outputs = oxp_onnx_seq2seq_config_with_past_get_outputs;
  config_class->dup_submodels = oxp_onnx_seq2seq_config_with_past_dup_submodels;
  past_class->add_past_key_values = oxp_onnx_seq2seq_config_with_past_add_past_key_values;

  /**
   * OxpOnnxSeq2SeqConfigWithPast:behavior:
   *
   * Which part of the encoder-decoder the config exports.
   */
  properties[PROP_BEHAVIOR] = g_param_spec_enum (
      "behavior", NULL, NULL, OXP_TYPE_CONFIG_BEHAVIOR, OXP_CONFIG_BEHAVIOR_MONOLITH,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpOnnxSeq2SeqConfigWithPast:merged:
   *
   * The config of decoder_model_merged.onnx (set by dup_submodels() for a
   * decoder with past): one If on the bool input use_cache_branch [1]
   * whose branches are the decoder with and without past inputs, built by
   * the same build_graph, every weight stored once in the main graph.
   * Inputs: the first-step decoder's, then the past, then
   * use_cache_branch; outputs: the first-step decoder's.  The with-past
   * branch returns the encoder past it was given as present.{i}.encoder.*
   * (the cross-attention cache does not change).
   */
  properties[PROP_MERGED] = g_param_spec_boolean (
      "merged", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_onnx_seq2seq_config_with_past_init (OxpOnnxSeq2SeqConfigWithPast *self)
{
}

gboolean
_oxp_seq2seq_config_get_merged (OxpOnnxSeq2SeqConfigWithPast *self)
{
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv
      = oxp_onnx_seq2seq_config_with_past_get_instance_private (self);

  return priv->merged;
}

/**
 * oxp_onnx_seq2seq_config_with_past_get_behavior:
 * @self: a config
 *
 * The part of the model the config exports (#OxpOnnxSeq2SeqConfigWithPast:behavior).
 *
 * Returns: the behaviour
 */
OxpConfigBehavior
oxp_onnx_seq2seq_config_with_past_get_behavior (OxpOnnxSeq2SeqConfigWithPast *self)
{
  OxpOnnxSeq2SeqConfigWithPastPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self), OXP_CONFIG_BEHAVIOR_MONOLITH);
  priv = oxp_onnx_seq2seq_config_with_past_get_instance_private (self);
  return priv->behavior;
}

/**
 * oxp_onnx_seq2seq_config_with_past_with_behavior:
 * @self: a config
 * @behavior: the part to export
 * @use_past: whether the graph returns the cache
 * @use_past_in_inputs: whether the graph takes the cache (ignored for the encoder)
 *
 * optimum's with_behavior(): a copy of @self exporting another part with
 * other past settings; the file name follows ("encoder_model.onnx",
 * "decoder_model.onnx", "decoder_with_past_model.onnx").
 *
 * Returns: (transfer full): the copy
 */
OxpOnnxConfig *
oxp_onnx_seq2seq_config_with_past_with_behavior (OxpOnnxSeq2SeqConfigWithPast *self,
                                                 OxpConfigBehavior behavior, gboolean use_past,
                                                 gboolean use_past_in_inputs)
{
  g_return_val_if_fail (OXP_IS_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self), NULL);

  if (behavior == OXP_CONFIG_BEHAVIOR_ENCODER)
    use_past = use_past_in_inputs = FALSE;
  return oxp_onnx_config_copy (OXP_ONNX_CONFIG (self), "behavior", behavior, "use-past", use_past,
                               "use-past-in-inputs", use_past_in_inputs, "file-name",
                               file_name_for (behavior, use_past_in_inputs), NULL);
}
