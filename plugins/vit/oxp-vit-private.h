/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* The architecture variants of the family. */
typedef enum
{
  OXP_VIT_KIND_VIT,  /* vit: [CLS] + patches */
  OXP_VIT_KIND_DEIT, /* deit: [CLS] + distillation token + patches */
} OxpVitKind;

/* Everything the graph needs from config.json, read once by the config. */
typedef struct
{
  OxpVitKind kind;
  const char *model_type;
  const char *task;
  const char *base_prefix; /* "vit", "deit" (the HF base_model_prefix) */
  gint64 n_extra_tokens;   /* tokens before the patches */
  gint64 hidden_size;
  gint64 num_layers;
  gint64 num_heads;
  gint64 intermediate_size;
  gint64 num_channels;
  gint64 image_height, image_width;
  gint64 patch_size;
  gint64 num_patches;
  gint64 num_labels;
  gboolean qkv_bias;
  double layer_norm_eps;
  const char *hidden_act;
  const char *pooler_act;
  gboolean with_pooler; /* feature-extraction also binds pooler_output */
} OxpVitSpec;

#define OXP_TYPE_VIT_ONNX_CONFIG (oxp_vit_onnx_config_get_type ())
G_DECLARE_DERIVABLE_TYPE (OxpVitOnnxConfig, oxp_vit_onnx_config, OXP, VIT_ONNX_CONFIG,
                          OxpVisionOnnxConfig)
struct _OxpVitOnnxConfigClass
{
  OxpVisionOnnxConfigClass parent_class;
};

/* DeiT: the same recipe with the distillation token. */
#define OXP_TYPE_DEIT_ONNX_CONFIG (oxp_deit_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpDeitOnnxConfig, oxp_deit_onnx_config, OXP, DEIT_ONNX_CONFIG,
                      OxpVitOnnxConfig)

G_GNUC_INTERNAL
gboolean _oxp_vit_spec_init (OxpVitSpec *spec, OxpNormalizedConfig *config, const char *task,
                             GError **error);

G_GNUC_INTERNAL
gboolean _oxp_vit_build_graph (const OxpVitSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                               GError **error);

G_END_DECLS
