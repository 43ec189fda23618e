/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <oxport/oxp-types.h>
#include <oxport/oxp-normalized-config.h>
#include <oxport/oxp-tensor-spec.h>
#include <oxport/oxp-tensor.h>

G_BEGIN_DECLS

/**
 * OxpShapes:
 * @batch_size: rows of every input ("batch_size")
 * @sequence_length: tokens of the current step ("sequence_length")
 * @past_sequence_length: tokens already in the cache ("past_sequence_length")
 * @encoder_sequence_length: tokens of the encoder input of a seq2seq decoder
 * @num_choices: choices of a multiple-choice input
 * @width: image width in pixels
 * @height: image height in pixels
 * @num_channels: image channels
 * @feature_size: mel bins of audio input_features
 * @nb_max_frames: frames of audio input_features
 * @audio_sequence_length: samples of raw audio input_values
 * @seed: seed of the pseudo-random values; equal shapes and seed give equal
 *   tensors
 *
 * The sizes dummy inputs are generated for (optimum's DEFAULT_DUMMY_SHAPES).
 * Initialise with oxp_shapes_init_default(), then change what you need.
 *
 * Each size is what a symbolic dim of the same name resolves to (see
 * oxp_shapes_resolve_dim()); the validator runs every model at two shape
 * sets that differ from each other and from any default.
 */
typedef struct {
  gint64 batch_size;
  gint64 sequence_length;
  gint64 past_sequence_length;
  gint64 encoder_sequence_length;
  gint64 num_choices;
  gint64 width;
  gint64 height;
  gint64 num_channels;
  gint64 feature_size;
  gint64 nb_max_frames;
  gint64 audio_sequence_length;
  guint32 seed;
  /*< private >*/
  gint64 _oxp_reserved[8];
} OxpShapes;

OXP_API void oxp_shapes_init_default (OxpShapes *shapes);

/* The size of one symbolic dim at @shapes: "batch_size", "sequence_length",
 * "past_sequence_length", "encoder_sequence_length", "num_choices", "width",
 * "height", "num_channels", "feature_size", "nb_max_frames",
 * "audio_sequence_length"; optimum's other names for them
 * ("decoder_sequence_length", "past_decoder_sequence_length",
 * "encoder_sequence_length_out", "text_batch_size", "image_batch_size");
 * and sums of those and numbers ("past_sequence_length + sequence_length"),
 * each optionally divided or multiplied by a number ("encoder_sequence_length / 2",
 * rounded down; "ceil(encoder_sequence_length / 2)", rounded up).
 * Returns -1 for a name it does not know. */
OXP_API gint64   oxp_shapes_resolve_dim (const OxpShapes *shapes, const char *param);
/* Concrete shape of @spec at @shapes (oxp_tensor_spec_get_rank() values);
 * fails with OXP_CONFIG_ERROR_INVALID_VALUE naming the tensor and the dim
 * when a dim is unknown or a name cannot be resolved. */
OXP_API gboolean oxp_shapes_resolve_spec (const OxpShapes     *shapes,
                                          const OxpTensorSpec *spec,
                                          gint64              *out_shape,
                                          GError             **error);

#define OXP_TYPE_ONNX_CONFIG (oxp_onnx_config_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpOnnxConfig, oxp_onnx_config, OXP, ONNX_CONFIG, GObject)

/**
 * OxpOnnxConfigClass:
 * @default_opset: opset written when the user asks for none (set in
 *   class_init; 14 unless changed)
 * @min_opset: lowest opset the graph can be written in (11 unless changed)
 * @atol: default validation tolerance (1e-5 unless changed; per-task values
 *   with oxp_onnx_config_class_set_task_atol())
 * @create_normalized_config: the #OxpNormalizedConfig view of config.json
 *   (middle-end classes pick the variant; plugins add key aliases)
 * @get_inputs: ordered graph inputs for the config's task, use_past,
 *   behaviour; a new array owning its specs (free func oxp_tensor_spec_unref).
 *   Read sizes with oxp_onnx_config_require_int() so that a missing key
 *   makes construction fail
 * @get_outputs: ordered graph outputs, same rules (default: the task →
 *   outputs table, oxp_onnx_config_get_common_outputs())
 * @get_atol: tolerance for the config's task (default: the per-task value,
 *   else @atol)
 * @create_dummy_input_generators: generators able to produce every input;
 *   a new array owning them (free func g_object_unref), first match wins
 *   (default: a text generator)
 * @dup_submodels: the configs of the files one export writes (default: self)
 * @build_graph: adds the model's nodes to @graph (the inputs and outputs the
 *   config declares are already there when it is called)
 *
 * The class of #OxpOnnxConfig: the opset and tolerance fields a subclass sets
 * in class_init, and the virtual methods it overrides.  Only @build_graph has
 * no usable default.
 */
struct _OxpOnnxConfigClass
{
  GObjectClass parent_class;

  guint  default_opset;
  guint  min_opset;
  double atol;

  OxpNormalizedConfig *(*create_normalized_config) (OxpOnnxConfig *self,
                                                    JsonObject    *config,
                                                    GError       **error);
  GPtrArray *(*get_inputs)  (OxpOnnxConfig *self);
  GPtrArray *(*get_outputs) (OxpOnnxConfig *self);
  double     (*get_atol)    (OxpOnnxConfig *self);
  GPtrArray *(*create_dummy_input_generators) (OxpOnnxConfig *self);
  GPtrArray *(*dup_submodels) (OxpOnnxConfig *self);
  gboolean   (*build_graph) (OxpOnnxConfig *self,
                             OxpGraph      *graph,
                             OxpCheckpoint *checkpoint,
                             GError       **error);

  /*< private >*/
  gpointer _oxp_reserved[16];
};

/* Per-task tolerance, for class_init: get_atol() returns it for @task
 * (subclasses inherit it) before falling back on the class's @atol. */
OXP_API void oxp_onnx_config_class_set_task_atol (OxpOnnxConfigClass *klass,
                                                  const char         *task,
                                                  double              atol);

/* Construction: @config is the checkpoint's config.json object, @task a
 * canonical task name (synonyms are folded by OxpTasksManager).  Fails when
 * the normalized config lacks a key the config needs. */
OXP_API OxpOnnxConfig *oxp_onnx_config_new (GType        config_type,
                                            const char  *task,
                                            JsonObject  *config,
                                            GError     **error);

/* Getters. */
OXP_API const char          *oxp_onnx_config_get_task              (OxpOnnxConfig *self);
OXP_API OxpNormalizedConfig *oxp_onnx_config_get_normalized_config (OxpOnnxConfig *self);
OXP_API const char          *oxp_onnx_config_get_model_type        (OxpOnnxConfig *self);
OXP_API guint                oxp_onnx_config_get_default_opset     (OxpOnnxConfig *self);
OXP_API guint                oxp_onnx_config_get_min_opset         (OxpOnnxConfig *self);
OXP_API double               oxp_onnx_config_get_atol              (OxpOnnxConfig *self);
/* File the config's graph is written to: "model.onnx", "decoder_model.onnx", … */
OXP_API const char          *oxp_onnx_config_get_file_name         (OxpOnnxConfig *self);

/**
 * OxpSentencePooling:
 * @OXP_SENTENCE_POOLING_NONE: the plain export (last_hidden_state)
 * @OXP_SENTENCE_POOLING_MEAN: mean over the tokens attention_mask keeps
 * @OXP_SENTENCE_POOLING_CLS: the first token
 * @OXP_SENTENCE_POOLING_MAX: element-wise max over the kept tokens
 *
 * A sentence-transformers Pooling module's mode.
 */
typedef enum {
  OXP_SENTENCE_POOLING_NONE,
  OXP_SENTENCE_POOLING_MEAN,
  OXP_SENTENCE_POOLING_CLS,
  OXP_SENTENCE_POOLING_MAX,
} OxpSentencePooling;

#define OXP_TYPE_SENTENCE_POOLING (oxp_sentence_pooling_get_type ())
OXP_API GType oxp_sentence_pooling_get_type (void) G_GNUC_CONST;

/* A sentence-transformers export (optimum >= 1.19, library
 * "sentence_transformers"): for feature-extraction, the outputs become
 * token_embeddings [batch_size, sequence_length, hidden] (the plugin's
 * last_hidden_state) and sentence_embedding [batch_size, hidden], pooled
 * with the attention mask and L2-normalised when @normalize.  Other tasks
 * are unaffected.  read_sentence_transformers() reads @dir's modules.json
 * and its Pooling module's config.json: *@found tells whether @dir is a
 * sentence-transformers folder; a module other than Transformer, Pooling
 * and Normalize, or a pooling mode other than mean, cls and max, fails
 * (OXP_EXPORT_ERROR_UNSUPPORTED) naming the file and field. */
OXP_API void               oxp_onnx_config_set_sentence_pooling (OxpOnnxConfig      *self,
                                                                 OxpSentencePooling  pooling,
                                                                 gboolean            normalize);
OXP_API OxpSentencePooling oxp_onnx_config_get_sentence_pooling (OxpOnnxConfig      *self,
                                                                 gboolean           *normalize);
OXP_API gboolean           oxp_onnx_config_read_sentence_transformers (OxpOnnxConfig  *self,
                                                                       const char     *dir,
                                                                       gboolean       *found,
                                                                       GError        **error);
OXP_API void                 oxp_onnx_config_set_file_name         (OxpOnnxConfig *self,
                                                                    const char    *file_name);

/* Element type that float inputs and outputs are declared with (FLOAT by
 * default; FLOAT16 or BFLOAT16 for a half-precision export).
 * oxp_onnx_config_get_inputs()/get_outputs() and the dummy inputs follow it. */
OXP_API OxpDataType oxp_onnx_config_get_float_type (OxpOnnxConfig *self);
OXP_API void        oxp_onnx_config_set_float_type (OxpOnnxConfig *self,
                                                    OxpDataType    dtype);

/* Fixed dims (optimum's --no-dynamic-axes): once set, every symbolic dim
 * of oxp_onnx_config_get_inputs()/get_outputs() is its size at @shapes
 * (oxp_shapes_resolve_dim()), so dummy inputs and the validator's checks
 * see the file's fixed dims.  NULL (the default) keeps them symbolic.
 * get_fixed_shapes() returns FALSE when none are set. */
OXP_API void     oxp_onnx_config_set_fixed_shapes (OxpOnnxConfig   *self,
                                                   const OxpShapes *shapes);
OXP_API gboolean oxp_onnx_config_get_fixed_shapes (OxpOnnxConfig   *self,
                                                   OxpShapes       *shapes);
/* @spec with each symbolic dim replaced by its size at @shapes, or NULL
 * with @error set (OXP_CONFIG_ERROR_INVALID_VALUE) naming the tensor and
 * the dim when a name has no size there. (transfer full) */
OXP_API OxpTensorSpec *oxp_tensor_spec_new_fixed (const OxpTensorSpec *spec,
                                                  const OxpShapes     *shapes,
                                                  GError             **error);

/* A new instance of the same type sharing task, normalized config, opset,
 * float type, fixed shapes, file name and every other read-write property, with the
 * NULL-terminated property/value pairs given changed:
 * oxp_onnx_config_copy (self, "use-past", TRUE, NULL). (transfer full) */
OXP_API OxpOnnxConfig *oxp_onnx_config_copy (OxpOnnxConfig *self,
                                             const char    *first_property_name,
                                             ...) G_GNUC_NULL_TERMINATED;

/* For get_inputs/get_outputs implementations: the integer @name of the
 * normalized config.  A missing or invalid value returns 1 (a shape-safe
 * placeholder) and is recorded; oxp_onnx_config_check() and
 * oxp_onnx_config_new() then fail with that error. */
OXP_API gint64   oxp_onnx_config_require_int (OxpOnnxConfig *self, const char *name);
/* Computes the inputs and outputs once and reports the first missing or
 * invalid config value they needed, or an unsupported task. */
OXP_API gboolean oxp_onnx_config_check (OxpOnnxConfig *self, GError **error);

/* The task → default outputs table (optimum's _TASK_TO_COMMON_OUTPUTS)
 * for the config's task, with concrete sizes from the normalized config
 * (hidden_size, num_labels, vocab_size); what get_outputs() returns by
 * default.  An unknown task gives an empty array and is recorded like a
 * missing key.  (transfer container) (element-type OxpTensorSpec) */
OXP_API GPtrArray *oxp_onnx_config_get_common_outputs (OxpOnnxConfig *self);
/* Whether the table has an entry for @task. */
OXP_API gboolean   oxp_onnx_config_task_has_common_outputs (const char *task);

/* Opset to export with; 0 means the default.  Fails below min_opset. */
OXP_API guint    oxp_onnx_config_get_opset (OxpOnnxConfig *self);
OXP_API gboolean oxp_onnx_config_set_opset (OxpOnnxConfig *self,
                                            guint          opset,
                                            GError       **error);

/* Ordered inputs and outputs. (transfer container) (element-type OxpTensorSpec) */
OXP_API GPtrArray *oxp_onnx_config_get_inputs  (OxpOnnxConfig *self);
OXP_API GPtrArray *oxp_onnx_config_get_outputs (OxpOnnxConfig *self);

/* The configs of the files an export writes. (transfer full) (element-type OxpOnnxConfig) */
OXP_API GPtrArray *oxp_onnx_config_dup_submodels (OxpOnnxConfig *self);

/* Dummy inputs for every declared input at @shapes, in input order.
 * (transfer full) (element-type OxpTensor) */
OXP_API GPtrArray *oxp_onnx_config_generate_dummy_inputs (OxpOnnxConfig   *self,
                                                          const OxpShapes *shapes,
                                                          GError         **error);

/* Adds the inputs and outputs to @graph (float ones in the graph's float
 * type), calls build_graph, then oxp_graph_check(). */
OXP_API gboolean oxp_onnx_config_build_graph (OxpOnnxConfig *self,
                                              OxpGraph      *graph,
                                              OxpCheckpoint *checkpoint,
                                              GError       **error);

/* optimum's flatten_output_collection_property: ("present", 3, "key") → "present.3.key". */
OXP_API char    *oxp_onnx_config_flatten_output_name (const char *name,
                                                      guint       index,
                                                      const char *leaf);
/* Whether a model of @n_parameters fp32 parameters needs external data (≥ 2 GiB). */
OXP_API gboolean oxp_onnx_config_needs_external_data (guint64 n_parameters);

G_END_DECLS
