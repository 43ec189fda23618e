/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Whisper plugin: registration only. */

#include "config.h"

#include "oxp-whisper-config.h"

static const char *const tasks[] = {
  "automatic-speech-recognition",
  "automatic-speech-recognition-with-past",
  NULL,
};

static const char *const archs[] = {
  "WhisperForConditionalGeneration",
  NULL,
};

static gboolean
whisper_plugin_init (OxpPlugin *plugin, GError **error)
{
  oxp_plugin_register_model (plugin, "whisper", OXP_TYPE_WHISPER_ONNX_CONFIG, tasks, archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (whisper, "Whisper speech-to-text encoder-decoders", whisper_plugin_init,
                   PACKAGE_VERSION, "LGPL-2.1-or-later")
