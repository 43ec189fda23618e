/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ViT family's graphs, composed from the core building blocks, after
 * transformers' modeling_vit.py and modeling_deit.py: patches by a strided
 * Conv, [CLS] (and DeiT's distillation token) prepended, learned positions
 * added, pre-LN encoder layers, a final LayerNorm. */

#include "config.h"

#include <math.h>

#include "oxp-vit-private.h"

typedef struct
{
  const OxpVitSpec *spec;
  OxpGraph *graph;
  OxpCheckpoint *checkpoint;
  const char *prefix; /* "<base_prefix>." or "" */
  GError **error;
} Ctx;

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

/* A checkpoint tensor of the expected shape, as a graph value. */
static const char *
weight (Ctx *c, const char *name, const gint64 *shape, guint rank)
{
  if (!oxp_checkpoint_expect_tensor (c->checkpoint, name, shape, rank, c->error))
    return NULL;
  return oxp_graph_add_weight (c->graph, c->checkpoint, name, OXP_WEIGHT_NONE, c->error);
}

/* Task models prefix the backbone's tensors ("vit.embeddings…"); ViTModel
 * checkpoints do not. */
static gboolean
resolve_prefix (Ctx *c)
{
  const char *cls = "embeddings.cls_token";
  const char *prefixed = oxp_graph_intern_printf (c->graph, "%s.%s", c->spec->base_prefix, cls);

  if (oxp_checkpoint_lookup (c->checkpoint, prefixed) != NULL)
    c->prefix = oxp_graph_intern_printf (c->graph, "%s.", c->spec->base_prefix);
  else if (oxp_checkpoint_lookup (c->checkpoint, cls) != NULL)
    c->prefix = "";
  else
    {
      gboolean base = g_str_equal (c->spec->task, "feature-extraction");
      oxp_checkpoint_get_tensor (c->checkpoint, base ? cls : prefixed, c->error);
      return FALSE;
    }
  return TRUE;
}

static const char *
embeddings (Ctx *c, const char *pixels)
{
  const OxpVitSpec *s = c->spec;
  const char *p = c->prefix;
  const gint64 token_shape[] = { 1, 1, s->hidden_size };
  const gint64 pos_shape[] = { 1, s->num_patches + s->n_extra_tokens, s->hidden_size };
  const char *patches, *tokens[2], *pos, *x;

  patches = oxp_block_patch_embedding (
      c->graph, c->checkpoint, pixels,
      oxp_graph_intern_printf (c->graph, "%sembeddings.patch_embeddings.projection.weight", p),
      oxp_graph_intern_printf (c->graph, "%sembeddings.patch_embeddings.projection.bias", p),
      s->num_channels, s->hidden_size, s->patch_size, c->error);
  if (patches == NULL
      || (tokens[0] = weight (c, oxp_graph_intern_printf (c->graph, "%sembeddings.cls_token", p),
                              token_shape, 3))
             == NULL)
    return NULL;
  /* DeiT: [CLS], then the distillation token. */
  if (s->kind == OXP_VIT_KIND_DEIT
      && (tokens[1]
          = weight (c, oxp_graph_intern_printf (c->graph, "%sembeddings.distillation_token", p),
                    token_shape, 3))
             == NULL)
    return NULL;
  x = oxp_block_prepend_tokens (c->graph, patches, tokens, s->kind == OXP_VIT_KIND_DEIT ? 2 : 1);

  /* The positions fix the image size, which the pixel_values input declares. */
  if ((pos = weight (c, oxp_graph_intern_printf (c->graph, "%sembeddings.position_embeddings", p),
                     pos_shape, 3))
      == NULL)
    return NULL;
  return oxp_graph_op (c->graph, "Add", x, pos, NULL);
}

/* h += O·attention(LN_before h); h += W2·act(W1·LN_after h). */
static const char *
encoder_layer (Ctx *c, const char *h, const char *prefix)
{
  const OxpVitSpec *s = c->spec;
  gint64 hs = s->hidden_size, heads = s->num_heads, dim = s->hidden_size / s->num_heads;
  OxpLinearFlags qkv = s->qkv_bias ? OXP_LINEAR_DEFAULT : OXP_LINEAR_NO_BIAS;
  const char *x, *q, *k, *v, *ctx, *f;

#define L(name) oxp_graph_intern_printf (c->graph, "%s%s", prefix, name)
  oxp_graph_push_scope (c->graph, "attention");
  if ((x = layer_norm (c, h, L ("layernorm_before"))) == NULL
      || (q = linear (c, x, L ("attention.attention.query"), hs, hs, qkv)) == NULL
      || (k = linear (c, x, L ("attention.attention.key"), hs, hs, qkv)) == NULL
      || (v = linear (c, x, L ("attention.attention.value"), hs, hs, qkv)) == NULL)
    return NULL;
  ctx = oxp_block_attention (c->graph, oxp_block_split_heads (c->graph, q, heads, dim),
                             oxp_block_split_heads (c->graph, k, heads, dim),
                             oxp_block_split_heads (c->graph, v, heads, dim), NULL,
                             1.0 / sqrt ((double)dim));
  ctx = oxp_block_merge_heads (c->graph, ctx, heads, dim);
  if ((ctx = linear (c, ctx, L ("attention.output.dense"), hs, hs, OXP_LINEAR_DEFAULT)) == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", ctx, h, NULL);
  oxp_graph_pop_scope (c->graph);

  oxp_graph_push_scope (c->graph, "ffn");
  if ((x = layer_norm (c, h, L ("layernorm_after"))) == NULL
      || (f = linear (c, x, L ("intermediate.dense"), hs, s->intermediate_size, OXP_LINEAR_DEFAULT))
             == NULL
      || (f = oxp_block_activation (c->graph, f, s->hidden_act, "hidden_act", c->error)) == NULL
      || (f = linear (c, f, L ("output.dense"), s->intermediate_size, hs, OXP_LINEAR_DEFAULT))
             == NULL)
    return NULL;
  h = oxp_graph_op (c->graph, "Add", f, h, NULL);
  oxp_graph_pop_scope (c->graph);
#undef L
  return h;
}

static gboolean
bind (Ctx *c, const char *output, const char *value)
{
  return value != NULL && oxp_graph_bind_output (c->graph, output, value, c->error);
}

/* A linear head on token @index of @h. */
static const char *
token_head (Ctx *c, const char *h, gint64 index, const char *prefix, gint64 out)
{
  return linear (c, oxp_block_select_token (c->graph, h, index), prefix, c->spec->hidden_size, out,
                 OXP_LINEAR_DEFAULT);
}

static gboolean
build (Ctx *c)
{
  const OxpVitSpec *s = c->spec;
  const char *h;

  if (!resolve_prefix (c))
    return FALSE;

  oxp_graph_push_scope (c->graph, "embeddings");
  h = embeddings (c, "pixel_values");
  oxp_graph_pop_scope (c->graph);
  if (h == NULL)
    return FALSE;

  oxp_graph_push_scope (c->graph, "encoder");
  for (gint64 i = 0; i < s->num_layers && h != NULL; i++)
    {
      oxp_graph_push_scope (c->graph, "layer.%" G_GINT64_FORMAT, i);
      h = encoder_layer (c, h,
                         oxp_graph_intern_printf (c->graph, "%sencoder.layer.%" G_GINT64_FORMAT ".",
                                                  c->prefix, i));
      oxp_graph_pop_scope (c->graph);
    }
  oxp_graph_pop_scope (c->graph);
  if (h == NULL
      || (h = layer_norm (c, h, oxp_graph_intern_printf (c->graph, "%slayernorm", c->prefix)))
             == NULL)
    return FALSE;

  if (g_str_equal (s->task, "feature-extraction"))
    {
      const char *pooled;

      if (!bind (c, "last_hidden_state", h))
        return FALSE;
      if (!s->with_pooler)
        return TRUE;
      /* ViTPooler / DeiTPooler: act(dense(h[:, 0])). */
      oxp_graph_push_scope (c->graph, "pooler");
      pooled = token_head (c, h, 0, oxp_graph_intern_printf (c->graph, "%spooler.dense", c->prefix),
                           s->hidden_size);
      if (pooled != NULL)
        pooled = oxp_block_activation (c->graph, pooled, s->pooler_act, "pooler_act", c->error);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "pooler_output", pooled);
    }

  if (g_str_equal (s->task, "image-classification"))
    {
      const char *logits;

      oxp_graph_push_scope (c->graph, "head");
      if (s->kind == OXP_VIT_KIND_DEIT
          && oxp_checkpoint_lookup (c->checkpoint, "cls_classifier.weight") != NULL)
        {
          /* DeiTForImageClassificationWithTeacher: the mean of the [CLS]
           * and the distillation heads. */
          const char *cls = token_head (c, h, 0, "cls_classifier", s->num_labels);
          const char *dist
              = cls ? token_head (c, h, 1, "distillation_classifier", s->num_labels) : NULL;
          logits = dist ? oxp_graph_op (c->graph, "Mul",
                                        oxp_graph_op (c->graph, "Add", cls, dist, NULL),
                                        oxp_graph_add_constant_float (c->graph, "half", 0.5), NULL)
                        : NULL;
        }
      else
        logits = token_head (c, h, 0, "classifier", s->num_labels);
      oxp_graph_pop_scope (c->graph);
      return bind (c, "logits", logits);
    }

  g_set_error (c->error, OXP_EXPORT_ERROR, OXP_EXPORT_ERROR_UNSUPPORTED,
               "model type “%s” has no graph for task “%s”", s->model_type, s->task);
  return FALSE;
}

gboolean
_oxp_vit_build_graph (const OxpVitSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                      GError **error)
{
  Ctx c = { spec, graph, checkpoint, "", error };

  return build (&c);
}
