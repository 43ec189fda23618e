/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lists what the installed liboxport loads from the directories given on
 * the command line: "plugin NAME VERSION: MODEL_TYPE…" and "rejected TEXT".
 * Built out of tree by tests/test-install.sh. */
#include <stdio.h>

#include <oxport/oxport.h>

int
main (int argc, char **argv)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autoptr (GError) error = NULL;
  GPtrArray *plugins, *rejections;

  if (!oxp_tasks_manager_load_plugins (manager, (const char *const *)argv + 1, TRUE, &error))
    {
      fprintf (stderr, "list-plugins: %s\n", error->message);
      return 2;
    }
  plugins = oxp_tasks_manager_get_plugins (manager);
  for (guint i = 0; i < plugins->len; i++)
    {
      OxpPlugin *plugin = g_ptr_array_index (plugins, i);
      const char *const *types = oxp_plugin_get_model_types (plugin);

      printf ("plugin %s %s:", oxp_plugin_get_name (plugin), oxp_plugin_get_version (plugin));
      for (; *types != NULL; types++)
        printf (" %s", *types);
      printf ("\n");
    }
  rejections = oxp_tasks_manager_get_rejections (manager);
  for (guint i = 0; i < rejections->len; i++)
    printf ("rejected %s\n", (const char *)g_ptr_array_index (rejections, i));
  return 0;
}
