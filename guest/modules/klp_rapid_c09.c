// SPDX-License-Identifier: GPL-2.0
// Cumulative (atomic replace) patch 09 of 15 for cases/cumulative/rapid-*.yaml. See replace_common.h.
#define PATCH_NAME "klp_rapid_c09"
#define CUMULATIVE 1
#define PATCH_VMLINUX 1
#define PATCH_TARGET 1
#include "replace_common.h"
