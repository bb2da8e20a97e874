// SPDX-License-Identifier: GPL-2.0
// Cumulative patch of cmdline_proc_show only: replacing klp_replace_a nops klp_target_value. See replace_common.h.
#define PATCH_NAME "klp_replace_b"
#define CUMULATIVE 1
#define PATCH_VMLINUX 1
#define PATCH_TARGET 0
#include "replace_common.h"
