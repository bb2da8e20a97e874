// SPDX-License-Identifier: GPL-2.0
/*
 * klp_busy: replaces klp_target_busy_sleep, the function klp_target's kthread
 * and work item sleep in while /sys/kernel/klp_target/hold is 1, and
 * klp_target_read_sleep, where user tasks reading .../wait sleep while gate is 1. While they
 * sleep there the transition cannot finish (stack check: livepatch.rst §3); it
 * completes after hold=0, or after the fake signal wakes them, or with force.
 * The new function keeps the old behaviour and says it is the new one.
 * Its callbacks on klp_target log like the callback patches do, so a case can
 * see that post_patch waits for the transition (callbacks.rst).
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/wait.h>

/* Same contract as the original, without access to its statics: sleep ~100 ms. */
static void busy_klp_target_busy_sleep(const char *who)
{
	pr_info_ratelimited("klp_busy: %s in the patched klp_target_busy_sleep\n", who);
	schedule_timeout_interruptible(HZ / 10);
}

/* Readers of /sys/kernel/klp_target/wait sleep here: same contract as above. */
static void busy_klp_target_read_sleep(void)
{
	schedule_timeout_interruptible(HZ / 10);
}

static int busy_pre_patch(struct klp_object *obj)
{
	pr_info("klp_busy: pre_patch: %s\n", obj->name);
	return 0;
}

static void busy_post_patch(struct klp_object *obj)
{
	pr_info("klp_busy: post_patch: %s\n", obj->name);
}

static void busy_pre_unpatch(struct klp_object *obj)
{
	pr_info("klp_busy: pre_unpatch: %s\n", obj->name);
}

static void busy_post_unpatch(struct klp_object *obj)
{
	pr_info("klp_busy: post_unpatch: %s\n", obj->name);
}

static struct klp_func target_funcs[] = {
	{ .old_name = "klp_target_busy_sleep", .new_func = busy_klp_target_busy_sleep },
	{ .old_name = "klp_target_read_sleep", .new_func = busy_klp_target_read_sleep },
	{}
};

static struct klp_object objs[] = {
	{
		.name = "klp_target",
		.funcs = target_funcs,
		.callbacks = {
			.pre_patch = busy_pre_patch,
			.post_patch = busy_post_patch,
			.pre_unpatch = busy_pre_unpatch,
			.post_unpatch = busy_post_unpatch,
		},
	},
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init busy_init(void)
{
	pr_info("klp_busy: enabling\n");
	return klp_enable_patch(&patch);
}

static void __exit busy_exit(void)
{
	pr_info("klp_busy: unloaded\n");
}

module_init(busy_init);
module_exit(busy_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: patch of a function tasks sleep in");
