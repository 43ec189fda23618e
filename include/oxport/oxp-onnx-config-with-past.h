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

/* OxpOnnxConfigWithPast: a decoder whose graph may return its key/value
 * cache (use-past) and take it back in (use-past-in-inputs), like optimum's
 * OnnxConfigWithPast.
 *
 * Past and present tensors are [batch_size, num_key_value_heads,
 * LENGTH, head_dim] where the heads and head_dim are numbers from the
 * normalized config and LENGTH is "past_sequence_length" for inputs,
 * "past_sequence_length + sequence_length" for outputs when the past is an
 * input, and "sequence_length" when it is not.
 *
 * Outputs: without past inputs, the task's default outputs; with them,
 * last_hidden_state (feature-extraction) or logits [batch_size,
 * sequence_length, vocab_size]; then present.{i}.key/.value when use-past.
 *
 * Submodels: a config with use-past but no past inputs splits into
 * decoder_model.onnx (no past inputs, presents out) and
 * decoder_with_past_model.onnx (past in, presents out); one with past
 * inputs is decoder_with_past_model.onnx alone; one without use-past is
 * itself. */

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
