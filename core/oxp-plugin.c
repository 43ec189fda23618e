/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plugin modules: loading with libltdl, descriptor checks before any plugin
 * code runs, then init, then a check of every registration (in the manner
 * of GStreamer's gstplugin.c and GIO's typed extension points). */
#include "config.h"

#include <errno.h>
#include <ltdl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(HAVE_DLFCN_H)
#include <dlfcn.h>
#endif

#include <oxport/oxport.h>

#include "oxp-plugin-private.h"
#include "oxp-plugin-scanner-private.h"
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
  GPtrArray *type_names;  /* (element-type utf8) */
  gboolean resident;      /* its code is loaded in this process */
  GError *load_error;     /* why loading it here failed, not retried */

  /* Only set while init runs. */
  OxpTasksManager *manager;
  GPtrArray *pending; /* (element-type OxpModelEntry) */
  /* init runs again in the exporting process: its registrations were
   * checked and recorded when it was scanned. */
  gboolean replay;
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
  g_ptr_array_unref (self->type_names);
  g_clear_error (&self->load_error);
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
  self->type_names = g_ptr_array_new_with_free_func (g_free);
}

void
_oxp_model_entry_free (OxpModelEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->model_type);
  g_free (entry->config_type_name);
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

/* libltdl says "file not found" for every failure; find the real reason. */
static char *
describe_open_failure (const char *path, const char *lt_reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) stream = g_file_read (file, NULL, &error);
  guchar magic[4] = { 0 };
  gsize n = 0;

  if (stream == NULL)
    return g_strdup (error->message);
  if (!g_input_stream_read_all (G_INPUT_STREAM (stream), magic, sizeof magic, &n, NULL, &error))
    return g_strdup (error->message);
#if defined(__ELF__)
  if (n < sizeof magic || memcmp (magic, "\177ELF", 4) != 0)
    return g_strdup ("not a shared object (no ELF header)");
#endif
#if defined(HAVE_DLFCN_H)
  {
    /* libltdl's own dlopen just failed on this file, so this one fails the
     * same way, now with the loader's message (a missing dependency, a
     * wrong architecture, …). */
    void *handle = dlopen (path, RTLD_LAZY | RTLD_LOCAL);

    if (handle == NULL)
      return g_strdup (dlerror ());
    dlclose (handle);
  }
#endif
  return g_strdup (lt_reason ? lt_reason : "unknown reason");
}

static lt_dlhandle
open_module (const char *path, GError **error)
{
  lt_dladvise advise = NULL;
  lt_dlhandle handle = NULL;

  /* Local symbols: every plugin exports the same kind of names. */
  if (lt_dladvise_init (&advise) == 0 && lt_dladvise_local (&advise) == 0)
    handle = lt_dlopenadvise (path, advise);
  lt_dladvise_destroy (&advise);
  if (handle == NULL)
    {
      g_autofree char *reason = describe_open_failure (path, lt_dlerror ());

      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                   "%s: not a loadable module: %s", path, reason);
    }
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

/* The plugins whose code is in this process, for the crash report: a
 * fixed buffer, as the signal handler may only read it. */
static char crash_context[4096];
static GMutex crash_context_lock;

static void arm_crash_handler (void);

static void
note_resident (OxpPlugin *plugin)
{
  gsize len;

  g_mutex_lock (&crash_context_lock);
  len = strlen (crash_context);
  g_snprintf (crash_context + len, sizeof crash_context - len, "%s'%s' (%s)", len ? ", " : "",
              plugin->name, plugin->filename);
  g_mutex_unlock (&crash_context_lock);
}

/* Opens @path and checks its descriptor; no plugin code runs before the
 * caller calls desc->init (ELF constructors aside: the scanner process is
 * what keeps those away from the main process). */
static lt_dlhandle
open_and_check (const char *path, char **name_out, const OxpPluginDesc **desc_out, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *symbol = NULL;
  const OxpPluginDesc *desc;
  lt_dlhandle handle;

  if (!_oxp_plugin_file_check (path, NULL, NULL, error))
    return NULL;
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
  *name_out = g_steal_pointer (&name);
  *desc_out = desc;
  return handle;
}

static gboolean
run_init (OxpPlugin *plugin, const OxpPluginDesc *desc, OxpTasksManager *manager, gboolean replay,
          GError **error)
{
  g_autoptr (GError) init_error = NULL;
  gboolean ok;

  plugin->manager = manager;
  plugin->replay = replay;
  plugin->pending = g_ptr_array_new_with_free_func ((GDestroyNotify)_oxp_model_entry_free);
  plugin->resident = TRUE;
  note_resident (plugin);
  arm_crash_handler ();
  ok = desc->init (plugin, &init_error);
  plugin->manager = NULL;
  plugin->replay = FALSE;
  if (!ok)
    {
      /* Its registrations go with it. */
      g_clear_pointer (&plugin->pending, g_ptr_array_unref);
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INIT,
                   "%s: init of plugin '%s' failed: %s", plugin->filename, plugin->name,
                   init_error ? init_error->message : "it returned FALSE without a reason");
      return FALSE;
    }
  return TRUE;
}

OxpPlugin *
_oxp_plugin_load (OxpTasksManager *manager, const char *path, GError **error)
{
  g_autofree char *name = NULL;
  g_autoptr (OxpPlugin) plugin = NULL;
  const OxpPluginDesc *desc = NULL;

  if (open_and_check (path, &name, &desc, error) == NULL)
    return NULL;

  plugin = g_object_new (OXP_TYPE_PLUGIN, NULL);
  plugin->filename = g_strdup (path);
  plugin->name = g_strdup (desc->name);
  plugin->description = g_strdup (desc->description ? desc->description : "");
  plugin->version = g_strdup (desc->version ? desc->version : "");
  plugin->license = g_strdup (desc->license ? desc->license : "");

  if (!run_init (plugin, desc, manager, FALSE, error))
    return NULL;

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

OxpPlugin *
_oxp_plugin_new_scanned (const char *path, const char *name, const char *description,
                         const char *version, const char *license, GPtrArray *type_names)
{
  OxpPlugin *plugin = g_object_new (OXP_TYPE_PLUGIN, NULL);

  plugin->filename = g_strdup (path);
  plugin->name = g_strdup (name ? name : "");
  plugin->description = g_strdup (description ? description : "");
  plugin->version = g_strdup (version ? version : "");
  plugin->license = g_strdup (license ? license : "");
  for (guint i = 0; type_names != NULL && i < type_names->len; i++)
    g_ptr_array_add (plugin->type_names, g_strdup (g_ptr_array_index (type_names, i)));
  return plugin;
}

void
_oxp_plugin_add_model_type (OxpPlugin *plugin, const char *model_type)
{
  g_ptr_array_insert (plugin->model_types, plugin->model_types->len - 1, g_strdup (model_type));
}

GPtrArray *
_oxp_plugin_get_type_names (OxpPlugin *plugin)
{
  return plugin->type_names;
}

/* GType name → the real path of the module that registered it, for every
 * module made resident in this process: a second module registering one
 * of these names would leave its get_type() blocked in g_once_init_enter. */
static GHashTable *resident_types;
static GMutex resident_types_lock;

static gboolean
check_type_names_free (OxpPlugin *plugin, const char *real_path, GError **error)
{
  gboolean ok = TRUE;

  g_mutex_lock (&resident_types_lock);
  if (resident_types == NULL)
    resident_types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; ok && i < plugin->type_names->len; i++)
    {
      const char *type_name = g_ptr_array_index (plugin->type_names, i);
      const char *owner = g_hash_table_lookup (resident_types, type_name);

      /* A name without an owner is the program's or the core's: the scan
       * would have met it as "existing type" if the plugin clashed. */
      if (owner == NULL || g_type_from_name (type_name) == G_TYPE_INVALID
          || strcmp (owner, real_path) == 0)
        continue;
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_TYPE_CONFLICT,
                   "%s: plugin '%s' registers the GType '%s', which the module %s loaded in "
                   "this process registered already; it is not loaded",
                   plugin->filename, plugin->name, type_name, owner);
      ok = FALSE;
    }
  g_mutex_unlock (&resident_types_lock);
  return ok;
}

static void
record_type_names (OxpPlugin *plugin, const char *real_path)
{
  g_mutex_lock (&resident_types_lock);
  for (guint i = 0; i < plugin->type_names->len; i++)
    g_hash_table_replace (resident_types, g_strdup (g_ptr_array_index (plugin->type_names, i)),
                          g_strdup (real_path));
  g_mutex_unlock (&resident_types_lock);
}

gboolean
_oxp_plugin_make_resident (OxpPlugin *plugin, OxpTasksManager *manager, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *real_path = NULL;
  g_autoptr (GError) local_error = NULL;
  const OxpPluginDesc *desc = NULL;
  const char *const *types = oxp_plugin_get_model_types (plugin);

  if (plugin->load_error != NULL)
    {
      g_propagate_error (error, g_error_copy (plugin->load_error));
      return FALSE;
    }
  if (plugin->pending != NULL)
    {
      /* Its init asked for its own config type before registering it. */
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INIT,
                   "%s: plugin '%s' needs its config types while its init runs", plugin->filename,
                   plugin->name);
      return FALSE;
    }

  real_path = realpath (plugin->filename, NULL);
  if (real_path == NULL)
    real_path = g_strdup (plugin->filename);
  if (!check_type_names_free (plugin, real_path, &local_error)
      || open_and_check (plugin->filename, &name, &desc, &local_error) == NULL)
    goto failed;
  if (g_strcmp0 (desc->name, plugin->name) != 0)
    {
      g_set_error (&local_error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR,
                   "%s: the module changed since it was scanned (plugin '%s', now '%s')",
                   plugin->filename, plugin->name, desc->name);
      goto failed;
    }
  if (!run_init (plugin, desc, manager, TRUE, &local_error))
    goto failed;

  /* Bind what it registers now to what the scan recorded. */
  for (guint i = 0; types[i] != NULL; i++)
    {
      OxpModelEntry *entry = _oxp_tasks_manager_lookup (manager, types[i]);
      OxpModelEntry *now = NULL;

      for (guint j = 0; j < plugin->pending->len && now == NULL; j++)
        if (strcmp (((OxpModelEntry *)g_ptr_array_index (plugin->pending, j))->model_type, types[i])
            == 0)
          now = g_ptr_array_index (plugin->pending, j);
      if (entry == NULL || entry->plugin != plugin)
        continue;
      if (now == NULL || g_strcmp0 (g_type_name (now->config_type), entry->config_type_name) != 0)
        {
          g_set_error (&local_error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_INIT,
                       "%s: plugin '%s' registered model type '%s' with %s when scanned and "
                       "with %s now",
                       plugin->filename, plugin->name, types[i], entry->config_type_name,
                       now ? g_type_name (now->config_type) : "nothing");
          g_clear_pointer (&plugin->pending, g_ptr_array_unref);
          goto failed;
        }
      entry->config_type = now->config_type;
    }
  g_clear_pointer (&plugin->pending, g_ptr_array_unref);
  record_type_names (plugin, real_path);
  return TRUE;

failed:
  plugin->load_error = g_error_copy (local_error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static const char *
signal_text (int sig)
{
  switch (sig)
    {
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case SIGFPE:
      return "SIGFPE (arithmetic error)";
    case SIGABRT:
      return "SIGABRT (abort)";
    default:
      return "a fatal signal";
    }
}

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
static struct sigaction previous_actions[G_N_ELEMENTS (crash_signals)];

static void
write_all (const char *text)
{
  gsize len = strlen (text);

  while (len > 0)
    {
      ssize_t n = write (STDERR_FILENO, text, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      text += n;
      len -= (gsize)n;
    }
}

static void
crash_handler (int sig)
{
  static volatile sig_atomic_t reported = 0;
  int saved_errno = errno;

  if (reported)
    {
      /* Met again through a chain that leads back here: end it. */
      signal (sig, SIG_DFL);
      raise (sig);
      return;
    }
  reported = 1;
  /* Only async-signal-safe calls: write(), sigaction(), raise(). */
  if (crash_context[0] != '\0')
    {
      write_all ("oxport: fatal ");
      write_all (signal_text (sig));
      write_all (" while running with plugin ");
      write_all (crash_context);
      write_all (" loaded: the plugin most likely caused it (check it with `oxport plugins`, "
                 "or remove it from the plugin path)\n");
    }
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    if (crash_signals[i] == sig)
      sigaction (sig, &previous_actions[i], NULL);
  errno = saved_errno;
  /* A fault re-executes and meets the previous handler; raise() covers
   * signals sent by the program itself (abort). */
  raise (sig);
}

static gboolean crash_reporting;

/* Puts the handler in front of whatever is installed now, so that it runs
 * first and then hands over to, say, a program's cleanup handler that was
 * installed before plugin code runs. */
static void
arm_crash_handler (void)
{
  static GMutex lock;

  if (!g_atomic_int_get (&crash_reporting))
    return;
  g_mutex_lock (&lock);
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    {
      struct sigaction current = { 0 };
      struct sigaction action = { 0 };

      if (sigaction (crash_signals[i], NULL, &current) == 0 && !(current.sa_flags & SA_SIGINFO)
          && current.sa_handler == crash_handler)
        continue;
      action.sa_handler = crash_handler;
      sigemptyset (&action.sa_mask);
      action.sa_flags = SA_NODEFER;
      sigaction (crash_signals[i], &action, &previous_actions[i]);
    }
  g_mutex_unlock (&lock);
}

/**
 * oxp_plugin_install_crash_handler:
 *
 * Asks for a crash report: from now on, whenever plugin code is loaded
 * into the process, handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGABRT are put in front of the ones installed then.  On such a signal
 * they write one line naming the loaded plugins to standard error, then
 * hand the signal to the handler that was there before (the default one
 * kills the process, so the exit status still tells the signal).  For
 * programs, such as the `oxport` command, that want a crash in a plugin to
 * name it; the library never asks by itself.
 */
void
oxp_plugin_install_crash_handler (void)
{
  g_atomic_int_set (&crash_reporting, TRUE);
  g_mutex_lock (&crash_context_lock);
  if (crash_context[0] != '\0')
    {
      g_mutex_unlock (&crash_context_lock);
      arm_crash_handler ();
      return;
    }
  g_mutex_unlock (&crash_context_lock);
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

  existing = plugin->replay ? NULL : _oxp_tasks_manager_lookup (plugin->manager, model_type);
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
      if (!plugin->replay)
        _oxp_tasks_manager_reject (plugin->manager, error);
      return FALSE;
    }

  entry = g_new0 (OxpModelEntry, 1);
  entry->model_type = g_strdup (model_type);
  entry->config_type = config_type;
  entry->config_type_name = g_strdup (g_type_name (config_type));
  entry->tasks = g_steal_pointer (&canonical_tasks);
  entry->architectures = g_ptr_array_new_with_free_func (g_free);
  for (const char *const *a = architectures; a != NULL && *a != NULL; a++)
    g_ptr_array_add (entry->architectures, g_strdup (*a));
  entry->plugin = plugin;
  g_ptr_array_add (plugin->pending, entry);
  return TRUE;
}

/**
 * oxp_plugin_get_name:
 * @plugin: a plugin
 *
 * The plugin's name from its descriptor, the @name of OXP_PLUGIN_DEFINE()
 * ("bert"); what `oxport plugins` lists.
 *
 * Returns: (transfer none): the name, "" when the descriptor has none
 */
const char *
oxp_plugin_get_name (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->name;
}

/**
 * oxp_plugin_get_description:
 * @plugin: a plugin
 *
 * The one-line description from the plugin's descriptor.
 *
 * Returns: (transfer none): the description, "" when the descriptor has none
 */
const char *
oxp_plugin_get_description (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->description;
}

/**
 * oxp_plugin_get_version:
 * @plugin: a plugin
 *
 * The plugin's own version from its descriptor (not oxport's).
 *
 * Returns: (transfer none): the version, "" when the descriptor has none
 */
const char *
oxp_plugin_get_version (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->version;
}

/**
 * oxp_plugin_get_license:
 * @plugin: a plugin
 *
 * The license the descriptor declares, an SPDX expression by convention.
 *
 * Returns: (transfer none): the license, "" when the descriptor has none
 */
const char *
oxp_plugin_get_license (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), NULL);
  return plugin->license;
}

/**
 * oxp_plugin_get_filename:
 * @plugin: a plugin
 *
 * The module file the plugin was loaded (or scanned) from.
 *
 * Returns: (transfer none): the file's path
 */
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
 * The model types the plugin's init registered and the core accepted; a
 * refused registration is listed among the rejections instead (see
 * oxp_tasks_manager_get_rejections()).
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

/**
 * oxp_plugin_is_loaded:
 * @plugin: a plugin
 *
 * Whether the plugin's code is in this process: plugins are scanned in the
 * helper process oxport-plugin-scanner, and only the plugin providing the
 * model type an export needs is loaded into the exporting process.
 *
 * Returns: whether the plugin's module is loaded in this process (scanned
 *   plugins are loaded when one of their config types is first needed)
 */
gboolean
oxp_plugin_is_loaded (OxpPlugin *plugin)
{
  g_return_val_if_fail (OXP_IS_PLUGIN (plugin), FALSE);
  return plugin->resident;
}
