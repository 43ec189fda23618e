/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Element conversion and transposition the writer applies chunk by chunk. */

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Converts @n elements of @src (@src_dtype) into @dst (@dst_dtype).  Both are
 * FLOAT, FLOAT16, BFLOAT16 or DOUBLE; narrowing rounds to nearest even
 * (DOUBLE to 16-bit goes through FLOAT); equal types copy. */
G_GNUC_INTERNAL void _oxp_convert_floats (OxpDataType dst_dtype, gpointer dst,
                                          OxpDataType src_dtype, gconstpointer src, gsize n);

/* Rows [@j0, @j0 + @k) of the transposition of the @rows × @cols matrix
 * @src (elements of @elem_size bytes: 1, 2, 4 or 8) into @dst, which holds
 * @k × @rows elements. */
G_GNUC_INTERNAL void _oxp_transpose_rows (gpointer dst, gconstpointer src, gsize elem_size,
                                          gsize rows, gsize cols, gsize j0, gsize k);

G_END_DECLS
