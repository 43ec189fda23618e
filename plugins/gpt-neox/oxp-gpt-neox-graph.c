/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GPT-NeoX and OPT decoder graphs, composed from the core building
 * blocks, following transformers' modeling_gpt_neox.py and modeling_opt.py.
 * Both are a stack of LayerNorm + multi-head attention + two-layer MLP
 * layers with biases; they differ in the attention projections (GPT-NeoX's
 * fused per-head query_key_value and partial rotary, OPT's separate q/k/v)
 * and in the positions (rotary for GPT-NeoX, a learned table read at
 * position + 2 for OPT). */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-gpt-neox-private.h"

/* Tensor names of one variant, relative to the base model's prefix
 * ("gpt_neox.", "model.decoder." …) or to one layer's. */
typedef struct
{
  const char *prefixes[2]; /* task models, then the bare base model */
  const char *embed;       /* word embeddings */
  const char *ln1, *ln2, *attn_out, *fc1, *fc2;
  const char *final_norm;
  const char *lm_head; /* at the top level; absent when tied */
  const char *score;   /* sequence classification head, no bias */
} Names;

static const Names gpt_neox_names = {
  { "gpt_neox.", "" }, "embed_in.weight",   "input_layernorm",   "post_attention_layernorm",
  "attention.dense",   "mlp.dense_h_to_4h", "mlp.dense_4h_to_h", "final_layer_norm",
  "embed_out.weight",  "score.weight",
};

static const Names opt_names = {
  { "model.decoder.", "decoder." },
  "embed_tokens.weight",
  "self_attn_layer_norm",
  "final_layer_norm",
  "self_attn.out_proj",
  "fc1",
  "fc2",
  "final_layer_norm",
  "lm_head.weight",
  "score.weight",
};

/* transformers' OPTLearnedPositionalEmbedding offset: row = position + 2. */
#define OPT_POSITION_OFFSET 2

typedef struct
{
  const OxpGptNeoxSpec *spec;
  const Names *names;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  const char *prefix; /* the base model's, resolved from the checkpoint */
  GError **error;
  const char *mask; /* additive causal + padding mask */
  const char *cos, *sin;
} Ctx;

static gboolean
has_tensor (Ctx *c, const char *name)
{
  return oxp_checkpoint_lookup (c->checkpoint, name) != NULL;
}

/* Every projection but GPT-NeoX's attention ones has a bias, unless OPT's
 * enable_bias is false. */
static OxpLinearFlags
bias_flags (Ctx *c, gboolean attention)
{
  const OxpGptNeoxSpec *s = c->spec;

  if (s->kind == OXP_GPT_NEOX_KIND_OPT)
    return s->enable_bias ? OXP_LINEAR_DEFAULT : OXP_LINEAR_NO_BIAS;
  return (!attention || s->attention_bias) ? OXP_LINEAR_DEFAULT : OXP_LINEAR_NO_BIAS;
}

static const char *
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out, OxpLinearFlags flags)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, flags, c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix)
{
  const OxpGptNeoxSpec *s = c->spec;
  gboolean bias = s->kind != OXP_GPT_NEOX_KIND_OPT || s->enable_bias;

  return oxp_block_layer_norm_from (
      c->graph, c->checkpoint, x, oxp_graph_intern_printf (c->graph, "%s.weight", prefix),
      bias ? oxp_graph_intern_printf (c->graph, "%s.bias", prefix) : NULL, s->hidden_size,
      s->layer_norm_eps, c->error);
}

/* int64 [1]: axis @axis of @x's shape. */
static const char *
dim_1d (Ctx *c, const char *x, gint64 axis)
{
  const gint64 start = axis, end = axis + 1;

  return oxp_graph_op (c->graph, "Slice", oxp_graph_op (c->graph, "Shape", x, NULL),
                       oxp_graph_add_constant_int64s (c->graph, "start", &start, 1),
                       oxp_graph_add_constant_int64s (c->graph, "end", &end, 1), NULL);
}

/* Task models prefix the decoder's tensors ("gpt_neox.", "model.decoder.");
 * the base model classes do not, or less ("", "decoder."). */
static gboolean
resolve_prefix (Ctx *c)
{
  const Names *n = c->names;
  gboolean base = g_str_equal (c->spec->task, "feature-extraction");

  for (guint i = 0; i < 2; i++)
    {
      /* The base model class's names first when that is what the task loads. */
      const char *p = n->prefixes[base ? 1 - i : i];
      if (has_tensor (c, oxp_graph_intern_printf (c->graph, "%s%s", p, n->embed)))
        {
          c->prefix = p;
          return TRUE;
        }
    }
  /* Name the tensor the task's model class would hold. */
  oxp_checkpoint_get_tensor (
      c->checkpoint,
      oxp_graph_intern_printf (c->graph, "%s%s", n->prefixes[base ? 1 : 0], n->embed), c->error);
  return FALSE;
}

/* ---- positions ---------------------------------------------------------- */

/* The positions transformers computes when the graph has no position_ids
 * input: GPT-NeoX past_len + arange(seq); OPT counts the kept tokens of
 * attention_mask (cumsum · mask - 1, padding at -1), the last seq of them. */
static const char *
default_positions (Ctx *c, const char *past_len_1d)
{
  const OxpGptNeoxSpec *s = c->spec;
  const gint64 axis1 = 1, big = G_MAXINT64;
  const char *kept, *pos;

  if (s->kind == OXP_GPT_NEOX_KIND_GPT_NEOX)
    {
      const char *past_len
          = past_len_1d ? oxp_graph_op (c->graph, "Squeeze", past_len_1d, NULL) : NULL;
      return oxp_block_position_ids (c->graph, "input_ids", past_len);
    }

  kept = oxp_graph_op (c->graph, "CumSum", "attention_mask",
                       oxp_graph_add_constant_int64 (c->graph, "axis", 1), NULL);
  pos = oxp_graph_op (c->graph, "Sub", oxp_graph_op (c->graph, "Mul", kept, "attention_mask", NULL),
                      oxp_graph_add_constant_int64 (c->graph, "one", 1), NULL);
  if (past_len_1d == NULL)
    return pos;
  return oxp_graph_op (c->graph, "Slice", pos, past_len_1d,
                       oxp_graph_add_constant_int64s (c->graph, "end", &big, 1),
                       oxp_graph_add_constant_int64s (c->graph, "axes", &axis1, 1), NULL);
}

/* ---- embeddings ----------------------------------------------------------- */

static const char *
embeddings (Ctx *c, const char *position_ids)
{
  const OxpGptNeoxSpec *s = c->spec;
  const char *x, *pe, *rows;

  x = oxp_block_embedding (c->graph, c->checkpoint, "input_ids",
                           oxp_graph_intern_printf (c->graph, "%s%s", c->prefix, c->names->embed),
                           s->vocab_size, s->embed_dim, c->error);
  if (x == NULL || s->kind == OXP_GPT_NEOX_KIND_GPT_NEOX)
    return x;

  /* OPT: project_in when the embeddings are narrower, then the learned
   * positions. */
  if (s->embed_dim != s->hidden_size
      && (x = linear (c, x, oxp_graph_intern_printf (c->graph, "%sproject_in", c->prefix),
                      s->embed_dim, s->hidden_size, OXP_LINEAR_NO_BIAS))
             == NULL)
    return NULL;
  rows
      = oxp_graph_op (c->graph, "Add", position_ids,
                      oxp_graph_add_constant_int64 (c->graph, "offset", OPT_POSITION_OFFSET), NULL);
  pe = oxp_block_embedding (
      c->graph, c->checkpoint, rows,
      oxp_graph_intern_printf (c->graph, "%sembed_positions.weight", c->prefix),
      s->max_positions + OPT_POSITION_OFFSET, s->hidden_size, c->error);
  return pe ? oxp_graph_op (c->graph, "Add", x, pe, NULL) : NULL;
}

/* ---- attention ------------------------------------------------------------ */

/* GPT-NeoX: one [3·hidden, hidden] projection whose rows are laid out
 * [heads, 3, head_dim] (per head q, k, v). */
static gboolean
gpt_neox_qkv (Ctx *c, const char *x, const char *lp, const char **q, const char **k, const char **v)
{
  const OxpGptNeoxSpec *s = c->spec;
  const gint64 sizes[] = { s->head_dim, s->head_dim, s->head_dim };
  const char *qkv, *parts[3];

  qkv = linear (c, x, oxp_graph_intern_printf (c->graph, "%sattention.query_key_value", lp),
                s->hidden_size, 3 * s->hidden_size, bias_flags (c, TRUE));
  if (qkv == NULL)
    return FALSE;
  oxp_block_split_per_head (c->graph, qkv, s->num_heads, sizes, 3, parts);
  *q = parts[0];
  *k = parts[1];
  *v = parts[2];
  return TRUE;
}

/* OPT: separate q_proj, k_proj, v_proj. */
static gboolean
opt_qkv (Ctx *c, const char *x, const char *lp, const char **q, const char **k, const char **v)
{
  const OxpGptNeoxSpec *s = c->spec;
  gint64 hs = s->hidden_size;
  OxpLinearFlags flags = bias_flags (c, TRUE);

  return (*q = linear (c, x, oxp_graph_intern_printf (c->graph, "%sself_attn.q_proj", lp), hs, hs,
                       flags))
             != NULL
         && (*k = linear (c, x, oxp_graph_intern_printf (c->graph, "%sself_attn.k_proj", lp), hs,
                          hs, flags))
                != NULL
         && (*v = linear (c, x, oxp_graph_intern_printf (c->graph, "%sself_attn.v_proj", lp), hs,
                          hs, flags))
                != NULL;
}

/* softmax(q·kᵀ/√head_dim + mask)·v over the cache extended by this step
 * (GPT-NeoX's rotary on q and k first), then the output projection; binds
 * present.{i}.* when declared.  OPT scales q by head_dim^-0.5 before the
 * product, GPT-NeoX the scores: the same value. */
static const char *
attention (Ctx *c, const char *x, gint64 i, const char *lp)
{
  const OxpGptNeoxSpec *s = c->spec;
  const char *q, *k, *v, *ctx, *present_k, *present_v;
  const char *past_k = NULL, *past_v = NULL;
  gboolean ok;

  oxp_graph_push_scope (c->graph, "attention");
  ok = s->kind == OXP_GPT_NEOX_KIND_GPT_NEOX ? gpt_neox_qkv (c, x, lp, &q, &k, &v)
                                             : opt_qkv (c, x, lp, &q, &k, &v);
  if (!ok)
    return NULL;
  if (c->spec->past_in)
    {
      past_k = oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".key", i);
      past_v = oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".value", i);
    }
  ctx = oxp_block_cached_self_attention (
      c->graph, q, k, v, past_k, past_v, c->cos, c->sin, s->rotary_dim, s->num_heads, s->num_heads,
      s->head_dim, 1.0 / sqrt ((double)s->head_dim), c->mask, &present_k, &present_v);
  if (c->spec->present_out
      && (!oxp_graph_bind_output (
              c->graph, oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".key", i),
              present_k, c->error)
          || !oxp_graph_bind_output (
              c->graph, oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".value", i),
              present_v, c->error)))
    return NULL;
  ctx = linear (c, ctx, oxp_graph_intern_printf (c->graph, "%s%s", lp, c->names->attn_out),
                s->hidden_size, s->hidden_size, bias_flags (c, TRUE));
  oxp_graph_pop_scope (c->graph);
  return ctx;
}

static const char *
mlp (Ctx *c, const char *x, const char *lp)
{
  const OxpGptNeoxSpec *s = c->spec;
  const char *f;

  oxp_graph_push_scope (c->graph, "mlp");
  if ((f = linear (c, x, oxp_graph_intern_printf (c->graph, "%s%s", lp, c->names->fc1),
                   s->hidden_size, s->intermediate_size, bias_flags (c, FALSE)))
          == NULL
      || (f = oxp_block_activation (c->graph, f, s->act, s->act_key, c->error)) == NULL
      || (f = linear (c, f, oxp_graph_intern_printf (c->graph, "%s%s", lp, c->names->fc2),
                      s->intermediate_size, s->hidden_size, bias_flags (c, FALSE)))
             == NULL)
    return NULL;
  oxp_graph_pop_scope (c->graph);
  return f;
}

static const char *
add (Ctx *c, const char *a, const char *b)
{
  return oxp_graph_op (c->graph, "Add", a, b, NULL);
}

static const char *
decoder_layer (Ctx *c, const char *x, gint64 i)
{
  const Names *n = c->names;
  const char *lp
      = oxp_graph_intern_printf (c->graph, "%slayers.%" G_GINT64_FORMAT ".", c->prefix, i);
  const char *ln1 = oxp_graph_intern_printf (c->graph, "%s%s", lp, n->ln1),
             *ln2 = oxp_graph_intern_printf (c->graph, "%s%s", lp, n->ln2);
  const char *a, *h, *m;

  switch (c->spec->residual)
    {
    case OXP_GPT_NEOX_RESIDUAL_PARALLEL:
      if ((h = layer_norm (c, x, ln1)) == NULL || (a = attention (c, h, i, lp)) == NULL
          || (h = layer_norm (c, x, ln2)) == NULL || (m = mlp (c, h, lp)) == NULL)
        return NULL;
      return add (c, add (c, m, a), x);
    case OXP_GPT_NEOX_RESIDUAL_PRE_LN:
      if ((h = layer_norm (c, x, ln1)) == NULL || (a = attention (c, h, i, lp)) == NULL)
        return NULL;
      h = add (c, x, a);
      if ((m = layer_norm (c, h, ln2)) == NULL || (m = mlp (c, m, lp)) == NULL)
        return NULL;
      return add (c, h, m);
    case OXP_GPT_NEOX_RESIDUAL_POST_LN:
    default:
      if ((a = attention (c, x, i, lp)) == NULL || (h = layer_norm (c, add (c, x, a), ln1)) == NULL
          || (m = mlp (c, h, lp)) == NULL)
        return NULL;
      return layer_norm (c, add (c, h, m), ln2);
    }
}

/* ---- heads ---------------------------------------------------------------- */

/* ---- the whole graph ------------------------------------------------------ */

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

static gboolean
build (Ctx *c)
{
  const OxpGptNeoxSpec *s = c->spec;
  const char *task = s->task;
  const char *position_ids = NULL, *past_len_1d = NULL, *h, *w;
  OxpLinearFlags flags = OXP_LINEAR_NO_BIAS;

  if (!resolve_prefix (c))
    return FALSE;

  if (c->spec->past_in)
    past_len_1d = dim_1d (c, "past_key_values.0.key", 2);
  if (s->position_ids)
    position_ids = "position_ids";
  else
    position_ids = default_positions (c, past_len_1d);

  c->mask = oxp_block_causal_attention_mask (c->graph, "attention_mask", "input_ids");
  if (s->kind == OXP_GPT_NEOX_KIND_GPT_NEOX && s->rotary_dim > 0
      && !oxp_block_rotary_cos_sin_scaled (
          c->graph, position_ids, s->rotary_dim, s->rope_theta,
          s->rope_scaling.type == OXP_ROPE_DEFAULT ? NULL : &s->rope_scaling, &c->cos, &c->sin,
          c->error))
    return FALSE;

  oxp_graph_push_scope (c->graph, "embeddings");
  h = embeddings (c, position_ids);
  oxp_graph_pop_scope (c->graph);

  for (gint64 i = 0; i < s->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      h = decoder_layer (c, h, i);
      oxp_graph_pop_scope (c->graph);
    }
  if (h == NULL)
    return FALSE;

  if (s->final_layer_norm
      && (h = layer_norm (
              c, h, oxp_graph_intern_printf (c->graph, "%s%s", c->prefix, c->names->final_norm)))
             == NULL)
    return FALSE;
  if (s->kind == OXP_GPT_NEOX_KIND_OPT && s->embed_dim != s->hidden_size
      && (h = linear (c, h, oxp_graph_intern_printf (c->graph, "%sproject_out", c->prefix),
                      s->hidden_size, s->embed_dim, OXP_LINEAR_NO_BIAS))
             == NULL)
    return FALSE;

  if (g_str_equal (task, "feature-extraction"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "head");
  if (g_str_equal (task, "text-classification"))
    {
      const char *logits = oxp_block_linear_from (
          c->graph, c->checkpoint,
          oxp_block_last_non_pad_token (c->graph, h, "input_ids", s->pad_token_id), c->names->score,
          NULL, s->embed_dim, s->num_labels, OXP_LINEAR_NO_BIAS, c->error);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  if (g_str_equal (task, "text-generation"))
    {
      /* A tied head is absent from safetensors files: the embeddings,
       * written once and transposed by a node. */
      w = c->names->lm_head;
      if (!has_tensor (c, w) && (s->tie_word_embeddings || s->kind == OXP_GPT_NEOX_KIND_OPT))
        {
          w = oxp_graph_intern_printf (c->graph, "%s%s", c->prefix, c->names->embed);
          flags |= OXP_LINEAR_SHARED_WEIGHT;
        }
      h = oxp_block_linear_from (c->graph, c->checkpoint, h, w, NULL, s->embed_dim, s->vocab_size,
                                 flags, c->error);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", h);
    }
  oxp_graph_pop_scope (c->graph);

  g_set_error (c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
               "model type “%s” has no graph for task “%s”", s->model_type, task);
  return FALSE;
}

gboolean
_oxp_gpt_neox_build_graph (const OxpGptNeoxSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                           GError **error)
{
  Ctx c = { 0 };

  c.spec = spec;
  c.names = spec->kind == OXP_GPT_NEOX_KIND_OPT ? &opt_names : &gpt_neox_names;
  c.graph = graph;
  c.checkpoint = checkpoint;
  c.prefix = "";
  c.error = error;
  return build (&c);
}
