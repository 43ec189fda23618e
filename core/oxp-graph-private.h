/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The writer's view of an OxpGraph: nodes, attributes and initializers. */

#include <oxport/oxport.h>

G_BEGIN_DECLS

typedef enum
{
  OXP_ATTR_FLOAT,
  OXP_ATTR_INT,
  OXP_ATTR_STRING,
  OXP_ATTR_TENSOR,
  OXP_ATTR_GRAPH,
  OXP_ATTR_FLOATS,
  OXP_ATTR_INTS,
} OxpAttrKind;

typedef struct
{
  char *name;
  OxpAttrKind kind;
  union
  {
    float f;
    gint64 i;
    char *s;
    OxpTensor *t;
    OxpGraph *g;
  };
  /* FLOATS / INTS */
  gsize n;
  gpointer values;
} OxpAttr;

struct _OxpNode
{
  OxpGraph *graph; /* owning graph (not a reference) */
  const char *name;
  const char *op_type;
  const char *domain; /* NULL for ai.onnx */
  guint n_inputs;
  const char **inputs; /* NULL entries: omitted optional inputs */
  guint n_outputs;
  const char **outputs;
  GPtrArray *attrs; /* (element-type OxpAttr) */
};

/* What a quantized initializer holds of its [N, K] source weight (an [K, N]
 * one with quant_in_out): MatMulNBits' packed blocks, its scales or its
 * zero points, computed block by block while it is written. */
typedef enum
{
  OXP_QUANT_NONE,
  OXP_QUANT_BLOCKS,
  OXP_QUANT_SCALES,
  OXP_QUANT_ZERO_POINTS,
} OxpQuantPart;

/* An initializer: a checkpoint tensor referenced in its memory map, or a
 * small in-memory constant.  Converted (float type) and transposed only when
 * written. */
typedef struct
{
  const char *name;
  OxpDataType src_dtype;
  guint rank;
  gint64 *shape; /* source shape */
  gconstpointer data;
  gsize src_size;
  gboolean transpose;
  gboolean convert;          /* float source converted to the graph's float type */
  gboolean is_weight;        /* from a checkpoint (as opposed to a constant) */
  const char *file;          /* the checkpoint file, or NULL */
  OxpCheckpoint *checkpoint; /* keeps @data alive, or NULL */
  OxpTensor *tensor;         /* keeps @data alive, or NULL */
  GBytes *bytes;             /* keeps @data alive, or NULL */
  OxpQuantPart quant;        /* NONE: written as the source (converted, transposed) */
  guint quant_bits;          /* 4 or 8 */
  guint quant_block_size;    /* 32, 64 or 128 elements along K */
  gboolean quant_symmetric;  /* no zero points: the code 2^(bits-1) is zero */
  gboolean quant_in_out;     /* the source is [K, N] (GPT-2's Conv1D) */
} OxpInitializer;

/* Sizes of the quantization of @init's source: N, K, blocks per row, and
 * bytes per row of the packed codes and of the packed zero points. */
G_GNUC_INTERNAL void _oxp_initializer_get_quant_sizes (const OxpInitializer *init, gsize *n,
                                                       gsize *k, gsize *k_blocks,
                                                       gsize *row_bytes, gsize *zp_row_bytes);

G_GNUC_INTERNAL const char *_oxp_graph_get_doc_string (OxpGraph *self);
/* (element-type OxpNode) (transfer none) */
G_GNUC_INTERNAL GPtrArray *_oxp_graph_get_nodes (OxpGraph *self);
/* All initializers of the model (subgraphs put theirs in the root graph).
 * (element-type OxpInitializer) (transfer none) */
G_GNUC_INTERNAL GPtrArray *_oxp_graph_get_initializers (OxpGraph *self);
/* Domains used by nodes other than ai.onnx ("com.microsoft"), sorted.
 * (transfer container) */
G_GNUC_INTERNAL GPtrArray *_oxp_graph_dup_extra_domains (OxpGraph *self);

/* The type and shape the initializer has in the file. */
G_GNUC_INTERNAL OxpDataType _oxp_initializer_get_dtype (OxpGraph *self, const OxpInitializer *init);
G_GNUC_INTERNAL guint _oxp_initializer_get_rank (const OxpInitializer *init);
G_GNUC_INTERNAL void _oxp_initializer_get_dims (const OxpInitializer *init, gint64 *dims);
G_GNUC_INTERNAL guint64 _oxp_initializer_get_size (OxpGraph *self, const OxpInitializer *init);
G_GNUC_INTERNAL guint64 _oxp_initializer_get_n_elements (const OxpInitializer *init);

/* Renames the bound output @output_name of @self (a node output of @self)
 * to @new_name, with every use; @output_name becomes free again. */
G_GNUC_INTERNAL gboolean _oxp_graph_rename_output (OxpGraph *self, const char *output_name,
                                                   const char *new_name, GError **error);

G_END_DECLS
