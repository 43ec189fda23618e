/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oxport-plugin-scanner: loads plugin modules one at a time on behalf of
 * liboxport-1.0, so that a module that crashes, exits or hangs takes down
 * only this helper.  Spoken to over stdin/stdout by the library; not meant
 * to be run by hand. */
#include "config.h"

#include <oxport/oxport.h>

#include "oxp-plugin-scanner-private.h"

int
main (void)
{
  return oxp_plugin_scanner_run ();
}
