/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* The deterministic generator behind the dummy inputs (splitmix64). */
G_GNUC_INTERNAL guint64 _oxp_rng_init (guint32 seed, const char *name);
G_GNUC_INTERNAL guint64 _oxp_rng_next (guint64 *state);
/* Uniform in [0, 1). */
G_GNUC_INTERNAL double _oxp_rng_uniform (guint64 *state);

G_END_DECLS
