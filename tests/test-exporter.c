/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "oxp-test-utils.h"

/* OxpExporter as a library user drives it: what a result reports, the
 * order of the progress steps, the validation outcomes, and that a failed
 * run leaves nothing behind.  Uses the bert plugin on OXPORT_PLUGIN_PATH
 * and ONNX Runtime from OXPORT_ONNXRUNTIME (both set by the harness). */

typedef struct
{
  OxpTasksManager *manager;
  char *tmpdir;
  char *outdir;
  char *case_dir;
  char *reference;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->manager = oxp_tasks_manager_new ();
  g_assert_true (oxp_tasks_manager_load_plugins (f->manager, NULL, TRUE, &error));
  g_assert_no_error (error);
  f->tmpdir = oxp_test_make_tmpdir ("oxp-exporter-XXXXXX");
  f->outdir = g_build_filename (f->tmpdir, "out", NULL);
  f->case_dir = oxp_test_srcdir_path ("data", "bert_text-classification", NULL);
  f->reference = g_build_filename (f->case_dir, "vectors.safetensors", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->tmpdir);
  g_clear_object (&f->manager);
  g_free (f->tmpdir);
  g_free (f->outdir);
  g_free (f->case_dir);
  g_free (f->reference);
}

static gboolean
have_runtime (void)
{
  const char *path = g_getenv ("OXPORT_ONNXRUNTIME");

  if (path != NULL && *path != '\0')
    return TRUE;
  g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime to validate with");
  return FALSE;
}

static gboolean
have_bert (Fixture *f)
{
  if (oxp_tasks_manager_get_plugin_for_model_type (f->manager, "bert") != NULL)
    return TRUE;
  g_test_skip ("the bert plugin is not on OXPORT_PLUGIN_PATH");
  return FALSE;
}

typedef struct
{
  GArray *stages;
  guint64 last_done;
  guint64 last_total;
} Steps;

static void
record_step (OxpExportStage stage, const char *detail, guint64 done, guint64 total,
             gpointer user_data)
{
  Steps *steps = user_data;

  g_assert_nonnull (detail);
  if (steps->stages->len == 0
      || g_array_index (steps->stages, OxpExportStage, steps->stages->len - 1) != stage)
    g_array_append_val (steps->stages, stage);
  if (stage == OXP_EXPORT_STAGE_WRITE)
    {
      steps->last_done = done;
      steps->last_total = total;
    }
}

static guint64
file_size (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return (guint64)st.st_size;
}

static void
test_run_summary (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Steps steps = { g_array_new (FALSE, FALSE, sizeof (OxpExportStage)), 0, 0 };
  static const OxpExportStage expected[] = {
    OXP_EXPORT_STAGE_CHECKPOINT, OXP_EXPORT_STAGE_CONFIG, OXP_EXPORT_STAGE_BUILD,
    OXP_EXPORT_STAGE_WRITE,      OXP_EXPORT_STAGE_COPY,   OXP_EXPORT_STAGE_VALIDATE,
  };
  GPtrArray *reports;
  OxpValidationReport *report;

  if (!have_bert (f) || !have_runtime ())
    goto out;
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_reference (exporter, f->reference);
  oxp_exporter_set_progress_func (exporter, record_step, &steps, NULL);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  g_assert_cmpstr (oxp_export_result_get_model_type (result), ==, "bert");
  g_assert_cmpstr (oxp_export_result_get_task (result), ==, "text-classification");
  g_assert_true (oxp_export_result_get_task_inferred (result));
  g_assert_cmpuint (oxp_export_result_get_opset (result), ==, 17);
  g_assert_cmpint (oxp_export_result_get_float_type (result), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpuint (oxp_export_result_get_n_parameters (result), >, 0);
  g_assert_cmpstr (oxp_export_result_get_outdir (result), ==, f->outdir);

  g_assert_cmpuint (oxp_export_result_get_submodels (result)->len, ==, 1);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (
                       g_ptr_array_index (oxp_export_result_get_submodels (result), 0)),
                   ==, "model.onnx");
  g_assert_cmpuint (oxp_export_result_get_n_files (result), ==, 2);
  g_assert_cmpstr (oxp_export_result_get_file_name (result, 0), ==, "model.onnx");
  g_assert_cmpstr (oxp_export_result_get_file_name (result, 1), ==, "config.json");
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (oxp_export_result_get_file_size (result, i), ==,
                      file_size (f->outdir, oxp_export_result_get_file_name (result, i)));
  g_assert_cmpuint (oxp_test_count_dir_entries (f->outdir), ==, 2);

  g_assert_cmpint (oxp_export_result_get_validation (result), ==, OXP_EXPORT_VALIDATION_PASSED);
  g_assert_null (oxp_export_result_get_validation_message (result));
  g_assert_nonnull (oxp_export_result_get_runtime_version (result));
  reports = oxp_export_result_get_validation_reports (result);
  g_assert_cmpuint (reports->len, ==, 1);
  report = g_ptr_array_index (reports, 0);
  g_assert_true (oxp_validation_report_get_passed (report));
  g_assert_cmpfloat (oxp_export_result_get_validation_elapsed (result), >, 0);
  g_assert_cmpfloat (oxp_export_result_get_elapsed (result), >=,
                     oxp_export_result_get_validation_elapsed (result));

  /* Every step once, in pipeline order; the last write report is complete. */
  g_assert_cmpuint (steps.stages->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (g_array_index (steps.stages, OxpExportStage, i), ==, expected[i]);
  g_assert_cmpuint (steps.last_total, >, 0);
  g_assert_cmpuint (steps.last_done, ==, steps.last_total);

out:
  g_array_unref (steps.stages);
}

static void
test_run_no_validate (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!have_bert (f))
    return;
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  /* An old task name is folded; a given task is not "inferred". */
  oxp_exporter_set_task (exporter, "default");
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (oxp_export_result_get_task (result), ==, "feature-extraction");
  g_assert_false (oxp_export_result_get_task_inferred (result));
  g_assert_cmpint (oxp_export_result_get_validation (result), ==, OXP_EXPORT_VALIDATION_NOT_RUN);
  g_assert_cmpuint (oxp_export_result_get_validation_reports (result)->len, ==, 0);
  g_assert_null (oxp_export_result_get_runtime_version (result));
}

static void
test_run_runtime_missing (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->tmpdir, "nonesuch", "libonnxruntime.so.1", NULL);

  if (!have_bert (f))
    return;
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_runtime_path (exporter, missing);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (oxp_export_result_get_validation (result), ==, OXP_EXPORT_VALIDATION_SKIPPED);
  g_assert_nonnull (oxp_export_result_get_validation_message (result));
  g_assert_cmpuint (file_size (f->outdir, "model.onnx"), >, 0);
}

static void
test_run_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  OxpValidationReport *report;

  if (!have_bert (f) || !have_runtime ())
    return;
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_reference (exporter, f->reference);
  oxp_exporter_set_atol (exporter, 1e-12);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (oxp_export_result_get_validation (result), ==, OXP_EXPORT_VALIDATION_FAILED);
  g_assert_nonnull (strstr (oxp_export_result_get_validation_message (result), "logits"));
  report = g_ptr_array_index (oxp_export_result_get_validation_reports (result), 0);
  g_assert_false (oxp_validation_report_get_passed (report));
  /* The written model stays for inspection. */
  g_assert_cmpuint (file_size (f->outdir, "model.onnx"), >, 0);
}

static void
test_run_fp16 (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  OxpValidationReport *report;
  gboolean compared = FALSE;

  if (!have_bert (f) || !have_runtime ())
    return;
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_float_type (exporter, OXP_DATA_TYPE_FLOAT16);
  oxp_exporter_set_reference (exporter, f->reference);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (oxp_export_result_get_float_type (result), ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpint (oxp_export_result_get_validation (result), ==, OXP_EXPORT_VALIDATION_PASSED);
  report = g_ptr_array_index (oxp_export_result_get_validation_reports (result), 0);
  for (guint i = 0; i < oxp_validation_report_get_n_checks (report); i++)
    {
      const OxpValidationCheck *check = oxp_validation_report_get_check (report, i);

      if (oxp_validation_check_get_kind (check) != OXP_VALIDATION_CHECK_REFERENCE)
        continue;
      compared = TRUE;
      /* fp16 against the fp32 reference: the half-precision tolerance, and a
       * real difference (fp16 is not silently fp32). */
      g_assert_cmpfloat (oxp_validation_check_get_atol (check), ==, OXP_EXPORTER_HALF_ATOL);
      g_assert_cmpfloat (oxp_validation_check_get_max_abs_diff (check), >, 1e-5);
      g_test_message ("fp16 %s: max abs diff %.3g vs the fp32 reference",
                      oxp_validation_check_get_name (check),
                      oxp_validation_check_get_max_abs_diff (check));
    }
  g_assert_true (compared);
}

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
copy_file (const char *from_dir, const char *to_dir, const char *name)
{
  g_autofree char *from = g_build_filename (from_dir, name, NULL);
  g_autofree char *contents = NULL;
  gsize length;
  g_autofree char *to = g_build_filename (to_dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_get_contents (from, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, contents, (gssize)length, &error);
  g_assert_no_error (error);
}

static void
test_side_files (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *model = g_build_filename (f->tmpdir, "model", NULL);
  static const char *const copied[] = {
    "config.json", "tokenizer.json", "tokenizer_config.json",    "special_tokens_map.json",
    "vocab.txt",   "merges.txt",     "preprocessor_config.json", "sentencepiece.bpe.model",
    NULL,
  };

  if (!have_bert (f))
    return;
  g_assert_cmpint (g_mkdir (model, 0755), ==, 0);
  copy_file (f->case_dir, model, "config.json");
  copy_file (f->case_dir, model, "model.safetensors");
  for (guint i = 1; copied[i] != NULL; i++)
    write_file (model, copied[i], "{}");
  write_file (model, "README.md", "not a tokenizer file");
  write_file (model, "training_args.bin", "not a tokenizer file");

  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, model, f->outdir, &error);
  g_assert_no_error (error);
  for (guint i = 0; copied[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (f->outdir, copied[i], NULL);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    }
  /* model.onnx + the copies, and nothing else. */
  g_assert_cmpuint (oxp_test_count_dir_entries (f->outdir), ==,
                    1 + g_strv_length ((char **)copied));
  g_assert_cmpuint (oxp_export_result_get_n_files (result), ==,
                    1 + g_strv_length ((char **)copied));
}

static void
test_error_unknown_task (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!have_bert (f))
    return;
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_task (exporter, "teleportation");
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_null (result);
  g_assert_error (error, OXP_PLUGIN_ERROR, OXP_PLUGIN_ERROR_UNKNOWN_TASK);
  g_assert_nonnull (strstr (error->message, "teleportation"));
  g_assert_false (g_file_test (f->outdir, G_FILE_TEST_EXISTS));
}

static void
test_error_missing_checkpoint (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = oxp_exporter_new (f->manager);
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->tmpdir, "nonesuch", NULL);

  result = oxp_exporter_run (exporter, missing, f->outdir, &error);
  g_assert_null (result);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (f->outdir, G_FILE_TEST_EXISTS));
}

static void
test_error_late_failure (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *blocker = g_build_filename (f->outdir, "config.json", NULL);

  if (!have_bert (f))
    return;
  /* model.onnx gets written, then config.json cannot be copied over a folder. */
  g_assert_cmpint (g_mkdir_with_parents (blocker, 0755), ==, 0);
  write_file (f->outdir, "keep.txt", "the user's");
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_null (result);
  g_assert_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "config.json"));
  /* What this run wrote is gone; what was there stays. */
  g_assert_cmpuint (oxp_test_count_dir_entries (f->outdir), ==, 2);
  g_assert_true (g_file_test (blocker, G_FILE_TEST_IS_DIR));
  {
    g_autofree char *model = g_build_filename (f->outdir, "model.onnx", NULL);
    g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  }
}

static void
test_error_outdir_is_file (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!have_bert (f))
    return;
  write_file (f->tmpdir, "out", "a file");
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  g_assert_null (result);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  g_assert_true (g_file_test (f->outdir, G_FILE_TEST_IS_REGULAR));
}

/* Another export holds OUTDIR's lock: refused with G_FILE_ERROR_AGAIN, and
 * nothing in OUTDIR changes (no lock file either). */
static void
test_error_outdir_locked (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int fd;

  if (!have_bert (f))
    return;
  g_assert_cmpint (g_mkdir (f->outdir, 0755), ==, 0);
  write_file (f->outdir, "keep.txt", "the user's");
  fd = g_open (f->outdir, O_RDONLY | O_DIRECTORY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, f->case_dir, f->outdir, &error);
  close (fd);
  g_assert_null (result);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_AGAIN);
  g_assert_nonnull (strstr (error->message, "locked by another oxport export"));
  g_assert_nonnull (strstr (error->message, "was changed"));
  g_assert_cmpuint (oxp_test_count_dir_entries (f->outdir), ==, 1);
}

/* OUTDIR is the model folder: refused before anything is written. */
static void
test_error_outdir_is_model (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *model = g_build_filename (f->tmpdir, "model", NULL);
  g_autofree char *alias = g_build_filename (f->tmpdir, "alias", NULL);

  if (!have_bert (f))
    return;
  g_assert_cmpint (g_mkdir (model, 0755), ==, 0);
  copy_file (f->case_dir, model, "config.json");
  copy_file (f->case_dir, model, "model.safetensors");
  g_assert_cmpint (symlink (model, alias), ==, 0);
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, model, alias, &error);
  g_assert_null (result);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, "is the model folder"));
  g_assert_cmpuint (oxp_test_count_dir_entries (model), ==, 2);
}

/* A side file symlinked out of the model folder is skipped, and the result
 * says so; one inside it is copied. */
static void
test_side_file_symlink (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpExporter) exporter = NULL;
  g_autoptr (OxpExportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *model = g_build_filename (f->tmpdir, "model", NULL);
  g_autofree char *secret = g_build_filename (f->tmpdir, "secret", NULL);
  g_autofree char *link = g_build_filename (model, "tokenizer.json", NULL);
  g_autofree char *inner = g_build_filename (model, "vocab.txt", NULL);
  g_autofree char *copied = NULL;
  GPtrArray *warnings;

  if (!have_bert (f))
    return;
  g_assert_cmpint (g_mkdir (model, 0755), ==, 0);
  copy_file (f->case_dir, model, "config.json");
  copy_file (f->case_dir, model, "model.safetensors");
  write_file (f->tmpdir, "secret", "not for export");
  write_file (model, "real-vocab.txt", "a b c");
  g_assert_cmpint (symlink (secret, link), ==, 0);
  g_assert_cmpint (symlink ("real-vocab.txt", inner), ==, 0);
  exporter = oxp_exporter_new (f->manager);
  oxp_exporter_set_validate (exporter, FALSE);
  result = oxp_exporter_run (exporter, model, f->outdir, &error);
  g_assert_no_error (error);
  warnings = oxp_export_result_get_warnings (result);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 0), "outside the model folder"));
  copied = g_build_filename (f->outdir, "tokenizer.json", NULL);
  g_assert_false (g_file_test (copied, G_FILE_TEST_EXISTS));
  g_free (copied);
  copied = g_build_filename (f->outdir, "vocab.txt", NULL);
  g_assert_true (g_file_test (copied, G_FILE_TEST_IS_REGULAR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/oxp/exporter/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("run/summary", test_run_summary);
  ADD ("run/no-validate", test_run_no_validate);
  ADD ("run/runtime-missing", test_run_runtime_missing);
  ADD ("run/validation-mismatch", test_run_mismatch);
  ADD ("run/fp16", test_run_fp16);
  ADD ("run/side-files", test_side_files);
  ADD ("error/unknown-task", test_error_unknown_task);
  ADD ("error/missing-checkpoint", test_error_missing_checkpoint);
  ADD ("error/late-failure", test_error_late_failure);
  ADD ("error/outdir-is-file", test_error_outdir_is_file);
  ADD ("error/outdir-locked", test_error_outdir_locked);
  ADD ("error/outdir-is-model", test_error_outdir_is_model);
  ADD ("run/side-file-symlink", test_side_file_symlink);
#undef ADD
  return g_test_run ();
}
