// SPDX-License-Identifier: GPL-2.0
// Non-cumulative patch of cmdline_proc_show and klp_target_value. See replace_common.h.
#define PATCH_NAME "klp_replace_a"
#define CUMULATIVE 0
#define PATCH_VMLINUX 1
#define PATCH_TARGET 1
#include "replace_common.h"
