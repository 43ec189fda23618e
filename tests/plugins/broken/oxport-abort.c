/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Its init aborts, as a failed assertion would. */
#include <stdlib.h>

#include <oxport/oxport.h>

static gboolean
abort_init (OxpPlugin *plugin, GError **error)
{
  abort ();
}

OXP_PLUGIN_DEFINE (abort, "Aborts in init", abort_init, "1.0", "LGPL-2.1-or-later")
