/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Crashes in an ELF constructor, while the module is being opened: before
 * any descriptor check can run.  Its descriptor is valid. */
#include <oxport/oxport.h>

__attribute__ ((constructor)) static void
crash_on_load (void)
{
  /* An unmapped address, not NULL: UBSan would stop at a null store
   * before the fault happens. */
  volatile int *volatile nowhere = (volatile int *)(guintptr)64;

  *nowhere = 42;
}

static gboolean
ctor_init (OxpPlugin *plugin, GError **error)
{
  return TRUE;
}

OXP_PLUGIN_DEFINE (ctor, "Crashes when opened", ctor_init, "1.0", "LGPL-2.1-or-later")
