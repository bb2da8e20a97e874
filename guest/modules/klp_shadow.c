// SPDX-License-Identifier: GPL-2.0
// Non-cumulative patch attaching shadow variables to klp_target items. See shadow_common.h.
#define PATCH_NAME "klp_shadow"
#define CUMULATIVE 0
#include "shadow_common.h"
