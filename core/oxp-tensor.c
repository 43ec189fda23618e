/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-types-private.h"

struct _OxpTensor
{
  gint ref_count;
  char *name;
  OxpDataType dtype;
  guint rank;
  gint64 *shape;
  gsize n_elements;
  GBytes *bytes;
  /* Set for oxp_tensor_new(): the tensor owns writable memory. */
  gpointer owned;
};

/**
 * OxpTensor:
 *
 * A named tensor value held in memory: dummy inputs, reference vectors,
 * runtime outputs, small graph constants.  A reference-counted boxed type
 * whose data is contiguous and row-major; a tensor from oxp_tensor_new()
 * owns writable memory, one from oxp_tensor_new_from_bytes() shares
 * read-only #GBytes.  Checkpoint weights are not OxpTensors: they stay in
 * the memory map as #OxpCheckpointTensor views.
 */
G_DEFINE_BOXED_TYPE (OxpTensor, oxp_tensor, oxp_tensor_ref, oxp_tensor_unref)

/* Element count, or FALSE on a negative dim or an overflow of gsize bytes. */
static gboolean
count_elements (OxpDataType dtype, const gint64 *shape, guint rank, gsize *out_n)
{
  gsize n = 1;
  gsize esize = oxp_data_type_get_size (dtype);

  for (guint i = 0; i < rank; i++)
    {
      if (shape[i] < 0)
        return FALSE;
      if (shape[i] != 0 && n > G_MAXSIZE / (gsize)shape[i])
        return FALSE;
      n *= (gsize)shape[i];
    }
  if (esize != 0 && n > G_MAXSIZE / esize)
    return FALSE;
  *out_n = n;
  return TRUE;
}

static OxpTensor *
tensor_alloc (const char *name, OxpDataType dtype, const gint64 *shape, guint rank, gsize n)
{
  OxpTensor *t = g_new0 (OxpTensor, 1);
  t->ref_count = 1;
  t->name = g_strdup (name ? name : "");
  t->dtype = dtype;
  t->rank = rank;
  t->shape = g_new0 (gint64, MAX (rank, 1));
  if (rank > 0)
    memcpy (t->shape, shape, rank * sizeof (gint64));
  t->n_elements = n;
  return t;
}

/**
 * oxp_tensor_new:
 * @name: (nullable): the tensor's name
 * @dtype: a numeric element type (not STRING or UNDEFINED)
 * @shape: (array length=rank) (nullable): the dims, each >= 0
 * @rank: number of dims (0 for a scalar)
 *
 * Creates a tensor that owns zero-filled, writable memory for the element
 * count of @shape; fill it through oxp_tensor_get_mutable_data() or
 * oxp_tensor_set_element_from_double().  A negative dim, or a size that
 * overflows, is a programmer error (NULL with a critical).
 *
 * Returns: (transfer full): a zero-filled tensor
 */
OxpTensor *
oxp_tensor_new (const char *name, OxpDataType dtype, const gint64 *shape, guint rank)
{
  OxpTensor *t;
  gsize n = 0;
  gsize size;

  g_return_val_if_fail (oxp_data_type_get_size (dtype) > 0, NULL);
  g_return_val_if_fail (rank == 0 || shape != NULL, NULL);
  g_return_val_if_fail (count_elements (dtype, shape, rank, &n), NULL);

  t = tensor_alloc (name, dtype, shape, rank, n);
  size = n * oxp_data_type_get_size (dtype);
  t->owned = g_malloc0 (MAX (size, 1));
  t->bytes = g_bytes_new_static (t->owned, size);
  return t;
}

/**
 * oxp_tensor_new_from_bytes:
 * @name: (nullable): the tensor's name
 * @dtype: a numeric element type
 * @shape: (array length=rank) (nullable): the dims
 * @rank: number of dims
 * @data: the elements, contiguous, row-major, in host byte order
 *
 * Creates a tensor over the bytes of @data without copying them: the tensor
 * keeps a reference to @data and is read-only (oxp_tensor_get_mutable_data()
 * returns NULL for it).
 *
 * Returns: (transfer full) (nullable): a tensor referencing @data, or NULL
 *   when the size of @data is not the element count × element size
 */
OxpTensor *
oxp_tensor_new_from_bytes (const char *name, OxpDataType dtype, const gint64 *shape, guint rank,
                           GBytes *data)
{
  OxpTensor *t;
  gsize n = 0;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (rank == 0 || shape != NULL, NULL);

  if (oxp_data_type_get_size (dtype) == 0 || !count_elements (dtype, shape, rank, &n))
    return NULL;
  if (g_bytes_get_size (data) != n * oxp_data_type_get_size (dtype))
    return NULL;

  t = tensor_alloc (name, dtype, shape, rank, n);
  t->bytes = g_bytes_ref (data);
  return t;
}

/**
 * oxp_tensor_ref:
 * @tensor: a tensor
 *
 * Takes a reference on @tensor; tensors are shared, never copied, between the
 * dummy-input generators, the runtime and the validator.
 *
 * Returns: (transfer full): @tensor
 */
OxpTensor *
oxp_tensor_ref (OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, NULL);
  g_atomic_int_inc (&tensor->ref_count);
  return tensor;
}

/**
 * oxp_tensor_unref:
 * @tensor: (transfer full): a tensor
 *
 * Drops a reference on @tensor; the last one frees it, and releases the
 * #GBytes it wraps.
 */
void
oxp_tensor_unref (OxpTensor *tensor)
{
  g_return_if_fail (tensor != NULL);
  if (!g_atomic_int_dec_and_test (&tensor->ref_count))
    return;
  g_bytes_unref (tensor->bytes);
  g_free (tensor->owned);
  g_free (tensor->shape);
  g_free (tensor->name);
  g_free (tensor);
}

/**
 * oxp_tensor_get_name:
 * @tensor: a tensor
 *
 * The tensor's name: an ONNX input or output name ("input_ids",
 * "past_key_values.0.key", …) for dummy inputs and runtime outputs, the
 * safetensors key for reference vectors.
 *
 * Returns: (transfer none): the name, "" when the tensor was made without one
 */
const char *
oxp_tensor_get_name (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, NULL);
  return tensor->name;
}

/**
 * oxp_tensor_get_dtype:
 * @tensor: a tensor
 *
 * The element type, fixed at creation.
 *
 * Returns: the element type
 */
OxpDataType
oxp_tensor_get_dtype (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, OXP_DATA_TYPE_UNDEFINED);
  return tensor->dtype;
}

/**
 * oxp_tensor_get_rank:
 * @tensor: a tensor
 *
 * The number of dims, the length of oxp_tensor_get_shape().
 *
 * Returns: the rank, 0 for a scalar
 */
guint
oxp_tensor_get_rank (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, 0);
  return tensor->rank;
}

/**
 * oxp_tensor_get_shape:
 * @tensor: a tensor
 *
 * The dims of @tensor, outermost first; a scalar has none (the pointer is
 * still valid).
 *
 * Returns: (array) (transfer none): the dims (oxp_tensor_get_rank() of them)
 */
const gint64 *
oxp_tensor_get_shape (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, NULL);
  return tensor->shape;
}

/**
 * oxp_tensor_get_n_elements:
 * @tensor: a tensor
 *
 * The product of the dims (1 for a scalar, 0 when a dim is 0).
 *
 * Returns: the element count
 */
gsize
oxp_tensor_get_n_elements (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, 0);
  return tensor->n_elements;
}

/**
 * oxp_tensor_get_size:
 * @tensor: a tensor
 *
 * The byte size of the data: oxp_tensor_get_n_elements() times the element
 * size of the dtype.
 *
 * Returns: the size of the data in bytes
 */
gsize
oxp_tensor_get_size (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, 0);
  return g_bytes_get_size (tensor->bytes);
}

/**
 * oxp_tensor_get_data:
 * @tensor: a tensor
 *
 * The elements, contiguous, row-major, in host byte order; fp16 and bf16 are
 * their raw 16-bit patterns.  Valid while @tensor lives.
 *
 * Returns: (transfer none): the elements
 */
gconstpointer
oxp_tensor_get_data (const OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, NULL);
  return g_bytes_get_data (tensor->bytes, NULL);
}

/**
 * oxp_tensor_get_mutable_data:
 * @tensor: a tensor made by oxp_tensor_new()
 *
 * The elements for writing.  Only a tensor from oxp_tensor_new() owns its
 * memory; one from oxp_tensor_new_from_bytes() shares immutable #GBytes, so
 * this returns NULL (with a critical) for it.
 *
 * Returns: (transfer none): the writable elements
 */
gpointer
oxp_tensor_get_mutable_data (OxpTensor *tensor)
{
  g_return_val_if_fail (tensor != NULL, NULL);
  g_return_val_if_fail (tensor->owned != NULL, NULL);
  return tensor->owned;
}

/**
 * oxp_tensor_get_element_as_double:
 * @tensor: a tensor of a numeric type
 * @i: flat (row-major) index, < oxp_tensor_get_n_elements()
 *
 * Reads one element of any numeric dtype as a double (fp16 and bf16 are
 * widened, bool is 0 or 1): what comparisons against references use, whatever
 * the types on either side.
 *
 * Returns: element @i converted to double
 */
double
oxp_tensor_get_element_as_double (const OxpTensor *tensor, gsize i)
{
  const guint8 *p;

  g_return_val_if_fail (tensor != NULL, 0.0);
  g_return_val_if_fail (i < tensor->n_elements, 0.0);

  p = (const guint8 *)g_bytes_get_data (tensor->bytes, NULL)
      + i * oxp_data_type_get_size (tensor->dtype);

#define READ_AS(ctype)                                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    ctype v_;                                                                                      \
    memcpy (&v_, p, sizeof v_);                                                                    \
    return (double)v_;                                                                             \
  }                                                                                                \
  G_STMT_END

  switch (tensor->dtype)
    {
    case OXP_DATA_TYPE_FLOAT:
      READ_AS (float);
    case OXP_DATA_TYPE_DOUBLE:
      READ_AS (double);
    case OXP_DATA_TYPE_UINT8:
      READ_AS (guint8);
    case OXP_DATA_TYPE_INT8:
      READ_AS (gint8);
    case OXP_DATA_TYPE_UINT16:
      READ_AS (guint16);
    case OXP_DATA_TYPE_INT16:
      READ_AS (gint16);
    case OXP_DATA_TYPE_INT32:
      READ_AS (gint32);
    case OXP_DATA_TYPE_INT64:
      READ_AS (gint64);
    case OXP_DATA_TYPE_UINT32:
      READ_AS (guint32);
    case OXP_DATA_TYPE_UINT64:
      READ_AS (guint64);
    case OXP_DATA_TYPE_BOOL:
      return *p ? 1.0 : 0.0;
    case OXP_DATA_TYPE_FLOAT16:
      {
        guint16 h;
        memcpy (&h, p, sizeof h);
        return _oxp_half_to_float (h);
      }
    case OXP_DATA_TYPE_BFLOAT16:
      {
        guint16 h;
        memcpy (&h, p, sizeof h);
        return _oxp_bfloat16_to_float (h);
      }
    case OXP_DATA_TYPE_UNDEFINED:
    case OXP_DATA_TYPE_STRING:
    default:
      break;
    }
#undef READ_AS
  g_return_val_if_reached (0.0);
}
