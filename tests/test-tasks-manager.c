/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OxpTasksManager and plugin loading, with real modules from tests/plugins:
 * one good plugin and one broken module per failure mode. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>

#include <oxport/oxport.h>

#include "oxp-test-utils.h"

/* ---- helpers ---------------------------------------------------------- */

/* A config.json with what the default outputs of every test task need. */
#define TEST_CONFIG_KEYS                                                                           \
  "\"vocab_size\": 32, \"hidden_size\": 8, \"num_attention_heads\": 2, "                           \
  "\"num_hidden_layers\": 1, \"num_labels\": 3, \"intermediate_size\": 16"

static char *
built_dir (const char *kind)
{
  return g_test_build_filename (G_TEST_BUILT, "plugins", kind, ".libs", NULL);
}

static char *
built_plugin (const char *kind, const char *name)
{
  g_autofree char *file = g_strdup_printf ("oxport-%s.so", name);

  return g_test_build_filename (G_TEST_BUILT, "plugins", kind, ".libs", file, NULL);
}

static char *
notso_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "plugins", "notso", NULL);
}

static OxpTasksManager *
manager_with_good (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *good = built_plugin ("good", "good");
  g_autoptr (GError) error = NULL;

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, good, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&manager);
}

/* The one rejection of @manager; checks its code and that the text is
 * "path: reason" for @path. */
static const char *
assert_single_rejection (OxpTasksManager *manager, const char *path, int code)
{
  GPtrArray *rejections = oxp_tasks_manager_get_rejections (manager);
  GPtrArray *errors = oxp_tasks_manager_get_rejection_errors (manager);
  const char *text;
  g_autofree char *prefix = g_strconcat (path, ": ", NULL);

  g_assert_cmpuint (rejections->len, ==, 1);
  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_error ((GError *)g_ptr_array_index (errors, 0), OXP_PLUGIN_ERROR, code);
  text = g_ptr_array_index (rejections, 0);
  g_assert_true (g_str_has_prefix (text, prefix));
  return text;
}

/* Index of the rejection mentioning @needle, asserting it exists with @code. */
static void
assert_rejected_with (OxpTasksManager *manager, const char *needle, int code)
{
  GPtrArray *rejections = oxp_tasks_manager_get_rejections (manager);
  GPtrArray *errors = oxp_tasks_manager_get_rejection_errors (manager);

  for (guint i = 0; i < rejections->len; i++)
    if (strstr (g_ptr_array_index (rejections, i), needle) != NULL)
      {
        g_assert_error ((GError *)g_ptr_array_index (errors, i), OXP_PLUGIN_ERROR, code);
        return;
      }
  g_error ("no rejection mentions '%s'", needle);
}

static JsonObject *
json_config (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* After a rejection the registry keeps working: the good plugin loads and
 * its configs are created. */
static void
assert_core_usable (OxpTasksManager *manager)
{
  g_autofree char *good = built_plugin ("good", "good");
  g_autoptr (JsonObject) config
      = json_config ("{\"model_type\": \"oxptest\", " TEST_CONFIG_KEYS "}");
  g_autoptr (OxpOnnxConfig) onnx_config = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, good, &error));
  g_assert_no_error (error);
  onnx_config = oxp_tasks_manager_create_config (manager, "oxptest-decoder", "text-generation",
                                                 config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (onnx_config);
  g_assert_cmpstr (oxp_onnx_config_get_task (onnx_config), ==, "text-generation");
}

static void
assert_model_types (OxpPlugin *plugin, const char *const *expected)
{
  g_assert_cmpstrv (oxp_plugin_get_model_types (plugin), expected);
}

/* ---- loading ---------------------------------------------------------- */

static void
test_load_good (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autofree char *good = built_plugin ("good", "good");
  GPtrArray *plugins = oxp_tasks_manager_get_plugins (manager);
  g_autoptr (GPtrArray) types = oxp_tasks_manager_list_model_types (manager);
  const char *const expected_types[] = {
    "oxptest", "oxptest-decoder", "oxptest-seq2seq", "oxptest-speech", NULL,
  };
  const char *const sorted[] = {
    "oxptest",
    "oxptest-decoder",
    "oxptest-seq2seq",
    "oxptest-speech",
  };
  OxpPlugin *plugin;

  g_assert_cmpuint (plugins->len, ==, 1);
  plugin = g_ptr_array_index (plugins, 0);
  g_assert_cmpstr (oxp_plugin_get_name (plugin), ==, "good");
  g_assert_cmpstr (oxp_plugin_get_description (plugin), ==, "Test configs for the registry tests");
  g_assert_cmpstr (oxp_plugin_get_version (plugin), ==, "1.2.3");
  g_assert_cmpstr (oxp_plugin_get_license (plugin), ==, "LGPL-2.1-or-later");
  g_assert_cmpstr (oxp_plugin_get_filename (plugin), ==, good);
  assert_model_types (plugin, expected_types);
  g_assert_cmpuint (oxp_tasks_manager_get_rejections (manager)->len, ==, 0);

  g_assert_cmpuint (types->len, ==, G_N_ELEMENTS (sorted));
  for (guint i = 0; i < types->len; i++)
    g_assert_cmpstr (g_ptr_array_index (types, i), ==, sorted[i]);
  g_assert_true (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest-speech") == plugin);
  g_assert_null (oxp_tasks_manager_get_plugin_for_model_type (manager, "bert"));
  g_assert_cmpstr (g_type_name (oxp_tasks_manager_get_config_type (manager, "oxptest")), ==,
                   "OxpTestGoodConfig");
  g_assert_true (oxp_tasks_manager_get_config_type (manager, "nope") == G_TYPE_INVALID);

  /* Loading the same file again changes nothing. */
  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, good, NULL));
  g_assert_cmpuint (plugins->len, ==, 1);
  g_assert_cmpuint (oxp_tasks_manager_get_rejections (manager)->len, ==, 0);
}

/* The descriptor symbol comes from the file name: "lib" and "oxport-" are
 * dropped, and a renamed module no longer finds its descriptor. */
static void
test_load_file_names (void)
{
  g_autofree char *good = built_plugin ("good", "good");
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-names-XXXXXX");
  g_autofree char *lib_name = g_build_filename (dir, "liboxport-good.so", NULL);
  g_autofree char *renamed = g_build_filename (dir, "oxport-renamed.so", NULL);
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autoptr (OxpTasksManager) manager2 = oxp_tasks_manager_new ();
  g_autoptr (GError) error = NULL;
  const char *text;

  g_assert_cmpint (symlink (good, lib_name), ==, 0);
  g_assert_cmpint (symlink (good, renamed), ==, 0);

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, lib_name, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (
      oxp_plugin_get_name (g_ptr_array_index (oxp_tasks_manager_get_plugins (manager), 0)), ==,
      "good");

  g_assert_false (oxp_tasks_manager_load_plugin_file (manager2, renamed, &error));
  g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_NO_DESCRIPTOR);
  text = assert_single_rejection (manager2, renamed, OXP_PLUGIN_ERROR_NO_DESCRIPTOR);
  g_assert_nonnull (strstr (text, "oxp_plugin_renamed_desc"));
}

/* Two files of one plugin name: the second is refused before it is opened. */
static void
test_load_same_name (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autofree char *good = built_plugin ("good", "good");
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-samename-XXXXXX");
  g_autofree char *other = g_build_filename (dir, "oxport-good.so", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (symlink (good, other), ==, 0);
  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, other, &error));
  g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_DUPLICATE);
  assert_single_rejection (manager, other, OXP_PLUGIN_ERROR_DUPLICATE);
  g_assert_cmpuint (oxp_tasks_manager_get_plugins (manager)->len, ==, 1);
}

/* ---- failure modes ---------------------------------------------------- */

typedef struct
{
  const char *kind;     /* directory under tests/plugins */
  const char *name;     /* oxport-NAME.so */
  int code;             /* expected OxpPluginError */
  const char *mention;  /* text the reason must contain */
  const char *init_env; /* set by the plugin's init if it ever ran */
} RejectCase;

static const RejectCase reject_cases[] = {
  { "notso", "notso", OXP_PLUGIN_ERROR_MODULE,
    "not a loadable module: not a shared object (no ELF header)", NULL },
  { "broken", "nodesc", OXP_PLUGIN_ERROR_NO_DESCRIPTOR, "oxp_plugin_nodesc_desc", NULL },
  { "broken", "abimajor", OXP_PLUGIN_ERROR_ABI, "ABI 2.0", "OXP_TEST_ABIMAJOR_INIT_RAN" },
  { "broken", "abiminor", OXP_PLUGIN_ERROR_ABI, "ABI 1.1", "OXP_TEST_ABIMINOR_INIT_RAN" },
  { "broken", "badname", OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR, "'othername'",
    "OXP_TEST_BADNAME_INIT_RAN" },
  { "broken", "noinit", OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR, "no init function", NULL },
  { "broken", "initfail", OXP_PLUGIN_ERROR_INIT, "the test plugin refuses to initialise", NULL },
};

static void
test_reject_file (gconstpointer data)
{
  const RejectCase *c = data;
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  const char *text;

  if (strcmp (c->kind, "notso") == 0)
    path = g_test_build_filename (G_TEST_DIST, "plugins", "notso", "oxport-notso.so", NULL);
  else
    path = built_plugin (c->kind, c->name);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, path, &error));
  g_assert_error (error, OXP_PLUGIN_ERROR, c->code);
  g_assert_nonnull (strstr (error->message, path));
  text = assert_single_rejection (manager, path, c->code);
  g_assert_nonnull (strstr (text, c->mention));
  g_assert_cmpuint (oxp_tasks_manager_get_plugins (manager)->len, ==, 0);
  if (c->init_env != NULL)
    g_assert_null (g_getenv (c->init_env));

  assert_core_usable (manager);
  g_assert_cmpuint (oxp_tasks_manager_get_plugins (manager)->len, ==, 1);
}

/* A file that is not there is rejected with the system's reason. */
static void
test_reject_missing_file (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autoptr (GError) error = NULL;
  const char *path = "/nonexistent/oxport-missing.so";
  const char *text;

  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, path, &error));
  g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_MODULE);
  text = assert_single_rejection (manager, path, OXP_PLUGIN_ERROR_MODULE);
  g_assert_nonnull (strstr (text, "No such file or directory"));
}

/* A failed init discards what the plugin registered before failing. */
static void
test_reject_init_discards (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *path = built_plugin ("broken", "initfail");
  g_autoptr (GPtrArray) types = NULL;

  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, path, NULL));
  g_assert_null (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest-initfail"));
  types = oxp_tasks_manager_list_model_types (manager);
  g_assert_cmpuint (types->len, ==, 0);
}

static void
test_reject_bad_type (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *path = built_plugin ("broken", "badtype");
  const char *const accepted[] = { "oxptest-badtype-ok", NULL };
  GPtrArray *rejections = oxp_tasks_manager_get_rejections (manager);
  g_autoptr (GError) error = NULL;

  /* The plugin loads; only its bad registrations are refused. */
  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, path, &error));
  g_assert_no_error (error);
  assert_model_types (g_ptr_array_index (oxp_tasks_manager_get_plugins (manager), 0), accepted);
  g_assert_cmpuint (rejections->len, ==, 3);
  for (guint i = 0; i < rejections->len; i++)
    g_assert_true (g_str_has_prefix (g_ptr_array_index (rejections, i), path));
  assert_rejected_with (manager, "'GObject' is not a subtype of OxpOnnxConfig",
                        OXP_PLUGIN_ERROR_BAD_TYPE);
  assert_rejected_with (manager, "'OxpOnnxConfig' is abstract", OXP_PLUGIN_ERROR_BAD_TYPE);
  assert_rejected_with (manager, "'use-past'", OXP_PLUGIN_ERROR_BAD_TYPE);
  g_assert_true (oxp_tasks_manager_get_config_type (manager, "oxptest-notaconfig")
                 == G_TYPE_INVALID);
  g_assert_true (oxp_tasks_manager_get_config_type (manager, "oxptest-abstract") == G_TYPE_INVALID);
  g_assert_true (oxp_tasks_manager_get_config_type (manager, "oxptest-nopast") == G_TYPE_INVALID);
  assert_core_usable (manager);
}

static void
test_reject_duplicate (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autofree char *good = built_plugin ("good", "good");
  g_autofree char *dup = built_plugin ("broken", "dup");
  g_autoptr (GError) error = NULL;
  const char *const dup_types[] = { "oxptest-dup-only", NULL };
  GPtrArray *plugins = oxp_tasks_manager_get_plugins (manager);
  g_autoptr (GPtrArray) tasks = NULL;
  g_autofree char *expected = NULL;

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, dup, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (plugins->len, ==, 2);
  assert_model_types (g_ptr_array_index (plugins, 1), dup_types);
  /* First wins. */
  g_assert_true (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest")
                 == g_ptr_array_index (plugins, 0));
  tasks = oxp_tasks_manager_get_supported_tasks (manager, "oxptest", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tasks->len, ==, 6);
  /* The second is reported, naming the winner. */
  g_assert_cmpuint (oxp_tasks_manager_get_rejections (manager)->len, ==, 2);
  expected
      = g_strdup_printf ("model type 'oxptest' is already registered by plugin 'good' (%s)", good);
  assert_rejected_with (manager, expected, OXP_PLUGIN_ERROR_DUPLICATE);
  assert_rejected_with (manager, "registers model type 'oxptest-dup-only' twice",
                        OXP_PLUGIN_ERROR_DUPLICATE);
  g_assert_true (
      g_str_has_prefix (g_ptr_array_index (oxp_tasks_manager_get_rejections (manager), 0), dup));
}

static void
test_reject_unknown_task (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *path = built_plugin ("broken", "unknowntask");
  g_autoptr (GPtrArray) tasks = NULL;
  g_autoptr (GError) error = NULL;
  const char *text;

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, path, &error));
  g_assert_no_error (error);
  text = assert_single_rejection (manager, path, OXP_PLUGIN_ERROR_UNKNOWN_TASK);
  g_assert_nonnull (strstr (text, "'teleportation' is not a known task name"));
  g_assert_null (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest-unknowntask"));
  /* A synonym in a registration is folded to its canonical name. */
  tasks = oxp_tasks_manager_get_supported_tasks (manager, "oxptest-knowntask", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tasks->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (tasks, 0), ==, "fill-mask");
  assert_core_usable (manager);
}

/* Every broken module at once, scanned like a plugin path: each is reported,
 * nothing takes the registry down. */
static void
test_reject_all_scanned (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *broken = built_dir ("broken");
  g_autofree char *notso = notso_dir ();
  g_autofree char *good = built_dir ("good");
  const char *dirs[] = { broken, notso, good, NULL };
  const char *const loaded[] = { "badtype", "chatty", "crashgraph", "dup", "unknowntask", "good" };
  GPtrArray *plugins = oxp_tasks_manager_get_plugins (manager);
  g_autoptr (GError) error = NULL;

  g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (plugins->len, ==, G_N_ELEMENTS (loaded));
  for (guint i = 0; i < plugins->len; i++)
    g_assert_cmpstr (oxp_plugin_get_name (g_ptr_array_index (plugins, i)), ==, loaded[i]);
  /* abimajor, abiminor, badname, 3 × badtype, dup, initfail, nodesc, noinit,
   * unknowntask, notso, and good's "oxptest" (dup was first); then the ones
   * that would take the process down: abort, ctor, duptype, exit, hang,
   * segv. */
  g_assert_cmpuint (oxp_tasks_manager_get_rejections (manager)->len, ==, 19);
  /* Its stdout did not garble the scanner's reply. */
  g_assert_nonnull (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest-chatty"));
  assert_rejected_with (manager, "oxport-segv.so: ", OXP_PLUGIN_ERROR_CRASHED);
  assert_rejected_with (manager, "oxport-hang.so: ", OXP_PLUGIN_ERROR_TIMEOUT);
  /* Scanned after dup in the same helper process: caught there. */
  assert_rejected_with (manager, "cannot register existing type 'OxpTestDupConfig'",
                        OXP_PLUGIN_ERROR_TYPE_CONFLICT);
  assert_rejected_with (manager, "oxport-notso.so: not a loadable module", OXP_PLUGIN_ERROR_MODULE);
  assert_rejected_with (manager, "oxport-nodesc.so: ", OXP_PLUGIN_ERROR_NO_DESCRIPTOR);
  assert_rejected_with (manager, "oxport-abimajor.so: ", OXP_PLUGIN_ERROR_ABI);
  assert_rejected_with (manager, "oxport-initfail.so: ", OXP_PLUGIN_ERROR_INIT);
  assert_rejected_with (manager, "already registered by plugin 'dup'", OXP_PLUGIN_ERROR_DUPLICATE);
  g_assert_cmpstr (
      oxp_plugin_get_name (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest")), ==,
      "dup");
  assert_core_usable (manager);
}

/* ---- the scanner process ------------------------------------------------ */

typedef struct
{
  const char *name;    /* tests/plugins/broken/oxport-NAME.so */
  int code;            /* expected OxpPluginError */
  const char *mention; /* text the reason must contain */
} ScanCase;

static const ScanCase scan_cases[] = {
  { "segv", OXP_PLUGIN_ERROR_CRASHED, "crashed the plugin scanner with signal 11" },
  { "abort", OXP_PLUGIN_ERROR_CRASHED, "crashed the plugin scanner with signal 6" },
  { "exit", OXP_PLUGIN_ERROR_CRASHED, "(exit status 0: the plugin called exit())" },
  { "hang", OXP_PLUGIN_ERROR_TIMEOUT, "did not finish within 1 s" },
  { "ctor", OXP_PLUGIN_ERROR_CRASHED, "crashed the plugin scanner with signal 11" },
};

/* Each would kill or hang this test program if it were loaded here. */
static void
test_scan_survives (gconstpointer data)
{
  const ScanCase *c = data;
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *path = built_plugin ("broken", c->name);
  g_autoptr (GError) error = NULL;
  const char *text;

  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, path, &error));
  g_assert_error (error, OXP_PLUGIN_ERROR, c->code);
  text = assert_single_rejection (manager, path, c->code);
  g_assert_nonnull (strstr (text, c->mention));
  g_assert_cmpuint (oxp_tasks_manager_get_plugins (manager)->len, ==, 0);
  /* The helper is started again for the next file. */
  assert_core_usable (manager);
}

/* A FIFO named like a module is refused without blocking on it. */
static void
test_scan_fifo (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-fifo-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "oxport-fifo.so", NULL);
  const char *dirs[] = { dir, NULL };
  const char *text;

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, NULL));
  text = assert_single_rejection (manager, path, OXP_PLUGIN_ERROR_MODULE);
  g_assert_nonnull (strstr (text, "a FIFO, not a regular file"));
  /* The in-process path refuses it too. */
  g_setenv ("OXPORT_SCAN_IN_PROCESS", "1", TRUE);
  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, path, NULL));
  g_unsetenv ("OXPORT_SCAN_IN_PROCESS");
}

/* Another plugin's GType name, met by this manager after a separate scan
 * (a new helper per call): refused here before it is ever loaded. */
static void
test_scan_duplicate_type (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *dup = built_plugin ("broken", "dup");
  g_autofree char *duptype = built_plugin ("broken", "duptype");
  g_autoptr (GError) error = NULL;

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, dup, NULL));
  g_assert_false (oxp_tasks_manager_load_plugin_file (manager, duptype, &error));
  g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_TYPE_CONFLICT);
  g_assert_nonnull (strstr (error->message, "'OxpTestDupConfig'"));
  g_assert_nonnull (strstr (error->message, dup));
  g_assert_null (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest-duptype"));
  g_assert_cmpstr (g_type_name (oxp_tasks_manager_get_config_type (manager, "oxptest-dup-only")),
                   ==, "OxpTestDupConfig");
}

/* A plugin's code is loaded into the process only when one of its config
 * types is needed. */
static void
test_scan_lazy (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  OxpPlugin *plugin = g_ptr_array_index (oxp_tasks_manager_get_plugins (manager), 0);
  g_autoptr (GPtrArray) tasks = NULL;

  tasks = oxp_tasks_manager_get_supported_tasks (manager, "oxptest", NULL);
  g_assert_cmpuint (tasks->len, ==, 6);
  g_assert_false (oxp_plugin_is_loaded (plugin));
  g_assert_true (oxp_tasks_manager_get_config_type (manager, "oxptest") != G_TYPE_INVALID);
  g_assert_true (oxp_plugin_is_loaded (plugin));

  /* OXPORT_SCAN_IN_PROCESS=1: loaded at once. */
  g_setenv ("OXPORT_SCAN_IN_PROCESS", "1", TRUE);
  {
    g_autoptr (OxpTasksManager) here = manager_with_good ();

    g_assert_true (
        oxp_plugin_is_loaded (g_ptr_array_index (oxp_tasks_manager_get_plugins (here), 0)));
  }
  g_unsetenv ("OXPORT_SCAN_IN_PROCESS");
}

/* Whether @path is answered from the cache: with no scanner to run, a
 * miss falls back on loading in this process. */
static gboolean
loads_from_cache (const char *path)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  g_autofree char *scanner = g_strdup (g_getenv ("OXPORT_PLUGIN_SCANNER"));
  OxpPlugin *plugin;

  g_setenv ("OXPORT_PLUGIN_SCANNER", "/nonexistent/oxport-plugin-scanner", TRUE);
  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, path, NULL));
  if (scanner != NULL)
    g_setenv ("OXPORT_PLUGIN_SCANNER", scanner, TRUE);
  else
    g_unsetenv ("OXPORT_PLUGIN_SCANNER");
  plugin = g_ptr_array_index (oxp_tasks_manager_get_plugins (manager), 0);
  return !oxp_plugin_is_loaded (plugin);
}

/* Scans @path with the real helper, which caches the result. */
static void
scan (const char *path)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();

  g_assert_true (oxp_tasks_manager_load_plugin_file (manager, path, NULL));
  g_assert_false (
      oxp_plugin_is_loaded (g_ptr_array_index (oxp_tasks_manager_get_plugins (manager), 0)));
}

static void
test_scan_cache (void)
{
  /* A copy of a plugin no other test loads into this process: the misses
   * below load it here, and one module of those type names is all a
   * process can hold. */
  g_autofree char *original = built_plugin ("broken", "unknowntask");
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-cache-XXXXXX");
  g_autofree char *copy = g_build_filename (dir, "oxport-unknowntask.so", NULL);
  g_autofree char *cache
      = g_build_filename (g_get_user_cache_dir (), "oxport-1.0", "registry.cache", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
  gsize len = 0;

  g_assert_true (g_file_get_contents (original, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (copy, contents, (gssize)len, NULL));
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));

  scan (copy);
  g_assert_true (g_file_get_contents (cache, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, copy));
  g_assert_true (loads_from_cache (copy));

  /* A new mtime is a miss. */
  g_assert_cmpint (utimensat (AT_FDCWD, copy, times, 0), ==, 0);
  g_assert_false (loads_from_cache (copy));
  scan (copy);
  g_assert_true (loads_from_cache (copy));

  /* Disabled, it is not read. */
  g_setenv ("OXPORT_REGISTRY_CACHE", "0", TRUE);
  g_assert_false (loads_from_cache (copy));
  g_unsetenv ("OXPORT_REGISTRY_CACHE");

  /* Damaged: ignored, then rewritten. */
  g_assert_true (
      g_file_set_contents (cache, "[oxport registry]\nformat=1\n[plugin 0]\npath=", -1, NULL));
  g_assert_false (loads_from_cache (copy));
  scan (copy);
  g_assert_true (loads_from_cache (copy));
}

/* A program's own handler, installed before plugin code runs, as an
 * exporter's cleanup would be. */
static void
cleanup_handler (int sig)
{
  static const char message[] = "cleanup ran\n";

  if (write (STDERR_FILENO, message, sizeof message - 1) < 0)
    _exit (99);
  signal (sig, SIG_DFL);
  raise (sig);
}

/* A crash in plugin code names the plugin, then the program's handler
 * still runs, and the process dies by the signal. */
static void
test_crash_report (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
      g_autofree char *path = built_plugin ("broken", "crashgraph");
      g_autoptr (JsonObject) config = json_config (
          "{\"model_type\": \"oxptest-crashgraph\", \"type_vocab_size\": 2, " TEST_CONFIG_KEYS "}");
      g_autoptr (OxpOnnxConfig) onnx_config = NULL;
      g_autoptr (GError) error = NULL;

      /* As the oxport command does: asked for first, the program's
       * cleanup installed later, the plugin loaded after that. */
      oxp_plugin_install_crash_handler ();
      g_assert_true (oxp_tasks_manager_load_plugin_file (manager, path, NULL));
      signal (SIGSEGV, cleanup_handler);
      onnx_config
          = oxp_tasks_manager_create_config (manager, NULL, "feature-extraction", config, &error);
      g_assert_no_error (error);
      OXP_ONNX_CONFIG_GET_CLASS (onnx_config)->build_graph (onnx_config, NULL, NULL, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*fatal SIGSEGV*plugin 'crashgraph' (*oxport-crashgraph.so)*"
                             "cleanup ran*");
}

/* ---- search order ----------------------------------------------------- */

static char *
dir_with_link (const char *template_name, const char *target, const char *link_name)
{
  char *dir = oxp_test_make_tmpdir (template_name);
  g_autofree char *link = g_build_filename (dir, link_name, NULL);

  g_assert_cmpint (symlink (target, link), ==, 0);
  return dir;
}

static const char *
loaded_from (OxpTasksManager *manager, const char *model_type)
{
  OxpPlugin *plugin = oxp_tasks_manager_get_plugin_for_model_type (manager, model_type);

  g_assert_nonnull (plugin);
  return oxp_plugin_get_filename (plugin);
}

static void
test_search_order (void)
{
  g_autofree char *good = built_plugin ("good", "good");
  g_autofree char *a = dir_with_link ("oxp-a-XXXXXX", good, "oxport-good.so");
  g_autofree char *b = dir_with_link ("oxp-b-XXXXXX", good, "oxport-good.so");
  g_autofree char *a_file = g_build_filename (a, "oxport-good.so", NULL);
  g_autofree char *b_file = g_build_filename (b, "oxport-good.so", NULL);
  g_autofree char *env = NULL;

  /* OXPORT_PLUGIN_PATH in its order; the same file name later is shadowed. */
  env = g_strjoin (":", "", a, "/nonexistent/oxport", b, NULL);
  g_setenv ("OXPORT_PLUGIN_PATH", env, TRUE);
  {
    g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();

    g_assert_true (oxp_tasks_manager_load_plugins (manager, NULL, TRUE, NULL));
    g_assert_cmpuint (oxp_tasks_manager_get_plugins (manager)->len, ==, 1);
    g_assert_cmpstr (loaded_from (manager, "oxptest"), ==, a_file);
    /* A missing directory on the path is not an error. */
    g_assert_cmpuint (oxp_tasks_manager_get_rejections (manager)->len, ==, 0);
  }
  g_free (env);
  env = g_strjoin (":", b, a, NULL);
  g_setenv ("OXPORT_PLUGIN_PATH", env, TRUE);
  {
    g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();

    g_assert_true (oxp_tasks_manager_load_plugins (manager, NULL, TRUE, NULL));
    g_assert_cmpstr (loaded_from (manager, "oxptest"), ==, b_file);
  }
  /* Command-line directories come before the environment. */
  {
    g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
    const char *dirs[] = { a, NULL };

    g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, NULL));
    g_assert_cmpuint (oxp_tasks_manager_get_plugins (manager)->len, ==, 1);
    g_assert_cmpstr (loaded_from (manager, "oxptest"), ==, a_file);
  }
  g_unsetenv ("OXPORT_PLUGIN_PATH");
}

/* Different plugins claiming one model type: the search order decides. */
static void
test_search_order_duplicate (void)
{
  g_autofree char *good = built_plugin ("good", "good");
  g_autofree char *dup = built_plugin ("broken", "dup");
  g_autofree char *g = dir_with_link ("oxp-g-XXXXXX", good, "oxport-good.so");
  g_autofree char *d = dir_with_link ("oxp-d-XXXXXX", dup, "oxport-dup.so");

  g_unsetenv ("OXPORT_PLUGIN_PATH");
  {
    g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
    const char *dirs[] = { g, d, NULL };

    g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, NULL));
    g_assert_cmpstr (
        oxp_plugin_get_name (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest")), ==,
        "good");
  }
  {
    g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
    const char *dirs[] = { d, g, NULL };

    g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, NULL));
    g_assert_cmpstr (
        oxp_plugin_get_name (oxp_tasks_manager_get_plugin_for_model_type (manager, "oxptest")), ==,
        "dup");
    assert_rejected_with (manager, "already registered by plugin 'dup'",
                          OXP_PLUGIN_ERROR_DUPLICATE);
  }
}

/* Files load in name order within a directory; other files are ignored. */
static void
test_search_sorted (void)
{
  g_autofree char *dir = oxp_test_make_tmpdir ("oxp-sorted-XXXXXX");
  const char *names[] = { "unknowntask", "badtype", "dup" };
  const char *sorted[] = { "badtype", "dup", "unknowntask" };
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  const char *dirs[] = { dir, NULL };
  g_autofree char *readme = g_build_filename (dir, "README.txt", NULL);
  GPtrArray *plugins;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *target = built_plugin ("broken", names[i]);
      g_autofree char *file = g_strdup_printf ("oxport-%s.so", names[i]);
      g_autofree char *link = g_build_filename (dir, file, NULL);

      g_assert_cmpint (symlink (target, link), ==, 0);
    }
  g_assert_true (g_file_set_contents (readme, "not a plugin", -1, NULL));
  g_unsetenv ("OXPORT_PLUGIN_PATH");
  g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, NULL));
  plugins = oxp_tasks_manager_get_plugins (manager);
  g_assert_cmpuint (plugins->len, ==, G_N_ELEMENTS (sorted));
  for (guint i = 0; i < plugins->len; i++)
    g_assert_cmpstr (oxp_plugin_get_name (g_ptr_array_index (plugins, i)), ==, sorted[i]);
}

/* A directory the user named but that cannot be read is reported. */
static void
test_search_missing_explicit (void)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  const char *dirs[] = { "/nonexistent/oxport-plugins", NULL };

  g_unsetenv ("OXPORT_PLUGIN_PATH");
  g_assert_true (oxp_tasks_manager_load_plugins (manager, dirs, TRUE, NULL));
  assert_single_rejection (manager, "/nonexistent/oxport-plugins", OXP_PLUGIN_ERROR_MODULE);
}

/* ---- task names ------------------------------------------------------- */

typedef struct
{
  const char *name;
  const char *canonical;
} SynonymCase;

static const SynonymCase synonym_cases[] = {
  /* Old names (optimum ≤ 1.8, transformers.onnx features). */
  { "default", "feature-extraction" },
  { "default-with-past", "feature-extraction-with-past" },
  { "causal-lm", "text-generation" },
  { "causal-lm-with-past", "text-generation-with-past" },
  { "seq2seq-lm", "text2text-generation" },
  { "seq2seq-lm-with-past", "text2text-generation-with-past" },
  { "sequence-classification", "text-classification" },
  { "masked-lm", "fill-mask" },
  { "speech2seq-lm", "automatic-speech-recognition" },
  { "speech2seq-lm-with-past", "automatic-speech-recognition-with-past" },
  { "vision2seq-lm", "image-to-text" },
  { "vision2seq-lm-with-past", "image-to-text-with-past" },
  /* The rest of optimum's _SYNONYM_TASK_MAP. */
  { "audio-ctc", "automatic-speech-recognition" },
  { "mask-generation", "feature-extraction" },
  { "sentence-similarity", "feature-extraction" },
  { "image-feature-extraction", "feature-extraction" },
  { "pretraining", "feature-extraction" },
  { "summarization", "text2text-generation" },
  { "translation", "text2text-generation" },
  { "text-to-speech", "text-to-audio" },
  { "zero-shot-classification", "text-classification" },
  { "stable-diffusion", "text-to-image" },
  /* Current names map to themselves. */
  { "feature-extraction", "feature-extraction" },
  { "feature-extraction-with-past", "feature-extraction-with-past" },
  { "text-generation", "text-generation" },
  { "text-generation-with-past", "text-generation-with-past" },
  { "text2text-generation-with-past", "text2text-generation-with-past" },
  { "fill-mask", "fill-mask" },
  { "text-classification", "text-classification" },
  { "token-classification", "token-classification" },
  { "question-answering", "question-answering" },
  { "multiple-choice", "multiple-choice" },
  { "image-classification", "image-classification" },
  { "automatic-speech-recognition", "automatic-speech-recognition" },
  { "automatic-speech-recognition-with-past", "automatic-speech-recognition-with-past" },
  /* Unknown, or "-with-past" where no past exists. */
  { "teleportation", NULL },
  { "", NULL },
  { "-with-past", NULL },
  { "fill-mask-with-past", NULL },
  { "masked-lm-with-past", NULL },
  { "text-classification-with-past", NULL },
  { "Text-Generation", NULL },
};

static void
test_task_synonyms (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (synonym_cases); i++)
    {
      const SynonymCase *c = &synonym_cases[i];
      const char *canonical = oxp_tasks_manager_canonical_task (c->name);

      g_test_message ("%s → %s", c->name, c->canonical ? c->canonical : "(unknown)");
      g_assert_cmpstr (canonical, ==, c->canonical);
      g_assert_true (oxp_tasks_manager_is_known_task (c->name)
                     == (c->canonical != NULL && strcmp (c->name, c->canonical) == 0));
    }
  g_assert_null (oxp_tasks_manager_canonical_task (NULL));
}

static void
test_task_lists (void)
{
  const char *const *known = oxp_tasks_manager_list_known_tasks ();
  g_auto (GStrv) synonyms = oxp_tasks_manager_dup_task_synonyms ("text2text-generation-with-past");
  g_auto (GStrv) none = oxp_tasks_manager_dup_task_synonyms ("teleportation");
  const char *const expected[]
      = { "seq2seq-lm-with-past", "summarization-with-past", "translation-with-past", NULL };
  guint n = 0;

  for (; known[n] != NULL; n++)
    {
      g_assert_true (oxp_tasks_manager_is_known_task (known[n]));
      if (n > 0)
        g_assert_cmpint (strcmp (known[n - 1], known[n]), <, 0);
    }
  g_assert_cmpuint (n, >=, 25);
  g_assert_true (g_strv_contains (known, "text2text-generation"));
  g_assert_false (g_strv_contains (known, "causal-lm"));
  g_assert_cmpstrv (synonyms, expected);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

/* ---- queries and configs ---------------------------------------------- */

static void
test_query_supported_tasks (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tasks = NULL;
  g_autoptr (GPtrArray) archs = NULL;
  g_autoptr (GPtrArray) none = NULL;
  /* Registered with the old names: stored canonical, in order. */
  const char *const expected[]
      = { "feature-extraction", "feature-extraction-with-past", "text-generation",
          "text-generation-with-past", "text-classification" };

  tasks = oxp_tasks_manager_get_supported_tasks (manager, "oxptest-decoder", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tasks->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < tasks->len; i++)
    g_assert_cmpstr (g_ptr_array_index (tasks, i), ==, expected[i]);

  archs = oxp_tasks_manager_get_architectures (manager, "oxptest-decoder", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (archs->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (archs, 1), ==, "OxpTestDecoderForCausalLM");

  none = oxp_tasks_manager_get_supported_tasks (manager, "bert", &error);
  g_assert_null (none);
  g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE);
  g_assert_nonnull (strstr (error->message, "'bert'"));
  g_assert_nonnull (strstr (error->message, "oxptest-decoder"));
}

typedef struct
{
  const char *model_type;
  const char *task;
  const char *config_task; /* NULL: refused with code */
  gboolean use_past;
  int code;
} CreateCase;

static const CreateCase create_cases[] = {
  { "oxptest", "fill-mask", "fill-mask", FALSE, 0 },
  { "oxptest", "masked-lm", "fill-mask", FALSE, 0 },
  { "oxptest", "default", "feature-extraction", FALSE, 0 },
  { "oxptest", "sequence-classification", "text-classification", FALSE, 0 },
  { "oxptest-decoder", "causal-lm", "text-generation", FALSE, 0 },
  { "oxptest-decoder", "causal-lm-with-past", "text-generation", TRUE, 0 },
  { "oxptest-decoder", "text-generation-with-past", "text-generation", TRUE, 0 },
  { "oxptest-decoder", "default-with-past", "feature-extraction", TRUE, 0 },
  { "oxptest-seq2seq", "seq2seq-lm-with-past", "text2text-generation", TRUE, 0 },
  { "oxptest-seq2seq", "translation", "text2text-generation", FALSE, 0 },
  { "oxptest-speech", "speech2seq-lm-with-past", "automatic-speech-recognition", TRUE, 0 },
  { "oxptest-speech", "audio-ctc", "automatic-speech-recognition", FALSE, 0 },
  { "oxptest", "text-generation", NULL, FALSE, OXP_PLUGIN_ERROR_UNSUPPORTED_TASK },
  { "oxptest", "causal-lm", NULL, FALSE, OXP_PLUGIN_ERROR_UNSUPPORTED_TASK },
  { "oxptest-speech", "text2text-generation", NULL, FALSE, OXP_PLUGIN_ERROR_UNSUPPORTED_TASK },
  { "oxptest", "teleportation", NULL, FALSE, OXP_PLUGIN_ERROR_UNKNOWN_TASK },
  { "oxptest", "fill-mask-with-past", NULL, FALSE, OXP_PLUGIN_ERROR_UNKNOWN_TASK },
  { "bert", "fill-mask", NULL, FALSE, OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE },
};

static void
test_create_config (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autoptr (JsonObject) config
      = json_config ("{\"model_type\": \"oxptest\", " TEST_CONFIG_KEYS "}");

  for (gsize i = 0; i < G_N_ELEMENTS (create_cases); i++)
    {
      const CreateCase *c = &create_cases[i];
      g_autoptr (OxpOnnxConfig) onnx_config = NULL;
      g_autoptr (GError) error = NULL;

      g_test_message ("%s / %s", c->model_type, c->task);
      onnx_config
          = oxp_tasks_manager_create_config (manager, c->model_type, c->task, config, &error);
      if (c->config_task == NULL)
        {
          g_assert_null (onnx_config);
          g_assert_error (error, OXP_PLUGIN_ERROR, c->code);
          /* The message says what would have worked. */
          if (c->code != OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE)
            g_assert_nonnull (strstr (error->message, "supports: ")
                                  ? strstr (error->message, "supports: ")
                                  : strstr (error->message, "supported: "));
          else
            g_assert_nonnull (strstr (error->message, "oxptest-seq2seq"));
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (oxp_onnx_config_get_task (onnx_config), ==, c->config_task);
      g_assert_cmpstr (G_OBJECT_TYPE_NAME (onnx_config), ==,
                       g_type_name (oxp_tasks_manager_get_config_type (manager, c->model_type)));
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (onnx_config), "use-past"))
        {
          gboolean use_past = !c->use_past;

          g_object_get (onnx_config, "use-past", &use_past, NULL);
          g_assert_true (use_past == c->use_past);
        }
      else
        g_assert_false (c->use_past);
    }
}

/* With no model type given, config.json's is used. */
static void
test_create_config_model_type_from_json (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autoptr (JsonObject) config
      = json_config ("{\"model_type\": \"oxptest-seq2seq\", " TEST_CONFIG_KEYS "}");
  g_autoptr (OxpOnnxConfig) onnx_config = NULL;
  g_autoptr (GError) error = NULL;

  onnx_config
      = oxp_tasks_manager_create_config (manager, NULL, "text2text-generation", config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (onnx_config), ==, "OxpTestGoodPastConfig");
}

/* ---- task inference --------------------------------------------------- */

typedef struct
{
  const char *json;
  const char *task; /* NULL: cannot infer */
  const char *mention;
} InferCase;

static const InferCase infer_cases[] = {
  /* Registered model types: the class suffix, checked against what the
   * plugin registered, "-with-past" preferred when registered. */
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestForSequenceClassification\"]}",
    "text-classification", NULL },
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestForTokenClassification\"]}",
    "token-classification", NULL },
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestForQuestionAnswering\"]}",
    "question-answering", NULL },
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestForMultipleChoice\"]}",
    "multiple-choice", NULL },
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestForMaskedLM\"]}", "fill-mask", NULL },
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestModel\"]}", "feature-extraction",
    NULL },
  { "{\"model_type\":\"oxptest-decoder\",\"architectures\":[\"OxpTestDecoderForCausalLM\"]}",
    "text-generation-with-past", NULL },
  { "{\"model_type\":\"oxptest-decoder\",\"architectures\":[\"OxpTestDecoderModel\"]}",
    "feature-extraction-with-past", NULL },
  { "{\"model_type\":\"oxptest-seq2seq\",\"architectures\":"
    "[\"OxpTestSeq2SeqForConditionalGeneration\"]}",
    "text2text-generation-with-past", NULL },
  { "{\"model_type\":\"oxptest-speech\",\"architectures\":"
    "[\"OxpTestSpeechForConditionalGeneration\"]}",
    "automatic-speech-recognition-with-past", NULL },
  /* The first class that works wins. */
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestFrobnicator\","
    "\"OxpTestForMaskedLM\"]}",
    "fill-mask", NULL },
  /* No model type: found through the registered architectures. */
  { "{\"architectures\":[\"OxpTestDecoderForSequenceClassification\"]}", "text-classification",
    NULL },
  /* Unregistered model types: the suffix alone (optimum's names). */
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertForSequenceClassification\"]}",
    "text-classification", NULL },
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertForTokenClassification\"]}",
    "token-classification", NULL },
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertForQuestionAnswering\"]}",
    "question-answering", NULL },
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertForMultipleChoice\"]}", "multiple-choice",
    NULL },
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertForMaskedLM\"]}", "fill-mask", NULL },
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertModel\"]}", "feature-extraction", NULL },
  { "{\"model_type\":\"llama\",\"architectures\":[\"LlamaForCausalLM\"]}",
    "text-generation-with-past", NULL },
  { "{\"model_type\":\"gpt2\",\"architectures\":[\"GPT2LMHeadModel\"]}",
    "text-generation-with-past", NULL },
  { "{\"model_type\":\"t5\",\"architectures\":[\"T5ForConditionalGeneration\"]}",
    "text2text-generation-with-past", NULL },
  { "{\"model_type\":\"marian\",\"architectures\":[\"MarianMTModel\"]}",
    "text2text-generation-with-past", NULL },
  { "{\"model_type\":\"whisper\",\"num_mel_bins\":80,\"architectures\":"
    "[\"WhisperForConditionalGeneration\"]}",
    "automatic-speech-recognition-with-past", NULL },
  { "{\"model_type\":\"vit\",\"architectures\":[\"ViTForImageClassification\"]}",
    "image-classification", NULL },
  { "{\"model_type\":\"wav2vec2\",\"architectures\":[\"Wav2Vec2ForCTC\"]}",
    "automatic-speech-recognition", NULL },
  { "{\"model_type\":\"vision-encoder-decoder\",\"architectures\":[\"VisionEncoderDecoderModel\"]}",
    "image-to-text-with-past", NULL },
  /* Failures name the architectures and list the supported tasks. */
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestForCausalLM\"]}", NULL,
    "does not handle 'OxpTestForCausalLM'" },
  { "{\"model_type\":\"oxptest-speech\",\"architectures\":[\"OxpTestSpeechForCausalLM\"]}", NULL,
    "means text-generation, which model type 'oxptest-speech' does not support" },
  { "{\"model_type\":\"oxptest\",\"architectures\":[\"OxpTestFrobnicator\"]}", NULL,
    "'OxpTestFrobnicator' names no known head" },
  { "{\"model_type\":\"oxptest\"}", NULL, "no \"architectures\"" },
  { "{\"model_type\":\"oxptest\",\"architectures\":[]}", NULL, "no \"architectures\"" },
  { "{\"model_type\":\"bert\",\"architectures\":[\"BertFrobnicator\"]}", NULL,
    "no plugin handles this model type" },
};

static void
test_infer_task (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();

  for (gsize i = 0; i < G_N_ELEMENTS (infer_cases); i++)
    {
      const InferCase *c = &infer_cases[i];
      g_autoptr (JsonObject) config = json_config (c->json);
      g_autoptr (GError) error = NULL;
      g_autofree char *task = NULL;

      g_test_message ("%s", c->json);
      task = oxp_tasks_manager_infer_task (manager, config, &error);
      if (c->task != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (task, ==, c->task);
          continue;
        }
      g_assert_null (task);
      g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_CANNOT_INFER_TASK);
      g_assert_nonnull (strstr (error->message, c->mention));
      if (strstr (c->json, "\"oxptest\"") != NULL)
        g_assert_nonnull (
            strstr (error->message, "supported tasks: feature-extraction, fill-mask"));
    }
}

/* The inferred task is one create_config accepts. */
static void
test_infer_then_create (void)
{
  g_autoptr (OxpTasksManager) manager = manager_with_good ();
  g_autoptr (JsonObject) config
      = json_config ("{\"model_type\":\"oxptest-decoder\",\"architectures\":["
                     "\"OxpTestDecoderForCausalLM\"], " TEST_CONFIG_KEYS "}");
  g_autoptr (GError) error = NULL;
  g_autofree char *task = oxp_tasks_manager_infer_task (manager, config, &error);
  g_autoptr (OxpOnnxConfig) onnx_config = NULL;
  g_autoptr (GPtrArray) outputs = NULL;
  gboolean use_past = FALSE;
  gboolean found = FALSE;

  g_assert_no_error (error);
  onnx_config = oxp_tasks_manager_create_config (manager, NULL, task, config, &error);
  g_assert_no_error (error);
  g_object_get (onnx_config, "use-past", &use_past, NULL);
  g_assert_true (use_past);
  /* The core's OxpOnnxConfigWithPast then declares the cache outputs. */
  g_assert_true (OXP_IS_ONNX_CONFIG_WITH_PAST (onnx_config));
  outputs = oxp_onnx_config_get_outputs (onnx_config);
  for (guint i = 0; i < outputs->len; i++)
    if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (outputs, i)), "present.0.key") == 0)
      found = TRUE;
  g_assert_true (found);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* Only the directories each test names: not the real plugins the harness
   * puts on the path, nor installed ones. */
  g_unsetenv ("OXPORT_PLUGIN_PATH");
  g_setenv ("OXPORT_PLUGIN_PATH_ONLY", "1", TRUE);
  /* The hanging test plugin costs this much, each time it is scanned. */
  g_setenv ("OXPORT_PLUGIN_SCAN_TIMEOUT", "1", TRUE);
  g_unsetenv ("OXPORT_SCAN_IN_PROCESS");
  /* For the scanner processes (and subprocesses) of a sanitizer build: a
   * crash stays a signal, exit(0) stays 0. */
  {
    const char *asan = g_getenv ("ASAN_OPTIONS");
    g_autofree char *options = g_strdup_printf ("%s%shandle_segv=0:detect_leaks=0",
                                                asan ? asan : "", asan && *asan ? ":" : "");

    g_setenv ("ASAN_OPTIONS", options, TRUE);
  }

  g_test_add_func ("/oxp/plugin/load/good", test_load_good);
  g_test_add_func ("/oxp/plugin/load/file-names", test_load_file_names);
  g_test_add_func ("/oxp/plugin/load/same-name", test_load_same_name);
  for (gsize i = 0; i < G_N_ELEMENTS (reject_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/oxp/plugin/reject/%s", reject_cases[i].name);

      g_test_add_data_func (path, &reject_cases[i], test_reject_file);
    }
  g_test_add_func ("/oxp/plugin/reject/missing-file", test_reject_missing_file);
  g_test_add_func ("/oxp/plugin/reject/initfail-discards", test_reject_init_discards);
  g_test_add_func ("/oxp/plugin/reject/badtype", test_reject_bad_type);
  g_test_add_func ("/oxp/plugin/reject/duplicate", test_reject_duplicate);
  g_test_add_func ("/oxp/plugin/reject/unknowntask", test_reject_unknown_task);
  g_test_add_func ("/oxp/plugin/reject/all-scanned", test_reject_all_scanned);
  for (gsize i = 0; i < G_N_ELEMENTS (scan_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/oxp/plugin/scanner/%s", scan_cases[i].name);

      g_test_add_data_func (path, &scan_cases[i], test_scan_survives);
    }
  g_test_add_func ("/oxp/plugin/scanner/fifo", test_scan_fifo);
  g_test_add_func ("/oxp/plugin/scanner/duplicate-type", test_scan_duplicate_type);
  g_test_add_func ("/oxp/plugin/scanner/lazy", test_scan_lazy);
  g_test_add_func ("/oxp/plugin/scanner/cache", test_scan_cache);
  g_test_add_func ("/oxp/plugin/crash-report", test_crash_report);
  g_test_add_func ("/oxp/tasks-manager/search/order", test_search_order);
  g_test_add_func ("/oxp/tasks-manager/search/duplicate-order", test_search_order_duplicate);
  g_test_add_func ("/oxp/tasks-manager/search/sorted", test_search_sorted);
  g_test_add_func ("/oxp/tasks-manager/search/missing-explicit", test_search_missing_explicit);
  g_test_add_func ("/oxp/tasks-manager/tasks/synonyms", test_task_synonyms);
  g_test_add_func ("/oxp/tasks-manager/tasks/lists", test_task_lists);
  g_test_add_func ("/oxp/tasks-manager/query/supported-tasks", test_query_supported_tasks);
  g_test_add_func ("/oxp/tasks-manager/query/create-config", test_create_config);
  g_test_add_func ("/oxp/tasks-manager/query/create-config-json-model-type",
                   test_create_config_model_type_from_json);
  g_test_add_func ("/oxp/tasks-manager/infer/table", test_infer_task);
  g_test_add_func ("/oxp/tasks-manager/infer/then-create", test_infer_then_create);

  return g_test_run ();
}
