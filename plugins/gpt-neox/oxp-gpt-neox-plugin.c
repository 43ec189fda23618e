/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GPT-NeoX / OPT decoder plugin: registration only. */

#include "config.h"

#include "oxp-gpt-neox-config.h"

static const char *const tasks[] = {
  "feature-extraction", "text-generation", "text-generation-with-past", "text-classification", NULL,
};

static const char *const gpt_neox_archs[] = {
  "GPTNeoXModel",
  "GPTNeoXForCausalLM",
  "GPTNeoXForSequenceClassification",
  NULL,
};

static const char *const opt_archs[] = {
  "OPTModel",
  "OPTForCausalLM",
  "OPTForSequenceClassification",
  NULL,
};

static gboolean
gpt_neox_plugin_init (OxpPlugin *plugin, GError **error)
{
  /* A refused registration is recorded by the core; the other still counts. */
  oxp_plugin_register_model (plugin, "gpt_neox", OXP_TYPE_GPT_NEOX_ONNX_CONFIG, tasks,
                             gpt_neox_archs);
  oxp_plugin_register_model (plugin, "opt", OXP_TYPE_OPT_ONNX_CONFIG, tasks, opt_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (gpt_neox, "Decoder-only language models: GPT-NeoX (Pythia), OPT",
                   gpt_neox_plugin_init, PACKAGE_VERSION, "LGPL-2.1-or-later")
