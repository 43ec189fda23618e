/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* LLaMA, Mistral, Qwen2, Phi-3: input_ids, attention_mask, position_ids, past. */
#define OXP_TYPE_LLAMA_ONNX_CONFIG (oxp_llama_onnx_config_get_type ())
G_DECLARE_DERIVABLE_TYPE (OxpLlamaOnnxConfig, oxp_llama_onnx_config, OXP, LLAMA_ONNX_CONFIG,
                          OxpTextDecoderOnnxConfig)

struct _OxpLlamaOnnxConfigClass
{
  OxpTextDecoderOnnxConfigClass parent_class;
};

/* Gemma: no position_ids input (optimum's GemmaOnnxConfig). */
#define OXP_TYPE_GEMMA_ONNX_CONFIG (oxp_gemma_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpGemmaOnnxConfig, oxp_gemma_onnx_config, OXP, GEMMA_ONNX_CONFIG,
                      OxpLlamaOnnxConfig)

G_END_DECLS
