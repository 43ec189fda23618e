/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A loadable module that never declares oxp_plugin_nodesc_desc. */
#include <oxport/oxport.h>

OXP_PLUGIN_EXPORT int oxp_test_nodesc_marker (void);

int
oxp_test_nodesc_marker (void)
{
  return 42;
}
