/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-graph.h>

G_BEGIN_DECLS

/**
 * OxpExternalData:
 * @OXP_EXTERNAL_DATA_AUTO: inline below 2 GiB of weights, external above
 * @OXP_EXTERNAL_DATA_NEVER: always inline (fails above 2 GiB)
 * @OXP_EXTERNAL_DATA_ALWAYS: always one `<model>.onnx_data` file beside the model
 *
 * Where oxp_onnx_writer_write() puts the weights.
 */
typedef enum {
  OXP_EXTERNAL_DATA_AUTO,
  OXP_EXTERNAL_DATA_NEVER,
  OXP_EXTERNAL_DATA_ALWAYS,
} OxpExternalData;

#define OXP_TYPE_EXTERNAL_DATA (oxp_external_data_get_type ())
OXP_API GType oxp_external_data_get_type (void) G_GNUC_CONST;

/**
 * OxpProgressFunc:
 * @done: bytes of weights written so far
 * @total: bytes of weights in all
 * @user_data: the data given with the function
 *
 * Reports the progress of oxp_onnx_writer_write(), in the thread that called
 * it.
 */
typedef void (*OxpProgressFunc) (guint64 done, guint64 total, gpointer user_data);

#define OXP_TYPE_ONNX_WRITER (oxp_onnx_writer_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpOnnxWriter, oxp_onnx_writer, OXP, ONNX_WRITER, GObject)

OXP_API OxpOnnxWriter *oxp_onnx_writer_new (void);
OXP_API void oxp_onnx_writer_set_external_data (OxpOnnxWriter *self, OxpExternalData mode);
/* metadata_props of the ModelProto (e.g. "source_model_type", "task"). */
OXP_API void oxp_onnx_writer_set_metadata      (OxpOnnxWriter *self,
                                                const char    *key,
                                                const char    *value);
OXP_API void oxp_onnx_writer_set_progress_func (OxpOnnxWriter  *self,
                                                OxpProgressFunc func,
                                                gpointer        user_data,
                                                GDestroyNotify  notify);
/* Checks @graph, then writes @path (and its .onnx_data) through temporary
 * files renamed at the end; on failure nothing is left behind.  With
 * external data, tensors of 1 KiB or more go to "<path>_data" (those of
 * 1 MiB or more at 64 KiB-aligned offsets); smaller ones stay inline.
 * Errors: OXP_EXPORT_ERROR_INVALID_GRAPH (from oxp_graph_check()),
 * OXP_EXPORT_ERROR_UNSUPPORTED (over 2 GiB with OXP_EXTERNAL_DATA_NEVER),
 * OXP_EXPORT_ERROR_NO_SPACE (disk full, file size limit) or
 * OXP_EXPORT_ERROR_IO, naming the file. */
OXP_API gboolean oxp_onnx_writer_write (OxpOnnxWriter *self,
                                        OxpGraph      *graph,
                                        const char    *path,
                                        GError       **error);

G_END_DECLS
