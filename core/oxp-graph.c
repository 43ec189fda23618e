/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <string.h>

#include "oxp-graph-private.h"

/**
 * OxpGraph:
 *
 * The graph builder plugins use.  Values are named by strings the graph
 * owns: graph inputs, initializers (checkpoint tensors referenced in their
 * memory map, or small constants) and node outputs.  Names are unique across
 * a graph and all its subgraphs, as ONNX requires, so a model and its `If`
 * branches share one table of names and one list of initializers (those of
 * a subgraph are written in the main graph, which its branches may use).
 */

/**
 * oxp_export_error_quark:
 *
 * The error domain of building, checking and writing an ONNX graph
 * (#OxpExportError).
 *
 * Returns: the #GQuark of the domain, also %OXP_EXPORT_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (oxp-export-error-quark, oxp_export_error)
G_DEFINE_ENUM_TYPE (OxpExportError, oxp_export_error,
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_ERROR_INVALID_GRAPH, "invalid-graph"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_ERROR_OUTPUT_MISMATCH, "output-mismatch"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_ERROR_OPSET, "opset"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_ERROR_UNSUPPORTED, "unsupported"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_ERROR_IO, "io"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_ERROR_NO_SPACE, "no-space"))
/* clang-format on */

typedef enum
{
  VALUE_INPUT,
  VALUE_INITIALIZER,
  VALUE_NODE_OUTPUT,
} ValueKind;

typedef struct
{
  ValueKind kind;
  OxpGraph *graph; /* where it is defined; NULL for initializers (visible everywhere) */
  OxpNode *node;
} ValueDef;

/* State shared by a graph and its subgraphs. */
typedef struct
{
  guint opset;
  OxpDataType float_type;
  guint optimize_level;
  guint quant_bits; /* 0: linear weights stay floats */
  guint quant_block_size;
  gboolean quant_symmetric;
  OxpQuantizeExclude quant_exclude;
  guint quant_accuracy_level;
  OxpDataType quant_scales_type; /* UNDEFINED: the float type */
  GStringChunk *strings;    /* every name handed out lives until the graph dies */
  GHashTable *values;       /* name → ValueDef (owned) */
  GHashTable *node_names;   /* set */
  GHashTable *value_suffix; /* base name → next suffix tried */
  GHashTable *node_suffix;
  GHashTable *aliases;     /* old name → new name, after bind_output() renames */
  GPtrArray *duplicates;   /* messages: names defined twice */
  GPtrArray *initializers; /* OxpInitializer (owned) */
  GHashTable *weight_keys; /* "checkpoint/flags/tensor" → value name */
  GHashTable *domains;     /* domains other than ai.onnx used by nodes (set) */
} GraphShared;

struct _OxpGraph
{
  GObject parent_instance;

  GraphShared *shared;
  OxpGraph *parent; /* weak pointer; NULL for a main graph */
  char *name;
  guint opset;
  char *doc_string;
  GPtrArray *scopes;  /* char * */
  GPtrArray *inputs;  /* OxpTensorSpec */
  GPtrArray *outputs; /* OxpTensorSpec */
  GHashTable *bound;  /* names of bound outputs (set) */
  GPtrArray *nodes;   /* OxpNode (owned) */
  OxpNode *last_node;
};

G_DEFINE_FINAL_TYPE (OxpGraph, oxp_graph, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_OPSET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
initializer_free (gpointer data)
{
  OxpInitializer *init = data;

  g_free (init->shape);
  g_clear_object (&init->checkpoint);
  g_clear_pointer (&init->tensor, oxp_tensor_unref);
  g_clear_pointer (&init->bytes, g_bytes_unref);
  g_free (init);
}

static GraphShared *
graph_shared_new (guint opset)
{
  GraphShared *sh = g_atomic_rc_box_new0 (GraphShared);

  sh->opset = opset;
  sh->float_type = OXP_DATA_TYPE_FLOAT;
  sh->quant_block_size = 32;
  sh->quant_symmetric = TRUE;
  sh->strings = g_string_chunk_new (4096);
  sh->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  sh->node_names = g_hash_table_new (g_str_hash, g_str_equal);
  sh->value_suffix = g_hash_table_new (g_str_hash, g_str_equal);
  sh->node_suffix = g_hash_table_new (g_str_hash, g_str_equal);
  sh->aliases = g_hash_table_new (g_str_hash, g_str_equal);
  sh->duplicates = g_ptr_array_new_with_free_func (g_free);
  sh->initializers = g_ptr_array_new_with_free_func (initializer_free);
  sh->weight_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sh->domains = g_hash_table_new (g_str_hash, g_str_equal);
  return sh;
}

static void
graph_shared_clear (gpointer data)
{
  GraphShared *sh = data;

  g_hash_table_unref (sh->values);
  g_hash_table_unref (sh->node_names);
  g_hash_table_unref (sh->value_suffix);
  g_hash_table_unref (sh->node_suffix);
  g_hash_table_unref (sh->aliases);
  g_ptr_array_unref (sh->duplicates);
  g_ptr_array_unref (sh->initializers);
  g_hash_table_unref (sh->weight_keys);
  g_hash_table_unref (sh->domains);
  g_string_chunk_free (sh->strings);
}

static void
graph_shared_release (GraphShared *sh)
{
  g_atomic_rc_box_release_full (sh, graph_shared_clear);
}

static void
attr_free (gpointer data)
{
  OxpAttr *attr = data;

  switch (attr->kind)
    {
    case OXP_ATTR_STRING:
      g_free (attr->s);
      break;
    case OXP_ATTR_TENSOR:
      oxp_tensor_unref (attr->t);
      break;
    case OXP_ATTR_GRAPH:
      g_object_unref (attr->g);
      break;
    case OXP_ATTR_FLOAT:
    case OXP_ATTR_INT:
    case OXP_ATTR_FLOATS:
    case OXP_ATTR_INTS:
      break;
    }
  g_free (attr->values);
  g_free (attr->name);
  g_free (attr);
}

static void
node_free (gpointer data)
{
  OxpNode *node = data;

  g_free (node->inputs);
  g_free (node->outputs);
  g_ptr_array_unref (node->attrs);
  g_free (node);
}

static void
oxp_graph_finalize (GObject *object)
{
  OxpGraph *self = OXP_GRAPH (object);

  /* Nodes first: their subgraph attributes reference the shared state too. */
  g_ptr_array_unref (self->nodes);
  g_ptr_array_unref (self->inputs);
  g_ptr_array_unref (self->outputs);
  g_ptr_array_unref (self->scopes);
  g_hash_table_unref (self->bound);
  if (self->parent != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->parent), (gpointer *)&self->parent);
  g_clear_pointer (&self->shared, graph_shared_release);
  g_free (self->name);
  g_free (self->doc_string);

  G_OBJECT_CLASS (oxp_graph_parent_class)->finalize (object);
}

static void
oxp_graph_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OxpGraph *self = OXP_GRAPH (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_OPSET:
      g_value_set_uint (value, self->opset);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_graph_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  OxpGraph *self = OXP_GRAPH (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    case PROP_OPSET:
      self->opset = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_graph_class_init (OxpGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = oxp_graph_finalize;
  object_class->get_property = oxp_graph_get_property;
  object_class->set_property = oxp_graph_set_property;

  /**
   * OxpGraph:name:
   *
   * The graph's name, written as GraphProto.name ("main_graph" by default,
   * as torch.onnx names it; "then_branch"/"else_branch" for subgraphs).
   */
  properties[PROP_NAME]
      = g_param_spec_string ("name", NULL, NULL, "main_graph",
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * OxpGraph:opset:
   *
   * The ai.onnx opset the nodes are written for; the blocks choose operator
   * forms by it (LayerNormalization from 17, …).
   */
  properties[PROP_OPSET]
      = g_param_spec_uint ("opset", NULL, NULL, 1, G_MAXUINT, 17,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_graph_init (OxpGraph *self)
{
  self->scopes = g_ptr_array_new_with_free_func (g_free);
  self->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  self->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  self->bound = g_hash_table_new (g_str_hash, g_str_equal);
  self->nodes = g_ptr_array_new_with_free_func (node_free);
}

/**
 * oxp_graph_new:
 * @name: the graph's name (GraphProto.name)
 * @opset: the ai.onnx opset the nodes are written for
 *
 * Creates an empty model graph in the default domain ai.onnx at @opset.  The
 * exporter makes one per file and hands it to the config's build_graph; a
 * plugin only makes graphs for tests.
 *
 * Returns: (transfer full): a new empty graph whose float type is FLOAT
 */
OxpGraph *
oxp_graph_new (const char *name, guint opset)
{
  OxpGraph *self;

  g_return_val_if_fail (opset > 0, NULL);

  self = g_object_new (OXP_TYPE_GRAPH, "name", name ? name : "main_graph", "opset", opset, NULL);
  self->shared = graph_shared_new (opset);
  return self;
}

/**
 * oxp_graph_new_subgraph:
 * @parent: the graph whose node will hold the subgraph as an attribute
 * @name: the subgraph's name (e.g. "then_branch")
 *
 * Nodes of the subgraph may use @parent's values (outer scope).  Weights and
 * constants added to the subgraph are stored in the main graph.  Scopes
 * start from @parent's current scope.
 *
 * Returns: (transfer full): a new subgraph sharing @parent's names
 */
OxpGraph *
oxp_graph_new_subgraph (OxpGraph *parent, const char *name)
{
  OxpGraph *self;

  g_return_val_if_fail (OXP_IS_GRAPH (parent), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (OXP_TYPE_GRAPH, "name", name, "opset", parent->opset, NULL);
  self->shared = g_atomic_rc_box_acquire (parent->shared);
  self->parent = parent;
  g_object_add_weak_pointer (G_OBJECT (parent), (gpointer *)&self->parent);
  for (guint i = 0; i < parent->scopes->len; i++)
    g_ptr_array_add (self->scopes, g_strdup (g_ptr_array_index (parent->scopes, i)));
  return self;
}

/**
 * oxp_graph_get_name:
 * @self: a graph
 *
 * The graph's name (#OxpGraph:name).
 *
 * Returns: (transfer none): the name
 */
const char *
oxp_graph_get_name (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  return self->name;
}

/**
 * oxp_graph_get_opset:
 * @self: a graph
 *
 * The ai.onnx opset the graph is written for (#OxpGraph:opset); blocks and
 * plugins pick operator forms by it.
 *
 * Returns: the opset
 */
guint
oxp_graph_get_opset (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);
  return self->opset;
}

static gboolean
is_float_type (OxpDataType dtype)
{
  return dtype == OXP_DATA_TYPE_FLOAT || dtype == OXP_DATA_TYPE_FLOAT16
         || dtype == OXP_DATA_TYPE_BFLOAT16 || dtype == OXP_DATA_TYPE_DOUBLE;
}

/**
 * oxp_graph_set_float_type:
 * @self: a graph
 * @dtype: FLOAT, FLOAT16 or BFLOAT16
 *
 * Sets the type float weights and float scalar constants are written in
 * (the conversion happens while writing, so it may be set at any time before
 * that).  Shared with subgraphs.
 */
void
oxp_graph_set_float_type (OxpGraph *self, OxpDataType dtype)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (dtype == OXP_DATA_TYPE_FLOAT || dtype == OXP_DATA_TYPE_FLOAT16
                    || dtype == OXP_DATA_TYPE_BFLOAT16);
  self->shared->float_type = dtype;
}

/**
 * oxp_graph_get_float_type:
 * @self: a graph
 *
 * The type float weights are stored in and activations computed in, set by
 * oxp_graph_set_float_type(); blocks read it to type their casts and
 * constants.
 *
 * Returns: %OXP_DATA_TYPE_FLOAT (the default), %OXP_DATA_TYPE_FLOAT16 or
 *   %OXP_DATA_TYPE_BFLOAT16
 */
OxpDataType
oxp_graph_get_float_type (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), OXP_DATA_TYPE_UNDEFINED);
  return self->shared->float_type;
}

/**
 * oxp_graph_set_optimize_level:
 * @self: a graph
 * @level: 0 (plain standard ONNX, the default) to 3
 *
 * Sets what the building blocks emit, so a plugin's code is the same at
 * every level: 1 standard operators in the forms ONNX Runtime's own fusions
 * match; 2 also ONNX Runtime's com.microsoft fused operators; 3 also their
 * approximations (FastGelu).  Shared with subgraphs.
 */
void
oxp_graph_set_optimize_level (OxpGraph *self, guint level)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (level <= 3);
  self->shared->optimize_level = level;
}

/**
 * oxp_graph_get_optimize_level:
 * @self: a graph
 *
 * The optimisation level set by oxp_graph_set_optimize_level(), which the
 * blocks read to choose between standard ONNX and ONNX Runtime's fused
 * operators (`--optimize O1|O2|O3`).
 *
 * Returns: 0 to 3
 */
guint
oxp_graph_get_optimize_level (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);
  return self->shared->optimize_level;
}

/**
 * oxp_graph_set_quantize:
 * @self: a graph
 * @bits: 4 or 8 to quantize linear weights, 0 to keep them floats (default)
 * @block_size: elements along the input axis sharing one scale: 32, 64 or 128
 * @symmetric: no zero points (the middle code is zero); otherwise each block
 *   has a zero point and its range is its own minimum to maximum
 * @exclude: the linear layers to keep in floats
 *
 * Weight-only block quantization: oxp_block_linear() emits com.microsoft
 * MatMulNBits, whose packed weights the writer computes block by block
 * from the checkpoint while it writes them (rounding to nearest; the scales
 * are in the graph's float type, as MatMulNBits takes them, unless
 * oxp_graph_set_quantize_scales_type() says otherwise).
 */
void
oxp_graph_set_quantize (OxpGraph *self, guint bits, guint block_size, gboolean symmetric,
                        OxpQuantizeExclude exclude)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (bits == 0 || bits == 4 || bits == 8);
  g_return_if_fail (block_size == 32 || block_size == 64 || block_size == 128);

  self->shared->quant_bits = bits;
  self->shared->quant_block_size = block_size;
  self->shared->quant_symmetric = !!symmetric;
  self->shared->quant_exclude = exclude;
}

/**
 * oxp_graph_set_quantize_accuracy_level:
 * @self: a graph
 * @level: MatMulNBits' accuracy_level: 0 (unset: the most accurate, float
 *   arithmetic; default) to 4 (ONNX Runtime quantizes the activations to
 *   int8 on the fly, the fastest on CPUs)
 *
 * Sets the accuracy_level attribute of the MatMulNBits nodes that
 * oxp_block_linear() emits when the graph quantizes (oxp_graph_set_quantize()).
 */
void
oxp_graph_set_quantize_accuracy_level (OxpGraph *self, guint level)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (level <= 4);
  self->shared->quant_accuracy_level = level;
}

/**
 * oxp_graph_get_quantize_bits:
 * @self: a graph
 *
 * Tells whether, and to how many bits, linear weights are quantized.
 *
 * Returns: 4 or 8 when linear weights are quantized, else 0
 */
guint
oxp_graph_get_quantize_bits (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);
  return self->shared->quant_bits;
}

/**
 * oxp_graph_get_quantize_block_size:
 * @self: a graph
 *
 * Tells how many weights along the input axis share one scale.
 *
 * Returns: the quantization block size (32 unless set)
 */
guint
oxp_graph_get_quantize_block_size (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);
  return self->shared->quant_block_size;
}

/**
 * oxp_graph_get_quantize_symmetric:
 * @self: a graph
 *
 * Tells whether the quantization is symmetric.
 *
 * Returns: whether the quantization has no zero points
 */
gboolean
oxp_graph_get_quantize_symmetric (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), FALSE);
  return self->shared->quant_symmetric;
}

/**
 * oxp_graph_get_quantize_exclude:
 * @self: a graph
 *
 * Tells which linear layers stay in floats when the graph quantizes.
 *
 * Returns: the linear layers the quantization leaves in floats
 */
OxpQuantizeExclude
oxp_graph_get_quantize_exclude (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), OXP_QUANTIZE_EXCLUDE_NONE);
  return self->shared->quant_exclude;
}

/**
 * oxp_graph_get_quantize_accuracy_level:
 * @self: a graph
 *
 * Tells the accuracy_level the MatMulNBits nodes get.
 *
 * Returns: MatMulNBits' accuracy_level (0: unset)
 */
guint
oxp_graph_get_quantize_accuracy_level (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);
  return self->shared->quant_accuracy_level;
}

/**
 * oxp_graph_set_quantize_scales_type:
 * @self: a graph
 * @dtype: %OXP_DATA_TYPE_FLOAT16, %OXP_DATA_TYPE_FLOAT, or
 *   %OXP_DATA_TYPE_UNDEFINED for the graph's float type (default)
 *
 * Sets the type the quantization scales are stored in.  MatMulNBits takes
 * its scales in the type of its activations, so float16 scales in a float32
 * graph go through a Cast (ONNX Runtime folds it when it loads the file):
 * the file is smaller, the products as accurate as the scales stored.  The
 * caller checks that @dtype is not wider than the float type: float32
 * scales cannot feed a float16 MatMulNBits.
 */
void
oxp_graph_set_quantize_scales_type (OxpGraph *self, OxpDataType dtype)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (dtype == OXP_DATA_TYPE_UNDEFINED || dtype == OXP_DATA_TYPE_FLOAT
                    || dtype == OXP_DATA_TYPE_FLOAT16);
  self->shared->quant_scales_type = dtype;
}

/**
 * oxp_graph_get_quantize_scales_type:
 * @self: a graph
 *
 * Tells the type the quantization scales are stored in.
 *
 * Returns: the type of the scales: the one set by
 *   oxp_graph_set_quantize_scales_type(), else the graph's float type
 */
OxpDataType
oxp_graph_get_quantize_scales_type (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), OXP_DATA_TYPE_UNDEFINED);
  return self->shared->quant_scales_type != OXP_DATA_TYPE_UNDEFINED
             ? self->shared->quant_scales_type
             : self->shared->float_type;
}

/**
 * oxp_graph_set_doc_string:
 * @self: a graph
 * @doc: (nullable): the text, or %NULL for none
 *
 * Sets the model's doc_string (ModelProto.doc_string), which viewers such as
 * Netron show.
 */
void
oxp_graph_set_doc_string (OxpGraph *self, const char *doc)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_free (self->doc_string);
  self->doc_string = g_strdup (doc);
}

static gboolean
is_default_domain (const char *domain)
{
  return domain == NULL || *domain == '\0' || strcmp (domain, "ai.onnx") == 0;
}

/**
 * oxp_graph_get_domain_opset:
 * @self: a graph
 * @domain: (nullable): "" or NULL for ai.onnx, or another domain
 *
 * Which opset the written model imports for @domain.  "com.microsoft" is
 * imported only when a node uses it, so a plain export stays loadable by any
 * ONNX runtime.
 *
 * Returns: the opset the model imports for @domain: the graph's opset for
 *   ai.onnx, 1 for another domain a node uses (com.microsoft), else 0
 */
guint
oxp_graph_get_domain_opset (OxpGraph *self, const char *domain)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);

  if (is_default_domain (domain))
    return self->opset;
  return g_hash_table_contains (self->shared->domains, domain) ? 1 : 0;
}

/**
 * oxp_graph_push_scope:
 * @self: a graph
 * @format: printf-style format of the scope's name ("layer.%u")
 * @...: the format's arguments
 *
 * Enters a scope: node and constant names are prefixed with the scopes
 * entered, so pushing "encoder", "layer.3" and "attention" names nodes
 * "/encoder/layer.3/attention/MatMul" (then "_1", "_2", … when taken), as
 * torch.onnx's exports read.  Pair each push with oxp_graph_pop_scope().
 */
void
oxp_graph_push_scope (OxpGraph *self, const char *format, ...)
{
  va_list ap;

  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (format != NULL);

  va_start (ap, format);
  g_ptr_array_add (self->scopes, g_strdup_vprintf (format, ap));
  va_end (ap);
}

/**
 * oxp_graph_pop_scope:
 * @self: a graph
 *
 * Leaves the scope entered last with oxp_graph_push_scope().
 */
void
oxp_graph_pop_scope (OxpGraph *self)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (self->scopes->len > 0);
  g_ptr_array_remove_index (self->scopes, self->scopes->len - 1);
}

/* "/encoder/layer.3/attention/" + @leaf. */
static char *
scoped_name (OxpGraph *self, const char *leaf)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < self->scopes->len; i++)
    {
      g_string_append_c (s, '/');
      g_string_append (s, g_ptr_array_index (self->scopes, i));
    }
  g_string_append_c (s, '/');
  g_string_append (s, leaf);
  return g_string_free (s, FALSE);
}

/* @base if unused, else the first free "@base_N" (N from 1), like the names
 * PyTorch's exporter gives.  The result lives in the string chunk. */
static gboolean
name_is_taken (GraphShared *sh, GHashTable *used, const char *name)
{
  /* An old name renamed by bind_output() stays reserved: it still resolves. */
  return g_hash_table_contains (used, name) || g_hash_table_contains (sh->aliases, name);
}

static const char *
unique_name (GraphShared *sh, GHashTable *used, GHashTable *suffix, const char *base)
{
  const char *name;
  guint n;

  if (!name_is_taken (sh, used, base))
    return g_string_chunk_insert (sh->strings, base);

  n = GPOINTER_TO_UINT (g_hash_table_lookup (suffix, base));
  if (n == 0)
    n = 1;
  for (;; n++)
    {
      g_autofree char *candidate = g_strdup_printf ("%s_%u", base, n);

      if (!name_is_taken (sh, used, candidate))
        {
          name = g_string_chunk_insert (sh->strings, candidate);
          break;
        }
    }
  g_hash_table_replace (suffix, g_string_chunk_insert_const (sh->strings, base),
                        GUINT_TO_POINTER (n + 1));
  return name;
}

static const char *
kind_to_string (const ValueDef *def)
{
  switch (def->kind)
    {
    case VALUE_INPUT:
      return "a graph input";
    case VALUE_INITIALIZER:
      return "an initializer";
    case VALUE_NODE_OUTPUT:
    default:
      return "a node output";
    }
}

/* Records @name as defined; a second definition is kept as an error that
 * oxp_graph_check() reports. */
static const char *
define_value (OxpGraph *self, const char *name, ValueKind kind, OxpNode *node)
{
  GraphShared *sh = self->shared;
  ValueDef *old = g_hash_table_lookup (sh->values, name);
  ValueDef *def;
  const char *stored;

  if (old != NULL)
    {
      g_ptr_array_add (sh->duplicates,
                       g_strdup_printf ("value name “%s” is defined twice: as %s%s%s and as %s%s%s",
                                        name, kind_to_string (old), old->node ? " of node " : "",
                                        old->node ? old->node->name : "",
                                        kind == VALUE_INPUT         ? "a graph input"
                                        : kind == VALUE_INITIALIZER ? "an initializer"
                                                                    : "a node output",
                                        node ? " of node " : "", node ? node->name : ""));
      return g_string_chunk_insert_const (sh->strings, name);
    }
  def = g_new0 (ValueDef, 1);
  def->kind = kind;
  def->graph = kind == VALUE_INITIALIZER ? NULL : self;
  def->node = node;
  stored = g_string_chunk_insert_const (sh->strings, name);
  g_hash_table_insert (sh->values, (gpointer)stored, def);
  return stored;
}

static const char *
resolve_alias (GraphShared *sh, const char *name)
{
  const char *to;

  while ((to = g_hash_table_lookup (sh->aliases, name)) != NULL)
    name = to;
  return name;
}

/**
 * oxp_graph_add_input:
 * @self: a graph
 * @spec: the input's name, type and dims
 *
 * Declares a graph input, in order; the value is then usable by nodes under
 * its own name.  The exporter declares the config's inputs before calling
 * build_graph, so plugins rarely call this.
 *
 * Returns: the value name of the input (@spec's name), valid as long as @self
 */
const char *
oxp_graph_add_input (OxpGraph *self, OxpTensorSpec *spec)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (spec != NULL, NULL);

  g_ptr_array_add (self->inputs, oxp_tensor_spec_ref (spec));
  return define_value (self, oxp_tensor_spec_get_name (spec), VALUE_INPUT, NULL);
}

/**
 * oxp_graph_add_output:
 * @self: a graph
 * @spec: the output's name, type and dims
 *
 * Declares a graph output, in order; it must then be bound to a value with
 * oxp_graph_bind_output() before oxp_graph_check() passes.  Like the inputs,
 * the exporter declares the config's outputs before calling build_graph.
 */
void
oxp_graph_add_output (OxpGraph *self, OxpTensorSpec *spec)
{
  g_return_if_fail (OXP_IS_GRAPH (self));
  g_return_if_fail (spec != NULL);

  g_ptr_array_add (self->outputs, oxp_tensor_spec_ref (spec));
}

/**
 * oxp_graph_get_inputs:
 * @self: a graph
 *
 * The graph inputs declared so far, in order.
 *
 * Returns: (transfer none) (element-type OxpTensorSpec): the inputs
 */
GPtrArray *
oxp_graph_get_inputs (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  return self->inputs;
}

/**
 * oxp_graph_get_outputs:
 * @self: a graph
 *
 * The graph outputs declared so far, in order.
 *
 * Returns: (transfer none) (element-type OxpTensorSpec): the outputs
 */
GPtrArray *
oxp_graph_get_outputs (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  return self->outputs;
}

static OxpGraph *
get_root (OxpGraph *self)
{
  while (self->parent != NULL)
    self = self->parent;
  return self;
}

static OxpNode *
add_node_full (OxpGraph *self, const char *op_type, const char *const *inputs, guint n_inputs,
               guint n_outputs, const char *const *output_names)
{
  GraphShared *sh = self->shared;
  g_autofree char *base = scoped_name (self, op_type);
  OxpNode *node = g_new0 (OxpNode, 1);

  node->graph = self;
  node->name = unique_name (sh, sh->node_names, sh->node_suffix, base);
  g_hash_table_add (sh->node_names, (gpointer)node->name);
  node->op_type = g_string_chunk_insert_const (sh->strings, op_type);
  node->n_inputs = n_inputs;
  node->inputs = g_new0 (const char *, MAX (n_inputs, 1));
  for (guint i = 0; i < n_inputs; i++)
    if (inputs[i] != NULL && inputs[i][0] != '\0')
      node->inputs[i] = g_string_chunk_insert_const (sh->strings, resolve_alias (sh, inputs[i]));
  node->n_outputs = n_outputs;
  node->outputs = g_new0 (const char *, MAX (n_outputs, 1));
  for (guint i = 0; i < n_outputs; i++)
    {
      const char *name;

      if (output_names != NULL)
        name = output_names[i];
      else
        {
          g_autofree char *out = g_strdup_printf ("%s_output_%u", node->name, i);

          name = unique_name (sh, sh->values, sh->value_suffix, out);
        }
      node->outputs[i] = define_value (self, name, VALUE_NODE_OUTPUT, node);
    }
  node->attrs = g_ptr_array_new_with_free_func (attr_free);
  g_ptr_array_add (self->nodes, node);
  self->last_node = node;
  return node;
}

/**
 * oxp_graph_add_node:
 * @self: a graph
 * @op_type: the operator ("MatMul")
 * @inputs: (array length=n_inputs) (nullable): value names; a NULL entry is an omitted
 *   optional input
 * @n_inputs: number of inputs
 * @n_outputs: number of outputs
 *
 * The node is named after the current scope and @op_type
 * ("/encoder/layer.3/attention/MatMul", then "…/MatMul_1", …) and its outputs
 * "<node name>_output_<i>".
 *
 * Returns: (transfer none): the node, owned by @self
 */
OxpNode *
oxp_graph_add_node (OxpGraph *self, const char *op_type, const char *const *inputs, guint n_inputs,
                    guint n_outputs)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (op_type != NULL && *op_type != '\0', NULL);
  g_return_val_if_fail (inputs != NULL || n_inputs == 0, NULL);

  return add_node_full (self, op_type, inputs, n_inputs, n_outputs, NULL);
}

/**
 * oxp_graph_op:
 * @self: a graph
 * @op_type: the operator
 * @...: input value names, then NULL
 *
 * Adds a node with one output, the shorthand most graph code uses:
 * `oxp_graph_op (g, "Add", a, b, NULL)`.  Set attributes on
 * oxp_graph_get_last_node().
 *
 * Returns: the name of the node's only output
 */
const char *
oxp_graph_op (OxpGraph *self, const char *op_type, ...)
{
  g_autoptr (GPtrArray) inputs = g_ptr_array_new ();
  const char *in;
  OxpNode *node;
  va_list ap;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (op_type != NULL && *op_type != '\0', NULL);

  va_start (ap, op_type);
  while ((in = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (inputs, (gpointer)in);
  va_end (ap);

  node = add_node_full (self, op_type, (const char *const *)inputs->pdata, inputs->len, 1, NULL);
  return node->outputs[0];
}

/**
 * oxp_graph_get_last_node: (skip)
 * @self: a graph
 *
 * The node of the last oxp_graph_op() call, to set attributes on.  Skipped
 * by introspection: #OxpNode is a plain struct owned by the graph, with no
 * boxed type; bindings build graphs through the plugin API in C.
 *
 * Returns: (transfer none): the node
 */
OxpNode *
oxp_graph_get_last_node (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  return self->last_node;
}

/**
 * OxpNode:
 *
 * A node of an #OxpGraph: an operator with its inputs, outputs, domain and
 * attributes.  A plain struct owned by its graph (no boxed type), made by
 * oxp_graph_add_node() or oxp_graph_op() and valid as long as the graph.
 */

/**
 * oxp_node_get_name:
 * @node: a node
 *
 * The node's unique name ("/encoder/layer.3/attention/MatMul").
 *
 * Returns: (transfer none): the name
 */
const char *
oxp_node_get_name (OxpNode *node)
{
  g_return_val_if_fail (node != NULL, NULL);
  return node->name;
}

/**
 * oxp_node_get_output:
 * @node: a node
 * @i: output index
 *
 * The value name of output @i of @node, for the next node's inputs.
 *
 * Returns: the current name of output @i (the graph output's name once
 *   oxp_graph_bind_output() renamed it)
 */
const char *
oxp_node_get_output (OxpNode *node, guint i)
{
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (i < node->n_outputs, NULL);
  return node->outputs[i];
}

/**
 * oxp_node_set_domain:
 * @node: a node
 * @domain: (nullable): "com.microsoft", or NULL/"" for ai.onnx
 *
 * A domain other than ai.onnx is imported (at version 1) by the model.
 */
void
oxp_node_set_domain (OxpNode *node, const char *domain)
{
  GraphShared *sh;

  g_return_if_fail (node != NULL);

  sh = node->graph->shared;
  if (is_default_domain (domain))
    {
      node->domain = NULL;
      return;
    }
  node->domain = g_string_chunk_insert_const (sh->strings, domain);
  g_hash_table_add (sh->domains, (gpointer)node->domain);
}

static OxpAttr *
node_new_attr (OxpNode *node, const char *name, OxpAttrKind kind)
{
  OxpAttr *attr;

  for (guint i = 0; i < node->attrs->len; i++)
    {
      attr = g_ptr_array_index (node->attrs, i);
      if (strcmp (attr->name, name) == 0)
        {
          g_ptr_array_remove_index (node->attrs, i);
          break;
        }
    }
  attr = g_new0 (OxpAttr, 1);
  attr->name = g_strdup (name);
  attr->kind = kind;
  g_ptr_array_add (node->attrs, attr);
  return attr;
}

/**
 * oxp_node_set_attr_int:
 * @node: a node
 * @name: the attribute's name ("axis")
 * @value: its value
 *
 * Sets an INT attribute.
 */
void
oxp_node_set_attr_int (OxpNode *node, const char *name, gint64 value)
{
  g_return_if_fail (node != NULL && name != NULL);
  node_new_attr (node, name, OXP_ATTR_INT)->i = value;
}

/**
 * oxp_node_set_attr_float:
 * @node: a node
 * @name: the attribute's name ("epsilon")
 * @value: its value
 *
 * Sets a FLOAT attribute.
 */
void
oxp_node_set_attr_float (OxpNode *node, const char *name, float value)
{
  g_return_if_fail (node != NULL && name != NULL);
  node_new_attr (node, name, OXP_ATTR_FLOAT)->f = value;
}

/**
 * oxp_node_set_attr_string:
 * @node: a node
 * @name: the attribute's name ("mode")
 * @value: its value, copied
 *
 * Sets a STRING attribute.
 */
void
oxp_node_set_attr_string (OxpNode *node, const char *name, const char *value)
{
  g_return_if_fail (node != NULL && name != NULL && value != NULL);
  node_new_attr (node, name, OXP_ATTR_STRING)->s = g_strdup (value);
}

/**
 * oxp_node_set_attr_ints:
 * @node: a node
 * @name: the attribute's name ("perm")
 * @values: (array length=n): the values, copied
 * @n: how many
 *
 * Sets an INTS attribute.
 */
void
oxp_node_set_attr_ints (OxpNode *node, const char *name, const gint64 *values, gsize n)
{
  OxpAttr *attr;

  g_return_if_fail (node != NULL && name != NULL);
  g_return_if_fail (values != NULL || n == 0);

  attr = node_new_attr (node, name, OXP_ATTR_INTS);
  attr->n = n;
  attr->values = g_memdup2 (values, n * sizeof (gint64));
}

/**
 * oxp_node_set_attr_floats:
 * @node: a node
 * @name: the attribute's name
 * @values: (array length=n): the values, copied
 * @n: how many
 *
 * Sets a FLOATS attribute.
 */
void
oxp_node_set_attr_floats (OxpNode *node, const char *name, const float *values, gsize n)
{
  OxpAttr *attr;

  g_return_if_fail (node != NULL && name != NULL);
  g_return_if_fail (values != NULL || n == 0);

  attr = node_new_attr (node, name, OXP_ATTR_FLOATS);
  attr->n = n;
  attr->values = g_memdup2 (values, n * sizeof (float));
}

/**
 * oxp_node_set_attr_tensor:
 * @node: a node
 * @name: the attribute's name ("value" of a Constant)
 * @value: the tensor; the node keeps a reference
 *
 * Sets a TENSOR attribute, written inline in the node.
 */
void
oxp_node_set_attr_tensor (OxpNode *node, const char *name, OxpTensor *value)
{
  g_return_if_fail (node != NULL && name != NULL && value != NULL);
  node_new_attr (node, name, OXP_ATTR_TENSOR)->t = oxp_tensor_ref (value);
}

/**
 * oxp_node_set_attr_graph:
 * @node: a node (`If`)
 * @name: "then_branch" or "else_branch"
 * @subgraph: a graph made with oxp_graph_new_subgraph() from @node's graph
 *
 * Sets a GRAPH attribute: a branch of an `If` node, as the merged decoders
 * use.  The subgraph shares the main graph's names and initializers.
 */
void
oxp_node_set_attr_graph (OxpNode *node, const char *name, OxpGraph *subgraph)
{
  g_return_if_fail (node != NULL && name != NULL);
  g_return_if_fail (OXP_IS_GRAPH (subgraph));
  g_return_if_fail (subgraph->shared == node->graph->shared);

  node_new_attr (node, name, OXP_ATTR_GRAPH)->g = g_object_ref (subgraph);
}

static OxpInitializer *
add_initializer (OxpGraph *self, const char *base)
{
  OxpGraph *root = get_root (self);
  GraphShared *sh = self->shared;
  OxpInitializer *init = g_new0 (OxpInitializer, 1);

  init->name = unique_name (sh, sh->values, sh->value_suffix, base);
  define_value (root, init->name, VALUE_INITIALIZER, NULL);
  g_ptr_array_add (sh->initializers, init);
  return init;
}

/**
 * oxp_graph_add_weight:
 * @self: a graph
 * @checkpoint: the checkpoint holding the tensor (kept alive by @self)
 * @tensor_name: e.g. "encoder.layer.0.attention.self.query.weight"
 * @flags: transposition and conversion
 * @error: return location for an error
 *
 * The initializer is named after the tensor ("….weight", "….weight.T" when
 * transposed).  Float tensors are written in the graph's float type unless
 * %OXP_WEIGHT_KEEP_DTYPE; integer and boolean tensors are kept as they are.
 *
 * Returns: the value name, or NULL with @error set: %OXP_CHECKPOINT_ERROR_MISSING_TENSOR,
 *   or %OXP_EXPORT_ERROR_UNSUPPORTED when transposing a tensor that is not 2-D
 */
const char *
oxp_graph_add_weight (OxpGraph *self, OxpCheckpoint *checkpoint, const char *tensor_name,
                      OxpWeightFlags flags, GError **error)
{
  GraphShared *sh;
  const OxpCheckpointTensor *t;
  OxpInitializer *init;
  g_autofree char *key = NULL;
  g_autofree char *base = NULL;
  const char *known;
  OxpDataType dtype;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (OXP_IS_CHECKPOINT (checkpoint), NULL);
  g_return_val_if_fail (tensor_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sh = self->shared;
  key = g_strdup_printf ("%p/%u/%s", (void *)checkpoint, (guint)flags, tensor_name);
  known = g_hash_table_lookup (sh->weight_keys, key);
  if (known != NULL)
    return known;

  t = oxp_checkpoint_get_tensor (checkpoint, tensor_name, error);
  if (t == NULL)
    return NULL;
  dtype = oxp_checkpoint_tensor_get_dtype (t);
  if ((flags & OXP_WEIGHT_TRANSPOSE) && oxp_checkpoint_tensor_get_rank (t) != 2)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Cannot transpose tensor “%s” of %s: it has rank %u, expected 2", tensor_name,
                   oxp_checkpoint_tensor_get_file (t), oxp_checkpoint_tensor_get_rank (t));
      return NULL;
    }
  if (oxp_data_type_get_size (dtype) == 0)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Tensor “%s” of %s has type %s, which cannot be written as an initializer",
                   tensor_name, oxp_checkpoint_tensor_get_file (t),
                   oxp_data_type_to_string (dtype));
      return NULL;
    }

  base = (flags & OXP_WEIGHT_TRANSPOSE) ? g_strconcat (tensor_name, ".T", NULL)
                                        : g_strdup (tensor_name);
  init = add_initializer (self, base);
  init->src_dtype = dtype;
  init->rank = oxp_checkpoint_tensor_get_rank (t);
  init->shape
      = g_memdup2 (oxp_checkpoint_tensor_get_shape (t), MAX (init->rank, 1) * sizeof (gint64));
  init->data = oxp_checkpoint_tensor_get_data (t);
  init->src_size = oxp_checkpoint_tensor_get_size (t);
  init->transpose = (flags & OXP_WEIGHT_TRANSPOSE) != 0;
  init->convert = !(flags & OXP_WEIGHT_KEEP_DTYPE) && is_float_type (dtype);
  init->is_weight = TRUE;
  init->file = oxp_checkpoint_tensor_get_file (t);
  init->checkpoint = g_object_ref (checkpoint);

  g_hash_table_insert (sh->weight_keys, g_steal_pointer (&key), (gpointer)init->name);
  return init->name;
}

static OxpInitializer *
add_quant_part (OxpGraph *self, OxpCheckpoint *checkpoint, const OxpCheckpointTensor *t,
                const char *tensor_name, const char *suffix, OxpQuantPart part, gboolean in_out)
{
  g_autofree char *base = g_strconcat (tensor_name, suffix, NULL);
  OxpInitializer *init = add_initializer (self, base);

  init->src_dtype = oxp_checkpoint_tensor_get_dtype (t);
  init->rank = 2;
  init->shape = g_memdup2 (oxp_checkpoint_tensor_get_shape (t), 2 * sizeof (gint64));
  init->data = oxp_checkpoint_tensor_get_data (t);
  init->src_size = oxp_checkpoint_tensor_get_size (t);
  init->is_weight = TRUE;
  init->file = oxp_checkpoint_tensor_get_file (t);
  init->checkpoint = g_object_ref (checkpoint);
  init->quant = part;
  init->quant_bits = self->shared->quant_bits;
  init->quant_block_size = self->shared->quant_block_size;
  init->quant_symmetric = self->shared->quant_symmetric;
  init->quant_in_out = in_out;
  /* The scales are in oxp_graph_get_quantize_scales_type(). */
  init->convert = part == OXP_QUANT_SCALES;
  return init;
}

/**
 * oxp_graph_add_quantized_weight:
 * @self: a graph whose quantization is on (oxp_graph_set_quantize())
 * @checkpoint: the checkpoint holding the tensor (kept alive by @self)
 * @tensor_name: a 2-D float tensor, [N, K] (a torch Linear weight: out, in)
 * @in_out: the tensor is stored [K, N] instead (GPT-2's Conv1D)
 * @scales: (out) (transfer none): the value name of the scales
 * @zero_points: (out) (transfer none) (nullable): the value name of the zero
 *   points, or NULL when the quantization is symmetric
 * @error: return location for an error
 *
 * The three inputs of a com.microsoft MatMulNBits computing x · Wᵀ: the
 * codes packed [N, ceil(K / block_size), block_size × bits / 8] (the last
 * block padded with zeros), the scales [N × blocks] and the zero points
 * packed per row (4 bits: two a byte, low nibble first).  Nothing is
 * computed until the writer streams the tensor.
 *
 * Returns: the value name of the packed codes, or NULL with @error set:
 *   %OXP_CHECKPOINT_ERROR_MISSING_TENSOR, or %OXP_EXPORT_ERROR_UNSUPPORTED
 *   for a tensor that is not a 2-D float one
 */
const char *
oxp_graph_add_quantized_weight (OxpGraph *self, OxpCheckpoint *checkpoint, const char *tensor_name,
                                gboolean in_out, const char **scales, const char **zero_points,
                                GError **error)
{
  GraphShared *sh;
  const OxpCheckpointTensor *t;
  OxpInitializer *blocks, *sc, *zp = NULL;
  g_autofree char *key = NULL;
  const char *known;
  OxpDataType dtype;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (OXP_IS_CHECKPOINT (checkpoint), NULL);
  g_return_val_if_fail (tensor_name != NULL && scales != NULL && zero_points != NULL, NULL);
  g_return_val_if_fail (self->shared->quant_bits != 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sh = self->shared;
  key = g_strdup_printf ("%p/q%u/%s", (void *)checkpoint, (guint)in_out, tensor_name);
  known = g_hash_table_lookup (sh->weight_keys, key);
  if (known != NULL)
    {
      /* The codes, scales and zero points were added one after the other. */
      for (guint i = 0; i < sh->initializers->len; i++)
        {
          OxpInitializer *init = g_ptr_array_index (sh->initializers, i);

          if (init->name != known)
            continue;
          *scales = ((OxpInitializer *)g_ptr_array_index (sh->initializers, i + 1))->name;
          *zero_points
              = init->quant_symmetric
                    ? NULL
                    : ((OxpInitializer *)g_ptr_array_index (sh->initializers, i + 2))->name;
          return known;
        }
    }

  t = oxp_checkpoint_get_tensor (checkpoint, tensor_name, error);
  if (t == NULL)
    return NULL;
  dtype = oxp_checkpoint_tensor_get_dtype (t);
  if (oxp_checkpoint_tensor_get_rank (t) != 2 || !is_float_type (dtype))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Cannot quantize tensor “%s” of %s: it is %s of rank %u, expected a 2-D "
                   "float tensor",
                   tensor_name, oxp_checkpoint_tensor_get_file (t), oxp_data_type_to_string (dtype),
                   oxp_checkpoint_tensor_get_rank (t));
      return NULL;
    }

  blocks = add_quant_part (self, checkpoint, t, tensor_name, sh->quant_bits == 4 ? ".q4" : ".q8",
                           OXP_QUANT_BLOCKS, in_out);
  sc = add_quant_part (self, checkpoint, t, tensor_name, ".scales", OXP_QUANT_SCALES, in_out);
  if (!sh->quant_symmetric)
    zp = add_quant_part (self, checkpoint, t, tensor_name, ".zero_points", OXP_QUANT_ZERO_POINTS,
                         in_out);
  *scales = sc->name;
  *zero_points = zp != NULL ? zp->name : NULL;
  g_hash_table_insert (sh->weight_keys, g_steal_pointer (&key), (gpointer)blocks->name);
  return blocks->name;
}

/**
 * oxp_graph_add_constant:
 * @self: a graph
 * @name_hint: (nullable): the last part of the name ("scale"); the current
 *   scope is prepended ("/encoder/layer.0/attention/scale")
 * @value: the value, written as it is (no float conversion)
 *
 * Adds a small constant held in memory (a shape, an axis list, a scale) as
 * an initializer named after the current scope and @name_hint.  The graph
 * keeps a reference to @value.
 *
 * Returns: the value name of the initializer holding @value
 */
const char *
oxp_graph_add_constant (OxpGraph *self, const char *name_hint, OxpTensor *value)
{
  OxpInitializer *init;
  g_autofree char *base = NULL;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (value != NULL, NULL);

  base = scoped_name (self, name_hint ? name_hint : "Constant");
  init = add_initializer (self, base);
  init->src_dtype = oxp_tensor_get_dtype (value);
  init->rank = oxp_tensor_get_rank (value);
  init->shape = g_memdup2 (oxp_tensor_get_shape (value), MAX (init->rank, 1) * sizeof (gint64));
  init->data = oxp_tensor_get_data (value);
  init->src_size = oxp_tensor_get_size (value);
  init->tensor = oxp_tensor_ref (value);
  return init->name;
}

/**
 * oxp_graph_add_constant_int64s:
 * @self: a graph
 * @name_hint: (nullable): see oxp_graph_add_constant()
 * @values: (array length=n): the values, copied
 * @n: how many
 *
 * Adds a 1-D INT64 constant of @n values: the shapes, axes and indices of
 * Reshape, Transpose, Slice and friends.
 *
 * Returns: the value name
 */
const char *
oxp_graph_add_constant_int64s (OxpGraph *self, const char *name_hint, const gint64 *values, gsize n)
{
  gint64 shape[1] = { (gint64)n };
  g_autoptr (OxpTensor) t = NULL;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (values != NULL || n == 0, NULL);

  t = oxp_tensor_new (name_hint ? name_hint : "Constant", OXP_DATA_TYPE_INT64, shape, 1);
  if (n > 0)
    memcpy (oxp_tensor_get_mutable_data (t), values, n * sizeof (gint64));
  return oxp_graph_add_constant (self, name_hint, t);
}

/**
 * oxp_graph_add_constant_int64:
 * @self: a graph
 * @name_hint: (nullable): see oxp_graph_add_constant()
 * @value: the value
 *
 * Adds a rank-0 INT64 constant.
 *
 * Returns: the value name
 */
const char *
oxp_graph_add_constant_int64 (OxpGraph *self, const char *name_hint, gint64 value)
{
  g_autoptr (OxpTensor) t = NULL;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);

  t = oxp_tensor_new (name_hint ? name_hint : "Constant", OXP_DATA_TYPE_INT64, NULL, 0);
  *(gint64 *)oxp_tensor_get_mutable_data (t) = value;
  return oxp_graph_add_constant (self, name_hint, t);
}

/**
 * oxp_graph_add_constant_float:
 * @self: a graph
 * @name_hint: (nullable): see oxp_graph_add_constant()
 * @value: the value
 *
 * Adds a rank-0 float constant (an epsilon, a scale) in the graph's float
 * type, converted when the graph is written, so it follows
 * oxp_graph_set_float_type() even when set later.
 *
 * Returns: the value name of a scalar in the graph's float type (as it is
 *   when the graph is written)
 */
const char *
oxp_graph_add_constant_float (OxpGraph *self, const char *name_hint, double value)
{
  OxpInitializer *init;
  g_autofree char *base = NULL;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);

  base = scoped_name (self, name_hint ? name_hint : "Constant");
  init = add_initializer (self, base);
  init->src_dtype = OXP_DATA_TYPE_DOUBLE;
  init->rank = 0;
  init->shape = g_new0 (gint64, 1);
  init->bytes = g_bytes_new (&value, sizeof value);
  init->data = g_bytes_get_data (init->bytes, &init->src_size);
  init->convert = TRUE;
  return init->name;
}

static OxpTensorSpec *
find_output (OxpGraph *self, const char *name)
{
  for (guint i = 0; i < self->outputs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (self->outputs, i);

      if (strcmp (oxp_tensor_spec_get_name (spec), name) == 0)
        return spec;
    }
  return NULL;
}

/* Renames every use of @from in @graph and the subgraphs of its nodes. */
static void
rename_uses (OxpGraph *graph, const char *from, const char *to)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      OxpNode *node = g_ptr_array_index (graph->nodes, i);

      for (guint j = 0; j < node->n_inputs; j++)
        if (node->inputs[j] != NULL && strcmp (node->inputs[j], from) == 0)
          node->inputs[j] = to;
      for (guint j = 0; j < node->attrs->len; j++)
        {
          OxpAttr *attr = g_ptr_array_index (node->attrs, j);

          if (attr->kind == OXP_ATTR_GRAPH)
            rename_uses (attr->g, from, to);
        }
    }
}

/**
 * oxp_graph_bind_output:
 * @self: a graph
 * @output_name: the name of an output added with oxp_graph_add_output()
 * @value: the value that output is
 * @error: return location for an error
 *
 * When @value is an output of a node of @self, that output is renamed
 * @output_name (every use follows; the old name stays usable as an alias).
 * When it is a graph input, an initializer, a value of an enclosing graph or
 * already another output, an Identity node is added instead.
 *
 * Returns: %TRUE, or %FALSE with %OXP_EXPORT_ERROR_OUTPUT_MISMATCH when no
 *   output is declared as @output_name, %OXP_EXPORT_ERROR_INVALID_GRAPH when
 *   @value is undefined, the output is already bound or its name is taken
 */
gboolean
oxp_graph_bind_output (OxpGraph *self, const char *output_name, const char *value, GError **error)
{
  GraphShared *sh;
  ValueDef *def;

  g_return_val_if_fail (OXP_IS_GRAPH (self), FALSE);
  g_return_val_if_fail (output_name != NULL && value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sh = self->shared;
  if (find_output (self, output_name) == NULL)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_OUTPUT_MISMATCH,
                   "Graph “%s” declares no output named “%s” to bind value “%s” to", self->name,
                   output_name, value);
      return FALSE;
    }
  if (g_hash_table_contains (self->bound, output_name))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "Output “%s” of graph “%s” is already bound", output_name, self->name);
      return FALSE;
    }
  value = resolve_alias (sh, value);
  def = g_hash_table_lookup (sh->values, value);
  if (def == NULL)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "Cannot bind output “%s” of graph “%s”: value “%s” is not defined", output_name,
                   self->name, value);
      return FALSE;
    }
  if (strcmp (value, output_name) == 0)
    {
      g_hash_table_add (self->bound, g_string_chunk_insert_const (sh->strings, output_name));
      return TRUE;
    }
  if (g_hash_table_contains (sh->values, output_name))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "Cannot bind output “%s” of graph “%s”: another value already has that name",
                   output_name, self->name);
      return FALSE;
    }

  if (def->kind == VALUE_NODE_OUTPUT && def->graph == self
      && !g_hash_table_contains (self->bound, value))
    {
      OxpNode *node = def->node;
      const char *to = g_string_chunk_insert_const (sh->strings, output_name);

      for (guint i = 0; i < node->n_outputs; i++)
        if (node->outputs[i] == value || strcmp (node->outputs[i], value) == 0)
          node->outputs[i] = to;
      g_hash_table_steal (sh->values, value);
      g_hash_table_insert (sh->values, (gpointer)to, def);
      g_hash_table_insert (sh->aliases, (gpointer)value, (gpointer)to);
      rename_uses (self, value, to);
    }
  else
    {
      const char *in[1] = { value };
      const char *out[1] = { output_name };

      add_node_full (self, "Identity", in, 1, 1, out);
    }
  g_hash_table_add (self->bound, g_string_chunk_insert_const (sh->strings, output_name));
  return TRUE;
}

/* For the merged decoder: both If branches are built by the same plugin
 * code, which binds the same output names ("logits", "present.0.key"), but
 * names are unique across a model.  Once a branch is complete its outputs
 * take names of their own, and the next branch may bind the plain names. */
gboolean
_oxp_graph_rename_output (OxpGraph *self, const char *output_name, const char *new_name,
                          GError **error)
{
  GraphShared *sh;
  GHashTableIter iter;
  gpointer key, value;
  ValueDef *def;
  const char *to;

  g_return_val_if_fail (OXP_IS_GRAPH (self), FALSE);
  g_return_val_if_fail (output_name != NULL && new_name != NULL, FALSE);

  sh = self->shared;
  def = g_hash_table_lookup (sh->values, output_name);
  if (find_output (self, output_name) == NULL || !g_hash_table_contains (self->bound, output_name)
      || def == NULL || def->kind != VALUE_NODE_OUTPUT || def->graph != self)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "Cannot rename output “%s” of graph “%s”: it is not a bound node output",
                   output_name, self->name);
      return FALSE;
    }
  if (name_is_taken (sh, sh->values, new_name))
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                   "Cannot rename output “%s” of graph “%s”: “%s” is taken", output_name,
                   self->name, new_name);
      return FALSE;
    }

  to = g_string_chunk_insert_const (sh->strings, new_name);
  output_name = g_string_chunk_insert_const (sh->strings, output_name);
  for (guint i = 0; i < def->node->n_outputs; i++)
    if (strcmp (def->node->outputs[i], output_name) == 0)
      def->node->outputs[i] = to;
  g_hash_table_steal (sh->values, output_name);
  g_hash_table_insert (sh->values, (gpointer)to, def);
  rename_uses (self, output_name, to);
  /* Old names bound to this output follow it; the plain name becomes free. */
  g_hash_table_iter_init (&iter, sh->aliases);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (strcmp (value, output_name) == 0)
      g_hash_table_iter_replace (&iter, (gpointer)to);
  g_hash_table_remove (self->bound, output_name);
  g_hash_table_add (self->bound, (gpointer)to);
  for (guint i = 0; i < self->outputs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (self->outputs, i);

      if (strcmp (oxp_tensor_spec_get_name (spec), output_name) == 0)
        {
          self->outputs->pdata[i] = oxp_tensor_spec_copy_renamed (spec, to);
          oxp_tensor_spec_unref (spec);
        }
    }
  return TRUE;
}

/* Whether @candidate is @graph or one of the graphs enclosing it. */
static gboolean
is_enclosing (OxpGraph *graph, OxpGraph *candidate)
{
  for (; graph != NULL; graph = graph->parent)
    if (graph == candidate)
      return TRUE;
  return FALSE;
}

static gboolean
check_graph (OxpGraph *self, GHashTable *defined, GError **error)
{
  GraphShared *sh = self->shared;
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  gboolean ok = TRUE;

  for (guint i = 0; i < self->inputs->len; i++)
    {
      const char *name = oxp_tensor_spec_get_name (g_ptr_array_index (self->inputs, i));

      g_hash_table_add (defined, (gpointer)name);
      g_ptr_array_add (added, (gpointer)name);
    }

  for (guint n = 0; ok && n < self->nodes->len; n++)
    {
      OxpNode *node = g_ptr_array_index (self->nodes, n);

      for (guint i = 0; i < node->n_inputs; i++)
        {
          const char *in = node->inputs[i];
          ValueDef *def;

          if (in == NULL || g_hash_table_contains (defined, in))
            continue;
          def = g_hash_table_lookup (sh->values, in);
          if (def != NULL && def->kind == VALUE_NODE_OUTPUT && is_enclosing (self, def->graph))
            g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                         "Nodes of graph “%s” are not in topological order: node “%s” (%s) uses "
                         "“%s” before node “%s” produces it",
                         self->name, node->name, node->op_type, in, def->node->name);
          else if (def != NULL)
            g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                         "Node “%s” (%s) of graph “%s” uses “%s”, which is defined in graph "
                         "“%s” and not visible there",
                         node->name, node->op_type, self->name, in,
                         def->graph ? def->graph->name : "?");
          else
            g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                         "Node “%s” (%s) of graph “%s” uses “%s”, which is not defined", node->name,
                         node->op_type, self->name, in);
          ok = FALSE;
          break;
        }
      for (guint i = 0; ok && i < node->attrs->len; i++)
        {
          OxpAttr *attr = g_ptr_array_index (node->attrs, i);

          if (attr->kind == OXP_ATTR_GRAPH)
            ok = check_graph (attr->g, defined, error);
        }
      for (guint i = 0; ok && i < node->n_outputs; i++)
        {
          g_hash_table_add (defined, (gpointer)node->outputs[i]);
          g_ptr_array_add (added, (gpointer)node->outputs[i]);
        }
    }

  for (guint i = 0; ok && i < self->outputs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (self->outputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);

      if (!g_hash_table_contains (self->bound, name) || !g_hash_table_contains (defined, name))
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                       "Declared output “%s” of graph “%s” is not bound to a value", name,
                       self->name);
          ok = FALSE;
        }
    }

  /* A subgraph's values are not visible to the rest of its parent. */
  if (self->parent != NULL)
    for (guint i = 0; i < added->len; i++)
      g_hash_table_remove (defined, g_ptr_array_index (added, i));
  return ok;
}

/**
 * oxp_graph_check:
 * @self: a graph
 * @error: return location for an error
 *
 * Checks that value names are unique, every node input is defined before
 * the node (in the graph, an enclosing graph or an initializer), and every
 * declared output is bound; subgraphs included.
 *
 * Returns: %TRUE, or %FALSE with %OXP_EXPORT_ERROR_INVALID_GRAPH naming the
 *   node and value at fault
 */
gboolean
oxp_graph_check (OxpGraph *self, GError **error)
{
  GraphShared *sh;
  g_autoptr (GHashTable) defined = NULL;
  g_autoptr (GHashTable) node_names = NULL;

  g_return_val_if_fail (OXP_IS_GRAPH (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sh = self->shared;
  if (sh->duplicates->len > 0)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH, "Graph “%s”: %s",
                   self->name, (const char *)g_ptr_array_index (sh->duplicates, 0));
      return FALSE;
    }
  for (guint i = 0; i < self->inputs->len; i++)
    {
      const char *name = oxp_tensor_spec_get_name (g_ptr_array_index (self->inputs, i));

      for (guint j = 0; j < self->outputs->len; j++)
        if (strcmp (name, oxp_tensor_spec_get_name (g_ptr_array_index (self->outputs, j))) == 0)
          {
            g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_INVALID_GRAPH,
                         "Graph “%s” has an input and an output both named “%s”", self->name, name);
            return FALSE;
          }
    }

  defined = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < sh->initializers->len; i++)
    g_hash_table_add (defined,
                      (gpointer)((OxpInitializer *)g_ptr_array_index (sh->initializers, i))->name);
  /* A subgraph checked alone sees everything its enclosing graphs define. */
  for (OxpGraph *g = self->parent; g != NULL; g = g->parent)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, sh->values);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (((ValueDef *)value)->graph == g)
          g_hash_table_add (defined, key);
    }
  return check_graph (self, defined, error);
}

static guint
count_nodes (OxpGraph *self)
{
  guint n = self->nodes->len;

  for (guint i = 0; i < self->nodes->len; i++)
    {
      OxpNode *node = g_ptr_array_index (self->nodes, i);

      for (guint j = 0; j < node->attrs->len; j++)
        {
          OxpAttr *attr = g_ptr_array_index (node->attrs, j);

          if (attr->kind == OXP_ATTR_GRAPH)
            n += count_nodes (attr->g);
        }
    }
  return n;
}

/**
 * oxp_graph_get_n_nodes:
 * @self: a graph
 *
 * The number of nodes in @self and in its subgraphs, for the export summary.
 *
 * Returns: the node count
 */
guint
oxp_graph_get_n_nodes (OxpGraph *self)
{
  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);
  return count_nodes (self);
}

/**
 * oxp_graph_get_n_parameters:
 * @self: a graph
 *
 * The element count of every initializer, weights and constants: what the
 * writer will write.
 *
 * Returns: the parameter count
 */
guint64
oxp_graph_get_n_parameters (OxpGraph *self)
{
  guint64 n = 0;

  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);

  for (guint i = 0; i < self->shared->initializers->len; i++)
    n += _oxp_initializer_get_n_elements (g_ptr_array_index (self->shared->initializers, i));
  return n;
}

/**
 * oxp_graph_get_weights_size:
 * @self: a graph
 *
 * The bytes of initializer data as written, after float conversion: what
 * decides whether the weights go to an external-data file.
 *
 * Returns: the size in bytes
 */
guint64
oxp_graph_get_weights_size (OxpGraph *self)
{
  guint64 n = 0;

  g_return_val_if_fail (OXP_IS_GRAPH (self), 0);

  for (guint i = 0; i < self->shared->initializers->len; i++)
    n += _oxp_initializer_get_size (self, g_ptr_array_index (self->shared->initializers, i));
  return n;
}

/* Private API for the writer. */

const char *
_oxp_graph_get_doc_string (OxpGraph *self)
{
  return self->doc_string;
}

GPtrArray *
_oxp_graph_get_nodes (OxpGraph *self)
{
  return self->nodes;
}

GPtrArray *
_oxp_graph_get_initializers (OxpGraph *self)
{
  return self->shared->initializers;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *
_oxp_graph_dup_extra_domains (OxpGraph *self)
{
  GPtrArray *domains = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->shared->domains);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (domains, key);
  g_ptr_array_sort (domains, compare_strings);
  return domains;
}

OxpDataType
_oxp_initializer_get_dtype (OxpGraph *self, const OxpInitializer *init)
{
  if (init->quant == OXP_QUANT_BLOCKS || init->quant == OXP_QUANT_ZERO_POINTS)
    return OXP_DATA_TYPE_UINT8;
  if (init->quant == OXP_QUANT_SCALES)
    return oxp_graph_get_quantize_scales_type (self);
  return init->convert ? self->shared->float_type : init->src_dtype;
}

void
_oxp_initializer_get_quant_sizes (const OxpInitializer *init, gsize *n, gsize *k, gsize *k_blocks,
                                  gsize *row_bytes, gsize *zp_row_bytes)
{
  *n = (gsize)init->shape[init->quant_in_out ? 1 : 0];
  *k = (gsize)init->shape[init->quant_in_out ? 0 : 1];
  *k_blocks = (*k + init->quant_block_size - 1) / init->quant_block_size;
  *row_bytes = *k_blocks * init->quant_block_size * init->quant_bits / 8;
  *zp_row_bytes = (*k_blocks * init->quant_bits + 7) / 8;
}

guint
_oxp_initializer_get_rank (const OxpInitializer *init)
{
  switch (init->quant)
    {
    case OXP_QUANT_BLOCKS:
      return 3;
    case OXP_QUANT_SCALES:
    case OXP_QUANT_ZERO_POINTS:
      return 1;
    default:
      return init->rank;
    }
}

void
_oxp_initializer_get_dims (const OxpInitializer *init, gint64 *dims)
{
  gsize n, k, k_blocks, row_bytes, zp_row_bytes;

  if (init->quant != OXP_QUANT_NONE)
    {
      _oxp_initializer_get_quant_sizes (init, &n, &k, &k_blocks, &row_bytes, &zp_row_bytes);
      switch (init->quant)
        {
        case OXP_QUANT_BLOCKS:
          dims[0] = (gint64)n;
          dims[1] = (gint64)k_blocks;
          dims[2] = (gint64)(row_bytes / k_blocks);
          break;
        case OXP_QUANT_SCALES:
          dims[0] = (gint64)(n * k_blocks);
          break;
        default:
          dims[0] = (gint64)(n * zp_row_bytes);
          break;
        }
      return;
    }
  for (guint i = 0; i < init->rank; i++)
    dims[i] = init->shape[i];
  if (init->transpose && init->rank == 2)
    {
      dims[0] = init->shape[1];
      dims[1] = init->shape[0];
    }
}

guint64
_oxp_initializer_get_n_elements (const OxpInitializer *init)
{
  guint64 n = 1;
  gint64 dims[3];

  if (init->quant == OXP_QUANT_NONE)
    {
      for (guint i = 0; i < init->rank; i++)
        n *= (guint64)init->shape[i];
      return n;
    }
  _oxp_initializer_get_dims (init, dims);
  for (guint i = 0; i < _oxp_initializer_get_rank (init); i++)
    n *= (guint64)dims[i];
  return n;
}

guint64
_oxp_initializer_get_size (OxpGraph *self, const OxpInitializer *init)
{
  return _oxp_initializer_get_n_elements (init)
         * oxp_data_type_get_size (_oxp_initializer_get_dtype (self, init));
}

/**
 * oxp_graph_intern_printf: (skip)
 * @self: a graph
 * @format: a printf() format
 * @...: the arguments of @format
 *
 * Formats a string that @self owns: the tensor and value names a plugin
 * builds while it adds a graph ("encoder.layer.%d.attention.self.query"),
 * without freeing each one.  The string lives as long as @self, and as
 * long as the main graph for a subgraph (they share one string pool).
 *
 * Returns: (transfer none): the formatted string
 */
const char *
oxp_graph_intern_printf (OxpGraph *self, const char *format, ...)
{
  g_autofree char *s = NULL;
  va_list ap;

  g_return_val_if_fail (OXP_IS_GRAPH (self), NULL);
  g_return_val_if_fail (format != NULL, NULL);

  va_start (ap, format);
  s = g_strdup_vprintf (format, ap);
  va_end (ap);
  return g_string_chunk_insert (self->shared->strings, s);
}
