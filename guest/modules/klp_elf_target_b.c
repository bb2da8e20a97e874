// SPDX-License-Identifier: GPL-2.0
// The second half of klp_elf_target (see klp_elf_target_a.c).
#include <linux/compiler.h>

const char *klp_elf_target_second(void);

/* The same name as klp_elf_target_a.c's: kallsyms position 2 in this module. */
static noinline const char *elf_target_name(void)
{
	return "second";
}

noinline const char *klp_elf_target_second(void)
{
	return elf_target_name();
}
