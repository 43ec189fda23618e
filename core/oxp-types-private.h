/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* IEEE 754 half and bfloat16 conversions (round to nearest even). */
G_GNUC_INTERNAL guint16 _oxp_float_to_half (float value);
G_GNUC_INTERNAL float _oxp_half_to_float (guint16 value);
G_GNUC_INTERNAL guint16 _oxp_float_to_bfloat16 (float value);
G_GNUC_INTERNAL float _oxp_bfloat16_to_float (guint16 value);

G_END_DECLS
