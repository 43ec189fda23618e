/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "oxp-cli.h"

/* What every command shares: option parsing, plugin loading, error
 * reporting and the formatting of tensor specs. */

/* Set once the command line says --json: errors then also go to stdout,
 * as JSON, so that a script reading stdout always gets one document. */
static gboolean json_errors;

void
oxp_cli_set_json (gboolean json)
{
  json_errors = json;
}

gboolean
oxp_cli_get_json (void)
{
  return json_errors;
}

void
oxp_cli_print_json_error (const char *domain, int code, const char *message, const char *hint,
                          int exit_status)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "domain");
  json_builder_add_string_value (b, domain);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  if (hint != NULL)
    {
      json_builder_set_member_name (b, "hint");
      json_builder_add_string_value (b, hint);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "exit_status");
  json_builder_add_int_value (b, exit_status);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  oxp_cli_print_json (root);
}

void
oxp_cli_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  fflush (stdout);
  fprintf (stderr, "oxport: error: %s\n", message);
}

int
oxp_cli_usage_error (const char *command, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list ap;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  oxp_cli_error ("%s", message);
  fprintf (stderr, "Run “oxport %s --help” for usage.\n", command);
  if (json_errors)
    oxp_cli_print_json_error (g_quark_to_string (G_OPTION_ERROR), G_OPTION_ERROR_BAD_VALUE, message,
                              NULL, OXP_CLI_EXIT_USER);
  return OXP_CLI_EXIT_USER;
}

int
oxp_cli_exit_status_for_error (const GError *error)
{
  if (error == NULL)
    return OXP_CLI_EXIT_INTERNAL;

  /* Problems with what the user gave us: paths, files, options. */
  if (error->domain == G_OPTION_ERROR || error->domain == G_FILE_ERROR
      || error->domain == G_IO_ERROR || error->domain == JSON_PARSER_ERROR
      || error->domain == OXP_CHECKPOINT_ERROR || error->domain == OXP_CONFIG_ERROR
      || error->domain == OXP_VALIDATION_ERROR)
    return OXP_CLI_EXIT_USER;

  if (error->domain == OXP_PLUGIN_ERROR)
    switch ((OxpPluginError)error->code)
      {
      case OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE:
      case OXP_PLUGIN_ERROR_UNSUPPORTED_TASK:
      case OXP_PLUGIN_ERROR_CANNOT_INFER_TASK:
      case OXP_PLUGIN_ERROR_UNKNOWN_TASK:
      case OXP_PLUGIN_ERROR_MODULE:
        return OXP_CLI_EXIT_USER;
      default:
        return OXP_CLI_EXIT_INTERNAL;
      }

  if (error->domain == OXP_EXPORT_ERROR)
    switch ((OxpExportError)error->code)
      {
      case OXP_EXPORT_ERROR_OPSET:
      case OXP_EXPORT_ERROR_UNSUPPORTED:
      case OXP_EXPORT_ERROR_IO:
      case OXP_EXPORT_ERROR_NO_SPACE:
        return OXP_CLI_EXIT_USER;
      default:
        /* A graph that does not check out is a plugin's bug. */
        return OXP_CLI_EXIT_INTERNAL;
      }

  if (error->domain == OXP_RUNTIME_ERROR)
    /* A model ONNX Runtime cannot run after it loaded is ours to fix. */
    return error->code == OXP_RUNTIME_ERROR_RUN ? OXP_CLI_EXIT_INTERNAL : OXP_CLI_EXIT_USER;

  return OXP_CLI_EXIT_INTERNAL;
}

int
oxp_cli_report_error (const GError *error)
{
  return oxp_cli_report_error_with_hint (error, NULL);
}

int
oxp_cli_report_error_with_hint (const GError *error, const char *hint)
{
  int status = oxp_cli_exit_status_for_error (error);
  const char *message = error != NULL ? error->message : "unknown error";

  oxp_cli_error ("%s", message);
  if (hint != NULL)
    fprintf (stderr, "%s\n", hint);
  if (status == OXP_CLI_EXIT_INTERNAL)
    fprintf (stderr, "This is an internal error of oxport or of a plugin; please report it.\n");
  if (json_errors)
    oxp_cli_print_json_error (error != NULL ? g_quark_to_string (error->domain) : "oxport",
                              error != NULL ? error->code : 0, message, hint, status);
  return status;
}

/* The long option names of the last context made, for "did you mean". */
static GPtrArray *option_names;

static void
remember_options (const GOptionEntry *entries)
{
  if (option_names == NULL)
    option_names = g_ptr_array_new_with_free_func (g_free);
  for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL; e++)
    if (!(e->flags & G_OPTION_FLAG_HIDDEN))
      g_ptr_array_add (option_names, g_strconcat ("--", e->long_name, NULL));
}

GOptionContext *
oxp_cli_context_new (const char *command, const char *parameters, const char *summary,
                     const char *description, GOptionEntry *entries, OxpCliCommon *common,
                     gboolean with_json)
{
  GOptionEntry common_entries[] = {
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &common->plugin_dirs,
      "Load plugins from DIR first (repeatable)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &common->verbose,
      "Say more: progress, rejected plugins, ONNX Runtime's log", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &common->json, "Print the result as JSON (for scripts)",
      NULL },
    G_OPTION_ENTRY_NULL,
  };
  GOptionContext *context = g_option_context_new (parameters);

  (void)command;
  if (!with_json)
    common_entries[2] = (GOptionEntry)G_OPTION_ENTRY_NULL;
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  /* One list in --help: the command's options, then the common ones. */
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, common_entries, NULL);
  remember_options (entries);
  remember_options (common_entries);
  return context;
}

/* "Unknown option --tsk" → "Did you mean “--task”?" (transfer full) */
static char *
option_hint (const char *arg)
{
  g_autofree char *name = g_strdup (arg);
  const char *best;
  char *eq = strchr (name, '=');

  if (eq != NULL)
    *eq = '\0';
  if (option_names == NULL || !g_str_has_prefix (name, "--"))
    return NULL;
  best = oxp_cli_suggest (name, (const char *const *)option_names->pdata, option_names->len);
  return best != NULL ? g_strdup_printf ("Did you mean “%s”?", best) : NULL;
}

static int
unknown_option (const char *command, const char *arg)
{
  g_autofree char *hint = option_hint (arg);
  g_autofree char *message = g_strdup_printf ("Unknown option %s", arg);

  oxp_cli_error ("%s", message);
  if (hint != NULL)
    fprintf (stderr, "%s\n", hint);
  fprintf (stderr, "Run “oxport %s --help” for usage.\n", command);
  if (json_errors)
    oxp_cli_print_json_error (g_quark_to_string (G_OPTION_ERROR), G_OPTION_ERROR_UNKNOWN_OPTION,
                              message, hint, OXP_CLI_EXIT_USER);
  return OXP_CLI_EXIT_USER;
}

gboolean
oxp_cli_parse (GOptionContext *context, const char *command, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  /* Known before parsing, so that a parse error is JSON too. */
  for (int i = 1; i < *argc && strcmp ((*argv)[i], "--") != 0; i++)
    if (strcmp ((*argv)[i], "--json") == 0)
      json_errors = TRUE;
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      const char *unknown = NULL;

      /* GLib says "Unknown option --tsk": name the option we meant. */
      if (g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION))
        unknown = strrchr (error->message, ' ');
      if (unknown != NULL)
        unknown_option (command, unknown + 1);
      else
        oxp_cli_usage_error (command, "%s", error->message);
      return FALSE;
    }
  /* A leftover option after "--" is an argument; one before it is not. */
  for (int i = 1; i < *argc; i++)
    {
      const char *arg = (*argv)[i];

      if (strcmp (arg, "--") == 0)
        break;
      if (arg[0] == '-' && arg[1] != '\0')
        {
          unknown_option (command, arg);
          return FALSE;
        }
    }
  return TRUE;
}

void
oxp_cli_common_clear (OxpCliCommon *common)
{
  g_clear_pointer (&common->plugin_dirs, g_strfreev);
  g_clear_pointer (&option_names, g_ptr_array_unref);
}

/* Run from the build tree (`_build/oxport`, which libtool runs as
 * _build/.libs/oxport or lt-oxport), the program uses the plugins built
 * beside it, as `make check` does, instead of the installed ones, which may
 * be absent or another version.  Only the program's own location counts: an
 * installed copy, wherever it is, never picks up a build tree. */
static void
use_build_tree_plugins (void)
{
#ifdef OXP_CLI_BUILDDIR
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
  g_autofree char *libs = g_build_filename (OXP_CLI_BUILDDIR, ".libs", NULL);

  if (dir == NULL || g_getenv ("OXPORT_PLUGIN_PATH") != NULL)
    return;
  if (strcmp (dir, OXP_CLI_BUILDDIR) != 0 && strcmp (dir, libs) != 0)
    return;
  g_setenv ("OXPORT_PLUGIN_PATH", OXP_CLI_BUILD_PLUGIN_PATH, TRUE);
  g_setenv ("OXPORT_PLUGIN_PATH_ONLY", "1", TRUE);
#endif
}

OxpTasksManager *
oxp_cli_load_plugins (OxpCliCommon *common, GError **error)
{
  g_autoptr (OxpTasksManager) manager = oxp_tasks_manager_new ();
  GPtrArray *rejections;
  GPtrArray *errors;

  /* A crash in plugin code loaded here later names the plugin. */
  oxp_plugin_install_crash_handler ();
  use_build_tree_plugins ();

  for (guint i = 0; common->plugin_dirs != NULL && common->plugin_dirs[i] != NULL; i++)
    if (!g_file_test (common->plugin_dirs[i], G_FILE_TEST_IS_DIR))
      {
        g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                     "Plugin folder %s (from --plugin-dir) does not exist or is not a folder",
                     common->plugin_dirs[i]);
        return NULL;
      }
  if (!oxp_tasks_manager_load_plugins (manager, (const char *const *)common->plugin_dirs, FALSE,
                                       error))
    return NULL;
  rejections = oxp_tasks_manager_get_rejections (manager);
  errors = oxp_tasks_manager_get_rejection_errors (manager);
  for (guint i = 0; i < rejections->len; i++)
    {
      const GError *reason = g_ptr_array_index (errors, i);
      /* A module that crashed, hung or clashed would have taken the
       * command down: always name it, not only with --verbose. */
      gboolean dangerous
          = reason->domain == OXP_PLUGIN_ERROR
            && (reason->code == OXP_PLUGIN_ERROR_CRASHED || reason->code == OXP_PLUGIN_ERROR_TIMEOUT
                || reason->code == OXP_PLUGIN_ERROR_TYPE_CONFLICT);

      if (common->verbose)
        fprintf (stderr, "oxport: rejected plugin %s\n", (char *)g_ptr_array_index (rejections, i));
      else if (dangerous)
        fprintf (stderr, "oxport: warning: skipped plugin %s\n",
                 (char *)g_ptr_array_index (rejections, i));
    }
  return g_steal_pointer (&manager);
}

void
oxp_cli_print_json (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  g_autoptr (JsonNode) stamped = NULL;

  /* Every document says which oxport wrote it and in which shape, first:
   * scripts check schema_version before reading the rest. */
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *in = json_node_get_object (node);
      JsonObject *out = json_object_new ();
      g_autoptr (GList) members = json_object_get_members (in);

      json_object_set_string_member (out, "oxport_version", oxp_get_version ());
      json_object_set_int_member (out, "schema_version", OXP_CLI_JSON_SCHEMA_VERSION);
      for (GList *l = members; l != NULL; l = l->next)
        if (strcmp (l->data, "oxport_version") != 0 && strcmp (l->data, "schema_version") != 0)
          json_object_set_member (out, l->data,
                                  json_node_copy (json_object_get_member (in, l->data)));
      stamped = json_node_init_object (json_node_alloc (), out);
      json_object_unref (out);
      node = stamped;
    }
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

char *
oxp_cli_format_dims (const OxpTensorSpec *spec)
{
  GString *s = g_string_new ("[");
  guint rank = oxp_tensor_spec_get_rank (spec);

  for (guint i = 0; i < rank; i++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, i);
      gint64 value = oxp_tensor_spec_get_dim_value (spec, i);

      if (i > 0)
        g_string_append (s, ", ");
      if (param != NULL)
        g_string_append (s, param);
      else if (value >= 0)
        g_string_append_printf (s, "%" G_GINT64_FORMAT, value);
      else
        g_string_append_c (s, '?');
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

char *
oxp_cli_format_dynamic_axes (const OxpTensorSpec *spec)
{
  GString *s = g_string_new (NULL);
  guint rank = oxp_tensor_spec_get_rank (spec);

  for (guint i = 0; i < rank; i++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, i);

      if (param == NULL)
        continue;
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append_printf (s, "%u: %s", i, param);
    }
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

JsonNode *
oxp_cli_spec_to_json (const OxpTensorSpec *spec)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint rank = oxp_tensor_spec_get_rank (spec);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, oxp_tensor_spec_get_name (spec));
  json_builder_set_member_name (b, "dtype");
  json_builder_add_string_value (b, oxp_data_type_to_string (oxp_tensor_spec_get_dtype (spec)));
  json_builder_set_member_name (b, "dims");
  json_builder_begin_array (b);
  for (guint i = 0; i < rank; i++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, i);
      gint64 value = oxp_tensor_spec_get_dim_value (spec, i);

      if (param != NULL)
        json_builder_add_string_value (b, param);
      else if (value >= 0)
        json_builder_add_int_value (b, value);
      else
        json_builder_add_null_value (b);
    }
  json_builder_end_array (b);
  /* optimum's dynamic_axes: {axis: name} for the symbolic dims. */
  json_builder_set_member_name (b, "dynamic_axes");
  json_builder_begin_object (b);
  for (guint i = 0; i < rank; i++)
    {
      const char *param = oxp_tensor_spec_get_dim_param (spec, i);
      char key[16];

      if (param == NULL)
        continue;
      g_snprintf (key, sizeof key, "%u", i);
      json_builder_set_member_name (b, key);
      json_builder_add_string_value (b, param);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Widest name and dims of @specs, at least the widths given. */
static void
specs_widths (GPtrArray *specs, guint *name_width, guint *dims_width)
{
  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      g_autofree char *dims = oxp_cli_format_dims (spec);

      *name_width = MAX (*name_width, oxp_cli_cells (oxp_tensor_spec_get_name (spec)));
      *dims_width = MAX (*dims_width, oxp_cli_cells (dims));
    }
}

static void
print_specs (const char *title, GPtrArray *specs, guint name_width, guint dims_width,
             const char *indent)
{
  for (guint i = 0; i < specs->len; i++)
    {
      OxpTensorSpec *spec = g_ptr_array_index (specs, i);
      g_autofree char *dims = oxp_cli_format_dims (spec);
      g_autofree char *axes = oxp_cli_format_dynamic_axes (spec);
      g_autofree char *name = oxp_cli_pad (oxp_tensor_spec_get_name (spec), name_width, FALSE);
      g_autofree char *dims_cell = oxp_cli_pad (dims, dims_width, FALSE);

      printf ("%s%-8s %s %-8s %s  dynamic axes {%s}\n", indent, i == 0 ? title : "", name,
              oxp_data_type_to_string (oxp_tensor_spec_get_dtype (spec)), dims_cell, axes);
    }
  if (specs->len == 0)
    printf ("%s%-8s (none)\n", indent, title);
}

void
oxp_cli_print_config_io (OxpOnnxConfig *config, const char *indent)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);
  g_autoptr (GPtrArray) outputs = oxp_onnx_config_get_outputs (config);
  guint name_width = 4;
  guint dims_width = 4;

  specs_widths (inputs, &name_width, &dims_width);
  specs_widths (outputs, &name_width, &dims_width);
  print_specs ("inputs", inputs, name_width, dims_width, indent);
  print_specs ("outputs", outputs, name_width, dims_width, indent);
}

static void
add_specs_json (JsonBuilder *b, const char *member, GPtrArray *specs)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (guint i = 0; i < specs->len; i++)
    json_builder_add_value (b, oxp_cli_spec_to_json (g_ptr_array_index (specs, i)));
  json_builder_end_array (b);
}

JsonNode *
oxp_cli_config_io_to_json (OxpOnnxConfig *config)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);
  g_autoptr (GPtrArray) outputs = oxp_onnx_config_get_outputs (config);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, oxp_onnx_config_get_file_name (config));
  add_specs_json (b, "inputs", inputs);
  add_specs_json (b, "outputs", outputs);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
oxp_cli_is_model_dir (const char *arg)
{
  return strchr (arg, G_DIR_SEPARATOR) != NULL || g_file_test (arg, G_FILE_TEST_IS_DIR);
}

JsonObject *
oxp_cli_read_config_json (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NOT_FOUND,
                   "Model folder %s does not exist", dir);
      return NULL;
    }
  if (!json_parser_load_from_file (parser, path, &local_error))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG, "%s: %s", path,
                   local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_CONFIG,
                   "%s: expected a JSON object", path);
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* The common names optimum's normalized configs answer; inspect shows those
 * the model's config resolves. */
static const char *const normalized_names[] = {
  "num_layers",
  "hidden_size",
  "num_attention_heads",
  "num_key_value_heads",
  "head_dim",
  "intermediate_size",
  "vocab_size",
  "max_position_embeddings",
  "type_vocab_size",
  "num_labels",
  "hidden_act",
  "layer_norm_eps",
  "pad_token_id",
  "bos_token_id",
  "eos_token_id",
  "decoder_start_token_id",
  "encoder_num_layers",
  "decoder_num_layers",
  "encoder_num_attention_heads",
  "decoder_num_attention_heads",
  "image_size",
  "num_channels",
  "patch_size",
  "num_mel_bins",
  NULL,
};

static char *
json_value_to_string (JsonNode *node)
{
  g_autoptr (JsonGenerator) generator = NULL;

  /* Doubles as people write them (1e-12), not with 17 digits. */
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return g_strdup_printf ("%g", json_node_get_double (node));
  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

void
oxp_cli_print_normalized_config (OxpOnnxConfig *config, const char *indent)
{
  OxpNormalizedConfig *normalized = oxp_onnx_config_get_normalized_config (config);
  guint width = 0;

  if (normalized == NULL)
    return;
  for (guint i = 0; normalized_names[i] != NULL; i++)
    if (oxp_normalized_config_has (normalized, normalized_names[i]))
      width = MAX (width, strlen (normalized_names[i]) + 1);
  for (guint i = 0; normalized_names[i] != NULL; i++)
    {
      JsonNode *node = oxp_normalized_config_lookup (normalized, normalized_names[i]);
      g_autofree char *text = NULL;
      g_autofree char *label = NULL;

      if (node == NULL)
        continue;
      text = json_value_to_string (node);
      label = g_strconcat (normalized_names[i], ":", NULL);
      printf ("%s%-*s %s\n", indent, (int)width, label, text);
    }
}

JsonNode *
oxp_cli_normalized_config_to_json (OxpOnnxConfig *config)
{
  OxpNormalizedConfig *normalized = oxp_onnx_config_get_normalized_config (config);
  JsonObject *object = json_object_new ();
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; normalized != NULL && normalized_names[i] != NULL; i++)
    {
      JsonNode *node = oxp_normalized_config_lookup (normalized, normalized_names[i]);

      if (node != NULL)
        json_object_set_member (object, normalized_names[i], json_node_copy (node));
    }
  json_node_take_object (root, object);
  return root;
}

guint
oxp_cli_cells (const char *text)
{
  guint cells = 0;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return text != NULL ? strlen (text) : 0;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      cells += g_unichar_iswide (c) ? 2 : 1;
    }
  return cells;
}

char *
oxp_cli_pad (const char *text, guint width, gboolean right)
{
  guint cells = oxp_cli_cells (text);
  GString *s = g_string_new (NULL);

  if (right)
    for (guint i = cells; i < width; i++)
      g_string_append_c (s, ' ');
  g_string_append (s, text);
  if (!right)
    for (guint i = cells; i < width; i++)
      g_string_append_c (s, ' ');
  return g_string_free (s, FALSE);
}

JsonNode *
oxp_cli_validation_json (const char *status, const char *message, double elapsed, JsonNode *reports)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  json_builder_set_member_name (b, "message");
  if (message != NULL)
    json_builder_add_string_value (b, message);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "elapsed_seconds");
  json_builder_add_double_value (b, elapsed);
  json_builder_set_member_name (b, "reports");
  json_builder_add_value (b, reports);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The Hugging Face cache: $HF_HUB_CACHE, else $HF_HOME/hub, else
 * ~/.cache/huggingface/hub (huggingface_hub's own order). (transfer full) */
static char *
hf_hub_cache (void)
{
  const char *hub = g_getenv ("HF_HUB_CACHE");
  const char *home = g_getenv ("HF_HOME");

  if (hub != NULL && *hub != '\0')
    return g_strdup (hub);
  if (home != NULL && *home != '\0')
    return g_build_filename (home, "hub", NULL);
  return g_build_filename (g_get_home_dir (), ".cache", "huggingface", "hub", NULL);
}

static gboolean
looks_like_repo_id (const char *arg)
{
  g_auto (GStrv) parts = g_strsplit (arg, "/", -1);

  if (g_strv_length (parts) != 2)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    {
      if (parts[i][0] == '\0' || parts[i][0] == '.' || parts[i][0] == '-')
        return FALSE;
      for (const char *p = parts[i]; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
          return FALSE;
    }
  return TRUE;
}

char *
oxp_cli_resolve_model (const char *arg, const char *revision, GError **error)
{
  g_autofree char *hub = NULL;
  g_autofree char *repo_dir = NULL;
  g_autofree char *ref_path = NULL;
  g_autofree char *commit = NULL;
  g_autofree char *snapshot = NULL;
  g_auto (GStrv) parts = NULL;

  /* A folder that exists always wins: "org/name" may be a relative path. */
  if (g_file_test (arg, G_FILE_TEST_EXISTS) || !looks_like_repo_id (arg))
    {
      if (revision != NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--revision applies to a model id (ORG/NAME) in the Hugging Face cache, "
                       "not to the folder %s",
                       arg);
          return NULL;
        }
      return g_strdup (arg);
    }
  if (revision == NULL)
    revision = "main";
  hub = hf_hub_cache ();
  parts = g_strsplit (arg, "/", 2);
  {
    g_autofree char *name = g_strdup_printf ("models--%s--%s", parts[0], parts[1]);
    repo_dir = g_build_filename (hub, name, NULL);
  }
  /* refs/REVISION holds the commit of a branch or tag; a commit itself
   * names its snapshot directly. */
  ref_path = g_build_filename (repo_dir, "refs", revision, NULL);
  if (g_file_get_contents (ref_path, &commit, NULL, NULL))
    g_strstrip (commit);
  else
    commit = g_strdup (revision);
  snapshot = g_build_filename (repo_dir, "snapshots", commit, NULL);
  if (strchr (commit, '/') == NULL && g_file_test (snapshot, G_FILE_TEST_IS_DIR))
    return g_steal_pointer (&snapshot);

  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "%s (revision %s) is not in the local Hugging Face cache (%s): oxport never "
               "downloads; fetch it first with “hf download %s%s%s” (or “huggingface-cli "
               "download”), or pass the checkpoint's folder",
               arg, revision, repo_dir, arg, g_str_equal (revision, "main") ? "" : " --revision ",
               g_str_equal (revision, "main") ? "" : revision);
  return NULL;
}
