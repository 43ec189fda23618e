/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLIP text-and-vision plugin: registration only. */

#include "config.h"

#include "oxp-clip-private.h"

/* optimum registers both; feature-extraction is the same model. */
static const char *const tasks[] = { "zero-shot-image-classification", "feature-extraction", NULL };
static const char *const clip_archs[] = { "CLIPModel", NULL };

static gboolean
clip_plugin_init (OxpPlugin *plugin, GError **error)
{
  oxp_plugin_register_model (plugin, "clip", OXP_TYPE_CLIP_ONNX_CONFIG, tasks, clip_archs);
  return TRUE;
}

OXP_PLUGIN_DEFINE (clip, "CLIP: text and image towers with their projections", clip_plugin_init,
                   PACKAGE_VERSION, "LGPL-2.1-or-later")
