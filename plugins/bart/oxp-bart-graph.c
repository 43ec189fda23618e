/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BART family's encoder and decoder graphs (transformers'
 * modeling_bart.py, modeling_mbart.py, modeling_marian.py): token embeddings
 * scaled by √d_model when scale_embedding, plus learned positions (offset
 * by 2) or sinusoidal ones; attention with biased projections and q scaled
 * by head_dim^-0.5; post-norm (BART, Marian) or pre-norm (mBART) layers;
 * an lm_head, tied by default, plus final_logits_bias. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-bart-private.h"

/* nn.LayerNorm's default: none of these configs sets an epsilon. */
#define BART_LAYER_NORM_EPS 1e-5
/* BartLearnedPositionalEmbedding: fairseq's two reserved rows come first. */
#define BART_POSITION_OFFSET 2

typedef struct
{
  const OxpBartSpec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  GPtrArray *inputs;  /* the config's: an If branch has none of its own */
  const char *prefix; /* "model." for *ForConditionalGeneration, "" for *Model */
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
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, OXP_LINEAR_DEFAULT,
                           c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix)
{
  return oxp_block_layer_norm (c->graph, c->checkpoint, x, prefix, c->spec->d_model,
                               BART_LAYER_NORM_EPS, c->error);
}

/* A *ForConditionalGeneration checkpoint nests the model under "model.". */
static const char *
checkpoint_prefix (OxpCheckpoint *checkpoint)
{
  static const char *const probes[] = {
    "model.shared.weight",
    "model.encoder.layers.0.self_attn.q_proj.weight",
    "model.decoder.layers.0.self_attn.q_proj.weight",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (probes); i++)
    if (oxp_checkpoint_lookup (checkpoint, probes[i]) != NULL)
      return "model.";
  return "";
}

/* A stack's own token embeddings (Marian without shared embeddings), else
 * the shared ones: tied checkpoints store only "shared". */
static const char *
embedding_name (Ctx *c, const char *stack)
{
  const char *own
      = oxp_graph_intern_printf (c->graph, "%s%s.embed_tokens.weight", c->prefix, stack);

  if (oxp_checkpoint_lookup (c->checkpoint, own) != NULL)
    return own;
  return oxp_graph_intern_printf (c->graph, "%sshared.weight", c->prefix);
}

/* Token embeddings × embed_scale + positions past + arange(seq), then the
 * embedding LayerNorm where the family has one. */
static const char *
embed (Ctx *c, const char *stack, const char *ids, gint64 vocab, const char *past_length)
{
  const OxpBartSpec *s = c->spec;
  const char *tokens, *positions, *pos_ids, *h;

  tokens = oxp_block_embedding (c->graph, c->checkpoint, ids, embedding_name (c, stack), vocab,
                                s->d_model, c->error);
  if (tokens == NULL)
    return NULL;
  if (s->embed_scale != 1.0)
    tokens = oxp_graph_op (c->graph, "Mul", tokens,
                           oxp_graph_add_constant_float (c->graph, "embed_scale", s->embed_scale),
                           NULL);

  oxp_graph_push_scope (c->graph, "embed_positions");
  pos_ids = oxp_block_position_ids (c->graph, ids, past_length);
  if (s->variant->positions == OXP_BART_POSITIONS_LEARNED)
    {
      pos_ids = oxp_graph_op (
          c->graph, "Add", pos_ids,
          oxp_graph_add_constant_int64 (c->graph, "offset", BART_POSITION_OFFSET), NULL);
      positions = oxp_block_embedding (
          c->graph, c->checkpoint, pos_ids,
          oxp_graph_intern_printf (c->graph, "%s%s.embed_positions.weight", c->prefix, stack),
          s->max_positions + BART_POSITION_OFFSET, s->d_model, c->error);
    }
  else
    positions = oxp_block_sinusoidal_positions (c->graph, pos_ids, s->d_model, c->error);
  oxp_graph_pop_scope (c->graph);
  if (positions == NULL)
    return NULL;

  h = oxp_graph_op (c->graph, "Add", tokens, positions, NULL);
  if (s->variant->layernorm_embedding)
    h = layer_norm (
        c, h, oxp_graph_intern_printf (c->graph, "%s%s.layernorm_embedding", c->prefix, stack));
  return h;
}

/* The input of a sublayer: normalized first in a pre-norm family. */
static const char *
sublayer_input (Ctx *c, const char *h, const char *norm)
{
  return c->spec->variant->pre_norm ? layer_norm (c, h, norm) : h;
}

/* The residual sum, normalized after in a post-norm family. */
static const char *
sublayer_output (Ctx *c, const char *h, const char *y, const char *norm)
{
  const char *sum;

  if (y == NULL)
    return NULL;
  sum = oxp_graph_op (c->graph, "Add", h, y, NULL);
  return c->spec->variant->pre_norm ? sum : layer_norm (c, sum, norm);
}

static const char *
heads_of (Ctx *c, const char *x, const char *prefix, gint64 n_heads)
{
  const OxpBartSpec *s = c->spec;
  const char *y = linear (c, x, prefix, s->d_model, s->d_model);

  return y ? oxp_block_split_heads (c->graph, y, n_heads, s->d_model / n_heads) : NULL;
}

/* The decoder self-attention's q, k or v in the form
 * oxp_block_self_attention_merged() takes. */
static const char *
decoder_heads (Ctx *c, const char *x, const char *prefix, gint64 n_heads)
{
  const OxpBartSpec *s = c->spec;
  const char *y = linear (c, x, prefix, s->d_model, s->d_model);

  return y ? oxp_block_attention_heads (c->graph, y, n_heads, s->d_model / n_heads) : NULL;
}

/* The merged attention context projected by out_proj. */
static const char *
output_projection (Ctx *c, const char *ctx, const char *attn)
{
  const OxpBartSpec *s = c->spec;

  return ctx ? linear (c, ctx, oxp_graph_intern_printf (c->graph, "%s.out_proj", attn), s->d_model,
                       s->d_model)
             : NULL;
}

/* softmax(Q·Kᵀ/√head_dim + mask)·V, merged and projected by out_proj. */
static const char *
attend (Ctx *c, const char *q, const char *k, const char *v, const char *mask, const char *attn,
        gint64 n_heads)
{
  const OxpBartSpec *s = c->spec;
  gint64 head_dim = s->d_model / n_heads;

  return output_projection (c,
                            oxp_block_attention_merged (c->graph, q, k, v, mask,
                                                        1.0 / sqrt ((double)head_dim), n_heads,
                                                        head_dim),
                            attn);
}

/* fc2(act(fc1(x))). */
static const char *
feed_forward (Ctx *c, const char *x, const char *layer, gint64 ffn_dim)
{
  const OxpBartSpec *s = c->spec;
  const char *h
      = linear (c, x, oxp_graph_intern_printf (c->graph, "%s.fc1", layer), s->d_model, ffn_dim);

  if (h == NULL
      || (h = oxp_block_activation (c->graph, h, s->act, "activation_function", c->error)) == NULL)
    return NULL;
  return linear (c, h, oxp_graph_intern_printf (c->graph, "%s.fc2", layer), ffn_dim, s->d_model);
}

/* ---- encoder ------------------------------------------------------------ */

static const char *
encoder (Ctx *c, const char *input_ids, const char *attention_mask)
{
  const OxpBartSpec *s = c->spec;
  const char *h, *mask;

  oxp_graph_push_scope (c->graph, "encoder");
  if ((h = embed (c, "encoder", input_ids, s->vocab_size, NULL)) == NULL)
    return NULL;
  mask = oxp_block_attention_mask (c->graph, attention_mask);

  for (gint64 i = 0; i < s->encoder_layers; i++)
    {
      const char *layer
          = oxp_graph_intern_printf (c->graph, "%sencoder.layers.%" G_GINT64_FORMAT, c->prefix, i);
      const char *attn = oxp_graph_intern_printf (c->graph, "%s.self_attn", layer);
      const char *attn_norm = oxp_graph_intern_printf (c->graph, "%s.self_attn_layer_norm", layer);
      const char *ffn_norm = oxp_graph_intern_printf (c->graph, "%s.final_layer_norm", layer);
      const char *n, *q, *k, *v, *a;

      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      if ((n = sublayer_input (c, h, attn_norm)) == NULL
          || (q = heads_of (c, n, oxp_graph_intern_printf (c->graph, "%s.q_proj", attn),
                            s->encoder_heads))
                 == NULL
          || (k = heads_of (c, n, oxp_graph_intern_printf (c->graph, "%s.k_proj", attn),
                            s->encoder_heads))
                 == NULL
          || (v = heads_of (c, n, oxp_graph_intern_printf (c->graph, "%s.v_proj", attn),
                            s->encoder_heads))
                 == NULL
          || (a = attend (c, q, k, v, mask, attn, s->encoder_heads)) == NULL
          || (h = sublayer_output (c, h, a, attn_norm)) == NULL
          || (n = sublayer_input (c, h, ffn_norm)) == NULL
          || (h = sublayer_output (c, h, feed_forward (c, n, layer, s->encoder_ffn_dim), ffn_norm))
                 == NULL)
        return NULL;
      oxp_graph_pop_scope (c->graph);
    }
  if (s->variant->pre_norm)
    h = layer_norm (c, h, oxp_graph_intern_printf (c->graph, "%sencoder.layer_norm", c->prefix));
  oxp_graph_pop_scope (c->graph);
  return h;
}

static gboolean
build_encoder (Ctx *c)
{
  return bind (c, "last_hidden_state", encoder (c, "input_ids", "attention_mask"));
}

/* ---- decoder ------------------------------------------------------------ */

static const char *
cache_name (Ctx *c, const char *prefix, gint64 layer, const char *leaf)
{
  return oxp_graph_intern_printf (c->graph, "%s.%" G_GINT64_FORMAT ".%s", prefix, layer, leaf);
}

/* Binds a present output when the config declares it. */
static gboolean
bind_present (Ctx *c, gint64 layer, const char *which, const char *key, const char *value)
{
  const char *key_name
      = cache_name (c, "present", layer, oxp_graph_intern_printf (c->graph, "%s.key", which));

  if (!has_output (c, key_name))
    return TRUE;
  return bind (c, key_name, key)
         && bind (c,
                  cache_name (c, "present", layer,
                              oxp_graph_intern_printf (c->graph, "%s.value", which)),
                  value);
}

static gboolean
build_decoder (Ctx *c)
{
  const OxpBartSpec *s = c->spec;
  gint64 head_dim = s->d_model / s->decoder_heads;
  gboolean past_in = has_input (c, "past_key_values.0.decoder.key");
  const char *past_length = NULL, *h, *self_mask, *cross_mask, *logits;

  oxp_graph_push_scope (c->graph, "decoder");
  if (past_in)
    past_length = oxp_block_axis_length (c->graph, "past_key_values.0.decoder.key", 2);
  if ((h = embed (c, "decoder", "input_ids", s->decoder_vocab_size, past_length)) == NULL)
    return FALSE;
  self_mask = oxp_block_causal_mask_with_past (c->graph, "input_ids", past_length);
  cross_mask = oxp_block_attention_mask (c->graph, "encoder_attention_mask");

  for (gint64 i = 0; i < s->decoder_layers; i++)
    {
      const char *layer
          = oxp_graph_intern_printf (c->graph, "%sdecoder.layers.%" G_GINT64_FORMAT, c->prefix, i);
      const char *self_attn = oxp_graph_intern_printf (c->graph, "%s.self_attn", layer);
      const char *cross_attn = oxp_graph_intern_printf (c->graph, "%s.encoder_attn", layer);
      const char *self_norm = oxp_graph_intern_printf (c->graph, "%s.self_attn_layer_norm", layer);
      const char *cross_norm
          = oxp_graph_intern_printf (c->graph, "%s.encoder_attn_layer_norm", layer);
      const char *ffn_norm = oxp_graph_intern_printf (c->graph, "%s.final_layer_norm", layer);
      const char *enc_key = cache_name (c, "past_key_values", i, "encoder.key");
      const char *enc_value = cache_name (c, "past_key_values", i, "encoder.value");
      const char *n, *q, *k, *v, *a;
      gboolean present;

      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      if ((n = sublayer_input (c, h, self_norm)) == NULL
          || (q = decoder_heads (c, n, oxp_graph_intern_printf (c->graph, "%s.q_proj", self_attn),
                                 s->decoder_heads))
                 == NULL
          || (k = decoder_heads (c, n, oxp_graph_intern_printf (c->graph, "%s.k_proj", self_attn),
                                 s->decoder_heads))
                 == NULL
          || (v = decoder_heads (c, n, oxp_graph_intern_printf (c->graph, "%s.v_proj", self_attn),
                                 s->decoder_heads))
                 == NULL)
        return FALSE;
      /* The block takes the cache (the presents are the keys after it). */
      present = has_output (c, cache_name (c, "present", i, "decoder.key"));
      a = oxp_block_self_attention_merged (
          c->graph, q, k, v, past_in ? cache_name (c, "past_key_values", i, "decoder.key") : NULL,
          past_in ? cache_name (c, "past_key_values", i, "decoder.value") : NULL, self_mask,
          1.0 / sqrt ((double)head_dim), s->decoder_heads, head_dim, present ? &k : NULL,
          present ? &v : NULL);
      if ((present && !bind_present (c, i, "decoder", k, v))
          || (a = output_projection (c, a, self_attn)) == NULL
          || (h = sublayer_output (c, h, a, self_norm)) == NULL)
        return FALSE;

      if ((n = sublayer_input (c, h, cross_norm)) == NULL
          || (q = heads_of (c, n, oxp_graph_intern_printf (c->graph, "%s.q_proj", cross_attn),
                            s->decoder_heads))
                 == NULL)
        return FALSE;
      /* With past, the cross-attention cache is an input: never recomputed. */
      if (!oxp_block_cross_attention_kv (
              c->graph, c->checkpoint, "encoder_hidden_states",
              has_input (c, enc_key) ? enc_key : NULL, has_input (c, enc_value) ? enc_value : NULL,
              oxp_graph_intern_printf (c->graph, "%s.k_proj", cross_attn),
              oxp_graph_intern_printf (c->graph, "%s.v_proj", cross_attn), s->d_model,
              s->decoder_heads, head_dim, OXP_LINEAR_DEFAULT, &k, &v, c->error)
          || !bind_present (c, i, "encoder", k, v)
          || (a = attend (c, q, k, v, cross_mask, cross_attn, s->decoder_heads)) == NULL
          || (h = sublayer_output (c, h, a, cross_norm)) == NULL)
        return FALSE;

      if ((n = sublayer_input (c, h, ffn_norm)) == NULL
          || (h = sublayer_output (c, h, feed_forward (c, n, layer, s->decoder_ffn_dim), ffn_norm))
                 == NULL)
        return FALSE;
      oxp_graph_pop_scope (c->graph);
    }
  if (s->variant->pre_norm
      && (h = layer_norm (c, h,
                          oxp_graph_intern_printf (c->graph, "%sdecoder.layer_norm", c->prefix)))
             == NULL)
    return FALSE;
  oxp_graph_pop_scope (c->graph);

  if (!has_output (c, "logits"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "lm_head");
  if (s->tied)
    /* The embeddings, stored once, serve the Gather and the head. */
    logits = oxp_block_linear_from (c->graph, c->checkpoint, h, embedding_name (c, "decoder"), NULL,
                                    s->d_model, s->decoder_vocab_size,
                                    OXP_LINEAR_NO_BIAS | OXP_LINEAR_SHARED_WEIGHT, c->error);
  else
    logits = oxp_block_linear (c->graph, c->checkpoint, h, "lm_head", s->d_model,
                               s->decoder_vocab_size, OXP_LINEAR_NO_BIAS, c->error);
  /* A buffer of *ForConditionalGeneration; transformers starts it at zeros
   * when a checkpoint (a bare *Model) lacks it, so it is only added when stored. */
  if (logits != NULL && oxp_checkpoint_lookup (c->checkpoint, "final_logits_bias") != NULL)
    {
      const gint64 shape[] = { 1, s->decoder_vocab_size };
      const char *bias = NULL;

      if (oxp_checkpoint_expect_tensor (c->checkpoint, "final_logits_bias", shape, 2, c->error))
        bias = oxp_graph_add_weight (c->graph, c->checkpoint, "final_logits_bias", OXP_WEIGHT_NONE,
                                     c->error);
      logits = bias ? oxp_graph_op (c->graph, "Add", logits, bias, NULL) : NULL;
    }
  oxp_graph_pop_scope (c->graph);
  return bind (c, "logits", logits);
}

gboolean
_oxp_bart_build_graph (const OxpBartSpec *spec, OxpConfigBehavior behavior, GPtrArray *inputs,
                       OxpGraph *graph, OxpCheckpoint *checkpoint, GError **error)
{
  Ctx c = { spec, graph, checkpoint, inputs, checkpoint_prefix (checkpoint), error };

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
                   spec->variant->model_type);
      return FALSE;
    }
}
