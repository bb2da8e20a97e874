// SPDX-License-Identifier: GPL-2.0
// Cumulative (atomic replace) callbacks patch: only its callbacks run on replace. See callbacks_common.h.
#define PATCH_NAME "klp_callbacks_r"
#define CUMULATIVE 1
#include "callbacks_common.h"
