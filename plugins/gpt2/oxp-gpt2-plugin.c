/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GPT-2 decoder plugin: registration only. */

#include "config.h"

#include "oxp-gpt2-config.h"

/* optimum's tasks for gpt2 that this plugin builds. */
static const char *const tasks[] = {
  "feature-extraction", "text-generation", "text-generation-with-past", "text-classification", NULL,
};

static const char *const architectures[] = {
  "GPT2LMHeadModel",
  "GPT2Model",
  "GPT2ForSequenceClassification",
  NULL,
};

static gboolean
gpt2_plugin_init (OxpPlugin *plugin, GError **error)
{
  /* A refused registration is recorded by the core. */
  oxp_plugin_register_model (plugin, "gpt2", OXP_TYPE_GPT2_ONNX_CONFIG, tasks, architectures);
  return TRUE;
}

OXP_PLUGIN_DEFINE (gpt2, "GPT-2 decoder-only language models", gpt2_plugin_init, PACKAGE_VERSION,
                   "LGPL-2.1-or-later")
