/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/**
 * OxpClipTower:
 * @OXP_CLIP_TOWER_BOTH: CLIPModel: both towers, the logits
 * @OXP_CLIP_TOWER_TEXT: CLIPTextModelWithProjection (text_model.onnx)
 * @OXP_CLIP_TOWER_VISION: CLIPVisionModelWithProjection (vision_model.onnx)
 *
 * Which part of CLIP one file holds.
 */
typedef enum
{
  OXP_CLIP_TOWER_BOTH,
  OXP_CLIP_TOWER_TEXT,
  OXP_CLIP_TOWER_VISION,
} OxpClipTower;

/* One tower's transformer. */
typedef struct
{
  gint64 hidden_size;
  gint64 num_layers;
  gint64 num_heads;
  gint64 intermediate_size;
  double layer_norm_eps;
  const char *hidden_act;
} OxpClipEncoderSpec;

/* Everything the graph needs from config.json, read once by the config. */
typedef struct
{
  const char *task;
  OxpClipTower tower;
  gint64 projection_dim;
  OxpClipEncoderSpec text;
  gint64 vocab_size;
  gint64 max_positions;
  gint64 eos_token_id; /* -1: legacy pooling at argmax(input_ids) */
  OxpClipEncoderSpec vision;
  gint64 num_channels;
  gint64 image_height, image_width;
  gint64 patch_size;
  gint64 num_patches;
} OxpClipSpec;

#define OXP_TYPE_CLIP_ONNX_CONFIG (oxp_clip_onnx_config_get_type ())
G_DECLARE_FINAL_TYPE (OxpClipOnnxConfig, oxp_clip_onnx_config, OXP, CLIP_ONNX_CONFIG,
                      OxpTextAndVisionOnnxConfig)

G_GNUC_INTERNAL
gboolean _oxp_clip_spec_init (OxpClipSpec *spec, OxpNormalizedConfig *config, const char *task,
                              GError **error);

G_GNUC_INTERNAL
gboolean _oxp_clip_build_graph (const OxpClipSpec *spec, OxpGraph *graph, OxpCheckpoint *checkpoint,
                                GError **error);

G_END_DECLS
