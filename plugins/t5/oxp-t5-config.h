/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* T5, T5 v1.1, mT5 (optimum's T5OnnxConfig): the text seq2seq layout, with
 * encoder_hidden_states kept as an input of the decoder with past. */
#define OXP_TYPE_T5_ONNX_CONFIG (oxp_t5_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpT5OnnxConfig, oxp_t5_onnx_config, OXP, T5_ONNX_CONFIG,
                      OxpTextSeq2SeqOnnxConfig)

G_END_DECLS
