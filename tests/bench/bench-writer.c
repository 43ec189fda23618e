/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-writer: writes every tensor of a checkpoint folder as an initializer
 * of one graph (the driver of tests/bench/bench-writer.sh).  Prints the wall
 * time of the write alone and where the weights went. */
#include "config.h"

#include <oxport/oxport.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean transpose;
static char *float_type_name;
static char *external_name;

static GOptionEntry entries[]
    = { { "transpose", 't', 0, G_OPTION_ARG_NONE, &transpose,
          "Write 2-D tensors transposed (as MatMul wants torch Linear weights)", NULL },
        { "float-type", 'f', 0, G_OPTION_ARG_STRING, &float_type_name,
          "Float type of the weights: fp32 (default), fp16, bf16", "TYPE" },
        { "external-data", 'e', 0, G_OPTION_ARG_STRING, &external_name,
          "auto (default), never or always", "MODE" },
        { NULL } };

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("MODEL_DIR OUT.onnx");
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autoptr (OxpGraph) graph = NULL;
  g_autoptr (OxpOnnxWriter) writer = NULL;
  g_autoptr (OxpTensorSpec) out = NULL;
  g_autofree char *data_path = NULL;
  OxpExternalData mode = OXP_EXTERNAL_DATA_AUTO;
  const char *first = NULL;
  gint64 start, end;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Writes all tensors of a checkpoint as one ONNX graph.");
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3)
    {
      fprintf (stderr, "bench-writer: %s\n",
               error ? error->message : "expected MODEL_DIR OUT.onnx");
      return 1;
    }
  if (g_strcmp0 (external_name, "never") == 0)
    mode = OXP_EXTERNAL_DATA_NEVER;
  else if (g_strcmp0 (external_name, "always") == 0)
    mode = OXP_EXTERNAL_DATA_ALWAYS;

  ckpt = oxp_checkpoint_open (argv[1], &error);
  if (ckpt == NULL)
    {
      fprintf (stderr, "bench-writer: %s\n", error->message);
      return 1;
    }
  graph = oxp_graph_new ("main_graph", 17);
  if (float_type_name != NULL)
    oxp_graph_set_float_type (graph, oxp_data_type_from_string (float_type_name));
  for (guint i = 0; i < oxp_checkpoint_get_n_tensors (ckpt); i++)
    {
      const OxpCheckpointTensor *t = oxp_checkpoint_get_nth (ckpt, i);
      OxpWeightFlags flags = transpose && oxp_checkpoint_tensor_get_rank (t) == 2
                                 ? OXP_WEIGHT_TRANSPOSE
                                 : OXP_WEIGHT_NONE;
      const char *v
          = oxp_graph_add_weight (graph, ckpt, oxp_checkpoint_tensor_get_name (t), flags, &error);

      if (v == NULL)
        {
          fprintf (stderr, "bench-writer: %s\n", error->message);
          return 1;
        }
      first = first ? first : v;
    }
  out = oxp_tensor_spec_new_rank (
      "first", oxp_graph_get_float_type (graph),
      oxp_checkpoint_tensor_get_rank (oxp_checkpoint_get_nth (ckpt, 0)));
  oxp_graph_add_output (graph, out);
  if (!oxp_graph_bind_output (graph, "first", first, &error))
    {
      fprintf (stderr, "bench-writer: %s\n", error->message);
      return 1;
    }

  writer = oxp_onnx_writer_new ();
  oxp_onnx_writer_set_external_data (writer, mode);
  start = g_get_monotonic_time ();
  if (!oxp_onnx_writer_write (writer, graph, argv[2], &error))
    {
      fprintf (stderr, "bench-writer: %s\n", error->message);
      return 1;
    }
  end = g_get_monotonic_time ();
  data_path = g_strconcat (argv[2], "_data", NULL);
  printf ("write %.3f s, %" G_GUINT64_FORMAT " bytes of weights, %s\n", (end - start) / 1e6,
          oxp_graph_get_weights_size (graph),
          g_file_test (data_path, G_FILE_TEST_EXISTS) ? "external data" : "inline");
  return 0;
}
