/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Its init ends the process with status 0: run in-process, `oxport export`
 * would "succeed" having done nothing. */
#include <stdlib.h>

#include <oxport/oxport.h>

static gboolean
exit_init (OxpPlugin *plugin, GError **error)
{
  exit (0);
}

OXP_PLUGIN_DEFINE (exit, "Exits in init", exit_init, "1.0", "LGPL-2.1-or-later")
