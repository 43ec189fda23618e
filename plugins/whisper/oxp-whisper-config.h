/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Whisper (optimum's WhisperOnnxConfig): the audio-to-text layout, the
 * encoder halving the frames of input_features. */
#define OXP_TYPE_WHISPER_ONNX_CONFIG (oxp_whisper_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpWhisperOnnxConfig, oxp_whisper_onnx_config, OXP, WHISPER_ONNX_CONFIG,
                      OxpAudioToTextOnnxConfig)

G_END_DECLS
