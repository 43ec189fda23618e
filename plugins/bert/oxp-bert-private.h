/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* The architecture variants of the family. */
typedef enum
{
  OXP_BERT_KIND_BERT,       /* bert */
  OXP_BERT_KIND_ROBERTA,    /* roberta, xlm-roberta, camembert */
  OXP_BERT_KIND_DISTILBERT, /* distilbert */
  OXP_BERT_KIND_ALBERT,     /* albert */
  OXP_BERT_KIND_ELECTRA,    /* electra */
  OXP_BERT_KIND_MPNET,      /* mpnet: RoBERTa plus a shared relative position bias */
} OxpBertKind;

/* Everything the graph needs from config.json, read once by the config. */
typedef struct
{
  OxpBertKind kind;
  const char *model_type;
  const char *task;
  const char *base_prefix; /* "bert", "roberta", … (the HF base_model_prefix) */
  gint64 vocab_size;
  gint64 hidden_size;
  gint64 embedding_size; /* ALBERT/ELECTRA factorized embeddings; = hidden otherwise */
  gint64 num_layers;
  gint64 num_heads;
  gint64 intermediate_size;
  gint64 max_positions;
  gint64 type_vocab_size; /* 0: no token type embeddings (DistilBERT) */
  gint64 pad_token_id;
  gint64 num_labels;
  gint64 num_hidden_groups; /* ALBERT */
  gint64 inner_group_num;   /* ALBERT */
  gint64 relative_buckets;  /* MPNet: relative_attention_num_buckets */
  double layer_norm_eps;
  const char *hidden_act;     /* value of … */
  const char *hidden_act_key; /* … this config.json key */
  const char *summary_act;    /* ELECTRA multiple-choice SequenceSummary, nullable */
  gboolean summary_use_proj;
} OxpBertSpec;

G_GNUC_INTERNAL
gboolean _oxp_bert_spec_init (OxpBertSpec *spec, OxpNormalizedConfig *config, const char *task,
                              GError **error);

G_GNUC_INTERNAL
gboolean _oxp_bert_build_graph (const OxpBertSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                GError **error);

G_END_DECLS
