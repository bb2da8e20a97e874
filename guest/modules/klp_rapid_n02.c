// SPDX-License-Identifier: GPL-2.0
// Non-cumulative (stacked) patch 02 of 15 for cases/cumulative/rapid-*.yaml. See replace_common.h.
#define PATCH_NAME "klp_rapid_n02"
#define CUMULATIVE 0
#define PATCH_VMLINUX 1
#define PATCH_TARGET 1
#include "replace_common.h"
