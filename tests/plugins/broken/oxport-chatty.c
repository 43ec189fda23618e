/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes to stdout in init, which the scanner uses to reply to oxport: its
 * output must not corrupt the reply.  Otherwise well-behaved. */
#include <stdio.h>

#include <oxport/oxport.h>

#include "oxp-test-plugin-configs.h"

OXP_TEST_DEFINE_CONFIG (OxpTestChattyConfig, oxp_test_chatty_config)

static gboolean
chatty_init (OxpPlugin *plugin, GError **error)
{
  static const char *const tasks[] = { "feature-extraction", NULL };
  static const char noise[] = { 0x7f, 0x00, 0x00, 0x00, '[', 'p', 'l', 'u', 'g', 'i', 'n', ']' };

  printf ("chatty plugin: hello from init\n");
  fwrite (noise, 1, sizeof noise, stdout);
  fflush (stdout);
  return oxp_plugin_register_model (plugin, "oxptest-chatty", oxp_test_chatty_config_get_type (),
                                    tasks, NULL);
}

OXP_PLUGIN_DEFINE (chatty, "Prints to stdout in init", chatty_init, "1.0", "LGPL-2.1-or-later")
