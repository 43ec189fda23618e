/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Greedy generation from a real encoder-decoder export, the way
 * transformers.js runs one: encoder_model.onnx once, then 4 tokens through
 * decoder_model_merged.onnx, twice: feeding each step's presents back as
 * the next past (use_cache_branch true after the first step), and
 * rerunning the whole decoder sequence without past.  Both must choose the
 * same tokens.  The encoder's inputs are the `_encoder` case's.  A case
 * whose model type no loaded plugin handles is skipped, except t5 and mt5.
 * Needs OXPORT (the program) and OXPORT_ONNXRUNTIME. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

#define N_NEW 4

static const char *const cases[] = {
  "t5_encoder",    "t5v11_encoder",  "mt5_encoder",     "bart_encoder",
  "mbart_encoder", "marian_encoder", "whisper_encoder",
};

static JsonObject *
load_json (JsonParser *parser, const char *dir, const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static OxpTensor *
copy_tensor (const char *name, const OxpTensor *t)
{
  OxpTensor *c = oxp_tensor_new (name, oxp_tensor_get_dtype (t), oxp_tensor_get_shape (t),
                                 oxp_tensor_get_rank (t));

  memcpy (oxp_tensor_get_mutable_data (c), oxp_tensor_get_data (t), oxp_tensor_get_size (t));
  return c;
}

static OxpTensor *
find_output (OxpRuntimeSession *session, GPtrArray *outputs, const char *name)
{
  GPtrArray *specs = oxp_runtime_session_get_outputs (session);

  for (guint i = 0; outputs != NULL && i < specs->len; i++)
    if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (specs, i)), name) == 0)
      return g_ptr_array_index (outputs, i);
  return NULL;
}

/* Greedy decoding of N_NEW tokens for @batch rows starting at @start;
 * @scores gets each step's logits at the last position [N_NEW, batch, vocab]. */
static gint64 *
generate (OxpRuntimeSession *decoder, gint64 batch, gint64 start, OxpTensor *hidden,
          OxpTensor *encoder_mask, gboolean use_cache, GArray *scores)
{
  GPtrArray *specs = oxp_runtime_session_get_inputs (decoder);
  gint64 *tokens = g_new0 (gint64, batch * N_NEW);
  g_autofree gint64 *sequence = g_new0 (gint64, batch * (N_NEW + 1));
  g_autoptr (GPtrArray) last = NULL;

  for (gint64 r = 0; r < batch; r++)
    sequence[r * (N_NEW + 1)] = start;
  for (gint64 step = 0; step < N_NEW; step++)
    {
      g_autoptr (GPtrArray) inputs
          = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
      g_autoptr (GError) error = NULL;
      gboolean cached = use_cache && step > 0;
      gint64 length = step + 1, seq = cached ? 1 : length;
      OxpTensor *logits;

      for (guint i = 0; i < specs->len; i++)
        {
          const OxpTensorSpec *spec = g_ptr_array_index (specs, i);
          const char *name = oxp_tensor_spec_get_name (spec);

          if (strcmp (name, "input_ids") == 0)
            {
              const gint64 shape[] = { batch, seq };
              OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, shape, 2);
              gint64 *ids = oxp_tensor_get_mutable_data (t);

              for (gint64 r = 0; r < batch; r++)
                memcpy (ids + r * seq, sequence + r * (N_NEW + 1) + (length - seq),
                        (gsize)seq * sizeof (gint64));
              g_ptr_array_add (inputs, t);
            }
          else if (strcmp (name, "encoder_hidden_states") == 0)
            g_ptr_array_add (inputs, copy_tensor (name, hidden));
          else if (strcmp (name, "encoder_attention_mask") == 0 && encoder_mask != NULL)
            g_ptr_array_add (inputs, copy_tensor (name, encoder_mask));
          else if (strcmp (name, "use_cache_branch") == 0)
            {
              const gint64 one = 1;
              OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_BOOL, &one, 1);

              *(guint8 *)oxp_tensor_get_mutable_data (t) = cached;
              g_ptr_array_add (inputs, t);
            }
          else if (g_str_has_prefix (name, "past_key_values."))
            {
              g_autofree char *present
                  = g_strconcat ("present.", name + strlen ("past_key_values."), NULL);
              OxpTensor *p = cached ? find_output (decoder, last, present) : NULL;

              if (p != NULL)
                g_ptr_array_add (inputs, copy_tensor (name, p));
              else
                {
                  /* The empty cache clients build from the declared shape. */
                  const gint64 shape[] = { batch, oxp_tensor_spec_get_dim_value (spec, 1), 0,
                                           oxp_tensor_spec_get_dim_value (spec, 3) };
                  g_assert_false (cached);
                  g_ptr_array_add (
                      inputs, oxp_tensor_new (name, oxp_tensor_spec_get_dtype (spec), shape, 4));
                }
            }
          else
            g_error ("greedy decoding: no value for the decoder's input %s", name);
        }

      g_clear_pointer (&last, g_ptr_array_unref);
      last = oxp_runtime_session_run (decoder, inputs, &error);
      g_assert_no_error (error);
      logits = find_output (decoder, last, "logits");
      g_assert_nonnull (logits);
      g_assert_cmpint (oxp_tensor_get_shape (logits)[1], ==, seq);
      for (gint64 r = 0; r < batch; r++)
        {
          gint64 width = oxp_tensor_get_shape (logits)[2], best = 0;
          gsize base = (gsize)((r * seq + seq - 1) * width);

          for (gint64 c = 0; c < width; c++)
            {
              double v = oxp_tensor_get_element_as_double (logits, base + (gsize)c);

              g_array_append_val (scores, v);
              if (v > oxp_tensor_get_element_as_double (logits, base + (gsize)best))
                best = c;
            }
          tokens[r * N_NEW + step] = best;
          sequence[r * (N_NEW + 1) + length] = best;
        }
    }
  return tokens;
}

static void
test_case (gconstpointer data)
{
  const char *case_name = data;
  const char *oxport = g_getenv ("OXPORT");
  const char *ort = g_getenv ("OXPORT_ONNXRUNTIME");
  g_autofree char *model_dir = oxp_test_srcdir_path ("data", case_name, NULL);
  g_autofree char *vectors = g_build_filename (model_dir, "vectors.safetensors", NULL);
  g_autofree char *tmp = NULL, *out = NULL, *encoder_path = NULL, *merged_path = NULL;
  g_autofree char *stdout_text = NULL, *stderr_text = NULL;
  g_autofree gint64 *cached = NULL, *recomputed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) case_parser = json_parser_new ();
  g_autoptr (JsonParser) config_parser = json_parser_new ();
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) encoder = NULL, decoder = NULL;
  g_autoptr (OxpCheckpoint) reference = NULL;
  g_autoptr (GPtrArray) encoder_inputs
      = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
  g_autoptr (GPtrArray) encoder_outputs = NULL;
  g_autoptr (OxpTensor) mask = NULL;
  JsonObject *case_json, *config;
  const char *task, *model_type;
  g_autoptr (GArray) cached_scores = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) recomputed_scores = g_array_new (FALSE, FALSE, sizeof (double));
  double max_diff = 0;
  gint64 batch, start;
  int status = 0;

  if (oxport == NULL || ort == NULL || *ort == '\0')
    {
      g_test_skip ("OXPORT or OXPORT_ONNXRUNTIME is not set");
      return;
    }
  case_json = load_json (case_parser, model_dir, "case.json");
  config = load_json (config_parser, model_dir, "config.json");
  task = json_object_get_string_member (json_object_get_object_member (case_json, "optimum"),
                                        "task");
  model_type = json_object_get_string_member (case_json, "model_type");

  tmp = oxp_test_make_tmpdir ("oxp-seq2seq-generate-XXXXXX");
  out = g_build_filename (tmp, "out", NULL);
  {
    const char *argv[]
        = { oxport, "export", "--model", model_dir, "--task", task, "--no-validate", out, NULL };
    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text,
                  &stderr_text, &status, &error);
    g_assert_no_error (error);
  }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      /* t5 and mt5 come with oxport: their plugin missing is a failure. */
      if (strstr (stderr_text, "no plugin handles model type") != NULL
          && strcmp (model_type, "t5") != 0 && strcmp (model_type, "mt5") != 0)
        {
          g_test_skip ("no plugin for this model type in this build");
          return;
        }
      g_error ("export of %s failed: %s", case_name, stderr_text);
    }

  runtime = oxp_runtime_new (ort, FALSE, &error);
  g_assert_no_error (error);
  encoder_path = g_build_filename (out, "encoder_model.onnx", NULL);
  merged_path = g_build_filename (out, "decoder_model_merged.onnx", NULL);
  encoder = oxp_runtime_open_session (runtime, encoder_path, &error);
  g_assert_no_error (error);
  decoder = oxp_runtime_open_session (runtime, merged_path, &error);
  g_assert_no_error (error);

  /* The encoder on the case's own (padded) inputs. */
  reference = oxp_checkpoint_open_safetensors (vectors, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < oxp_runtime_session_get_inputs (encoder)->len; i++)
    {
      const char *name = oxp_tensor_spec_get_name (
          g_ptr_array_index (oxp_runtime_session_get_inputs (encoder), i));
      const OxpCheckpointTensor *t = oxp_checkpoint_get_tensor (reference, name, &error);

      g_assert_no_error (error);
      g_ptr_array_add (encoder_inputs, oxp_checkpoint_tensor_to_tensor (t));
      if (strcmp (name, "attention_mask") == 0)
        mask = oxp_tensor_ref (g_ptr_array_index (encoder_inputs, i));
    }
  encoder_outputs = oxp_runtime_session_run (encoder, encoder_inputs, &error);
  g_assert_no_error (error);
  batch = oxp_tensor_get_shape (g_ptr_array_index (encoder_outputs, 0))[0];
  start = json_object_get_int_member_with_default (config, "decoder_start_token_id", 0);

  cached = generate (decoder, batch, start, g_ptr_array_index (encoder_outputs, 0), mask, TRUE,
                     cached_scores);
  recomputed = generate (decoder, batch, start, g_ptr_array_index (encoder_outputs, 0), mask, FALSE,
                         recomputed_scores);
  for (gint64 r = 0; r < batch; r++)
    g_test_message ("%s row %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                    " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                    case_name, r, cached[r * N_NEW], cached[r * N_NEW + 1], cached[r * N_NEW + 2],
                    cached[r * N_NEW + 3]);
  g_assert_cmpmem (cached, (gsize)(batch * N_NEW) * sizeof (gint64), recomputed,
                   (gsize)(batch * N_NEW) * sizeof (gint64));
  /* And every step's logits, not only their argmax. */
  g_assert_cmpuint (cached_scores->len, ==, recomputed_scores->len);
  for (guint i = 0; i < cached_scores->len; i++)
    max_diff = MAX (max_diff, fabs (g_array_index (cached_scores, double, i)
                                    - g_array_index (recomputed_scores, double, i)));
  g_test_message ("%s: logits with and without cache differ by %.3g at most", case_name, max_diff);
  g_assert_cmpfloat (max_diff, <=, 1e-4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/oxp/seq2seq-generate/%s", cases[i]);
      g_test_add_data_func (path, cases[i], test_case);
    }
  return g_test_run ();
}
