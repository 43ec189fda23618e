/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* BERT, ALBERT, ELECTRA: input_ids, attention_mask, token_type_ids. */
#define OXP_TYPE_BERT_ONNX_CONFIG (oxp_bert_onnx_config_get_type ())
G_DECLARE_DERIVABLE_TYPE (OxpBertOnnxConfig, oxp_bert_onnx_config, OXP, BERT_ONNX_CONFIG,
                          OxpTextEncoderOnnxConfig)

struct _OxpBertOnnxConfigClass
{
  OxpTextEncoderOnnxConfigClass parent_class;
};

/* DistilBERT, RoBERTa, XLM-RoBERTa, CamemBERT: input_ids, attention_mask. */
#define OXP_TYPE_DISTIL_BERT_ONNX_CONFIG (oxp_distil_bert_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpDistilBertOnnxConfig, oxp_distil_bert_onnx_config, OXP,
                      DISTIL_BERT_ONNX_CONFIG, OxpBertOnnxConfig)

G_END_DECLS
