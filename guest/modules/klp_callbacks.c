// SPDX-License-Identifier: GPL-2.0
// Callbacks on vmlinux, klp_target and klp_target2. See callbacks_common.h.
#define PATCH_NAME "klp_callbacks"
#define CUMULATIVE 0
#include "callbacks_common.h"
