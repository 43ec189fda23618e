/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Out-of-process plugin scanning, in the manner of GStreamer's
 * gstpluginloader.c and gst-plugin-scanner: the parent starts one helper
 * process, hands it one module path at a time over a socket, and reads back
 * what the module's init registered.  A module that crashes, exits or
 * hangs takes only the helper down; it is recorded with the reason and the
 * helper is started again for the next file.  The results are kept in a
 * cache keyed by path, size and mtime (gstregistrybinary.c's idea) so that
 * later runs skip the scan.
 *
 * The wire format and the cache share one encoding, a GKeyFile group per
 * scanned file: readable, and a damaged file fails to parse as a whole
 * instead of being half-trusted. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <oxport/oxport.h>

#include "oxp-plugin-private.h"
#include "oxp-plugin-scanner-private.h"

#define SCAN_GROUP "plugin"
#define CACHE_HEADER "oxport registry"
#define CACHE_FORMAT 1
#define MAX_MESSAGE (16 * 1024 * 1024)
#define DEFAULT_TIMEOUT_S 10.0
#define SCANNER_NAME "oxport-plugin-scanner"

/* ---- scan results ------------------------------------------------------ */

static void
scan_model_free (OxpScanModel *model)
{
  g_free (model->model_type);
  g_free (model->config_type_name);
  g_ptr_array_unref (model->tasks);
  g_ptr_array_unref (model->architectures);
  g_free (model);
}

OxpScanResult *
_oxp_scan_result_new (const char *path)
{
  OxpScanResult *result = g_new0 (OxpScanResult, 1);

  result->path = g_strdup (path);
  result->error_code = -1;
  result->models = g_ptr_array_new_with_free_func ((GDestroyNotify)scan_model_free);
  result->type_names = g_ptr_array_new_with_free_func (g_free);
  result->notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  return result;
}

void
_oxp_scan_result_free (OxpScanResult *result)
{
  if (result == NULL)
    return;
  g_free (result->path);
  g_free (result->error_message);
  g_free (result->name);
  g_free (result->description);
  g_free (result->version);
  g_free (result->license);
  g_ptr_array_unref (result->models);
  g_ptr_array_unref (result->type_names);
  g_ptr_array_unref (result->notes);
  g_free (result);
}

void
_oxp_scan_result_set_error (OxpScanResult *result, const GError *error)
{
  result->error_code = error->code;
  g_free (result->error_message);
  result->error_message = g_strdup (error->message);
}

static void
set_list (GKeyFile *kf, const char *group, const char *key, GPtrArray *strings)
{
  g_key_file_set_string_list (kf, group, key, (const char *const *)strings->pdata, strings->len);
}

static GPtrArray *
get_list (GKeyFile *kf, const char *group, const char *key)
{
  GPtrArray *array = g_ptr_array_new_with_free_func (g_free);
  gsize n = 0;
  g_auto (GStrv) values = g_key_file_get_string_list (kf, group, key, &n, NULL);

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (array, g_strdup (values[i]));
  return array;
}

static void
set_optional (GKeyFile *kf, const char *group, const char *key, const char *value)
{
  if (value != NULL)
    g_key_file_set_string (kf, group, key, value);
}

static void
scan_result_to_key_file (const OxpScanResult *r, GKeyFile *kf, const char *group)
{
  g_autoptr (GPtrArray) notes = g_ptr_array_new ();
  g_autofree int *codes = g_new0 (int, r->notes->len + 1);

  g_key_file_set_string (kf, group, "path", r->path);
  g_key_file_set_uint64 (kf, group, "size", r->size);
  g_key_file_set_int64 (kf, group, "mtime", r->mtime_ns);
  if (r->error_code >= 0)
    {
      g_key_file_set_integer (kf, group, "error-code", r->error_code);
      g_key_file_set_string (kf, group, "error", r->error_message);
    }
  set_optional (kf, group, "name", r->name);
  set_optional (kf, group, "description", r->description);
  set_optional (kf, group, "version", r->version);
  set_optional (kf, group, "license", r->license);
  set_list (kf, group, "types", r->type_names);
  for (guint i = 0; i < r->notes->len; i++)
    {
      GError *note = g_ptr_array_index (r->notes, i);

      g_ptr_array_add (notes, note->message);
      codes[i] = note->code;
    }
  set_list (kf, group, "notes", notes);
  g_key_file_set_integer_list (kf, group, "note-codes", codes, r->notes->len);
  g_key_file_set_integer (kf, group, "models", (int)r->models->len);
  if (r->restart)
    g_key_file_set_boolean (kf, group, "restart", TRUE);
  for (guint i = 0; i < r->models->len; i++)
    {
      OxpScanModel *m = g_ptr_array_index (r->models, i);
      g_autofree char *mg = g_strdup_printf ("%s model %u", group, i);

      g_key_file_set_string (kf, mg, "model-type", m->model_type);
      g_key_file_set_string (kf, mg, "config-type", m->config_type_name);
      set_list (kf, mg, "tasks", m->tasks);
      set_list (kf, mg, "architectures", m->architectures);
    }
}

static OxpScanResult *
scan_result_from_key_file (GKeyFile *kf, const char *group, GError **error)
{
  g_autoptr (OxpScanResult) r = NULL;
  g_autofree char *path = NULL;
  g_autofree int *codes = NULL;
  g_autoptr (GPtrArray) notes = NULL;
  GError *local_error = NULL;
  gsize n_codes = 0;
  int n_models;

  path = g_key_file_get_string (kf, group, "path", error);
  if (path == NULL)
    return NULL;
  r = _oxp_scan_result_new (path);
  r->size = g_key_file_get_uint64 (kf, group, "size", &local_error);
  if (local_error == NULL)
    r->mtime_ns = g_key_file_get_int64 (kf, group, "mtime", &local_error);
  if (local_error == NULL)
    n_models = g_key_file_get_integer (kf, group, "models", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (g_key_file_has_key (kf, group, "error-code", NULL))
    {
      r->error_code = g_key_file_get_integer (kf, group, "error-code", NULL);
      r->error_message = g_key_file_get_string (kf, group, "error", NULL);
      if (r->error_code < 0 || r->error_message == NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "%s: a rejection without its reason", group);
          return NULL;
        }
    }
  r->name = g_key_file_get_string (kf, group, "name", NULL);
  r->description = g_key_file_get_string (kf, group, "description", NULL);
  r->version = g_key_file_get_string (kf, group, "version", NULL);
  r->license = g_key_file_get_string (kf, group, "license", NULL);
  r->restart = g_key_file_get_boolean (kf, group, "restart", NULL);
  if (r->error_code < 0 && r->name == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: a plugin without a name", group);
      return NULL;
    }
  g_ptr_array_unref (r->type_names);
  r->type_names = get_list (kf, group, "types");
  notes = get_list (kf, group, "notes");
  codes = g_key_file_get_integer_list (kf, group, "note-codes", &n_codes, NULL);
  if (n_codes != notes->len)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: notes and their codes differ in number", group);
      return NULL;
    }
  for (guint i = 0; i < notes->len; i++)
    g_ptr_array_add (
        r->notes, g_error_new_literal (OXP_PLUGIN_ERROR, codes[i], g_ptr_array_index (notes, i)));
  for (int i = 0; i < n_models; i++)
    {
      g_autofree char *mg = g_strdup_printf ("%s model %d", group, i);
      OxpScanModel *m;
      char *model_type = g_key_file_get_string (kf, mg, "model-type", error);
      char *config_type = model_type ? g_key_file_get_string (kf, mg, "config-type", error) : NULL;

      if (config_type == NULL)
        {
          g_free (model_type);
          return NULL;
        }
      m = g_new0 (OxpScanModel, 1);
      m->model_type = model_type;
      m->config_type_name = config_type;
      m->tasks = get_list (kf, mg, "tasks");
      m->architectures = get_list (kf, mg, "architectures");
      g_ptr_array_add (r->models, m);
    }
  return g_steal_pointer (&r);
}

/* ---- files ------------------------------------------------------------- */

gboolean
_oxp_plugin_file_check (const char *path, guint64 *size, gint64 *mtime_ns, GError **error)
{
  struct stat st;
  int fd;

  /* O_NONBLOCK: opening a FIFO for reading must not wait for a writer. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                   "%s: not a loadable module: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      const char *kind = S_ISFIFO (st.st_mode)                          ? "a FIFO"
                         : S_ISDIR (st.st_mode)                         ? "a directory"
                         : S_ISSOCK (st.st_mode)                        ? "a socket"
                         : S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode) ? "a device"
                                                                        : "not a file";

      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                   "%s: not a loadable module: %s, not a regular file (it is never opened as a "
                   "module)",
                   path, kind);
      close (fd);
      return FALSE;
    }
  close (fd);
  if (size != NULL)
    *size = (guint64)st.st_size;
  if (mtime_ns != NULL)
    *mtime_ns = (gint64)st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
  return TRUE;
}

/* ---- scanning in this process ------------------------------------------ */

static void
collect_types (GType type, GHashTable *names)
{
  g_autofree GType *children = NULL;
  guint n = 0;

  g_hash_table_add (names, (gpointer)g_type_name (type));
  children = g_type_children (type, &n);
  for (guint i = 0; i < n; i++)
    collect_types (children[i], names);
}

static GHashTable *
snapshot_types (void)
{
  static const GType roots[] = { G_TYPE_OBJECT, G_TYPE_INTERFACE, G_TYPE_BOXED,
                                 G_TYPE_ENUM,   G_TYPE_FLAGS,     G_TYPE_POINTER };
  GHashTable *names = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    collect_types (roots[i], names);
  return names;
}

/* The get_type symbol G_DEFINE_TYPE derives from @type_name, splitting
 * words at case changes; whether a digit ends a word is the type's own
 * choice (OxpOnnxSeq2SeqConfigWithPast → oxp_onnx_seq2seq_…, not seq2_seq),
 * so the caller tries both. */
static char *
get_type_symbol (const char *type_name, gboolean digit_ends_word)
{
  GString *symbol = g_string_new (NULL);

  for (const char *p = type_name; *p != '\0'; p++)
    {
      if (p != type_name && g_ascii_isupper (*p)
          && (g_ascii_islower (p[-1]) || (digit_ends_word && g_ascii_isdigit (p[-1]))
              || (g_ascii_isupper (p[-1]) && g_ascii_islower (p[1]))))
        g_string_append_c (symbol, '_');
      g_string_append_c (symbol, g_ascii_tolower (*p));
    }
  g_string_append (symbol, "_get_type");
  return g_string_free (symbol, FALSE);
}

/* Whether liboxport itself defines @type_name (OxpTextEncoderOnnxConfig →
 * oxp_text_encoder_onnx_config_get_type): the core registers its types
 * lazily, often while the first plugin loads, and they are not the
 * plugin's. */
static gboolean
is_core_type (const char *type_name)
{
  static void *core = NULL;
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      Dl_info info = { 0 };

      if (dladdr ((void *)oxp_tasks_manager_new, &info) != 0 && info.dli_fname != NULL)
        core = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
      g_once_init_leave (&once, 1);
    }
  if (core == NULL)
    return FALSE;
  for (int digit_ends_word = 0; digit_ends_word < 2; digit_ends_word++)
    {
      g_autofree char *symbol = get_type_symbol (type_name, digit_ends_word);

      if (dlsym (core, symbol) != NULL)
        return TRUE;
    }
  return FALSE;
}

OxpScanResult *
_oxp_plugin_scan_here (const char *path)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autoptr (OxpScanResult) result = _oxp_scan_result_new (path);
  g_autoptr (GHashTable) before = snapshot_types ();
  g_autoptr (GHashTable) after = NULL;
  g_autoptr (GPtrArray) new_types = g_ptr_array_new ();
  g_autoptr (OxpPlugin) plugin = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *errors;
  GHashTableIter iter;
  gpointer key;

  if (!_oxp_plugin_file_check (path, &result->size, &result->mtime_ns, &error))
    {
      _oxp_scan_result_set_error (result, error);
      return g_steal_pointer (&result);
    }
  plugin = _oxp_plugin_load (manager, path, &error);
  if (plugin == NULL)
    {
      _oxp_scan_result_set_error (result, error);
      return g_steal_pointer (&result);
    }

  result->name = g_strdup (oxp_plugin_get_name (plugin));
  result->description = g_strdup (oxp_plugin_get_description (plugin));
  result->version = g_strdup (oxp_plugin_get_version (plugin));
  result->license = g_strdup (oxp_plugin_get_license (plugin));
  for (const char *const *t = oxp_plugin_get_model_types (plugin); *t != NULL; t++)
    {
      OxpModelEntry *entry = _oxp_tasks_manager_lookup (manager, *t);
      OxpScanModel *m = g_new0 (OxpScanModel, 1);

      m->model_type = g_strdup (*t);
      m->config_type_name = g_strdup (g_type_name (entry->config_type));
      m->tasks = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < entry->tasks->len; i++)
        g_ptr_array_add (m->tasks, g_strdup (g_ptr_array_index (entry->tasks, i)));
      m->architectures = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < entry->architectures->len; i++)
        g_ptr_array_add (m->architectures, g_strdup (g_ptr_array_index (entry->architectures, i)));
      g_ptr_array_add (result->models, m);
      /* Also when the module was loaded before (a second name for it). */
      if (!g_ptr_array_find_with_equal_func (result->type_names, m->config_type_name, g_str_equal,
                                             NULL))
        g_ptr_array_add (result->type_names, g_strdup (m->config_type_name));
    }
  after = snapshot_types ();
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (before, key))
      g_ptr_array_add (new_types, key);
  g_ptr_array_sort (new_types, (GCompareFunc)g_strcmp0);
  for (guint i = 0; i < new_types->len; i++)
    if (!g_ptr_array_find_with_equal_func (result->type_names, g_ptr_array_index (new_types, i),
                                           g_str_equal, NULL)
        && !is_core_type (g_ptr_array_index (new_types, i)))
      g_ptr_array_add (result->type_names, g_strdup (g_ptr_array_index (new_types, i)));
  errors = oxp_tasks_manager_get_rejection_errors (manager);
  for (guint i = 0; i < errors->len; i++)
    g_ptr_array_add (result->notes, g_error_copy (g_ptr_array_index (errors, i)));
  return g_steal_pointer (&result);
}

/* ---- framing ------------------------------------------------------------- */

/* 1: done, 0: end of file before anything, -1: error or short read. */
static int
read_full (int fd, void *buf, gsize len)
{
  guint8 *p = buf;
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = read (fd, p + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return (n == 0 && done == 0) ? 0 : -1;
      done += (gsize)n;
    }
  return 1;
}

static gboolean
write_full (int fd, const void *buf, gsize len, gboolean is_socket)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      /* MSG_NOSIGNAL: a dead scanner must not kill the parent with SIGPIPE. */
      ssize_t n = is_socket ? send (fd, p, len, MSG_NOSIGNAL) : write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == ENOTSOCK && is_socket)
        {
          /* Run by hand with a pipe: no peer to lose, plain writes. */
          is_socket = FALSE;
          continue;
        }
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize)n;
    }
  return TRUE;
}

static gboolean
send_message (int fd, const char *data, gsize len)
{
  guint32 n = (guint32)len;

  return write_full (fd, &n, sizeof n, TRUE) && write_full (fd, data, len, TRUE);
}

/* ---- the scanner process ----------------------------------------------- */

static int scanner_out = -1;
static const char *scanning_path;

static void
send_result (const OxpScanResult *result)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len = 0;

  scan_result_to_key_file (result, kf, SCAN_GROUP);
  data = g_key_file_to_data (kf, &len, NULL);
  if (!send_message (scanner_out, data, len))
    _exit (1);
}

/* While plugin code runs, a critical, or a warning from the type system
 * ("cannot register existing type"), means the process is no longer sound
 * (a type left half registered blocks the next get_type() for ever):
 * report the file with the message and end this scanner. */
static GLogWriterOutput
scanner_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                    gpointer user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (strcmp (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
    }
  if (scanning_path != NULL
      && ((level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
          || ((level & G_LOG_LEVEL_WARNING) && g_strcmp0 (domain, "GLib-GObject") == 0)))
    {
      g_autoptr (OxpScanResult) result = _oxp_scan_result_new (scanning_path);
      gboolean type_clash = message != NULL && strstr (message, "existing type") != NULL;
      g_autoptr (GError) error = g_error_new (
          OXP_PLUGIN_ERROR, type_clash ? OXP_PLUGIN_ERROR_TYPE_CONFLICT : OXP_PLUGIN_ERROR_INIT,
          "%s: loading the plugin broke the type system (%s: %s); it is not loaded", scanning_path,
          domain ? domain : "GLib", message ? message : "no message");

      _oxp_plugin_file_check (scanning_path, &result->size, &result->mtime_ns, NULL);
      _oxp_scan_result_set_error (result, error);
      result->restart = TRUE;
      send_result (result);
      _exit (0);
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/**
 * oxp_plugin_scanner_run: (skip)
 *
 * The main loop of the oxport-plugin-scanner helper: reads module paths
 * from standard input and writes what loading each did to standard output.
 * Not for applications.
 *
 * Returns: the process exit status
 */
int
oxp_plugin_scanner_run (void)
{
  int in = fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  int devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);

  scanner_out = fcntl (STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || scanner_out < 0 || devnull < 0)
    return 1;
  /* Plugin code printing to stdout must not corrupt the replies. */
  dup2 (devnull, STDIN_FILENO);
  dup2 (STDERR_FILENO, STDOUT_FILENO);
  close (devnull);
  g_log_set_writer_func (scanner_log_writer, NULL, NULL);

  for (;;)
    {
      guint32 len = 0;
      g_autofree char *path = NULL;
      g_autoptr (OxpScanResult) result = NULL;
      int r = read_full (in, &len, sizeof len);

      if (r == 0)
        return 0;
      if (r < 0 || len == 0 || len > 65536)
        return 1;
      path = g_malloc0 (len + 1);
      if (read_full (in, path, len) != 1)
        return 1;
      scanning_path = path;
      result = _oxp_plugin_scan_here (path);
      scanning_path = NULL;
      send_result (result);
    }
}

/* ---- the parent side ----------------------------------------------------- */

struct _OxpPluginLoader
{
  char *scanner;
  double timeout_s;
  GPid pid;
  int fd;
};

static char *
find_scanner (void)
{
  const char *env = g_getenv ("OXPORT_PLUGIN_SCANNER");
  Dl_info info = { 0 };
  g_autofree char *libdir = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (dladdr ((void *)_oxp_plugin_loader_new, &info) != 0 && info.dli_fname != NULL)
    libdir = g_path_get_dirname (info.dli_fname);
  if (libdir != NULL)
    {
      g_autofree char *base = g_path_get_basename (libdir);

      /* In a build tree the library is in .libs and the helper (a libtool
       * wrapper that finds the uninstalled library) one level up. */
      if (strcmp (base, ".libs") == 0)
        {
          g_autofree char *top = g_path_get_dirname (libdir);
          char *candidate = g_build_filename (top, SCANNER_NAME, NULL);

          if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
            return candidate;
          g_free (candidate);
        }
      /* An install moved as a whole (`make install prefix=DIR`, DESTDIR):
       * the helper keeps its place relative to the library. */
      if (!g_str_equal (libdir, OXP_LIBDIR) && g_str_has_prefix (OXP_LIBDIR, OXP_PREFIX)
          && g_str_has_prefix (OXP_SCANNER_PATH, OXP_PREFIX)
          && g_str_has_suffix (libdir, OXP_LIBDIR + strlen (OXP_PREFIX)))
        {
          g_autofree char *prefix
              = g_strndup (libdir, strlen (libdir) - strlen (OXP_LIBDIR + strlen (OXP_PREFIX)));
          char *candidate = g_strconcat (prefix, OXP_SCANNER_PATH + strlen (OXP_PREFIX), NULL);

          if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
            return candidate;
          g_free (candidate);
        }
    }
  if (g_file_test (OXP_SCANNER_PATH, G_FILE_TEST_IS_EXECUTABLE))
    return g_strdup (OXP_SCANNER_PATH);
  return NULL;
}

OxpPluginLoader *
_oxp_plugin_loader_new (void)
{
  OxpPluginLoader *loader = g_new0 (OxpPluginLoader, 1);
  const char *timeout = g_getenv ("OXPORT_PLUGIN_SCAN_TIMEOUT");

  loader->fd = -1;
  loader->timeout_s = DEFAULT_TIMEOUT_S;
  if (timeout != NULL && *timeout != '\0')
    {
      double t = g_ascii_strtod (timeout, NULL);

      if (t > 0)
        loader->timeout_s = t;
    }
  return loader;
}

/* Returns the scanner's wait status, or -1. */
static int
reap (OxpPluginLoader *loader, gboolean kill_it)
{
  int status = -1;

  if (loader->fd >= 0)
    close (loader->fd);
  loader->fd = -1;
  if (loader->pid > 0)
    {
      if (kill_it)
        kill (loader->pid, SIGKILL);
      while (waitpid (loader->pid, &status, 0) < 0 && errno == EINTR)
        ;
      g_spawn_close_pid (loader->pid);
    }
  loader->pid = 0;
  return status;
}

void
_oxp_plugin_loader_stop (OxpPluginLoader *loader)
{
  /* End of input: the scanner leaves its loop and exits. */
  reap (loader, FALSE);
}

void
_oxp_plugin_loader_free (OxpPluginLoader *loader)
{
  if (loader == NULL)
    return;
  _oxp_plugin_loader_stop (loader);
  g_free (loader->scanner);
  g_free (loader);
}

static gboolean
start (OxpPluginLoader *loader, GError **error)
{
  int sv[2];
  const char *argv[2] = { NULL, NULL };
  gboolean ok;

  if (loader->scanner == NULL)
    loader->scanner = find_scanner ();
  if (loader->scanner == NULL)
    {
      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                   "the plugin scanner %s was not found (set OXPORT_PLUGIN_SCANNER)", SCANNER_NAME);
      return FALSE;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      int saved = errno;

      g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                   "cannot talk to the plugin scanner: %s", g_strerror (saved));
      return FALSE;
    }
  argv[0] = loader->scanner;
  ok = g_spawn_async_with_pipes_and_fds (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                         sv[1], sv[1], -1, NULL, NULL, 0, &loader->pid, NULL, NULL,
                                         NULL, error);
  close (sv[1]);
  if (!ok)
    {
      close (sv[0]);
      loader->pid = 0;
      return FALSE;
    }
  loader->fd = sv[0];
  return TRUE;
}

/* 1: read, 0: end of file, -1: timed out, -2: broken message. */
static int
read_reply (int fd, gint64 deadline, char **data_out)
{
  guint8 header[4];
  guint32 len;
  g_autofree char *data = NULL;
  gsize want = sizeof header, got = 0;
  guint8 *buf = header;

  for (int phase = 0; phase < 2; phase++)
    {
      while (got < want)
        {
          struct pollfd pfd = { fd, POLLIN, 0 };
          gint64 left = deadline - g_get_monotonic_time ();
          int r;
          ssize_t n;

          if (left <= 0)
            return -1;
          r = poll (&pfd, 1, (int)MIN (left / 1000 + 1, G_MAXINT));
          if (r < 0 && errno == EINTR)
            continue;
          if (r == 0)
            continue;
          n = read (fd, buf + got, want - got);
          if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (n <= 0)
            return (phase == 0 && got == 0) ? 0 : -2;
          got += (gsize)n;
        }
      if (phase == 0)
        {
          memcpy (&len, header, sizeof len);
          if (len == 0 || len > MAX_MESSAGE)
            return -2;
          data = g_malloc0 (len + 1);
          buf = (guint8 *)data;
          want = len;
          got = 0;
        }
    }
  *data_out = g_steal_pointer (&data);
  return 1;
}

static OxpScanResult *
failure (const char *path, guint64 size, gint64 mtime_ns, int code, const char *reason)
{
  OxpScanResult *result = _oxp_scan_result_new (path);

  result->size = size;
  result->mtime_ns = mtime_ns;
  result->error_code = code;
  result->error_message = g_strdup_printf ("%s: %s", path, reason);
  return result;
}

OxpScanResult *
_oxp_plugin_loader_scan (OxpPluginLoader *loader, const char *path, guint64 size, gint64 mtime_ns,
                         GError **error)
{
  g_autofree char *data = NULL;
  g_autofree char *reason = NULL;
  gint64 deadline;
  int r, status;

  for (int attempt = 0;; attempt++)
    {
      if (loader->fd < 0 && !start (loader, error))
        return NULL;
      if (send_message (loader->fd, path, strlen (path)))
        break;
      /* It ended after its last reply: once more with a new one. */
      reap (loader, TRUE);
      if (attempt == 1)
        {
          g_set_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE,
                       "the plugin scanner %s does not accept requests", loader->scanner);
          return NULL;
        }
    }

  deadline = g_get_monotonic_time () + (gint64)(loader->timeout_s * G_USEC_PER_SEC);
  r = read_reply (loader->fd, deadline, &data);
  if (r == 1)
    {
      g_autoptr (GKeyFile) kf = g_key_file_new ();
      g_autoptr (GError) parse_error = NULL;
      OxpScanResult *result = NULL;

      if (g_key_file_load_from_data (kf, data, (gsize)-1, G_KEY_FILE_NONE, &parse_error))
        result = scan_result_from_key_file (kf, SCAN_GROUP, &parse_error);
      if (result == NULL)
        {
          reap (loader, TRUE);
          reason = g_strdup_printf ("the plugin scanner sent a reply that cannot be read (%s); "
                                    "the plugin is not loaded",
                                    parse_error->message);
          return failure (path, size, mtime_ns, OXP_PLUGIN_ERROR_CRASHED, reason);
        }
      if (result->restart)
        reap (loader, TRUE);
      result->restart = FALSE;
      return result;
    }
  if (r == -1)
    {
      reap (loader, TRUE);
      reason = g_strdup_printf ("loading the plugin did not finish within %g s (an endless loop "
                                "or a deadlock in its init or constructors?); it is not loaded "
                                "(it is scanned again once the file changes)",
                                loader->timeout_s);
      return failure (path, size, mtime_ns, OXP_PLUGIN_ERROR_TIMEOUT, reason);
    }
  status = reap (loader, r == -2);
  if (status != -1 && WIFSIGNALED (status))
    reason = g_strdup_printf ("loading the plugin crashed the plugin scanner with signal %d "
                              "(%s); it is not loaded",
                              WTERMSIG (status), g_strsignal (WTERMSIG (status)));
  else if (status != -1 && WIFEXITED (status))
    reason = g_strdup_printf ("loading the plugin ended the plugin scanner process (exit status "
                              "%d: the plugin called exit()); it is not loaded",
                              WEXITSTATUS (status));
  else
    reason = g_strdup ("the plugin scanner stopped while loading the plugin; it is not loaded");
  return failure (path, size, mtime_ns, OXP_PLUGIN_ERROR_CRASHED, reason);
}

/* ---- the registry cache -------------------------------------------------- */

struct _OxpRegistryCache
{
  char *file;
  GHashTable *results; /* path → OxpScanResult */
  gboolean dirty;
};

/* What the cached verdicts depend on besides each plugin file: the ABI,
 * and the very core library that judged them (a rebuilt or patched
 * liboxport of the same version may judge a plugin differently). */
static char *
abi_key (void)
{
  Dl_info info = { 0 };
  struct stat st = { 0 };

  if (dladdr ((void *)abi_key, &info) == 0 || info.dli_fname == NULL
      || stat (info.dli_fname, &st) != 0)
    memset (&st, 0, sizeof st);
  return g_strdup_printf ("%d.%d/%s/%u/%" G_GUINT64_FORMAT "/%" G_GINT64_FORMAT ".%09ld",
                          OXP_PLUGIN_ABI_MAJOR, OXP_PLUGIN_ABI_MINOR, PACKAGE_VERSION,
                          (guint)GLIB_SIZEOF_VOID_P, (guint64)st.st_size, (gint64)st.st_mtim.tv_sec,
                          (long)st.st_mtim.tv_nsec);
}

/* A damaged, foreign or oversized cache is ignored (and rewritten). */
static void
cache_read (OxpRegistryCache *cache)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autofree char *abi = NULL;
  g_autofree char *expected = abi_key ();
  g_auto (GStrv) groups = NULL;
  g_autoptr (GHashTable) results = NULL;
  struct stat st;
  gsize len = 0;
  int fd;

  fd = g_open (cache->file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    return;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > MAX_MESSAGE)
    {
      close (fd);
      cache->dirty = TRUE;
      return;
    }
  data = g_malloc0 ((gsize)st.st_size + 1);
  if (read_full (fd, data, (gsize)st.st_size) != 1 && st.st_size > 0)
    {
      close (fd);
      cache->dirty = TRUE;
      return;
    }
  close (fd);
  len = (gsize)st.st_size;
  if (!g_key_file_load_from_data (kf, data, len, G_KEY_FILE_NONE, NULL)
      || g_key_file_get_integer (kf, CACHE_HEADER, "format", NULL) != CACHE_FORMAT
      || (abi = g_key_file_get_string (kf, CACHE_HEADER, "abi", NULL)) == NULL
      || strcmp (abi, expected) != 0)
    {
      cache->dirty = TRUE;
      return;
    }
  results = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                   (GDestroyNotify)_oxp_scan_result_free);
  groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g != NULL; g++)
    {
      OxpScanResult *result;

      if (!g_str_has_prefix (*g, "plugin ") || strstr (*g, " model ") != NULL)
        continue;
      result = scan_result_from_key_file (kf, *g, NULL);
      if (result == NULL)
        {
          /* One bad entry: trust none of it. */
          cache->dirty = TRUE;
          return;
        }
      g_hash_table_replace (results, result->path, result);
    }
  g_hash_table_unref (cache->results);
  cache->results = g_steal_pointer (&results);
}

OxpRegistryCache *
_oxp_registry_cache_open (void)
{
  const char *env = g_getenv ("OXPORT_REGISTRY_CACHE");
  OxpRegistryCache *cache;

  if (env != NULL && (strcmp (env, "0") == 0 || g_ascii_strcasecmp (env, "no") == 0))
    return NULL;
  cache = g_new0 (OxpRegistryCache, 1);
  cache->file = g_build_filename (g_get_user_cache_dir (), "oxport-" OXP_API_VERSION_S,
                                  "registry.cache", NULL);
  cache->results = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify)_oxp_scan_result_free);
  cache_read (cache);
  return cache;
}

void
_oxp_registry_cache_free (OxpRegistryCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->results);
  g_free (cache->file);
  g_free (cache);
}

const OxpScanResult *
_oxp_registry_cache_lookup (OxpRegistryCache *cache, const char *path, guint64 size,
                            gint64 mtime_ns)
{
  const OxpScanResult *result = g_hash_table_lookup (cache->results, path);

  if (result == NULL || result->size != size || result->mtime_ns != mtime_ns)
    return NULL;
  return result;
}

void
_oxp_registry_cache_take (OxpRegistryCache *cache, OxpScanResult *result)
{
  g_hash_table_replace (cache->results, result->path, result);
  cache->dirty = TRUE;
}

void
_oxp_registry_cache_save (OxpRegistryCache *cache)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GPtrArray) paths = NULL;
  g_autofree char *abi = abi_key ();
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  guint n = 0;
  gsize len = 0;

  if (cache == NULL || !cache->dirty)
    return;
  g_key_file_set_integer (kf, CACHE_HEADER, "format", CACHE_FORMAT);
  g_key_file_set_string (kf, CACHE_HEADER, "abi", abi);
  paths = g_ptr_array_new ();
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, cache->results);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (paths, key);
  }
  g_ptr_array_sort (paths, (GCompareFunc)g_strcmp0);
  for (guint i = 0; i < paths->len; i++)
    {
      const OxpScanResult *result = g_hash_table_lookup (cache->results, paths->pdata[i]);
      g_autofree char *group = NULL;
      guint64 size;
      gint64 mtime_ns;

      /* Entries of removed or changed files go. */
      if (!_oxp_plugin_file_check (result->path, &size, &mtime_ns, NULL) || size != result->size
          || mtime_ns != result->mtime_ns)
        continue;
      group = g_strdup_printf ("plugin %u", n++);
      scan_result_to_key_file (result, kf, group);
    }
  dir = g_path_get_dirname (cache->file);
  data = g_key_file_to_data (kf, &len, NULL);
  /* Best effort: without a cache the next run scans again. */
  if (g_mkdir_with_parents (dir, 0700) == 0
      && g_file_set_contents_full (cache->file, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0644, NULL))
    cache->dirty = FALSE;
}
