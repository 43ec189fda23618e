/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DeBERTa-v2's graphs (transformers' modeling_deberta_v2.py): disentangled
 * attention, where each score adds to content·content the content of the
 * query against the key's relative position (c2p) and the query's relative
 * position against the key's content (p2c), with log-bucketed relative
 * positions. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-deberta-private.h"

typedef struct
{
  const OxpDebertaSpec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  const char *prefix; /* "deberta." or "" */
  GError **error;
  const char *ids;      /* [batch, seq] (flattened choices) */
  const char *mask;     /* int64 [batch, seq] */
  const char *rel_idx;  /* int64 [batch, heads, seq, seq]: c2p gather index */
  const char *rel_idxT; /* the same, transposed (p2c) */
  const char *rel_emb;  /* [1, 2·att_span, hidden] */
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

static const char *
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out, OxpLinearFlags flags)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, flags, c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix)
{
  return oxp_block_layer_norm (c->graph, c->checkpoint, x, prefix, c->spec->hidden_size,
                               c->spec->layer_norm_eps, c->error);
}

static const char *
unsqueeze (Ctx *c, const char *x, const gint64 *axes, gsize n)
{
  return oxp_graph_op (c->graph, "Unsqueeze", x,
                       oxp_graph_add_constant_int64s (c->graph, "axes", axes, n), NULL);
}

static const char *
transpose_last (Ctx *c, const char *x)
{
  static const gint64 perm[] = { 0, 1, 3, 2 };
  const char *out = oxp_graph_op (c->graph, "Transpose", x, NULL);

  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "perm", perm, 4);
  return out;
}

static const char *
scaled (Ctx *c, const char *x, double factor)
{
  return oxp_graph_op (c->graph, "Mul", x, oxp_graph_add_constant_float (c->graph, "scale", factor),
                       NULL);
}

/* torch.finfo(dtype).min of the graph's float type. */
static double
mask_min (Ctx *c)
{
  switch (oxp_graph_get_float_type (c->graph))
    {
    case OXP_DATA_TYPE_FLOAT16:
      return -65504.0;
    case OXP_DATA_TYPE_BFLOAT16:
      return -3.3895313892515355e38;
    default:
      return -3.4028234663852886e38;
    }
}

/* ---- relative positions ------------------------------------------------ */

/* make_log_bucket_position() for one relative position, in transformers'
 * float32 arithmetic (torch's default dtype), so bucket edges match. */
static gint64
log_bucket (gint64 rel, gint64 bucket_size, gint64 max_position)
{
  gint64 mid = bucket_size / 2;
  gint64 abs_pos = (rel < mid && rel > -mid) ? mid - 1 : ABS (rel);
  float denom, log_pos;

  if (abs_pos <= mid)
    return rel;
  denom = logf ((float)((double)(max_position - 1) / (double)mid));
  log_pos = ceilf (logf ((float)abs_pos / (float)mid) / denom * (float)(mid - 1)) + (float)mid;
  return (gint64)(rel < 0 ? -log_pos : log_pos);
}

/* The c2p gather index of relative position @rel = query − key:
 * clamp(bucket(rel) + att_span, 0, 2·att_span − 1). */
static gint64
rel_index (const OxpDebertaSpec *s, gint64 rel)
{
  gint64 b = s->position_buckets > 0 ? log_bucket (rel, s->position_buckets, s->max_relative) : rel;
  return CLAMP (b + s->att_span, 0, 2 * s->att_span - 1);
}

/* The index is a non-decreasing function of query − key that is constant
 * beyond some distance (the clamp, or a single log bucket when
 * position_buckets / 2 ≤ 1), so a table over [−T, T] with the relative
 * position clamped into it is exact at any sequence length. */
static const char *
relative_index (Ctx *c)
{
  const OxpDebertaSpec *s = c->spec;
  static const gint64 zero = 0, one = 1;
  static const gint64 ax1[] = { 1 }, ax0[] = { 0 };
  g_autoptr (OxpTensor) table = NULL;
  gint64 limit = 1 << 20, t, size, *data;
  const char *seq, *range, *rel;

  if (s->position_buckets > 0 && s->position_buckets / 2 <= 1)
    t = s->position_buckets + 1;
  else
    for (t = MAX (s->att_span, 1); t <= limit; t *= 2)
      if (rel_index (s, t) == 2 * s->att_span - 1 && rel_index (s, -t) == 0)
        break;
  if (t > limit)
    {
      g_set_error (
          c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
          "position_buckets %" G_GINT64_FORMAT " with max_relative_positions %" G_GINT64_FORMAT
          ": the relative position buckets do not saturate within %" G_GINT64_FORMAT " tokens",
          s->position_buckets, s->max_relative, limit);
      return NULL;
    }

  size = 2 * t + 1;
  table = oxp_tensor_new ("relative_index", OXP_DATA_TYPE_INT64, &size, 1);
  data = oxp_tensor_get_mutable_data (table);
  for (gint64 r = -t; r <= t; r++)
    data[r + t] = rel_index (s, r);

  seq = oxp_graph_op (c->graph, "Gather", oxp_graph_op (c->graph, "Shape", c->ids, NULL),
                      oxp_graph_add_constant_int64 (c->graph, "seq_axis", 1), NULL);
  range = oxp_graph_op (c->graph, "Range", oxp_graph_add_constant_int64 (c->graph, "zero", zero),
                        seq, oxp_graph_add_constant_int64 (c->graph, "one", one), NULL);
  rel = oxp_graph_op (c->graph, "Sub", unsqueeze (c, range, ax1, 1), unsqueeze (c, range, ax0, 1),
                      NULL);
  rel = oxp_graph_op (c->graph, "Min",
                      oxp_graph_op (c->graph, "Max", rel,
                                    oxp_graph_add_constant_int64 (c->graph, "min_rel", -t), NULL),
                      oxp_graph_add_constant_int64 (c->graph, "max_rel", t), NULL);
  rel = oxp_graph_op (c->graph, "Add", rel, oxp_graph_add_constant_int64 (c->graph, "offset", t),
                      NULL);
  return oxp_graph_op (c->graph, "Gather",
                       oxp_graph_add_constant (c->graph, "relative_index", table), rel, NULL);
}

/* ---- embeddings --------------------------------------------------------- */

static const char *
embeddings (Ctx *c, const char *token_types)
{
  const OxpDebertaSpec *s = c->spec;
  const char *p = c->prefix;
  gint64 e = s->embedding_size;
  static const gint64 last[] = { -1 };
  const char *x, *m;

  x = oxp_block_embedding (
      c->graph, c->checkpoint, c->ids,
      oxp_graph_intern_printf (c->graph, "%sembeddings.word_embeddings.weight", p), s->vocab_size,
      e, c->error);
  if (x == NULL)
    return NULL;
  if (s->position_biased_input)
    {
      const char *pe = oxp_block_embedding (
          c->graph, c->checkpoint, oxp_block_position_ids (c->graph, c->ids, NULL),
          oxp_graph_intern_printf (c->graph, "%sembeddings.position_embeddings.weight", p),
          s->max_positions, e, c->error);
      if (pe == NULL)
        return NULL;
      x = oxp_graph_op (c->graph, "Add", x, pe, NULL);
    }
  if (s->type_vocab_size > 0)
    {
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
  if (e != s->hidden_size
      && (x = linear (c, x, oxp_graph_intern_printf (c->graph, "%sembeddings.embed_proj", p), e,
                      s->hidden_size, OXP_LINEAR_NO_BIAS))
             == NULL)
    return NULL;
  if ((x = layer_norm (c, x, oxp_graph_intern_printf (c->graph, "%sembeddings.LayerNorm", p)))
      == NULL)
    return NULL;
  /* DebertaV2Embeddings zeroes the padded positions. */
  m = oxp_block_cast (c->graph, unsqueeze (c, c->mask, last, 1), oxp_graph_get_float_type (c->graph));
  return oxp_graph_op (c->graph, "Mul", x, m, NULL);
}

/* ---- encoder ------------------------------------------------------------ */

/* DisentangledSelfAttention, then DebertaV2SelfOutput. */
static const char *
attention (Ctx *c, const char *h, const char *mask, const char *prefix)
{
  const OxpDebertaSpec *s = c->spec;
  gint64 hs = s->hidden_size, heads = s->num_heads, dim = hs / heads;
  int factor = 1 + (s->relative_attention && s->c2p) + (s->relative_attention && s->p2c);
  /* transformers divides by sqrt(head_dim · (1 + |pos_att_type|)) */
  double scale = 1.0 / sqrt ((double)dim * factor);
  const char *qp = oxp_graph_intern_printf (c->graph, "%sattention.self.query_proj", prefix);
  const char *kp = oxp_graph_intern_printf (c->graph, "%sattention.self.key_proj", prefix);
  const char *q, *k, *v, *scores, *probs, *ctx;

  if ((q = linear (c, h, qp, hs, hs, OXP_LINEAR_DEFAULT)) == NULL
      || (k = linear (c, h, kp, hs, hs, OXP_LINEAR_DEFAULT)) == NULL
      || (v
          = linear (c, h, oxp_graph_intern_printf (c->graph, "%sattention.self.value_proj", prefix),
                    hs, hs, OXP_LINEAR_DEFAULT))
             == NULL)
    return NULL;
  q = oxp_block_split_heads (c->graph, q, heads, dim);
  k = oxp_block_split_heads (c->graph, k, heads, dim);
  v = oxp_block_split_heads (c->graph, v, heads, dim);
  scores = scaled (c, oxp_graph_op (c->graph, "MatMul", q, transpose_last (c, k), NULL), scale);

  if (s->relative_attention && (s->c2p || s->p2c))
    {
      const char *pos_q = NULL, *pos_k = NULL;

      oxp_graph_push_scope (c->graph, "relative");
      if (s->c2p)
        pos_k = linear (c, c->rel_emb,
                        s->share_att_key ? kp
                                         : oxp_graph_intern_printf (
                                             c->graph, "%sattention.self.pos_key_proj", prefix),
                        hs, hs, OXP_LINEAR_DEFAULT);
      if (s->p2c)
        pos_q = linear (c, c->rel_emb,
                        s->share_att_key ? qp
                                         : oxp_graph_intern_printf (
                                             c->graph, "%sattention.self.pos_query_proj", prefix),
                        hs, hs, OXP_LINEAR_DEFAULT);
      if ((s->c2p && pos_k == NULL) || (s->p2c && pos_q == NULL))
        return NULL;
      if (s->c2p)
        {
          /* c2p[i, j] = q_i · pos_k[idx(i − j)] */
          const char *full = oxp_graph_op (
              c->graph, "MatMul", q,
              transpose_last (c, oxp_block_split_heads (c->graph, pos_k, heads, dim)), NULL);
          const char *g = oxp_graph_op (c->graph, "GatherElements", full, c->rel_idx, NULL);
          oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "axis", -1);
          scores = oxp_graph_op (c->graph, "Add", scores, scaled (c, g, scale), NULL);
        }
      if (s->p2c)
        {
          /* p2c[i, j] = k_j · pos_q[idx(i − j)]: gathered per key row, transposed. */
          const char *full = oxp_graph_op (
              c->graph, "MatMul", k,
              transpose_last (c, oxp_block_split_heads (c->graph, pos_q, heads, dim)), NULL);
          const char *g = oxp_graph_op (c->graph, "GatherElements", full, c->rel_idxT, NULL);
          oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "axis", -1);
          scores = oxp_graph_op (c->graph, "Add", scores, scaled (c, transpose_last (c, g), scale),
                                 NULL);
        }
      oxp_graph_pop_scope (c->graph);
    }

  /* masked_fill(~(mask_i · mask_j), finfo.min), then softmax: a padded
   * query row is uniform over all keys, as transformers ≥ 4.4x computes. */
  scores = oxp_graph_op (c->graph, "Where", mask, scores,
                         oxp_graph_add_constant_float (c->graph, "mask_min", mask_min (c)), NULL);
  probs = oxp_graph_op (c->graph, "Softmax", scores, NULL);
  oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "axis", -1);
  ctx = oxp_block_merge_heads (c->graph, oxp_graph_op (c->graph, "MatMul", probs, v, NULL), heads,
                               dim);
  if ((ctx = linear (c, ctx, oxp_graph_intern_printf (c->graph, "%sattention.output.dense", prefix),
                     hs, hs, OXP_LINEAR_DEFAULT))
      == NULL)
    return NULL;
  return layer_norm (c, oxp_graph_op (c->graph, "Add", ctx, h, NULL),
                     oxp_graph_intern_printf (c->graph, "%sattention.output.LayerNorm", prefix));
}

static const char *
encoder_layer (Ctx *c, const char *h, const char *mask, const char *prefix)
{
  const OxpDebertaSpec *s = c->spec;
  const char *h1, *f;

  oxp_graph_push_scope (c->graph, "attention");
  h1 = attention (c, h, mask, prefix);
  oxp_graph_pop_scope (c->graph);
  if (h1 == NULL)
    return NULL;

  oxp_graph_push_scope (c->graph, "ffn");
  if ((f = linear (c, h1, oxp_graph_intern_printf (c->graph, "%sintermediate.dense", prefix),
                   s->hidden_size, s->intermediate_size, OXP_LINEAR_DEFAULT))
          == NULL
      || (f = oxp_block_activation (c->graph, f, s->hidden_act, "hidden_act", c->error)) == NULL
      || (f = linear (c, f, oxp_graph_intern_printf (c->graph, "%soutput.dense", prefix),
                      s->intermediate_size, s->hidden_size, OXP_LINEAR_DEFAULT))
             == NULL)
    return NULL;
  f = layer_norm (c, oxp_graph_op (c->graph, "Add", f, h1, NULL),
                  oxp_graph_intern_printf (c->graph, "%soutput.LayerNorm", prefix));
  oxp_graph_pop_scope (c->graph);
  return f;
}

static const char *
encoder (Ctx *c, const char *h)
{
  const OxpDebertaSpec *s = c->spec;
  const char *p = c->prefix;
  static const gint64 keys[] = { 1, 2 }, queries[] = { 1, 3 }, lead[] = { 0, 1 };
  const char *mask;

  /* get_attention_mask: mask_i · mask_j, [batch, 1, seq, seq], as bool. */
  mask = oxp_graph_op (c->graph, "Mul", unsqueeze (c, c->mask, keys, 2),
                       unsqueeze (c, c->mask, queries, 2), NULL);
  mask = oxp_block_cast (c->graph, mask, OXP_DATA_TYPE_BOOL);

  if (s->relative_attention)
    {
      gint64 rows = 2 * s->att_span;
      g_autoptr (OxpTensor) arange = oxp_tensor_new ("rel_rows", OXP_DATA_TYPE_INT64, &rows, 1);
      gint64 *data = oxp_tensor_get_mutable_data (arange);
      const char *idx, *shape;

      for (gint64 i = 0; i < rows; i++)
        data[i] = i;
      oxp_graph_push_scope (c->graph, "relative");
      /* rel_embeddings.weight (all 2·att_span rows), LayerNorm'ed when
       * norm_rel_ebd says so; shape-checked through the embedding block. */
      c->rel_emb = oxp_block_embedding (
          c->graph, c->checkpoint, oxp_graph_add_constant (c->graph, "rel_rows", arange),
          oxp_graph_intern_printf (c->graph, "%sencoder.rel_embeddings.weight", p), rows,
          s->hidden_size, c->error);
      if (c->rel_emb != NULL && s->norm_rel_layer_norm)
        c->rel_emb = layer_norm (c, c->rel_emb,
                                 oxp_graph_intern_printf (c->graph, "%sencoder.LayerNorm", p));
      if (c->rel_emb == NULL || (idx = relative_index (c)) == NULL)
        return NULL;
      c->rel_emb = unsqueeze (c, c->rel_emb, lead, 1);
      /* GatherElements wants the index at the scores' full shape. */
      shape = oxp_graph_op (c->graph, "Shape", mask, NULL);
      shape = oxp_graph_op (c->graph, "Max", shape,
                            oxp_graph_add_constant_int64s (
                                c->graph, "heads", (const gint64[]){ 1, s->num_heads, 1, 1 }, 4),
                            NULL);
      idx = unsqueeze (c, idx, lead, 2);
      c->rel_idx = oxp_graph_op (c->graph, "Expand", idx, shape, NULL);
      c->rel_idxT = oxp_graph_op (c->graph, "Expand", transpose_last (c, idx), shape, NULL);
      oxp_graph_pop_scope (c->graph);
    }

  for (gint64 i = 0; i < s->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "layer.%" G_GINT64_FORMAT, i);
      h = encoder_layer (
          c, h, mask,
          oxp_graph_intern_printf (c->graph, "%sencoder.layer.%" G_GINT64_FORMAT ".", p, i));
      oxp_graph_pop_scope (c->graph);
    }
  return h;
}

/* ---- heads -------------------------------------------------------------- */

/* ContextPooler: act(dense(h[:, 0])), pooler_hidden_size wide. */
static const char *
context_pooler (Ctx *c, const char *h)
{
  const OxpDebertaSpec *s = c->spec;
  const char *x = linear (c, oxp_block_select_token (c->graph, h, 0), "pooler.dense",
                          s->hidden_size, s->pooler_hidden_size, OXP_LINEAR_DEFAULT);

  return x ? oxp_block_activation (c->graph, x, s->pooler_hidden_act, "pooler_hidden_act", c->error)
           : NULL;
}

/* DebertaV2ForMaskedLM: the legacy head (cls.predictions.*, BERT's) or
 * lm_predictions.lm_head.*; both decode with the word embeddings unless
 * the checkpoint has its own decoder. */
static const char *
fill_mask_head (Ctx *c, const char *h)
{
  const OxpDebertaSpec *s = c->spec;
  gboolean legacy
      = oxp_checkpoint_lookup (c->checkpoint, "cls.predictions.transform.dense.weight") != NULL;
  const char *dense = legacy ? "cls.predictions.transform.dense" : "lm_predictions.lm_head.dense";
  const char *norm
      = legacy ? "cls.predictions.transform.LayerNorm" : "lm_predictions.lm_head.LayerNorm";
  const char *bias = legacy ? "cls.predictions.bias" : "lm_predictions.lm_head.bias";
  const char *decoder = "cls.predictions.decoder.weight";
  OxpLinearFlags flags = OXP_LINEAR_DEFAULT;
  const char *x;

  if ((x = linear (c, h, dense, s->hidden_size, s->hidden_size, OXP_LINEAR_DEFAULT)) == NULL
      || (x = oxp_block_activation (c->graph, x, s->hidden_act, "hidden_act", c->error)) == NULL
      || (x = layer_norm (c, x, norm)) == NULL)
    return NULL;
  if (!legacy || oxp_checkpoint_lookup (c->checkpoint, decoder) == NULL)
    {
      decoder
          = oxp_graph_intern_printf (c->graph, "%sembeddings.word_embeddings.weight", c->prefix);
      flags = OXP_LINEAR_SHARED_WEIGHT;
    }
  return oxp_block_linear_from (c->graph, c->checkpoint, x, decoder, bias, s->hidden_size,
                                s->vocab_size, flags, c->error);
}

/* ---- the whole graph ---------------------------------------------------- */

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
  const OxpDebertaSpec *s = c->spec;
  const char *task = s->task;
  gboolean multiple_choice = g_str_equal (task, "multiple-choice");
  const char *token_types = has_input (c->graph, "token_type_ids") ? "token_type_ids" : NULL;
  const char *word = "embeddings.word_embeddings.weight";
  const char *h, *logits = NULL;

  if (oxp_checkpoint_lookup (c->checkpoint, oxp_graph_intern_printf (c->graph, "deberta.%s", word))
      != NULL)
    c->prefix = "deberta.";
  else if (oxp_checkpoint_lookup (c->checkpoint, word) == NULL)
    {
      oxp_checkpoint_get_tensor (c->checkpoint,
                                 g_str_equal (task, "feature-extraction")
                                     ? word
                                     : oxp_graph_intern_printf (c->graph, "deberta.%s", word),
                                 c->error);
      return FALSE;
    }

  c->ids = "input_ids";
  c->mask = "attention_mask";
  if (multiple_choice)
    {
      oxp_graph_push_scope (c->graph, "choices");
      c->ids = flatten_choices (c, c->ids);
      c->mask = flatten_choices (c, c->mask);
      if (token_types != NULL)
        token_types = flatten_choices (c, token_types);
      oxp_graph_pop_scope (c->graph);
    }

  oxp_graph_push_scope (c->graph, "embeddings");
  h = embeddings (c, token_types);
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;
  oxp_graph_push_scope (c->graph, "encoder");
  h = encoder (c, h);
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;

  if (g_str_equal (task, "feature-extraction"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "head");
  if (g_str_equal (task, "fill-mask"))
    logits = fill_mask_head (c, h);
  else if (g_str_equal (task, "token-classification"))
    logits = linear (c, h, "classifier", s->hidden_size, s->num_labels, OXP_LINEAR_DEFAULT);
  else if (g_str_equal (task, "question-answering"))
    {
      logits = linear (c, h, "qa_outputs", s->hidden_size, 2, OXP_LINEAR_DEFAULT);
      oxp_graph_pop_scope (c->graph);
      return logits != NULL && bind (c, "start_logits", oxp_block_select (c->graph, logits, -1, 0))
             && bind (c, "end_logits", oxp_block_select (c->graph, logits, -1, 1));
    }
  else if (g_str_equal (task, "text-classification") || multiple_choice)
    {
      const char *x = context_pooler (c, h);
      logits = x ? linear (c, x, "classifier", s->pooler_hidden_size,
                           multiple_choice ? 1 : s->num_labels, OXP_LINEAR_DEFAULT)
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
    }
  else
    {
      oxp_graph_pop_scope (c->graph);
      g_set_error (c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "model type “deberta-v2” has no graph for task “%s”", task);
      return FALSE;
    }
  oxp_graph_pop_scope (c->graph);
  return bind (c, "logits", logits);
}

gboolean
_oxp_deberta_build_graph (const OxpDebertaSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                          GError **error)
{
  Ctx c = { 0 };

  c.spec = spec;
  c.graph = graph;
  c.checkpoint = checkpoint;
  c.prefix = "";
  c.error = error;
  return build (&c);
}
