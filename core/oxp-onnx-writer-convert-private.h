/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Element conversion and transposition the writer applies chunk by chunk. */

#include <oxport/oxport.h>

#include "oxp-graph-private.h"

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

/* Columns [@j0, @j0 + @k) of the @rows × @cols matrix @src (@src_dtype),
 * transposed and converted into @dst, which holds @k × @rows elements of
 * @dst_dtype.  Same types or the float pairs of _oxp_convert_floats(); the
 * bytes are those of _oxp_transpose_rows() then _oxp_convert_floats(). */
G_GNUC_INTERNAL void _oxp_transpose_convert (gpointer dst, OxpDataType dst_dtype, gconstpointer src,
                                             OxpDataType src_dtype, gsize rows, gsize cols,
                                             gsize j0, gsize k);

/* The transposition of a whole 2-D tensor, for the writer. */
typedef struct
{
  gconstpointer src; /* rows × cols elements of src_dtype */
  OxpDataType src_dtype;
  OxpDataType dst_dtype;
  gsize rows;
  gsize cols;
  gsize band_size;  /* source bytes in use at a time, at most (but one row) */
  gsize block_size; /* output bytes of one work item, about (but 64 source bytes a row) */
} OxpTransposeJob;

/* Writes @len bytes at @offset of the output (the cols × rows matrix);
 * called in the calling thread, by increasing offset within a band. */
typedef gboolean (*OxpTransposeWriteFunc) (gconstpointer data, gsize len, guint64 offset,
                                           gpointer user_data, GError **error);
/* A band of source rows will be read soon (@done FALSE: the next band is
 * announced while the current one is still being read), or has been read
 * for good (@done TRUE: no band after it has been read yet); in the calling
 * thread. */
typedef void (*OxpTransposeBandFunc) (gconstpointer src, gsize len, gboolean done,
                                      gpointer user_data);

/* Worker threads and their block buffers, kept from tensor to tensor of a
 * write (the buffers' pages are not faulted in again for each tensor). */
typedef struct _OxpTransposer OxpTransposer;

/* @n_threads workers (0: everything in the calling thread); the threads
 * start with the first tensor of more than one block. */
G_GNUC_INTERNAL OxpTransposer *_oxp_transposer_new (guint n_threads);
G_GNUC_INTERNAL void _oxp_transposer_free (OxpTransposer *self);

/* Transposes and converts @job's tensor in bands of rows, each cut into
 * blocks of columns that the workers transpose while the calling thread
 * writes the finished ones in order: every source byte is read once, one
 * band is read at a time, the output of a band that is the whole tensor is
 * written sequentially, and the buffers are 2 × n_threads blocks.  Stops
 * at the first failure of @write_func, whose error it returns. */
G_GNUC_INTERNAL gboolean _oxp_transposer_write (OxpTransposer *self, const OxpTransposeJob *job,
                                                OxpTransposeWriteFunc write_func,
                                                OxpTransposeBandFunc band_func, gpointer user_data,
                                                GError **error);

/* One part of the block quantization of a weight: rows are MatMulNBits'
 * output rows (the N axis), blocks run along K. */
typedef struct
{
  gconstpointer src; /* [n, k], or [k, n] with in_out, of src_dtype */
  OxpDataType src_dtype;
  OxpDataType scale_dtype;
  gboolean in_out;
  gsize n, k;
  guint bits;       /* 4 or 8 */
  gsize block_size; /* elements */
  gboolean symmetric;
  OxpQuantPart part;
  /* With part BLOCKS, when not NULL: also the scales and zero points of
   * the rows, at the same offsets their own parts would put them. */
  guint8 *side_scales;
  guint8 *side_zero_points;
} OxpQuantizeJob;

/* Rows [@r0, @r0 + @nr) of @job's part into @dst, one row after the other
 * (codes: ceil(k / block_size) × block_size × bits / 8 bytes a row, the
 * last block padded with the zero code; scales: one per block in
 * scale_dtype; zero points: packed per row).  @row holds k floats. */
G_GNUC_INTERNAL void _oxp_quantize_rows (const OxpQuantizeJob *job, gsize r0, gsize nr,
                                         guint8 *dst, float *row);

G_END_DECLS
