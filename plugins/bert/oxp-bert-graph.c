/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BERT family's graphs, composed from the core building blocks.  Each
 * variant follows transformers' modeling_{bert,roberta,xlm_roberta,
 * camembert,distilbert,albert,electra,mpnet}.py. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-bert-private.h"

typedef struct
{
  const OxpBertSpec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  const char *prefix; /* "<base_prefix>." or "" */
  GError **error;
  const char *ids; /* input_ids, [batch·choices, seq] for multiple-choice */
} Ctx;

static gboolean
has_input (OxpGraph *graph, const char *name)
{
  GPtrArray *inputs = oxp_graph_get_inputs (graph);

  for (guint i = 0; i < inputs->len; i++)
    if (g_str_equal (oxp_tensor_spec_get_name (g_ptr_array_index (inputs, i)), name))
      return TRUE;
  return FALSE;
}

/* MPNet's embeddings and heads are RoBERTa's (modeling_mpnet.py copies them). */
static gboolean
roberta_like (const OxpBertSpec *s)
{
  return s->kind == OXP_BERT_KIND_ROBERTA || s->kind == OXP_BERT_KIND_MPNET;
}

static gboolean
has_tensor (Ctx *c, const char *name)
{
  return oxp_checkpoint_lookup (c->checkpoint, name) != NULL;
}

static const char *
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, OXP_LINEAR_DEFAULT,
                           c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix, gint64 hidden, double eps)
{
  return oxp_block_layer_norm (c->graph, c->checkpoint, x, prefix, hidden, eps, c->error);
}

/* Task models prefix the encoder's tensors with the base model's name
 * ("bert.encoder…"); AutoModel checkpoints do not ("encoder…"). */
static gboolean
resolve_prefix (Ctx *c)
{
  const char *word = "embeddings.word_embeddings.weight";
  const char *prefixed = oxp_graph_intern_printf (c->graph, "%s.%s", c->spec->base_prefix, word);

  if (has_tensor (c, prefixed))
    c->prefix = oxp_graph_intern_printf (c->graph, "%s.", c->spec->base_prefix);
  else if (has_tensor (c, word))
    c->prefix = "";
  else
    {
      /* Name the tensor the task's model class would hold. */
      gboolean base = g_str_equal (c->spec->task, "feature-extraction");
      oxp_checkpoint_get_tensor (c->checkpoint, base ? word : prefixed, c->error);
      return FALSE;
    }
  return TRUE;
}

/* ---- embeddings ------------------------------------------------------- */

/* Optimize level 2, float32: the three lookups, their sum and the LayerNorm
 * in one com.microsoft EmbedLayerNormalization (ORT's CPU kernel is float32
 * only; its ids are int32, cast inside so the inputs stay the plain
 * export's).  Its mask_index output is not used: it counts the mask's ones,
 * which is the padding only for right-padded masks, so Attention keeps the
 * exact 2D mask.  BERT's positions are arange(seq), the kernel's default;
 * RoBERTa's (offset past padding_idx) go in as position_ids.  Without a
 * token_type_ids input the segment ids are zeros (row 0, as transformers'
 * buffer), ids − ids. */
static const char *
embed_layer_norm (Ctx *c, const char *ids, const char *token_types)
{
  const OxpBertSpec *s = c->spec;
  const char *p = c->prefix;
  gint64 e = s->embedding_size;
  gint64 word_shape[2] = { s->vocab_size, e }, pos_shape[2] = { s->max_positions, e };
  gint64 type_shape[2] = { s->type_vocab_size, e };
  const char *names[5] = {
    oxp_graph_intern_printf (c->graph, "%sembeddings.word_embeddings.weight", p),
    oxp_graph_intern_printf (c->graph, "%sembeddings.position_embeddings.weight", p),
    s->type_vocab_size > 0
        ? oxp_graph_intern_printf (c->graph, "%sembeddings.token_type_embeddings.weight", p)
        : NULL,
    oxp_graph_intern_printf (c->graph, "%sembeddings.LayerNorm.weight", p),
    oxp_graph_intern_printf (c->graph, "%sembeddings.LayerNorm.bias", p),
  };
  const gint64 *shapes[5] = { word_shape, pos_shape, type_shape, &e, &e };
  const char *w[5] = { NULL }, *inputs[9] = { NULL }, *ids32;
  OxpNode *node;

  for (guint i = 0; i < 5; i++)
    {
      if (names[i] == NULL)
        continue;
      if (!oxp_checkpoint_expect_float_tensor (c->checkpoint, names[i], shapes[i], i < 3 ? 2 : 1,
                                               c->error)
          || (w[i]
              = oxp_graph_add_weight (c->graph, c->checkpoint, names[i], OXP_WEIGHT_NONE, c->error))
                 == NULL)
        return NULL;
    }

  ids32 = oxp_block_cast (c->graph, ids, OXP_DATA_TYPE_INT32);
  inputs[0] = ids32;
  if (s->type_vocab_size > 0)
    inputs[1] = token_types ? oxp_block_cast (c->graph, token_types, OXP_DATA_TYPE_INT32)
                            : oxp_graph_op (c->graph, "Sub", ids32, ids32, NULL);
  inputs[2] = w[0];
  inputs[3] = w[1];
  inputs[4] = w[2];
  inputs[5] = w[3];
  inputs[6] = w[4];
  if (roberta_like (s))
    inputs[8] = oxp_block_cast (
        c->graph, oxp_block_padded_position_ids (c->graph, ids, s->pad_token_id, NULL),
        OXP_DATA_TYPE_INT32);
  node = oxp_graph_add_node (c->graph, "EmbedLayerNormalization", inputs, inputs[8] ? 9 : 7, 2);
  oxp_node_set_domain (node, "com.microsoft");
  oxp_node_set_attr_float (node, "epsilon", (float)s->layer_norm_eps);
  return oxp_node_get_output (node, 0);
}

static const char *
embeddings (Ctx *c, const char *ids, const char *token_types)
{
  const OxpBertSpec *s = c->spec;
  const char *p = c->prefix;
  gint64 e = s->embedding_size;
  const char *x, *pos, *pe;

  if (oxp_graph_get_optimize_level (c->graph) >= 2
      && oxp_graph_get_float_type (c->graph) == OXP_DATA_TYPE_FLOAT)
    return embed_layer_norm (c, ids, token_types);

  x = oxp_block_embedding (
      c->graph, c->checkpoint, ids,
      oxp_graph_intern_printf (c->graph, "%sembeddings.word_embeddings.weight", p), s->vocab_size,
      e, c->error);
  if (x == NULL)
    return NULL;

  if (s->type_vocab_size > 0)
    {
      /* Without a token_type_ids input (RoBERTa), transformers looks up
       * its all-zeros buffer: row 0 for every position. */
      const char *tt = token_types ? token_types
                                   : oxp_graph_add_constant_int64 (c->graph, "token_type_zero", 0);
      const char *te = oxp_block_embedding (
          c->graph, c->checkpoint, tt,
          oxp_graph_intern_printf (c->graph, "%sembeddings.token_type_embeddings.weight", p),
          s->type_vocab_size, e, c->error);
      if (te == NULL)
        return NULL;
      x = oxp_graph_op (c->graph, "Add", x, te, NULL);
    }

  if (roberta_like (s))
    pos = oxp_block_padded_position_ids (c->graph, ids, s->pad_token_id, NULL);
  else
    pos = oxp_block_position_ids (c->graph, ids, NULL);
  pe = oxp_block_embedding (
      c->graph, c->checkpoint, pos,
      oxp_graph_intern_printf (c->graph, "%sembeddings.position_embeddings.weight", p),
      s->max_positions, e, c->error);
  if (pe == NULL)
    return NULL;
  x = oxp_graph_op (c->graph, "Add", x, pe, NULL);

  return layer_norm (c, x, oxp_graph_intern_printf (c->graph, "%sembeddings.LayerNorm", p), e,
                     s->layer_norm_eps);
}

/* ---- encoder ------------------------------------------------------------ */

/* Tensor names of one post-LN encoder layer, relative to its prefix. */
typedef struct
{
  const char *q, *k, *v, *o, *attention_norm, *ffn_in, *ffn_out, *output_norm;
} LayerNames;

static const LayerNames bert_layer_names = {
  "attention.self.query",   "attention.self.key",         "attention.self.value",
  "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
  "output.dense",           "output.LayerNorm",
};

static const LayerNames distilbert_layer_names = {
  "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
  "sa_layer_norm",   "ffn.lin1",        "ffn.lin2",        "output_layer_norm",
};

static const LayerNames mpnet_layer_names = {
  "attention.attn.q",    "attention.attn.k",   "attention.attn.v", "attention.attn.o",
  "attention.LayerNorm", "intermediate.dense", "output.dense",     "output.LayerNorm",
};

static const LayerNames albert_layer_names = {
  "attention.query",     "attention.key", "attention.value", "attention.dense",
  "attention.LayerNorm", "ffn",           "ffn_output",      "full_layer_layer_norm",
};

/* h1 = LN(h + O·attention(Q h, K h, V h)); out = LN(h1 + W2·act(W1 h1)). */
static const char *
encoder_layer (Ctx *c, const char *h, const char *mask, const char *prefix, const LayerNames *n)
{
  const OxpBertSpec *s = c->spec;
  gint64 hs = s->hidden_size, heads = s->num_heads, dim = s->hidden_size / s->num_heads;
  const char *ctx, *h1, *f;

#define L(field) oxp_graph_intern_printf (c->graph, "%s%s", prefix, n->field)
  oxp_graph_push_scope (c->graph, "attention");
  ctx = oxp_block_self_attention (c->graph, c->checkpoint, h, L (q), L (k), L (v), hs, heads, mask,
                                  1.0 / sqrt ((double)dim), c->error);
  if (ctx == NULL || (ctx = linear (c, ctx, L (o), hs, hs)) == NULL)
    return NULL;
  h1 = oxp_block_skip_layer_norm (c->graph, c->checkpoint, ctx, h, L (attention_norm), hs,
                                  s->layer_norm_eps, c->error);
  oxp_graph_pop_scope (c->graph);
  if (h1 == NULL)
    return NULL;

  oxp_graph_push_scope (c->graph, "ffn");
  if ((f = linear (c, h1, L (ffn_in), hs, s->intermediate_size)) == NULL
      || (f = oxp_block_activation (c->graph, f, s->hidden_act, s->hidden_act_key, c->error))
             == NULL
      || (f = linear (c, f, L (ffn_out), s->intermediate_size, hs)) == NULL)
    return NULL;
  f = oxp_block_skip_layer_norm (c->graph, c->checkpoint, f, h1, L (output_norm), hs,
                                 s->layer_norm_eps, c->error);
  oxp_graph_pop_scope (c->graph);
#undef L
  return f;
}

static const char *
encoder (Ctx *c, const char *h, const char *mask)
{
  const OxpBertSpec *s = c->spec;
  const char *p = c->prefix;

  if (s->kind == OXP_BERT_KIND_MPNET)
    {
      /* MPNetEncoder.compute_position_bias: T5's bidirectional buckets of
       * key − query over arange positions (max distance 128, fixed in
       * transformers), computed once and added to every layer's scores. */
      const char *bias = oxp_block_relative_position_bias (
          c->graph, c->checkpoint,
          oxp_graph_intern_printf (c->graph, "%sencoder.relative_attention_bias.weight", p), c->ids,
          NULL, s->num_heads, TRUE, s->relative_buckets, 128, c->error);
      if (bias == NULL)
        return NULL;
      mask = oxp_graph_op (c->graph, "Add", mask, bias, NULL);
    }

  for (gint64 i = 0; i < s->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "layer.%" G_GINT64_FORMAT, i);
      switch (s->kind)
        {
        case OXP_BERT_KIND_DISTILBERT:
          h = encoder_layer (
              c, h, mask,
              oxp_graph_intern_printf (c->graph, "%stransformer.layer.%" G_GINT64_FORMAT ".", p, i),
              &distilbert_layer_names);
          break;
        case OXP_BERT_KIND_ALBERT:
          {
            /* Layer i runs every inner layer of its group; groups share weights. */
            gint64 group = i * s->num_hidden_groups / s->num_layers;
            for (gint64 j = 0; j < s->inner_group_num && h != NULL; j++)
              h = encoder_layer (
                  c, h, mask,
                  oxp_graph_intern_printf (c->graph,
                                           "%sencoder.albert_layer_groups.%" G_GINT64_FORMAT
                                           ".albert_layers.%" G_GINT64_FORMAT ".",
                                           p, group, j),
                  &albert_layer_names);
          }
          break;
        default:
          h = encoder_layer (
              c, h, mask,
              oxp_graph_intern_printf (c->graph, "%sencoder.layer.%" G_GINT64_FORMAT ".", p, i),
              s->kind == OXP_BERT_KIND_MPNET ? &mpnet_layer_names : &bert_layer_names);
          break;
        }
      oxp_graph_pop_scope (c->graph);
    }
  return h;
}

/* ---- heads -------------------------------------------------------------- */

/* BERT/ALBERT/RoBERTa pooler: tanh(dense(h[:, 0])). */
static const char *
pooler (Ctx *c, const char *h)
{
  const OxpBertSpec *s = c->spec;
  const char *dense = s->kind == OXP_BERT_KIND_ALBERT
                          ? oxp_graph_intern_printf (c->graph, "%spooler", c->prefix)
                          : oxp_graph_intern_printf (c->graph, "%spooler.dense", c->prefix);
  const char *x
      = linear (c, oxp_block_select_token (c->graph, h, 0), dense, s->hidden_size, s->hidden_size);

  return x ? oxp_graph_op (c->graph, "Tanh", x, NULL) : NULL;
}

/* The sentence-level head up to its last projection; returns the features
 * the last Linear (@out_prefix) reads. */
static const char *
sentence_features (Ctx *c, const char *h, const char **out_prefix)
{
  const OxpBertSpec *s = c->spec;
  gint64 hs = s->hidden_size;
  const char *x;

  switch (s->kind)
    {
    case OXP_BERT_KIND_ROBERTA:
    case OXP_BERT_KIND_MPNET:
      if (g_str_equal (s->task, "multiple-choice"))
        {
          *out_prefix = "classifier";
          return pooler (c, h);
        }
      /* RobertaClassificationHead: dense, tanh, out_proj on <s>. */
      *out_prefix = "classifier.out_proj";
      x = linear (c, oxp_block_select_token (c->graph, h, 0), "classifier.dense", hs, hs);
      return x ? oxp_graph_op (c->graph, "Tanh", x, NULL) : NULL;
    case OXP_BERT_KIND_DISTILBERT:
      /* pre_classifier, ReLU on [CLS]. */
      *out_prefix = "classifier";
      x = linear (c, oxp_block_select_token (c->graph, h, 0), "pre_classifier", hs, hs);
      return x ? oxp_graph_op (c->graph, "Relu", x, NULL) : NULL;
    case OXP_BERT_KIND_ELECTRA:
      if (g_str_equal (s->task, "multiple-choice"))
        {
          /* SequenceSummary ("first"), then classifier. */
          *out_prefix = "classifier";
          x = oxp_block_select_token (c->graph, h, 0);
          if (s->summary_use_proj
              && (x = linear (c, x, "sequence_summary.summary", hs, hs)) == NULL)
            return NULL;
          if (s->summary_act != NULL)
            x = oxp_block_activation (c->graph, x, s->summary_act, "summary_activation", c->error);
          return x;
        }
      /* ElectraClassificationHead: dense, gelu (fixed, not hidden_act), out_proj. */
      *out_prefix = "classifier.out_proj";
      x = linear (c, oxp_block_select_token (c->graph, h, 0), "classifier.dense", hs, hs);
      return x ? oxp_block_gelu (c->graph, x) : NULL;
    default:
      *out_prefix = "classifier";
      return pooler (c, h);
    }
}

/* Masked-LM head: transform (dense, activation, LayerNorm), then the
 * decoder tied to the word embeddings unless the checkpoint has its own. */
static const char *
fill_mask_head (Ctx *c, const char *h)
{
  const OxpBertSpec *s = c->spec;
  gint64 hs = s->hidden_size, e = s->embedding_size;
  const char *dense, *norm, *decoder, *bias, *bias_alt, *act = s->hidden_act;
  const char *act_key = s->hidden_act_key;
  double eps = s->layer_norm_eps;
  gint64 out = hs;
  const char *x, *w, *b;
  OxpLinearFlags flags = OXP_LINEAR_DEFAULT;

  switch (s->kind)
    {
    case OXP_BERT_KIND_ROBERTA:
    case OXP_BERT_KIND_MPNET:
      dense = "lm_head.dense", norm = "lm_head.layer_norm", decoder = "lm_head.decoder.weight";
      bias = "lm_head.bias", bias_alt = "lm_head.decoder.bias";
      act = "gelu", act_key = NULL; /* RobertaLMHead calls gelu itself */
      break;
    case OXP_BERT_KIND_DISTILBERT:
      dense = "vocab_transform", norm = "vocab_layer_norm", decoder = "vocab_projector.weight";
      bias = "vocab_projector.bias", bias_alt = NULL;
      break;
    case OXP_BERT_KIND_ALBERT:
      dense = "predictions.dense", norm = "predictions.LayerNorm",
      decoder = "predictions.decoder.weight";
      bias = "predictions.bias", bias_alt = "predictions.decoder.bias";
      out = e;
      break;
    case OXP_BERT_KIND_ELECTRA:
      dense = "generator_predictions.dense", norm = "generator_predictions.LayerNorm";
      decoder = "generator_lm_head.weight", bias = "generator_lm_head.bias", bias_alt = NULL;
      act = "gelu", act_key = NULL; /* ElectraGeneratorPredictions: get_activation("gelu") */
      out = e;
      break;
    default:
      dense = "cls.predictions.transform.dense", norm = "cls.predictions.transform.LayerNorm";
      decoder = "cls.predictions.decoder.weight";
      bias = "cls.predictions.bias", bias_alt = "cls.predictions.decoder.bias";
      break;
    }

  if ((x = linear (c, h, dense, hs, out)) == NULL
      || (x = oxp_block_activation (c->graph, x, act, act_key, c->error)) == NULL
      || (x = layer_norm (c, x, norm, out, eps)) == NULL)
    return NULL;

  /* Tied decoders are absent from safetensors files: use the embeddings
   * (written once, transposed by a node). */
  w = decoder;
  if (!has_tensor (c, decoder))
    {
      w = oxp_graph_intern_printf (c->graph, "%sembeddings.word_embeddings.weight", c->prefix);
      flags = OXP_LINEAR_SHARED_WEIGHT;
    }
  b = (!has_tensor (c, bias) && bias_alt != NULL && has_tensor (c, bias_alt)) ? bias_alt : bias;
  return oxp_block_linear_from (c->graph, c->checkpoint, x, w, b, out, s->vocab_size, flags,
                                c->error);
}

/* ---- the whole graph ---------------------------------------------------- */

/* [batch, choices, seq] → [batch·choices, seq], as the models' view(-1, seq). */
static const char *
flatten_choices (Ctx *c, const char *x)
{
  const char *out = oxp_graph_op (c->graph, "Flatten", x, NULL);

  oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "axis", 2);
  return out;
}

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

static gboolean
build (Ctx *c)
{
  const OxpBertSpec *s = c->spec;
  const char *task = s->task;
  gboolean multiple_choice = g_str_equal (task, "multiple-choice");
  const char *ids = "input_ids", *mask = "attention_mask";
  const char *token_types = has_input (c->graph, "token_type_ids") ? "token_type_ids" : NULL;
  const char *h, *ext_mask;

  if (!resolve_prefix (c))
    return FALSE;

  if (multiple_choice)
    {
      oxp_graph_push_scope (c->graph, "choices");
      ids = flatten_choices (c, ids);
      mask = flatten_choices (c, mask);
      if (token_types != NULL)
        token_types = flatten_choices (c, token_types);
      oxp_graph_pop_scope (c->graph);
    }

  c->ids = ids;
  oxp_graph_push_scope (c->graph, "embeddings");
  h = embeddings (c, ids, token_types);
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;

  if (s->kind == OXP_BERT_KIND_ALBERT || s->embedding_size != s->hidden_size)
    {
      /* ALBERT maps its embeddings into the encoder; ELECTRA projects them
       * when their size differs from the hidden size. */
      const char *proj
          = s->kind == OXP_BERT_KIND_ALBERT
                ? oxp_graph_intern_printf (c->graph, "%sencoder.embedding_hidden_mapping_in",
                                           c->prefix)
                : oxp_graph_intern_printf (c->graph, "%sembeddings_project", c->prefix);
      if ((h = linear (c, h, proj, s->embedding_size, s->hidden_size)) == NULL)
        return FALSE;
    }

  ext_mask = oxp_block_attention_mask (c->graph, mask);
  oxp_graph_push_scope (c->graph, "encoder");
  h = encoder (c, h, ext_mask);
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;

  if (g_str_equal (task, "feature-extraction"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "head");
  if (g_str_equal (task, "fill-mask"))
    {
      const char *logits = fill_mask_head (c, h);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  if (g_str_equal (task, "token-classification"))
    {
      const char *logits = linear (c, h, "classifier", s->hidden_size, s->num_labels);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  if (g_str_equal (task, "question-answering"))
    {
      const char *logits = linear (c, h, "qa_outputs", s->hidden_size, 2);
      oxp_graph_pop_scope (c->graph);
      return logits != NULL && bind (c, "start_logits", oxp_block_select (c->graph, logits, -1, 0))
             && bind (c, "end_logits", oxp_block_select (c->graph, logits, -1, 1));
    }
  if (g_str_equal (task, "text-classification") || multiple_choice)
    {
      const char *out_prefix = NULL;
      const char *x = sentence_features (c, h, &out_prefix);
      const char *logits
          = x ? linear (c, x, out_prefix, s->hidden_size, multiple_choice ? 1 : s->num_labels)
              : NULL;
      if (logits != NULL && multiple_choice)
        {
          /* [batch·choices, 1] → [batch, choices]. */
          const gint64 zero = 0, two = 2;
          const char *shape = oxp_graph_op (c->graph, "Shape", "input_ids", NULL);
          shape = oxp_graph_op (c->graph, "Slice", shape,
                                oxp_graph_add_constant_int64s (c->graph, "starts", &zero, 1),
                                oxp_graph_add_constant_int64s (c->graph, "ends", &two, 1), NULL);
          logits = oxp_graph_op (c->graph, "Reshape", logits, shape, NULL);
        }
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  oxp_graph_pop_scope (c->graph);

  g_set_error (c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
               "model type “%s” has no graph for task “%s”", s->model_type, task);
  return FALSE;
}

gboolean
_oxp_bert_build_graph (const OxpBertSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                       GError **error)
{
  Ctx c = { spec, graph, checkpoint, "", error, NULL };

  return build (&c);
}
