/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the klp target modules (klp_target, klp_target2): functions that our
 * livepatches replace, observable from user space under /sys/kernel/<module>/:
 *
 *   value   (r)  the string klp_target_value() returns: "original" until patched
 *   hold    (rw) 1: the busy kthread and work item sleep in klp_target_busy_sleep()
 *                until 0 is written; the sleep is interruptible, and each wakeup
 *                leaves the function (so the livepatch fake signal frees them)
 *   work    (w)  queue the busy work item once
 *
 * Module parameter hold=1 starts with the busy tasks held.
 */
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

static int hold;
module_param(hold, int, 0444);
MODULE_PARM_DESC(hold, "Start with the busy tasks held in klp_target_busy_sleep");

static DECLARE_WAIT_QUEUE_HEAD(busy_wq);
static struct task_struct *busy_thread;
static struct kobject *target_kobj;

const char *klp_target_value(void);
void klp_target_busy_sleep(const char *who);

/* Replaced by livepatches: noinline keeps a real call (and a stack frame). */
noinline const char *klp_target_value(void)
{
	return "original";
}

/* Sleeps once, interruptibly, while hold is set. Patches replace it. */
noinline void klp_target_busy_sleep(const char *who)
{
	DEFINE_WAIT(wait);

	prepare_to_wait(&busy_wq, &wait, TASK_INTERRUPTIBLE);
	if (READ_ONCE(hold)) {
		pr_info("%s: %s sleeping in klp_target_busy_sleep\n", KBUILD_MODNAME, who);
		schedule();
	}
	finish_wait(&busy_wq, &wait);
}

static void busy_work_fn(struct work_struct *work);
static DECLARE_WORK(busy_work, busy_work_fn);

static void busy_work_fn(struct work_struct *work)
{
	klp_target_busy_sleep("work");
	/* Requeue (not loop) so a woken worker leaves the function's stack. */
	if (READ_ONCE(hold))
		schedule_work(&busy_work);
}

static int busy_thread_fn(void *data)
{
	while (!kthread_should_stop()) {
		if (READ_ONCE(hold))
			klp_target_busy_sleep("kthread");
		else
			wait_event_interruptible(busy_wq, READ_ONCE(hold) || kthread_should_stop());
	}
	return 0;
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", klp_target_value());
}

static ssize_t hold_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(hold));
}

static ssize_t hold_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	int v;

	if (kstrtoint(buf, 0, &v))
		return -EINVAL;
	WRITE_ONCE(hold, !!v);
	pr_info("%s: hold=%d\n", KBUILD_MODNAME, !!v);
	wake_up_all(&busy_wq);
	return count;
}

static ssize_t work_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	schedule_work(&busy_work);
	return count;
}

static struct kobj_attribute value_attr = __ATTR_RO(value);
static struct kobj_attribute hold_attr = __ATTR_RW(hold);
static struct kobj_attribute work_attr = __ATTR_WO(work);
static struct attribute *target_attrs[] = {
	&value_attr.attr, &hold_attr.attr, &work_attr.attr, NULL,
};
static const struct attribute_group target_group = { .attrs = target_attrs };

static int __init target_init(void)
{
	int ret;

	target_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!target_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(target_kobj, &target_group);
	if (ret)
		goto err_kobj;
	busy_thread = kthread_run(busy_thread_fn, NULL, "%s_busy", KBUILD_MODNAME);
	if (IS_ERR(busy_thread)) {
		ret = PTR_ERR(busy_thread);
		goto err_kobj;
	}
	pr_info("%s: loaded, value=%s hold=%d\n", KBUILD_MODNAME, klp_target_value(), hold);
	return 0;
err_kobj:
	kobject_put(target_kobj);
	return ret;
}

static void __exit target_exit(void)
{
	WRITE_ONCE(hold, 0);
	wake_up_all(&busy_wq);
	kthread_stop(busy_thread);
	cancel_work_sync(&busy_work);
	kobject_put(target_kobj);
	pr_info("%s: unloaded\n", KBUILD_MODNAME);
}

module_init(target_init);
module_exit(target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness livepatch target");
