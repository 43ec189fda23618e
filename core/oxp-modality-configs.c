/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Middle-end configs: text encoder, text decoder, text seq2seq, vision,
 * text-and-vision, audio, audio-to-text. */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-graph-private.h"
#include "oxp-onnx-config-private.h"

static void
add_spec (GPtrArray *specs, const char *name, OxpDataType dtype, const char *dims)
{
  g_ptr_array_add (specs, oxp_tensor_spec_new (name, dtype, dims));
}

/* The encoder's output as a decoder input. */
static void
add_hidden_states (OxpOnnxConfig *config, GPtrArray *specs, const char *name)
{
  g_autofree char *length
      = _oxp_seq2seq_encoder_output_length (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config));
  OxpTensorSpec *spec = oxp_tensor_spec_new_rank (name, OXP_DATA_TYPE_FLOAT, 3);

  oxp_tensor_spec_set_dim_param (spec, 0, "batch_size");
  oxp_tensor_spec_set_dim_param (spec, 1, length);
  oxp_tensor_spec_set_dim_value (spec, 2, oxp_onnx_config_require_int (config, "hidden_size"));
  g_ptr_array_add (specs, spec);
}

static GPtrArray *
new_generators (void)
{
  return g_ptr_array_new_with_free_func (g_object_unref);
}

/* pixel_values: the channels and image size are the model's own when
 * config.json gives them (position embeddings fix them), else symbolic. */
static void
add_pixel_values (OxpOnnxConfig *config, GPtrArray *specs, const char *batch_dim)
{
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  OxpTensorSpec *spec = oxp_tensor_spec_new_rank ("pixel_values", OXP_DATA_TYPE_FLOAT, 4);
  gint64 height, width;

  oxp_tensor_spec_set_dim_param (spec, 0, batch_dim);
  if (oxp_normalized_config_has (nc, "num_channels"))
    oxp_tensor_spec_set_dim_value (spec, 1, oxp_onnx_config_require_int (config, "num_channels"));
  else
    oxp_tensor_spec_set_dim_param (spec, 1, "num_channels");
  if (oxp_normalized_config_has (nc, "image_size"))
    {
      GError *error = NULL;
      if (!oxp_normalized_config_get_image_size (nc, &height, &width, &error))
        {
          _oxp_onnx_config_defer_error (config, error);
          height = width = 1;
        }
      oxp_tensor_spec_set_dim_value (spec, 2, height);
      oxp_tensor_spec_set_dim_value (spec, 3, width);
    }
  else
    {
      oxp_tensor_spec_set_dim_param (spec, 2, "height");
      oxp_tensor_spec_set_dim_param (spec, 3, "width");
    }
  g_ptr_array_add (specs, spec);
}

/* Text encoder */

/**
 * OxpTextEncoderOnnxConfig:
 *
 * Text encoders (BERT and its family), optimum's TextEncoderOnnxConfig.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpTextEncoderOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE (OxpTextEncoderOnnxConfig, oxp_text_encoder_onnx_config,
                        OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_text_encoder_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpTextEncoderOnnxConfigClass *klass = OXP_TEXT_ENCODER_ONNX_CONFIG_GET_CLASS (config);
  const char *dims = g_strcmp0 (oxp_onnx_config_get_task (config), "multiple-choice") == 0
                         ? "batch_size,num_choices,sequence_length"
                         : "batch_size,sequence_length";
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, dims);
  add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64, dims);
  if (klass->uses_token_type_ids)
    add_spec (inputs, "token_type_ids", OXP_DATA_TYPE_INT64, dims);
  return inputs;
}

static void
oxp_text_encoder_onnx_config_class_init (OxpTextEncoderOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_encoder_onnx_config_get_inputs;
}

static void
oxp_text_encoder_onnx_config_init (OxpTextEncoderOnnxConfig *self)
{
}

/* Text decoder */

typedef struct
{
  gboolean legacy;
  gboolean merged;
} OxpTextDecoderOnnxConfigPrivate;

/**
 * OxpTextDecoderOnnxConfig:
 *
 * Decoder-only text models (GPT-2, LLaMA, GPT-NeoX, OPT, …), optimum's
 * TextDecoderOnnxConfig, with the current single-file export by default and
 * optimum 1.13's three files with #OxpTextDecoderOnnxConfig:legacy.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpTextDecoderOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OxpTextDecoderOnnxConfig, oxp_text_decoder_onnx_config,
                                     OXP_TYPE_ONNX_CONFIG_WITH_PAST)

enum
{
  PROP_DECODER_0,
  PROP_DECODER_LEGACY,
  PROP_DECODER_MERGED,
};

/* optimum's TextDecoderWithPositionIdsOnnxConfig adds position_ids for
 * these tasks only; 1.13 (legacy) had none. */
static gboolean
decoder_has_position_ids (OxpOnnxConfig *config)
{
  OxpTextDecoderOnnxConfigClass *klass = OXP_TEXT_DECODER_ONNX_CONFIG_GET_CLASS (config);
  const char *task = oxp_onnx_config_get_task (config);

  return klass->uses_position_ids
         && !oxp_text_decoder_onnx_config_get_legacy (OXP_TEXT_DECODER_ONNX_CONFIG (config))
         && (g_strcmp0 (task, "text-generation") == 0
             || g_strcmp0 (task, "feature-extraction") == 0);
}

/* optimum's merge_decoders(): the decoder's inputs, then those only the
 * decoder with past has, then use_cache_branch.  The mask keeps the with-past
 * dims (it spans past + current tokens; the past is ignored without cache). */
static GPtrArray *
merged_inputs (OxpOnnxConfig *config)
{
  g_autoptr (OxpOnnxConfig) no_past
      = oxp_onnx_config_copy (config, "merged", FALSE, "use-past-in-inputs", FALSE, NULL);
  g_autoptr (OxpOnnxConfig) with_past
      = oxp_onnx_config_copy (config, "merged", FALSE, "use-past-in-inputs", TRUE, NULL);
  g_autoptr (GPtrArray) first = oxp_onnx_config_get_inputs (no_past);
  g_autoptr (GPtrArray) second = oxp_onnx_config_get_inputs (with_past);
  GPtrArray *inputs = _oxp_spec_array_new ();

  for (guint i = 0; i < first->len; i++)
    {
      const char *name = oxp_tensor_spec_get_name (g_ptr_array_index (first, i));
      OxpTensorSpec *spec = g_ptr_array_index (first, i);

      for (guint j = 0; j < second->len; j++)
        if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (second, j)), name) == 0)
          spec = g_ptr_array_index (second, j);
      g_ptr_array_add (inputs, oxp_tensor_spec_ref (spec));
    }
  for (guint j = 0; j < second->len; j++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (second, j);
      gboolean seen = FALSE;

      for (guint i = 0; i < first->len && !seen; i++)
        seen = strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (first, i)),
                       oxp_tensor_spec_get_name (spec))
               == 0;
      if (!seen)
        g_ptr_array_add (inputs, oxp_tensor_spec_ref (spec));
    }
  add_spec (inputs, "use_cache_branch", OXP_DATA_TYPE_BOOL, "1");
  return inputs;
}

static GPtrArray *
oxp_text_decoder_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpTextDecoderOnnxConfigClass *klass = OXP_TEXT_DECODER_ONNX_CONFIG_GET_CLASS (config);
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  gboolean positions = decoder_has_position_ids (config);
  GPtrArray *inputs = _oxp_spec_array_new ();
  const char *mask_dims = past_in ? "batch_size,past_sequence_length + sequence_length"
                                  : "batch_size,sequence_length";

  if (_oxp_text_decoder_onnx_config_get_merged (OXP_TEXT_DECODER_ONNX_CONFIG (config)))
    {
      g_ptr_array_unref (inputs);
      return merged_inputs (config);
    }

  /* The forward signature's order (see the class documentation). */
  add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length");
  if (past_in && klass->past_before_attention_mask)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64, mask_dims);
  if (positions && !klass->position_ids_after_past)
    add_spec (inputs, "position_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length");
  if (past_in && !klass->past_before_attention_mask)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  if (positions && klass->position_ids_after_past)
    add_spec (inputs, "position_ids", OXP_DATA_TYPE_INT64, "batch_size,sequence_length");
  return inputs;
}

static GPtrArray *
oxp_text_decoder_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();
  OxpDummyInputGenerator *text = oxp_dummy_text_input_generator_new (task, nc);

  g_object_set (
      text, "use-past-in-inputs",
      oxp_onnx_config_with_past_get_use_past_in_inputs (OXP_ONNX_CONFIG_WITH_PAST (config)), NULL);
  g_ptr_array_add (gens, text);
  g_ptr_array_add (gens, oxp_dummy_past_key_values_generator_new (task, nc));
  return gens;
}

static GPtrArray *
oxp_text_decoder_onnx_config_dup_submodels (OxpOnnxConfig *config)
{
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean use_past = oxp_onnx_config_with_past_get_use_past (past);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  GPtrArray *models;

  if (oxp_text_decoder_onnx_config_get_legacy (OXP_TEXT_DECODER_ONNX_CONFIG (config)))
    {
      if (use_past && !past_in)
        {
          /* optimum 1.13's three files; the merged one shares the weights of
           * its two branches. */
          models = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (models,
                           oxp_onnx_config_copy (config, "file-name", "decoder_model.onnx", NULL));
          g_ptr_array_add (models,
                           oxp_onnx_config_copy (config, "use-past-in-inputs", TRUE, "file-name",
                                                 "decoder_with_past_model.onnx", NULL));
          g_ptr_array_add (models,
                           oxp_onnx_config_copy (config, "use-past-in-inputs", TRUE, "merged", TRUE,
                                                 "file-name", "decoder_model_merged.onnx", NULL));
          return models;
        }
      if (use_past || g_strcmp0 (oxp_onnx_config_get_task (config), "text-generation") != 0)
        return OXP_ONNX_CONFIG_CLASS (oxp_text_decoder_onnx_config_parent_class)
            ->dup_submodels (config);

      /* optimum 1.13 writes text-generation as decoder_model.onnx with presents. */
      models = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (models,
                       oxp_onnx_config_copy (config, "use-past", TRUE, "use-past-in-inputs", FALSE,
                                             "file-name", "decoder_model.onnx", NULL));
      return models;
    }

  /* Current optimum: one model.onnx; with a cache it always takes the past,
   * of length 0 for the first step. */
  models = g_ptr_array_new_with_free_func (g_object_unref);
  if (use_past && !past_in)
    g_ptr_array_add (models, oxp_onnx_config_copy (config, "use-past-in-inputs", TRUE, NULL));
  else
    g_ptr_array_add (models, g_object_ref (config));
  return models;
}

static void
oxp_text_decoder_onnx_config_get_property (GObject *object, guint prop_id, GValue *value,
                                           GParamSpec *pspec)
{
  OxpTextDecoderOnnxConfigPrivate *priv
      = oxp_text_decoder_onnx_config_get_instance_private (OXP_TEXT_DECODER_ONNX_CONFIG (object));

  switch (prop_id)
    {
    case PROP_DECODER_LEGACY:
      g_value_set_boolean (value, priv->legacy);
      break;
    case PROP_DECODER_MERGED:
      g_value_set_boolean (value, priv->merged);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_text_decoder_onnx_config_set_property (GObject *object, guint prop_id, const GValue *value,
                                           GParamSpec *pspec)
{
  OxpTextDecoderOnnxConfigPrivate *priv
      = oxp_text_decoder_onnx_config_get_instance_private (OXP_TEXT_DECODER_ONNX_CONFIG (object));

  switch (prop_id)
    {
    case PROP_DECODER_LEGACY:
      priv->legacy = g_value_get_boolean (value);
      break;
    case PROP_DECODER_MERGED:
      priv->merged = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_text_decoder_onnx_config_class_init (OxpTextDecoderOnnxConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  object_class->get_property = oxp_text_decoder_onnx_config_get_property;
  object_class->set_property = oxp_text_decoder_onnx_config_set_property;
  config_class->get_inputs = oxp_text_decoder_onnx_config_get_inputs;
  config_class->create_dummy_input_generators
      = oxp_text_decoder_onnx_config_create_dummy_input_generators;
  config_class->dup_submodels = oxp_text_decoder_onnx_config_dup_submodels;

  /**
   * OxpTextDecoderOnnxConfig:legacy:
   *
   * Write optimum 1.13's files and inputs (no position_ids;
   * decoder_model.onnx, decoder_with_past_model.onnx and
   * decoder_model_merged.onnx) instead of current optimum's single
   * model.onnx.  Copies keep it.
   */
  g_object_class_install_property (
      object_class, PROP_DECODER_LEGACY,
      g_param_spec_boolean ("legacy", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  /**
   * OxpTextDecoderOnnxConfig:merged:
   *
   * The config of optimum 1.13's decoder_model_merged.onnx (set by
   * dup_submodels() with #OxpTextDecoderOnnxConfig:legacy): one If on the
   * bool input use_cache_branch [1] whose branches are this config's graph
   * with and without past inputs, built by the same build_graph, every
   * weight stored once in the main graph.  Inputs: the decoder's, then the
   * past, then use_cache_branch; outputs: the decoder with past's.
   */
  g_object_class_install_property (
      object_class, PROP_DECODER_MERGED,
      g_param_spec_boolean ("merged", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
}

static void
oxp_text_decoder_onnx_config_init (OxpTextDecoderOnnxConfig *self)
{
}

/**
 * oxp_text_decoder_onnx_config_get_legacy:
 * @self: a text decoder config
 *
 * Whether the export writes optimum 1.13's decoder_model.onnx,
 * decoder_with_past_model.onnx and decoder_model_merged.onnx instead of one
 * model.onnx (#OxpTextDecoderOnnxConfig:legacy, `--legacy`).
 *
 * Returns: whether @self writes optimum 1.13's layout
 */
gboolean
oxp_text_decoder_onnx_config_get_legacy (OxpTextDecoderOnnxConfig *self)
{
  OxpTextDecoderOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_TEXT_DECODER_ONNX_CONFIG (self), FALSE);
  priv = oxp_text_decoder_onnx_config_get_instance_private (self);
  return priv->legacy;
}

gboolean
_oxp_text_decoder_onnx_config_get_merged (OxpTextDecoderOnnxConfig *self)
{
  OxpTextDecoderOnnxConfigPrivate *priv = oxp_text_decoder_onnx_config_get_instance_private (self);

  return priv->merged;
}

/* One branch of the merged decoder; its outputs then take names of their
 * own ("with_past/logits") so that the other branch and the If may use the
 * plain ones. */
static gboolean
build_merged_branch (OxpOnnxConfig *config, OxpGraph *branch, OxpCheckpoint *checkpoint,
                     GError **error)
{
  g_autoptr (GPtrArray) outputs = NULL;

  if (!_oxp_onnx_config_build_branch (config, branch, checkpoint, error))
    return FALSE;
  /* Renaming replaces the specs: iterate over names of our own. */
  outputs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < oxp_graph_get_outputs (branch)->len; i++)
    g_ptr_array_add (outputs, g_strdup (oxp_tensor_spec_get_name (
                                  g_ptr_array_index (oxp_graph_get_outputs (branch), i))));
  for (guint i = 0; i < outputs->len; i++)
    {
      const char *name = g_ptr_array_index (outputs, i);
      g_autofree char *renamed = g_strdup_printf ("%s/%s", oxp_graph_get_name (branch), name);

      if (!_oxp_graph_rename_output (branch, name, renamed, error))
        return FALSE;
    }
  return TRUE;
}

/* optimum's _unify_onnx_outputs(): each If branch gives the merged model's
 * outputs, in its order.  An output a branch lacks is a cache that does not
 * change once computed (a seq2seq decoder with past has no
 * present.{i}.encoder.*): that branch returns the past input of the same
 * name, so the shapes it reports stay true. */
static gboolean
unify_branch_outputs (OxpGraph *graph, OxpGraph *branch, GError **error)
{
  GPtrArray *want = oxp_graph_get_outputs (graph);
  GPtrArray *have = oxp_graph_get_outputs (branch);
  g_autoptr (GPtrArray) order = g_ptr_array_new ();

  for (guint i = 0; i < want->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (want, i);
      const char *name = oxp_tensor_spec_get_name (spec);
      g_autofree char *renamed = g_strdup_printf ("%s/%s", oxp_graph_get_name (branch), name);
      OxpTensorSpec *found = NULL;

      for (guint j = 0; j < have->len && found == NULL; j++)
        if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (have, j)), renamed) == 0)
          found = g_ptr_array_index (have, j);
      if (found == NULL)
        {
          g_autofree char *past = NULL;
          g_autoptr (OxpTensorSpec) copy = NULL;
          gboolean is_input = FALSE;

          if (g_str_has_prefix (name, "present."))
            past = g_strconcat ("past_key_values.", name + strlen ("present."), NULL);
          for (guint j = 0; past != NULL && j < oxp_graph_get_inputs (graph)->len; j++)
            is_input |= strcmp (oxp_tensor_spec_get_name (
                                    g_ptr_array_index (oxp_graph_get_inputs (graph), j)),
                                past)
                        == 0;
          if (!is_input)
            {
              g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                           "The branch %s of the merged decoder has no output %s",
                           oxp_graph_get_name (branch), name);
              return FALSE;
            }
          copy = oxp_tensor_spec_copy_renamed (spec, renamed);
          oxp_graph_add_output (branch, copy);
          if (!oxp_graph_bind_output (branch, renamed,
                                      oxp_graph_op (branch, "Identity", past, NULL), error))
            return FALSE;
          found = g_ptr_array_index (have, have->len - 1);
        }
      g_ptr_array_add (order, found);
    }
  if (order->len != have->len)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "The branch %s of the merged decoder has %u outputs, the merged model %u",
                   oxp_graph_get_name (branch), have->len, order->len);
      return FALSE;
    }
  /* The specs are the branch's own; only their order changes. */
  for (guint i = 0; i < order->len; i++)
    have->pdata[i] = order->pdata[i];
  return TRUE;
}

gboolean
_oxp_text_decoder_onnx_config_build_merged (OxpOnnxConfig *self, OxpGraph *graph,
                                            OxpCheckpoint *checkpoint, GError **error)
{
  g_autoptr (OxpOnnxConfig) with_past
      = oxp_onnx_config_copy (self, "merged", FALSE, "use-past-in-inputs", TRUE, NULL);
  g_autoptr (OxpOnnxConfig) no_past
      = oxp_onnx_config_copy (self, "merged", FALSE, "use-past-in-inputs", FALSE, NULL);
  g_autoptr (OxpGraph) then_branch = oxp_graph_new_subgraph (graph, "with_past");
  g_autoptr (OxpGraph) else_branch = oxp_graph_new_subgraph (graph, "no_past");
  GPtrArray *outputs = oxp_graph_get_outputs (graph);
  const char *cond[] = { "use_cache_branch" };
  OxpNode *node;

  /* Both branches add the same checkpoint tensors: the graph keeps one
   * initializer per tensor, in the main graph. */
  if (!build_merged_branch (with_past, then_branch, checkpoint, error)
      || !build_merged_branch (no_past, else_branch, checkpoint, error)
      || !unify_branch_outputs (graph, then_branch, error)
      || !unify_branch_outputs (graph, else_branch, error))
    return FALSE;
  if (oxp_graph_get_outputs (then_branch)->len != outputs->len
      || oxp_graph_get_outputs (else_branch)->len != outputs->len)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "The branches of %s have %u and %u outputs, the merged model %u",
                   oxp_onnx_config_get_file_name (self), oxp_graph_get_outputs (then_branch)->len,
                   oxp_graph_get_outputs (else_branch)->len, outputs->len);
      return FALSE;
    }

  node = oxp_graph_add_node (graph, "If", cond, 1, outputs->len);
  oxp_node_set_attr_graph (node, "then_branch", then_branch);
  oxp_node_set_attr_graph (node, "else_branch", else_branch);
  for (guint i = 0; i < outputs->len; i++)
    if (!oxp_graph_bind_output (graph, oxp_tensor_spec_get_name (g_ptr_array_index (outputs, i)),
                                oxp_node_get_output (node, i), error))
      return FALSE;
  return TRUE;
}

/* Text seq2seq */

/**
 * OxpTextSeq2SeqOnnxConfig:
 *
 * Text encoder-decoders (T5, BART, Marian), optimum's TextSeq2SeqOnnxConfig.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpTextSeq2SeqOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE (OxpTextSeq2SeqOnnxConfig, oxp_text_seq2seq_onnx_config,
                        OXP_TYPE_ONNX_SEQ2SEQ_CONFIG_WITH_PAST)

static GPtrArray *
oxp_text_seq2seq_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpTextSeq2SeqOnnxConfigClass *klass = OXP_TEXT_SEQ2SEQ_ONNX_CONFIG_GET_CLASS (config);
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  GPtrArray *inputs;

  /* optimum's merge_decoders() order, as for the text decoder. */
  if (_oxp_seq2seq_config_get_merged (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)))
    return merged_inputs (config);
  inputs = _oxp_spec_array_new ();
  switch (
      oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)))
    {
    case OXP_CONFIG_BEHAVIOR_ENCODER:
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,encoder_sequence_length");
      add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64,
                "batch_size,encoder_sequence_length");
      return inputs;
    case OXP_CONFIG_BEHAVIOR_DECODER:
      add_spec (inputs, "encoder_attention_mask", OXP_DATA_TYPE_INT64,
                "batch_size,encoder_sequence_length");
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,decoder_sequence_length");
      if (!past_in || klass->encoder_hidden_states_with_past)
        add_hidden_states (config, inputs, "encoder_hidden_states");
      break;
    case OXP_CONFIG_BEHAVIOR_MONOLITH:
    default:
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,encoder_sequence_length");
      add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64,
                "batch_size,encoder_sequence_length");
      add_spec (inputs, "decoder_input_ids", OXP_DATA_TYPE_INT64,
                "batch_size,decoder_sequence_length");
      break;
    }
  if (past_in)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  return inputs;
}

static OxpNormalizedConfig *
oxp_text_seq2seq_onnx_config_create_normalized_config (OxpOnnxConfig *config, JsonObject *json,
                                                       GError **error)
{
  return oxp_normalized_seq2seq_config_new (json);
}

static GPtrArray *
oxp_text_seq2seq_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_seq2seq_past_key_values_generator_new (task, nc));
  return gens;
}

static void
oxp_text_seq2seq_onnx_config_class_init (OxpTextSeq2SeqOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_seq2seq_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_text_seq2seq_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_text_seq2seq_onnx_config_create_dummy_input_generators;
}

static void
oxp_text_seq2seq_onnx_config_init (OxpTextSeq2SeqOnnxConfig *self)
{
}

/* Vision */

/**
 * OxpVisionOnnxConfig:
 *
 * Vision encoders (ViT, DeiT), optimum's VisionOnnxConfig.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpVisionOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE (OxpVisionOnnxConfig, oxp_vision_onnx_config, OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_vision_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_pixel_values (config, inputs, "batch_size");
  return inputs;
}

static OxpNormalizedConfig *
oxp_vision_onnx_config_create_normalized_config (OxpOnnxConfig *config, JsonObject *json,
                                                 GError **error)
{
  return oxp_normalized_vision_config_new (json);
}

static GPtrArray *
oxp_vision_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (
      gens, oxp_dummy_vision_input_generator_new (oxp_onnx_config_get_task (config),
                                                  oxp_onnx_config_get_normalized_config (config)));
  return gens;
}

static GPtrArray *
oxp_vision_onnx_config_get_outputs (OxpOnnxConfig *config)
{
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  gint64 height, width, patch;
  OxpTensorSpec *spec;
  GPtrArray *outputs;

  if (g_strcmp0 (oxp_onnx_config_get_task (config), "feature-extraction") != 0
      || !oxp_normalized_config_has (nc, "patch_size")
      || !oxp_normalized_config_get_image_size (nc, &height, &width, NULL))
    return OXP_ONNX_CONFIG_CLASS (oxp_vision_onnx_config_parent_class)->get_outputs (config);

  /* One token per patch plus the class's extra tokens (ViT's [CLS]). */
  patch = MAX (oxp_onnx_config_require_int (config, "patch_size"), 1);
  spec = oxp_tensor_spec_new_rank ("last_hidden_state", OXP_DATA_TYPE_FLOAT, 3);
  oxp_tensor_spec_set_dim_param (spec, 0, "batch_size");
  oxp_tensor_spec_set_dim_value (spec, 1,
                                 (height / patch) * (width / patch)
                                     + OXP_VISION_ONNX_CONFIG_GET_CLASS (config)->n_extra_tokens);
  oxp_tensor_spec_set_dim_value (spec, 2, oxp_onnx_config_require_int (config, "hidden_size"));
  outputs = _oxp_spec_array_new ();
  g_ptr_array_add (outputs, spec);
  return outputs;
}

static void
oxp_vision_onnx_config_class_init (OxpVisionOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  klass->n_extra_tokens = 1;
  config_class->get_outputs = oxp_vision_onnx_config_get_outputs;

  config_class->get_inputs = oxp_vision_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_vision_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_vision_onnx_config_create_dummy_input_generators;
}

static void
oxp_vision_onnx_config_init (OxpVisionOnnxConfig *self)
{
}

/* Text and vision */

/**
 * OxpTextAndVisionOnnxConfig:
 *
 * Models with a text and a vision tower (CLIP), optimum's
 * TextAndVisionOnnxConfig.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpTextAndVisionOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE (OxpTextAndVisionOnnxConfig, oxp_text_and_vision_onnx_config,
                        OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_text_and_vision_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "text_batch_size,sequence_length");
  add_pixel_values (config, inputs, "image_batch_size");
  add_spec (inputs, "attention_mask", OXP_DATA_TYPE_INT64, "text_batch_size,sequence_length");
  return inputs;
}

static OxpNormalizedConfig *
oxp_text_and_vision_onnx_config_create_normalized_config (OxpOnnxConfig *config, JsonObject *json,
                                                          GError **error)
{
  return oxp_normalized_text_and_vision_config_new (json);
}

static GPtrArray *
oxp_text_and_vision_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_vision_input_generator_new (task, nc));
  return gens;
}

static void
oxp_text_and_vision_onnx_config_class_init (OxpTextAndVisionOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_text_and_vision_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_text_and_vision_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_text_and_vision_onnx_config_create_dummy_input_generators;
}

static void
oxp_text_and_vision_onnx_config_init (OxpTextAndVisionOnnxConfig *self)
{
}

/* Audio */

/**
 * OxpAudioOnnxConfig:
 *
 * Audio encoders over raw waveforms, optimum's AudioOnnxConfig.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpAudioOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE (OxpAudioOnnxConfig, oxp_audio_onnx_config, OXP_TYPE_ONNX_CONFIG)

static GPtrArray *
oxp_audio_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  GPtrArray *inputs = _oxp_spec_array_new ();

  add_spec (inputs, "input_values", OXP_DATA_TYPE_FLOAT, "batch_size,sequence_length");
  return inputs;
}

static GPtrArray *
oxp_audio_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (
      gens, oxp_dummy_audio_input_generator_new (oxp_onnx_config_get_task (config),
                                                 oxp_onnx_config_get_normalized_config (config)));
  return gens;
}

static void
oxp_audio_onnx_config_class_init (OxpAudioOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_audio_onnx_config_get_inputs;
  config_class->create_dummy_input_generators = oxp_audio_onnx_config_create_dummy_input_generators;
}

static void
oxp_audio_onnx_config_init (OxpAudioOnnxConfig *self)
{
}

/* Audio to text */

/* input_features: the mel bins are the model's own when config.json gives them. */
static void
add_input_features (OxpOnnxConfig *config, GPtrArray *specs)
{
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  OxpTensorSpec *spec = oxp_tensor_spec_new ("input_features", OXP_DATA_TYPE_FLOAT,
                                             "batch_size,feature_size,encoder_sequence_length");

  if (oxp_normalized_config_has (nc, "feature_size"))
    oxp_tensor_spec_set_dim_value (spec, 1, oxp_onnx_config_require_int (config, "feature_size"));
  g_ptr_array_add (specs, spec);
}

/**
 * OxpAudioToTextOnnxConfig:
 *
 * Speech-to-text encoder-decoders (Whisper), optimum's
 * AudioToTextOnnxConfig.
 *
 * A middle-end config (optimum's exporters/onnx/config.py): it picks the
 * normalized config variant, the inputs and the dummy input generators of
 * its modality, so that an architecture deriving from it sets its class
 * fields and opsets in class_init, adds its key aliases in
 * create_normalized_config (chain up, then
 * oxp_normalized_config_set_aliases()) and implements build_graph.
 * The inputs are described at #OxpAudioToTextOnnxConfigClass.
 */
G_DEFINE_ABSTRACT_TYPE (OxpAudioToTextOnnxConfig, oxp_audio_to_text_onnx_config,
                        OXP_TYPE_ONNX_SEQ2SEQ_CONFIG_WITH_PAST)

static GPtrArray *
oxp_audio_to_text_onnx_config_get_inputs (OxpOnnxConfig *config)
{
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  GPtrArray *inputs;

  /* optimum's merge_decoders() order, as for the text decoder. */
  if (_oxp_seq2seq_config_get_merged (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)))
    return merged_inputs (config);
  inputs = _oxp_spec_array_new ();
  switch (
      oxp_onnx_seq2seq_config_with_past_get_behavior (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (config)))
    {
    case OXP_CONFIG_BEHAVIOR_ENCODER:
      add_input_features (config, inputs);
      return inputs;
    case OXP_CONFIG_BEHAVIOR_DECODER:
      add_spec (inputs, "input_ids", OXP_DATA_TYPE_INT64, "batch_size,decoder_sequence_length");
      if (!past_in)
        add_hidden_states (config, inputs, "encoder_hidden_states");
      break;
    case OXP_CONFIG_BEHAVIOR_MONOLITH:
    default:
      add_input_features (config, inputs);
      add_spec (inputs, "decoder_input_ids", OXP_DATA_TYPE_INT64,
                "batch_size,decoder_sequence_length");
      break;
    }
  if (past_in)
    oxp_onnx_config_with_past_add_past_key_values (past, inputs, OXP_PAST_DIRECTION_INPUTS);
  return inputs;
}

static OxpNormalizedConfig *
oxp_audio_to_text_onnx_config_create_normalized_config (OxpOnnxConfig *config, JsonObject *json,
                                                        GError **error)
{
  OxpNormalizedConfig *nc = oxp_normalized_seq2seq_config_new (json);

  oxp_normalized_config_set_alias (nc, "feature_size", "num_mel_bins|feature_size");
  return nc;
}

static GPtrArray *
oxp_audio_to_text_onnx_config_create_dummy_input_generators (OxpOnnxConfig *config)
{
  const char *task = oxp_onnx_config_get_task (config);
  OxpNormalizedConfig *nc = oxp_onnx_config_get_normalized_config (config);
  GPtrArray *gens = new_generators ();

  g_ptr_array_add (gens, oxp_dummy_audio_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (task, nc));
  g_ptr_array_add (gens, oxp_dummy_seq2seq_past_key_values_generator_new (task, nc));
  return gens;
}

static void
oxp_audio_to_text_onnx_config_class_init (OxpAudioToTextOnnxConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->get_inputs = oxp_audio_to_text_onnx_config_get_inputs;
  config_class->create_normalized_config = oxp_audio_to_text_onnx_config_create_normalized_config;
  config_class->create_dummy_input_generators
      = oxp_audio_to_text_onnx_config_create_dummy_input_generators;
}

static void
oxp_audio_to_text_onnx_config_init (OxpAudioToTextOnnxConfig *self)
{
}
