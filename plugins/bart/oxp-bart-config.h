/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* BART, mBART, Marian (optimum's BartOnnxConfig, MBartOnnxConfig,
 * MarianOnnxConfig): the text seq2seq layout, whose decoder with past
 * takes no encoder_hidden_states (the encoder past replaces them). */
#define OXP_TYPE_BART_ONNX_CONFIG (oxp_bart_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpBartOnnxConfig, oxp_bart_onnx_config, OXP, BART_ONNX_CONFIG,
                      OxpTextSeq2SeqOnnxConfig)

G_END_DECLS
