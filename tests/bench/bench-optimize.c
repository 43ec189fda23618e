/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-optimize BATCH SEQUENCE PAST RUNS MODEL.onnx...: median ONNX Runtime
 * latency of each model, the models' runs alternating (one run of each in
 * turn, so a noisy shared machine slows them alike), after three warm-up
 * rounds.  Encoders get input_ids/token_type_ids [BATCH, SEQUENCE] and an
 * all-ones attention_mask; decoders an attention_mask [BATCH, PAST +
 * SEQUENCE], position_ids PAST + arange and random past_key_values.* of
 * length PAST.  Prints one median in ms a line, in the models' order (used
 * by tests/bench/bench-optimize.sh; not a test). */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <oxport/oxport.h>

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static OxpTensor *
make_input (const OxpTensorSpec *spec, gint64 batch, gint64 seq, gint64 past, GRand *rand)
{
  const char *name = oxp_tensor_spec_get_name (spec);
  OxpTensor *t;

  if (g_str_has_prefix (name, "past_key_values."))
    {
      /* [batch, kv_heads, past, head_dim]: the heads and head size are fixed dims. */
      const gint64 shape[] = { batch, oxp_tensor_spec_get_dim_value (spec, 1), past,
                               oxp_tensor_spec_get_dim_value (spec, 3) };
      float *d;

      t = oxp_tensor_new (name, OXP_DATA_TYPE_FLOAT, shape, 4);
      d = oxp_tensor_get_mutable_data (t);
      for (gsize i = 0; i < oxp_tensor_get_n_elements (t); i++)
        d[i] = (float)g_rand_double_range (rand, -1.0, 1.0);
      return t;
    }
  {
    gint64 width = g_str_equal (name, "attention_mask") ? past + seq : seq;
    const gint64 shape[] = { batch, width };
    gint64 *d;

    t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, shape, 2);
    d = oxp_tensor_get_mutable_data (t);
    for (gint64 b = 0; b < batch; b++)
      for (gint64 i = 0; i < width; i++)
        {
          gint64 *v = &d[b * width + i];
          if (g_str_equal (name, "input_ids"))
            *v = g_rand_int_range (rand, 1000, 30000);
          else if (g_str_equal (name, "attention_mask"))
            *v = 1;
          else if (g_str_equal (name, "position_ids"))
            *v = past + i;
          else
            *v = 0;
        }
  }
  return t;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (GPtrArray) sessions = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) all_feeds
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree double *times = NULL;
  gint64 batch, seq, past;
  int runs, n_models;

  if (argc < 6)
    {
      g_printerr ("usage: %s BATCH SEQUENCE PAST RUNS MODEL.onnx...\n", argv[0]);
      return 2;
    }
  batch = g_ascii_strtoll (argv[1], NULL, 10);
  seq = g_ascii_strtoll (argv[2], NULL, 10);
  past = g_ascii_strtoll (argv[3], NULL, 10);
  runs = atoi (argv[4]);
  n_models = argc - 5;
  if (batch < 1 || seq < 1 || past < 0 || runs < 1)
    {
      g_printerr ("%s: BATCH, SEQUENCE and RUNS must be positive, PAST not negative\n", argv[0]);
      return 2;
    }

  runtime = oxp_runtime_new (NULL, FALSE, &error);
  if (runtime == NULL)
    {
      g_printerr ("%s: %s\n", argv[0], error->message);
      return 1;
    }
  for (int m = 0; m < n_models; m++)
    {
      OxpRuntimeSession *session = oxp_runtime_open_session (runtime, argv[5 + m], &error);
      GPtrArray *feeds, *inputs;

      if (session == NULL)
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          return 1;
        }
      g_ptr_array_add (sessions, session);
      feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
      inputs = oxp_runtime_session_get_inputs (session);
      for (guint i = 0; i < inputs->len; i++)
        g_ptr_array_add (feeds, make_input (g_ptr_array_index (inputs, i), batch, seq, past, rand));
      g_ptr_array_add (all_feeds, feeds);
    }

  times = g_new (double, (gsize)runs *n_models);
  for (int i = -3; i < runs; i++) /* three warm-up rounds */
    for (int m = 0; m < n_models; m++)
      {
        gint64 start = g_get_monotonic_time ();
        g_autoptr (GPtrArray) outputs = oxp_runtime_session_run (
            g_ptr_array_index (sessions, m), g_ptr_array_index (all_feeds, m), &error);

        if (outputs == NULL)
          {
            g_printerr ("%s: %s: %s\n", argv[0], argv[5 + m], error->message);
            return 1;
          }
        if (i >= 0)
          times[(gsize)m * runs + i] = (g_get_monotonic_time () - start) / 1000.0;
      }
  for (int m = 0; m < n_models; m++)
    {
      double *t = times + (gsize)m * runs;
      qsort (t, runs, sizeof (double), compare_doubles);
      g_print ("%.2f\n", runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2);
    }
  return 0;
}
