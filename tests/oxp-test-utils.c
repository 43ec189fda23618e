/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "oxp-test-utils.h"

char *
oxp_test_srcdir_path (const char *first_element, ...)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (parts, (gpointer) (srcdir ? srcdir : "."));
  va_start (ap, first_element);
  for (const char *e = first_element; e != NULL; e = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) e);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

char *
oxp_test_make_tmpdir (const char *template_name)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (template_name, &error);

  g_assert_no_error (error);
  return dir;
}

guint
oxp_test_count_dir_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  if (d == NULL)
    return 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

char *
oxp_test_models_dir (const char *env_var, const char *template_name, gboolean *owned)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *err = NULL;
  const char *python = g_getenv ("PYTHON3");
  char *dir = g_strdup (g_getenv (env_var));
  int status = 0;

  *owned = dir == NULL;
  if (dir != NULL)
    return dir;

  dir = oxp_test_make_tmpdir (template_name);
  script = oxp_test_srcdir_path ("gen-test-models.py", NULL);
  {
    const char *argv[] = { python != NULL ? python : "python3", script, dir, NULL };

    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                  NULL, NULL, &err, &status, &error);
  }
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("gen-test-models.py failed: %s\n%s", error->message, err);
  /* Subprocess tests find the models through the environment. */
  g_setenv (env_var, dir, TRUE);
  return dir;
}

void
oxp_test_remove_models_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static OxpTensor *
greedy_ints (const char *name, gint64 rows, gint64 cols, const gint64 *values, gint64 start)
{
  const gint64 shape[] = { rows, cols };
  OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, shape, 2);
  gint64 *data = oxp_tensor_get_mutable_data (t);

  for (gint64 i = 0; i < rows * cols; i++)
    data[i] = values != NULL ? values[i] : start < 0 ? 1 : start + i % cols;
  return t;
}

gint64 *
oxp_test_greedy_generate (OxpRuntimeSession *session, gint64 batch, gint64 prompt_len,
                          const gint64 *prompt, guint n_new, gboolean use_cache)
{
  GPtrArray *model_inputs = oxp_runtime_session_get_inputs (session);
  GPtrArray *model_outputs = oxp_runtime_session_get_outputs (session);
  gint64 total = prompt_len + n_new;
  g_autofree gint64 *sequence = g_new0 (gint64, batch * total);
  gint64 *tokens = g_new0 (gint64, batch * n_new);
  g_autoptr (GPtrArray) presents = NULL;
  gint64 length = prompt_len, past = 0;
  guint logits_index = G_MAXUINT;

  for (guint i = 0; i < model_outputs->len; i++)
    if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (model_outputs, i)), "logits") == 0)
      logits_index = i;
  g_assert_cmpuint (logits_index, !=, G_MAXUINT);
  for (gint64 r = 0; r < batch; r++)
    memcpy (sequence + r * total, prompt + r * prompt_len, (gsize)prompt_len * sizeof (gint64));

  for (guint step = 0; step < n_new; step++)
    {
      g_autoptr (GPtrArray) inputs
          = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
      g_autoptr (GPtrArray) outputs = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree gint64 *ids = NULL;
      gint64 seq = use_cache && step > 0 ? 1 : length;
      OxpTensor *logits;

      past = use_cache && step > 0 ? length - 1 : 0;
      ids = g_new0 (gint64, batch * seq);
      for (gint64 r = 0; r < batch; r++)
        memcpy (ids + r * seq, sequence + r * total + (length - seq), (gsize)seq * sizeof (gint64));

      for (guint i = 0; i < model_inputs->len; i++)
        {
          const OxpTensorSpec *spec = g_ptr_array_index (model_inputs, i);
          const char *name = oxp_tensor_spec_get_name (spec);

          if (strcmp (name, "input_ids") == 0)
            g_ptr_array_add (inputs, greedy_ints (name, batch, seq, ids, 0));
          else if (strcmp (name, "attention_mask") == 0)
            g_ptr_array_add (inputs, greedy_ints (name, batch, past + seq, NULL, -1));
          else if (strcmp (name, "position_ids") == 0)
            g_ptr_array_add (inputs, greedy_ints (name, batch, seq, NULL, past));
          else if (g_str_has_prefix (name, "past_key_values."))
            {
              const char *leaf = name + strlen ("past_key_values.");
              OxpTensor *t = NULL;

              for (guint o = 0; use_cache && presents != NULL && o < model_outputs->len; o++)
                {
                  const char *out = oxp_tensor_spec_get_name (g_ptr_array_index (model_outputs, o));

                  if (g_str_has_prefix (out, "present.")
                      && strcmp (out + strlen ("present."), leaf) == 0)
                    {
                      OxpTensor *p = g_ptr_array_index (presents, o);

                      t = oxp_tensor_new (name, oxp_tensor_get_dtype (p), oxp_tensor_get_shape (p),
                                          oxp_tensor_get_rank (p));
                      memcpy (oxp_tensor_get_mutable_data (t), oxp_tensor_get_data (p),
                              oxp_tensor_get_size (p));
                    }
                }
              if (t == NULL)
                {
                  /* The empty cache clients build from the declared shape. */
                  const gint64 shape[] = { batch, oxp_tensor_spec_get_dim_value (spec, 1), 0,
                                           oxp_tensor_spec_get_dim_value (spec, 3) };
                  t = oxp_tensor_new (name, oxp_tensor_spec_get_dtype (spec), shape, 4);
                }
              g_ptr_array_add (inputs, t);
            }
          else
            g_error ("greedy decoding: no value for the model's input %s", name);
        }

      outputs = oxp_runtime_session_run (session, inputs, &error);
      g_assert_no_error (error);
      logits = g_ptr_array_index (outputs, logits_index);
      g_assert_cmpint (oxp_tensor_get_shape (logits)[1], ==, seq);
      for (gint64 r = 0; r < batch; r++)
        {
          gint64 width = oxp_tensor_get_shape (logits)[2], best = 0;
          gsize base = (gsize)((r * seq + seq - 1) * width);

          for (gint64 c = 1; c < width; c++)
            if (oxp_tensor_get_element_as_double (logits, base + (gsize)c)
                > oxp_tensor_get_element_as_double (logits, base + (gsize)best))
              best = c;
          tokens[r * n_new + step] = best;
          sequence[r * total + length] = best;
        }
      length++;
      g_clear_pointer (&presents, g_ptr_array_unref);
      presents = g_steal_pointer (&outputs);
    }
  return tokens;
}
