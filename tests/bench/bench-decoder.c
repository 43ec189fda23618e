/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-decoder MODEL.onnx PAST [RUNS]: median ONNX Runtime latency of one
 * new token of an exported text decoder (model.onnx of
 * text-generation-with-past) at batch 1 with a cache of PAST positions,
 * after three warm-up runs (used by tests/bench/bench-decoder.sh; not a
 * test).  The cache is random; the shapes come from the model's inputs
 * (past_key_values.*: [batch, kv_heads, past, head_dim] with fixed heads and
 * head_dim).  Prints the median wall time and the mean CPU time of a run,
 * in ms. */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <oxport/oxport.h>

/* User + system time of the process so far, in ms. */
static double
cpu_ms (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Random values in [-1, 1) of a float type. */
static void
fill_floats (OxpTensor *t, GRand *rand)
{
  gsize n = oxp_tensor_get_n_elements (t);
  guint8 *d = oxp_tensor_get_mutable_data (t);

  for (gsize i = 0; i < n; i++)
    {
      float f = (float)g_rand_double_range (rand, -1.0, 1.0);
      guint32 bits;
      guint16 h;

      memcpy (&bits, &f, 4);
      switch (oxp_tensor_get_dtype (t))
        {
        case OXP_DATA_TYPE_FLOAT16:
          {
            /* |f| < 1: a normal or zero half; truncation is fine here. */
            guint32 e = (bits >> 23) & 0xff;

            h = (guint16)((bits >> 16) & 0x8000);
            if (e >= 113)
              h |= (guint16)(((e - 112) << 10) | ((bits >> 13) & 0x3ff));
            memcpy (d + 2 * i, &h, 2);
          }
          break;
        case OXP_DATA_TYPE_BFLOAT16:
          h = (guint16)(bits >> 16);
          memcpy (d + 2 * i, &h, 2);
          break;
        default:
          memcpy (d + 4 * i, &f, 4);
          break;
        }
    }
}

static OxpTensor *
make_input (const OxpTensorSpec *spec, gint64 past, GRand *rand, GError **error)
{
  const char *name = oxp_tensor_spec_get_name (spec);
  OxpTensor *t;
  gint64 *d;

  if (g_str_has_prefix (name, "past_key_values."))
    {
      gint64 heads = oxp_tensor_spec_get_dim_value (spec, 1);
      gint64 head_dim = oxp_tensor_spec_get_dim_value (spec, 3);

      if (oxp_tensor_spec_get_rank (spec) != 4 || heads < 1 || head_dim < 1)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       "input %s: expected [batch, heads, past, head_dim] with fixed heads and "
                       "head_dim",
                       name);
          return NULL;
        }
      t = oxp_tensor_new (name, oxp_tensor_spec_get_dtype (spec),
                          (const gint64[]){ 1, heads, past, head_dim }, 4);
      fill_floats (t, rand);
      return t;
    }
  if (g_str_equal (name, "input_ids") || g_str_equal (name, "position_ids"))
    {
      t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, (const gint64[]){ 1, 1 }, 2);
      d = oxp_tensor_get_mutable_data (t);
      d[0] = g_str_equal (name, "input_ids") ? g_rand_int_range (rand, 100, 30000) : past;
      return t;
    }
  if (g_str_equal (name, "attention_mask"))
    {
      t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, (const gint64[]){ 1, past + 1 }, 2);
      d = oxp_tensor_get_mutable_data (t);
      for (gint64 i = 0; i < past + 1; i++)
        d[i] = 1;
      return t;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
               "input %s: not a text decoder input this benchmark knows", name);
  return NULL;
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
  gint64 past;
  int runs;
  double cpu_start = 0, cpu_end;

  if (argc < 3)
    {
      g_printerr ("usage: %s MODEL.onnx PAST [RUNS]\n", argv[0]);
      return 2;
    }
  past = g_ascii_strtoll (argv[2], NULL, 10);
  runs = argc > 3 ? atoi (argv[3]) : 20;
  if (past < 0 || runs < 1)
    {
      g_printerr ("%s: PAST must be at least 0 and RUNS positive\n", argv[0]);
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
    {
      OxpTensor *t = make_input (g_ptr_array_index (inputs, i), past, rand, &error);

      if (t == NULL)
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          return 1;
        }
      g_ptr_array_add (feeds, t);
    }

  times = g_new (double, runs);
  for (int i = -3; i < runs; i++) /* three warm-up runs */
    {
      gint64 start = g_get_monotonic_time ();

      if (i == 0)
        cpu_start = cpu_ms ();
      g_autoptr (GPtrArray) outputs = oxp_runtime_session_run (session, feeds, &error);

      if (outputs == NULL)
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          return 1;
        }
      if (i >= 0)
        times[i] = (g_get_monotonic_time () - start) / 1000.0;
    }
  cpu_end = cpu_ms ();
  qsort (times, runs, sizeof (double), compare_doubles);
  /* The median wall time, then the mean CPU time of a run (all threads:
   * steadier on a loaded machine, though ORT's spinning threads add to it). */
  g_print ("%.2f %.2f\n", runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2,
           (cpu_end - cpu_start) / runs);
  return 0;
}
