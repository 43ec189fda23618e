/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-seq2seq ENCODER.onnx DECODER_WITH_PAST.onnx LENGTH PAST [RUNS]:
 * ONNX Runtime latencies of a seq2seq export at batch 1 (used by
 * tests/bench/bench-seq2seq.sh; not a test): the encoder over LENGTH tokens
 * (input_ids) or frames (input_features), and one decoder step with a
 * decoder past of PAST positions and the encoder past of the encoder's
 * output length.  The two are run alternately, RUNS times each after three
 * warm-up rounds, so that both see the same machine load.  Inputs are
 * random; fixed dims (mel bins, heads, head_dim, hidden size) come from the
 * models' inputs.  Prints the median wall time of each, in ms. */

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

static void
fill_floats (OxpTensor *t, GRand *rand)
{
  for (gsize i = 0; i < oxp_tensor_get_n_elements (t); i++)
    oxp_tensor_set_element_from_double (t, i, g_rand_double_range (rand, -1.0, 1.0));
}

/* [1, n] of @value, or random token ids when @value < 0. */
static OxpTensor *
int_row (const char *name, gint64 n, gint64 value, GRand *rand)
{
  OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, (const gint64[]){ 1, n }, 2);
  gint64 *d = oxp_tensor_get_mutable_data (t);

  for (gint64 i = 0; i < n; i++)
    d[i] = value >= 0 ? value : g_rand_int_range (rand, 4, 1000);
  return t;
}

static gint64
fixed_dim (const OxpTensorSpec *spec, guint d, GError **error)
{
  gint64 v = d < oxp_tensor_spec_get_rank (spec) ? oxp_tensor_spec_get_dim_value (spec, d) : -1;

  if (v < 1)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "input %s: dim %u is not fixed",
                 oxp_tensor_spec_get_name (spec), d);
  return v;
}

static GPtrArray *
encoder_feeds (OxpRuntimeSession *session, gint64 length, GRand *rand, GError **error)
{
  GPtrArray *inputs = oxp_runtime_session_get_inputs (session);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);

  for (guint i = 0; i < inputs->len; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (inputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);

      if (g_str_equal (name, "input_ids"))
        g_ptr_array_add (feeds, int_row (name, length, -1, rand));
      else if (g_str_equal (name, "attention_mask"))
        g_ptr_array_add (feeds, int_row (name, length, 1, rand));
      else if (g_str_equal (name, "input_features"))
        {
          gint64 mels = fixed_dim (spec, 1, error);
          OxpTensor *t;

          if (mels < 1)
            return NULL;
          t = oxp_tensor_new (name, oxp_tensor_spec_get_dtype (spec),
                              (const gint64[]){ 1, mels, length }, 3);
          fill_floats (t, rand);
          g_ptr_array_add (feeds, t);
        }
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       "encoder input %s: not one this benchmark knows", name);
          return NULL;
        }
    }
  return g_steal_pointer (&feeds);
}

/* The step's inputs; @encoder_out is the encoder's last_hidden_state. */
static GPtrArray *
step_feeds (OxpRuntimeSession *session, const OxpTensor *encoder_out, gint64 length, gint64 past,
            GRand *rand, GError **error)
{
  GPtrArray *inputs = oxp_runtime_session_get_inputs (session);
  g_autoptr (GPtrArray) feeds = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  gint64 enc_len = oxp_tensor_get_shape (encoder_out)[1];

  for (guint i = 0; i < inputs->len; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (inputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);

      if (g_str_equal (name, "input_ids"))
        g_ptr_array_add (feeds, int_row (name, 1, -1, rand));
      else if (g_str_equal (name, "encoder_attention_mask"))
        g_ptr_array_add (feeds, int_row (name, length, 1, rand));
      else if (g_str_equal (name, "encoder_hidden_states"))
        {
          OxpTensor *t = oxp_tensor_new (name, oxp_tensor_get_dtype (encoder_out),
                                         oxp_tensor_get_shape (encoder_out), 3);

          memcpy (oxp_tensor_get_mutable_data (t), oxp_tensor_get_data (encoder_out),
                  oxp_tensor_get_size (encoder_out));
          g_ptr_array_add (feeds, t);
        }
      else if (g_str_has_prefix (name, "past_key_values."))
        {
          gint64 heads = fixed_dim (spec, 1, error);
          gint64 head_dim = heads > 0 ? fixed_dim (spec, 3, error) : -1;
          OxpTensor *t;

          if (head_dim < 1)
            return NULL;
          t = oxp_tensor_new (
              name, oxp_tensor_spec_get_dtype (spec),
              (const gint64[]){ 1, heads, strstr (name, ".encoder.") ? enc_len : past, head_dim },
              4);
          fill_floats (t, rand);
          g_ptr_array_add (feeds, t);
        }
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                       "decoder input %s: not one this benchmark knows", name);
          return NULL;
        }
    }
  return g_steal_pointer (&feeds);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) encoder = NULL;
  g_autoptr (OxpRuntimeSession) step = NULL;
  g_autoptr (GPtrArray) enc_in = NULL;
  g_autoptr (GPtrArray) enc_out = NULL;
  g_autoptr (GPtrArray) step_in = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree double *enc_ms = NULL;
  g_autofree double *step_ms = NULL;
  gint64 length, past;
  int runs;

  if (argc < 5)
    {
      g_printerr ("usage: %s ENCODER.onnx DECODER_WITH_PAST.onnx LENGTH PAST [RUNS]\n", argv[0]);
      return 2;
    }
  length = g_ascii_strtoll (argv[3], NULL, 10);
  past = g_ascii_strtoll (argv[4], NULL, 10);
  runs = argc > 5 ? atoi (argv[5]) : 10;
  if (length < 1 || past < 0 || runs < 1)
    {
      g_printerr ("%s: LENGTH must be positive, PAST at least 0, RUNS positive\n", argv[0]);
      return 2;
    }

  runtime = oxp_runtime_new (NULL, FALSE, &error);
  if (runtime == NULL || (encoder = oxp_runtime_open_session (runtime, argv[1], &error)) == NULL
      || (step = oxp_runtime_open_session (runtime, argv[2], &error)) == NULL
      || (enc_in = encoder_feeds (encoder, length, rand, &error)) == NULL
      || (enc_out = oxp_runtime_session_run (encoder, enc_in, &error)) == NULL
      || (step_in = step_feeds (step, g_ptr_array_index (enc_out, 0), length, past, rand, &error))
             == NULL)
    {
      g_printerr ("%s: %s\n", argv[0], error->message);
      return 1;
    }

  enc_ms = g_new (double, runs);
  step_ms = g_new (double, runs);
  for (int i = -3; i < runs; i++) /* three warm-up rounds */
    {
      gint64 t0 = g_get_monotonic_time (), t1, t2;
      g_autoptr (GPtrArray) a = oxp_runtime_session_run (encoder, enc_in, &error);
      g_autoptr (GPtrArray) b = NULL;

      t1 = g_get_monotonic_time ();
      b = a != NULL ? oxp_runtime_session_run (step, step_in, &error) : NULL;
      t2 = g_get_monotonic_time ();
      if (b == NULL)
        {
          g_printerr ("%s: %s\n", argv[0], error->message);
          return 1;
        }
      if (i >= 0)
        {
          enc_ms[i] = (t1 - t0) / 1000.0;
          step_ms[i] = (t2 - t1) / 1000.0;
        }
    }
  qsort (enc_ms, runs, sizeof (double), compare_doubles);
  qsort (step_ms, runs, sizeof (double), compare_doubles);
  g_print ("%.2f %.2f\n",
           runs % 2 ? enc_ms[runs / 2] : (enc_ms[runs / 2 - 1] + enc_ms[runs / 2]) / 2,
           runs % 2 ? step_ms[runs / 2] : (step_ms[runs / 2 - 1] + step_ms[runs / 2]) / 2);
  return 0;
}
