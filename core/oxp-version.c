/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

/**
 * oxp_get_version:
 *
 * The version of the library loaded at run time, which may be newer than
 * the headers a program or plugin was built with (%OXP_VERSION_STRING).
 *
 * Returns: the version of the oxport library the program runs with.
 */
const char *
oxp_get_version (void)
{
  return PACKAGE_VERSION;
}
