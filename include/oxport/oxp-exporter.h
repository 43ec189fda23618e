/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>

/* PENDING: this header's API is being written (replace this file whole). */
