// SPDX-License-Identifier: GPL-2.0
// Cumulative replacement of klp_shadow that keeps using its shadow variables. See shadow_common.h.
#define PATCH_NAME "klp_shadow2"
#define CUMULATIVE 1
#include "shadow_common.h"
