/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* Records @error (consumed) as the config's first deferred error. */
G_GNUC_INTERNAL void _oxp_onnx_config_defer_error (OxpOnnxConfig *self, GError *error);

/* A GPtrArray owning OxpTensorSpecs. */
G_GNUC_INTERNAL GPtrArray *_oxp_spec_array_new (void);

/* The encoder output length dim of a seq2seq config: "encoder_sequence_length",
 * or "encoder_sequence_length / N" (see encoder_length_divisor). */
G_GNUC_INTERNAL char *_oxp_seq2seq_encoder_output_length (OxpOnnxSeq2SeqConfigWithPast *self);

G_END_DECLS
