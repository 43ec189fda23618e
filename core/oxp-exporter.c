/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <oxport/oxport.h>

#include "oxp-tasks-private.h"

/**
 * OxpExporter:
 *
 * The pipeline behind `oxport export`: opens the checkpoint, chooses the
 * task (given or inferred), creates the plugin's config, builds and writes
 * one ONNX file per submodel, copies config.json and the tokenizer and
 * preprocessor files beside them (as optimum does, so the folder loads
 * with the usual tools), then validates with ONNX Runtime.  It never
 * prints: progress goes to a callback and the outcome to an
 * #OxpExportResult.
 */

/* The files optimum's exporter copies next to the model when present. */
static const char *const copied_files[] = {
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "added_tokens.json",
  "vocab.txt",
  "vocab.json",
  "merges.txt",
  "preprocessor_config.json",
  NULL,
};

struct _OxpExportResult
{
  GObject parent_instance;

  char *model_dir;
  char *outdir;
  char *model_type;
  char *task;
  gboolean task_inferred;
  guint opset;
  OxpDataType float_type;
  guint64 n_parameters;
  double elapsed;
  double validation_elapsed;
  GPtrArray *submodels; /* OxpOnnxConfig */
  GPtrArray *files;     /* char *, relative */
  GArray *sizes;        /* guint64 */
  OxpExportValidation validation;
  char *validation_message;
  GPtrArray *reports; /* OxpValidationReport */
  char *runtime_version;
};

G_DEFINE_FINAL_TYPE (OxpExportResult, oxp_export_result, G_TYPE_OBJECT)

static void
oxp_export_result_finalize (GObject *object)
{
  OxpExportResult *self = OXP_EXPORT_RESULT (object);

  g_free (self->model_dir);
  g_free (self->outdir);
  g_free (self->model_type);
  g_free (self->task);
  g_ptr_array_unref (self->submodels);
  g_ptr_array_unref (self->files);
  g_array_unref (self->sizes);
  g_free (self->validation_message);
  g_ptr_array_unref (self->reports);
  g_free (self->runtime_version);
  G_OBJECT_CLASS (oxp_export_result_parent_class)->finalize (object);
}

static void
oxp_export_result_class_init (OxpExportResultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_export_result_finalize;
}

static void
oxp_export_result_init (OxpExportResult *self)
{
  self->submodels = g_ptr_array_new_with_free_func (g_object_unref);
  self->files = g_ptr_array_new_with_free_func (g_free);
  self->sizes = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->reports = g_ptr_array_new_with_free_func (g_object_unref);
  self->float_type = OXP_DATA_TYPE_FLOAT;
}

struct _OxpExporter
{
  GObject parent_instance;

  OxpTasksManager *manager;
  char *task;
  guint opset;
  OxpDataType float_type;
  OxpExternalData external_data;
  gboolean validate;
  gboolean legacy;
  double atol;
  char *reference;
  char *runtime_path;
  gboolean verbose;

  OxpExportProgressFunc progress_func;
  gpointer progress_data;
  GDestroyNotify progress_notify;
};

G_DEFINE_FINAL_TYPE (OxpExporter, oxp_exporter, G_TYPE_OBJECT)

static void
oxp_exporter_finalize (GObject *object)
{
  OxpExporter *self = OXP_EXPORTER (object);

  g_clear_object (&self->manager);
  g_free (self->task);
  g_free (self->reference);
  g_free (self->runtime_path);
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);
  G_OBJECT_CLASS (oxp_exporter_parent_class)->finalize (object);
}

static void
oxp_exporter_class_init (OxpExporterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_exporter_finalize;
}

static void
oxp_exporter_init (OxpExporter *self)
{
  self->float_type = OXP_DATA_TYPE_FLOAT;
  self->external_data = OXP_EXTERNAL_DATA_AUTO;
  self->validate = TRUE;
  self->atol = -1.0;
}

/**
 * oxp_exporter_new:
 * @manager: a registry with its plugins loaded
 *
 * Returns: (transfer full): a new exporter with the default settings:
 *   inferred task, the config's default opset, fp32, automatic external
 *   data, validation on.
 */
OxpExporter *
oxp_exporter_new (OxpTasksManager *manager)
{
  OxpExporter *self;

  g_return_val_if_fail (OXP_IS_TASKS_MANAGER (manager), NULL);

  self = g_object_new (OXP_TYPE_EXPORTER, NULL);
  self->manager = g_object_ref (manager);
  return self;
}

void
oxp_exporter_set_task (OxpExporter *self, const char *task)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->task);
  self->task = g_strdup (task);
}

void
oxp_exporter_set_opset (OxpExporter *self, guint opset)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->opset = opset;
}

void
oxp_exporter_set_float_type (OxpExporter *self, OxpDataType float_type)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_return_if_fail (float_type == OXP_DATA_TYPE_FLOAT || float_type == OXP_DATA_TYPE_FLOAT16
                    || float_type == OXP_DATA_TYPE_BFLOAT16);
  self->float_type = float_type;
}

void
oxp_exporter_set_external_data (OxpExporter *self, OxpExternalData mode)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->external_data = mode;
}

void
oxp_exporter_set_validate (OxpExporter *self, gboolean validate)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->validate = !!validate;
}

void
oxp_exporter_set_legacy (OxpExporter *self, gboolean legacy)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->legacy = !!legacy;
}

void
oxp_exporter_set_atol (OxpExporter *self, double atol)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->atol = atol;
}

void
oxp_exporter_set_reference (OxpExporter *self, const char *reference)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->reference);
  self->reference = g_strdup (reference);
}

void
oxp_exporter_set_runtime_path (OxpExporter *self, const char *runtime_path)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  g_free (self->runtime_path);
  self->runtime_path = g_strdup (runtime_path);
}

void
oxp_exporter_set_verbose (OxpExporter *self, gboolean verbose)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  self->verbose = !!verbose;
}

/**
 * oxp_exporter_set_progress_func:
 * @func: (nullable): called for every step of oxp_exporter_run()
 * @user_data: passed to @func
 * @notify: (nullable): frees @user_data
 */
void
oxp_exporter_set_progress_func (OxpExporter *self, OxpExportProgressFunc func, gpointer user_data,
                                GDestroyNotify notify)
{
  g_return_if_fail (OXP_IS_EXPORTER (self));
  if (self->progress_notify != NULL)
    self->progress_notify (self->progress_data);
  self->progress_func = func;
  self->progress_data = user_data;
  self->progress_notify = notify;
}

static void
emit_progress (OxpExporter *self, OxpExportStage stage, const char *detail, guint64 done,
               guint64 total)
{
  if (self->progress_func != NULL)
    self->progress_func (stage, detail, done, total, self->progress_data);
}

typedef struct
{
  OxpExporter *self;
  const char *file_name;
} WriteProgress;

static void
write_progress_cb (guint64 done, guint64 total, gpointer user_data)
{
  WriteProgress *wp = user_data;

  emit_progress (wp->self, OXP_EXPORT_STAGE_WRITE, wp->file_name, done, total);
}

/* Everything one run created, so that a failure can take it back. */
typedef struct
{
  char *outdir;
  gboolean created_outdir;
  GPtrArray *written; /* absolute paths, in creation order */
} Cleanup;

static void
cleanup_undo (Cleanup *c)
{
  for (guint i = c->written->len; i > 0; i--)
    g_unlink (g_ptr_array_index (c->written, i - 1));
  if (c->created_outdir)
    g_rmdir (c->outdir);
}

static gboolean
prepare_outdir (Cleanup *c, GError **error)
{
  GStatBuf st;

  if (g_stat (c->outdir, &st) == 0)
    {
      if (!S_ISDIR (st.st_mode))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                       "Output folder %s exists and is not a folder", c->outdir);
          return FALSE;
        }
      return TRUE;
    }
  if (errno != ENOENT)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot use output folder %s: %s", c->outdir, g_strerror (saved));
      return FALSE;
    }
  if (g_mkdir_with_parents (c->outdir, 0777) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create output folder %s: %s", c->outdir, g_strerror (saved));
      return FALSE;
    }
  c->created_outdir = TRUE;
  return TRUE;
}

static void
record_file (Cleanup *c, OxpExportResult *result, const char *name)
{
  g_autofree char *path = g_build_filename (c->outdir, name, NULL);
  GStatBuf st;
  guint64 size = 0;

  if (g_stat (path, &st) == 0)
    size = (guint64)st.st_size;
  g_ptr_array_add (c->written, g_steal_pointer (&path));
  g_ptr_array_add (result->files, g_strdup (name));
  g_array_append_val (result->sizes, size);
}

/* Copies @name from @model_dir through a temporary file so that a failed
 * copy leaves nothing behind. */
static gboolean
copy_side_file (OxpExporter *self, Cleanup *c, OxpExportResult *result, const char *model_dir,
                const char *name, GError **error)
{
  g_autofree char *src_path = g_build_filename (model_dir, name, NULL);
  g_autofree char *dst_path = g_build_filename (c->outdir, name, NULL);
  g_autoptr (GFile) src = g_file_new_for_path (src_path);
  g_autoptr (GFile) dst = g_file_new_for_path (dst_path);
  g_autoptr (GError) local_error = NULL;

  emit_progress (self, OXP_EXPORT_STAGE_COPY, name, 0, 0);
  if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE | G_FILE_COPY_TARGET_DEFAULT_PERMS, NULL, NULL,
                    NULL, &local_error))
    {
      g_unlink (dst_path);
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO, "Cannot copy %s to %s: %s",
                   src_path, c->outdir, local_error->message);
      return FALSE;
    }
  record_file (c, result, name);
  return TRUE;
}

static gboolean
is_sentencepiece_model (const char *name)
{
  /* spiece.model, sentencepiece.bpe.model, tokenizer.model, … */
  return g_str_has_suffix (name, ".model");
}

static gboolean
copy_side_files (OxpExporter *self, Cleanup *c, OxpExportResult *result, const char *model_dir,
                 GError **error)
{
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  for (guint i = 0; copied_files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (model_dir, copied_files[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR)
          && !copy_side_file (self, c, result, model_dir, copied_files[i], error))
        return FALSE;
    }

  dir = g_dir_open (model_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_sentencepiece_model (name))
      g_ptr_array_add (models, g_strdup (name));
  g_ptr_array_sort (models, (GCompareFunc)g_strcmp0);
  for (guint i = 0; i < models->len; i++)
    {
      const char *m = g_ptr_array_index (models, i);
      g_autofree char *path = g_build_filename (model_dir, m, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR)
          && !copy_side_file (self, c, result, model_dir, m, error))
        return FALSE;
    }
  return TRUE;
}

static char *
graph_name_for (OxpOnnxConfig *config)
{
  const char *file = oxp_onnx_config_get_file_name (config);
  const char *dot = file != NULL ? strrchr (file, '.') : NULL;

  if (file == NULL)
    return g_strdup ("main_graph");
  return dot != NULL ? g_strndup (file, (gsize)(dot - file)) : g_strdup (file);
}

static gboolean
write_submodel (OxpExporter *self, Cleanup *c, OxpExportResult *result, OxpOnnxConfig *config,
                OxpCheckpoint *checkpoint, gint64 start_time, GError **error)
{
  const char *file_name = oxp_onnx_config_get_file_name (config);
  g_autofree char *graph_name = graph_name_for (config);
  g_autofree char *path = NULL;
  g_autofree char *data_name = NULL;
  g_autofree char *data_path = NULL;
  g_autofree char *task = NULL;
  g_autoptr (OxpGraph) graph = NULL;
  g_autoptr (OxpOnnxWriter) writer = NULL;
  WriteProgress wp = { self, file_name };
  guint opset;
  GStatBuf st;

  if (self->opset != 0 && !oxp_onnx_config_set_opset (config, self->opset, error))
    return FALSE;
  opset = oxp_onnx_config_get_opset (config);
  if (opset == 0)
    opset = oxp_onnx_config_get_default_opset (config);
  /* Where (the masks) takes bfloat16 from opset 16 on; below, a bf16
   * graph is not valid ONNX. */
  if (self->float_type == OXP_DATA_TYPE_BFLOAT16 && self->opset == 0 && opset < 16)
    opset = 16;
  result->opset = opset;

  emit_progress (self, OXP_EXPORT_STAGE_BUILD, file_name, 0, 0);
  graph = oxp_graph_new (graph_name, opset);
  oxp_onnx_config_set_float_type (config, self->float_type);
  oxp_graph_set_float_type (graph, self->float_type);
  if (!oxp_onnx_config_build_graph (config, graph, checkpoint, error))
    return FALSE;

  writer = oxp_onnx_writer_new ();
  oxp_onnx_writer_set_external_data (writer, self->external_data);
  oxp_onnx_writer_set_metadata (writer, "source_model_type",
                                oxp_onnx_config_get_model_type (config));
  /* The task as given to export it again ("text-generation-with-past" for a
   * decoder returning its cache), so that `oxport validate` rebuilds the
   * same config from the metadata. */
  task = OXP_IS_ONNX_CONFIG_WITH_PAST (config)
                 && oxp_onnx_config_with_past_get_use_past (OXP_ONNX_CONFIG_WITH_PAST (config))
                 && !g_str_has_suffix (oxp_onnx_config_get_task (config), OXP_WITH_PAST_SUFFIX)
             ? g_strconcat (oxp_onnx_config_get_task (config), OXP_WITH_PAST_SUFFIX, NULL)
             : g_strdup (oxp_onnx_config_get_task (config));
  oxp_onnx_writer_set_metadata (writer, "task", task);
  oxp_onnx_writer_set_metadata (writer, "oxport_version", PACKAGE_VERSION);
  oxp_onnx_writer_set_progress_func (writer, write_progress_cb, &wp, NULL);

  path = g_build_filename (c->outdir, file_name, NULL);
  emit_progress (self, OXP_EXPORT_STAGE_WRITE, file_name, 0, oxp_graph_get_weights_size (graph));
  if (!oxp_onnx_writer_write (writer, graph, path, error))
    return FALSE;
  record_file (c, result, file_name);

  /* The writer puts large weights into "<file>_data"; count it when this
   * run wrote it (a stale one from an earlier export is not ours). */
  data_name = g_strconcat (file_name, "_data", NULL);
  data_path = g_build_filename (c->outdir, data_name, NULL);
  if (g_stat (data_path, &st) == 0
      && (gint64)st.st_mtime * G_USEC_PER_SEC >= start_time - G_USEC_PER_SEC)
    record_file (c, result, data_name);
  return TRUE;
}

/* The task to export: the canonical form of the one asked for, or the one
 * config.json's "architectures" implies. */
static char *
choose_task (OxpExporter *self, JsonObject *config, gboolean *inferred, GError **error)
{
  const char *canonical;

  if (self->task == NULL)
    {
      const char *model_type = json_object_get_string_member_with_default (config, "model_type",
                                                                           NULL);
      g_autoptr (GPtrArray) supported = NULL;

      /* An unknown model type is the real problem, not the task. */
      supported = oxp_tasks_manager_get_supported_tasks (self->manager, model_type, error);
      if (supported == NULL)
        return NULL;
      *inferred = TRUE;
      return oxp_tasks_manager_infer_task (self->manager, config, error);
    }
  *inferred = FALSE;
  canonical = oxp_tasks_manager_canonical_task (self->task);
  if (canonical == NULL)
    {
      g_set_error (
          error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK,
          "Unknown task “%s” (see `oxport tasks MODEL_TYPE` for the tasks a model supports)",
          self->task);
      return NULL;
    }
  return g_strdup (canonical);
}

/* The tolerance asked for, else the config's (loosened for half precision). */
static double
exporter_atol (OxpExporter *self, OxpOnnxConfig *config)
{
  double atol = oxp_onnx_config_get_atol (config);

  if (self->atol >= 0)
    return self->atol;
  if (self->float_type != OXP_DATA_TYPE_FLOAT)
    atol = MAX (atol, OXP_EXPORTER_HALF_ATOL);
  return atol;
}

/* Runs every written file in ONNX Runtime.  Never fails the export: the
 * outcome goes into @result, and the files stay. */
static void
validate_outputs (OxpExporter *self, OxpExportResult *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpRuntime) runtime = NULL;
  g_autoptr (OxpValidator) validator = NULL;
  gint64 start = g_get_monotonic_time ();

  runtime = oxp_runtime_new (self->runtime_path, self->verbose, &error);
  if (runtime == NULL)
    {
      result->validation = OXP_EXPORT_VALIDATION_SKIPPED;
      result->validation_message = g_strdup (error->message);
      return;
    }
  result->runtime_version = g_strdup (oxp_runtime_get_version (runtime));
  validator = oxp_validator_new (runtime);
  oxp_validator_set_reference (validator, self->reference);

  result->validation = OXP_EXPORT_VALIDATION_PASSED;
  for (guint i = 0; i < result->submodels->len; i++)
    {
      OxpOnnxConfig *config = g_ptr_array_index (result->submodels, i);
      const char *file_name = oxp_onnx_config_get_file_name (config);
      g_autofree char *path = g_build_filename (result->outdir, file_name, NULL);
      g_autoptr (GError) local_error = NULL;
      OxpValidationReport *report = NULL;

      emit_progress (self, OXP_EXPORT_STAGE_VALIDATE, file_name, i, result->submodels->len);
      oxp_validator_set_atol (validator, exporter_atol (self, config));
      if (!oxp_validator_validate (validator, config, path, &report, &local_error))
        {
          /* ORT's CPU provider has no bfloat16 kernels for most operators:
           * a bf16 file it cannot even load is not known to be wrong. */
          if (self->float_type == OXP_DATA_TYPE_BFLOAT16
              && g_error_matches (local_error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_LOAD)
              && strstr (local_error->message, "Could not find an implementation") != NULL)
            {
              if (result->validation == OXP_EXPORT_VALIDATION_PASSED)
                result->validation = OXP_EXPORT_VALIDATION_SKIPPED;
              if (result->validation_message == NULL)
                result->validation_message = g_strdup_printf (
                    "not run: this ONNX Runtime has no bfloat16 kernel for an operator of %s "
                    "(%s); export with --dtype fp16 or fp32 to validate",
                    file_name, local_error->message);
            }
          else
            {
              result->validation = OXP_EXPORT_VALIDATION_FAILED;
              if (result->validation_message == NULL
                  || g_str_has_prefix (result->validation_message, "not run:"))
                {
                  g_free (result->validation_message);
                  result->validation_message = g_strdup (local_error->message);
                }
            }
        }
      if (report != NULL)
        g_ptr_array_add (result->reports, report);
    }
  result->validation_elapsed = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/**
 * oxp_exporter_run:
 * @model_dir: a folder with config.json and *.safetensors
 * @outdir: the folder to write into (created when missing)
 * @error: return location for a #GError
 *
 * Exports @model_dir.  Errors come from the checkpoint
 * (%OXP_CHECKPOINT_ERROR), the registry (%OXP_PLUGIN_ERROR: unknown model
 * type or task, task not inferable), the graph and the writer
 * (%OXP_EXPORT_ERROR) or the file system (%G_FILE_ERROR).  On an error
 * nothing this run wrote is left behind.
 *
 * Returns: (transfer full): what was written, or %NULL on an error
 */
OxpExportResult *
oxp_exporter_run (OxpExporter *self, const char *model_dir, const char *outdir, GError **error)
{
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (OxpCheckpoint) checkpoint = NULL;
  g_autoptr (OxpOnnxConfig) config = NULL;
  g_autoptr (GPtrArray) submodels = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 start_real = g_get_real_time ();
  Cleanup c = { 0 };
  gboolean ok = FALSE;

  g_return_val_if_fail (OXP_IS_EXPORTER (self), NULL);
  g_return_val_if_fail (model_dir != NULL, NULL);
  g_return_val_if_fail (outdir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = g_object_new (OXP_TYPE_EXPORT_RESULT, NULL);
  result->model_dir = g_strdup (model_dir);
  result->outdir = g_strdup (outdir);
  result->float_type = self->float_type;

  emit_progress (self, OXP_EXPORT_STAGE_CHECKPOINT, model_dir, 0, 0);
  checkpoint = oxp_checkpoint_open (model_dir, error);
  if (checkpoint == NULL)
    return NULL;
  result->model_type = g_strdup (oxp_checkpoint_get_model_type (checkpoint));
  result->n_parameters = oxp_checkpoint_get_n_parameters (checkpoint);

  result->task
      = choose_task (self, oxp_checkpoint_get_config (checkpoint), &result->task_inferred, error);
  if (result->task == NULL)
    return NULL;
  emit_progress (self, OXP_EXPORT_STAGE_CONFIG, result->task, 0, 0);
  config = oxp_tasks_manager_create_config (self->manager, result->model_type, result->task,
                                            oxp_checkpoint_get_config (checkpoint), error);
  if (config == NULL)
    return NULL;
  if (self->opset != 0 && !oxp_onnx_config_set_opset (config, self->opset, error))
    return NULL;
  /* Configs whose layout changed since optimum 1.13 say so with "legacy". */
  if (self->legacy && g_object_class_find_property (G_OBJECT_GET_CLASS (config), "legacy") != NULL)
    g_object_set (config, "legacy", TRUE, NULL);
  submodels = oxp_onnx_config_dup_submodels (config);

  c.outdir = g_strdup (outdir);
  c.written = g_ptr_array_new_with_free_func (g_free);
  if (!prepare_outdir (&c, error))
    goto out;

  for (guint i = 0; i < submodels->len; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);

      if (!write_submodel (self, &c, result, sub, checkpoint, start_real, error))
        goto out;
      g_ptr_array_add (result->submodels, g_object_ref (sub));
    }
  if (!copy_side_files (self, &c, result, model_dir, error))
    goto out;
  ok = TRUE;

out:
  if (!ok)
    cleanup_undo (&c);
  g_free (c.outdir);
  g_ptr_array_unref (c.written);
  if (!ok)
    return NULL;

  /* The checkpoint's map is no longer needed while ORT loads the files. */
  g_clear_object (&checkpoint);
  if (self->validate)
    validate_outputs (self, result);
  result->elapsed = (double)(g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  return g_steal_pointer (&result);
}

const char *
oxp_export_result_get_model_dir (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->model_dir;
}

const char *
oxp_export_result_get_outdir (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->outdir;
}

const char *
oxp_export_result_get_model_type (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->model_type;
}

const char *
oxp_export_result_get_task (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->task;
}

gboolean
oxp_export_result_get_task_inferred (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), FALSE);
  return self->task_inferred;
}

guint
oxp_export_result_get_opset (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  return self->opset;
}

OxpDataType
oxp_export_result_get_float_type (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), OXP_DATA_TYPE_UNDEFINED);
  return self->float_type;
}

guint64
oxp_export_result_get_n_parameters (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  return self->n_parameters;
}

double
oxp_export_result_get_elapsed (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0.0);
  return self->elapsed;
}

double
oxp_export_result_get_validation_elapsed (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0.0);
  return self->validation_elapsed;
}

/**
 * oxp_export_result_get_submodels:
 *
 * Returns: (transfer none) (element-type OxpOnnxConfig): the configs of the written files
 */
GPtrArray *
oxp_export_result_get_submodels (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->submodels;
}

guint
oxp_export_result_get_n_files (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  return self->files->len;
}

const char *
oxp_export_result_get_file_name (OxpExportResult *self, guint i)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  g_return_val_if_fail (i < self->files->len, NULL);
  return g_ptr_array_index (self->files, i);
}

guint64
oxp_export_result_get_file_size (OxpExportResult *self, guint i)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), 0);
  g_return_val_if_fail (i < self->sizes->len, 0);
  return g_array_index (self->sizes, guint64, i);
}

OxpExportValidation
oxp_export_result_get_validation (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), OXP_EXPORT_VALIDATION_NOT_RUN);
  return self->validation;
}

const char *
oxp_export_result_get_validation_message (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->validation_message;
}

/**
 * oxp_export_result_get_validation_reports:
 *
 * Returns: (transfer none) (element-type OxpValidationReport): one report per validated file
 */
GPtrArray *
oxp_export_result_get_validation_reports (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->reports;
}

const char *
oxp_export_result_get_runtime_version (OxpExportResult *self)
{
  g_return_val_if_fail (OXP_IS_EXPORT_RESULT (self), NULL);
  return self->runtime_version;
}
