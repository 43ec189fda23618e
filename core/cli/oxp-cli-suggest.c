/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "oxp-cli.h"

/* "Did you mean": the closest candidate by edit distance, when it is close
 * enough to be a typo rather than another word. */

static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diag = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint up = row[j];
          guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diag + cost);
          diag = up;
        }
    }
  return row[lb];
}

const char *
oxp_cli_suggest (const char *word, const char *const *candidates, gssize n_candidates)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  /* One typo in a short word, about one in three in a long one. */
  guint limit;

  if (word == NULL || *word == '\0')
    return NULL;
  limit = MAX (2, strlen (word) / 3);
  for (gssize i = 0; n_candidates < 0 ? candidates[i] != NULL : i < n_candidates; i++)
    {
      guint d = edit_distance (word, candidates[i]);

      /* A prefix ("text-class") is as good as a typo. */
      if (g_str_has_prefix (candidates[i], word) && strlen (word) >= 3)
        d = MIN (d, 1);
      if (d < best_distance && d <= limit && d > 0)
        {
          best = candidates[i];
          best_distance = d;
        }
    }
  return best;
}

char *
oxp_cli_hint_for_error (OxpTasksManager *manager, const GError *error, const char *model_type,
                        const char *word)
{
  g_autoptr (GPtrArray) candidates = NULL;
  const char *best;

  if (manager == NULL || error == NULL || error->domain != OXP_PLUGIN_ERROR || word == NULL)
    return NULL;
  switch (error->code)
    {
    case OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE:
      candidates = oxp_tasks_manager_list_model_types (manager);
      break;
    case OXP_PLUGIN_ERROR_UNKNOWN_TASK:
    case OXP_PLUGIN_ERROR_UNSUPPORTED_TASK:
      if (model_type == NULL)
        return NULL;
      candidates = oxp_tasks_manager_get_supported_tasks (manager, model_type, NULL);
      break;
    default:
      return NULL;
    }
  if (candidates == NULL)
    return NULL;
  best = oxp_cli_suggest (word, (const char *const *)candidates->pdata, candidates->len);
  if (error->code != OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE)
    {
      /* The library's message may not list them; the user needs the list. */
      GString *hint = g_string_new (NULL);

      if (best != NULL)
        g_string_append_printf (hint, "Did you mean “%s”? ", best);
      g_string_append_printf (hint, "Tasks of model type %s:", model_type);
      for (guint i = 0; i < candidates->len; i++)
        g_string_append_printf (hint, "%s %s", i > 0 ? "," : "",
                                (const char *)g_ptr_array_index (candidates, i));
      return g_string_free (hint, FALSE);
    }
  return best != NULL ? g_strdup_printf ("Did you mean “%s”?", best) : NULL;
}
