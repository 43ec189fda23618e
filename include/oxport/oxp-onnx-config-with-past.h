/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-onnx-config.h>

G_BEGIN_DECLS

/**
 * OxpPastDirection:
 * @OXP_PAST_DIRECTION_INPUTS: past_key_values.{i}.* graph inputs
 * @OXP_PAST_DIRECTION_OUTPUTS: present.{i}.* graph outputs
 *
 * Which side of the graph oxp_onnx_config_with_past_add_past_key_values()
 * adds the cache specs to.
 */
typedef enum {
  OXP_PAST_DIRECTION_INPUTS,
  OXP_PAST_DIRECTION_OUTPUTS,
} OxpPastDirection;

#define OXP_TYPE_PAST_DIRECTION (oxp_past_direction_get_type ())
OXP_API GType oxp_past_direction_get_type (void) G_GNUC_CONST;

/* OxpOnnxConfigWithPast: a decoder whose graph may return its key/value
 * cache and take it back in, like optimum's OnnxConfigWithPast (cache
 * shapes, outputs and submodels: see core/oxp-onnx-config-with-past.c). */

#define OXP_TYPE_ONNX_CONFIG_WITH_PAST (oxp_onnx_config_with_past_get_type ())
OXP_API
G_DECLARE_DERIVABLE_TYPE (OxpOnnxConfigWithPast, oxp_onnx_config_with_past, OXP,
                          ONNX_CONFIG_WITH_PAST, OxpOnnxConfig)

/**
 * OxpOnnxConfigWithPastClass:
 * @add_past_key_values: appends the past (inputs) or present (outputs)
 *   specs of every layer to @specs, key before value
 *
 * The class of #OxpOnnxConfigWithPast.
 */
struct _OxpOnnxConfigWithPastClass
{
  OxpOnnxConfigClass parent_class;

  void (*add_past_key_values) (OxpOnnxConfigWithPast *self,
                               GPtrArray             *specs,
                               OxpPastDirection       direction);

  /*< private >*/
  gpointer _oxp_reserved[8];
};

OXP_API gboolean oxp_onnx_config_with_past_get_use_past           (OxpOnnxConfigWithPast *self);
OXP_API gboolean oxp_onnx_config_with_past_get_use_past_in_inputs (OxpOnnxConfigWithPast *self);

/* optimum's with_past(): a copy with use-past and use-past-in-inputs set.
 * (transfer full) */
OXP_API OxpOnnxConfig *oxp_onnx_config_with_past_with_past (OxpOnnxConfigWithPast *self);

/* Appends the past or present specs (see the class vfunc). */
OXP_API void oxp_onnx_config_with_past_add_past_key_values (OxpOnnxConfigWithPast *self,
                                                            GPtrArray             *specs,
                                                            OxpPastDirection       direction);

/* A [batch_size, heads, @length_dim, head_dim] float spec, heads and
 * head_dim read from the normalized config names @heads_name and
 * "head_dim" (missing values are recorded as for
 * oxp_onnx_config_require_int()).  (transfer full) */
OXP_API OxpTensorSpec *oxp_onnx_config_with_past_new_cache_spec (OxpOnnxConfigWithPast *self,
                                                                 const char            *name,
                                                                 const char            *heads_name,
                                                                 const char            *length_dim);

G_END_DECLS
