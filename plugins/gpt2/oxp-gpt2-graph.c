/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GPT-2's graph (transformers' modeling_gpt2.py), composed from the core
 * building blocks.  Every Conv1D weight is stored [in, out], the layout
 * MatMul wants, so none is transposed. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-gpt2-private.h"

typedef struct
{
  const OxpGpt2Spec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  const char *prefix; /* "transformer." or "" */
  GError **error;
} Ctx;

static gboolean
has_tensor (Ctx *c, const char *name)
{
  return oxp_checkpoint_lookup (c->checkpoint, name) != NULL;
}

/* GPT-2's Conv1D: y = x·W + b with W stored [in, out]. */
static const char *
conv1d (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, OXP_LINEAR_WEIGHT_IN_OUT,
                           c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix)
{
  return oxp_block_layer_norm (c->graph, c->checkpoint, x, prefix, c->spec->hidden_size,
                               c->spec->layer_norm_eps, c->error);
}

/* Plugin-local block: the int64 scalar Shape(@x)[@axis]. */
static const char *
dim_of (Ctx *c, const char *x, gint64 axis)
{
  return oxp_block_select (c->graph, oxp_graph_op (c->graph, "Shape", x, NULL), 0, axis);
}

/* Plugin-local block, GPT2Attention._upcast_and_reordered_attn: the
 * scores, mask and softmax in float32 whatever the graph's float type,
 * the probabilities cast back before they meet the values. */
static const char *
upcast_attention (Ctx *c, const char *q, const char *k, const char *v, const char *mask,
                  double scale)
{
  static const gint64 perm[] = { 0, 1, 3, 2 };
  g_autoptr (OxpTensor) scale_value = oxp_tensor_new ("scale", OXP_DATA_TYPE_FLOAT, NULL, 0);
  const char *kt, *scores, *probs;

  *(float *)oxp_tensor_get_mutable_data (scale_value) = (float)scale;
  kt = oxp_graph_op (c->graph, "Transpose", oxp_block_cast (c->graph, k, OXP_DATA_TYPE_FLOAT), NULL);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "perm", perm, 4);
  scores = oxp_graph_op (c->graph, "MatMul", oxp_block_cast (c->graph, q, OXP_DATA_TYPE_FLOAT), kt, NULL);
  scores = oxp_graph_op (c->graph, "Mul", scores,
                         oxp_graph_add_constant (c->graph, "scale", scale_value), NULL);
  scores = oxp_graph_op (c->graph, "Add", scores, oxp_block_cast (c->graph, mask, OXP_DATA_TYPE_FLOAT), NULL);
  probs = oxp_graph_op (c->graph, "Softmax", scores, NULL);
  oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "axis", -1);
  probs = oxp_block_cast (c->graph, probs, oxp_graph_get_float_type (c->graph));
  return oxp_graph_op (c->graph, "MatMul", probs, v, NULL);
}

/* GPT2Model.forward: the tensors of a task model carry the base model's
 * "transformer." prefix; GPT2Model checkpoints (and OpenAI's own gpt2
 * files) do not. */
static gboolean
resolve_prefix (Ctx *c)
{
  if (has_tensor (c, "transformer.wte.weight"))
    c->prefix = "transformer.";
  else if (has_tensor (c, "wte.weight"))
    c->prefix = "";
  else
    {
      /* Name the tensor the task's model class would hold. */
      gboolean base = g_str_equal (c->spec->task, "feature-extraction");
      oxp_checkpoint_get_tensor (c->checkpoint, base ? "wte.weight" : "transformer.wte.weight",
                                 c->error);
      return FALSE;
    }
  return TRUE;
}

/* ---- blocks --------------------------------------------------------------- */

/* GPT2Block: h + attn(ln_1(h)), then that + mlp(ln_2(·)). */
static const char *
block (Ctx *c, gint64 i, const char *h, const char *mask)
{
  const OxpGpt2Spec *s = c->spec;
  gint64 e = s->hidden_size, heads = s->num_heads, dim = s->head_dim;
  const char *p = oxp_graph_intern_printf (c->graph, "%sh.%" G_GINT64_FORMAT ".", c->prefix, i);
  const char *x, *qkv, *parts[3], *q, *k, *v, *ctx, *f;
  const char *past_k = NULL, *past_v = NULL;
  double scale = 1.0;

  oxp_graph_push_scope (c->graph, "attn");
  if ((x = layer_norm (c, h, oxp_graph_intern_printf (c->graph, "%sln_1", p))) == NULL
      || (qkv = conv1d (c, x, oxp_graph_intern_printf (c->graph, "%sattn.c_attn", p), e, 3 * e))
             == NULL)
    return NULL;
  /* c_attn's output is [query | key | value], each n_embd wide. */
  oxp_block_split (c->graph, qkv, -1, (const gint64[]){ e, e, e }, 3, parts);
  if (s->past_inputs)
    {
      past_k = oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".key", i);
      past_v = oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".value", i);
    }
  if (s->scale_attn_weights)
    scale /= sqrt ((double)dim);
  if (s->scale_attn_by_inverse_layer_idx)
    scale /= (double)(i + 1);

  if (oxp_graph_get_float_type (c->graph) == OXP_DATA_TYPE_FLOAT)
    /* In float32 the reordered, upcast form is the same computation, and
     * the core block's is GPT2Attention's (multi-head, no rotary); from
     * --optimize O2 it runs GroupQueryAttention where that applies. */
    ctx = oxp_block_cached_self_attention (c->graph, parts[0], parts[1], parts[2], past_k, past_v,
                                           NULL, NULL, 0, heads, heads, dim, scale, mask, &k, &v);
  else
    {
      /* fp16/bf16: transformers' softmax runs in the model's type, or with
       * reorder_and_upcast_attn the scores too in float32; the core block
       * upcasts only the softmax, so neither is its form. */
      q = oxp_block_split_heads (c->graph, parts[0], heads, dim);
      k = oxp_block_split_heads (c->graph, parts[1], heads, dim);
      v = oxp_block_split_heads (c->graph, parts[2], heads, dim);
      if (past_k != NULL)
        {
          k = oxp_block_concat_past (c->graph, past_k, k);
          v = oxp_block_concat_past (c->graph, past_v, v);
        }
      if (s->reorder_and_upcast_attn)
        ctx = upcast_attention (c, q, k, v, mask, scale);
      else
        ctx = oxp_block_attention (c->graph, q, k, v, mask, scale);
      ctx = oxp_block_merge_heads (c->graph, ctx, heads, dim);
    }
  if (s->use_past)
    {
      const char *key_out
          = oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".key", i);
      const char *value_out
          = oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".value", i);
      if (!oxp_graph_bind_output (c->graph, key_out, k, c->error)
          || !oxp_graph_bind_output (c->graph, value_out, v, c->error))
        return NULL;
    }
  if ((ctx = conv1d (c, ctx, oxp_graph_intern_printf (c->graph, "%sattn.c_proj", p), e, e)) == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", ctx, h, NULL);
  oxp_graph_pop_scope (c->graph);

  oxp_graph_push_scope (c->graph, "mlp");
  if ((x = layer_norm (c, h, oxp_graph_intern_printf (c->graph, "%sln_2", p))) == NULL
      || (f = conv1d (c, x, oxp_graph_intern_printf (c->graph, "%smlp.c_fc", p), e, s->inner_size))
             == NULL
      || (f = oxp_block_activation (c->graph, f, s->activation, "activation_function", c->error))
             == NULL
      || (f
          = conv1d (c, f, oxp_graph_intern_printf (c->graph, "%smlp.c_proj", p), s->inner_size, e))
             == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", f, h, NULL);
  oxp_graph_pop_scope (c->graph);
  return h;
}

/* ---- heads ---------------------------------------------------------------- */

/* GPT2LMHeadModel's lm_head: tied to wte unless tie_word_embeddings is
 * false.  The tied table is stored once and transposed by a node. */
static const char *
lm_head (Ctx *c, const char *h)
{
  const OxpGpt2Spec *s = c->spec;

  if (s->tie_word_embeddings)
    return oxp_block_linear_from (c->graph, c->checkpoint, h,
                                  oxp_graph_intern_printf (c->graph, "%swte.weight", c->prefix),
                                  NULL, s->hidden_size, s->vocab_size,
                                  OXP_LINEAR_SHARED_WEIGHT | OXP_LINEAR_NO_BIAS, c->error);
  return oxp_block_linear (c->graph, c->checkpoint, h, "lm_head", s->hidden_size, s->vocab_size,
                           OXP_LINEAR_NO_BIAS, c->error);
}

/* ---- the whole graph ------------------------------------------------------ */

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

static gboolean
build (Ctx *c)
{
  const OxpGpt2Spec *s = c->spec;
  const char *ids = "input_ids";
  const char *positions, *past_length = NULL, *h, *pe, *mask;

  if (!resolve_prefix (c))
    return FALSE;

  oxp_graph_push_scope (c->graph, "embeddings");
  /* Positions: the input when declared, else past_length + arange(seq) as
   * GPT2Model computes them. */
  if (s->position_ids)
    positions = "position_ids";
  else
    {
      if (s->past_inputs)
        past_length = dim_of (c, "past_key_values.0.key", 2);
      positions = oxp_block_position_ids (c->graph, ids, past_length);
    }
  h = oxp_block_embedding (c->graph, c->checkpoint, ids,
                           oxp_graph_intern_printf (c->graph, "%swte.weight", c->prefix),
                           s->vocab_size, s->hidden_size, c->error);
  if (h == NULL)
    return FALSE;
  pe = oxp_block_embedding (c->graph, c->checkpoint, positions,
                            oxp_graph_intern_printf (c->graph, "%swpe.weight", c->prefix),
                            s->max_positions, s->hidden_size, c->error);
  if (pe == NULL)
    return FALSE;
  h = oxp_graph_op (c->graph, "Add", h, pe, NULL);
  oxp_graph_pop_scope (c->graph);

  /* Causal over past + current keys, and the padding the mask drops. */
  mask = oxp_block_causal_attention_mask (c->graph, "attention_mask", ids);
  for (gint64 i = 0; i < s->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "h.%" G_GINT64_FORMAT, i);
      h = block (c, i, h, mask);
      oxp_graph_pop_scope (c->graph);
    }
  if (h == NULL
      || (h = layer_norm (c, h, oxp_graph_intern_printf (c->graph, "%sln_f", c->prefix))) == NULL)
    return FALSE;

  if (g_str_equal (s->task, "feature-extraction"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "head");
  if (g_str_equal (s->task, "text-classification"))
    {
      /* GPT2ForSequenceClassification: the last non-pad token. */
      const char *x = oxp_block_last_non_pad_token (c->graph, h, ids, s->pad_token_id);
      const char *logits = oxp_block_linear (c->graph, c->checkpoint, x, "score", s->hidden_size,
                                             s->num_labels, OXP_LINEAR_NO_BIAS, c->error);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  if (g_str_equal (s->task, "text-generation"))
    {
      const char *logits = lm_head (c, h);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  oxp_graph_pop_scope (c->graph);

  g_set_error (c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
               "model type “gpt2” has no graph for task “%s”", s->task);
  return FALSE;
}

gboolean
_oxp_gpt2_build_graph (const OxpGpt2Spec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                       GError **error)
{
  Ctx c = { spec, graph, checkpoint, "", error };

  return build (&c);
}
