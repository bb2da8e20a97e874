/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the livepatches of klp_elf_target that name its static
 * elf_target_name() by kallsyms position (module-elf-format.rst §4.2 [D]):
 * klp_elf_target_value() is replaced by one that reports what the functions at
 * ELF_POS_A and ELF_POS_B return: "sympos 1: first, sympos 2: second" when
 * the positions select the file they name. Their relocations are in
 * .klp.rela.klp_elf_target.text, written when klp_elf_target is (or comes) loaded;
 * a position the kernel cannot resolve refuses the patch, or the target when it
 * comes later.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_elf.h"

extern const char *elf_name_a(void) KLP_SYM(klp_elf_target, elf_target_name, ELF_POS_A);
extern const char *elf_name_b(void) KLP_SYM(klp_elf_target, elf_target_name, ELF_POS_B);

#define ELF_STR(x) #x
#define ELF_XSTR(x) ELF_STR(x)

static const char *elf_pos_value(void)
{
	/* Every reader writes the same bytes: concurrent reads cannot mix. */
	static char buf[64];

	snprintf(buf, sizeof(buf), "sympos " ELF_XSTR(ELF_POS_A) ": %s, sympos " ELF_XSTR(ELF_POS_B) ": %s",
		 elf_name_a(), elf_name_b());
	return buf;
}

static struct klp_func funcs[] = {
	{ .old_name = "klp_elf_target_value", .new_func = elf_pos_value },
	{}
};

static struct klp_object objs[] = {
	{ .name = "klp_elf_target", .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init elf_pos_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit elf_pos_exit(void)
{
}

module_init(elf_pos_init);
module_exit(elf_pos_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
