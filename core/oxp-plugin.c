/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin modules: loading with libltdl, descriptor checks before any plugin
 * code runs, then init, then a check of every registration (in the manner
 * of GStreamer's gstplugin.c and GIO's typed extension points). */
#include "config.h"

#include <ltdl.h>
#include <string.h>

#include <oxport/oxport.h>

#include "oxp-plugin-private.h"
#include "oxp-tasks-private.h"

struct _OxpPlugin
{
  GObject parent_instance;

  char *filename;
  char *name;
  char *description;
  char *version;
  char *license;
  GPtrArray *model_types; /* NULL-terminated (element-type utf8) */

  /* Only set while init runs. */
  OxpTasksManager *manager;
  GPtrArray *pending; /* (element-type OxpModelEntry) */
};

G_DEFINE_FINAL_TYPE (OxpPlugin, oxp_plugin, G_TYPE_OBJECT)

static void
oxp_plugin_finalize (GObject *object)
{
  OxpPlugin *self = OXP_PLUGIN (object);

  g_free (self->filename);
  g_free (self->name);
  g_free (self->description);
  g_free (self->version);
  g_free (self->license);
  g_ptr_array_unref (self->model_types);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  G_OBJECT_CLASS (oxp_plugin_parent_class)->finalize (object);
}

static void
oxp_plugin_class_init (OxpPluginClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_plugin_finalize;
}

static void
oxp_plugin_init (OxpPlugin *self)
{
  self->model_types = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->model_types, NULL);
}

void
_oxp_model_entry_free (OxpModelEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->model_type);
  g_ptr_array_unref (entry->tasks);
  g_ptr_array_unref (entry->architectures);
  g_free (entry);
}

char *
_oxp_plugin_name_from_filename (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  const char *start = base;
  char *dot;

  if (g_str_has_prefix (start, "lib"))
    start += strlen ("lib");
  if (g_str_has_prefix (start, "oxport-"))
    start += strlen ("oxport-");
  dot = strrchr (start, '.');
  if (dot != NULL)
    *dot = '\0';
  if (*start == '\0')
    return NULL;
  /* The rest becomes part of a C identifier. */
  for (char *p = (char *)start; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      *p = '_';
  return g_strdup (start);
}

static gboolean
ensure_ltdl (const char *path, GError **error)
{
  static gsize initialised = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&initialised))
    {
      ok = lt_dlinit () == 0;
      g_once_init_leave (&initialised, 1);
    }
  if (!ok)
    g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                 "%s: libltdl could not be initialised: %s", path, lt_dlerror ());
  return ok;
}

static lt_dlhandle
open_module (const char *path, GError **error)
{
  lt_dladvise advise = NULL;
  lt_dlhandle handle = NULL;
  const char *reason;

  /* Local symbols: every plugin exports the same kind of names. */
  if (lt_dladvise_init (&advise) == 0 && lt_dladvise_local (&advise) == 0)
    handle = lt_dlopenadvise (path, advise);
  reason = lt_dlerror ();
  lt_dladvise_destroy (&advise);
  if (handle == NULL)
    g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE, "%s: not a loadable module: %s",
                 path, reason ? reason : "unknown reason");
  return handle;
}

/* Everything here reads data only: no plugin code has run yet. */
static gboolean
check_descriptor (const OxpPluginDesc *desc, const char *path, const char *expected_name,
                  GError **error)
{
  if (desc->abi_major != OXP_PLUGIN_ABI_MAJOR || desc->abi_minor > OXP_PLUGIN_ABI_MINOR)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_ABI,
                   "%s: plugin ABI %u.%u is not supported: this oxport loads ABI %d.x with "
                   "x <= %d (rebuild the plugin against this oxport)",
                   path, desc->abi_major, desc->abi_minor, OXP_PLUGIN_ABI_MAJOR,
                   OXP_PLUGIN_ABI_MINOR);
      return FALSE;
    }
  if (desc->name == NULL || strcmp (desc->name, expected_name) != 0)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR,
                   "%s: descriptor name '%s' does not match the module file name (expected '%s')",
                   path, desc->name ? desc->name : "(null)", expected_name);
      return FALSE;
    }
  if (desc->init == NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR,
                   "%s: descriptor of plugin '%s' has no init function", path, expected_name);
      return FALSE;
    }
  return TRUE;
}

OxpPlugin *
_oxp_plugin_load (OxpTasksManager *manager, const char *path, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *symbol = NULL;
  g_autoptr (OxpPlugin) plugin = NULL;
  g_autoptr (GError) init_error = NULL;
  const OxpPluginDesc *desc;
  lt_dlhandle handle;
  gboolean ok;

  name = _oxp_plugin_name_from_filename (path);
  if (name == NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                   "%s: no plugin name can be derived from this file name", path);
      return NULL;
    }
  if (!ensure_ltdl (path, error))
    return NULL;
  handle = open_module (path, error);
  if (handle == NULL)
    return NULL;

  symbol = g_strdup_printf ("oxp_plugin_%s_desc", name);
  desc = lt_dlsym (handle, symbol);
  if (desc == NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_NO_DESCRIPTOR,
                   "%s: no symbol '%s' (declare the plugin with OXP_PLUGIN_DEFINE (%s, …))", path,
                   symbol, name);
      lt_dlclose (handle);
      return NULL;
    }
  if (!check_descriptor (desc, path, name, error))
    {
      lt_dlclose (handle);
      return NULL;
    }

  /* From here plugin code runs and may register GTypes: never unload. */
  lt_dlmakeresident (handle);

  plugin = g_object_new (OXP_TYPE_PLUGIN, NULL);
  plugin->filename = g_strdup (path);
  plugin->name = g_strdup (desc->name);
  plugin->description = g_strdup (desc->description ? desc->description : "");
  plugin->version = g_strdup (desc->version ? desc->version : "");
  plugin->license = g_strdup (desc->license ? desc->license : "");
  plugin->manager = manager;
  plugin->pending = g_ptr_array_new_with_free_func ((GDestroyNotify)_oxp_model_entry_free);

  ok = desc->init (plugin, &init_error);
  plugin->manager = NULL;
  if (!ok)
    {
      /* Its registrations go with it. */
      g_clear_pointer (&plugin->pending, g_ptr_array_unref);
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INIT,
                   "%s: init of plugin '%s' failed: %s", path, plugin->name,
                   init_error ? init_error->message : "it returned FALSE without a reason");
      return NULL;
    }

  for (guint i = 0; i < plugin->pending->len; i++)
    {
      OxpModelEntry *entry = g_ptr_array_index (plugin->pending, i);

      g_ptr_array_insert (plugin->model_types, plugin->model_types->len - 1,
                          g_strdup (entry->model_type));
      entry->plugin = plugin;
    }
  g_ptr_array_set_free_func (plugin->pending, NULL);
  for (guint i = 0; i < plugin->pending->len; i++)
    _oxp_tasks_manager_add_entry (manager, g_ptr_array_index (plugin->pending, i));
  g_clear_pointer (&plugin->pending, g_ptr_array_unref);

  return g_steal_pointer (&plugin);
}

static gboolean
has_use_past (GType type)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (type);

  return g_object_class_find_property (G_OBJECT_CLASS (klass), "use-past") != NULL;
}

static gboolean
check_registration (OxpPlugin *plugin, const char *model_type, GType config_type,
                    const char *const *tasks, GPtrArray *canonical_tasks, GError **error)
{
  const char *path = plugin->filename;
  OxpModelEntry *existing;

  if (model_type == NULL || *model_type == '\0')
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR,
                   "%s: plugin '%s' registered a config without a model type", path, plugin->name);
      return FALSE;
    }
  if (!g_type_is_a (config_type, OXP_TYPE_ONNX_CONFIG))
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_BAD_TYPE,
                   "%s: plugin '%s', model type '%s': type '%s' is not a subtype of OxpOnnxConfig",
                   path, plugin->name, model_type,
                   config_type ? g_type_name (config_type) : "(invalid)");
      return FALSE;
    }
  if (G_TYPE_IS_ABSTRACT (config_type))
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_BAD_TYPE,
                   "%s: plugin '%s', model type '%s': type '%s' is abstract", path, plugin->name,
                   model_type, g_type_name (config_type));
      return FALSE;
    }
  if (tasks == NULL || tasks[0] == NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK,
                   "%s: plugin '%s', model type '%s': no task registered", path, plugin->name,
                   model_type);
      return FALSE;
    }
  for (const char *const *t = tasks; *t != NULL; t++)
    {
      const char *canonical = oxp_tasks_manager_canonical_task (*t);

      if (canonical == NULL)
        {
          g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK,
                       "%s: plugin '%s', model type '%s': '%s' is not a known task name", path,
                       plugin->name, model_type, *t);
          return FALSE;
        }
      if (_oxp_task_has_past (canonical) && !has_use_past (config_type))
        {
          g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_BAD_TYPE,
                       "%s: plugin '%s', model type '%s': task '%s' needs a config with a "
                       "'use-past' property, which '%s' lacks (derive from OxpOnnxConfigWithPast)",
                       path, plugin->name, model_type, *t, g_type_name (config_type));
          return FALSE;
        }
      if (!g_ptr_array_find_with_equal_func (canonical_tasks, canonical, g_str_equal, NULL))
        g_ptr_array_add (canonical_tasks, g_strdup (canonical));
    }

  existing = _oxp_tasks_manager_lookup (plugin->manager, model_type);
  if (existing != NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_DUPLICATE,
                   "%s: plugin '%s': model type '%s' is already registered by plugin '%s' (%s)",
                   path, plugin->name, model_type, existing->plugin->name,
                   existing->plugin->filename);
      return FALSE;
    }
  for (guint i = 0; i < plugin->pending->len; i++)
    {
      OxpModelEntry *entry = g_ptr_array_index (plugin->pending, i);

      if (strcmp (entry->model_type, model_type) == 0)
        {
          g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_DUPLICATE,
                       "%s: plugin '%s' registers model type '%s' twice", path, plugin->name,
                       model_type);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * oxp_plugin_register_model:
 * @plugin: the plugin whose init is running
 * @model_type: config.json's "model_type" the config handles
 * @config_type: a non-abstract subtype of #OxpOnnxConfig
 * @tasks: (array zero-terminated=1): task names (synonyms are folded)
 * @architectures: (array zero-terminated=1) (nullable): Hugging Face class names
 *
 * Registers a config.  The registration is checked and, when refused,
 * recorded as a rejection of the plugin's file; the plugin stays loaded.
 *
 * Returns: whether the registration was accepted
 */
gboolean
oxp_plugin_register_model (OxpPlugin *plugin, const char *model_type, GType config_type,
                           const char *const *tasks, const char *const *architectures)
{
  g_autoptr (GPtrArray) canonical_tasks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  OxpModelEntry *entry;

  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), FALSE);
  /* Registering outside init is a programming error in the plugin. */
  g_return_val_if_fail (plugin->manager != NULL && plugin->pending != NULL, FALSE);

  if (!check_registration (plugin, model_type, config_type, tasks, canonical_tasks, &error))
    {
      _oxp_tasks_manager_reject (plugin->manager, error);
      return FALSE;
    }

  entry = g_new0 (OxpModelEntry, 1);
  entry->model_type = g_strdup (model_type);
  entry->config_type = config_type;
  entry->tasks = g_steal_pointer (&canonical_tasks);
  entry->architectures = g_ptr_array_new_with_free_func (g_free);
  for (const char *const *a = architectures; a != NULL && *a != NULL; a++)
    g_ptr_array_add (entry->architectures, g_strdup (*a));
  entry->plugin = plugin;
  g_ptr_array_add (plugin->pending, entry);
  return TRUE;
}

const char *
oxp_plugin_get_name (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->name;
}

const char *
oxp_plugin_get_description (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->description;
}

const char *
oxp_plugin_get_version (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->version;
}

const char *
oxp_plugin_get_license (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->license;
}

const char *
oxp_plugin_get_filename (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->filename;
}

/**
 * oxp_plugin_get_model_types:
 * @plugin: a loaded plugin
 *
 * Returns: (transfer none) (array zero-terminated=1): the model types the
 *   plugin registered successfully, in registration order
 */
const char *const *
oxp_plugin_get_model_types (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return (const char *const *)plugin->model_types->pdata;
}
