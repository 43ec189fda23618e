/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* OXP_EXPORT_ERROR without a link dependency on the graph area: the same
 * quark, by the name G_DEFINE_QUARK gives it there. */
#define _OXP_EXPORT_ERROR_QUARK (g_quark_from_static_string ("oxp-export-error-quark"))

/* Records @error (consumed) as the config's first deferred error. */
G_GNUC_INTERNAL void _oxp_onnx_config_defer_error (OxpOnnxConfig *self, GError *error);

/* A GPtrArray owning OxpTensorSpecs. */
G_GNUC_INTERNAL GPtrArray *_oxp_spec_array_new (void);

G_END_DECLS
