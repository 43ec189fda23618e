/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Real decoder exports (whatever decoder plugins the build has).  Greedy
 * generation: every decoder reference case whose
 * model type a loaded plugin handles is exported with `oxport export --task
 * text-generation-with-past` (current optimum's model.onnx), and 4 new
 * tokens are decoded in ONNX Runtime twice, feeding each step's presents
 * back as the next past, and rerunning the whole sequence without past.
 * Both must choose the same tokens; config.json and generation_config.json
 * must be copied as they are; at --optimize O2 the tokens must be the plain
 * export's.  A case whose model type no plugin handles is
 * skipped.  Needs OXPORT (the program) and OXPORT_ONNXRUNTIME. */
#include "config.h"

#include <string.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static const char *const cases[] = {
  "gpt2_decoder", "llama_decoder", "llama-gqa_decoder", "mistral_decoder", "qwen2_decoder",
  "phi3_decoder", "gemma_decoder", "gpt_neox_decoder",  "opt_decoder",
};

/* Exports @case_name (at @optimize, or plain for NULL) and decodes 4 tokens
 * after two unpadded prompt rows, with and without the cache: the tokens
 * of both rows, 8 values each, or NULL when no plugin handles the case
 * (the test is then skipped). */
static gboolean
export_and_generate (const char *case_name, const char *optimize, gint64 **cached_out,
                     gint64 **recomputed_out)
{
  const char *oxport = g_getenv ("OXPORT");
  const char *ort = g_getenv ("OXPORT_ONNXRUNTIME");
  g_autofree char *model_dir = oxp_test_srcdir_path ("data", case_name, NULL);
  g_autofree char *config_path = g_build_filename (model_dir, "config.json", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *out = NULL;
  g_autofree char *model = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpRuntimeSession) session = NULL;
  gint64 prompt[2 * 6];
  gint64 vocab;
  int status = 0;

  tmp = oxp_test_make_tmpdir ("oxp-generate-XXXXXX");
  out = g_build_filename (tmp, "out", NULL);
  {
    const char *argv[]
        = { oxport,          "export", "--model", model_dir, "--task", "text-generation-with-past",
            "--no-validate", out,      NULL,      NULL,      NULL };
    if (optimize != NULL)
      {
        argv[7] = "--optimize";
        argv[8] = optimize;
        argv[9] = out;
      }
    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text,
                  &stderr_text, &status, &error);
    g_assert_no_error (error);
  }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      if (strstr (stderr_text, "no plugin handles model type") != NULL)
        {
          g_test_skip ("no plugin for this model type in this build");
          return FALSE;
        }
      g_error ("export of %s failed: %s", case_name, stderr_text);
    }

  /* config.json as it is, and generation_config.json, beside the model. */
  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "config.json" : "generation_config.json";
      g_autofree char *src = g_build_filename (model_dir, name, NULL);
      g_autofree char *dst = g_build_filename (out, name, NULL);
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;
      gsize na = 0, nb = 0;

      if (!g_file_test (src, G_FILE_TEST_IS_REGULAR))
        continue;
      g_file_get_contents (src, &a, &na, &error);
      g_assert_no_error (error);
      g_file_get_contents (dst, &b, &nb, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (a, na, b, nb);
    }

  json_parser_load_from_file (parser, config_path, &error);
  g_assert_no_error (error);
  vocab = json_object_get_int_member (json_node_get_object (json_parser_get_root (parser)),
                                      "vocab_size");
  /* Two unpadded rows of 6 tokens spread over the vocabulary. */
  for (guint i = 0; i < G_N_ELEMENTS (prompt); i++)
    prompt[i] = (gint64)((i * 37 + 11) % (guint)vocab);

  runtime = oxp_runtime_new (ort, FALSE, &error);
  g_assert_no_error (error);
  model = g_build_filename (out, "model.onnx", NULL);
  session = oxp_runtime_open_session (runtime, model, &error);
  g_assert_no_error (error);
  *cached_out = oxp_test_greedy_generate (session, 2, 6, prompt, 4, TRUE);
  *recomputed_out = oxp_test_greedy_generate (session, 2, 6, prompt, 4, FALSE);
  return TRUE;
}

static gboolean
have_runtime (void)
{
  const char *ort = g_getenv ("OXPORT_ONNXRUNTIME");

  if (g_getenv ("OXPORT") == NULL || ort == NULL || *ort == '\0')
    {
      g_test_skip ("OXPORT or OXPORT_ONNXRUNTIME is not set");
      return FALSE;
    }
  return TRUE;
}

static void
test_case (gconstpointer data)
{
  const char *case_name = data;
  g_autofree gint64 *cached = NULL;
  g_autofree gint64 *recomputed = NULL;

  if (!have_runtime () || !export_and_generate (case_name, NULL, &cached, &recomputed))
    return;
  g_test_message ("%s: with cache %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                  " %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                  " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                  case_name, cached[0], cached[1], cached[2], cached[3], cached[4], cached[5],
                  cached[6], cached[7]);
  g_assert_cmpmem (cached, 8 * sizeof (gint64), recomputed, 8 * sizeof (gint64));
}

/* --optimize O2 (GroupQueryAttention where it applies; the prompts are
 * unpadded, so every step takes it): the same tokens as the plain export,
 * with and without the cache. */
static void
test_optimized_case (gconstpointer data)
{
  const char *case_name = data;
  g_autofree gint64 *plain = NULL;
  g_autofree gint64 *plain_recomputed = NULL;
  g_autofree gint64 *cached = NULL;
  g_autofree gint64 *recomputed = NULL;

  if (!have_runtime () || !export_and_generate (case_name, NULL, &plain, &plain_recomputed)
      || !export_and_generate (case_name, "O2", &cached, &recomputed))
    return;
  g_assert_cmpmem (cached, 8 * sizeof (gint64), plain, 8 * sizeof (gint64));
  g_assert_cmpmem (recomputed, 8 * sizeof (gint64), plain, 8 * sizeof (gint64));
}

/* --legacy's three files from a real plugin, validated at export (dummy
 * runs on both branches of the merged file and its cache check), the
 * merged one storing every weight once (python3-onnx counts). */
static void
test_legacy_case (gconstpointer data)
{
  const char *case_name = data;
  const char *oxport = g_getenv ("OXPORT");
  const char *ort = g_getenv ("OXPORT_ONNXRUNTIME");
  const char *python = g_getenv ("PYTHON3") ? g_getenv ("PYTHON3") : "/usr/bin/python3";
  g_autofree char *model_dir = oxp_test_srcdir_path ("data", case_name, NULL);
  g_autofree char *script = oxp_test_srcdir_path ("check-merged-decoder.py", NULL);
  g_autofree char *tmp = NULL;
  g_autofree char *out = NULL;
  g_autofree char *merged = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *facts;
  int status = 0;

  if (oxport == NULL || ort == NULL || *ort == '\0')
    {
      g_test_skip ("OXPORT or OXPORT_ONNXRUNTIME is not set");
      return;
    }
  tmp = oxp_test_make_tmpdir ("oxp-legacy-XXXXXX");
  out = g_build_filename (tmp, "out", NULL);
  {
    const char *argv[] = {
      oxport, "export", "--legacy", "--model", model_dir, "--task", "text-generation-with-past",
      out,    NULL
    };
    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text,
                  &stderr_text, &status, &error);
    g_assert_no_error (error);
  }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      if (strstr (stderr_text, "no plugin handles model type") != NULL)
        {
          g_test_skip ("no plugin for this model type in this build");
          return;
        }
      g_error ("--legacy export of %s failed: %s%s", case_name, stdout_text, stderr_text);
    }
  merged = g_build_filename (out, "decoder_model_merged.onnx", NULL);
  plain = g_build_filename (out, "decoder_model.onnx", NULL);
  g_assert_true (g_file_test (merged, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (plain, G_FILE_TEST_IS_REGULAR));

  g_clear_pointer (&stdout_text, g_free);
  g_clear_pointer (&stderr_text, g_free);
  {
    const char *argv[] = { python, script, merged, plain, NULL };
    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &stdout_text,
                  &stderr_text, &status, &error);
    g_assert_no_error (error);
  }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      if (strstr (stderr_text, "No module named") != NULL)
        {
          g_test_skip ("python3-onnx is missing: initializers not counted");
          return;
        }
      g_error ("check-merged-decoder.py failed: %s", stderr_text);
    }
  g_test_message ("%s: %s", case_name, stdout_text);
  json_parser_load_from_data (parser, stdout_text, -1, &error);
  g_assert_no_error (error);
  facts = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (facts, "duplicate_names"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (facts, "duplicate_large_payloads"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (facts, "branch_initializers"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (facts, "weights"), >, 0);
  g_assert_cmpint (json_object_get_int_member (facts, "weight_bytes"), ==,
                   json_object_get_int_member (facts, "plain_weight_bytes"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/oxp/decoder-generate/%s", cases[i]);
      g_autofree char *legacy = g_strdup_printf ("/oxp/decoder-generate/legacy/%s", cases[i]);
      g_autofree char *optimized = g_strdup_printf ("/oxp/decoder-generate/O2/%s", cases[i]);

      g_test_add_data_func (path, cases[i], test_case);
      g_test_add_data_func (optimized, cases[i], test_optimized_case);
      g_test_add_data_func (legacy, cases[i], test_legacy_case);
    }
  return g_test_run ();
}
