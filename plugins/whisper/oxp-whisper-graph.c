/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whisper's encoder and decoder graphs (transformers' modeling_whisper.py):
 * a convolutional stem over the log-mel frames, pre-norm LayerNorm blocks
 * with final LayerNorms, learned positions, attention scaled by
 * head_dim^-0.5 whose k_proj has no bias, and proj_out tied to the decoder
 * embeddings. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-whisper-private.h"

/* nn.LayerNorm's default: Whisper's config has no epsilon. */
#define WHISPER_LAYER_NORM_EPS 1e-5

typedef struct
{
  const OxpWhisperSpec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  GPtrArray *inputs; /* the config's: an If branch has none of its own */
  GError **error;
} Ctx;

/* The sizes of one stack (encoder or decoder). */
typedef struct
{
  const char *prefix; /* "model.encoder" */
  gint64 heads;
  gint64 head_dim;
  gint64 ffn_dim;
} Stack;

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
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out, OxpLinearFlags flags)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, flags, c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix)
{
  return oxp_block_layer_norm (c->graph, c->checkpoint, x, prefix, c->spec->d_model,
                               WHISPER_LAYER_NORM_EPS, c->error);
}

static const char *
activation (Ctx *c, const char *x)
{
  return x ? oxp_block_activation (c->graph, x, c->spec->act, "activation_function", c->error)
           : NULL;
}

/* ---- the convolutional stem (plugin-local) ------------------------------ */

/* torch Conv1d, kernel 3, padding 1, @stride, with its bias, on [batch,
 * @in, frames]; "@prefix.weight" must be [@out, @in, 3]. */
static const char *
conv1d (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out, gint64 stride)
{
  const gint64 shape[] = { out, in, 3 };
  const gint64 pads[] = { 1, 1 };
  const gint64 kernel[] = { 3 };
  const char *w, *b, *y;

  if (!oxp_checkpoint_expect_tensor (c->checkpoint,
                                     oxp_graph_intern_printf (c->graph, "%s.weight", prefix), shape,
                                     3, c->error)
      || !oxp_checkpoint_expect_tensor (
          c->checkpoint, oxp_graph_intern_printf (c->graph, "%s.bias", prefix), &out, 1, c->error))
    return NULL;
  w = oxp_graph_add_weight (c->graph, c->checkpoint,
                            oxp_graph_intern_printf (c->graph, "%s.weight", prefix),
                            OXP_WEIGHT_NONE, c->error);
  b = w ? oxp_graph_add_weight (c->graph, c->checkpoint,
                                oxp_graph_intern_printf (c->graph, "%s.bias", prefix),
                                OXP_WEIGHT_NONE, c->error)
        : NULL;
  if (b == NULL)
    return NULL;
  y = oxp_graph_op (c->graph, "Conv", x, w, b, NULL);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "kernel_shape", kernel, 1);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "pads", pads, 2);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "strides", &stride, 1);
  return y;
}

/* conv1's input channels are the mel bins: a checkpoint that disagrees
 * with config.json is refused naming both, before any shape check. */
static gboolean
check_mel_bins (Ctx *c)
{
  const char *name = "model.encoder.conv1.weight";
  const OxpCheckpointTensor *t = oxp_checkpoint_lookup (c->checkpoint, name);

  if (t == NULL || oxp_checkpoint_tensor_get_rank (t) != 3
      || oxp_checkpoint_tensor_get_shape (t)[1] == c->spec->num_mel_bins)
    return TRUE; /* a missing or misshaped tensor is reported by conv1d() */
  g_set_error (c->error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE,
               "%s: tensor '%s' takes %" G_GINT64_FORMAT
               " input channels, but config.json's num_mel_bins is %" G_GINT64_FORMAT,
               oxp_checkpoint_tensor_get_file (t), name, oxp_checkpoint_tensor_get_shape (t)[1],
               c->spec->num_mel_bins);
  return FALSE;
}

/* gelu(conv1) → gelu(conv2, stride 2) → [batch, ceil(frames / 2), d_model]. */
static const char *
conv_stem (Ctx *c)
{
  const OxpWhisperSpec *s = c->spec;
  static const gint64 perm[] = { 0, 2, 1 };
  const char *h;

  if (!check_mel_bins (c))
    return NULL;
  h = conv1d (c, "input_features", "model.encoder.conv1", s->num_mel_bins, s->d_model, 1);
  if (h == NULL)
    return NULL;
  h = oxp_block_gelu (c->graph, h);
  h = conv1d (c, h, "model.encoder.conv2", s->d_model, s->d_model, 2);
  if (h == NULL)
    return NULL;
  h = oxp_block_gelu (c->graph, h);
  h = oxp_graph_op (c->graph, "Transpose", h, NULL);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "perm", perm, 3);
  /* conv2 keeps every window, ceil(frames / 2) of them, as the config
   * declares (encoder_length_divisor). */
  return h;
}

/* ---- attention ---------------------------------------------------------- */

/* @x projected by "@prefix.@which": k_proj has no bias. */
static const char *
projection (Ctx *c, const Stack *st, const char *x, const char *prefix, const char *which)
{
  return linear (c, x, oxp_graph_intern_printf (c->graph, "%s.%s", prefix, which), c->spec->d_model,
                 st->heads * st->head_dim,
                 strcmp (which, "k_proj") == 0 ? OXP_LINEAR_NO_BIAS : OXP_LINEAR_DEFAULT);
}

/* The projection split into heads. */
static const char *
project (Ctx *c, const Stack *st, const char *x, const char *prefix, const char *which)
{
  const char *y = projection (c, st, x, prefix, which);

  return y ? oxp_block_split_heads (c->graph, y, st->heads, st->head_dim) : NULL;
}

/* The decoder self-attention's projection in the form
 * oxp_block_self_attention_merged() takes. */
static const char *
decoder_heads (Ctx *c, const Stack *st, const char *x, const char *prefix, const char *which)
{
  const char *y = projection (c, st, x, prefix, which);

  return y ? oxp_block_attention_heads (c->graph, y, st->heads, st->head_dim) : NULL;
}

/* The merged attention context projected by out_proj. */
static const char *
output_projection (Ctx *c, const Stack *st, const char *ctx, const char *prefix)
{
  return ctx ? linear (c, ctx, oxp_graph_intern_printf (c->graph, "%s.out_proj", prefix),
                       st->heads * st->head_dim, c->spec->d_model, OXP_LINEAR_DEFAULT)
             : NULL;
}

/* softmax(head_dim^-0.5 · Q·Kᵀ + @mask)·V, merged and projected by out_proj. */
static const char *
attend (Ctx *c, const Stack *st, const char *q, const char *k, const char *v, const char *mask,
        const char *prefix)
{
  return output_projection (c, st,
                            oxp_block_attention_merged (c->graph, q, k, v, mask,
                                                        1.0 / sqrt ((double)st->head_dim),
                                                        st->heads, st->head_dim),
                            prefix);
}

/* fc2(act(fc1(final_layer_norm(h)))). */
static const char *
feed_forward (Ctx *c, const Stack *st, const char *h, const char *layer)
{
  const char *n
      = layer_norm (c, h, oxp_graph_intern_printf (c->graph, "%s.final_layer_norm", layer));
  const char *f = n ? linear (c, n, oxp_graph_intern_printf (c->graph, "%s.fc1", layer),
                              c->spec->d_model, st->ffn_dim, OXP_LINEAR_DEFAULT)
                    : NULL;

  f = activation (c, f);
  return f ? linear (c, f, oxp_graph_intern_printf (c->graph, "%s.fc2", layer), st->ffn_dim,
                     c->spec->d_model, OXP_LINEAR_DEFAULT)
           : NULL;
}

/* ---- encoder ------------------------------------------------------------ */

static gboolean
build_encoder (Ctx *c)
{
  const OxpWhisperSpec *s = c->spec;
  Stack st
      = { "model.encoder", s->encoder_heads, s->d_model / s->encoder_heads, s->encoder_ffn_dim };
  const char *h, *pos;

  oxp_graph_push_scope (c->graph, "encoder");
  if ((h = conv_stem (c)) == NULL)
    return FALSE;
  /* The first ceil(frames / 2) rows of the learned positions. */
  pos = oxp_block_embedding (c->graph, c->checkpoint, oxp_block_position_ids (c->graph, h, NULL),
                             "model.encoder.embed_positions.weight", s->max_source_positions,
                             s->d_model, c->error);
  if (pos == NULL)
    return FALSE;
  h = oxp_graph_op (c->graph, "Add", h, pos, NULL);

  for (gint64 i = 0; i < s->encoder_layers; i++)
    {
      const char *layer
          = oxp_graph_intern_printf (c->graph, "model.encoder.layers.%" G_GINT64_FORMAT, i);
      const char *attn = oxp_graph_intern_printf (c->graph, "%s.self_attn", layer);
      const char *n, *q, *k, *v, *a, *f;

      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      if ((n = layer_norm (c, h,
                           oxp_graph_intern_printf (c->graph, "%s.self_attn_layer_norm", layer)))
              == NULL
          || (q = project (c, &st, n, attn, "q_proj")) == NULL
          || (k = project (c, &st, n, attn, "k_proj")) == NULL
          || (v = project (c, &st, n, attn, "v_proj")) == NULL
          || (a = attend (c, &st, q, k, v, NULL, attn)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, a, NULL);
      if ((f = feed_forward (c, &st, h, layer)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, f, NULL);
      oxp_graph_pop_scope (c->graph);
    }
  h = layer_norm (c, h, "model.encoder.layer_norm");
  oxp_graph_pop_scope (c->graph);
  return bind (c, "last_hidden_state", h);
}

/* ---- decoder ------------------------------------------------------------ */

/* Cross-attention keys and values: the cached encoder past when the config
 * takes it (never recomputed), else k_proj (no bias) and v_proj of the
 * encoder output. */
static gboolean
cross_kv (Ctx *c, const Stack *st, gint64 i, const char *prefix, const char **k, const char **v)
{
  const char *past_k
      = oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".encoder.key", i);
  const char *past_v
      = oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".encoder.value", i);

  if (has_input (c, past_k) && has_input (c, past_v))
    {
      *k = past_k;
      *v = past_v;
      return TRUE;
    }
  *k = project (c, st, "encoder_hidden_states", prefix, "k_proj");
  *v = *k ? project (c, st, "encoder_hidden_states", prefix, "v_proj") : NULL;
  return *v != NULL;
}

static gboolean
bind_pair (Ctx *c, gint64 i, const char *which, const char *k, const char *v)
{
  const char *key
      = oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".%s.key", i, which);

  if (!has_output (c, key))
    return TRUE;
  return bind (c, key, k)
         && bind (
             c,
             oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".%s.value", i, which),
             v);
}

static gboolean
build_decoder (Ctx *c)
{
  const OxpWhisperSpec *s = c->spec;
  Stack st
      = { "model.decoder", s->decoder_heads, s->d_model / s->decoder_heads, s->decoder_ffn_dim };
  gboolean past_in = has_input (c, "past_key_values.0.decoder.key");
  const char *past_length = NULL, *h, *pos, *causal, *logits;

  oxp_graph_push_scope (c->graph, "decoder");
  if (past_in)
    past_length = oxp_block_axis_length (c->graph, "past_key_values.0.decoder.key", 2);
  h = oxp_block_embedding (c->graph, c->checkpoint, "input_ids",
                           "model.decoder.embed_tokens.weight", s->vocab_size, s->d_model,
                           c->error);
  if (h == NULL)
    return FALSE;
  /* Learned positions from the past length on. */
  pos = oxp_block_embedding (
      c->graph, c->checkpoint, oxp_block_position_ids (c->graph, "input_ids", past_length),
      "model.decoder.embed_positions.weight", s->max_target_positions, s->d_model, c->error);
  if (pos == NULL)
    return FALSE;
  h = oxp_graph_op (c->graph, "Add", h, pos, NULL);
  /* No decoder attention mask: causal over the cache and the new tokens. */
  causal = oxp_block_causal_mask_with_past (c->graph, "input_ids", past_length);

  for (gint64 i = 0; i < s->decoder_layers; i++)
    {
      const char *layer
          = oxp_graph_intern_printf (c->graph, "model.decoder.layers.%" G_GINT64_FORMAT, i);
      const char *self_attn = oxp_graph_intern_printf (c->graph, "%s.self_attn", layer);
      const char *cross_attn = oxp_graph_intern_printf (c->graph, "%s.encoder_attn", layer);
      const char *n, *q, *k, *v, *a, *f;
      gboolean present;

      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      if ((n = layer_norm (c, h,
                           oxp_graph_intern_printf (c->graph, "%s.self_attn_layer_norm", layer)))
              == NULL
          || (q = decoder_heads (c, &st, n, self_attn, "q_proj")) == NULL
          || (k = decoder_heads (c, &st, n, self_attn, "k_proj")) == NULL
          || (v = decoder_heads (c, &st, n, self_attn, "v_proj")) == NULL)
        return FALSE;
      /* The block takes the cache (the presents are the keys after it). */
      present = has_output (
          c, oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".decoder.key", i));
      a = oxp_block_self_attention_merged (
          c->graph, q, k, v,
          past_in ? oxp_graph_intern_printf (c->graph,
                                             "past_key_values.%" G_GINT64_FORMAT ".decoder.key", i)
                  : NULL,
          past_in ? oxp_graph_intern_printf (
              c->graph, "past_key_values.%" G_GINT64_FORMAT ".decoder.value", i)
                  : NULL,
          causal, 1.0 / sqrt ((double)st.head_dim), st.heads, st.head_dim, present ? &k : NULL,
          present ? &v : NULL);
      if ((present && !bind_pair (c, i, "decoder", k, v))
          || (a = output_projection (c, &st, a, self_attn)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, a, NULL);

      if ((n = layer_norm (c, h,
                           oxp_graph_intern_printf (c->graph, "%s.encoder_attn_layer_norm", layer)))
              == NULL
          || (q = project (c, &st, n, cross_attn, "q_proj")) == NULL
          || !cross_kv (c, &st, i, cross_attn, &k, &v) || !bind_pair (c, i, "encoder", k, v)
          || (a = attend (c, &st, q, k, v, NULL, cross_attn)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, a, NULL);

      if ((f = feed_forward (c, &st, h, layer)) == NULL)
        return FALSE;
      h = oxp_graph_op (c->graph, "Add", h, f, NULL);
      oxp_graph_pop_scope (c->graph);
    }
  h = layer_norm (c, h, "model.decoder.layer_norm");
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;

  /* Tied (Whisper's default), proj_out is the embedding matrix itself,
   * absent from the checkpoint and stored once. */
  oxp_graph_push_scope (c->graph, "proj_out");
  if (s->tied)
    logits = oxp_block_linear_from (c->graph, c->checkpoint, h, "model.decoder.embed_tokens.weight",
                                    NULL, s->d_model, s->vocab_size,
                                    OXP_LINEAR_NO_BIAS | OXP_LINEAR_SHARED_WEIGHT, c->error);
  else
    logits = linear (c, h, "proj_out", s->d_model, s->vocab_size, OXP_LINEAR_NO_BIAS);
  oxp_graph_pop_scope (c->graph);
  return bind (c, "logits", logits);
}

gboolean
_oxp_whisper_build_graph (const OxpWhisperSpec *spec, OxpConfigBehavior behavior, GPtrArray *inputs,
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
                   "model type “whisper”: the encoder and the decoder are exported as separate "
                   "files, not as one graph");
      return FALSE;
    }
}
