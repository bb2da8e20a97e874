// SPDX-License-Identifier: GPL-2.0
/*
 * klp_elf_vmlinux: a replacement that calls a static, unexported vmlinux
 * function through a livepatch symbol (module-elf-format.rst §3, §4).
 * cmdline_proc_show is replaced by one that prints "klp_elf_vmlinux: " and then
 * calls fs/proc/version.c's static version_proc_show() (unique in kallsyms on
 * our kernels) through .klp.sym.vmlinux.version_proc_show,0: /proc/cmdline
 * reads "klp_elf_vmlinux: " followed by what /proc/version reads. The call's
 * relocation is in .klp.rela.vmlinux.text, written while this module loads.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "klp_elf.h"

extern int elf_version_proc_show(struct seq_file *m, void *v)
	KLP_SYM(vmlinux, version_proc_show, 0);

static int elf_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "klp_elf_vmlinux: ");
	return elf_version_proc_show(m, v);
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = elf_cmdline_proc_show },
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL, .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init elf_vmlinux_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit elf_vmlinux_exit(void)
{
}

module_init(elf_vmlinux_init);
module_exit(elf_vmlinux_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: calls a static vmlinux function via .klp.sym");
