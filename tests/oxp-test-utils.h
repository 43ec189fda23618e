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

G_END_DECLS
