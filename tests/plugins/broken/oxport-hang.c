/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Its init never returns. */
#include <oxport/oxport.h>

static gboolean
hang_init (OxpPlugin *plugin, GError **error)
{
  /* Sleeps rather than spins, to spare the CPU while the scanner waits. */
  for (;;)
    g_usleep (G_USEC_PER_SEC / 10);
  return TRUE;
}

OXP_PLUGIN_DEFINE (hang, "Never finishes its init", hang_init, "1.0", "LGPL-2.1-or-later")
