/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The DeBERTa-v2 encoder plugin: registration only. */

#include "config.h"

#include "oxp-deberta-private.h"

static const char *const tasks[] = {
  "feature-extraction",
  "fill-mask",
  "text-classification",
  "token-classification",
  "question-answering",
  "multiple-choice",
  NULL,
};

static const char *const archs[] = {
  "DebertaV2Model",
  "DebertaV2ForMaskedLM",
  "DebertaV2ForSequenceClassification",
  "DebertaV2ForTokenClassification",
  "DebertaV2ForQuestionAnswering",
  "DebertaV2ForMultipleChoice",
  NULL,
};

static gboolean
deberta_plugin_init (OxpPlugin *plugin, GError **error)
{
  oxp_plugin_register_model (plugin, "deberta-v2", OXP_TYPE_DEBERTA_V2_ONNX_CONFIG, tasks, archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (deberta, "DeBERTa-v2 and v3 encoders (disentangled attention)",
                   deberta_plugin_init, PACKAGE_VERSION, "LGPL-2.1-or-later")
