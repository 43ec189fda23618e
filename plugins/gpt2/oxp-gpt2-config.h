/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* GPT-2: input_ids, past_key_values.*, attention_mask, position_ids (the
 * order of GPT2Model.forward, which optimum follows). */
#define OXP_TYPE_GPT2_ONNX_CONFIG (oxp_gpt2_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpGpt2OnnxConfig, oxp_gpt2_onnx_config, OXP, GPT2_ONNX_CONFIG,
                      OxpTextDecoderOnnxConfig)

G_END_DECLS
