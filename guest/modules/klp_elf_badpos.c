// SPDX-License-Identifier: GPL-2.0
// klp_elf_badpos: position 3 of a name klp_elf_target has twice: unresolvable (elf_pos_common.h).
#define ELF_POS_A 1
#define ELF_POS_B 3
#include "elf_pos_common.h"
MODULE_DESCRIPTION("klp-harness: .klp.sym with a sympos past the last duplicate");
