/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry: plugin search path, loaded plugins, what they registered,
 * rejections, and the queries optimum's TasksManager answers. */
#include "config.h"

#include <gmodule.h>
#include <string.h>

#include <oxport/oxport.h>

#include "oxp-plugin-private.h"
#include "oxp-plugin-scanner-private.h"
#include "oxp-tasks-private.h"

#define OXP_MODULE_SUFFIX "." G_MODULE_SUFFIX

struct _OxpTasksManager
{
  GObject parent_instance;

  GPtrArray *plugins;          /* (element-type OxpPlugin) */
  GPtrArray *rejections;       /* (element-type utf8) */
  GPtrArray *rejection_errors; /* (element-type GError) */
  GHashTable *entries;         /* model type → OxpModelEntry */
  GHashTable *seen_files;      /* module basenames met while scanning */
  GHashTable *type_owners;     /* GType name → OxpPlugin (unowned) that registers it */
  OxpPluginLoader *loader;     /* the scanner process, while scanning */
  OxpRegistryCache *cache;
  gboolean cache_opened;
  gboolean in_directory_scan; /* save the cache and stop the scanner at its end */
};

/**
 * OxpTasksManager:
 *
 * The registry, optimum's TasksManager: it scans the plugin path, loads
 * plugins, records for each model type its config type, supported tasks,
 * Hugging Face architectures and plugin of origin, and answers the queries
 * optimum's TasksManager answers (supported tasks for a model type, the
 * config for a model type and task, task inference from a checkpoint, task
 * synonyms).  It keeps the reason every rejected plugin file or
 * registration was refused.
 *
 * Each module is first loaded in a helper process, oxport-plugin-scanner,
 * one file at a time with a timeout (`OXPORT_PLUGIN_SCAN_TIMEOUT` seconds,
 * default 10): a module that crashes, exits, hangs or registers a GType
 * name already in use is rejected and never loaded here.  What the helper
 * reports is kept in `$XDG_CACHE_HOME/oxport-1.0/registry.cache`, keyed by
 * path, size and mtime (`OXPORT_REGISTRY_CACHE=0` disables it).  A
 * plugin's code is loaded into this process only when one of its config
 * types is first needed (oxp_tasks_manager_get_config_type(),
 * oxp_tasks_manager_create_config()).  `OXPORT_SCAN_IN_PROCESS=1` loads
 * every module here instead, for debugging; `OXPORT_PLUGIN_SCANNER` names
 * the helper (default: the installed one, or the one in the build tree
 * next to the library).
 */
G_DEFINE_FINAL_TYPE (OxpTasksManager, oxp_tasks_manager, G_TYPE_OBJECT)
/**
 * oxp_plugin_error_quark:
 *
 * The error domain of loading plugins, checking their registrations and
 * answering registry queries (#OxpPluginError).
 *
 * Returns: the #GQuark of the domain, also %OXP_PLUGIN_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (oxp-plugin-error-quark, oxp_plugin_error)
G_DEFINE_ENUM_TYPE (OxpPluginError, oxp_plugin_error,
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_MODULE, "module"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_NO_DESCRIPTOR, "no-descriptor"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_ABI, "abi"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR, "invalid-descriptor"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_INIT, "init"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_BAD_TYPE, "bad-type"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_DUPLICATE, "duplicate"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_UNKNOWN_TASK, "unknown-task"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE, "unknown-model-type"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_UNSUPPORTED_TASK, "unsupported-task"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_CANNOT_INFER_TASK, "cannot-infer-task"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_CRASHED, "crashed"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_TIMEOUT, "timeout"),
                    G_DEFINE_ENUM_VALUE (OXP_PLUGIN_ERROR_TYPE_CONFLICT, "type-conflict"))
/* clang-format on */

static void
oxp_tasks_manager_finalize (GObject *object)
{
  OxpTasksManager *self = OXP_TASKS_MANAGER (object);

  _oxp_plugin_loader_free (self->loader);
  _oxp_registry_cache_free (self->cache);
  g_hash_table_unref (self->entries);
  g_hash_table_unref (self->seen_files);
  g_hash_table_unref (self->type_owners);
  g_ptr_array_unref (self->rejections);
  g_ptr_array_unref (self->rejection_errors);
  g_ptr_array_unref (self->plugins);
  G_OBJECT_CLASS (oxp_tasks_manager_parent_class)->finalize (object);
}

static void
oxp_tasks_manager_class_init (OxpTasksManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_tasks_manager_finalize;
}

static void
oxp_tasks_manager_init (OxpTasksManager *self)
{
  self->plugins = g_ptr_array_new_with_free_func (g_object_unref);
  self->rejections = g_ptr_array_new_with_free_func (g_free);
  self->rejection_errors = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify)_oxp_model_entry_free);
  self->seen_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->type_owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * oxp_tasks_manager_new:
 *
 * Creates an empty registry; call oxp_tasks_manager_load_plugins() to fill
 * it.
 *
 * Returns: (transfer full): a new manager that has loaded nothing yet
 */
OxpTasksManager *
oxp_tasks_manager_new (void)
{
  return g_object_new (OXP_TYPE_TASKS_MANAGER, NULL);
}

OxpModelEntry *
_oxp_tasks_manager_lookup (OxpTasksManager *self, const char *model_type)
{
  return model_type ? g_hash_table_lookup (self->entries, model_type) : NULL;
}

void
_oxp_tasks_manager_add_entry (OxpTasksManager *self, OxpModelEntry *entry)
{
  g_hash_table_insert (self->entries, entry->model_type, entry);
}

void
_oxp_tasks_manager_reject (OxpTasksManager *self, const GError *error)
{
  g_ptr_array_add (self->rejections, g_strdup (error->message));
  g_ptr_array_add (self->rejection_errors, g_error_copy (error));
}

static OxpPlugin *
find_plugin (OxpTasksManager *self, const char *path, const char *name)
{
  for (guint i = 0; i < self->plugins->len; i++)
    {
      OxpPlugin *plugin = g_ptr_array_index (self->plugins, i);

      if ((path && strcmp (oxp_plugin_get_filename (plugin), path) == 0)
          || (name && strcmp (oxp_plugin_get_name (plugin), name) == 0))
        return plugin;
    }
  return NULL;
}

static gboolean
scan_in_process (void)
{
  const char *env = g_getenv ("OXPORT_SCAN_IN_PROCESS");

  return env != NULL && *env != '\0' && strcmp (env, "0") != 0;
}

/* Commits what a scan found: the plugin's facts and registrations, checked
 * against what the other plugins of this manager registered. */
static OxpPlugin *
apply_scan (OxpTasksManager *self, const OxpScanResult *result, GError **error)
{
  g_autoptr (OxpPlugin) plugin = NULL;

  if (result->error_code >= 0)
    {
      g_set_error_literal (error, OXP_PLUGIN_ERROR, result->error_code, result->error_message);
      return NULL;
    }
  for (guint i = 0; i < result->type_names->len; i++)
    {
      const char *type_name = g_ptr_array_index (result->type_names, i);
      OxpPlugin *owner = g_hash_table_lookup (self->type_owners, type_name);

      if (owner != NULL)
        {
          g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_TYPE_CONFLICT,
                       "%s: plugin '%s' registers the GType '%s', which plugin '%s' (%s) "
                       "registers already; it is not loaded (both in one process would hang)",
                       result->path, result->name, type_name, oxp_plugin_get_name (owner),
                       oxp_plugin_get_filename (owner));
          return NULL;
        }
    }

  plugin = _oxp_plugin_new_scanned (result->path, result->name, result->description,
                                    result->version, result->license, result->type_names);
  for (guint i = 0; i < result->notes->len; i++)
    _oxp_tasks_manager_reject (self, g_ptr_array_index (result->notes, i));
  for (guint i = 0; i < result->models->len; i++)
    {
      const OxpScanModel *m = g_ptr_array_index (result->models, i);
      OxpModelEntry *existing = _oxp_tasks_manager_lookup (self, m->model_type);
      OxpModelEntry *entry;

      if (existing != NULL)
        {
          g_autoptr (GError) dup = g_error_new (
              OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_DUPLICATE,
              "%s: plugin '%s': model type '%s' is already registered by plugin '%s' (%s)",
              result->path, result->name, m->model_type, oxp_plugin_get_name (existing->plugin),
              oxp_plugin_get_filename (existing->plugin));

          _oxp_tasks_manager_reject (self, dup);
          continue;
        }
      entry = g_new0 (OxpModelEntry, 1);
      entry->model_type = g_strdup (m->model_type);
      entry->config_type_name = g_strdup (m->config_type_name);
      entry->tasks = g_ptr_array_new_with_free_func (g_free);
      for (guint j = 0; j < m->tasks->len; j++)
        g_ptr_array_add (entry->tasks, g_strdup (g_ptr_array_index (m->tasks, j)));
      entry->architectures = g_ptr_array_new_with_free_func (g_free);
      for (guint j = 0; j < m->architectures->len; j++)
        g_ptr_array_add (entry->architectures, g_strdup (g_ptr_array_index (m->architectures, j)));
      entry->plugin = plugin;
      _oxp_plugin_add_model_type (plugin, m->model_type);
      _oxp_tasks_manager_add_entry (self, entry);
    }
  for (guint i = 0; i < result->type_names->len; i++)
    g_hash_table_replace (self->type_owners, g_strdup (g_ptr_array_index (result->type_names, i)),
                          plugin);
  return g_steal_pointer (&plugin);
}

/* Loads nothing into this process: the scan runs in the helper, or its
 * result comes from the cache. */
static OxpPlugin *
load_scanned (OxpTasksManager *self, const char *path, GError **error)
{
  g_autoptr (OxpScanResult) scanned = NULL;
  g_autoptr (GError) scan_error = NULL;
  const OxpScanResult *result = NULL;
  guint64 size = 0;
  gint64 mtime_ns = 0;

  if (!_oxp_plugin_file_check (path, &size, &mtime_ns, error))
    return NULL;
  if (!self->cache_opened)
    {
      self->cache = _oxp_registry_cache_open ();
      self->cache_opened = TRUE;
    }
  if (self->cache != NULL)
    result = _oxp_registry_cache_lookup (self->cache, path, size, mtime_ns);
  if (result == NULL)
    {
      if (self->loader == NULL)
        self->loader = _oxp_plugin_loader_new ();
      scanned = _oxp_plugin_loader_scan (self->loader, path, size, mtime_ns, &scan_error);
      if (scanned == NULL)
        {
          /* No helper to run (as GStreamer does without its scanner):
           * load here, unprotected. */
          return _oxp_plugin_load (self, path, error);
        }
      result = scanned;
      if (self->cache != NULL)
        _oxp_registry_cache_take (self->cache, g_steal_pointer (&scanned));
    }
  return apply_scan (self, result, error);
}

static void
finish_scanning (OxpTasksManager *self)
{
  if (self->cache != NULL)
    _oxp_registry_cache_save (self->cache);
  if (self->loader != NULL)
    _oxp_plugin_loader_stop (self->loader);
}

/* The config type of @entry, loading its plugin into this process first. */
static GType
ensure_config_type (OxpTasksManager *self, OxpModelEntry *entry, GError **error)
{
  if (entry->config_type == G_TYPE_INVALID
      && !_oxp_plugin_make_resident (entry->plugin, self, error))
    return G_TYPE_INVALID;
  return entry->config_type;
}

/**
 * oxp_tasks_manager_load_plugin_file:
 * @self: a manager
 * @path: a module file
 * @error: return location for the reason the file was rejected
 *
 * Registers one plugin module: scanned in the oxport-plugin-scanner helper
 * process (or answered from the registry cache), its code loaded here only
 * when one of its config types is first needed; with
 * OXPORT_SCAN_IN_PROCESS=1, or when no helper can be run, loaded here at
 * once.  A rejected file is also recorded in
 * oxp_tasks_manager_get_rejections().
 *
 * Returns: whether the plugin is loaded
 */
gboolean
oxp_tasks_manager_load_plugin_file (OxpTasksManager *self, const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *name = NULL;
  OxpPlugin *plugin;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (find_plugin (self, path, NULL) != NULL)
    return TRUE;
  name = _oxp_plugin_name_from_filename (path);
  plugin = name ? find_plugin (self, NULL, name) : NULL;
  if (plugin != NULL)
    {
      g_set_error (&local_error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_DUPLICATE,
                   "%s: a plugin named '%s' is already loaded from %s", path, name,
                   oxp_plugin_get_filename (plugin));
    }
  else
    {
      if (scan_in_process ())
        plugin = _oxp_plugin_load (self, path, &local_error);
      else
        plugin = load_scanned (self, path, &local_error);
      if (!self->in_directory_scan)
        finish_scanning (self);
      if (plugin != NULL)
        {
          g_ptr_array_add (self->plugins, plugin);
          return TRUE;
        }
    }
  _oxp_tasks_manager_reject (self, local_error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* @explicit: the user named this directory, so a missing one is reported. */
static void
scan_directory (OxpTasksManager *self, const char *dir, gboolean explicit)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  if (d == NULL)
    {
      if (explicit || !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_autoptr (GError) reason
              = g_error_new (OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                             "%s: cannot read plugin directory: %s", dir, error->message);
          _oxp_tasks_manager_reject (self, reason);
        }
      return;
    }
  while ((entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, OXP_MODULE_SUFFIX))
      g_ptr_array_add (names, g_strdup (entry));
  /* Load order must not depend on the file system. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = NULL;

      /* The same file name in a later directory is shadowed. */
      if (g_hash_table_contains (self->seen_files, name))
        continue;
      path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;
      g_hash_table_add (self->seen_files, g_strdup (name));
      oxp_tasks_manager_load_plugin_file (self, path, NULL);
    }
}

/**
 * oxp_tasks_manager_load_plugins:
 * @self: a manager
 * @extra_dirs: (array zero-terminated=1) (nullable): directories named by the user
 * @no_default: skip the installed plugins directory
 * @error: return location for an error
 *
 * Scans @extra_dirs, then OXPORT_PLUGIN_PATH, then the installed plugins
 * directory.  Within a directory files load in name order; a file name met
 * again in a later directory is skipped.  Rejected files are recorded.
 *
 * Returns: TRUE (rejections are not errors)
 */
gboolean
oxp_tasks_manager_load_plugins (OxpTasksManager *self, const char *const *extra_dirs,
                                gboolean no_default, GError **error)
{
  const char *env_path = g_getenv ("OXPORT_PLUGIN_PATH");
  const char *path_only = g_getenv ("OXPORT_PLUGIN_PATH_ONLY");

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), FALSE);

  self->in_directory_scan = TRUE;
  for (const char *const *d = extra_dirs; d != NULL && *d != NULL; d++)
    scan_directory (self, *d, TRUE);

  if (env_path != NULL)
    {
      g_auto (GStrv) dirs = g_strsplit (env_path, G_SEARCHPATH_SEPARATOR_S, -1);

      for (char **d = dirs; *d != NULL; d++)
        if (**d != '\0')
          scan_directory (self, *d, FALSE);
    }

  if (!no_default && (path_only == NULL || *path_only == '\0'))
    scan_directory (self, OXP_PLUGINSDIR, FALSE);
  self->in_directory_scan = FALSE;
  finish_scanning (self);

  return TRUE;
}

/**
 * oxp_tasks_manager_get_plugins:
 * @self: a manager
 *
 * The plugins that were accepted (scanned or loaded), in load order.
 *
 * Returns: (transfer none) (element-type OxpPlugin): loaded plugins, in load order
 */
GPtrArray *
oxp_tasks_manager_get_plugins (OxpTasksManager *self)
{
  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  return self->plugins;
}

/**
 * oxp_tasks_manager_get_rejections:
 * @self: a manager
 *
 * Every rejected file or registration as "path: reason", in the order they
 * were met; what `oxport plugins` prints under "rejected".
 *
 * Returns: (transfer none) (element-type utf8): "path: reason" for every
 *   rejected file or registration
 */
GPtrArray *
oxp_tasks_manager_get_rejections (OxpTasksManager *self)
{
  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  return self->rejections;
}

/**
 * oxp_tasks_manager_get_rejection_errors:
 * @self: a manager
 *
 * The same rejections as oxp_tasks_manager_get_rejections() as errors in the
 * %OXP_PLUGIN_ERROR domain, index for index, so callers can tell the reasons
 * apart.
 *
 * Returns: (transfer none) (element-type GError): the rejections as errors
 */
GPtrArray *
oxp_tasks_manager_get_rejection_errors (OxpTasksManager *self)
{
  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  return self->rejection_errors;
}

/**
 * oxp_tasks_manager_list_model_types:
 * @self: a manager
 *
 * The model types registered by every accepted plugin, sorted.
 *
 * Returns: (transfer container) (element-type utf8): registered model types, sorted
 */
GPtrArray *
oxp_tasks_manager_list_model_types (OxpTasksManager *self)
{
  GPtrArray *types;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  types = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (types, key);
  g_ptr_array_sort (types, compare_names);
  return types;
}

static char *
join_array (GPtrArray *array)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (guint i = 0; i < array->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", (const char *)g_ptr_array_index (array, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static const char *
get_string_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static OxpModelEntry *
lookup_or_error (OxpTasksManager *self, const char *model_type, GError **error)
{
  OxpModelEntry *entry = _oxp_tasks_manager_lookup (self, model_type);

  if (entry == NULL)
    {
      g_autoptr (GPtrArray) types = oxp_tasks_manager_list_model_types (self);
      g_autofree char *known = join_array (types);

      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE,
                   "no plugin handles model type '%s' (loaded model types: %s)",
                   model_type ? model_type : "(none)", types->len ? known : "none");
    }
  return entry;
}

static GPtrArray *
copy_container (GPtrArray *array)
{
  GPtrArray *copy = g_ptr_array_sized_new (array->len);

  for (guint i = 0; i < array->len; i++)
    g_ptr_array_add (copy, g_ptr_array_index (array, i));
  return copy;
}

/**
 * oxp_tasks_manager_get_supported_tasks:
 * @self: a manager
 * @model_type: a model type
 * @error: return location for an error
 *
 * The canonical tasks the plugin registered for @model_type, "-with-past"
 * forms included.  Fails with %OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE, listing
 * the known model types, when no plugin registered @model_type.
 *
 * Returns: (transfer container) (element-type utf8): canonical tasks, in
 *   registration order, or NULL for an unknown model type
 */
GPtrArray *
oxp_tasks_manager_get_supported_tasks (OxpTasksManager *self, const char *model_type,
                                       GError **error)
{
  OxpModelEntry *entry;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  entry = lookup_or_error (self, model_type, error);
  return entry ? copy_container (entry->tasks) : NULL;
}

/**
 * oxp_tasks_manager_get_architectures:
 * @self: a manager
 * @model_type: a model type
 * @error: return location for an error
 *
 * The Hugging Face class names ("BertForMaskedLM", …) registered for
 * @model_type, which task inference maps to tasks.  Fails as
 * oxp_tasks_manager_get_supported_tasks() does.
 *
 * Returns: (transfer container) (element-type utf8): registered class names
 */
GPtrArray *
oxp_tasks_manager_get_architectures (OxpTasksManager *self, const char *model_type, GError **error)
{
  OxpModelEntry *entry;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  entry = lookup_or_error (self, model_type, error);
  return entry ? copy_container (entry->architectures) : NULL;
}

/**
 * oxp_tasks_manager_get_config_type:
 * @self: a manager
 * @model_type: a model type ("bert")
 *
 * The #OxpOnnxConfig subtype registered for @model_type.  The plugin that
 * registered it is loaded into this process first when it was only scanned;
 * when that fails the reason is recorded as a rejection.
 *
 * Returns: the config type, or %G_TYPE_INVALID for an unknown model type or
 *   a plugin that fails to load
 */
GType
oxp_tasks_manager_get_config_type (OxpTasksManager *self, const char *model_type)
{
  OxpModelEntry *entry;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), G_TYPE_INVALID);
  entry = _oxp_tasks_manager_lookup (self, model_type);
  return entry ? ensure_config_type (self, entry, NULL) : G_TYPE_INVALID;
}

/**
 * oxp_tasks_manager_get_plugin_for_model_type:
 * @self: a manager
 * @model_type: a model type
 *
 * The plugin that registered @model_type, for messages and `inspect`.
 *
 * Returns: (transfer none) (nullable): the plugin that registered @model_type
 */
OxpPlugin *
oxp_tasks_manager_get_plugin_for_model_type (OxpTasksManager *self, const char *model_type)
{
  OxpModelEntry *entry;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  entry = _oxp_tasks_manager_lookup (self, model_type);
  return entry ? entry->plugin : NULL;
}

static gboolean
entry_supports (OxpModelEntry *entry, const char *task)
{
  return g_ptr_array_find_with_equal_func (entry->tasks, task, g_str_equal, NULL);
}

/**
 * oxp_tasks_manager_create_config:
 * @self: a manager
 * @model_type: (nullable): a model type, or NULL for config.json's
 * @task: a task name (synonyms and "-with-past" forms accepted)
 * @config: config.json
 * @error: return location for an error
 *
 * Creates the config for (model type, task), optimum's
 * TasksManager.get_exporter_config_constructor() and its call: loads the
 * plugin that registered the model type into this process first, folds task
 * synonyms, and turns "-with-past" into the config's "use-past" property.
 * Fails with %OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE or
 * %OXP_PLUGIN_ERROR_UNSUPPORTED_TASK (the message lists what is supported),
 * or with the config's construction error (see oxp_onnx_config_new()).
 *
 * Returns: (transfer full): a new config for (model type, task)
 */
OxpOnnxConfig *
oxp_tasks_manager_create_config (OxpTasksManager *self, const char *model_type, const char *task,
                                 JsonObject *config, GError **error)
{
  g_autoptr (OxpOnnxConfig) onnx_config = NULL;
  g_autofree char *base = NULL;
  g_autofree char *supported = NULL;
  OxpModelEntry *entry;
  const char *canonical;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  g_return_val_if_fail (task != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);

  if (model_type == NULL)
    model_type = get_string_member (config, "model_type");
  entry = lookup_or_error (self, model_type, error);
  if (entry == NULL)
    return NULL;
  supported = join_array (entry->tasks);

  canonical = oxp_tasks_manager_canonical_task (task);
  if (canonical == NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK,
                   "'%s' is not a known task name (model type '%s' supports: %s)", task, model_type,
                   supported);
      return NULL;
    }
  if (!entry_supports (entry, canonical))
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNSUPPORTED_TASK,
                   "model type '%s' does not support task '%s'%s%s%s (supported: %s)", model_type,
                   task, strcmp (task, canonical) ? " (" : "",
                   strcmp (task, canonical) ? canonical : "", strcmp (task, canonical) ? ")" : "",
                   supported);
      return NULL;
    }

  /* optimum passes the base task and sets use_past for "-with-past". */
  if (ensure_config_type (self, entry, error) == G_TYPE_INVALID)
    return NULL;
  base = _oxp_task_strip_past (canonical);
  onnx_config = oxp_onnx_config_new (entry->config_type, base, config, error);
  if (onnx_config == NULL)
    return NULL;
  if (_oxp_task_has_past (canonical))
    {
      /* Registration made sure the type has "use-past"; a copy sets it even
       * when it is construct-only, and the check then covers the past
       * inputs and outputs too. */
      g_autoptr (OxpOnnxConfig) past = oxp_onnx_config_copy (onnx_config, "use-past", TRUE, NULL);

      if (!oxp_onnx_config_check (past, error))
        return NULL;
      g_set_object (&onnx_config, past);
    }
  return g_steal_pointer (&onnx_config);
}

/* Whether the config describes a speech or a vision model, for classes whose
 * name does not say (unregistered model types only). */
static const char *
guess_generation_task (JsonObject *config)
{
  if (json_object_has_member (config, "num_mel_bins")
      || json_object_has_member (config, "input_feat_per_channel"))
    return "automatic-speech-recognition";
  if (json_object_has_member (config, "vision_config"))
    return "image-to-text";
  return "text2text-generation";
}

static char *
with_past (const char *base)
{
  return g_strconcat (base, OXP_WITH_PAST_SUFFIX, NULL);
}

/* The first candidate the model type registered, "-with-past" preferred as
 * optimum's main_export does for an inferred task. */
static char *
pick_registered (OxpModelEntry *entry, const char *const *candidates)
{
  for (const char *const *c = candidates; *c != NULL; c++)
    {
      g_autofree char *past = with_past (*c);

      if (entry_supports (entry, past))
        return g_steal_pointer (&past);
      if (entry_supports (entry, *c))
        return g_strdup (*c);
    }
  return NULL;
}

static OxpModelEntry *
entry_for_architecture (OxpTasksManager *self, const char *architecture)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      OxpModelEntry *entry = value;

      if (g_ptr_array_find_with_equal_func (entry->architectures, architecture, g_str_equal, NULL))
        return entry;
    }
  return NULL;
}

/**
 * oxp_tasks_manager_infer_task:
 * @self: a manager
 * @config: config.json
 * @error: return location for an error
 *
 * Infers the export task offline from the class names in "architectures".
 *
 * Returns: (transfer full): a canonical task name
 */
char *
oxp_tasks_manager_infer_task (OxpTasksManager *self, JsonObject *config, GError **error)
{
  g_autoptr (GString) reasons = g_string_new (NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autofree char *names_text = NULL;
  JsonArray *architectures = NULL;
  const char *model_type;
  OxpModelEntry *entry;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (self), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  model_type = get_string_member (config, "model_type");
  entry = _oxp_tasks_manager_lookup (self, model_type);
  if (json_object_has_member (config, "architectures")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (config, "architectures")))
    architectures = json_object_get_array_member (config, "architectures");
  for (guint i = 0; architectures && i < json_array_get_length (architectures); i++)
    {
      JsonNode *node = json_array_get_element (architectures, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_ptr_array_add (names, (gpointer)json_node_get_string (node));
    }
  names_text = join_array (names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      gboolean generates;
      const char *const *candidates = _oxp_task_candidates_for_class (name, &generates);
      OxpModelEntry *e = entry ? entry : entry_for_architecture (self, name);
      char *task;

      if (candidates == NULL)
        {
          g_string_append_printf (reasons, "; '%s' names no known head", name);
          continue;
        }
      if (e == NULL)
        {
          /* No registry to check against: optimum's defaults. */
          const char *base = candidates[0];

          if (g_str_has_suffix (name, "ForConditionalGeneration"))
            base = guess_generation_task (config);
          if (generates && _oxp_task_base_allows_past (base))
            return with_past (base);
          return g_strdup (base);
        }
      if (e->architectures->len > 0
          && !g_ptr_array_find_with_equal_func (e->architectures, name, g_str_equal, NULL))
        {
          g_autofree char *handled = join_array (e->architectures);

          g_string_append_printf (reasons, "; plugin '%s' does not handle '%s' (it handles %s)",
                                  oxp_plugin_get_name (e->plugin), name, handled);
          continue;
        }
      task = pick_registered (e, candidates);
      if (task != NULL)
        return task;
      g_string_append_printf (reasons, "; '%s' means %s, which model type '%s' does not support",
                              name, candidates[0], e->model_type);
      entry = e;
    }

  if (names->len == 0)
    g_string_append (reasons, "; config.json has no \"architectures\" class names");
  {
    g_autofree char *supported = entry ? join_array (entry->tasks) : NULL;

    g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_CANNOT_INFER_TASK,
                 "cannot infer the task of model type '%s' from architectures [%s]%s; pass the "
                 "task explicitly (supported tasks: %s)",
                 model_type ? model_type : "(none)", names_text, reasons->str,
                 supported ? supported : "unknown, no plugin handles this model type");
  }
  return NULL;
}
