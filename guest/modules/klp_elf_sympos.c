// SPDX-License-Identifier: GPL-2.0
// klp_elf_sympos: klp_elf_target's elf_target_name at positions 1 and 2 (elf_pos_common.h).
#define ELF_POS_A 1
#define ELF_POS_B 2
#include "elf_pos_common.h"
MODULE_DESCRIPTION("klp-harness: .klp.sym sympos 1 and 2 of a module's duplicate static name");
