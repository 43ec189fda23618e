/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Its init dereferences a null pointer. */
#include <oxport/oxport.h>

static gboolean
segv_init (OxpPlugin *plugin, GError **error)
{
  /* An unmapped address, not NULL: UBSan would stop at a null store
   * before the fault happens. */
  volatile int *volatile nowhere = (volatile int *)(guintptr)64;

  *nowhere = 42;
  return TRUE;
}

OXP_PLUGIN_DEFINE (segv, "Crashes in init", segv_init, "1.0", "LGPL-2.1-or-later")
