/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-bert MODEL.onnx BATCH SEQUENCE [RUNS]: median ONNX Runtime latency of
 * an exported encoder, after warm-up, on random token ids (used by
 * tests/bench/bench-bert.sh; not a test).  Prints the median in ms. */

#include "config.h"

#include <stdlib.h>

#include <oxport/oxport.h>

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static OxpTensor *
make_input (const OxpTensorSpec *spec, gint64 batch, gint64 seq, GRand *rand)
{
  const char *name = oxp_tensor_spec_get_name (spec);
  const gint64 shape[] = { batch, seq };
  OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, shape, 2);
  gint64 *d = oxp_tensor_get_mutable_data (t);

  for (gint64 i = 0; i < batch * seq; i++)
    {
      if (g_str_equal (name, "input_ids"))
        d[i] = g_rand_int_range (rand, 1000, 30000);
      else if (g_str_equal (name, "attention_mask"))
        d[i] = 1;
      else
        d[i] = 0;
    }
  return t;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree double *times = NULL;
  GPtrArray *inputs;
  gint64 batch, seq;
  int runs;

  if (argc < 4)
    {
      g_printerr ("usage: %s MODEL.onnx BATCH SEQUENCE [RUNS]\n", argv[0]);
      return 2;
    }
  batch = g_ascii_strtoll (argv[2], NULL, 10);
  seq = g_ascii_strtoll (argv[3], NULL, 10);
  runs = argc > 4 ? atoi (argv[4]) : 20;
  if (batch < 1 || seq < 1 || runs < 1)
    {
      g_printerr ("%s: BATCH, SEQUENCE and RUNS must be positive\n", argv[0]);
      return 2;
    }

  runtime = oxp_runtime_new (NULL, FALSE, &error);
  if (runtime == NULL || (session = oxp_runtime_open_session (runtime, argv[1], &error)) == NULL)
    {
      g_printerr ("%s: %s\n", argv[0], error->message);
      return 1;
    }

  inputs = oxp_runtime_session_get_inputs (session);
  for (guint i = 0; i < inputs->len; i++)
    g_ptr_array_add (feeds, make_input (g_ptr_array_index (inputs, i), batch, seq, rand));

  times = g_new (double, runs);
  for (int i = -3; i < runs; i++) /* three warm-up runs */
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (GPtrArray) outputs = oxp_runtime_session_run (session, feeds, &error);

      if (outputs == NULL)
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          return 1;
        }
      if (i >= 0)
        times[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  qsort (times, runs, sizeof (double), compare_doubles);
  g_print ("%.2f\n", runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2);
  return 0;
}
