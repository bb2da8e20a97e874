/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the atomic-replace and stacking patches (cumulative-patches.rst,
 * livepatch.rst §5): each returns its own name from the functions it patches.
 *   klp_replace_a   non-cumulative: cmdline_proc_show and klp_target_value
 *   klp_replace_b   cumulative: only cmdline_proc_show, so replacing klp_replace_a
 *                   puts a nop on klp_target_value ("original" again)
 *   klp_stack_a/_b  non-cumulative, both on klp_target_value: the last enabled
 *                   one wins; disabling it uncovers the one below
 *   klp_rapid_c01..c15  cumulative, both functions: 15 replacements back to back
 *   klp_rapid_n01..n15  non-cumulative, both functions: a stack 15 deep
 * The including file defines PATCH_NAME, CUMULATIVE, PATCH_VMLINUX, PATCH_TARGET.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#if PATCH_VMLINUX
static int rp_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", PATCH_NAME);
	return 0;
}

static struct klp_func vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = rp_cmdline_proc_show },
	{}
};
#endif

#if PATCH_TARGET
static const char *rp_klp_target_value(void)
{
	return PATCH_NAME;
}

static struct klp_func target_funcs[] = {
	{ .old_name = "klp_target_value", .new_func = rp_klp_target_value },
	{}
};
#endif

static struct klp_object objs[] = {
#if PATCH_VMLINUX
	{ .name = NULL, .funcs = vmlinux_funcs },
#endif
#if PATCH_TARGET
	{ .name = "klp_target", .funcs = target_funcs },
#endif
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = CUMULATIVE,
};

static int __init rp_init(void)
{
	pr_info("%s: enabling (%s)\n", PATCH_NAME, CUMULATIVE ? "cumulative" : "non-cumulative");
	return klp_enable_patch(&patch);
}

static void __exit rp_exit(void)
{
	pr_info("%s: unloaded\n", PATCH_NAME);
}

module_init(rp_init);
module_exit(rp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: replace/stack patch " PATCH_NAME);
