// SPDX-License-Identifier: GPL-2.0
// Non-cumulative patch of klp_target_value (bottom of a stack). See replace_common.h.
#define PATCH_NAME "klp_stack_a"
#define CUMULATIVE 0
#define PATCH_VMLINUX 0
#define PATCH_TARGET 1
#include "replace_common.h"
