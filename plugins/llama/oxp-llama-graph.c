/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LLaMA family's graph, composed from the core building blocks; the
 * variants (modeling_{llama,mistral,qwen2,phi3,gemma}.py) differ only by
 * the flags of their OxpLlamaVariant row and their config values. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "oxp-llama-private.h"

typedef struct
{
  const OxpLlamaSpec *spec;
  GPtrArray *inputs, *outputs; /* the config's */
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  const char *prefix; /* "model." or "" */
  GError **error;
} Ctx;

/* The config, not the graph, says what the graph takes and gives: inside
 * the merged decoder's If branches, the inputs are the parent graph's. */
static gboolean
has_input (Ctx *c, const char *name)
{
  return oxp_tensor_spec_array_find (c->inputs, name) != NULL;
}

static gboolean
has_output (Ctx *c, const char *name)
{
  return oxp_tensor_spec_array_find (c->outputs, name) != NULL;
}

static const char *
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out, gboolean bias)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out,
                           bias ? OXP_LINEAR_DEFAULT : OXP_LINEAR_NO_BIAS, c->error);
}

static const char *
norm (Ctx *c, const char *x, const char *prefix)
{
  const OxpLlamaSpec *s = c->spec;

  if (s->variant->gemma_norms)
    return oxp_block_rms_norm_unit_offset (c->graph, c->checkpoint, x, prefix, s->hidden_size,
                                           s->rms_norm_eps, c->error);
  return oxp_block_rms_norm (c->graph, c->checkpoint, x, prefix, s->hidden_size, s->rms_norm_eps,
                             c->error);
}

/* x[..., start:end] of a fused projection. */
static const char *
slice_last (Ctx *c, const char *x, gint64 start, gint64 end)
{
  const gint64 axis = -1;

  return oxp_graph_op (c->graph, "Slice", x,
                       oxp_graph_add_constant_int64s (c->graph, "starts", &start, 1),
                       oxp_graph_add_constant_int64s (c->graph, "ends", &end, 1),
                       oxp_graph_add_constant_int64s (c->graph, "axes", &axis, 1), NULL);
}

/* CausalLM and SequenceClassification checkpoints prefix the decoder with
 * "model."; LlamaModel checkpoints do not. */
static gboolean
resolve_prefix (Ctx *c)
{
  if (oxp_checkpoint_lookup (c->checkpoint, "model.embed_tokens.weight") != NULL)
    c->prefix = "model.";
  else if (oxp_checkpoint_lookup (c->checkpoint, "embed_tokens.weight") != NULL)
    c->prefix = "";
  else
    {
      gboolean base = g_str_equal (c->spec->task, "feature-extraction");
      oxp_checkpoint_get_tensor (
          c->checkpoint, base ? "embed_tokens.weight" : "model.embed_tokens.weight", c->error);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  const char *cos, *sin;
  const char *mask;        /* causal + padding */
  const char *window_mask; /* the same within the sliding window, or NULL */
  gboolean past_in;
} Shared;

/* One pre-norm decoder layer: h + attn(norm(h)), then + mlp(norm(·)). */
static const char *
decoder_layer (Ctx *c, const Shared *sh, const char *h, gint64 i)
{
  const OxpLlamaSpec *s = c->spec;
  gint64 hs = s->hidden_size, d = s->head_dim;
  gint64 q_size = s->num_heads * d, kv_size = s->num_kv_heads * d, ffn = s->intermediate_size;
  const char *p
      = oxp_graph_intern_printf (c->graph, "%slayers.%" G_GINT64_FORMAT ".", c->prefix, i);
  const char *x, *q, *k, *v, *attn, *gate, *up, *present_k, *present_v, *mask;

#define L(name) oxp_graph_intern_printf (c->graph, "%s%s", p, name)
  oxp_graph_push_scope (c->graph, "self_attn");
  if ((x = norm (c, h, L ("input_layernorm"))) == NULL)
    return NULL;
  if (s->variant->fused)
    {
      const char *qkv
          = linear (c, x, L ("self_attn.qkv_proj"), hs, q_size + 2 * kv_size, s->qkv_bias);
      if (qkv == NULL)
        return NULL;
      q = slice_last (c, qkv, 0, q_size);
      k = slice_last (c, qkv, q_size, q_size + kv_size);
      v = slice_last (c, qkv, q_size + kv_size, q_size + 2 * kv_size);
    }
  else if ((q = linear (c, x, L ("self_attn.q_proj"), hs, q_size, s->qkv_bias)) == NULL
           || (k = linear (c, x, L ("self_attn.k_proj"), hs, kv_size, s->qkv_bias)) == NULL
           || (v = linear (c, x, L ("self_attn.v_proj"), hs, kv_size, s->qkv_bias)) == NULL)
    return NULL;

  mask = sh->window_mask != NULL && i >= s->first_window_layer ? sh->window_mask : sh->mask;
  attn = oxp_block_cached_self_attention (
      c->graph, q, k, v,
      sh->past_in
          ? oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".key", i)
          : NULL,
      sh->past_in
          ? oxp_graph_intern_printf (c->graph, "past_key_values.%" G_GINT64_FORMAT ".value", i)
          : NULL,
      sh->cos, sh->sin, s->rotary_dim, s->num_heads, s->num_kv_heads, d, 1.0 / sqrt ((double)d),
      mask, &present_k, &present_v);
  if (has_output (c, oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".key", i))
      && (!oxp_graph_bind_output (
              c->graph, oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".key", i),
              present_k, c->error)
          || !oxp_graph_bind_output (
              c->graph, oxp_graph_intern_printf (c->graph, "present.%" G_GINT64_FORMAT ".value", i),
              present_v, c->error)))
    return NULL;
  if ((attn = linear (c, attn, L ("self_attn.o_proj"), q_size, hs, s->o_bias)) == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", h, attn, NULL);
  oxp_graph_pop_scope (c->graph);

  oxp_graph_push_scope (c->graph, "mlp");
  if ((x = norm (c, h, L ("post_attention_layernorm"))) == NULL)
    return NULL;
  if (s->variant->fused)
    {
      const char *gu = linear (c, x, L ("mlp.gate_up_proj"), hs, 2 * ffn, s->mlp_bias);
      if (gu == NULL)
        return NULL;
      gate = slice_last (c, gu, 0, ffn);
      up = slice_last (c, gu, ffn, 2 * ffn);
    }
  else if ((gate = linear (c, x, L ("mlp.gate_proj"), hs, ffn, s->mlp_bias)) == NULL
           || (up = linear (c, x, L ("mlp.up_proj"), hs, ffn, s->mlp_bias)) == NULL)
    return NULL;
  if ((gate = oxp_block_activation (c->graph, gate, s->hidden_act, s->hidden_act_key, c->error))
          == NULL
      || (x = linear (c, oxp_graph_op (c->graph, "Mul", gate, up, NULL), L ("mlp.down_proj"), ffn,
                      hs, s->mlp_bias))
             == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", h, x, NULL);
  oxp_graph_pop_scope (c->graph);
#undef L
  return h;
}

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

static gboolean
build (Ctx *c)
{
  const OxpLlamaSpec *s = c->spec;
  const char *task = s->task;
  Shared sh = { NULL };
  const char *positions, *past_len = NULL, *h;

  if (!resolve_prefix (c))
    return FALSE;
  sh.past_in = has_input (c, "past_key_values.0.key");

  oxp_graph_push_scope (c->graph, "positions");
  if (sh.past_in)
    past_len = oxp_graph_op (c->graph, "Gather",
                             oxp_graph_op (c->graph, "Shape", "past_key_values.0.key", NULL),
                             oxp_graph_add_constant_int64 (c->graph, "axis", 2), NULL);
  positions = has_input (c, "position_ids")
                  ? "position_ids"
                  : oxp_block_position_ids (c->graph, "input_ids", past_len);
  if (!oxp_block_rotary_cos_sin_scaled (c->graph, positions, s->rotary_dim, s->rope_theta, &s->rope,
                                        &sh.cos, &sh.sin, c->error))
    return FALSE;
  sh.mask = oxp_block_causal_attention_mask (c->graph, "attention_mask", "input_ids");
  if (s->sliding_window > 0)
    sh.window_mask = oxp_block_sliding_window_mask (c->graph, "attention_mask", "input_ids",
                                                    s->sliding_window);
  oxp_graph_pop_scope (c->graph);

  oxp_graph_push_scope (c->graph, "embed_tokens");
  h = oxp_block_embedding (c->graph, c->checkpoint, "input_ids",
                           oxp_graph_intern_printf (c->graph, "%sembed_tokens.weight", c->prefix),
                           s->vocab_size, s->hidden_size, c->error);
  if (h != NULL && s->variant->gemma_norms)
    /* √hidden rounded to the compute dtype first, as GemmaModel does. */
    h = oxp_graph_op (
        c->graph, "Mul", h,
        oxp_graph_add_constant_float (c->graph, "normalizer", sqrt ((double)s->hidden_size)), NULL);
  oxp_graph_pop_scope (c->graph);

  for (gint64 i = 0; i < s->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      h = decoder_layer (c, &sh, h, i);
      oxp_graph_pop_scope (c->graph);
    }
  if (h == NULL
      || (h = norm (c, h, oxp_graph_intern_printf (c->graph, "%snorm", c->prefix))) == NULL)
    return FALSE;

  if (g_str_equal (task, "feature-extraction"))
    return bind (c, "last_hidden_state", h);

  oxp_graph_push_scope (c->graph, "head");
  if (g_str_has_prefix (task, "text-generation"))
    {
      const char *logits;
      /* A tied head reads the embeddings, stored once. */
      if (s->tied)
        logits = oxp_block_linear_from (
            c->graph, c->checkpoint, h,
            oxp_graph_intern_printf (c->graph, "%sembed_tokens.weight", c->prefix), NULL,
            s->hidden_size, s->vocab_size, OXP_LINEAR_SHARED_WEIGHT, c->error);
      else
        logits = linear (c, h, "lm_head", s->hidden_size, s->vocab_size, FALSE);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }
  if (g_str_equal (task, "text-classification"))
    {
      const char *logits = linear (c, h, "score", s->hidden_size, s->num_labels, FALSE);
      oxp_graph_pop_scope (c->graph);
      /* *ForSequenceClassification scores every token, then pools the
       * logits at the last non-pad one. */
      return logits != NULL
             && bind (
                 c, "logits",
                 oxp_block_last_non_pad_token (c->graph, logits, "input_ids", s->pad_token_id));
    }
  oxp_graph_pop_scope (c->graph);

  g_set_error (c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
               "model type “%s” has no graph for task “%s”", s->variant->model_type, task);
  return FALSE;
}

gboolean
_oxp_llama_build_graph (const OxpLlamaSpec *spec, OxpOnnxConfig *config, OxpGraph *graph,
                        OxpCheckpoint *checkpoint, GError **error)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);
  g_autoptr (GPtrArray) outputs = oxp_onnx_config_get_outputs (config);
  Ctx c = { spec, inputs, outputs, graph, checkpoint, "", error };

  return build (&c);
}
