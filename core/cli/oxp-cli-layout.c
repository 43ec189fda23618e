/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "oxp-cli.h"

/* transformers.js reads a model folder as the Hugging Face Hub holds it for
 * the Xenova/onnx-community models: config.json, generation_config.json and
 * the tokenizer files at the top, every ONNX file under onnx/, the dtype in
 * the file name (model.onnx for fp32, model_fp16.onnx for fp16).  The
 * exporter writes optimum's flat layout; this moves its files into that
 * shape once the export (and its validation) is complete. */

char *
oxp_cli_layout_file_name (const char *layout, OxpExportResult *result, const char *file_name)
{
  gboolean fp16 = oxp_export_result_get_float_type (result) == OXP_DATA_TYPE_FLOAT16;

  if (g_strcmp0 (layout, "transformers.js") != 0)
    return g_strdup (file_name);
  if (g_str_has_suffix (file_name, ".onnx"))
    return g_strdup_printf ("onnx/%.*s%s.onnx", (int)(strlen (file_name) - strlen (".onnx")),
                            file_name, fp16 ? "_fp16" : "");
  /* External data keeps its name: the .onnx file refers to it by name,
   * relative to its own folder, and both move together. */
  if (g_str_has_suffix (file_name, ".onnx_data"))
    return g_strdup_printf ("onnx/%s", file_name);
  return g_strdup (file_name);
}

gboolean
oxp_cli_layout_transformersjs (OxpExportResult *result, GError **error)
{
  const char *outdir = oxp_export_result_get_outdir (result);
  g_autofree char *onnx_dir = g_build_filename (outdir, "onnx", NULL);

  if (g_mkdir_with_parents (onnx_dir, 0777) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create %s: %s", onnx_dir, g_strerror (saved_errno));
      return FALSE;
    }
  for (guint i = 0; i < oxp_export_result_get_n_files (result); i++)
    {
      const char *name = oxp_export_result_get_file_name (result, i);
      g_autofree char *new_name = oxp_cli_layout_file_name ("transformers.js", result, name);
      g_autofree char *from = NULL;
      g_autofree char *to = NULL;

      if (g_str_equal (name, new_name))
        continue;
      from = g_build_filename (outdir, name, NULL);
      to = g_build_filename (outdir, new_name, NULL);
      if (g_rename (from, to) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "Cannot move %s to %s: %s", from, to, g_strerror (saved_errno));
          return FALSE;
        }
    }
  return TRUE;
}
