/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the callback patches (klp_callbacks, klp_callbacks_b, klp_callbacks_r),
 * for Documentation/livepatch/callbacks.rst. Callbacks on vmlinux, klp_target and
 * klp_target2 log one line each:
 *   "<PATCH_NAME>: <callback>: <object> [<module state>]"
 * with the module state (live, coming, going) of the target at that moment.
 *
 * The including file defines PATCH_NAME and CUMULATIVE (1: atomic replace).
 * Parameters (writable at run time in /sys/module/<name>/parameters/):
 *   pre_patch_ret=<errno>         vmlinux pre_patch fails with -errno
 *   module_pre_patch_ret=<errno>  a target module's pre_patch fails with -errno
 *                                 (a coming module is then refused)
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int pre_patch_ret;
module_param(pre_patch_ret, int, 0644);
MODULE_PARM_DESC(pre_patch_ret, "errno for vmlinux pre_patch to fail with");
static int module_pre_patch_ret;
module_param(module_pre_patch_ret, int, 0644);
MODULE_PARM_DESC(module_pre_patch_ret, "errno for a target module's pre_patch to fail with");

static const char *mod_state(struct klp_object *obj)
{
	if (!obj->mod)
		return "vmlinux";
	switch (obj->mod->state) {
	case MODULE_STATE_LIVE: return "live";
	case MODULE_STATE_COMING: return "coming";
	case MODULE_STATE_GOING: return "going";
	default: return "unformed";
	}
}

static const char *obj_name(struct klp_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

static int cb_pre_patch(struct klp_object *obj)
{
	int ret = obj->name ? module_pre_patch_ret : pre_patch_ret;

	if (ret) {
		pr_info("%s: pre_patch: %s [%s]: failing with -%d\n", PATCH_NAME, obj_name(obj),
			mod_state(obj), ret);
		return -ret;
	}
	pr_info("%s: pre_patch: %s [%s]\n", PATCH_NAME, obj_name(obj), mod_state(obj));
	return 0;
}

static void cb_post_patch(struct klp_object *obj)
{
	pr_info("%s: post_patch: %s [%s]\n", PATCH_NAME, obj_name(obj), mod_state(obj));
}

static void cb_pre_unpatch(struct klp_object *obj)
{
	pr_info("%s: pre_unpatch: %s [%s]\n", PATCH_NAME, obj_name(obj), mod_state(obj));
}

static void cb_post_unpatch(struct klp_object *obj)
{
	pr_info("%s: post_unpatch: %s [%s]\n", PATCH_NAME, obj_name(obj), mod_state(obj));
}

static int cb_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", PATCH_NAME);
	return 0;
}

static const char *cb_klp_target_value(void)
{
	return PATCH_NAME;
}

static struct klp_func vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = cb_cmdline_proc_show },
	{}
};

/* One array per object: a klp_func embeds its sysfs kobject, so objects must
 * never share one (klp_enable_patch then fails with a duplicate sysfs name). */
static struct klp_func target_funcs[] = {
	{ .old_name = "klp_target_value", .new_func = cb_klp_target_value },
	{}
};

static struct klp_func target2_funcs[] = {
	{ .old_name = "klp_target_value", .new_func = cb_klp_target_value },
	{}
};

#define CALLBACKS {							\
	.pre_patch = cb_pre_patch, .post_patch = cb_post_patch,		\
	.pre_unpatch = cb_pre_unpatch, .post_unpatch = cb_post_unpatch,	\
}

static struct klp_object objs[] = {
	{ .name = NULL, .funcs = vmlinux_funcs, .callbacks = CALLBACKS },
	{ .name = "klp_target", .funcs = target_funcs, .callbacks = CALLBACKS },
	{ .name = "klp_target2", .funcs = target2_funcs, .callbacks = CALLBACKS },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = CUMULATIVE,
};

static int __init cb_init(void)
{
	pr_info("%s: enabling (%s)\n", PATCH_NAME, CUMULATIVE ? "cumulative" : "non-cumulative");
	return klp_enable_patch(&patch);
}

static void __exit cb_exit(void)
{
	pr_info("%s: unloaded\n", PATCH_NAME);
}

module_init(cb_init);
module_exit(cb_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: callbacks patch " PATCH_NAME);
