/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BERT-family encoder plugin: registration only. */

#include "config.h"

#include "oxp-bert-config.h"

static const char *const tasks[] = {
  "feature-extraction",
  "fill-mask",
  "text-classification",
  "token-classification",
  "question-answering",
  "multiple-choice",
  NULL,
};

#define ARCHITECTURES(prefix)                                                                      \
  {                                                                                                \
    prefix "Model", prefix "ForMaskedLM", prefix "ForSequenceClassification",                      \
        prefix "ForTokenClassification", prefix "ForQuestionAnswering",                            \
        prefix "ForMultipleChoice", NULL                                                           \
  }

static const char *const bert_archs[] = ARCHITECTURES ("Bert");
static const char *const roberta_archs[] = ARCHITECTURES ("Roberta");
static const char *const xlm_roberta_archs[] = ARCHITECTURES ("XLMRoberta");
static const char *const camembert_archs[] = ARCHITECTURES ("Camembert");
static const char *const distilbert_archs[] = ARCHITECTURES ("DistilBert");
static const char *const albert_archs[] = ARCHITECTURES ("Albert");
static const char *const electra_archs[] = ARCHITECTURES ("Electra");
static const char *const mpnet_archs[] = ARCHITECTURES ("MPNet");

static gboolean
bert_plugin_init (OxpPlugin *plugin, GError **error)
{
  GType with_token_types = OXP_TYPE_BERT_ONNX_CONFIG;
  GType without = OXP_TYPE_DISTIL_BERT_ONNX_CONFIG;

  /* A refused registration is recorded by the core; the others still count. */
  oxp_plugin_register_model (plugin, "bert", with_token_types, tasks, bert_archs);
  oxp_plugin_register_model (plugin, "albert", with_token_types, tasks, albert_archs);
  oxp_plugin_register_model (plugin, "electra", with_token_types, tasks, electra_archs);
  oxp_plugin_register_model (plugin, "roberta", without, tasks, roberta_archs);
  oxp_plugin_register_model (plugin, "xlm-roberta", without, tasks, xlm_roberta_archs);
  oxp_plugin_register_model (plugin, "camembert", without, tasks, camembert_archs);
  oxp_plugin_register_model (plugin, "distilbert", without, tasks, distilbert_archs);
  oxp_plugin_register_model (plugin, "mpnet", without, tasks, mpnet_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (bert,
                   "BERT-family encoders: BERT, RoBERTa, XLM-RoBERTa, CamemBERT, DistilBERT, "
                   "ALBERT, ELECTRA, MPNet",
                   bert_plugin_init, PACKAGE_VERSION, "LGPL-2.1-or-later")
