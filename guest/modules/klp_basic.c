// SPDX-License-Identifier: GPL-2.0
/*
 * klp_basic: the simplest visible livepatch.
 *  - vmlinux: cmdline_proc_show, so /proc/cmdline reads "klp_basic: livepatched"
 *  - klp_target: klp_target_value, so /sys/kernel/klp_target/value reads
 *    "patched by klp_basic" (deferred until klp_target loads)
 * Serves livepatch.rst §1-§4 (a patch, its sysfs, enable/disable).
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int basic_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "klp_basic: livepatched\n");
	return 0;
}

static const char *basic_klp_target_value(void)
{
	return "patched by klp_basic";
}

static struct klp_func vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = basic_cmdline_proc_show },
	{}
};

static struct klp_func target_funcs[] = {
	{ .old_name = "klp_target_value", .new_func = basic_klp_target_value },
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL, .funcs = vmlinux_funcs },
	{ .name = "klp_target", .funcs = target_funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init basic_init(void)
{
	pr_info("klp_basic: enabling\n");
	return klp_enable_patch(&patch);
}

static void __exit basic_exit(void)
{
	pr_info("klp_basic: unloaded\n");
}

module_init(basic_init);
module_exit(basic_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: basic visible livepatch");
