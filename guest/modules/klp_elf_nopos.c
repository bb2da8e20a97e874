// SPDX-License-Identifier: GPL-2.0
// klp_elf_nopos: position 0 ("unique") for a name klp_elf_target has twice: ambiguous (elf_pos_common.h).
#define ELF_POS_A 1
#define ELF_POS_B 0
#include "elf_pos_common.h"
MODULE_DESCRIPTION("klp-harness: .klp.sym sympos 0 for a duplicate name");
