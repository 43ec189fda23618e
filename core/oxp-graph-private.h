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
} OxpInitializer;

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
G_GNUC_INTERNAL void _oxp_initializer_get_dims (const OxpInitializer *init, gint64 *dims);
G_GNUC_INTERNAL guint64 _oxp_initializer_get_size (OxpGraph *self, const OxpInitializer *init);
G_GNUC_INTERNAL guint64 _oxp_initializer_get_n_elements (const OxpInitializer *init);

/* Renames the bound output @output_name of @self (a node output of @self)
 * to @new_name, with every use; @output_name becomes free again. */
G_GNUC_INTERNAL gboolean _oxp_graph_rename_output (OxpGraph *self, const char *output_name,
                                                   const char *new_name, GError **error);

G_END_DECLS
