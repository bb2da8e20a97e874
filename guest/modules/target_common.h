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
 *   gate    (rw) 1: a user task reading `wait` sleeps interruptibly in
 *                klp_target_read_sleep() until 0 is written; a signal (also the
 *                livepatch fake signal) sends it back to user space, and the read
 *                restarts there (so it switches at kernel exit, livepatch.rst §3)
 *   wait    (r)  blocks while gate is 1, then reads "open"
 *   items   (rw) write N: create N more items (klp_target_item_created() is called
 *                for each); write 0: destroy all (klp_target_item_destroying());
 *                read: one klp_target_item_describe() line per item
 *
 * Module parameter hold=1 starts with the busy tasks held.
 */
#include <linux/kobject.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "klp_target.h"

static int hold;
module_param(hold, int, 0444);
static int gate;
MODULE_PARM_DESC(hold, "Start with the busy tasks held in klp_target_busy_sleep");

static DECLARE_WAIT_QUEUE_HEAD(busy_wq);
static struct task_struct *busy_thread;
static struct kobject *target_kobj;

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

noinline void klp_target_item_created(struct klp_target_item *item)
{
	pr_debug("%s: item %d created\n", KBUILD_MODNAME, item->id);
}

noinline int klp_target_item_describe(struct klp_target_item *item, char *buf, int len)
{
	return scnprintf(buf, len, "item %d\n", item->id);
}

noinline void klp_target_item_destroying(struct klp_target_item *item)
{
	pr_debug("%s: item %d destroyed\n", KBUILD_MODNAME, item->id);
}

static LIST_HEAD(items);
static DEFINE_MUTEX(items_lock);
static int next_item_id = 1;

static void destroy_items(void)
{
	struct klp_target_item *item, *tmp;

	list_for_each_entry_safe(item, tmp, &items, list) {
		klp_target_item_destroying(item);
		list_del(&item->list);
		kfree(item);
	}
}

static ssize_t items_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct klp_target_item *item;
	int len = 0;

	mutex_lock(&items_lock);
	list_for_each_entry(item, &items, list)
		len += klp_target_item_describe(item, buf + len, PAGE_SIZE - len);
	mutex_unlock(&items_lock);
	return len;
}

static ssize_t items_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	struct klp_target_item *item;
	int n, i;

	if (kstrtoint(buf, 0, &n) || n < 0 || n > 1000)
		return -EINVAL;
	mutex_lock(&items_lock);
	if (n == 0)
		destroy_items();
	for (i = 0; i < n; i++) {
		item = kzalloc(sizeof(*item), GFP_KERNEL);
		if (!item)
			break;
		item->id = next_item_id++;
		list_add_tail(&item->list, &items);
		klp_target_item_created(item);
	}
	mutex_unlock(&items_lock);
	return count;
}

/* Where user tasks reading `wait` sleep. Patches replace it. */
noinline void klp_target_read_sleep(void)
{
	DEFINE_WAIT(wait);

	prepare_to_wait(&busy_wq, &wait, TASK_INTERRUPTIBLE);
	if (READ_ONCE(gate))
		schedule();
	finish_wait(&busy_wq, &wait);
}

static ssize_t wait_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	while (READ_ONCE(gate)) {
		klp_target_read_sleep();
		if (signal_pending(current))
			return -ERESTARTSYS;  /* back to user space; the read restarts */
	}
	return sysfs_emit(buf, "open\n");
}

static ssize_t gate_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(gate));
}

static ssize_t gate_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	int v;

	if (kstrtoint(buf, 0, &v))
		return -EINVAL;
	WRITE_ONCE(gate, !!v);
	pr_info("%s: gate=%d\n", KBUILD_MODNAME, !!v);
	wake_up_all(&busy_wq);
	return count;
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
static struct kobj_attribute items_attr = __ATTR_RW(items);
static struct kobj_attribute gate_attr = __ATTR_RW(gate);
static struct kobj_attribute wait_attr = __ATTR_RO(wait);
static struct attribute *target_attrs[] = {
	&value_attr.attr, &hold_attr.attr, &work_attr.attr, &items_attr.attr,
	&gate_attr.attr, &wait_attr.attr, NULL,
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
	WRITE_ONCE(gate, 0);
	wake_up_all(&busy_wq);
	kthread_stop(busy_thread);
	cancel_work_sync(&busy_work);
	kobject_put(target_kobj);
	mutex_lock(&items_lock);
	destroy_items();
	mutex_unlock(&items_lock);
	pr_info("%s: unloaded\n", KBUILD_MODNAME);
}

module_init(target_init);
module_exit(target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness livepatch target");
