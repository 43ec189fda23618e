/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>

G_BEGIN_DECLS

/* OxpTensorSpec: a named, typed graph input or output whose dims are each a
 * number, a symbolic name ("batch_size", "sequence_length",
 * "past_sequence_length", …) or unknown.  Reference counted boxed type;
 * immutable once shared. */

#define OXP_TYPE_TENSOR_SPEC (oxp_tensor_spec_get_type ())
OXP_API GType oxp_tensor_spec_get_type (void) G_GNUC_CONST;

/* Constructors.  @dims is a comma-separated list where each item is a
 * decimal number, a symbolic name, or "?" for unknown:
 * oxp_tensor_spec_new ("logits", OXP_DATA_TYPE_FLOAT, "batch_size,sequence_length,320"). */
OXP_API OxpTensorSpec *oxp_tensor_spec_new          (const char  *name,
                                                     OxpDataType  dtype,
                                                     const char  *dims);
OXP_API OxpTensorSpec *oxp_tensor_spec_new_rank     (const char  *name,
                                                     OxpDataType  dtype,
                                                     guint        rank);
OXP_API OxpTensorSpec *oxp_tensor_spec_ref          (OxpTensorSpec *spec);
OXP_API void           oxp_tensor_spec_unref        (OxpTensorSpec *spec);
OXP_API OxpTensorSpec *oxp_tensor_spec_copy_renamed (const OxpTensorSpec *spec,
                                                     const char          *name);

/* Setters: only before the spec is shared. */
OXP_API void oxp_tensor_spec_set_dim_value (OxpTensorSpec *spec, guint axis, gint64 value);
OXP_API void oxp_tensor_spec_set_dim_param (OxpTensorSpec *spec, guint axis, const char *param);

/* Getters: get_dim_value() is -1 unless the dim is a number; get_dim_param()
 * is NULL unless the dim is symbolic. */
OXP_API const char  *oxp_tensor_spec_get_name      (const OxpTensorSpec *spec);
OXP_API OxpDataType  oxp_tensor_spec_get_dtype     (const OxpTensorSpec *spec);
OXP_API guint        oxp_tensor_spec_get_rank      (const OxpTensorSpec *spec);
OXP_API gint64       oxp_tensor_spec_get_dim_value (const OxpTensorSpec *spec, guint axis);
OXP_API const char  *oxp_tensor_spec_get_dim_param (const OxpTensorSpec *spec, guint axis);
/* "batch_size,sequence_length,32" (the syntax oxp_tensor_spec_new() takes). */
OXP_API char        *oxp_tensor_spec_dims_to_string (const OxpTensorSpec *spec);
OXP_API gboolean     oxp_tensor_spec_equal          (const OxpTensorSpec *a,
                                                     const OxpTensorSpec *b);
/* The spec named @name in @specs (element-type OxpTensorSpec), or NULL:
 * whether a config declares an input or output. (transfer none) */
OXP_API OxpTensorSpec *oxp_tensor_spec_array_find   (GPtrArray  *specs,
                                                     const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpTensorSpec, oxp_tensor_spec_unref)

G_END_DECLS
