/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gobject/gvaluecollector.h>
#include <oxport/oxport.h>

#include "oxp-graph-private.h"
#include "oxp-onnx-config-private.h"

/**
 * oxp_shapes_init_default:
 * @shapes: (out caller-allocates): the shapes to fill
 *
 * optimum's DEFAULT_DUMMY_SHAPES: batch 2, sequence 16, 4 choices, 64×64
 * images with 3 channels, 80 features × 3000 frames, 16000 audio samples;
 * past 16 and encoder 16 tokens; seed 42.
 */
void
oxp_shapes_init_default (OxpShapes *shapes)
{
  g_return_if_fail (shapes != NULL);

  memset (shapes, 0, sizeof *shapes);
  shapes->batch_size = 2;
  shapes->sequence_length = 16;
  shapes->past_sequence_length = 16;
  shapes->encoder_sequence_length = 16;
  shapes->num_choices = 4;
  shapes->width = 64;
  shapes->height = 64;
  shapes->num_channels = 3;
  shapes->feature_size = 80;
  shapes->nb_max_frames = 3000;
  shapes->audio_sequence_length = 16000;
  shapes->seed = 42;
}

static gint64
resolve_term (const OxpShapes *shapes, const char *term)
{
  static const struct
  {
    const char *name;
    gsize offset;
  } names[] = {
    { "batch_size", G_STRUCT_OFFSET (OxpShapes, batch_size) },
    { "text_batch_size", G_STRUCT_OFFSET (OxpShapes, batch_size) },
    { "image_batch_size", G_STRUCT_OFFSET (OxpShapes, batch_size) },
    { "sequence_length", G_STRUCT_OFFSET (OxpShapes, sequence_length) },
    { "decoder_sequence_length", G_STRUCT_OFFSET (OxpShapes, sequence_length) },
    { "past_sequence_length", G_STRUCT_OFFSET (OxpShapes, past_sequence_length) },
    { "past_decoder_sequence_length", G_STRUCT_OFFSET (OxpShapes, past_sequence_length) },
    { "encoder_sequence_length", G_STRUCT_OFFSET (OxpShapes, encoder_sequence_length) },
    { "encoder_sequence_length_out", G_STRUCT_OFFSET (OxpShapes, encoder_sequence_length) },
    { "num_choices", G_STRUCT_OFFSET (OxpShapes, num_choices) },
    { "width", G_STRUCT_OFFSET (OxpShapes, width) },
    { "height", G_STRUCT_OFFSET (OxpShapes, height) },
    { "num_channels", G_STRUCT_OFFSET (OxpShapes, num_channels) },
    { "feature_size", G_STRUCT_OFFSET (OxpShapes, feature_size) },
    { "nb_max_frames", G_STRUCT_OFFSET (OxpShapes, nb_max_frames) },
    { "audio_sequence_length", G_STRUCT_OFFSET (OxpShapes, audio_sequence_length) },
  };
  char *end = NULL;

  if (g_ascii_isdigit (*term))
    {
      gint64 v = g_ascii_strtoll (term, &end, 10);
      return (end && *end == '\0') ? v : -1;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i].name, term) == 0)
      return G_STRUCT_MEMBER (gint64, shapes, names[i].offset);
  return -1;
}

/**
 * oxp_shapes_resolve_dim:
 * @shapes: the requested sizes
 * @param: a symbolic dim, or a sum of them and numbers
 *
 * The size of one symbolic dim at @shapes: "batch_size", "sequence_length",
 * "past_sequence_length", "encoder_sequence_length", "num_choices", "width",
 * "height", "num_channels", "feature_size", "nb_max_frames",
 * "audio_sequence_length"; optimum's other names for them
 * ("decoder_sequence_length", "past_decoder_sequence_length",
 * "encoder_sequence_length_out", "text_batch_size", "image_batch_size"); and
 * sums of those and numbers ("past_sequence_length + sequence_length"), each
 * optionally divided or multiplied by a number ("encoder_sequence_length / 2").
 *
 * Returns: the size, or -1 when @param names an unknown dim
 */
gint64
oxp_shapes_resolve_dim (const OxpShapes *shapes, const char *param)
{
  g_auto (GStrv) terms = NULL;
  gint64 sum = 0;

  g_return_val_if_fail (shapes != NULL, -1);
  g_return_val_if_fail (param != NULL, -1);

  terms = g_strsplit (param, "+", -1);
  for (guint i = 0; terms[i] != NULL; i++)
    {
      /* A term is a size, optionally "/ N" or "* N" (whisper's encoder halves frames);
       * divisions round down, or up inside "ceil(...)" (a strided convolution
       * whose padding reads past the last frame keeps a partial window). */
      g_autofree char *term = g_strstrip (g_strdup (terms[i]));
      gboolean ceil_term = FALSE;
      g_auto (GStrv) factors = NULL;
      const char *ops;
      gint64 v;

      if (g_str_has_prefix (term, "ceil(") && g_str_has_suffix (term, ")"))
        {
          gsize len = strlen (term);

          memmove (term, term + strlen ("ceil("), len - strlen ("ceil("));
          term[len - strlen ("ceil(") - 1] = '\0';
          ceil_term = TRUE;
        }
      if (strchr (term, '(') != NULL || strchr (term, ')') != NULL)
        return -1;
      factors = g_strsplit_set (term, "*/", -1);
      ops = term;
      v = factors[0] ? resolve_term (shapes, g_strstrip (factors[0])) : -1;

      for (guint f = 1; v >= 0 && factors[f] != NULL; f++)
        {
          gint64 n = resolve_term (shapes, g_strstrip (factors[f]));
          ops = strpbrk (ops, "*/");
          if (n < 0 || ops == NULL || (*ops == '/' && n == 0))
            return -1;
          if (*ops == '*')
            v = v * n;
          else
            v = ceil_term ? (v + n - 1) / n : v / n;
          ops++;
        }
      if (v < 0)
        return -1;
      sum += v;
    }
  return sum;
}

/**
 * oxp_shapes_resolve_spec:
 * @shapes: the requested sizes
 * @spec: an input spec
 * @out_shape: (out caller-allocates) (array): room for the spec's rank
 * @error: return location for an error
 *
 * The concrete shape of @spec at @shapes: numbers stay, symbolic dims are
 * resolved with oxp_shapes_resolve_dim().  Fails with
 * %OXP_CONFIG_ERROR_INVALID_VALUE naming the tensor and the dim when a dim is
 * unknown or a name cannot be resolved.
 *
 * Returns: TRUE when every dim of @spec has a size
 */
gboolean
oxp_shapes_resolve_spec (const OxpShapes *shapes, const OxpTensorSpec *spec, gint64 *out_shape,
                         GError **error)
{
  guint rank;

  g_return_val_if_fail (shapes != NULL, FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);

  rank = oxp_tensor_spec_get_rank (spec);
  for (guint i = 0; i < rank; i++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, i);
      gint64 v = param ? oxp_shapes_resolve_dim (shapes, param)
                       : oxp_tensor_spec_get_dim_value (spec, i);
      if (v < 0)
        {
          g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                       "input '%s': dim %u (%s) has no size in the requested shapes",
                       oxp_tensor_spec_get_name (spec), i, param ? param : "unknown");
          return FALSE;
        }
      out_shape[i] = v;
    }
  return TRUE;
}

/* OxpOnnxConfig */

typedef struct
{
  char *task;
  OxpNormalizedConfig *normalized;
  guint opset;
  OxpDataType float_type;
  char *file_name;
  GError *deferred_error;
  OxpSentencePooling sentence_pooling;
  gboolean sentence_normalize;
  gboolean fixed;
  OxpShapes fixed_shapes;
} OxpOnnxConfigPrivate;

/**
 * OxpOnnxConfig:
 *
 * The export recipe for one architecture and task, optimum's OnnxConfig:
 * the task, the normalized view of config.json, the default and lowest
 * opset, the validation tolerance, the ordered inputs and outputs as
 * #OxpTensorSpec, the dummy-input generators, and the graph builder
 * (#OxpOnnxConfigClass.build_graph).  A plugin derives from one of the
 * middle-end classes (#OxpTextEncoderOnnxConfig, #OxpTextDecoderOnnxConfig,
 * #OxpTextSeq2SeqOnnxConfig, #OxpVisionOnnxConfig, …) and registers the
 * type for a model type with oxp_plugin_register_model(); the exporter
 * creates instances with oxp_onnx_config_new().
 */
G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (OxpOnnxConfig, oxp_onnx_config, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TASK,
  PROP_NORMALIZED_CONFIG,
  PROP_FILE_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean sentence_outputs_apply (OxpOnnxConfig *self);
static void sentence_outputs (OxpOnnxConfig *self, GPtrArray *specs);

GPtrArray *
_oxp_spec_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
}

void
_oxp_onnx_config_defer_error (OxpOnnxConfig *self, GError *error)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  if (priv->deferred_error == NULL)
    priv->deferred_error = error;
  else
    g_error_free (error);
}

/* The task → outputs table.  Braced dims are normalized-config integers. */
typedef struct
{
  const char *task;
  const char *name;
  const char *dims;
} OxpCommonOutput;

static const OxpCommonOutput common_outputs[] = {
  { "audio-classification", "logits", "batch_size,{num_labels}" },
  { "audio-frame-classification", "logits", "batch_size,sequence_length,{num_labels}" },
  { "audio-xvector", "logits", "batch_size,{num_labels}" },
  { "audio-xvector", "embeddings", "batch_size,{xvector_output_dim}" },
  { "automatic-speech-recognition", "logits", "batch_size,sequence_length,{vocab_size}" },
  { "depth-estimation", "predicted_depth", "batch_size,height,width" },
  { "document-question-answering", "logits", "batch_size,sequence_length,{vocab_size}" },
  { "feature-extraction", "last_hidden_state", "batch_size,sequence_length,{hidden_size}" },
  { "fill-mask", "logits", "batch_size,sequence_length,{vocab_size}" },
  { "image-classification", "logits", "batch_size,{num_labels}" },
  { "image-segmentation", "logits", "batch_size,?,height,width" },
  { "image-to-image", "reconstruction", "batch_size,num_channels,height,width" },
  { "image-to-text", "logits", "batch_size,sequence_length,{vocab_size}" },
  { "masked-im", "reconstruction", "batch_size,num_channels,height,width" },
  { "multiple-choice", "logits", "batch_size,num_choices" },
  { "object-detection", "logits", "batch_size,num_queries,?" },
  { "object-detection", "pred_boxes", "batch_size,num_queries,4" },
  { "question-answering", "start_logits", "batch_size,sequence_length" },
  { "question-answering", "end_logits", "batch_size,sequence_length" },
  { "semantic-segmentation", "logits", "batch_size,{num_labels},height,width" },
  { "text2text-generation", "logits", "batch_size,decoder_sequence_length,{vocab_size}" },
  { "text-classification", "logits", "batch_size,{num_labels}" },
  { "text-generation", "logits", "batch_size,sequence_length,{vocab_size}" },
  { "token-classification", "logits", "batch_size,sequence_length,{num_labels}" },
  { "visual-question-answering", "logits", "batch_size,sequence_length,{vocab_size}" },
  { "zero-shot-image-classification", "logits_per_image", "image_batch_size,text_batch_size" },
  { "zero-shot-image-classification", "logits_per_text", "text_batch_size,image_batch_size" },
  { "zero-shot-image-classification", "text_embeds", "text_batch_size,{projection_dim}" },
  { "zero-shot-image-classification", "image_embeds", "image_batch_size,{projection_dim}" },
};

/**
 * oxp_onnx_config_task_has_common_outputs:
 * @task: a canonical task name
 *
 * Whether the task → default outputs table (optimum's
 * _TASK_TO_COMMON_OUTPUTS) has an entry for @task, that is whether the
 * default #OxpOnnxConfigClass.get_outputs can serve it.
 *
 * Returns: whether the task → outputs table has @task
 */
gboolean
oxp_onnx_config_task_has_common_outputs (const char *task)
{
  g_return_val_if_fail (task != NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (common_outputs); i++)
    if (strcmp (common_outputs[i].task, task) == 0)
      return TRUE;
  return FALSE;
}

/* A spec from a table template: braced items are read with require_int. */
static OxpTensorSpec *
spec_from_template (OxpOnnxConfig *self, const char *name, const char *dims)
{
  g_auto (GStrv) items = g_strsplit (dims, ",", -1);
  guint rank = g_strv_length (items);
  OxpTensorSpec *spec = oxp_tensor_spec_new (name, OXP_DATA_TYPE_FLOAT, dims);

  for (guint i = 0; i < rank; i++)
    {
      gsize len = strlen (items[i]);
      if (len > 2 && items[i][0] == '{' && items[i][len - 1] == '}')
        {
          g_autofree char *key = g_strndup (items[i] + 1, len - 2);
          oxp_tensor_spec_set_dim_value (spec, i, oxp_onnx_config_require_int (self, key));
        }
    }
  return spec;
}

/**
 * oxp_onnx_config_get_common_outputs:
 * @self: a config
 *
 * The default outputs of the config's task, from the task → outputs table,
 * with concrete sizes from the normalized config (hidden_size, num_labels,
 * vocab_size): what #OxpOnnxConfigClass.get_outputs returns unless
 * overridden.  An unknown task gives an empty array and is recorded like a
 * missing key (see oxp_onnx_config_check()).
 *
 * Returns: (transfer container) (element-type OxpTensorSpec): the task's
 *   default outputs
 */
GPtrArray *
oxp_onnx_config_get_common_outputs (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;
  GPtrArray *outputs;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  priv = oxp_onnx_config_get_instance_private (self);

  outputs = _oxp_spec_array_new ();
  for (gsize i = 0; i < G_N_ELEMENTS (common_outputs); i++)
    if (g_strcmp0 (common_outputs[i].task, priv->task) == 0)
      g_ptr_array_add (outputs,
                       spec_from_template (self, common_outputs[i].name, common_outputs[i].dims));
  if (outputs->len == 0)
    _oxp_onnx_config_defer_error (
        self, g_error_new (OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_UNSUPPORTED_TASK,
                           "%s has no default outputs for task '%s'", G_OBJECT_TYPE_NAME (self),
                           priv->task ? priv->task : "(none)"));
  return outputs;
}

/* Default vfuncs. */

/**
 * OxpOnnxConfigClass::create_normalized_config:
 * @self: the config being constructed
 * @config: the checkpoint's config.json object
 * @error: return location for an error
 *
 * Makes the #OxpNormalizedConfig view of @config.  The middle-end classes
 * pick the variant (text, seq2seq, vision, text-and-vision); a plugin chains
 * up and adds its key aliases with oxp_normalized_config_set_aliases().
 * The default is an #OxpNormalizedTextConfig.
 *
 * Returns: (transfer full) (nullable): the view, or %NULL with @error set
 */
static OxpNormalizedConfig *
oxp_onnx_config_real_create_normalized_config (OxpOnnxConfig *self, JsonObject *config,
                                               GError **error)
{
  return oxp_normalized_text_config_new (config);
}

/**
 * OxpOnnxConfigClass::get_inputs:
 * @self: a config
 *
 * The ordered graph inputs for the config's task, use_past and behaviour.
 * Read sizes with oxp_onnx_config_require_int() so that a missing key makes
 * construction fail.  The default has none.
 *
 * Returns: (transfer full) (element-type OxpTensorSpec): a new array owning
 *   its specs (free func oxp_tensor_spec_unref())
 */
static GPtrArray *
oxp_onnx_config_real_get_inputs (OxpOnnxConfig *self)
{
  return _oxp_spec_array_new ();
}

/**
 * OxpOnnxConfigClass::get_outputs:
 * @self: a config
 *
 * The ordered graph outputs, with the same rules as get_inputs.  The
 * default is the task → outputs table, oxp_onnx_config_get_common_outputs().
 *
 * Returns: (transfer full) (element-type OxpTensorSpec): a new array owning
 *   its specs
 */
static GPtrArray *
oxp_onnx_config_real_get_outputs (OxpOnnxConfig *self)
{
  return oxp_onnx_config_get_common_outputs (self);
}

static GQuark
task_atol_quark (void)
{
  return g_quark_from_static_string ("oxp-onnx-config-task-atol");
}

/**
 * OxpOnnxConfigClass::get_atol:
 * @self: a config
 *
 * The validation tolerance for the config's task.  The default is the value
 * oxp_onnx_config_class_set_task_atol() set for the task in this class or
 * a parent, else #OxpOnnxConfigClass.atol.
 *
 * Returns: the absolute tolerance
 */
static double
oxp_onnx_config_real_get_atol (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  if (priv->task)
    for (GType t = G_OBJECT_TYPE (self); t != G_TYPE_OBJECT; t = g_type_parent (t))
      {
        GHashTable *table = g_type_get_qdata (t, task_atol_quark ());
        double *atol = table ? g_hash_table_lookup (table, priv->task) : NULL;
        if (atol)
          return *atol;
      }
  return OXP_ONNX_CONFIG_GET_CLASS (self)->atol;
}

/**
 * OxpOnnxConfigClass::create_dummy_input_generators:
 * @self: a config
 *
 * The generators able to produce every input the config declares; the first
 * that supports an input produces it.  The default is one
 * #OxpDummyTextInputGenerator.
 *
 * Returns: (transfer full) (element-type OxpDummyInputGenerator): a new
 *   array owning them (free func g_object_unref())
 */
static GPtrArray *
oxp_onnx_config_real_create_dummy_input_generators (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);
  GPtrArray *gens = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (gens, oxp_dummy_text_input_generator_new (priv->task, priv->normalized));
  return gens;
}

/**
 * OxpOnnxConfigClass::dup_submodels:
 * @self: a config
 *
 * The configs of the files one export writes, in writing order, each with
 * its file name.  The default is @self alone.
 *
 * Returns: (transfer full) (element-type OxpOnnxConfig): the configs
 */
static GPtrArray *
oxp_onnx_config_real_dup_submodels (OxpOnnxConfig *self)
{
  GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (models, g_object_ref (self));
  return models;
}

static gboolean
oxp_onnx_config_real_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                  GError **error)
{
  g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
               "%s does not implement build_graph", G_OBJECT_TYPE_NAME (self));
  return FALSE;
}

static void
oxp_onnx_config_finalize (GObject *object)
{
  OxpOnnxConfig *self = OXP_ONNX_CONFIG (object);
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  g_clear_pointer (&priv->task, g_free);
  g_clear_object (&priv->normalized);
  g_clear_pointer (&priv->file_name, g_free);
  g_clear_error (&priv->deferred_error);

  G_OBJECT_CLASS (oxp_onnx_config_parent_class)->finalize (object);
}

static void
oxp_onnx_config_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OxpOnnxConfig *self = OXP_ONNX_CONFIG (object);
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TASK:
      g_value_set_string (value, priv->task);
      break;
    case PROP_NORMALIZED_CONFIG:
      g_value_set_object (value, priv->normalized);
      break;
    case PROP_FILE_NAME:
      g_value_set_string (value, priv->file_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_config_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  OxpOnnxConfig *self = OXP_ONNX_CONFIG (object);
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_TASK:
      g_free (priv->task);
      priv->task = g_value_dup_string (value);
      break;
    case PROP_NORMALIZED_CONFIG:
      g_clear_object (&priv->normalized);
      priv->normalized = g_value_dup_object (value);
      break;
    case PROP_FILE_NAME:
      oxp_onnx_config_set_file_name (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_config_class_init (OxpOnnxConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = oxp_onnx_config_finalize;
  object_class->get_property = oxp_onnx_config_get_property;
  object_class->set_property = oxp_onnx_config_set_property;

  /* optimum's OnnxConfig defaults. */
  klass->default_opset = 14;
  klass->min_opset = 11;
  klass->atol = 1e-5;

  klass->create_normalized_config = oxp_onnx_config_real_create_normalized_config;
  klass->get_inputs = oxp_onnx_config_real_get_inputs;
  klass->get_outputs = oxp_onnx_config_real_get_outputs;
  klass->get_atol = oxp_onnx_config_real_get_atol;
  klass->create_dummy_input_generators = oxp_onnx_config_real_create_dummy_input_generators;
  klass->dup_submodels = oxp_onnx_config_real_dup_submodels;
  klass->build_graph = oxp_onnx_config_real_build_graph;

  /**
   * OxpOnnxConfig:task:
   *
   * The canonical task the config exports ("feature-extraction", …).
   */
  properties[PROP_TASK]
      = g_param_spec_string ("task", NULL, NULL, "feature-extraction",
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpOnnxConfig:normalized-config:
   *
   * The view of config.json the config reads its sizes from.
   */
  properties[PROP_NORMALIZED_CONFIG]
      = g_param_spec_object ("normalized-config", NULL, NULL, OXP_TYPE_NORMALIZED_CONFIG,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpOnnxConfig:file-name:
   *
   * The file the config's graph is written to.
   */
  properties[PROP_FILE_NAME]
      = g_param_spec_string ("file-name", NULL, NULL, "model.onnx",
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_onnx_config_init (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  priv->float_type = OXP_DATA_TYPE_FLOAT;
}

/**
 * oxp_onnx_config_class_set_task_atol:
 * @klass: a config class, in its class_init
 * @task: a canonical task name
 * @atol: the validation tolerance for @task
 *
 * Sets a per-task validation tolerance, for class_init:
 * oxp_onnx_config_get_atol() returns it for @task (subclasses inherit it)
 * before falling back on the class's #OxpOnnxConfigClass.atol.
 */
void
oxp_onnx_config_class_set_task_atol (OxpOnnxConfigClass *klass, const char *task, double atol)
{
  GType type;
  GHashTable *table;
  double *value;

  g_return_if_fail (OXP_IS_ONNX_CONFIG_CLASS (klass));
  g_return_if_fail (task != NULL);

  type = G_TYPE_FROM_CLASS (klass);
  table = g_type_get_qdata (type, task_atol_quark ());
  if (table == NULL)
    {
      /* Lives as long as the type, i.e. for the process. */
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_type_set_qdata (type, task_atol_quark (), table);
    }
  value = g_new (double, 1);
  *value = atol;
  g_hash_table_replace (table, g_strdup (task), value);
}

/**
 * oxp_onnx_config_new:
 * @config_type: a non-abstract subtype of #OxpOnnxConfig
 * @task: a canonical task name
 * @config: the checkpoint's config.json object
 * @error: return location for an error
 *
 * Creates the config, its normalized view of @config, and checks that
 * the inputs and outputs of @task can be computed from it.
 *
 * Returns: (transfer full) (nullable): the config, or NULL with @error set
 */
OxpOnnxConfig *
oxp_onnx_config_new (GType config_type, const char *task, JsonObject *config, GError **error)
{
  g_autoptr (OxpOnnxConfig) self = NULL;
  OxpOnnxConfigPrivate *priv;
  OxpNormalizedConfig *normalized;

  g_return_val_if_fail (g_type_is_a (config_type, OXP_TYPE_ONNX_CONFIG), NULL);
  g_return_val_if_fail (!G_TYPE_IS_ABSTRACT (config_type), NULL);
  g_return_val_if_fail (task != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (config_type, "task", task, NULL);
  priv = oxp_onnx_config_get_instance_private (self);
  if (priv->normalized == NULL)
    {
      normalized = OXP_ONNX_CONFIG_GET_CLASS (self)->create_normalized_config (self, config, error);
      if (normalized == NULL)
        return NULL;
      priv->normalized = normalized;
    }
  if (!oxp_onnx_config_check (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * oxp_onnx_config_check:
 * @self: a config
 * @error: return location for an error
 *
 * Computes the inputs and outputs once and reports the first missing or
 * invalid config value they needed (see oxp_onnx_config_require_int()), or
 * an unsupported task.  oxp_onnx_config_new() calls it; call it again after
 * oxp_onnx_config_copy() changed a property the specs depend on.
 *
 * Returns: TRUE when the inputs and outputs could be computed
 */
gboolean
oxp_onnx_config_check (OxpOnnxConfig *self, GError **error)
{
  OxpOnnxConfigPrivate *priv;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), FALSE);
  priv = oxp_onnx_config_get_instance_private (self);

  if (priv->normalized == NULL)
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_MISSING_KEY,
                   "%s has no normalized config", G_OBJECT_TYPE_NAME (self));
      return FALSE;
    }
  g_clear_error (&priv->deferred_error);
  inputs = oxp_onnx_config_get_inputs (self);
  outputs = oxp_onnx_config_get_outputs (self);
  if (priv->deferred_error)
    {
      g_propagate_error (error, g_steal_pointer (&priv->deferred_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * oxp_onnx_config_require_int:
 * @self: a config
 * @name: a common attribute name of the normalized config
 *
 * For #OxpOnnxConfigClass.get_inputs and get_outputs implementations: the
 * integer @name of the normalized config.  A missing or invalid value returns
 * 1 (a placeholder that keeps shapes valid) and is recorded;
 * oxp_onnx_config_check() and oxp_onnx_config_new() then fail with that
 * error, which names the key and the config.
 *
 * Returns: the value, or 1 after recording the error
 */
gint64
oxp_onnx_config_require_int (OxpOnnxConfig *self, const char *name)
{
  OxpOnnxConfigPrivate *priv;
  GError *error = NULL;
  gint64 value = 1;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), 1);
  g_return_val_if_fail (name != NULL, 1);
  priv = oxp_onnx_config_get_instance_private (self);

  if (priv->normalized == NULL)
    return 1;
  if (!oxp_normalized_config_get_int (priv->normalized, name, &value, &error))
    {
      _oxp_onnx_config_defer_error (self, error);
      return 1;
    }
  if (value < 0)
    {
      _oxp_onnx_config_defer_error (
          self, g_error_new (OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                             "%s: '%s' is %" G_GINT64_FORMAT ", expected a size >= 0",
                             oxp_normalized_config_get_source (priv->normalized), name, value));
      return 1;
    }
  return value;
}

/**
 * oxp_onnx_config_get_task:
 * @self: a config
 *
 * The canonical task the config exports (#OxpOnnxConfig:task):
 * "feature-extraction", "text-generation", … without "-with-past" (that is
 * #OxpOnnxConfigWithPast:use-past).
 *
 * Returns: (transfer none): the task
 */
const char *
oxp_onnx_config_get_task (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  priv = oxp_onnx_config_get_instance_private (self);
  return priv->task;
}

/**
 * oxp_onnx_config_get_normalized_config:
 * @self: a config
 *
 * The view of config.json made by #OxpOnnxConfigClass.create_normalized_config
 * at construction (#OxpOnnxConfig:normalized-config).
 *
 * Returns: (transfer none): the normalized view of config.json
 */
OxpNormalizedConfig *
oxp_onnx_config_get_normalized_config (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  priv = oxp_onnx_config_get_instance_private (self);
  return priv->normalized;
}

/**
 * oxp_onnx_config_get_model_type:
 * @self: a config
 *
 * The model type of the checkpoint the config was made for, from its
 * normalized config.
 *
 * Returns: (nullable): config.json's "model_type"
 */
const char *
oxp_onnx_config_get_model_type (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  priv = oxp_onnx_config_get_instance_private (self);
  return priv->normalized ? oxp_normalized_config_get_model_type (priv->normalized) : NULL;
}

/**
 * oxp_onnx_config_get_default_opset:
 * @self: a config
 *
 * The opset the export writes when the user asks for none, the class's
 * #OxpOnnxConfigClass.default_opset.
 *
 * Returns: the default opset
 */
guint
oxp_onnx_config_get_default_opset (OxpOnnxConfig *self)
{
  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), 0);
  return OXP_ONNX_CONFIG_GET_CLASS (self)->default_opset;
}

/**
 * oxp_onnx_config_get_min_opset:
 * @self: a config
 *
 * The lowest opset the config's graph can be written in, the class's
 * #OxpOnnxConfigClass.min_opset; oxp_onnx_config_set_opset() refuses lower.
 *
 * Returns: the minimum opset
 */
guint
oxp_onnx_config_get_min_opset (OxpOnnxConfig *self)
{
  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), 0);
  return OXP_ONNX_CONFIG_GET_CLASS (self)->min_opset;
}

/**
 * oxp_onnx_config_get_atol:
 * @self: a config
 *
 * The absolute tolerance the validator compares this config's outputs to the
 * reference with, from #OxpOnnxConfigClass.get_atol.
 *
 * Returns: the validation tolerance for the config's task
 */
double
oxp_onnx_config_get_atol (OxpOnnxConfig *self)
{
  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), 0.0);
  return OXP_ONNX_CONFIG_GET_CLASS (self)->get_atol (self);
}

/**
 * oxp_onnx_config_get_file_name:
 * @self: a config
 *
 * The file the config's graph is written to: "model.onnx",
 * "decoder_model.onnx", "encoder_model.onnx", …
 *
 * Returns: (transfer none): the file name
 */
const char *
oxp_onnx_config_get_file_name (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  priv = oxp_onnx_config_get_instance_private (self);
  return priv->file_name;
}

/**
 * oxp_onnx_config_set_file_name:
 * @self: a config
 * @file_name: (nullable): e.g. "decoder_model.onnx"; NULL for "model.onnx"
 *
 * Sets the file the config's graph is written to (#OxpOnnxConfig:file-name);
 * seq2seq and legacy decoder splits name each submodel's file this way.
 */
void
oxp_onnx_config_set_file_name (OxpOnnxConfig *self, const char *file_name)
{
  OxpOnnxConfigPrivate *priv;

  g_return_if_fail (OXP_IS_ONNX_CONFIG (self));
  priv = oxp_onnx_config_get_instance_private (self);
  if (file_name == NULL)
    file_name = "model.onnx";
  if (g_strcmp0 (priv->file_name, file_name) == 0)
    return;
  g_free (priv->file_name);
  priv->file_name = g_strdup (file_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE_NAME]);
}

/**
 * oxp_onnx_config_get_float_type:
 * @self: a config
 *
 * The element type float inputs and outputs are declared with.
 *
 * Returns: %OXP_DATA_TYPE_FLOAT, %OXP_DATA_TYPE_FLOAT16 or
 *   %OXP_DATA_TYPE_BFLOAT16
 */
OxpDataType
oxp_onnx_config_get_float_type (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), OXP_DATA_TYPE_FLOAT);
  priv = oxp_onnx_config_get_instance_private (self);
  return priv->float_type;
}

/**
 * oxp_onnx_config_set_float_type:
 * @self: a config
 * @dtype: FLOAT, FLOAT16 or BFLOAT16
 *
 * Sets the element type float inputs and outputs are declared with (FLOAT by
 * default; FLOAT16 or BFLOAT16 for a half-precision export).
 * oxp_onnx_config_get_inputs(), oxp_onnx_config_get_outputs() and the dummy
 * inputs follow it.
 */
void
oxp_onnx_config_set_float_type (OxpOnnxConfig *self, OxpDataType dtype)
{
  OxpOnnxConfigPrivate *priv;

  g_return_if_fail (OXP_IS_ONNX_CONFIG (self));
  g_return_if_fail (dtype == OXP_DATA_TYPE_FLOAT || dtype == OXP_DATA_TYPE_FLOAT16
                    || dtype == OXP_DATA_TYPE_BFLOAT16);
  priv = oxp_onnx_config_get_instance_private (self);
  priv->float_type = dtype;
}

/**
 * oxp_tensor_spec_new_fixed:
 * @spec: a spec
 * @shapes: the sizes of the symbolic dims
 * @error: return location for an error
 *
 * A copy of @spec with each symbolic dim replaced by its size at @shapes
 * (oxp_shapes_resolve_dim(), sums and quotients included).
 *
 * Returns: (transfer full) (nullable): @spec with fixed dims only (unknown
 *   dims stay unknown), or %NULL with @error set
 *   (%OXP_CONFIG_ERROR_INVALID_VALUE, naming the tensor and the dim) when a
 *   name has no size at @shapes
 */
OxpTensorSpec *
oxp_tensor_spec_new_fixed (const OxpTensorSpec *spec, const OxpShapes *shapes, GError **error)
{
  guint rank;
  OxpTensorSpec *fixed;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (shapes != NULL, NULL);

  rank = oxp_tensor_spec_get_rank (spec);
  fixed = oxp_tensor_spec_new_rank (oxp_tensor_spec_get_name (spec),
                                    oxp_tensor_spec_get_dtype (spec), rank);
  for (guint d = 0; d < rank; d++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, d);
      gint64 v = param != NULL ? oxp_shapes_resolve_dim (shapes, param)
                               : oxp_tensor_spec_get_dim_value (spec, d);

      if (param != NULL && v < 0)
        {
          g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE,
                       "'%s': dim %u (%s) has no size to be fixed at",
                       oxp_tensor_spec_get_name (spec), d, param);
          oxp_tensor_spec_unref (fixed);
          return NULL;
        }
      if (v >= 0)
        oxp_tensor_spec_set_dim_value (fixed, d, v);
    }
  return fixed;
}

/* Fixes the dims of @specs (in place) when the config has fixed shapes; a
 * dim without a size stays symbolic, and the writer's check of the graph
 * against these specs reports it. */
static void
apply_fixed_shapes (OxpOnnxConfig *self, GPtrArray *specs)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  if (!priv->fixed)
    return;
  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      OxpTensorSpec *fixed = oxp_tensor_spec_new_fixed (spec, &priv->fixed_shapes, NULL);

      if (fixed == NULL)
        continue;
      specs->pdata[i] = fixed;
      oxp_tensor_spec_unref (spec);
    }
}

/**
 * oxp_onnx_config_set_fixed_shapes:
 * @self: a config
 * @shapes: (nullable): the sizes the dims are fixed at, or %NULL for symbolic dims
 *
 * Fixed dims (optimum's `--no-dynamic-axes`): once set, every symbolic dim
 * of oxp_onnx_config_get_inputs() and oxp_onnx_config_get_outputs() is its
 * size at @shapes, so that dummy inputs and the validator's checks see the
 * file's fixed dims.  oxp_onnx_config_copy() keeps them.
 */
void
oxp_onnx_config_set_fixed_shapes (OxpOnnxConfig *self, const OxpShapes *shapes)
{
  OxpOnnxConfigPrivate *priv;

  g_return_if_fail (OXP_IS_ONNX_CONFIG (self));
  priv = oxp_onnx_config_get_instance_private (self);
  priv->fixed = shapes != NULL;
  if (shapes != NULL)
    priv->fixed_shapes = *shapes;
}

/**
 * oxp_onnx_config_get_fixed_shapes:
 * @self: a config
 * @shapes: (out caller-allocates) (optional): receives the sizes
 *
 * Whether oxp_onnx_config_set_fixed_shapes() fixed the config's dims, and at
 * which sizes.
 *
 * Returns: whether the config's dims are fixed
 */
gboolean
oxp_onnx_config_get_fixed_shapes (OxpOnnxConfig *self, OxpShapes *shapes)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), FALSE);
  priv = oxp_onnx_config_get_instance_private (self);
  if (priv->fixed && shapes != NULL)
    *shapes = priv->fixed_shapes;
  return priv->fixed;
}

/**
 * oxp_onnx_config_get_opset:
 * @self: a config
 *
 * The ONNX opset (ai.onnx domain) the export writes.
 *
 * Returns: the opset set with oxp_onnx_config_set_opset(), else the default
 */
guint
oxp_onnx_config_get_opset (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), 0);
  priv = oxp_onnx_config_get_instance_private (self);
  return priv->opset ? priv->opset : OXP_ONNX_CONFIG_GET_CLASS (self)->default_opset;
}

/**
 * oxp_onnx_config_set_opset:
 * @self: a config
 * @opset: the opset to export with; 0 for the default
 * @error: return location for an error
 *
 * Sets the ONNX opset to export with, checked against the class's
 * #OxpOnnxConfigClass.min_opset (the exporter checks the highest opset
 * oxport writes, %OXP_EXPORTER_MAX_OPSET).
 *
 * Returns: FALSE (OXP_EXPORT_ERROR_OPSET) when @opset is below the
 *   config's min_opset
 */
gboolean
oxp_onnx_config_set_opset (OxpOnnxConfig *self, guint opset, GError **error)
{
  OxpOnnxConfigPrivate *priv;
  guint min_opset;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), FALSE);
  priv = oxp_onnx_config_get_instance_private (self);

  min_opset = OXP_ONNX_CONFIG_GET_CLASS (self)->min_opset;
  if (opset != 0 && opset < min_opset)
    {
      const char *model_type = oxp_onnx_config_get_model_type (self);
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_OPSET,
                   "opset %u is too old for %s (model type '%s', task '%s'): it needs opset %u "
                   "or newer",
                   opset, G_OBJECT_TYPE_NAME (self), model_type ? model_type : "unknown",
                   priv->task, min_opset);
      return FALSE;
    }
  priv->opset = opset;
  return TRUE;
}

/* Declares FLOAT specs of @specs as @float_type (in place, copies when shared). */
static void
apply_float_type (GPtrArray *specs, OxpDataType float_type)
{
  if (float_type == OXP_DATA_TYPE_FLOAT)
    return;
  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      OxpTensorSpec *copy;
      g_autofree char *dims = NULL;

      if (oxp_tensor_spec_get_dtype (spec) != OXP_DATA_TYPE_FLOAT)
        continue;
      dims = oxp_tensor_spec_dims_to_string (spec);
      copy = oxp_tensor_spec_new_rank (oxp_tensor_spec_get_name (spec), float_type,
                                       oxp_tensor_spec_get_rank (spec));
      for (guint d = 0; d < oxp_tensor_spec_get_rank (spec); d++)
        {
          const char *param = oxp_tensor_spec_get_dim_param (spec, d);
          if (param)
            oxp_tensor_spec_set_dim_param (copy, d, param);
          else
            oxp_tensor_spec_set_dim_value (copy, d, oxp_tensor_spec_get_dim_value (spec, d));
        }
      /* The array's free func drops the old spec. */
      specs->pdata[i] = copy;
      oxp_tensor_spec_unref (spec);
    }
}

/* Make sure the array owns its specs whatever the vfunc returned. */
static GPtrArray *
own_specs (GPtrArray *specs)
{
  GPtrArray *owned;

  if (specs == NULL)
    return _oxp_spec_array_new ();
  owned = _oxp_spec_array_new ();
  for (guint i = 0; i < specs->len; i++)
    g_ptr_array_add (owned, oxp_tensor_spec_ref (g_ptr_array_index (specs, i)));
  g_ptr_array_unref (specs);
  return owned;
}

/**
 * oxp_onnx_config_get_inputs:
 * @self: a config
 *
 * The graph inputs, in order, from #OxpOnnxConfigClass.get_inputs: names,
 * element types and symbolic dims, which depend on the task, use_past and
 * the behaviour.  The specs are shared: do not change them.
 *
 * Returns: (transfer container) (element-type OxpTensorSpec): the ordered
 *   inputs, float ones in the config's float type
 */
GPtrArray *
oxp_onnx_config_get_inputs (OxpOnnxConfig *self)
{
  GPtrArray *specs;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  specs = own_specs (OXP_ONNX_CONFIG_GET_CLASS (self)->get_inputs (self));
  apply_float_type (specs, oxp_onnx_config_get_float_type (self));
  apply_fixed_shapes (self, specs);
  return specs;
}

/**
 * oxp_onnx_config_get_outputs:
 * @self: a config
 *
 * The graph outputs, in order, from #OxpOnnxConfigClass.get_outputs; the
 * specs are shared.
 *
 * Returns: (transfer container) (element-type OxpTensorSpec): the ordered
 *   outputs, float ones in the config's float type
 */
GPtrArray *
oxp_onnx_config_get_outputs (OxpOnnxConfig *self)
{
  GPtrArray *specs;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  specs = own_specs (OXP_ONNX_CONFIG_GET_CLASS (self)->get_outputs (self));
  if (sentence_outputs_apply (self))
    sentence_outputs (self, specs);
  apply_float_type (specs, oxp_onnx_config_get_float_type (self));
  apply_fixed_shapes (self, specs);
  return specs;
}

/**
 * oxp_onnx_config_dup_submodels:
 * @self: a config
 *
 * The configs of the files one export writes, from
 * #OxpOnnxConfigClass.dup_submodels: @self alone for an encoder, encoder and
 * decoders for seq2seq, and the three legacy decoder files with `--legacy`.
 * Each has its own file name.
 *
 * Returns: (transfer full) (element-type OxpOnnxConfig): the configs of
 *   the files one export writes, in writing order
 */
GPtrArray *
oxp_onnx_config_dup_submodels (OxpOnnxConfig *self)
{
  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  return OXP_ONNX_CONFIG_GET_CLASS (self)->dup_submodels (self);
}

/**
 * oxp_onnx_config_generate_dummy_inputs:
 * @self: a config
 * @shapes: the sizes to generate for
 * @error: return location for an error
 *
 * Generates one tensor for each declared input at @shapes, in input order,
 * with the first of the config's dummy input generators that supports each
 * input.  Fails (%OXP_CONFIG_ERROR_INVALID_VALUE) when no generator supports
 * an input, or with the generator's error.
 *
 * Returns: (transfer full) (element-type OxpTensor) (nullable): one tensor
 *   per input, in input order
 */
GPtrArray *
oxp_onnx_config_generate_dummy_inputs (OxpOnnxConfig *self, const OxpShapes *shapes, GError **error)
{
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) generators = NULL;
  g_autoptr (GPtrArray) tensors = NULL;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  g_return_val_if_fail (shapes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  inputs = oxp_onnx_config_get_inputs (self);
  generators = OXP_ONNX_CONFIG_GET_CLASS (self)->create_dummy_input_generators (self);
  tensors = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);

  for (guint i = 0; i < inputs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (inputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);
      OxpDummyInputGenerator *gen = NULL;
      OxpTensor *tensor;

      for (guint g = 0; generators && g < generators->len && gen == NULL; g++)
        if (oxp_dummy_input_generator_supports_input (g_ptr_array_index (generators, g), name))
          gen = g_ptr_array_index (generators, g);
      if (gen == NULL)
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                       "no dummy input generator of %s produces input '%s'",
                       G_OBJECT_TYPE_NAME (self), name);
          return NULL;
        }
      tensor = oxp_dummy_input_generator_generate (gen, spec, shapes, error);
      if (tensor == NULL)
        return NULL;
      g_ptr_array_add (tensors, tensor);
    }
  return g_steal_pointer (&tensors);
}

/* Whether the sentence-transformers outputs replace last_hidden_state. */
static gboolean
sentence_outputs_apply (OxpOnnxConfig *self)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);

  return priv->sentence_pooling != OXP_SENTENCE_POOLING_NONE
         && g_strcmp0 (priv->task, "feature-extraction") == 0;
}

/* last_hidden_state → token_embeddings, then sentence_embedding. */
static void
sentence_outputs (OxpOnnxConfig *self, GPtrArray *specs)
{
  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);

      if (g_str_equal (oxp_tensor_spec_get_name (spec), "last_hidden_state"))
        {
          specs->pdata[i] = oxp_tensor_spec_copy_renamed (spec, "token_embeddings");
          oxp_tensor_spec_unref (spec);
        }
    }
  g_ptr_array_add (specs,
                   spec_from_template (self, "sentence_embedding", "batch_size,{hidden_size}"));
}

/**
 * oxp_onnx_config_set_sentence_pooling:
 * @self: a config
 * @pooling: the pooling, or %OXP_SENTENCE_POOLING_NONE for the plain export
 * @normalize: L2-normalise the sentence embedding
 *
 * Makes a feature-extraction export a sentence-transformers one.
 */
void
oxp_onnx_config_set_sentence_pooling (OxpOnnxConfig *self, OxpSentencePooling pooling,
                                      gboolean normalize)
{
  OxpOnnxConfigPrivate *priv;

  g_return_if_fail (OXP_IS_ONNX_CONFIG (self));
  g_return_if_fail (pooling <= OXP_SENTENCE_POOLING_MAX);
  priv = oxp_onnx_config_get_instance_private (self);
  priv->sentence_pooling = pooling;
  priv->sentence_normalize = pooling != OXP_SENTENCE_POOLING_NONE && normalize;
}

/**
 * oxp_onnx_config_get_sentence_pooling:
 * @self: a config
 * @normalize: (out) (optional): whether the embedding is L2-normalised
 *
 * The pooling set by oxp_onnx_config_set_sentence_pooling() or
 * oxp_onnx_config_read_sentence_transformers().
 *
 * Returns: the sentence-transformers pooling, or %OXP_SENTENCE_POOLING_NONE
 */
OxpSentencePooling
oxp_onnx_config_get_sentence_pooling (OxpOnnxConfig *self, gboolean *normalize)
{
  OxpOnnxConfigPrivate *priv;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), OXP_SENTENCE_POOLING_NONE);
  priv = oxp_onnx_config_get_instance_private (self);
  if (normalize != NULL)
    *normalize = priv->sentence_normalize;
  return priv->sentence_pooling;
}

static gboolean st_unsupported (GError **error, const char *file, const char *format, ...)
    G_GNUC_PRINTF (3, 4);

static gboolean
st_unsupported (GError **error, const char *file, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED, "%s: %s", file, message);
  return FALSE;
}

static JsonNode *
st_parse (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!json_parser_load_from_mapped_file (parser, path, &local))
    {
      g_set_error (error, OXP_CONFIG_ERROR, OXP_CONFIG_ERROR_INVALID_VALUE, "%s: %s", path,
                   local->message);
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

/* The mode of a Pooling module's config.json (sentence-transformers'
 * Pooling: pooling_mode_{cls,mean,max}_tokens flags, or "pooling_mode"). */
static gboolean
st_read_pooling (const char *path, OxpSentencePooling *pooling, GError **error)
{
  static const struct
  {
    const char *key, *mode;
    OxpSentencePooling pooling;
  } modes[] = {
    { "pooling_mode_mean_tokens", "mean", OXP_SENTENCE_POOLING_MEAN },
    { "pooling_mode_cls_token", "cls", OXP_SENTENCE_POOLING_CLS },
    { "pooling_mode_max_tokens", "max", OXP_SENTENCE_POOLING_MAX },
  };
  static const char *const others[]
      = { "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens",
          "pooling_mode_lasttoken", NULL };
  g_autoptr (JsonNode) root = st_parse (path, error);
  JsonObject *o;
  guint n = 0;

  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return st_unsupported (error, path, "not a JSON object");
  o = json_node_get_object (root);
  if (json_object_has_member (o, "pooling_mode"))
    {
      const char *mode = json_object_get_string_member_with_default (o, "pooling_mode", "");
      for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
        if (g_str_equal (mode, modes[i].mode))
          {
            *pooling = modes[i].pooling;
            return TRUE;
          }
      return st_unsupported (error, path, "pooling_mode “%s” is not supported (mean, cls, max)",
                             mode);
    }
  for (guint i = 0; others[i] != NULL; i++)
    if (json_object_get_boolean_member_with_default (o, others[i], FALSE))
      return st_unsupported (error, path, "%s is not supported (mean, cls or max pooling only)",
                             others[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    if (json_object_get_boolean_member_with_default (o, modes[i].key, FALSE))
      {
        *pooling = modes[i].pooling;
        n++;
      }
  if (n != 1)
    return st_unsupported (error, path,
                           "exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token and "
                           "pooling_mode_max_tokens must be true (%u are)",
                           n);
  return TRUE;
}

/**
 * oxp_onnx_config_read_sentence_transformers:
 * @self: a config
 * @dir: a model folder
 * @found: (out) (optional): whether @dir holds a modules.json
 * @error: return location for an error
 *
 * Reads @dir's sentence-transformers modules (Transformer, Pooling,
 * optional Normalize) and sets the config's sentence pooling from them.
 *
 * Returns: FALSE with @error set when the modules cannot be exported
 */
gboolean
oxp_onnx_config_read_sentence_transformers (OxpOnnxConfig *self, const char *dir, gboolean *found,
                                            GError **error)
{
  g_autofree char *modules_path = NULL;
  g_autoptr (JsonNode) root = NULL;
  OxpSentencePooling pooling = OXP_SENTENCE_POOLING_NONE;
  gboolean normalize = FALSE, transformer = FALSE;
  JsonArray *modules;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);

  if (found != NULL)
    *found = FALSE;
  modules_path = g_build_filename (dir, "modules.json", NULL);
  if (!g_file_test (modules_path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  if ((root = st_parse (modules_path, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return st_unsupported (error, modules_path, "not a JSON list of modules");
  modules = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (modules); i++)
    {
      JsonNode *node = json_array_get_element (modules, i);
      JsonObject *m = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *type = m ? json_object_get_string_member_with_default (m, "type", "") : "";
      const char *path = m ? json_object_get_string_member_with_default (m, "path", "") : "";
      const char *cls = strrchr (type, '.') ? strrchr (type, '.') + 1 : type;

      if (g_str_equal (cls, "Transformer") && i == 0)
        transformer = TRUE;
      else if (g_str_equal (cls, "Pooling") && pooling == OXP_SENTENCE_POOLING_NONE && transformer)
        {
          g_autofree char *config_path = NULL;

          if (path[0] == '\0' || strstr (path, "..") != NULL || g_path_is_absolute (path))
            return st_unsupported (error, modules_path,
                                   "module %u (Pooling) has path “%s”, expected a subfolder", i,
                                   path);
          config_path = g_build_filename (dir, path, "config.json", NULL);
          if (!st_read_pooling (config_path, &pooling, error))
            return FALSE;
        }
      else if (g_str_equal (cls, "Normalize") && pooling != OXP_SENTENCE_POOLING_NONE && !normalize)
        normalize = TRUE;
      else
        return st_unsupported (error, modules_path,
                               "module %u has type “%s”: only Transformer, then Pooling, then an "
                               "optional Normalize can be exported",
                               i, type);
    }
  if (pooling == OXP_SENTENCE_POOLING_NONE)
    return st_unsupported (error, modules_path, "no Pooling module after the Transformer");
  oxp_onnx_config_set_sentence_pooling (self, pooling, normalize);
  if (found != NULL)
    *found = TRUE;
  return TRUE;
}

/* The plugin bound last_hidden_state: it becomes token_embeddings, and the
 * pooled sentence_embedding is added. */
static gboolean
add_sentence_embedding (OxpOnnxConfig *self, OxpGraph *graph, GError **error)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);
  g_autoptr (OxpTensorSpec) spec = NULL;
  const char *x;

  if (!_oxp_graph_rename_output (graph, "last_hidden_state", "token_embeddings", error))
    return FALSE;
  spec = spec_from_template (self, "sentence_embedding", "batch_size,{hidden_size}");
  if (priv->deferred_error)
    {
      g_propagate_error (error, g_steal_pointer (&priv->deferred_error));
      return FALSE;
    }
  {
    g_autoptr (GPtrArray) specs = _oxp_spec_array_new ();

    g_ptr_array_add (specs, g_steal_pointer (&spec));
    apply_float_type (specs, oxp_graph_get_float_type (graph));
    oxp_graph_add_output (graph, g_ptr_array_index (specs, 0));
  }
  oxp_graph_push_scope (graph, "pooling");
  switch (priv->sentence_pooling)
    {
    case OXP_SENTENCE_POOLING_CLS:
      x = oxp_block_select_token (graph, "token_embeddings", 0);
      break;
    case OXP_SENTENCE_POOLING_MAX:
      x = oxp_block_masked_max_pool (graph, "token_embeddings", "attention_mask");
      break;
    default:
      x = oxp_block_masked_mean_pool (graph, "token_embeddings", "attention_mask");
      break;
    }
  if (priv->sentence_normalize)
    x = oxp_block_l2_normalize (graph, x, 1e-12);
  oxp_graph_pop_scope (graph);
  return oxp_graph_bind_output (graph, "sentence_embedding", x, error);
}

/**
 * oxp_onnx_config_build_graph:
 * @self: a config
 * @graph: an empty graph
 * @checkpoint: (nullable): the weights
 * @error: return location for an error
 *
 * Declares the config's inputs and outputs on @graph (float specs in the
 * graph's float type), calls the build_graph vfunc, then oxp_graph_check().
 *
 * Returns: TRUE when the graph is complete and consistent
 */
gboolean
oxp_onnx_config_build_graph (OxpOnnxConfig *self, OxpGraph *graph, OxpCheckpoint *checkpoint,
                             GError **error)
{
  OxpOnnxConfigPrivate *priv;
  OxpDataType float_type;
  g_autoptr (GPtrArray) inputs = NULL;
  g_autoptr (GPtrArray) outputs = NULL;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), FALSE);
  g_return_val_if_fail (OXP_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  priv = oxp_onnx_config_get_instance_private (self);

  g_clear_error (&priv->deferred_error);
  float_type = oxp_graph_get_float_type (graph);
  inputs = own_specs (OXP_ONNX_CONFIG_GET_CLASS (self)->get_inputs (self));
  outputs = own_specs (OXP_ONNX_CONFIG_GET_CLASS (self)->get_outputs (self));
  if (priv->deferred_error)
    {
      g_propagate_error (error, g_steal_pointer (&priv->deferred_error));
      return FALSE;
    }
  apply_float_type (inputs, float_type);
  apply_float_type (outputs, float_type);

  for (guint i = 0; i < inputs->len; i++)
    oxp_graph_add_input (graph, g_ptr_array_index (inputs, i));
  for (guint i = 0; i < outputs->len; i++)
    oxp_graph_add_output (graph, g_ptr_array_index (outputs, i));

  /* The merged decoder is the core's: an If whose branches the plugin builds. */
  if ((OXP_IS_TEXT_DECODER_ONNX_CONFIG (self)
       && _oxp_text_decoder_onnx_config_get_merged (OXP_TEXT_DECODER_ONNX_CONFIG (self)))
      || (OXP_IS_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self)
          && _oxp_seq2seq_config_get_merged (OXP_ONNX_SEQ2SEQ_CONFIG_WITH_PAST (self))))
    {
      if (!_oxp_text_decoder_onnx_config_build_merged (self, graph, checkpoint, error))
        return FALSE;
    }
  else if (!OXP_ONNX_CONFIG_GET_CLASS (self)->build_graph (self, graph, checkpoint, error))
    return FALSE;
  if (sentence_outputs_apply (self) && !add_sentence_embedding (self, graph, error))
    return FALSE;
  return oxp_graph_check (graph, error);
}

/* An If branch: @branch (a subgraph) declares @self's outputs only (the
 * inputs are the enclosing graph's), then the build_graph vfunc fills it. */
gboolean
_oxp_onnx_config_build_branch (OxpOnnxConfig *self, OxpGraph *branch, OxpCheckpoint *checkpoint,
                               GError **error)
{
  OxpOnnxConfigPrivate *priv = oxp_onnx_config_get_instance_private (self);
  g_autoptr (GPtrArray) outputs = NULL;

  g_clear_error (&priv->deferred_error);
  outputs = own_specs (OXP_ONNX_CONFIG_GET_CLASS (self)->get_outputs (self));
  if (priv->deferred_error)
    {
      g_propagate_error (error, g_steal_pointer (&priv->deferred_error));
      return FALSE;
    }
  apply_float_type (outputs, oxp_graph_get_float_type (branch));
  for (guint i = 0; i < outputs->len; i++)
    oxp_graph_add_output (branch, g_ptr_array_index (outputs, i));
  return OXP_ONNX_CONFIG_GET_CLASS (self)->build_graph (self, branch, checkpoint, error);
}

/**
 * oxp_onnx_config_copy:
 * @self: a config
 * @first_property_name: (nullable): the first property to change, or NULL
 * @...: its value, then more name/value pairs, NULL-terminated
 *
 * A new instance of the same type sharing task, normalized config, opset,
 * float type, file name and every other read-write property, with the
 * %NULL-terminated property/value pairs given changed:
 * `oxp_onnx_config_copy (self, "use-past", TRUE, NULL)`.  How submodels are
 * derived from one config.
 *
 * Returns: (transfer full): a new config of the same type
 */
OxpOnnxConfig *
oxp_onnx_config_copy (OxpOnnxConfig *self, const char *first_property_name, ...)
{
  OxpOnnxConfigPrivate *priv, *copy_priv;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  GObjectClass *klass;
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs = 0;
  const char *name;
  OxpOnnxConfig *copy;
  va_list ap;

  g_return_val_if_fail (OXP_IS_ONNX_CONFIG (self), NULL);
  priv = oxp_onnx_config_get_instance_private (self);
  klass = G_OBJECT_GET_CLASS (self);
  g_array_set_clear_func (values, (GDestroyNotify)g_value_unset);

  /* The changes first, collected with the types the class declares. */
  va_start (ap, first_property_name);
  for (name = first_property_name; name != NULL; name = va_arg (ap, const char *))
    {
      GParamSpec *pspec = g_object_class_find_property (klass, name);
      GValue value = G_VALUE_INIT;
      g_autofree char *err = NULL;

      if (pspec == NULL)
        {
          g_critical ("%s: %s has no property '%s'", G_STRFUNC, G_OBJECT_TYPE_NAME (self), name);
          break;
        }
      G_VALUE_COLLECT_INIT (&value, pspec->value_type, ap, 0, &err);
      if (err)
        {
          g_critical ("%s: %s", G_STRFUNC, err);
          g_value_unset (&value);
          break;
        }
      g_ptr_array_add (names, (gpointer)pspec->name);
      g_array_append_val (values, value);
    }
  va_end (ap);

  /* Then every other read-write property as it is on @self. */
  pspecs = g_object_class_list_properties (klass, &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      GValue value = G_VALUE_INIT;
      gboolean given = FALSE;

      if ((pspec->flags & (G_PARAM_READABLE | G_PARAM_WRITABLE))
          != (G_PARAM_READABLE | G_PARAM_WRITABLE))
        continue;
      for (guint j = 0; j < names->len && !given; j++)
        given = strcmp (g_ptr_array_index (names, j), pspec->name) == 0;
      if (given)
        continue;
      g_value_init (&value, pspec->value_type);
      g_object_get_property (G_OBJECT (self), pspec->name, &value);
      g_ptr_array_add (names, (gpointer)pspec->name);
      g_array_append_val (values, value);
    }

  copy = (OxpOnnxConfig *)g_object_new_with_properties (
      G_OBJECT_TYPE (self), names->len, (const char **)names->pdata, (const GValue *)values->data);
  copy_priv = oxp_onnx_config_get_instance_private (copy);
  copy_priv->opset = priv->opset;
  copy_priv->float_type = priv->float_type;
  copy_priv->fixed = priv->fixed;
  copy_priv->fixed_shapes = priv->fixed_shapes;
  return copy;
}

/**
 * oxp_onnx_config_flatten_output_name:
 * @name: a collection name ("present")
 * @index: the element's index
 * @leaf: (nullable): the element's field ("key"), or NULL
 *
 * Names one element of an output collection as optimum's
 * flatten_output_collection_property does: ("present", 3, "key") →
 * "present.3.key".
 *
 * Returns: (transfer full): "name.index.leaf" or "name.index"
 */
char *
oxp_onnx_config_flatten_output_name (const char *name, guint index, const char *leaf)
{
  g_return_val_if_fail (name != NULL, NULL);
  if (leaf == NULL || *leaf == '\0')
    return g_strdup_printf ("%s.%u", name, index);
  return g_strdup_printf ("%s.%u.%s", name, index, leaf);
}

/**
 * oxp_onnx_config_needs_external_data:
 * @n_parameters: number of fp32 parameters
 *
 * Whether a model of @n_parameters fp32 parameters must put its weights in
 * an external-data file: protobuf cannot serialise a message of 2 GiB or
 * more.
 *
 * Returns: whether 4 × @n_parameters bytes reach protobuf's 2 GiB limit
 *   (optimum's check)
 */
gboolean
oxp_onnx_config_needs_external_data (guint64 n_parameters)
{
  const guint64 limit = G_GUINT64_CONSTANT (2) * 1024 * 1024 * 1024;
  if (n_parameters > G_MAXUINT64 / 4)
    return TRUE;
  return n_parameters * 4 >= limit;
}
