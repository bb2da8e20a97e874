// SPDX-License-Identifier: GPL-2.0
// A second non-cumulative callbacks patch, to stack on klp_callbacks. See callbacks_common.h.
#define PATCH_NAME "klp_callbacks_b"
#define CUMULATIVE 0
#include "callbacks_common.h"
