/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "onnx.pb-c.h"
#include "oxp-graph-private.h"
#include "oxp-onnx-writer-convert-private.h"
#include "oxp-onnx-writer-private.h"

/**
 * OxpOnnxWriter:
 *
 * Writes an #OxpGraph as an ONNX ModelProto.  Everything but the weights is
 * built as protobuf-c messages and packed; each initializer's TensorProto is
 * framed by hand around its packed header (dims, data_type, name) so that
 * its raw_data can be streamed from the checkpoint's memory map in bounded
 * chunks (converted or transposed on the way), never held whole in memory.
 * Weights go inline below protobuf's 2 GiB limit, else into one
 * `<model>_data` file.  Files are written under temporary names in the
 * output folder and renamed at the end; on failure they are removed.
 */

/* Bounded working memory of a write.  Transposition reads bands of at most
 * BAND_SIZE source bytes straight from the checkpoint's map (a band cut
 * from a bigger tensor costs one pwrite() per output row, so BAND_SIZE sets
 * the size of those writes: 128 MiB holds any linear weight of a 7B llama
 * whole) and has MAX_THREADS workers fill two BLOCK_SIZE buffers each
 * (measured: 512 KiB blocks cost the kernel's copy of a pwrite() half of
 * what 1 or 2 MiB blocks of a 2048-row fp32 tensor do). */
#define CHUNK_SIZE ((gsize)8 << 20)
#define BAND_SIZE ((gsize)128 << 20)
#define BLOCK_SIZE ((gsize)512 << 10)
#define MAX_THREADS 8
#define SINK_BUFFER_SIZE ((gsize)1 << 20)
/* Protobuf messages cannot exceed 2 GiB. */
#define PROTOBUF_LIMIT ((guint64)G_MAXINT32)
/* Like onnx's convert_model_to_external_data(): tensors of at least 1 KiB go
 * external; those of at least 1 MiB start on a 64 KiB boundary so that they
 * can be memory-mapped where they lie (page size or Windows' allocation
 * granularity). */
#define EXTERNAL_MIN_SIZE 1024
#define ALIGN_MIN_SIZE ((guint64)1 << 20)
#define ALIGNMENT ((guint64)65536)

typedef struct
{
  char *key;
  char *value;
} MetadataEntry;

struct _OxpOnnxWriter
{
  GObject parent_instance;

  OxpExternalData external_data;
  GArray *metadata; /* MetadataEntry, in insertion order */
  OxpProgressFunc progress_func;
  gpointer progress_data;
  GDestroyNotify progress_notify;
  OxpSharedData *shared; /* borrowed, or NULL */
};

G_DEFINE_FINAL_TYPE (OxpOnnxWriter, oxp_onnx_writer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_EXTERNAL_DATA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
metadata_entry_clear (gpointer data)
{
  MetadataEntry *e = data;

  g_free (e->key);
  g_free (e->value);
}

static void
oxp_onnx_writer_finalize (GObject *object)
{
  OxpOnnxWriter *self = OXP_ONNX_WRITER (object);

  g_array_unref (self->metadata);
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);

  G_OBJECT_CLASS (oxp_onnx_writer_parent_class)->finalize (object);
}

static void
oxp_onnx_writer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  OxpOnnxWriter *self = OXP_ONNX_WRITER (object);

  switch (prop_id)
    {
    case PROP_EXTERNAL_DATA:
      g_value_set_enum (value, self->external_data);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_writer_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  OxpOnnxWriter *self = OXP_ONNX_WRITER (object);

  switch (prop_id)
    {
    case PROP_EXTERNAL_DATA:
      oxp_onnx_writer_set_external_data (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
oxp_onnx_writer_class_init (OxpOnnxWriterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = oxp_onnx_writer_finalize;
  object_class->get_property = oxp_onnx_writer_get_property;
  object_class->set_property = oxp_onnx_writer_set_property;

  /**
   * OxpOnnxWriter:external-data:
   *
   * Where the weights go: inline, or in one external-data file beside
   * the model (#OxpExternalData).
   */
  properties[PROP_EXTERNAL_DATA]
      = g_param_spec_enum ("external-data", NULL, NULL, OXP_TYPE_EXTERNAL_DATA,
                           OXP_EXTERNAL_DATA_AUTO, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
oxp_onnx_writer_init (OxpOnnxWriter *self)
{
  self->metadata = g_array_new (FALSE, TRUE, sizeof (MetadataEntry));
  g_array_set_clear_func (self->metadata, metadata_entry_clear);
}

/**
 * oxp_onnx_writer_new:
 *
 * Creates a writer.  One writer may write several graphs in turn; the
 * exporter makes one per export and sets its metadata and progress callback
 * once.
 *
 * Returns: (transfer full): a writer with external data in %OXP_EXTERNAL_DATA_AUTO mode
 */
OxpOnnxWriter *
oxp_onnx_writer_new (void)
{
  return g_object_new (OXP_TYPE_ONNX_WRITER, NULL);
}

/**
 * oxp_onnx_writer_set_external_data:
 * @self: a writer
 * @mode: where the weights go
 *
 * Chooses between weights inline in the .onnx file and one external-data
 * file beside it (#OxpOnnxWriter:external-data, `--external-data`).  In
 * %OXP_EXTERNAL_DATA_AUTO mode the 2 GiB protobuf limit decides.
 */
void
oxp_onnx_writer_set_external_data (OxpOnnxWriter *self, OxpExternalData mode)
{
  g_return_if_fail (OXP_IS_ONNX_WRITER (self));
  g_return_if_fail (mode >= OXP_EXTERNAL_DATA_AUTO && mode <= OXP_EXTERNAL_DATA_ALWAYS);

  if (self->external_data == mode)
    return;
  self->external_data = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXTERNAL_DATA]);
}

void
_oxp_onnx_writer_set_shared_data (OxpOnnxWriter *self, OxpSharedData *shared)
{
  g_return_if_fail (OXP_IS_ONNX_WRITER (self));
  self->shared = shared;
}

/**
 * oxp_onnx_writer_set_metadata:
 * @self: a writer
 * @key: the metadata_props key
 * @value: (nullable): its value; NULL removes the key
 *
 * Keys are written in the order they were first set.
 */
void
oxp_onnx_writer_set_metadata (OxpOnnxWriter *self, const char *key, const char *value)
{
  MetadataEntry e;

  g_return_if_fail (OXP_IS_ONNX_WRITER (self));
  g_return_if_fail (key != NULL);

  for (guint i = 0; i < self->metadata->len; i++)
    {
      MetadataEntry *old = &g_array_index (self->metadata, MetadataEntry, i);

      if (strcmp (old->key, key) != 0)
        continue;
      if (value == NULL)
        g_array_remove_index (self->metadata, i);
      else
        {
          g_free (old->value);
          old->value = g_strdup (value);
        }
      return;
    }
  if (value == NULL)
    return;
  e.key = g_strdup (key);
  e.value = g_strdup (value);
  g_array_append_val (self->metadata, e);
}

/**
 * oxp_onnx_writer_set_progress_func:
 * @self: a writer
 * @func: (nullable): called after each chunk of weights written
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data
 *
 * Sets the callback told, after each chunk of weights written, how many bytes
 * of weights are written so far and in all: what the CLI's progress line
 * shows.  It replaces (and notifies) an earlier one.
 */
void
oxp_onnx_writer_set_progress_func (OxpOnnxWriter *self, OxpProgressFunc func, gpointer user_data,
                                   GDestroyNotify notify)
{
  g_return_if_fail (OXP_IS_ONNX_WRITER (self));

  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);
  self->progress_func = func;
  self->progress_data = user_data;
  self->progress_notify = notify;
}

/* --- Messages ------------------------------------------------------------ */

/* Every message of a write is allocated here and freed at the end; strings
 * point into the graph, which outlives the write. */
typedef struct
{
  GPtrArray *allocs;
} Arena;

static gpointer
arena_alloc (Arena *arena, gsize size)
{
  gpointer p = g_malloc0 (MAX (size, 1));

  g_ptr_array_add (arena->allocs, p);
  return p;
}

#define arena_new(arena, T, n) ((T *)arena_alloc ((arena), sizeof (T) * (n)))

static Onnx__ValueInfoProto *
build_value_info (Arena *arena, OxpTensorSpec *spec)
{
  Onnx__ValueInfoProto *vi = arena_new (arena, Onnx__ValueInfoProto, 1);
  Onnx__TypeProto *type = arena_new (arena, Onnx__TypeProto, 1);
  Onnx__TypeProto__Tensor *tt = arena_new (arena, Onnx__TypeProto__Tensor, 1);
  Onnx__TensorShapeProto *shape = arena_new (arena, Onnx__TensorShapeProto, 1);
  guint rank = oxp_tensor_spec_get_rank (spec);

  onnx__value_info_proto__init (vi);
  onnx__type_proto__init (type);
  onnx__type_proto__tensor__init (tt);
  onnx__tensor_shape_proto__init (shape);

  vi->name = (char *)oxp_tensor_spec_get_name (spec);
  vi->type = type;
  type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type->tensor_type = tt;
  tt->has_elem_type = TRUE;
  tt->elem_type = oxp_tensor_spec_get_dtype (spec);
  tt->shape = shape;
  shape->n_dim = rank;
  shape->dim = arena_new (arena, Onnx__TensorShapeProto__Dimension *, rank);
  for (guint i = 0; i < rank; i++)
    {
      Onnx__TensorShapeProto__Dimension *dim
          = arena_new (arena, Onnx__TensorShapeProto__Dimension, 1);
      const char *param = oxp_tensor_spec_get_dim_param (spec, i);
      gint64 value = oxp_tensor_spec_get_dim_value (spec, i);

      onnx__tensor_shape_proto__dimension__init (dim);
      if (param != NULL)
        {
          dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
          dim->dim_param = (char *)param;
        }
      else if (value >= 0)
        {
          dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
          dim->dim_value = value;
        }
      shape->dim[i] = dim;
    }
  return vi;
}

/* A small in-memory tensor (attribute values). */
static Onnx__TensorProto *
build_tensor (Arena *arena, OxpTensor *t)
{
  Onnx__TensorProto *tp = arena_new (arena, Onnx__TensorProto, 1);
  guint rank = oxp_tensor_get_rank (t);

  onnx__tensor_proto__init (tp);
  tp->n_dims = rank;
  tp->dims = arena_new (arena, int64_t, rank);
  for (guint i = 0; i < rank; i++)
    tp->dims[i] = oxp_tensor_get_shape (t)[i];
  tp->has_data_type = TRUE;
  tp->data_type = oxp_tensor_get_dtype (t);
  tp->has_raw_data = TRUE;
  tp->raw_data.len = oxp_tensor_get_size (t);
  tp->raw_data.data = (guint8 *)oxp_tensor_get_data (t);
  return tp;
}

static Onnx__GraphProto *build_graph (Arena *arena, OxpGraph *graph);

static Onnx__AttributeProto *
build_attribute (Arena *arena, OxpAttr *attr)
{
  Onnx__AttributeProto *ap = arena_new (arena, Onnx__AttributeProto, 1);

  onnx__attribute_proto__init (ap);
  ap->name = attr->name;
  ap->has_type = TRUE;
  switch (attr->kind)
    {
    case OXP_ATTR_FLOAT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
      ap->has_f = TRUE;
      ap->f = attr->f;
      break;
    case OXP_ATTR_INT:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
      ap->has_i = TRUE;
      ap->i = attr->i;
      break;
    case OXP_ATTR_STRING:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
      ap->has_s = TRUE;
      ap->s.data = (guint8 *)attr->s;
      ap->s.len = strlen (attr->s);
      break;
    case OXP_ATTR_TENSOR:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
      ap->t = build_tensor (arena, attr->t);
      break;
    case OXP_ATTR_GRAPH:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
      ap->g = build_graph (arena, attr->g);
      break;
    case OXP_ATTR_FLOATS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
      ap->n_floats = attr->n;
      ap->floats = attr->values;
      break;
    case OXP_ATTR_INTS:
      ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
      ap->n_ints = attr->n;
      ap->ints = attr->values;
      break;
    }
  return ap;
}

/* Everything of @graph but the initializers (all kept by the main graph and
 * written by hand). */
static Onnx__GraphProto *
build_graph (Arena *arena, OxpGraph *graph)
{
  Onnx__GraphProto *gp = arena_new (arena, Onnx__GraphProto, 1);
  GPtrArray *nodes = _oxp_graph_get_nodes (graph);
  GPtrArray *inputs = oxp_graph_get_inputs (graph);
  GPtrArray *outputs = oxp_graph_get_outputs (graph);

  onnx__graph_proto__init (gp);
  gp->name = (char *)oxp_graph_get_name (graph);
  gp->doc_string = (char *)_oxp_graph_get_doc_string (graph);

  gp->n_node = nodes->len;
  gp->node = arena_new (arena, Onnx__NodeProto *, nodes->len);
  for (guint i = 0; i < nodes->len; i++)
    {
      OxpNode *node = g_ptr_array_index (nodes, i);
      Onnx__NodeProto *np = arena_new (arena, Onnx__NodeProto, 1);

      onnx__node_proto__init (np);
      np->name = (char *)node->name;
      np->op_type = (char *)node->op_type;
      np->domain = (char *)node->domain;
      np->n_input = node->n_inputs;
      np->input = arena_new (arena, char *, node->n_inputs);
      for (guint j = 0; j < node->n_inputs; j++)
        np->input[j] = (char *)(node->inputs[j] ? node->inputs[j] : "");
      np->n_output = node->n_outputs;
      np->output = (char **)node->outputs;
      np->n_attribute = node->attrs->len;
      np->attribute = arena_new (arena, Onnx__AttributeProto *, node->attrs->len);
      for (guint j = 0; j < node->attrs->len; j++)
        np->attribute[j] = build_attribute (arena, g_ptr_array_index (node->attrs, j));
      gp->node[i] = np;
    }

  gp->n_input = inputs->len;
  gp->input = arena_new (arena, Onnx__ValueInfoProto *, inputs->len);
  for (guint i = 0; i < inputs->len; i++)
    gp->input[i] = build_value_info (arena, g_ptr_array_index (inputs, i));
  gp->n_output = outputs->len;
  gp->output = arena_new (arena, Onnx__ValueInfoProto *, outputs->len);
  for (guint i = 0; i < outputs->len; i++)
    gp->output[i] = build_value_info (arena, g_ptr_array_index (outputs, i));
  return gp;
}

/* ONNX IR version for an ai.onnx opset (docs/Versioning.md of onnx). */
static gint64
ir_version_for_opset (guint opset)
{
  if (opset <= 18)
    return 8;
  if (opset <= 20)
    return 9;
  if (opset <= 22)
    return 10;
  return 11;
}

/* --- Output files -------------------------------------------------------- */

/* A file being written: a temporary name, renamed at the end. */
typedef struct
{
  char *path;     /* the final name, used in messages */
  char *tmp_path; /* NULL once renamed or removed */
  int fd;
  guint8 *buf;
  gsize len;
  guint64 offset; /* bytes written so far, buffered ones included */
} Sink;

static void
set_write_error (GError **error, int errsv, const char *path)
{
  if (errsv == ENOSPC || errsv == EFBIG || errsv == EDQUOT)
    g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_NO_SPACE,
                 "Could not write “%s”: %s (the disk is full or a file size limit was hit)", path,
                 g_strerror (errsv));
  else
    g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO, "Could not write “%s”: %s", path,
                 g_strerror (errsv));
}

static gboolean
sink_open (Sink *sink, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);

  memset (sink, 0, sizeof *sink);
  sink->fd = -1;
  sink->path = g_strdup (path);
  /* Our own O_EXCL loop rather than mkstemp(), so that the file gets the
   * usual 0666 & ~umask mode. */
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      g_autofree char *tmp = g_strdup_printf ("%s/.%s.tmp-%08x", dir, base, g_random_int ());

      sink->fd = g_open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
      if (sink->fd >= 0)
        {
          sink->tmp_path = g_steal_pointer (&tmp);
          break;
        }
      if (errno != EEXIST)
        {
          int errsv = errno;

          g_set_error (error, OXP_EXPORT_ERROR,
                       errsv == ENOSPC || errsv == EDQUOT ? OXP_EXPORT_ERROR_NO_SPACE
                                                          : OXP_EXPORT_ERROR_IO,
                       "Could not create a temporary file for “%s” in “%s”: %s", path, dir,
                       g_strerror (errsv));
          return FALSE;
        }
    }
  if (sink->fd < 0)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO,
                   "Could not create a temporary file for “%s” in “%s”", path, dir);
      return FALSE;
    }
  sink->buf = g_malloc (SINK_BUFFER_SIZE);
  return TRUE;
}

/* Removes what is left of a failed write. */
static void
sink_discard (Sink *sink)
{
  if (sink->fd >= 0)
    close (sink->fd);
  sink->fd = -1;
  if (sink->tmp_path != NULL)
    g_unlink (sink->tmp_path);
  g_clear_pointer (&sink->tmp_path, g_free);
  g_clear_pointer (&sink->buf, g_free);
  g_clear_pointer (&sink->path, g_free);
}

static gboolean
write_all (Sink *sink, const void *data, gsize len, GError **error)
{
  const guint8 *p = data;

  while (len > 0)
    {
      ssize_t n = write (sink->fd, p, MIN (len, (gsize)1 << 30));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          set_write_error (error, n < 0 ? errno : ENOSPC, sink->path);
          return FALSE;
        }
      p += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
pwrite_all (Sink *sink, const void *data, gsize len, guint64 offset, GError **error)
{
  const guint8 *p = data;

  while (len > 0)
    {
      ssize_t n = pwrite (sink->fd, p, len, (off_t)offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          set_write_error (error, n < 0 ? errno : ENOSPC, sink->path);
          return FALSE;
        }
      p += n;
      len -= n;
      offset += n;
    }
  return TRUE;
}

static gboolean
sink_flush (Sink *sink, GError **error)
{
  gsize len = sink->len;

  sink->len = 0;
  return write_all (sink, sink->buf, len, error);
}

static gboolean
sink_write (Sink *sink, const void *data, gsize len, GError **error)
{
  sink->offset += len;
  if (sink->len + len <= SINK_BUFFER_SIZE)
    {
      memcpy (sink->buf + sink->len, data, len);
      sink->len += len;
      return TRUE;
    }
  if (!sink_flush (sink, error))
    return FALSE;
  if (len < SINK_BUFFER_SIZE)
    {
      memcpy (sink->buf, data, len);
      sink->len = len;
      return TRUE;
    }
  return write_all (sink, data, len, error);
}

static gboolean
sink_write_zeros (Sink *sink, gsize len, GError **error)
{
  static const guint8 zeros[4096];

  while (len > 0)
    {
      gsize n = MIN (len, sizeof zeros);

      if (!sink_write (sink, zeros, n, error))
        return FALSE;
      len -= n;
    }
  return TRUE;
}

static gboolean
sink_close (Sink *sink, GError **error)
{
  int fd = sink->fd;

  if (!sink_flush (sink, error))
    return FALSE;
  sink->fd = -1;
  if (close (fd) != 0)
    {
      set_write_error (error, errno, sink->path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sink_commit (Sink *sink, GError **error)
{
  if (g_rename (sink->tmp_path, sink->path) != 0)
    {
      int errsv = errno;

      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO,
                   "Could not rename “%s” to “%s”: %s", sink->tmp_path, sink->path,
                   g_strerror (errsv));
      return FALSE;
    }
  g_clear_pointer (&sink->tmp_path, g_free);
  return TRUE;
}

/* --- A data file several models share -------------------------------------- */

struct _OxpSharedData
{
  char *path;
  Sink sink;         /* fd -1 until the first tensor goes in */
  guint64 size;      /* bytes committed by successful writes */
  GHashTable *index; /* initializer_key() → guint64 offset */
};

OxpSharedData *
_oxp_shared_data_new (const char *path)
{
  OxpSharedData *shared = g_new0 (OxpSharedData, 1);

  shared->path = g_strdup (path);
  shared->sink.fd = -1;
  shared->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return shared;
}

void
_oxp_shared_data_free (OxpSharedData *shared)
{
  if (shared == NULL)
    return;
  if (shared->sink.fd >= 0)
    close (shared->sink.fd);
  g_free (shared->sink.buf);
  g_free (shared->sink.path);
  g_hash_table_unref (shared->index);
  g_free (shared->path);
  g_free (shared);
}

const char *
_oxp_shared_data_get_path (OxpSharedData *shared)
{
  return shared->path;
}

guint64
_oxp_shared_data_get_size (OxpSharedData *shared)
{
  return shared->size;
}

gboolean
_oxp_shared_data_close (OxpSharedData *shared, GError **error)
{
  if (shared->sink.fd < 0)
    return TRUE;
  return sink_close (&shared->sink, error);
}

/* Opened on first use, in place: the file is new (O_EXCL). */
static gboolean
shared_data_open (OxpSharedData *shared, GError **error)
{
  if (shared->sink.fd >= 0)
    return TRUE;
  shared->sink.fd = g_open (shared->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (shared->sink.fd < 0)
    {
      set_write_error (error, errno, shared->path);
      return FALSE;
    }
  g_free (shared->sink.path);
  shared->sink.path = g_strdup (shared->path);
  if (shared->sink.buf == NULL)
    shared->sink.buf = g_malloc (SINK_BUFFER_SIZE);
  shared->sink.len = 0;
  shared->sink.offset = 0;
  return TRUE;
}

/* Undoes a failed write: its tensors leave the index and the file is cut
 * back to what earlier writes left (removed when they left nothing). */
static void
shared_data_rollback (OxpSharedData *shared, GPtrArray *added_keys)
{
  for (guint i = 0; i < added_keys->len; i++)
    g_hash_table_remove (shared->index, g_ptr_array_index (added_keys, i));
  if (shared->sink.fd < 0)
    return;
  shared->sink.len = 0;
  if (shared->size == 0)
    {
      close (shared->sink.fd);
      shared->sink.fd = -1;
      g_unlink (shared->path);
      return;
    }
  /* Best effort: a file that cannot be cut keeps bytes nothing refers to. */
  if (ftruncate (shared->sink.fd, (off_t)shared->size) != 0)
    {
    }
  if (lseek (shared->sink.fd, (off_t)shared->size, SEEK_SET) < 0)
    {
    }
  shared->sink.offset = shared->size;
}

/* What makes two initializers' written bytes the same: the type and shape
 * written, the transposition, and the source (a checkpoint tensor by its
 * place in the map; a constant by its content). */
static char *
initializer_key (OxpGraph *graph, const OxpInitializer *init)
{
  GString *key = g_string_new (NULL);
  gint64 dims[16];

  g_assert (init->rank <= G_N_ELEMENTS (dims));
  _oxp_initializer_get_dims (init, dims);
  g_string_append_printf (key, "%d<%d:%d:", (int)_oxp_initializer_get_dtype (graph, init),
                          (int)init->src_dtype, init->transpose ? 1 : 0);
  for (guint d = 0; d < init->rank; d++)
    g_string_append_printf (key, "%" G_GINT64_FORMAT ",", dims[d]);
  if (init->is_weight)
    g_string_append_printf (key, "w%p+%" G_GSIZE_FORMAT, init->data, init->src_size);
  else
    {
      g_autofree char *sum
          = g_compute_checksum_for_data (G_CHECKSUM_SHA256, init->data, init->src_size);

      g_string_append_printf (key, "c%s", sum);
    }
  return g_string_free (key, FALSE);
}

/* --- Varints --------------------------------------------------------------- */

static gsize
varint_size (guint64 v)
{
  gsize n = 1;

  while (v >= 0x80)
    {
      v >>= 7;
      n++;
    }
  return n;
}

static gsize
encode_varint (guint8 *out, guint64 v)
{
  gsize n = 0;

  while (v >= 0x80)
    {
      out[n++] = (guint8)(v | 0x80);
      v >>= 7;
    }
  out[n++] = (guint8)v;
  return n;
}

/* Tag and length of a length-delimited field. */
static gboolean
write_field_header (Sink *sink, guint field, guint64 len, GError **error)
{
  guint8 buf[24];
  gsize n = encode_varint (buf, ((guint64)field << 3) | 2);

  n += encode_varint (buf + n, len);
  return sink_write (sink, buf, n, error);
}

static gsize
field_header_size (guint field, guint64 len)
{
  return varint_size (((guint64)field << 3) | 2) + varint_size (len);
}

/* Field numbers of onnx.proto used by the hand-written framing. */
enum
{
  MODEL_FIELD_GRAPH = 7,
  GRAPH_FIELD_INITIALIZER = 5,
  TENSOR_FIELD_RAW_DATA = 9,
};

/* --- Reading the weights ----------------------------------------------------- */

/* A file-backed, read-only mapping of this process (from /proc/self/maps).
 * Knowing that a tensor lies in one lets the writer copy it in the kernel
 * (copy_file_range) and drop the pages it has streamed (MADV_DONTNEED, which
 * on such a mapping only forgets them: they come back from the page cache),
 * so resident memory stays bounded whatever the checkpoint size. */
typedef struct
{
  guintptr start, end;
  guint64 offset;
  dev_t dev;
  guint64 inode;
  gboolean writable;
} Mapping;

static GArray *
read_mappings (void)
{
  GArray *maps = g_array_new (FALSE, FALSE, sizeof (Mapping));
  FILE *f = fopen ("/proc/self/maps", "re");
  char line[4096];

  if (f == NULL)
    return maps;
  while (fgets (line, sizeof line, f) != NULL)
    {
      unsigned long start, end, offset, inode;
      unsigned int major, minor;
      char perms[8];
      Mapping m;

      if (sscanf (line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &offset, &major, &minor,
                  &inode)
              != 7
          || inode == 0)
        continue;
      m.start = start;
      m.end = end;
      m.offset = offset;
      m.dev = makedev (major, minor);
      m.inode = inode;
      m.writable = strchr (perms, 'w') != NULL;
      g_array_append_val (maps, m);
    }
  fclose (f);
  return maps;
}

typedef struct
{
  OxpOnnxWriter *writer;
  OxpGraph *graph;
  GArray *mappings;
  GHashTable *source_fds; /* checkpoint file → fd (GINT_TO_POINTER (fd + 1)), or 0 if unusable */
  guint8 *chunk;          /* CHUNK_SIZE */
  OxpTransposer *transposer; /* made for the first transposed tensor */
  /* The scales and zero points computed with the last quantized codes:
   * their parts, written next, come from here instead of a second pass
   * over the weight. */
  const OxpInitializer *quant_of;
  guint8 *quant_scales;
  guint8 *quant_zero_points;
  guint64 done, total;
} WriteContext;

static const Mapping *
find_mapping (WriteContext *ctx, gconstpointer data, gsize size)
{
  guintptr p = (guintptr)data;

  for (guint i = 0; i < ctx->mappings->len; i++)
    {
      const Mapping *m = &g_array_index (ctx->mappings, Mapping, i);

      if (p >= m->start && p + size <= m->end && !m->writable)
        return m;
    }
  return NULL;
}

/* madvise() on the pages of a range of a read-only file mapping. */
static void
advise_pages (WriteContext *ctx, const OxpInitializer *init, gconstpointer data, gsize size,
              int advice)
{
  const Mapping *m;
  guintptr page = (guintptr)sysconf (_SC_PAGESIZE);
  guintptr start, end;

  if (init->checkpoint == NULL || size == 0 || (m = find_mapping (ctx, data, size)) == NULL)
    return;
  start = (guintptr)data & ~(page - 1);
  end = ((guintptr)data + size + page - 1) & ~(page - 1);
  start = MAX (start, m->start);
  end = MIN (end, m->end);
  if (end > start)
    madvise ((void *)start, end - start, advice);
}

/* Forgets the pages of a streamed range of a read-only file mapping. */
static void
drop_pages (WriteContext *ctx, const OxpInitializer *init, gconstpointer data, gsize size)
{
  advise_pages (ctx, init, data, size, MADV_DONTNEED);
}

/* An fd on the file behind @init's mapping and the offset of its data. */
static int
source_fd (WriteContext *ctx, const OxpInitializer *init, off_t *offset)
{
  const Mapping *m;
  gpointer cached;
  int fd;

  if (init->checkpoint == NULL || init->file == NULL
      || (m = find_mapping (ctx, init->data, init->src_size)) == NULL)
    return -1;
  *offset = (off_t)(m->offset + ((guintptr)init->data - m->start));
  if (g_hash_table_lookup_extended (ctx->source_fds, init->file, NULL, &cached))
    fd = GPOINTER_TO_INT (cached) - 1;
  else
    {
      struct stat st;

      fd = g_open (init->file, O_RDONLY | O_CLOEXEC, 0);
      /* Only the very file that is mapped (it may have been replaced since). */
      if (fd >= 0 && (fstat (fd, &st) != 0 || st.st_dev != m->dev || st.st_ino != m->inode))
        {
          close (fd);
          fd = -1;
        }
      g_hash_table_insert (ctx->source_fds, g_strdup (init->file), GINT_TO_POINTER (fd + 1));
    }
  return fd;
}

static void
report_progress (WriteContext *ctx, guint64 n)
{
  ctx->done += n;
  if (ctx->writer->progress_func != NULL)
    ctx->writer->progress_func (ctx->done, ctx->total, ctx->writer->progress_data);
}

/* Copies in the kernel; FALSE with no error set when not possible here. */
static gboolean
copy_range (WriteContext *ctx, Sink *sink, const OxpInitializer *init, gboolean *copied,
            GError **error)
{
  off_t offset;
  int fd = source_fd (ctx, init, &offset);
  gsize left = init->src_size;

  *copied = FALSE;
  if (fd < 0 || !sink_flush (sink, error))
    return fd < 0;
  while (left > 0)
    {
      ssize_t n = copy_file_range (fd, &offset, sink->fd, NULL, MIN (left, (gsize)64 << 20), 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && left == init->src_size
          && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP
              || errno == EBADF || errno == EPERM))
        return TRUE; /* not supported here: write from the map instead */
      if (n == 0)
        {
          /* The source ended early: it was truncated under us. */
          g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO,
                       "%s changed while it was being read (it is shorter than when it was "
                       "opened)",
                       init->file);
          return FALSE;
        }
      if (n < 0)
        {
          set_write_error (error, errno, sink->path);
          return FALSE;
        }
      left -= n;
      report_progress (ctx, n);
    }
  sink->offset += init->src_size;
  *copied = TRUE;
  return TRUE;
}

/* Where _oxp_transposer_write() puts a tensor's transposition. */
typedef struct
{
  WriteContext *ctx;
  Sink *sink;
  const OxpInitializer *init;
  guint64 base; /* file offset of the tensor's first byte */
} TransposeOutput;

static gboolean
transpose_write (gconstpointer data, gsize len, guint64 offset, gpointer user_data, GError **error)
{
  TransposeOutput *out = user_data;

  if (!pwrite_all (out->sink, data, len, out->base + offset, error))
    return FALSE;
  report_progress (out->ctx, len);
  return TRUE;
}

/* A band about to be read is read ahead (the checkpoint may not be in the
 * page cache); a band read is forgotten, as in the other paths. */
static void
transpose_band (gconstpointer src, gsize len, gboolean done, gpointer user_data)
{
  TransposeOutput *out = user_data;

  if (done)
    drop_pages (out->ctx, out->init, src, len);
  else
    advise_pages (out->ctx, out->init, src, len, MADV_WILLNEED);
}

/* One worker's share of a chunk of quantized rows. */
typedef struct
{
  const OxpQuantizeJob *job;
  gsize r0, nr;
  guint8 *dst;
} QuantizeSlice;

static gpointer
quantize_slice (gpointer data)
{
  QuantizeSlice *slice = data;
  g_autofree float *row = g_new (float, MAX (slice->job->k, 1));

  _oxp_quantize_rows (slice->job, slice->r0, slice->nr, slice->dst, row);
  return NULL;
}

/* Rows [@r0, @r0 + @nr) into @dst, split between up to @n_threads threads
 * (the calling one included): every row is independent. */
static void
quantize_chunk (const OxpQuantizeJob *job, gsize r0, gsize nr, gsize out_row, guint8 *dst,
                guint n_threads)
{
  QuantizeSlice slices[MAX_THREADS];
  GThread *threads[MAX_THREADS] = { NULL };
  guint n = (guint)MIN (MIN ((gsize)n_threads, (gsize)MAX_THREADS), MAX (nr / 16, 1));
  gsize per = (nr + n - 1) / n;

  for (guint t = 0; t < n; t++)
    {
      gsize a = MIN (t * per, nr), b = MIN (a + per, nr);

      slices[t] = (QuantizeSlice){ job, r0 + a, b - a, dst + a * out_row };
      if (t > 0 && b > a)
        threads[t] = g_thread_new ("oxp-quantize", quantize_slice, &slices[t]);
    }
  if (slices[0].nr > 0)
    quantize_slice (&slices[0]);
  for (guint t = 1; t < n; t++)
    if (threads[t] != NULL)
      g_thread_join (threads[t]);
}

/* A quantized part: rows of the weight read (converted) one at a time and
 * quantized into a chunk by the threads, so memory holds a chunk of the
 * output and a row of floats a thread whatever the tensor's size. */
static gboolean
write_quantized (WriteContext *ctx, Sink *sink, const OxpInitializer *init, GError **error)
{
  gsize n, k, k_blocks, row_bytes, zp_row_bytes, out_row;
  OxpQuantizeJob job = {
    .src = init->data,
    .src_dtype = init->src_dtype,
    /* Every part rounds the scales the way the scales part stores them. */
    .scale_dtype = oxp_graph_get_quantize_scales_type (ctx->graph),
    .in_out = init->quant_in_out,
    .bits = init->quant_bits,
    .block_size = init->quant_block_size,
    .symmetric = init->quant_symmetric,
    .part = init->quant,
  };
  gsize src_row = 0, per_chunk;

  _oxp_initializer_get_quant_sizes (init, &n, &k, &k_blocks, &row_bytes, &zp_row_bytes);
  job.n = n;
  job.k = k;
  if (init->quant != OXP_QUANT_BLOCKS && ctx->quant_of != NULL && ctx->quant_of->data == init->data
      && ctx->quant_of->quant_bits == init->quant_bits
      && ctx->quant_of->quant_block_size == init->quant_block_size
      && ctx->quant_of->quant_symmetric == init->quant_symmetric
      && ctx->quant_of->quant_in_out == init->quant_in_out)
    {
      const guint8 *cached
          = init->quant == OXP_QUANT_SCALES ? ctx->quant_scales : ctx->quant_zero_points;
      guint64 size = _oxp_initializer_get_size (ctx->graph, init);

      if (cached != NULL)
        {
          for (guint64 off = 0; off < size; off += CHUNK_SIZE)
            {
              gsize len = (gsize)MIN ((guint64)CHUNK_SIZE, size - off);

              if (!sink_write (sink, cached + off, len, error))
                return FALSE;
              report_progress (ctx, len);
            }
          return TRUE;
        }
    }
  if (init->quant == OXP_QUANT_BLOCKS)
    {
      g_clear_pointer (&ctx->quant_scales, g_free);
      g_clear_pointer (&ctx->quant_zero_points, g_free);
      ctx->quant_scales = g_malloc (n * k_blocks * oxp_data_type_get_size (job.scale_dtype));
      if (!init->quant_symmetric)
        ctx->quant_zero_points = g_malloc (MAX (n * zp_row_bytes, 1));
      ctx->quant_of = init;
      job.side_scales = ctx->quant_scales;
      job.side_zero_points = ctx->quant_zero_points;
    }
  switch (init->quant)
    {
    case OXP_QUANT_BLOCKS:
      out_row = row_bytes;
      break;
    case OXP_QUANT_SCALES:
      out_row = k_blocks * oxp_data_type_get_size (job.scale_dtype);
      break;
    default:
      out_row = zp_row_bytes;
      break;
    }
  if (out_row > CHUNK_SIZE)
    {
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "Cannot quantize “%s”: a row of %" G_GSIZE_FORMAT " inputs is too long",
                   init->name, k);
      return FALSE;
    }
  if (!init->quant_in_out)
    src_row = k * oxp_data_type_get_size (init->src_dtype);
  /* A chunk of rows bounds both the output and the source pages resident
   * before they are dropped (the scales of a row are ~1/32 of its bytes). */
  per_chunk = MAX (CHUNK_SIZE / MAX (MAX (out_row, src_row), 1), 1);
  for (gsize r = 0; r < n; r += per_chunk)
    {
      gsize nr = MIN (per_chunk, n - r);

      quantize_chunk (&job, r, nr, out_row, ctx->chunk, MIN (g_get_num_processors (), MAX_THREADS));
      if (!sink_write (sink, ctx->chunk, nr * out_row, error))
        return FALSE;
      if (src_row != 0)
        drop_pages (ctx, init, (const guint8 *)init->data + r * src_row, nr * src_row);
      report_progress (ctx, nr * out_row);
    }
  if (src_row == 0)
    drop_pages (ctx, init, init->data, init->src_size);
  return TRUE;
}

/* Streams @init's data as it is written: raw, converted or transposed. */
static gboolean
write_initializer_data (WriteContext *ctx, Sink *sink, const OxpInitializer *init, GError **error)
{
  OxpDataType dst_dtype = _oxp_initializer_get_dtype (ctx->graph, init);
  gsize src_elem = oxp_data_type_get_size (init->src_dtype);
  gsize dst_elem = oxp_data_type_get_size (dst_dtype);
  const guint8 *src = init->data;
  gboolean convert = dst_dtype != init->src_dtype;

  if (init->quant != OXP_QUANT_NONE)
    return write_quantized (ctx, sink, init, error);
  if (!init->transpose && !convert)
    {
      gboolean copied;

      if (init->src_size >= CHUNK_SIZE)
        {
          if (!copy_range (ctx, sink, init, &copied, error))
            return FALSE;
          if (copied)
            return TRUE;
        }
      for (gsize off = 0; off < init->src_size; off += CHUNK_SIZE)
        {
          gsize n = MIN (CHUNK_SIZE, init->src_size - off);

          if (!sink_write (sink, src + off, n, error))
            return FALSE;
          drop_pages (ctx, init, src + off, n);
          report_progress (ctx, n);
        }
      return TRUE;
    }

  if (!init->transpose)
    {
      gsize per_chunk = CHUNK_SIZE / MAX (src_elem, dst_elem);
      gsize n_elements = init->src_size / src_elem;

      for (gsize i = 0; i < n_elements; i += per_chunk)
        {
          gsize n = MIN (per_chunk, n_elements - i);

          _oxp_convert_floats (dst_dtype, ctx->chunk, init->src_dtype, src + i * src_elem, n);
          if (!sink_write (sink, ctx->chunk, n * dst_elem, error))
            return FALSE;
          drop_pages (ctx, init, src + i * src_elem, n * src_elem);
          report_progress (ctx, n * dst_elem);
        }
      return TRUE;
    }

  /* Transposed: worker threads transpose and convert blocks of a band of
   * source rows while this thread writes them in place with pwrite() (the
   * file is regular; a band that is the whole tensor, as every linear of a
   * 7B llama is, is written sequentially). */
  {
    TransposeOutput out = { ctx, sink, init, 0 };
    OxpTransposeJob job = {
      .src = src,
      .src_dtype = init->src_dtype,
      .dst_dtype = dst_dtype,
      .rows = init->shape[0],
      .cols = init->shape[1],
      .band_size = BAND_SIZE,
      .block_size = BLOCK_SIZE,
    };
    guint64 total = (guint64)job.rows * job.cols * dst_elem;

    if (!sink_flush (sink, error))
      return FALSE;
    out.base = sink->offset;
    if (ctx->transposer == NULL)
      ctx->transposer = _oxp_transposer_new (MIN (g_get_num_processors (), MAX_THREADS));
    if (!_oxp_transposer_write (ctx->transposer, &job, transpose_write, transpose_band, &out,
                                error))
      return FALSE;
    /* pwrite() leaves the file position where it was. */
    if (lseek (sink->fd, (off_t)(out.base + total), SEEK_SET) < 0)
      {
        set_write_error (error, errno, sink->path);
        return FALSE;
      }
    sink->offset += total;
    return TRUE;
  }
}

/* A checkpoint file that shrinks while it is mapped (another process
 * truncating it) turns reads of the lost pages into SIGBUS.  While weights
 * are copied, a handler jumps back to the copy of the current initializer,
 * which then fails naming the file; elsewhere SIGBUS keeps its default. */
static __thread sigjmp_buf *bus_jump;
G_LOCK_DEFINE_STATIC (bus_guard);
static guint bus_guard_users; /* writes in progress, in any thread */
static struct sigaction bus_saved_action;

static void
on_sigbus (int sig)
{
  if (bus_jump != NULL)
    siglongjmp (*bus_jump, 1);
  /* Not a read of ours: returning re-runs the access under the handler
   * the program had before. */
  sigaction (sig, &bus_saved_action, NULL);
}

static void
bus_guard_install (void)
{
  G_LOCK (bus_guard);
  if (bus_guard_users++ == 0)
    {
      struct sigaction sa;

      memset (&sa, 0, sizeof sa);
      sa.sa_handler = on_sigbus;
      sigemptyset (&sa.sa_mask);
      sigaction (SIGBUS, &sa, &bus_saved_action);
    }
  G_UNLOCK (bus_guard);
}

static void
bus_guard_remove (void)
{
  G_LOCK (bus_guard);
  if (--bus_guard_users == 0)
    sigaction (SIGBUS, &bus_saved_action, NULL);
  G_UNLOCK (bus_guard);
}

static gboolean
write_initializer_guarded (WriteContext *ctx, Sink *sink, const OxpInitializer *init,
                           GError **error)
{
  sigjmp_buf jump;
  gboolean ok;

  if (sigsetjmp (jump, 1) != 0)
    {
      bus_jump = NULL;
      g_clear_error (error);
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_IO,
                   "%s changed while it was being read (truncated or rewritten during the "
                   "export: tensor '%s' could no longer be read)",
                   init->file != NULL ? init->file : "the checkpoint", init->name);
      return FALSE;
    }
  bus_jump = &jump;
  ok = write_initializer_data (ctx, sink, init, error);
  bus_jump = NULL;
  return ok;
}

/* --- The model ------------------------------------------------------------- */

typedef struct
{
  OxpInitializer *init;
  guint64 size; /* raw_data bytes as written */
  gboolean external;
  guint64 offset;  /* in the data file */
  gboolean reused; /* already in the shared data file */
  guint8 *header;  /* packed TensorProto without raw_data */
  gsize header_len;
  guint64 field_len; /* the whole initializer field in GraphProto */
} InitPlan;

static void
init_plan_clear (gpointer data)
{
  InitPlan *p = data;

  g_free (p->header);
}

/* Packs the TensorProto of @plan without its data: dims, type, name and,
 * when external, where the data is. */
static void
plan_pack_header (OxpGraph *graph, InitPlan *plan, const char *data_location)
{
  OxpInitializer *init = plan->init;
  Onnx__TensorProto tp;
  Onnx__StringStringEntryProto location, offset, length;
  Onnx__StringStringEntryProto *entries[3] = { &location, &offset, &length };
  g_autofree char *offset_str = NULL, *length_str = NULL;
  gint64 dims[16];

  g_assert (_oxp_initializer_get_rank (init) <= G_N_ELEMENTS (dims));
  onnx__tensor_proto__init (&tp);
  _oxp_initializer_get_dims (init, dims);
  tp.n_dims = _oxp_initializer_get_rank (init);
  tp.dims = dims;
  tp.has_data_type = TRUE;
  tp.data_type = _oxp_initializer_get_dtype (graph, init);
  tp.name = (char *)init->name;
  if (plan->external)
    {
      offset_str = g_strdup_printf ("%" G_GUINT64_FORMAT, plan->offset);
      length_str = g_strdup_printf ("%" G_GUINT64_FORMAT, plan->size);
      onnx__string_string_entry_proto__init (&location);
      onnx__string_string_entry_proto__init (&offset);
      onnx__string_string_entry_proto__init (&length);
      location.key = (char *)"location";
      location.value = (char *)data_location;
      offset.key = (char *)"offset";
      offset.value = offset_str;
      length.key = (char *)"length";
      length.value = length_str;
      tp.n_external_data = 3;
      tp.external_data = entries;
      tp.has_data_location = TRUE;
      tp.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    }
  plan->header_len = onnx__tensor_proto__get_packed_size (&tp);
  plan->header = g_malloc (MAX (plan->header_len, 1));
  onnx__tensor_proto__pack (&tp, plan->header);

  if (plan->external)
    plan->field_len = plan->header_len;
  else
    plan->field_len
        = plan->header_len + field_header_size (TENSOR_FIELD_RAW_DATA, plan->size) + plan->size;
  plan->field_len += field_header_size (GRAPH_FIELD_INITIALIZER, plan->field_len);
}

/* With @shared, external tensors already there keep their offset and new
 * ones are appended (their keys added to its index and to @added_keys). */
static GArray *
make_plans (OxpGraph *graph, gboolean external, const char *data_location, OxpSharedData *shared,
            GPtrArray *added_keys, guint64 *data_file_size)
{
  GPtrArray *inits = _oxp_graph_get_initializers (graph);
  GArray *plans = g_array_sized_new (FALSE, TRUE, sizeof (InitPlan), inits->len);
  guint64 offset = shared != NULL ? shared->size : 0;

  g_array_set_clear_func (plans, init_plan_clear);
  for (guint i = 0; i < inits->len; i++)
    {
      InitPlan plan = { 0 };

      plan.init = g_ptr_array_index (inits, i);
      plan.size = _oxp_initializer_get_size (graph, plan.init);
      plan.external = external && plan.size >= EXTERNAL_MIN_SIZE;
      if (plan.external && shared != NULL)
        {
          char *key = initializer_key (graph, plan.init);
          guint64 *found = g_hash_table_lookup (shared->index, key);

          if (found != NULL)
            {
              plan.offset = *found;
              plan.reused = TRUE;
              g_free (key);
            }
          else
            {
              if (plan.size >= ALIGN_MIN_SIZE)
                offset = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
              plan.offset = offset;
              offset += plan.size;
              g_hash_table_insert (shared->index, key, g_memdup2 (&plan.offset, sizeof (guint64)));
              g_ptr_array_add (added_keys, g_strdup (key));
            }
        }
      else if (plan.external)
        {
          if (plan.size >= ALIGN_MIN_SIZE)
            offset = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
          plan.offset = offset;
          offset += plan.size;
        }
      plan_pack_header (graph, &plan, data_location);
      g_array_append_val (plans, plan);
    }
  *data_file_size = offset;
  return plans;
}

static guint8 *
pack_model (OxpOnnxWriter *self, OxpGraph *graph, Arena *arena, gsize *model_len,
            guint8 **graph_buf, gsize *graph_len)
{
  Onnx__ModelProto model;
  Onnx__GraphProto *gp = build_graph (arena, graph);
  g_autoptr (GPtrArray) domains = _oxp_graph_dup_extra_domains (graph);
  guint8 *buf;

  onnx__model_proto__init (&model);
  model.has_ir_version = TRUE;
  model.ir_version = ir_version_for_opset (oxp_graph_get_opset (graph));
  model.producer_name = (char *)"oxport";
  model.producer_version = (char *)PACKAGE_VERSION;
  model.n_opset_import = 1 + domains->len;
  model.opset_import = arena_new (arena, Onnx__OperatorSetIdProto *, model.n_opset_import);
  for (guint i = 0; i < model.n_opset_import; i++)
    {
      Onnx__OperatorSetIdProto *op = arena_new (arena, Onnx__OperatorSetIdProto, 1);
      const char *domain = i == 0 ? "" : g_ptr_array_index (domains, i - 1);

      onnx__operator_set_id_proto__init (op);
      op->domain = (char *)domain;
      op->has_version = TRUE;
      op->version = oxp_graph_get_domain_opset (graph, domain);
      model.opset_import[i] = op;
    }
  model.n_metadata_props = self->metadata->len;
  model.metadata_props = arena_new (arena, Onnx__StringStringEntryProto *, self->metadata->len);
  for (guint i = 0; i < self->metadata->len; i++)
    {
      MetadataEntry *e = &g_array_index (self->metadata, MetadataEntry, i);
      Onnx__StringStringEntryProto *kv = arena_new (arena, Onnx__StringStringEntryProto, 1);

      onnx__string_string_entry_proto__init (kv);
      kv->key = e->key;
      kv->value = e->value;
      model.metadata_props[i] = kv;
    }

  /* The graph is framed by hand after the rest of the model, so that its
   * initializers can be appended to it. */
  *graph_len = onnx__graph_proto__get_packed_size (gp);
  *graph_buf = g_malloc (MAX (*graph_len, 1));
  onnx__graph_proto__pack (gp, *graph_buf);

  *model_len = onnx__model_proto__get_packed_size (&model);
  buf = g_malloc (MAX (*model_len, 1));
  onnx__model_proto__pack (&model, buf);
  return buf;
}

/**
 * oxp_onnx_writer_write:
 * @self: a writer
 * @graph: a main graph (not a subgraph)
 * @path: the model file ("out/model.onnx"); external data goes to
 *   "out/model.onnx_data"
 * @error: return location for an error
 *
 * Checks @graph with oxp_graph_check(), then writes @path (and its
 * external data) through temporary files renamed at the end, so a reader
 * never sees half a model.  With external data, tensors of 1 KiB or more go
 * to the external file (those of 1 MiB or more at 64 KiB-aligned offsets, so
 * they can be memory-mapped); smaller ones stay inline.
 *
 * Returns: %TRUE, or %FALSE with @error set: what oxp_graph_check() reports,
 *   %OXP_EXPORT_ERROR_UNSUPPORTED when the model exceeds 2 GiB with
 *   %OXP_EXTERNAL_DATA_NEVER, %OXP_EXPORT_ERROR_NO_SPACE when the disk is full
 *   or a file size limit was hit, %OXP_EXPORT_ERROR_IO for other failures;
 *   then no file is left behind
 */
gboolean
oxp_onnx_writer_write (OxpOnnxWriter *self, OxpGraph *graph, const char *path, GError **error)
{
  Arena arena = { 0 };
  g_autofree guint8 *model_buf = NULL;
  g_autofree guint8 *graph_buf = NULL;
  gsize model_len, graph_len;
  g_autoptr (GArray) plans = NULL;
  g_autofree char *data_path = NULL;
  g_autofree char *data_location = NULL;
  guint64 inline_size = 0, data_file_size = 0, graph_total;
  gboolean external;
  Sink model = { 0 }, data = { 0 };
  Sink *data_sink = &data;
  OxpSharedData *shared = self->shared;
  g_autoptr (GPtrArray) added_keys = g_ptr_array_new_with_free_func (g_free);
  WriteContext ctx = { 0 };
  gboolean bus_installed = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (OXP_IS_ONNX_WRITER (self), FALSE);
  g_return_val_if_fail (OXP_IS_GRAPH (graph), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  model.fd = data.fd = -1;
  if (!oxp_graph_check (graph, error))
    return FALSE;

  arena.allocs = g_ptr_array_new_with_free_func (g_free);
  data_path = shared != NULL ? g_strdup (shared->path) : g_strconcat (path, "_data", NULL);
  data_location = g_path_get_basename (data_path);
  model_buf = pack_model (self, graph, &arena, &model_len, &graph_buf, &graph_len);

  /* Decide where the weights go from the exact inline size. */
  plans = make_plans (graph, FALSE, NULL, NULL, NULL, &data_file_size);
  for (guint i = 0; i < plans->len; i++)
    inline_size += g_array_index (plans, InitPlan, i).field_len;
  inline_size
      += model_len + field_header_size (MODEL_FIELD_GRAPH, graph_len + inline_size) + graph_len;
  switch (shared != NULL ? OXP_EXTERNAL_DATA_ALWAYS : self->external_data)
    {
    case OXP_EXTERNAL_DATA_ALWAYS:
      external = TRUE;
      break;
    case OXP_EXTERNAL_DATA_NEVER:
      if (inline_size > PROTOBUF_LIMIT)
        {
          g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                       "Model “%s” would be %" G_GUINT64_FORMAT " bytes, more than the 2 GiB a "
                       "protobuf file can hold; write its weights as external data",
                       path, inline_size);
          goto out;
        }
      external = FALSE;
      break;
    case OXP_EXTERNAL_DATA_AUTO:
    default:
      external = inline_size > PROTOBUF_LIMIT;
      break;
    }
  if (external)
    {
      g_clear_pointer (&plans, g_array_unref);
      plans = make_plans (graph, TRUE, data_location, shared, added_keys, &data_file_size);
      /* No tensor big enough to go out: no data file either. */
      external = FALSE;
      for (guint i = 0; i < plans->len; i++)
        external = external || g_array_index (plans, InitPlan, i).external;
    }
  if (shared != NULL)
    data_sink = &shared->sink;

  bus_guard_install ();
  bus_installed = TRUE;

  ctx.writer = self;
  ctx.graph = graph;
  ctx.mappings = read_mappings ();
  ctx.source_fds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ctx.chunk = g_malloc (CHUNK_SIZE);
  for (guint i = 0; i < plans->len; i++)
    if (!g_array_index (plans, InitPlan, i).reused)
      ctx.total += g_array_index (plans, InitPlan, i).size;

  if (external)
    {
      if (shared != NULL ? !shared_data_open (shared, error) : !sink_open (&data, data_path, error))
        goto out;
      for (guint i = 0; i < plans->len; i++)
        {
          InitPlan *plan = &g_array_index (plans, InitPlan, i);

          if (!plan->external || plan->reused)
            continue;
          if (!sink_write_zeros (data_sink, plan->offset - data_sink->offset, error)
              || !write_initializer_guarded (&ctx, data_sink, plan->init, error))
            goto out;
        }
      if (shared != NULL ? !sink_flush (data_sink, error) : !sink_close (&data, error))
        goto out;
    }

  if (!sink_open (&model, path, error))
    goto out;
  graph_total = graph_len;
  for (guint i = 0; i < plans->len; i++)
    graph_total += g_array_index (plans, InitPlan, i).field_len;
  if (!sink_write (&model, model_buf, model_len, error)
      || !write_field_header (&model, MODEL_FIELD_GRAPH, graph_total, error)
      || !sink_write (&model, graph_buf, graph_len, error))
    goto out;
  for (guint i = 0; i < plans->len; i++)
    {
      InitPlan *plan = &g_array_index (plans, InitPlan, i);
      guint64 body = plan->external
                         ? plan->header_len
                         : plan->header_len + field_header_size (TENSOR_FIELD_RAW_DATA, plan->size)
                               + plan->size;

      if (!write_field_header (&model, GRAPH_FIELD_INITIALIZER, body, error)
          || !sink_write (&model, plan->header, plan->header_len, error))
        goto out;
      if (plan->external)
        continue;
      if (!write_field_header (&model, TENSOR_FIELD_RAW_DATA, plan->size, error)
          || !write_initializer_guarded (&ctx, &model, plan->init, error))
        goto out;
    }
  if (!sink_close (&model, error))
    goto out;

  if (external && shared == NULL && !sink_commit (&data, error))
    goto out;
  if (!sink_commit (&model, error))
    {
      if (external && shared == NULL)
        g_unlink (data_path);
      goto out;
    }
  if (shared != NULL)
    shared->size = MAX (shared->size, data_sink->offset);
  ok = TRUE;

out:
  if (!ok && shared != NULL)
    shared_data_rollback (shared, added_keys);
  if (bus_installed)
    bus_guard_remove ();
  sink_discard (&model);
  sink_discard (&data);
  if (ctx.source_fds != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, ctx.source_fds);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (GPOINTER_TO_INT (value) > 0)
          close (GPOINTER_TO_INT (value) - 1);
      g_hash_table_unref (ctx.source_fds);
    }
  g_clear_pointer (&ctx.mappings, g_array_unref);
  g_free (ctx.chunk);
  g_free (ctx.quant_scales);
  g_free (ctx.quant_zero_points);
  _oxp_transposer_free (ctx.transposer);
  g_ptr_array_unref (arena.allocs);
  return ok;
}
