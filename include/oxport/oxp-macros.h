/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <glib.h>

/* Marks a symbol of the public API.  The library is built with
 * -fvisibility=hidden, so everything else stays private. */
#if defined(OXP_COMPILATION) && defined(__GNUC__)
#define OXP_API __attribute__ ((visibility ("default"))) extern
#else
#define OXP_API extern
#endif
