/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Path of a file under tests/ in the source tree (G_TEST_SRCDIR). (transfer full) */
char *oxp_test_srcdir_path (const char *first_element, ...) G_GNUC_NULL_TERMINATED;
/* A new empty directory under the test's temporary folder. (transfer full) */
char *oxp_test_make_tmpdir (const char *template_name);
/* Number of entries in @dir (0 when it does not exist). */
guint oxp_test_count_dir_entries (const char *dir);

/* The folder of gen-test-models.py's models, shared by a test program and
 * the subprocesses it spawns: the folder named by the environment variable
 * @env_var when it is set (in a subprocess), else a new temporary folder
 * (@template_name) that the script writes the models into and that @env_var
 * names from then on; *@owned tells which (the owner removes it with
 * oxp_test_remove_models_dir()).  Aborts when the script fails.
 * (transfer full) */
char *oxp_test_models_dir (const char *env_var, const char *template_name, gboolean *owned);
/* Removes the files in @dir, then @dir. */
void oxp_test_remove_models_dir (const char *dir);

/* Greedy decoding of @n_new tokens after @prompt ([@batch, @prompt_len],
 * unpadded) through a single-file decoder (current optimum's model.onnx):
 * with @use_cache each step feeds the last presents back as the past, else
 * every step reruns the whole sequence with an empty past.  Aborts the test
 * on a run error.  Returns [@batch, @n_new] tokens. (transfer full) */
gint64 *oxp_test_greedy_generate (OxpRuntimeSession *session, gint64 batch, gint64 prompt_len,
                                  const gint64 *prompt, guint n_new, gboolean use_cache);

G_END_DECLS
