/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CLIP's graphs after transformers' modeling_clip.py: a causal text
 * transformer pooled at the end token, a ViT-like image transformer with
 * pre_layrnorm and post_layernorm on its class token, both projected; the
 * full model L2-normalises the embeddings and scales their products by
 * exp(logit_scale). */

#include "config.h"

#include <math.h>

#include "oxp-clip-private.h"

typedef struct
{
  const OxpClipSpec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  GError **error;
} Ctx;

static const char *
linear (Ctx *c, const char *x, const char *prefix, gint64 in, gint64 out, OxpLinearFlags flags)
{
  return oxp_block_linear (c->graph, c->checkpoint, x, prefix, in, out, flags, c->error);
}

static const char *
layer_norm (Ctx *c, const char *x, const char *prefix, const OxpClipEncoderSpec *e)
{
  return oxp_block_layer_norm (c->graph, c->checkpoint, x, prefix, e->hidden_size,
                               e->layer_norm_eps, c->error);
}

static const char *
weight (Ctx *c, const char *name, const gint64 *shape, guint rank)
{
  if (!oxp_checkpoint_expect_tensor (c->checkpoint, name, shape, rank, c->error))
    return NULL;
  return oxp_graph_add_weight (c->graph, c->checkpoint, name, OXP_WEIGHT_NONE, c->error);
}

/* ---- encoder ------------------------------------------------------------ */

/* CLIPEncoderLayer: h += out_proj·attention(LN1 h); h += fc2·act(fc1·LN2 h). */
static const char *
encoder_layer (Ctx *c, const OxpClipEncoderSpec *e, const char *h, const char *mask,
               const char *prefix)
{
  gint64 hs = e->hidden_size, heads = e->num_heads, dim = e->hidden_size / e->num_heads;
  const char *x, *q, *k, *v, *ctx, *f;

#define L(name) oxp_graph_intern_printf (c->graph, "%s%s", prefix, name)
  oxp_graph_push_scope (c->graph, "attention");
  if ((x = layer_norm (c, h, L ("layer_norm1"), e)) == NULL
      || (q = linear (c, x, L ("self_attn.q_proj"), hs, hs, OXP_LINEAR_DEFAULT)) == NULL
      || (k = linear (c, x, L ("self_attn.k_proj"), hs, hs, OXP_LINEAR_DEFAULT)) == NULL
      || (v = linear (c, x, L ("self_attn.v_proj"), hs, hs, OXP_LINEAR_DEFAULT)) == NULL)
    return NULL;
  ctx = oxp_block_attention (c->graph, oxp_block_split_heads (c->graph, q, heads, dim),
                             oxp_block_split_heads (c->graph, k, heads, dim),
                             oxp_block_split_heads (c->graph, v, heads, dim), mask,
                             1.0 / sqrt ((double)dim));
  ctx = oxp_block_merge_heads (c->graph, ctx, heads, dim);
  if ((ctx = linear (c, ctx, L ("self_attn.out_proj"), hs, hs, OXP_LINEAR_DEFAULT)) == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", h, ctx, NULL);
  oxp_graph_pop_scope (c->graph);

  oxp_graph_push_scope (c->graph, "mlp");
  if ((x = layer_norm (c, h, L ("layer_norm2"), e)) == NULL
      || (f = linear (c, x, L ("mlp.fc1"), hs, e->intermediate_size, OXP_LINEAR_DEFAULT)) == NULL
      || (f = oxp_block_activation (c->graph, f, e->hidden_act, "hidden_act", c->error)) == NULL
      || (f = linear (c, f, L ("mlp.fc2"), e->intermediate_size, hs, OXP_LINEAR_DEFAULT)) == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", h, f, NULL);
  oxp_graph_pop_scope (c->graph);
#undef L
  return h;
}

static const char *
encoder (Ctx *c, const OxpClipEncoderSpec *e, const char *h, const char *mask, const char *tower)
{
  oxp_graph_push_scope (c->graph, "encoder");
  for (gint64 i = 0; i < e->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "layers.%" G_GINT64_FORMAT, i);
      h = encoder_layer (
          c, e, h, mask,
          oxp_graph_intern_printf (c->graph, "%s.encoder.layers.%" G_GINT64_FORMAT ".", tower, i));
      oxp_graph_pop_scope (c->graph);
    }
  oxp_graph_pop_scope (c->graph);
  return h;
}

/* ---- text tower --------------------------------------------------------- */

/* The pooled token's row of @h [batch, seq, hidden] for each batch row:
 * GatherND with one index per row. */
static const char *
gather_rows (Ctx *c, const char *h, const char *index)
{
  const gint64 last[] = { -1 };
  const char *idx = oxp_graph_op (c->graph, "Unsqueeze", index,
                                  oxp_graph_add_constant_int64s (c->graph, "axes", last, 1), NULL);
  const char *rows = oxp_graph_op (c->graph, "GatherND", h, idx, NULL);

  oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "batch_dims", 1);
  return rows;
}

/* The text transformer: last_hidden_state in *@last, the pooled token returned. */
static const char *
text_tower (Ctx *c, const char *ids, const char *attention_mask, const char **last)
{
  const OxpClipSpec *s = c->spec;
  const OxpClipEncoderSpec *e = &s->text;
  const char *x, *pos, *mask, *key, *index;

  oxp_graph_push_scope (c->graph, "text_model");
  oxp_graph_push_scope (c->graph, "embeddings");
  x = oxp_block_embedding (c->graph, c->checkpoint, ids,
                           "text_model.embeddings.token_embedding.weight", s->vocab_size,
                           e->hidden_size, c->error);
  pos = x ? oxp_block_embedding (c->graph, c->checkpoint,
                                 oxp_block_position_ids (c->graph, ids, NULL),
                                 "text_model.embeddings.position_embedding.weight",
                                 s->max_positions, e->hidden_size, c->error)
          : NULL;
  oxp_graph_pop_scope (c->graph);
  if (pos == NULL)
    return NULL;
  x = oxp_graph_op (c->graph, "Add", x, pos, NULL);

  /* Causal, and the padding mask when there is one (combined finitely). */
  mask = oxp_block_causal_attention_mask (c->graph, attention_mask, ids);
  if ((x = encoder (c, e, x, mask, "text_model")) == NULL
      || (x = layer_norm (c, x, "text_model.final_layer_norm", e)) == NULL)
    return NULL;
  *last = x;

  /* transformers casts the ids to int32 before argmax; so do we. */
  if (s->eos_token_id < 0)
    key = ids;
  else
    key = oxp_graph_op (c->graph, "Equal", ids,
                        oxp_graph_add_constant_int64 (c->graph, "eos_token_id", s->eos_token_id),
                        NULL);
  key = oxp_block_cast (c->graph, key, OXP_DATA_TYPE_INT32);
  index = oxp_graph_op (c->graph, "ArgMax", key, NULL);
  oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "axis", -1);
  oxp_node_set_attr_int (oxp_graph_get_last_node (c->graph), "keepdims", 0);
  x = gather_rows (c, x, index);
  oxp_graph_pop_scope (c->graph);
  return x;
}

/* ---- vision tower ------------------------------------------------------- */

/* The vision transformer: last_hidden_state in *@last, the pooled class
 * token (post_layernorm) returned. */
static const char *
vision_tower (Ctx *c, const char *pixels, const char **last)
{
  const OxpClipSpec *s = c->spec;
  const OxpClipEncoderSpec *e = &s->vision;
  const gint64 hidden[] = { e->hidden_size };
  const gint64 pos_shape[] = { s->num_patches + 1, e->hidden_size };
  const char *patches, *cls, *x, *pos;

  oxp_graph_push_scope (c->graph, "vision_model");
  oxp_graph_push_scope (c->graph, "embeddings");
  patches = oxp_block_patch_embedding (c->graph, c->checkpoint, pixels,
                                       "vision_model.embeddings.patch_embedding.weight", NULL,
                                       s->num_channels, e->hidden_size, s->patch_size, c->error);
  if (patches == NULL
      || (cls = weight (c, "vision_model.embeddings.class_embedding", hidden, 1)) == NULL)
    return NULL;
  /* class_embedding [hidden] is one token, expanded to [batch, 1, hidden]. */
  x = oxp_block_prepend_tokens (c->graph, patches, &cls, 1);
  /* position_ids are arange(num_positions): the whole table, in order. */
  if ((pos = weight (c, "vision_model.embeddings.position_embedding.weight", pos_shape, 2)) == NULL)
    return NULL;
  x = oxp_graph_op (c->graph, "Add", x, pos, NULL);
  oxp_graph_pop_scope (c->graph);

  if ((x = layer_norm (c, x, "vision_model.pre_layrnorm", e)) == NULL
      || (x = encoder (c, e, x, NULL, "vision_model")) == NULL)
    return NULL;
  *last = x;
  x = layer_norm (c, oxp_block_select_token (c->graph, x, 0), "vision_model.post_layernorm", e);
  oxp_graph_pop_scope (c->graph);
  return x;
}

/* ---- the whole graph ---------------------------------------------------- */

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

static gboolean
build (Ctx *c)
{
  const OxpClipSpec *s = c->spec;
  const char *text_last = NULL, *image_last = NULL;
  const char *text = NULL, *image = NULL, *scale, *per_text, *per_image;
  const gint64 scalar[] = { 0 };
  const gint64 perm[] = { 1, 0 };

  if (s->tower != OXP_CLIP_TOWER_VISION)
    {
      const char *mask = s->tower == OXP_CLIP_TOWER_BOTH ? "attention_mask" : NULL;
      if ((text = text_tower (c, "input_ids", mask, &text_last)) == NULL
          || (text = linear (c, text, "text_projection", s->text.hidden_size, s->projection_dim,
                             OXP_LINEAR_NO_BIAS))
                 == NULL)
        return FALSE;
    }
  if (s->tower != OXP_CLIP_TOWER_TEXT)
    {
      if ((image = vision_tower (c, "pixel_values", &image_last)) == NULL
          || (image = linear (c, image, "visual_projection", s->vision.hidden_size,
                              s->projection_dim, OXP_LINEAR_NO_BIAS))
                 == NULL)
        return FALSE;
    }
  if (s->tower == OXP_CLIP_TOWER_TEXT)
    return bind (c, "text_embeds", text) && bind (c, "last_hidden_state", text_last);
  if (s->tower == OXP_CLIP_TOWER_VISION)
    return bind (c, "image_embeds", image) && bind (c, "last_hidden_state", image_last);

  oxp_graph_push_scope (c->graph, "logits");
  /* CLIPModel divides by the plain norm (_get_vector_norm), with no floor. */
  text = oxp_block_l2_normalize (c->graph, text, 0.0);
  image = oxp_block_l2_normalize (c->graph, image, 0.0);
  if ((scale = weight (c, "logit_scale", scalar, 0)) == NULL)
    return FALSE;
  scale = oxp_graph_op (c->graph, "Exp", scale, NULL);
  image_last = oxp_graph_op (c->graph, "Transpose", image, NULL);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "perm", perm, 2);
  per_text = oxp_graph_op (c->graph, "Mul",
                           oxp_graph_op (c->graph, "MatMul", text, image_last, NULL), scale, NULL);
  per_image = oxp_graph_op (c->graph, "Transpose", per_text, NULL);
  oxp_node_set_attr_ints (oxp_graph_get_last_node (c->graph), "perm", perm, 2);
  oxp_graph_pop_scope (c->graph);
  return bind (c, "logits_per_image", per_image) && bind (c, "logits_per_text", per_text)
         && bind (c, "text_embeds", text) && bind (c, "image_embeds", image);
}

gboolean
_oxp_clip_build_graph (const OxpClipSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                       GError **error)
{
  Ctx c = { spec, graph, checkpoint, error };

  return build (&c);
}
