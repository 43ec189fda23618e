/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "oxp-test-utils.h"

char *
oxp_test_srcdir_path (const char *first_element, ...)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (parts, (gpointer) (srcdir ? srcdir : "."));
  va_start (ap, first_element);
  for (const char *e = first_element; e != NULL; e = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) e);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

char *
oxp_test_make_tmpdir (const char *template_name)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (template_name, &error);

  g_assert_no_error (error);
  return dir;
}

guint
oxp_test_count_dir_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  if (d == NULL)
    return 0;
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}
