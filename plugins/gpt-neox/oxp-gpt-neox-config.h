/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* GPT-NeoX: input_ids, attention_mask, position_ids, then the past. */
#define OXP_TYPE_GPT_NEOX_ONNX_CONFIG (oxp_gpt_neox_onnx_config_get_type ())
G_DECLARE_DERIVABLE_TYPE (OxpGptNeoxOnnxConfig, oxp_gpt_neox_onnx_config, OXP, GPT_NEOX_ONNX_CONFIG,
                          OxpTextDecoderOnnxConfig)

struct _OxpGptNeoxOnnxConfigClass
{
  OxpTextDecoderOnnxConfigClass parent_class;
};

/* OPT: input_ids, attention_mask, the past, then position_ids (OPT's
 * forward signature, which optimum follows). */
#define OXP_TYPE_OPT_ONNX_CONFIG (oxp_opt_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpOptOnnxConfig, oxp_opt_onnx_config, OXP, OPT_ONNX_CONFIG,
                      OxpGptNeoxOnnxConfig)

G_END_DECLS
