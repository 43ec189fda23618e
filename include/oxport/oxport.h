/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one header users include. */
#define OXP_INSIDE

#include <oxport/oxp-macros.h>
#include <oxport/oxp-version.h>
#include <oxport/oxp-types.h>
#include <oxport/oxp-tensor-spec.h>
#include <oxport/oxp-tensor.h>
#include <oxport/oxp-checkpoint.h>
#include <oxport/oxp-normalized-config.h>
#include <oxport/oxp-dummy-input-generator.h>
#include <oxport/oxp-onnx-config.h>
#include <oxport/oxp-onnx-config-with-past.h>
#include <oxport/oxp-onnx-seq2seq-config-with-past.h>
#include <oxport/oxp-modality-configs.h>
#include <oxport/oxp-plugin.h>
#include <oxport/oxp-tasks-manager.h>
#include <oxport/oxp-graph.h>
#include <oxport/oxp-blocks.h>
#include <oxport/oxp-onnx-writer.h>
#include <oxport/oxp-runtime.h>
#include <oxport/oxp-validator.h>
#include <oxport/oxp-exporter.h>
#include <oxport/oxp-blocks-seq2seq.h>
#include <oxport/oxp-blocks-sinusoidal.h>
#include <oxport/oxp-blocks-vision.h>

#undef OXP_INSIDE
