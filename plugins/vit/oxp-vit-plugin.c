/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ViT-family image encoder plugin: registration only. */

#include "config.h"

#include "oxp-vit-private.h"

static const char *const tasks[] = { "feature-extraction", "image-classification", NULL };

static const char *const vit_archs[] = { "ViTModel", "ViTForImageClassification", NULL };
static const char *const deit_archs[]
    = { "DeiTModel", "DeiTForImageClassification", "DeiTForImageClassificationWithTeacher", NULL };

static gboolean
vit_plugin_init (OxpPlugin *plugin, GError **error)
{
  /* A refused registration is recorded by the core; the others still count. */
  oxp_plugin_register_model (plugin, "vit", OXP_TYPE_VIT_ONNX_CONFIG, tasks, vit_archs);
  oxp_plugin_register_model (plugin, "deit", OXP_TYPE_DEIT_ONNX_CONFIG, tasks, deit_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (vit, "ViT-family image encoders: ViT, DeiT", vit_plugin_init, PACKAGE_VERSION,
                   "LGPL-2.1-or-later")
