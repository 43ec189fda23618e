/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BART-family plugin: registration only. */

#include "config.h"

#include "oxp-bart-config.h"

/* optimum's tasks for these model types that are encoder-decoder exports;
 * without a task, *ForConditionalGeneration and MarianMTModel mean
 * text2text-generation-with-past and *Model feature-extraction-with-past. */
static const char *const tasks[] = {
  "feature-extraction",
  "feature-extraction-with-past",
  "text2text-generation",
  "text2text-generation-with-past",
  NULL,
};

static const char *const bart_archs[] = {
  "BartForConditionalGeneration",
  "BartModel",
  NULL,
};

static const char *const mbart_archs[] = {
  "MBartForConditionalGeneration",
  "MBartModel",
  NULL,
};

static const char *const marian_archs[] = {
  "MarianMTModel",
  "MarianModel",
  NULL,
};

static gboolean
bart_plugin_init (OxpPlugin *plugin, GError **error)
{
  /* A refused registration is recorded by the core; the others still count. */
  oxp_plugin_register_model (plugin, "bart", OXP_TYPE_BART_ONNX_CONFIG, tasks, bart_archs);
  oxp_plugin_register_model (plugin, "mbart", OXP_TYPE_BART_ONNX_CONFIG, tasks, mbart_archs);
  oxp_plugin_register_model (plugin, "marian", OXP_TYPE_BART_ONNX_CONFIG, tasks, marian_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (bart, "BART-family encoder-decoders: BART, mBART, Marian", bart_plugin_init,
                   PACKAGE_VERSION, "LGPL-2.1-or-later")
