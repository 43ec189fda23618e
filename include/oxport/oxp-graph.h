/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-tensor.h>
#include <oxport/oxp-tensor-spec.h>
#include <oxport/oxp-checkpoint.h>

G_BEGIN_DECLS

#define OXP_EXPORT_ERROR (oxp_export_error_quark ())
OXP_API GQuark oxp_export_error_quark (void);

/**
 * OxpExportError:
 * @OXP_EXPORT_ERROR_INVALID_GRAPH: a node input is undefined, a name is not unique, or nodes are out of order
 * @OXP_EXPORT_ERROR_OUTPUT_MISMATCH: a declared output is missing or differs from the config's spec
 * @OXP_EXPORT_ERROR_OPSET: the requested opset is outside what the config or oxport supports
 * @OXP_EXPORT_ERROR_UNSUPPORTED: a conversion or feature is not supported (e.g. a weight dtype)
 * @OXP_EXPORT_ERROR_IO: writing the output failed
 * @OXP_EXPORT_ERROR_NO_SPACE: the disk is full or a file size limit was hit
 *
 * Errors in the %OXP_EXPORT_ERROR domain: a graph that a plugin built wrongly
 * (INVALID_GRAPH and OUTPUT_MISMATCH are bugs in the plugin, not in the
 * checkpoint), a setting the export cannot honour, or writing the files.
 */
typedef enum {
  OXP_EXPORT_ERROR_INVALID_GRAPH,
  OXP_EXPORT_ERROR_OUTPUT_MISMATCH,
  OXP_EXPORT_ERROR_OPSET,
  OXP_EXPORT_ERROR_UNSUPPORTED,
  OXP_EXPORT_ERROR_IO,
  OXP_EXPORT_ERROR_NO_SPACE,
} OxpExportError;

#define OXP_TYPE_EXPORT_ERROR (oxp_export_error_get_type ())
OXP_API GType oxp_export_error_get_type (void) G_GNUC_CONST;

/**
 * OxpWeightFlags:
 * @OXP_WEIGHT_NONE: write the tensor as it is (converted to the graph's float type)
 * @OXP_WEIGHT_TRANSPOSE: a 2-D tensor is written transposed ([out,in] → [in,out],
 *   what MatMul needs from a torch Linear weight); the transposition happens
 *   while streaming, never in a second buffer
 * @OXP_WEIGHT_KEEP_DTYPE: no conversion to the graph's float type
 *
 * How oxp_graph_add_weight() writes a checkpoint tensor.
 */
typedef enum {
  OXP_WEIGHT_NONE = 0,
  OXP_WEIGHT_TRANSPOSE = 1 << 0,
  OXP_WEIGHT_KEEP_DTYPE = 1 << 1,
} OxpWeightFlags;

#define OXP_TYPE_WEIGHT_FLAGS (oxp_weight_flags_get_type ())
OXP_API GType oxp_weight_flags_get_type (void) G_GNUC_CONST;

/**
 * OxpQuantizeExclude:
 * @OXP_QUANTIZE_EXCLUDE_NONE: every linear layer is quantized
 * @OXP_QUANTIZE_EXCLUDE_LM_HEAD: the linear layers outside the numbered
 *   blocks (a weight name with no layer index: `lm_head`, a head tied to the
 *   word embeddings, a classifier) stay floats
 * @OXP_QUANTIZE_EXCLUDE_FIRST: the linear layers of the first block
 *   (index 0 of their stack: "model.layers.0.…") stay floats
 * @OXP_QUANTIZE_EXCLUDE_LAST: the linear layers of the last block of their
 *   stack (the highest index the checkpoint has under the same prefix)
 *
 * Which linear layers oxp_graph_set_quantize() leaves in floats.  Word
 * embeddings are gathered, not multiplied: they are never quantized.
 */
typedef enum {
  OXP_QUANTIZE_EXCLUDE_NONE = 0,
  OXP_QUANTIZE_EXCLUDE_LM_HEAD = 1 << 0,
  OXP_QUANTIZE_EXCLUDE_FIRST = 1 << 1,
  OXP_QUANTIZE_EXCLUDE_LAST = 1 << 2,
} OxpQuantizeExclude;

#define OXP_TYPE_QUANTIZE_EXCLUDE (oxp_quantize_exclude_get_type ())
OXP_API GType oxp_quantize_exclude_get_type (void) G_GNUC_CONST;

#define OXP_TYPE_GRAPH (oxp_graph_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpGraph, oxp_graph, OXP, GRAPH, GObject)

/* A graph in the default domain ai.onnx at @opset. */
OXP_API OxpGraph *oxp_graph_new (const char *name, guint opset);
/* A subgraph (If branches) that may use @parent's values; same opset and float type. */
OXP_API OxpGraph *oxp_graph_new_subgraph (OxpGraph *parent, const char *name);

/* Settings. */
OXP_API const char *oxp_graph_get_name       (OxpGraph *self);
OXP_API guint       oxp_graph_get_opset      (OxpGraph *self);
/* The float type weights are stored in and activations computed in:
 * FLOAT (default), FLOAT16 or BFLOAT16. */
OXP_API void        oxp_graph_set_float_type (OxpGraph *self, OxpDataType dtype);
OXP_API OxpDataType oxp_graph_get_float_type (OxpGraph *self);
/* What the building blocks emit: 0 plain standard ONNX (default), 1 the
 * forms ONNX Runtime fuses, 2 ONNX Runtime's com.microsoft fused operators,
 * 3 those and their approximations (FastGelu). */
OXP_API void        oxp_graph_set_optimize_level (OxpGraph *self, guint level);
OXP_API guint       oxp_graph_get_optimize_level (OxpGraph *self);
/* Weight-only quantization of the linear layers (MatMulNBits); bits 0 is off. */
OXP_API void        oxp_graph_set_quantize   (OxpGraph           *self,
                                              guint               bits,
                                              guint               block_size,
                                              gboolean            symmetric,
                                              OxpQuantizeExclude  exclude);
OXP_API void        oxp_graph_set_quantize_accuracy_level (OxpGraph *self, guint level);
OXP_API guint       oxp_graph_get_quantize_bits       (OxpGraph *self);
OXP_API guint       oxp_graph_get_quantize_block_size (OxpGraph *self);
OXP_API gboolean    oxp_graph_get_quantize_symmetric  (OxpGraph *self);
OXP_API OxpQuantizeExclude oxp_graph_get_quantize_exclude (OxpGraph *self);
OXP_API guint       oxp_graph_get_quantize_accuracy_level (OxpGraph *self);
OXP_API void        oxp_graph_set_doc_string (OxpGraph *self, const char *doc);
/* Opset of a domain ("" for ai.onnx); 0 when not imported. "com.microsoft"
 * is imported only when a node uses it. */
OXP_API guint       oxp_graph_get_domain_opset (OxpGraph *self, const char *domain);

/* Scopes give readable unique node names: push "encoder", "layer.3",
 * "attention" → "/encoder/layer.3/attention/MatMul" (then "_1", "_2" …). */
OXP_API void oxp_graph_push_scope (OxpGraph *self, const char *format, ...) G_GNUC_PRINTF (2, 3);
OXP_API void oxp_graph_pop_scope  (OxpGraph *self);

/* Graph inputs and outputs.  add_input() returns the value name (the
 * spec's name).  bind_output() makes @value the graph output named by an
 * added output spec (renaming the producer's output, or an Identity). */
OXP_API const char *oxp_graph_add_input  (OxpGraph *self, OxpTensorSpec *spec);
OXP_API void        oxp_graph_add_output (OxpGraph *self, OxpTensorSpec *spec);
OXP_API gboolean    oxp_graph_bind_output (OxpGraph   *self,
                                           const char *output_name,
                                           const char *value,
                                           GError    **error);
/* (transfer none) (element-type OxpTensorSpec) */
OXP_API GPtrArray  *oxp_graph_get_inputs  (OxpGraph *self);
OXP_API GPtrArray  *oxp_graph_get_outputs (OxpGraph *self);

/* Initializers.  add_weight() references a checkpoint tensor without
 * copying it (the checkpoint is kept alive by the graph); asking twice for
 * the same tensor and flags returns the same value (tied weights).  The
 * value is named after the tensor ("….weight", "….weight.T" transposed).
 * Constants hold small values in memory and are named after the current
 * scope and the hint ("/encoder/layer.0/attention/scale").  Initializers
 * added to a subgraph are stored in the main graph (outer scope). */
OXP_API const char *oxp_graph_add_weight          (OxpGraph       *self,
                                                   OxpCheckpoint  *checkpoint,
                                                   const char     *tensor_name,
                                                   OxpWeightFlags  flags,
                                                   GError        **error);
/* MatMulNBits' packed codes, scales and zero points of a 2-D float weight,
 * computed while writing; needs the graph's quantization on. */
OXP_API const char *oxp_graph_add_quantized_weight (OxpGraph       *self,
                                                    OxpCheckpoint  *checkpoint,
                                                    const char     *tensor_name,
                                                    gboolean        in_out,
                                                    const char    **scales,
                                                    const char    **zero_points,
                                                    GError        **error);
OXP_API const char *oxp_graph_add_constant        (OxpGraph   *self,
                                                   const char *name_hint,
                                                   OxpTensor  *value);
/* 1-D int64 constant of @n values. */
OXP_API const char *oxp_graph_add_constant_int64s (OxpGraph     *self,
                                                   const char   *name_hint,
                                                   const gint64 *values,
                                                   gsize         n);
/* Scalars (rank 0); the float one is in the graph's float type. */
OXP_API const char *oxp_graph_add_constant_int64  (OxpGraph *self, const char *name_hint, gint64 value);
OXP_API const char *oxp_graph_add_constant_float  (OxpGraph *self, const char *name_hint, double value);

/* Nodes.  A NULL entry in @inputs is an omitted optional input.  Output
 * names are derived from the node name ("/…/MatMul_output_0"). */
OXP_API OxpNode    *oxp_graph_add_node (OxpGraph           *self,
                                        const char         *op_type,
                                        const char * const *inputs,
                                        guint               n_inputs,
                                        guint               n_outputs);
/* One-output shorthand; inputs are NULL-terminated:
 * oxp_graph_op (g, "Add", a, b, NULL). */
OXP_API const char *oxp_graph_op (OxpGraph *self, const char *op_type, ...) G_GNUC_NULL_TERMINATED;
/* The node of the last oxp_graph_op() call, to set attributes. (transfer none) */
OXP_API OxpNode    *oxp_graph_get_last_node (OxpGraph *self);

OXP_API const char *oxp_node_get_name   (OxpNode *node);
OXP_API const char *oxp_node_get_output (OxpNode *node, guint i);
OXP_API void        oxp_node_set_domain (OxpNode *node, const char *domain);
OXP_API void oxp_node_set_attr_int     (OxpNode *node, const char *name, gint64 value);
OXP_API void oxp_node_set_attr_float   (OxpNode *node, const char *name, float value);
OXP_API void oxp_node_set_attr_string  (OxpNode *node, const char *name, const char *value);
OXP_API void oxp_node_set_attr_ints    (OxpNode *node, const char *name, const gint64 *values, gsize n);
OXP_API void oxp_node_set_attr_floats  (OxpNode *node, const char *name, const float *values, gsize n);
OXP_API void oxp_node_set_attr_tensor  (OxpNode *node, const char *name, OxpTensor *value);
OXP_API void oxp_node_set_attr_graph   (OxpNode *node, const char *name, OxpGraph *subgraph);

/* Checks before writing: every node input defined, names unique, nodes in
 * topological order, every declared output bound (subgraphs included).
 * Fails with OXP_EXPORT_ERROR_INVALID_GRAPH naming the node and the value. */
OXP_API gboolean oxp_graph_check (OxpGraph *self, GError **error);

/* Sums over the initializers (what the writer will write). */
OXP_API guint64 oxp_graph_get_n_parameters (OxpGraph *self);
OXP_API guint64 oxp_graph_get_weights_size (OxpGraph *self);
OXP_API guint   oxp_graph_get_n_nodes      (OxpGraph *self);

/* A formatted string owned by the graph (its subgraphs share the pool), for
 * the tensor and value names a plugin builds. (transfer none) */
OXP_API const char *oxp_graph_intern_printf (OxpGraph *self, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* The type the quantization scales are stored in: FLOAT16 or FLOAT, or
 * UNDEFINED for the graph's float type (default); narrower than the float
 * type, they go through a Cast to it. */
OXP_API void        oxp_graph_set_quantize_scales_type (OxpGraph *self, OxpDataType dtype);
OXP_API OxpDataType oxp_graph_get_quantize_scales_type (OxpGraph *self);

G_END_DECLS
