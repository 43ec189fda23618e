/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>

G_BEGIN_DECLS

/* OxpTensor: a named tensor value held in memory; reference-counted boxed
 * type, contiguous and row-major. */

#define OXP_TYPE_TENSOR (oxp_tensor_get_type ())
OXP_API GType oxp_tensor_get_type (void) G_GNUC_CONST;

/* A zero-filled tensor. */
OXP_API OxpTensor *oxp_tensor_new            (const char   *name,
                                              OxpDataType   dtype,
                                              const gint64 *shape,
                                              guint         rank);
/* Wraps @data (size must be n_elements × element size, else NULL). */
OXP_API OxpTensor *oxp_tensor_new_from_bytes (const char   *name,
                                              OxpDataType   dtype,
                                              const gint64 *shape,
                                              guint         rank,
                                              GBytes       *data);
OXP_API OxpTensor *oxp_tensor_ref            (OxpTensor *tensor);
OXP_API void       oxp_tensor_unref          (OxpTensor *tensor);

OXP_API const char   *oxp_tensor_get_name       (const OxpTensor *tensor);
OXP_API OxpDataType   oxp_tensor_get_dtype      (const OxpTensor *tensor);
OXP_API guint         oxp_tensor_get_rank       (const OxpTensor *tensor);
OXP_API const gint64 *oxp_tensor_get_shape      (const OxpTensor *tensor);
OXP_API gsize         oxp_tensor_get_n_elements (const OxpTensor *tensor);
OXP_API gsize         oxp_tensor_get_size       (const OxpTensor *tensor);
OXP_API gconstpointer oxp_tensor_get_data       (const OxpTensor *tensor);
/* Writable view; only for a tensor created with oxp_tensor_new(). */
OXP_API gpointer      oxp_tensor_get_mutable_data (OxpTensor *tensor);
/* Element @i converted to double (any numeric dtype, fp16/bf16 included). */
OXP_API double        oxp_tensor_get_element_as_double (const OxpTensor *tensor,
                                                        gsize            i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpTensor, oxp_tensor_unref)

G_END_DECLS
