// SPDX-License-Identifier: GPL-2.0
// Non-cumulative (stacked) patch 03 of 15 for cases/cumulative/rapid-*.yaml. See replace_common.h.
#define PATCH_NAME "klp_rapid_n03"
#define CUMULATIVE 0
#define PATCH_VMLINUX 1
#define PATCH_TARGET 1
#include "replace_common.h"
