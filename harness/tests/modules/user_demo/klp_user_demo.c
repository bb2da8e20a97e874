// SPDX-License-Identifier: GPL-2.0
/*
 * A livepatch as a user brings it (`--module DIR`): /proc/cmdline reads
 * "klp_user_demo: patched" while it is enabled.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int demo_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "klp_user_demo: patched\n");
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = demo_cmdline_proc_show },
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL /* vmlinux */, .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init demo_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit demo_exit(void)
{
}

module_init(demo_init);
module_exit(demo_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness test: a user's livepatch module");
