/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The T5-family plugin: registration only. */

#include "config.h"

#include "oxp-t5-config.h"

static const char *const tasks[] = {
  "feature-extraction",
  "text2text-generation",
  "text2text-generation-with-past",
  NULL,
};

static const char *const t5_archs[] = {
  "T5ForConditionalGeneration",
  "T5Model",
  "T5EncoderModel",
  NULL,
};

static const char *const mt5_archs[] = {
  "MT5ForConditionalGeneration",
  "MT5Model",
  "MT5EncoderModel",
  NULL,
};

static gboolean
t5_plugin_init (OxpPlugin *plugin, GError **error)
{
  /* A refused registration is recorded by the core; the other still counts. */
  oxp_plugin_register_model (plugin, "t5", OXP_TYPE_T5_ONNX_CONFIG, tasks, t5_archs);
  oxp_plugin_register_model (plugin, "mt5", OXP_TYPE_T5_ONNX_CONFIG, tasks, mt5_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (t5, "T5-family encoder-decoders: T5, T5 v1.1, mT5", t5_plugin_init,
                   PACKAGE_VERSION, "LGPL-2.1-or-later")
