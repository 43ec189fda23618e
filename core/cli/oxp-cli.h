/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the `oxport` subcommands; nothing here is library API. */

#include <json-glib/json-glib.h>
#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Exit statuses of every command. */
enum
{
  OXP_CLI_EXIT_OK = 0,
  OXP_CLI_EXIT_USER = 1,     /* bad input, unknown model type/task, validation failure */
  OXP_CLI_EXIT_INTERNAL = 2, /* a bug or an environment oxport cannot cope with */
};

/* The options every command takes. */
typedef struct
{
  char **plugin_dirs;
  gboolean verbose;
  gboolean json;
} OxpCliCommon;

typedef int (*OxpCliCommandFunc) (int argc, char **argv);

int oxp_cli_plugins (int argc, char **argv);
int oxp_cli_tasks (int argc, char **argv);
int oxp_cli_inspect (int argc, char **argv);
int oxp_cli_export (int argc, char **argv);
int oxp_cli_validate (int argc, char **argv);

/* A context for `oxport COMMAND` with its entries, the common options
 * (--json only when @with_json) and the help texts. */
GOptionContext *oxp_cli_context_new (const char *command, const char *parameters,
                                     const char *summary, const char *description,
                                     GOptionEntry *entries, OxpCliCommon *common,
                                     gboolean with_json);
/* Parses; on a bad option prints the error and a hint and returns FALSE. */
gboolean oxp_cli_parse (GOptionContext *context, const char *command, int *argc, char ***argv);
void oxp_cli_common_clear (OxpCliCommon *common);

/* A registry with the plugins of --plugin-dir, OXPORT_PLUGIN_PATH and the
 * installed pluginsdir; rejections are printed to stderr with --verbose. */
OxpTasksManager *oxp_cli_load_plugins (OxpCliCommon *common, GError **error);

/* The exit status an error maps to. */
int oxp_cli_exit_status_for_error (const GError *error);
/* Prints "oxport: error: MESSAGE" to stderr and returns its exit status. */
int oxp_cli_report_error (const GError *error);
/* Prints "oxport: error: …" to stderr. */
void oxp_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* A usage error: the message and "Run 'oxport COMMAND --help' …". */
int oxp_cli_usage_error (const char *command, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* The shape of every --json document (oxport_version and schema_version
 * lead each one); raised when a member changes meaning or goes away. */
#define OXP_CLI_JSON_SCHEMA_VERSION 1

/* --json: errors are then also printed to stdout as
 * {"error": {"domain", "code", "message", "hint"?}, "exit_status"}. */
void oxp_cli_set_json (gboolean json);
gboolean oxp_cli_get_json (void);
void oxp_cli_print_json_error (const char *domain, int code, const char *message, const char *hint,
                               int exit_status);
/* oxp_cli_report_error() with a line such as "Did you mean …?" (nullable). */
int oxp_cli_report_error_with_hint (const GError *error, const char *hint);

/* The closest of @candidates to @word when it looks like a typo of it, or
 * NULL.  @n_candidates < 0: NULL-terminated. */
const char *oxp_cli_suggest (const char *word, const char *const *candidates, gssize n_candidates);
/* "Did you mean “…”?" for an unknown model type (@word is the type) or an
 * unknown or unsupported task of @model_type (@word is the task). (transfer full) */
char *oxp_cli_hint_for_error (OxpTasksManager *manager, const GError *error, const char *model_type,
                              const char *word);

/* Pads @text with spaces to @width display cells (not bytes: sizes hold a
 * no-break space, names may hold wide characters). (transfer full) */
char *oxp_cli_pad (const char *text, guint width, gboolean right);
/* The width of @text in display cells. */
guint oxp_cli_cells (const char *text);

/* The progress lines of `export` (stderr, rewritten in place). */
typedef struct _OxpCliProgress OxpCliProgress;
/* Whether progress is shown when neither --progress nor --quiet is given. */
gboolean oxp_cli_progress_default (gboolean json);
OxpCliProgress *oxp_cli_progress_new (gboolean enabled, gboolean verbose);
/* An OxpExportProgressFunc; @user_data is the OxpCliProgress. */
void oxp_cli_progress_update (OxpExportStage stage, const char *detail, guint64 done, guint64 total,
                              gpointer user_data);
/* Ends the line of the last step (before the summary is printed). */
void oxp_cli_progress_finish (OxpCliProgress *p);
void oxp_cli_progress_free (OxpCliProgress *p);

/* The validation member of `export --json` and `validate --json`, one
 * shape for both: {"status", "message", "elapsed_seconds", "reports"};
 * takes @reports. */
JsonNode *oxp_cli_validation_json (const char *status, const char *message, double elapsed,
                                   JsonNode *reports);

/* @arg as a checkpoint folder: itself when it exists (or is no model id),
 * else the snapshot of the model id ORG/NAME at @revision (NULL: main) in
 * the local Hugging Face cache; never downloads. (transfer full) */
char *oxp_cli_resolve_model (const char *arg, const char *revision, GError **error);

/* Output helpers. */
void oxp_cli_print_json (JsonNode *node);
JsonNode *oxp_cli_spec_to_json (const OxpTensorSpec *spec);
/* "[batch_size, sequence_length, 3]" (transfer full) */
char *oxp_cli_format_dims (const OxpTensorSpec *spec);
/* "0: batch_size, 1: sequence_length" or "none" (transfer full) */
char *oxp_cli_format_dynamic_axes (const OxpTensorSpec *spec);
/* Prints the inputs and outputs of @config as an aligned table. */
void oxp_cli_print_config_io (OxpOnnxConfig *config, const char *indent);
JsonNode *oxp_cli_config_io_to_json (OxpOnnxConfig *config);
/* The normalized config values @config reads, as "key: value" lines or JSON. */
void oxp_cli_print_normalized_config (OxpOnnxConfig *config, const char *indent);
JsonNode *oxp_cli_normalized_config_to_json (OxpOnnxConfig *config);
/* Parses a tolerance: a finite number >= 0. */
gboolean oxp_cli_parse_atol (const char *text, double *out);
/* The validation part of an export's summary (table), and as JSON. */
void oxp_cli_print_export_validation (OxpExportResult *result);
JsonNode *oxp_cli_export_validation_to_json (OxpExportResult *result);
/* metadata_props of an .onnx file (key → value). (transfer full) */
GHashTable *oxp_cli_read_onnx_metadata (const char *path, GError **error);
/* The operators of an .onnx file outside ai.onnx ("com.microsoft.Attention"),
 * If branches included, each to how many nodes use it (GUINT_TO_POINTER).
 * (transfer full) (element-type utf8 guint) */
GHashTable *oxp_cli_count_onnx_custom_operators (const char *path, GError **error);
/* Whether @arg names a folder rather than a model type. */
gboolean oxp_cli_is_model_dir (const char *arg);
/* config.json of @dir, parsed. (transfer full) */
JsonObject *oxp_cli_read_config_json (const char *dir, GError **error);

G_END_DECLS
