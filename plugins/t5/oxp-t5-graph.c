/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The T5 family's encoder and decoder graphs (transformers'
 * modeling_t5.py): pre-norm blocks with RMSNorm, attention without
 * 1/sqrt(d) scaling, a relative position bias that only block 0 holds and
 * every block adds, a ReLU or gated FFN, and a tied lm_head whose input
 * is rescaled by d_model^-0.5. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-t5-private.h"

typedef struct
{
  const OxpT5Spec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  GPtrArray *inputs; /* the config's: an If branch has none of its own */
  GError **error;
} Ctx;

static gboolean
has_input (Ctx *c, const char *name)
{
  return oxp_tensor_spec_array_find (c->inputs, name) != NULL;
}

static gboolean
has_output (Ctx *c, const char *name)
{
  return oxp_tensor_spec_array_find (oxp_graph_get_outputs (c->graph), name) != NULL;
}

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

static const char *
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, OXP_LINEAR_NO_BIAS,
                           c->error);
}

static const char *
rms_norm (Ctx *c, const char *x, const char *prefix)
{
  return oxp_block_rms_norm (c->graph, c->checkpoint, x, prefix, c->spec->d_model, c->spec->eps,
                             c->error);
}

/* The token embeddings: "shared", or a stack's own copy when a checkpoint
 * was saved without the shared one. */
static const char *
embedding_name (Ctx *c, const char *stack)
{
  if (oxp_checkpoint_lookup (c->checkpoint, "shared.weight") != NULL)
    return "shared.weight";
  {
    const char *own = oxp_graph_intern_printf (c->graph, "%s.embed_tokens.weight", stack);
    return oxp_checkpoint_lookup (c->checkpoint, own) != NULL ? own : "shared.weight";
  }
}

/* T5DenseActDense / T5DenseGatedActDense. */
static const char *
feed_forward (Ctx *c, const char *x, const char *prefix)
{
  const OxpT5Spec *s = c->spec;
  const char *h;

  oxp_graph_push_scope (c->graph, "DenseReluDense");
  if (s->gated)
    {
      const char *gate = linear (c, x, oxp_graph_intern_printf (c->graph, "%s.wi_0", prefix),
                                 s->d_model, s->d_ff);
      const char *up = gate ? linear (c, x, oxp_graph_intern_printf (c->graph, "%s.wi_1", prefix),
                                      s->d_model, s->d_ff)
                            : NULL;
      if (up == NULL
          || (gate = oxp_block_activation (c->graph, gate, s->act, "feed_forward_proj", c->error))
                 == NULL)
        return NULL;
      h = oxp_graph_op (c->graph, "Mul", gate, up, NULL);
    }
  else
    {
      h = linear (c, x, oxp_graph_intern_printf (c->graph, "%s.wi", prefix), s->d_model, s->d_ff);
      if (h == NULL
          || (h = oxp_block_activation (c->graph, h, s->act, "feed_forward_proj", c->error))
                 == NULL)
        return NULL;
    }
  h = linear (c, h, oxp_graph_intern_printf (c->graph, "%s.wo", prefix), s->d_ff, s->d_model);
  oxp_graph_pop_scope (c->graph);
  return h;
}

/* Q of @x split into heads. */
static const char *
query (Ctx *c, const char *x, const char *prefix)
{
  const OxpT5Spec *s = c->spec;
  const char *q = linear (c, x, oxp_graph_intern_printf (c->graph, "%s.q", prefix), s->d_model,
                          s->num_heads * s->d_kv);

  return q ? oxp_block_split_heads (c->graph, q, s->num_heads, s->d_kv) : NULL;
}

/* The merged attention context projected by o. */
static const char *
output_projection (Ctx *c, const char *ctx, const char *prefix)
{
  const OxpT5Spec *s = c->spec;

  return ctx ? linear (c, ctx, oxp_graph_intern_printf (c->graph, "%s.o", prefix),
                       s->num_heads * s->d_kv, s->d_model)
             : NULL;
}

/* softmax(Q·Kᵀ + bias)·V (T5 does not scale the scores), merged and projected by o. */
static const char *
attend (Ctx *c, const char *q, const char *k, const char *v, const char *bias, const char *prefix)
{
  const OxpT5Spec *s = c->spec;

  return output_projection (
      c, oxp_block_attention_merged (c->graph, q, k, v, bias, 1.0, s->num_heads, s->d_kv), prefix);
}

static const char *
self_kv (Ctx *c, const char *x, const char *prefix, const char *which)
{
  const OxpT5Spec *s = c->spec;
  const char *y = linear (c, x, oxp_graph_intern_printf (c->graph, "%s.%s", prefix, which),
                          s->d_model, s->num_heads * s->d_kv);

  return y ? oxp_block_split_heads (c->graph, y, s->num_heads, s->d_kv) : NULL;
}

/* The decoder self-attention's q, k or v in the form
 * oxp_block_self_attention_merged() takes. */
static const char *
decoder_heads (Ctx *c, const char *x, const char *prefix, const char *which)
{
  const OxpT5Spec *s = c->spec;
  const char *y = linear (c, x, oxp_graph_intern_printf (c->graph, "%s.%s", prefix, which),
                          s->d_model, s->num_heads * s->d_kv);

  return y ? oxp_block_attention_heads (c->graph, y, s->num_heads, s->d_kv) : NULL;
}

/* ---- encoder ------------------------------------------------------------ */

static gboolean
build_encoder (Ctx *c)
{
  const OxpT5Spec *s = c->spec;
  const char *h, *bias;

  oxp_graph_push_scope (c->graph, "encoder");
  h = oxp_block_embedding (c->graph, c->checkpoint, "input_ids", embedding_name (c, "encoder"),
                           s->vocab_size, s->d_model, c->error);
  if (h == NULL)
    return FALSE;
  /* Block 0's table, with the padding mask, is every block's bias. */
  bias = oxp_block_relative_position_bias (
      c->graph, c->checkpoint,
      "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "input_ids", NULL,
      s->num_heads, TRUE, s->num_buckets, s->max_distance, c->error);
  if (bias == NULL)
    return FALSE;
  bias = oxp_graph_op (c->graph, "Add", bias, oxp_block_attention_mask (c->graph, "attention_mask"),
                       NULL);

  for (gint64 i = 0; i < s->num_layers; i++)
    {
      const char *p
          = oxp_graph_intern_printf (c->graph, "encoder.block.%" G_GINT64_FORMAT ".layer", i);
      const char *attn = oxp_graph_intern_printf (c->graph, "%s.0.SelfAttention", p);
      const char *n, *q, *k, *v, *a, *f;

      oxp_graph_push_scope (c->graph, "block.%" G_GINT64_FORMAT, i);
      if ((n = rms_norm (c, h, oxp_graph_intern_printf (c->graph, "%s.0.layer_norm", p))) == NULL
          || (q = query (c, n, attn)) == NULL || (k = self_kv (c, n, attn, "k")) == NULL
          || (v = self_kv (c, n, attn, "v")) == NULL
          || (a = attend (c, q, k, v, bias, attn)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, a, NULL);
      if ((n = rms_norm (c, h, oxp_graph_intern_printf (c->graph, "%s.1.layer_norm", p))) == NULL
          || (f = feed_forward (c, n, oxp_graph_intern_printf (c->graph, "%s.1.DenseReluDense", p)))
                 == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, f, NULL);
      oxp_graph_pop_scope (c->graph);
    }
  h = rms_norm (c, h, "encoder.final_layer_norm");
  oxp_graph_pop_scope (c->graph);
  return bind (c, "last_hidden_state", h);
}

/* ---- decoder ------------------------------------------------------------ */

static const char *
past_name (Ctx *c, const char *prefix, gint64 layer, const char *leaf)
{
  const char *name
      = oxp_graph_intern_printf (c->graph, "%s.%" G_GINT64_FORMAT ".%s", prefix, layer, leaf);

  return name;
}

static gboolean
build_decoder (Ctx *c)
{
  const OxpT5Spec *s = c->spec;
  gboolean past_in = has_input (c, "past_key_values.0.decoder.key");
  const char *past_length = NULL, *h, *self_bias, *cross_mask, *logits;

  oxp_graph_push_scope (c->graph, "decoder");
  if (past_in)
    past_length = oxp_block_axis_length (c->graph, "past_key_values.0.decoder.key", 2);
  h = oxp_block_embedding (c->graph, c->checkpoint, "input_ids", embedding_name (c, "decoder"),
                           s->vocab_size, s->d_model, c->error);
  if (h == NULL)
    return FALSE;
  /* Causal buckets at query positions past + i, and the causal mask. */
  self_bias = oxp_block_relative_position_bias (
      c->graph, c->checkpoint,
      "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "input_ids",
      past_length, s->num_heads, FALSE, s->num_buckets, s->max_distance, c->error);
  if (self_bias == NULL)
    return FALSE;
  self_bias
      = oxp_graph_op (c->graph, "Add", self_bias,
                      oxp_block_causal_mask_with_past (c->graph, "input_ids", past_length), NULL);
  /* Cross-attention has no position bias: the encoder padding mask only. */
  cross_mask = oxp_block_attention_mask (c->graph, "encoder_attention_mask");

  for (gint64 i = 0; i < s->num_decoder_layers; i++)
    {
      const char *p
          = oxp_graph_intern_printf (c->graph, "decoder.block.%" G_GINT64_FORMAT ".layer", i);
      const char *self_attn = oxp_graph_intern_printf (c->graph, "%s.0.SelfAttention", p);
      const char *cross_attn = oxp_graph_intern_printf (c->graph, "%s.1.EncDecAttention", p);
      const char *enc_key = past_name (c, "past_key_values", i, "encoder.key");
      const char *enc_value = past_name (c, "past_key_values", i, "encoder.value");
      const char *n, *q, *k, *v, *a, *f;
      gboolean present;

      oxp_graph_push_scope (c->graph, "block.%" G_GINT64_FORMAT, i);
      if ((n = rms_norm (c, h, oxp_graph_intern_printf (c->graph, "%s.0.layer_norm", p))) == NULL
          || (q = decoder_heads (c, n, self_attn, "q")) == NULL
          || (k = decoder_heads (c, n, self_attn, "k")) == NULL
          || (v = decoder_heads (c, n, self_attn, "v")) == NULL)
        return FALSE;
      /* The block takes the cache (the presents are the keys after it). */
      present = has_output (c, past_name (c, "present", i, "decoder.key"));
      a = oxp_block_self_attention_merged (
          c->graph, q, k, v, past_in ? past_name (c, "past_key_values", i, "decoder.key") : NULL,
          past_in ? past_name (c, "past_key_values", i, "decoder.value") : NULL, self_bias, 1.0,
          s->num_heads, s->d_kv, present ? &k : NULL, present ? &v : NULL);
      if (present
          && (!bind (c, past_name (c, "present", i, "decoder.key"), k)
              || !bind (c, past_name (c, "present", i, "decoder.value"), v)))
        return FALSE;
      if ((a = output_projection (c, a, self_attn)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, a, NULL);

      if ((n = rms_norm (c, h, oxp_graph_intern_printf (c->graph, "%s.1.layer_norm", p))) == NULL
          || (q = query (c, n, cross_attn)) == NULL)
        return FALSE;
      /* With past, the cross-attention cache is an input: never recomputed. */
      if (!oxp_block_cross_attention_kv (
              c->graph, c->checkpoint, "encoder_hidden_states",
              has_input (c, enc_key) ? enc_key : NULL, has_input (c, enc_value) ? enc_value : NULL,
              oxp_graph_intern_printf (c->graph, "%s.k", cross_attn),
              oxp_graph_intern_printf (c->graph, "%s.v", cross_attn), s->d_model, s->num_heads,
              s->d_kv, OXP_LINEAR_NO_BIAS, &k, &v, c->error))
        return FALSE;
      if (has_output (c, past_name (c, "present", i, "encoder.key"))
          && (!bind (c, past_name (c, "present", i, "encoder.key"), k)
              || !bind (c, past_name (c, "present", i, "encoder.value"), v)))
        return FALSE;
      if ((a = attend (c, q, k, v, cross_mask, cross_attn)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, a, NULL);

      if ((n = rms_norm (c, h, oxp_graph_intern_printf (c->graph, "%s.2.layer_norm", p))) == NULL
          || (f = feed_forward (c, n, oxp_graph_intern_printf (c->graph, "%s.2.DenseReluDense", p)))
                 == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, f, NULL);
      oxp_graph_pop_scope (c->graph);
    }
  h = rms_norm (c, h, "decoder.final_layer_norm");
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;

  if (!has_output (c, "logits"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "lm_head");
  if (s->tied)
    {
      /* The tied head reads the embeddings (stored once) of a rescaled input. */
      h = oxp_graph_op (
          c->graph, "Mul", h,
          oxp_graph_add_constant_float (c->graph, "rescale", pow ((double)s->d_model, -0.5)), NULL);
      logits = oxp_block_linear_from (c->graph, c->checkpoint, h, embedding_name (c, "decoder"),
                                      NULL, s->d_model, s->vocab_size,
                                      OXP_LINEAR_NO_BIAS | OXP_LINEAR_SHARED_WEIGHT, c->error);
    }
  else
    logits = linear (c, h, "lm_head", s->d_model, s->vocab_size);
  oxp_graph_pop_scope (c->graph);
  return bind (c, "logits", logits);
}

gboolean
_oxp_t5_build_graph (const OxpT5Spec *spec, OxpConfigBehavior behavior, GPtrArray *inputs,
                     OxpGraph *graph, OxpCheckpoint *checkpoint, GError **error)
{
  Ctx c = { spec, graph, checkpoint, inputs, error };

  switch (behavior)
    {
    case OXP_CONFIG_BEHAVIOR_ENCODER:
      return build_encoder (&c);
    case OXP_CONFIG_BEHAVIOR_DECODER:
      return build_decoder (&c);
    case OXP_CONFIG_BEHAVIOR_MONOLITH:
    default:
      g_set_error (error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
                   "model type “%s”: the encoder and the decoder are exported as separate files, "
                   "not as one graph",
                   spec->model_type);
      return FALSE;
    }
}
