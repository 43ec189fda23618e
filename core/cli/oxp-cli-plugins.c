/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "oxp-cli.h"

/* `oxport plugins`: what the registry loaded, and what it refused and why. */

static const char plugins_description[]
    = "Plugins are searched, in this order, in the folders given with --plugin-dir,\n"
      "in the colon-separated folders of $OXPORT_PLUGIN_PATH, then in the installed\n"
      "plugin folder (`pkg-config --variable=pluginsdir oxport-1.0`).  A file that\n"
      "cannot be loaded is listed under “Rejected” with the reason; it never stops\n"
      "the other plugins from loading.\n"
      "\n"
      "Each file is first loaded in a helper process (oxport-plugin-scanner), so a\n"
      "plugin that crashes, exits, hangs (more than $OXPORT_PLUGIN_SCAN_TIMEOUT\n"
      "seconds, default 10) or reuses another plugin's type names is rejected\n"
      "instead of taking oxport down; oxport then loads only the plugin of the\n"
      "model it works on.  What the helper found is kept in\n"
      "$XDG_CACHE_HOME/oxport-1.0/registry.cache until a file changes (size or\n"
      "time); OXPORT_REGISTRY_CACHE=0 turns the cache off, and\n"
      "OXPORT_SCAN_IN_PROCESS=1 loads every plugin in oxport itself, for debugging.\n"
      "\n"
      "Examples:\n"
      "  oxport plugins\n"
      "  oxport plugins --plugin-dir ./build/plugins --json\n";

/* Rejections are "path: reason"; the path is what comes before the first ": ". */
static void
split_rejection (const char *rejection, char **file, char **reason)
{
  const char *sep = strstr (rejection, ": ");

  if (sep == NULL)
    {
      *file = g_strdup ("");
      *reason = g_strdup (rejection);
      return;
    }
  *file = g_strndup (rejection, (gsize)(sep - rejection));
  *reason = g_strdup (sep + 2);
}

static char *
join_tasks (GPtrArray *tasks)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      g_string_append (s, g_ptr_array_index (tasks, i));
    }
  return g_string_free (s, FALSE);
}

static void
print_text (OxpTasksManager *manager)
{
  GPtrArray *plugins = oxp_tasks_manager_get_plugins (manager);
  GPtrArray *rejections = oxp_tasks_manager_get_rejections (manager);

  printf ("Plugins (%u):\n", plugins->len);
  if (plugins->len == 0)
    printf ("  (none: check --plugin-dir and $OXPORT_PLUGIN_PATH)\n");
  for (guint i = 0; i < plugins->len; i++)
    {
      OxpPlugin *plugin = g_ptr_array_index (plugins, i);
      const char *const *types = oxp_plugin_get_model_types (plugin);

      printf ("  %s %s — %s\n", oxp_plugin_get_name (plugin), oxp_plugin_get_version (plugin),
              oxp_plugin_get_description (plugin));
      printf ("    file:    %s\n", oxp_plugin_get_filename (plugin));
      printf ("    license: %s\n", oxp_plugin_get_license (plugin));
      for (guint j = 0; types != NULL && types[j] != NULL; j++)
        {
          g_autoptr (GPtrArray) tasks
              = oxp_tasks_manager_get_supported_tasks (manager, types[j], NULL);
          g_autofree char *list = join_tasks (tasks);

          printf ("    %s: %s\n", types[j], list);
        }
    }
  if (rejections->len > 0)
    {
      printf ("Rejected (%u):\n", rejections->len);
      for (guint i = 0; i < rejections->len; i++)
        printf ("  %s\n", (char *)g_ptr_array_index (rejections, i));
    }
}

static void
print_json (OxpTasksManager *manager)
{
  GPtrArray *plugins = oxp_tasks_manager_get_plugins (manager);
  GPtrArray *rejections = oxp_tasks_manager_get_rejections (manager);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "plugins");
  json_builder_begin_array (b);
  for (guint i = 0; i < plugins->len; i++)
    {
      OxpPlugin *plugin = g_ptr_array_index (plugins, i);
      const char *const *types = oxp_plugin_get_model_types (plugin);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, oxp_plugin_get_name (plugin));
      json_builder_set_member_name (b, "version");
      json_builder_add_string_value (b, oxp_plugin_get_version (plugin));
      json_builder_set_member_name (b, "description");
      json_builder_add_string_value (b, oxp_plugin_get_description (plugin));
      json_builder_set_member_name (b, "license");
      json_builder_add_string_value (b, oxp_plugin_get_license (plugin));
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, oxp_plugin_get_filename (plugin));
      json_builder_set_member_name (b, "model_types");
      json_builder_begin_array (b);
      for (guint j = 0; types != NULL && types[j] != NULL; j++)
        {
          g_autoptr (GPtrArray) tasks
              = oxp_tasks_manager_get_supported_tasks (manager, types[j], NULL);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "model_type");
          json_builder_add_string_value (b, types[j]);
          json_builder_set_member_name (b, "tasks");
          json_builder_begin_array (b);
          for (guint k = 0; tasks != NULL && k < tasks->len; k++)
            json_builder_add_string_value (b, g_ptr_array_index (tasks, k));
          json_builder_end_array (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "rejected");
  json_builder_begin_array (b);
  for (guint i = 0; i < rejections->len; i++)
    {
      g_autofree char *file = NULL;
      g_autofree char *reason = NULL;

      split_rejection (g_ptr_array_index (rejections, i), &file, &reason);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, file);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, reason);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  oxp_cli_print_json (root);
}

int
oxp_cli_plugins (int argc, char **argv)
{
  OxpCliCommon common = { 0 };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (OxpTasksManager) manager = NULL;
  g_autoptr (GError) error = NULL;
  int status = OXP_CLI_EXIT_OK;

  context = oxp_cli_context_new (
      "plugins", "",
      "List the loaded plugins with their model types and tasks, and the files that were rejected.",
      plugins_description, NULL, &common, TRUE);
  if (!oxp_cli_parse (context, "plugins", &argc, &argv))
    {
      status = OXP_CLI_EXIT_USER;
      goto out;
    }
  if (argc > 1)
    {
      status = oxp_cli_usage_error ("plugins", "Unexpected argument “%s”", argv[1]);
      goto out;
    }
  manager = oxp_cli_load_plugins (&common, &error);
  if (manager == NULL)
    {
      status = oxp_cli_report_error (error);
      goto out;
    }
  if (common.json)
    print_json (manager);
  else
    print_text (manager);

out:
  oxp_cli_common_clear (&common);
  return status;
}
