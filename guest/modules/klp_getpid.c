// SPDX-License-Identifier: GPL-2.0
/*
 * klp_getpid: a livepatch of the getpid system call, for transitions under a
 * syscall load (klp-stress getpid N).
 *
 * The syscall's symbol differs per arch and kernel (x86_64 __x64_sys_getpid,
 * ppc64le sys_getpid: both kernels have the pt_regs syscall wrapper), so the
 * case names it: param `func` (required; the load fails with EINVAL without it).
 * The replacement answers what the original does, the caller's tgid, and counts
 * its calls in the read-only param `calls`: the count grows only while the
 * patch is in effect, which is how a case sees that it is.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/sched.h>

static char *func;
module_param(func, charp, 0444);
MODULE_PARM_DESC(func, "the getpid syscall's symbol on this arch (e.g. __x64_sys_getpid)");

static atomic_long_t calls = ATOMIC_LONG_INIT(0);

static int calls_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&calls));
}

static const struct kernel_param_ops calls_ops = { .get = calls_get };
module_param_cb(calls, &calls_ops, NULL, 0444);

// Both arches' wrappers take the syscall's registers; getpid reads none.
static long getpid_getpid(const struct pt_regs *regs)
{
	atomic_long_inc(&calls);
	return task_tgid_vnr(current);
}

static struct klp_func vmlinux_funcs[] = {
	{ .new_func = getpid_getpid },  // .old_name from the param
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL, .funcs = vmlinux_funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init getpid_init(void)
{
	if (!func || !*func) {
		pr_err("klp_getpid: no func= (the getpid syscall's symbol)\n");
		return -EINVAL;
	}
	vmlinux_funcs[0].old_name = func;
	pr_info("klp_getpid: enabling (%s)\n", func);
	return klp_enable_patch(&patch);
}

static void __exit getpid_exit(void)
{
	pr_info("klp_getpid: unloaded after %ld calls\n", atomic_long_read(&calls));
}

module_init(getpid_init);
module_exit(getpid_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: livepatch of the getpid syscall (symbol per arch by param)");
