/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* One external-data file that several models refer to (a seq2seq
 * decoder_model.onnx and decoder_with_past_model.onnx): each tensor's bytes
 * are stored once, at one offset, whichever model wrote them first; a
 * tensor only a later model has is appended.  The file is written in place
 * (the exporter's staging folder makes the whole export atomic); a write
 * that fails cuts the file back to what it was before that write. */
typedef struct _OxpSharedData OxpSharedData;

/* The file at @path, created by the first write that puts a tensor in it. */
G_GNUC_INTERNAL OxpSharedData *_oxp_shared_data_new (const char *path);
G_GNUC_INTERNAL void _oxp_shared_data_free (OxpSharedData *shared);
G_GNUC_INTERNAL const char *_oxp_shared_data_get_path (OxpSharedData *shared);
/* Bytes in the file so far. */
G_GNUC_INTERNAL guint64 _oxp_shared_data_get_size (OxpSharedData *shared);
/* Closes the file; TRUE when it closed cleanly (or was never created). */
G_GNUC_INTERNAL gboolean _oxp_shared_data_close (OxpSharedData *shared, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpSharedData, _oxp_shared_data_free)

/* Makes the next writes of @self put every tensor of 1 KiB or more into
 * @shared (borrowed; NULL: the writer's own external-data mode again),
 * whatever the external-data mode. */
G_GNUC_INTERNAL void _oxp_onnx_writer_set_shared_data (OxpOnnxWriter *self,
                                                        OxpSharedData *shared);

G_END_DECLS
