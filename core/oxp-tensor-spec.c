/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <oxport/oxport.h>

/* One dim: param != NULL → symbolic; else value >= 0 → number; else unknown. */
typedef struct
{
  gint64 value;
  char *param;
} OxpDim;

struct _OxpTensorSpec
{
  gint ref_count;
  char *name;
  OxpDataType dtype;
  guint rank;
  OxpDim *dims;
};

/**
 * OxpTensorSpec:
 *
 * A named, typed graph input or output whose dims are each a number, a
 * symbolic name ("batch_size", "sequence_length", "past_sequence_length",
 * …) or unknown: what an #OxpOnnxConfig declares and the validator checks a
 * model file against.  A reference-counted boxed type, immutable once
 * shared.
 */
G_DEFINE_BOXED_TYPE (OxpTensorSpec, oxp_tensor_spec, oxp_tensor_spec_ref, oxp_tensor_spec_unref)

static OxpTensorSpec *
spec_alloc (const char *name, OxpDataType dtype, guint rank)
{
  OxpTensorSpec *spec = g_new0 (OxpTensorSpec, 1);
  spec->ref_count = 1;
  spec->name = g_strdup (name);
  spec->dtype = dtype;
  spec->rank = rank;
  spec->dims = g_new0 (OxpDim, MAX (rank, 1));
  for (guint i = 0; i < rank; i++)
    spec->dims[i].value = -1;
  return spec;
}

static gboolean
parse_number (const char *text, gint64 *out)
{
  char *end = NULL;
  gint64 v;

  if (!g_ascii_isdigit (*text))
    return FALSE;
  v = g_ascii_strtoll (text, &end, 10);
  if (end == NULL || *end != '\0' || v < 0)
    return FALSE;
  *out = v;
  return TRUE;
}

/**
 * oxp_tensor_spec_new:
 * @name: the input or output name
 * @dtype: the element type
 * @dims: (nullable): comma-separated dims, each a decimal number, a symbolic
 *   name or "?" (or "-1") for unknown; NULL or "" for a scalar
 *
 * Items are trimmed, so "batch_size, sequence_length" works; a symbolic name
 * may contain spaces and operators ("past_sequence_length + sequence_length").
 *
 * Returns: (transfer full): a new spec
 */
OxpTensorSpec *
oxp_tensor_spec_new (const char *name, OxpDataType dtype, const char *dims)
{
  g_auto (GStrv) items = NULL;
  OxpTensorSpec *spec;
  guint rank;

  g_return_val_if_fail (name != NULL, NULL);

  if (dims == NULL || *dims == '\0')
    return spec_alloc (name, dtype, 0);

  items = g_strsplit (dims, ",", -1);
  rank = g_strv_length (items);
  spec = spec_alloc (name, dtype, rank);
  for (guint i = 0; i < rank; i++)
    {
      const char *item = g_strstrip (items[i]);
      gint64 v;

      /* ONNX Runtime reports unknown dims as -1: read them as unknown too. */
      if (*item == '\0' || strcmp (item, "?") == 0 || strcmp (item, "-1") == 0)
        continue;
      if (parse_number (item, &v))
        spec->dims[i].value = v;
      else
        spec->dims[i].param = g_strdup (item);
    }
  return spec;
}

/**
 * oxp_tensor_spec_new_rank:
 * @name: the input or output name
 * @dtype: the element type
 * @rank: number of dims, all unknown until set
 *
 * Creates a spec of @rank unknown dims, for code that sets each dim with
 * oxp_tensor_spec_set_dim_value() or oxp_tensor_spec_set_dim_param() (a
 * cache spec whose rank depends on the config, say).
 *
 * Returns: (transfer full): a new spec
 */
OxpTensorSpec *
oxp_tensor_spec_new_rank (const char *name, OxpDataType dtype, guint rank)
{
  g_return_val_if_fail (name != NULL, NULL);
  return spec_alloc (name, dtype, rank);
}

/**
 * oxp_tensor_spec_ref:
 * @spec: a spec
 *
 * Takes a reference on @spec.  Once a spec has a second owner it is shared
 * and must no longer be changed.
 *
 * Returns: (transfer full): @spec
 */
OxpTensorSpec *
oxp_tensor_spec_ref (OxpTensorSpec *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);
  g_atomic_int_inc (&spec->ref_count);
  return spec;
}

/**
 * oxp_tensor_spec_unref:
 * @spec: (transfer full): a spec
 *
 * Drops a reference on @spec; the last one frees it.
 */
void
oxp_tensor_spec_unref (OxpTensorSpec *spec)
{
  g_return_if_fail (spec != NULL);
  if (!g_atomic_int_dec_and_test (&spec->ref_count))
    return;
  for (guint i = 0; i < spec->rank; i++)
    g_free (spec->dims[i].param);
  g_free (spec->dims);
  g_free (spec->name);
  g_free (spec);
}

/**
 * oxp_tensor_spec_copy_renamed:
 * @spec: a spec
 * @name: the copy's name
 *
 * Copies @spec under another name, dims and type included: how
 * "present.{i}.key" outputs are made from "past_key_values.{i}.key" inputs.
 * The copy is unshared, so its dims may still be set.
 *
 * Returns: (transfer full): an unshared copy of @spec named @name
 */
OxpTensorSpec *
oxp_tensor_spec_copy_renamed (const OxpTensorSpec *spec, const char *name)
{
  OxpTensorSpec *copy;

  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  copy = spec_alloc (name, spec->dtype, spec->rank);
  for (guint i = 0; i < spec->rank; i++)
    {
      copy->dims[i].value = spec->dims[i].value;
      copy->dims[i].param = g_strdup (spec->dims[i].param);
    }
  return copy;
}

/**
 * oxp_tensor_spec_set_dim_value:
 * @spec: an unshared spec
 * @axis: the dim
 * @value: a size >= 0, or -1 for unknown
 *
 * Makes dim @axis the fixed size @value.  Only for a spec nobody else holds
 * yet (a shared spec is immutable).
 */
void
oxp_tensor_spec_set_dim_value (OxpTensorSpec *spec, guint axis, gint64 value)
{
  g_return_if_fail (spec != NULL);
  g_return_if_fail (axis < spec->rank);
  g_return_if_fail (value >= -1);
  g_clear_pointer (&spec->dims[axis].param, g_free);
  spec->dims[axis].value = value;
}

/**
 * oxp_tensor_spec_set_dim_param:
 * @spec: an unshared spec
 * @axis: the dim
 * @param: (nullable): a symbolic name, or NULL for unknown
 *
 * Makes dim @axis symbolic, named @param ("batch_size", …): the ONNX
 * dim_param that keeps the axis dynamic.  Only for a spec nobody else holds.
 */
void
oxp_tensor_spec_set_dim_param (OxpTensorSpec *spec, guint axis, const char *param)
{
  g_return_if_fail (spec != NULL);
  g_return_if_fail (axis < spec->rank);
  g_free (spec->dims[axis].param);
  spec->dims[axis].param = g_strdup (param);
  spec->dims[axis].value = -1;
}

/**
 * oxp_tensor_spec_get_name:
 * @spec: a spec
 *
 * The graph input or output name this spec describes.
 *
 * Returns: (transfer none): the name
 */
const char *
oxp_tensor_spec_get_name (const OxpTensorSpec *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);
  return spec->name;
}

/**
 * oxp_tensor_spec_get_dtype:
 * @spec: a spec
 *
 * The element type the graph input or output must have.
 *
 * Returns: the element type
 */
OxpDataType
oxp_tensor_spec_get_dtype (const OxpTensorSpec *spec)
{
  g_return_val_if_fail (spec != NULL, OXP_DATA_TYPE_UNDEFINED);
  return spec->dtype;
}

/**
 * oxp_tensor_spec_get_rank:
 * @spec: a spec
 *
 * The number of dims; each is a number, a symbolic name or unknown.
 *
 * Returns: the rank
 */
guint
oxp_tensor_spec_get_rank (const OxpTensorSpec *spec)
{
  g_return_val_if_fail (spec != NULL, 0);
  return spec->rank;
}

/**
 * oxp_tensor_spec_get_dim_value:
 * @spec: a spec
 * @axis: the dim
 *
 * The size of dim @axis when it is fixed.
 *
 * Returns: the dim's size, or -1 when it is symbolic or unknown
 */
gint64
oxp_tensor_spec_get_dim_value (const OxpTensorSpec *spec, guint axis)
{
  g_return_val_if_fail (spec != NULL, -1);
  g_return_val_if_fail (axis < spec->rank, -1);
  return spec->dims[axis].param ? -1 : spec->dims[axis].value;
}

/**
 * oxp_tensor_spec_get_dim_param:
 * @spec: a spec
 * @axis: the dim
 *
 * The symbolic name of dim @axis ("batch_size", "sequence_length",
 * "past_sequence_length", …), the name the ONNX file and optimum use.
 *
 * Returns: (nullable): the dim's symbolic name, or NULL when it is a number or unknown
 */
const char *
oxp_tensor_spec_get_dim_param (const OxpTensorSpec *spec, guint axis)
{
  g_return_val_if_fail (spec != NULL, NULL);
  g_return_val_if_fail (axis < spec->rank, NULL);
  return spec->dims[axis].param;
}

/**
 * oxp_tensor_spec_dims_to_string:
 * @spec: a spec
 *
 * Formats the dims as oxp_tensor_spec_new() parses them, "?" for an unknown
 * dim: "batch_size,sequence_length,32".  For messages and `inspect`.
 *
 * Returns: (transfer full): the dims in the syntax oxp_tensor_spec_new()
 *   takes ("" for a scalar)
 */
char *
oxp_tensor_spec_dims_to_string (const OxpTensorSpec *spec)
{
  GString *s;

  g_return_val_if_fail (spec != NULL, NULL);

  s = g_string_new (NULL);
  for (guint i = 0; i < spec->rank; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      if (spec->dims[i].param)
        g_string_append (s, spec->dims[i].param);
      else if (spec->dims[i].value >= 0)
        g_string_append_printf (s, "%" G_GINT64_FORMAT, spec->dims[i].value);
      else
        g_string_append_c (s, '?');
    }
  return g_string_free (s, FALSE);
}

/**
 * oxp_tensor_spec_equal:
 * @a: a spec
 * @b: a spec
 *
 * Compares two specs field by field; a dim matches only the same number or
 * the same symbolic name.
 *
 * Returns: whether @a and @b have the same name, type and dims
 */
gboolean
oxp_tensor_spec_equal (const OxpTensorSpec *a, const OxpTensorSpec *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a == b)
    return TRUE;
  if (strcmp (a->name, b->name) != 0 || a->dtype != b->dtype || a->rank != b->rank)
    return FALSE;
  for (guint i = 0; i < a->rank; i++)
    {
      if (g_strcmp0 (a->dims[i].param, b->dims[i].param) != 0)
        return FALSE;
      if (a->dims[i].param == NULL && a->dims[i].value != b->dims[i].value)
        return FALSE;
    }
  return TRUE;
}

/**
 * oxp_tensor_spec_array_find:
 * @specs: (element-type OxpTensorSpec): specs, e.g. a config's inputs
 * @name: a tensor name
 *
 * Looks a spec up by name in a list of specs, such as the result of
 * oxp_onnx_config_get_inputs(): how code asks whether a config declares an
 * input or output.
 *
 * Returns: (transfer none) (nullable): the first spec named @name, or %NULL
 */
OxpTensorSpec *
oxp_tensor_spec_array_find (GPtrArray *specs, const char *name)
{
  g_return_val_if_fail (specs != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);

      if (g_strcmp0 (oxp_tensor_spec_get_name (spec), name) == 0)
        return spec;
    }
  return NULL;
}
