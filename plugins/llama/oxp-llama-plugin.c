/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LLaMA-family decoder plugin: registration only. */

#include "config.h"

#include "oxp-llama-config.h"

static const char *const tasks[] = {
  "feature-extraction", "text-generation", "text-generation-with-past", "text-classification", NULL,
};

#define ARCHITECTURES(prefix)                                                                      \
  {                                                                                                \
    prefix "ForCausalLM", prefix "Model", prefix "ForSequenceClassification", NULL                 \
  }

static const char *const llama_archs[] = ARCHITECTURES ("Llama");
static const char *const mistral_archs[] = ARCHITECTURES ("Mistral");
static const char *const qwen2_archs[] = ARCHITECTURES ("Qwen2");
static const char *const phi3_archs[] = ARCHITECTURES ("Phi3");
static const char *const gemma_archs[] = ARCHITECTURES ("Gemma");

static gboolean
llama_plugin_init (OxpPlugin *plugin, GError **error)
{
  GType with_positions = OXP_TYPE_LLAMA_ONNX_CONFIG;

  /* A refused registration is recorded by the core; the others still count. */
  oxp_plugin_register_model (plugin, "llama", with_positions, tasks, llama_archs);
  oxp_plugin_register_model (plugin, "mistral", with_positions, tasks, mistral_archs);
  oxp_plugin_register_model (plugin, "qwen2", with_positions, tasks, qwen2_archs);
  oxp_plugin_register_model (plugin, "phi3", with_positions, tasks, phi3_archs);
  oxp_plugin_register_model (plugin, "gemma", OXP_TYPE_GEMMA_ONNX_CONFIG, tasks, gemma_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (llama, "LLaMA-family decoders: LLaMA, Mistral, Qwen2, Phi-3, Gemma",
                   llama_plugin_init, PACKAGE_VERSION, "LGPL-2.1-or-later")
