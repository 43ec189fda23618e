/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-quantize-greedy N_NEW REFERENCE.onnx MODEL.onnx...: greedy decoding
 * of N_NEW tokens after 4 prompts of 8 tokens through each model (with its
 * cache), printing per model the fraction of the tokens equal to
 * REFERENCE's at the same position, and how many of the 4 rows agree
 * wholly.  Used by tests/bench/bench-quantize.sh; not a test. */
#include "config.h"

#include <stdlib.h>

#include <oxport/oxport.h>

#include "../oxp-test-utils.h"

#define BATCH 4
#define PROMPT 8

int
main (int argc, char **argv)
{
  const char *ort = g_getenv ("OXPORT_ONNXRUNTIME");
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) ref_session = NULL;
  g_autofree gint64 *ref = NULL;
  gint64 prompt[BATCH * PROMPT];
  guint n_new;

  if (argc < 4)
    {
      g_printerr ("usage: bench-quantize-greedy N_NEW REFERENCE.onnx MODEL.onnx...\n");
      return 2;
    }
  n_new = (guint)atoi (argv[1]);
  for (guint i = 0; i < G_N_ELEMENTS (prompt); i++)
    prompt[i] = (gint64)((i * 7919 + 13) % 32000);
  runtime = oxp_runtime_new (ort, FALSE, &error);
  if (runtime == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  ref_session = oxp_runtime_open_session (runtime, argv[2], &error);
  if (ref_session == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  ref = oxp_test_greedy_generate (ref_session, BATCH, PROMPT, prompt, n_new, TRUE);
  g_clear_object (&ref_session);
  for (int m = 3; m < argc; m++)
    {
      g_autoptr (OxpRuntimeSession) session = oxp_runtime_open_session (runtime, argv[m], &error);
      g_autofree gint64 *tokens = NULL;
      guint same = 0, rows = 0;

      if (session == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      tokens = oxp_test_greedy_generate (session, BATCH, PROMPT, prompt, n_new, TRUE);
      for (guint r = 0; r < BATCH; r++)
        {
          guint row_same = 0;

          for (guint t = 0; t < n_new; t++)
            row_same += tokens[r * n_new + t] == ref[r * n_new + t];
          same += row_same;
          rows += row_same == n_new;
        }
      g_print ("%.3f %u\n", (double)same / (BATCH * n_new), rows);
    }
  return 0;
}
