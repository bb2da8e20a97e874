// SPDX-License-Identifier: GPL-2.0
/*
 * klp_fault: makes the guest fail on demand, for the harness's own tests of
 * crash detection. Write one word to /sys/kernel/klp_fault/trigger:
 *   panic  panic("klp_fault: requested panic")
 *   oops   NULL pointer dereference
 *   bug    BUG()
 *   warn   WARN(1, ...)  (the guest lives on)
 *   hang   spin with preemption off for `hang_seconds` (soft lockup)
 */
#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sysfs.h>

static int hang_seconds = 30;
module_param(hang_seconds, int, 0644);

static struct kobject *fault_kobj;

static noinline void fault_oops(void)
{
	int *volatile p = NULL;

	*p = 1;
}

static ssize_t trigger_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	if (sysfs_streq(buf, "panic")) {
		panic("klp_fault: requested panic");
	} else if (sysfs_streq(buf, "oops")) {
		fault_oops();
	} else if (sysfs_streq(buf, "bug")) {
		BUG();
	} else if (sysfs_streq(buf, "warn")) {
		WARN(1, "klp_fault: requested warning\n");
	} else if (sysfs_streq(buf, "hang")) {
		int i;

		pr_info("klp_fault: hanging a CPU for %d s\n", hang_seconds);
		preempt_disable();
		for (i = 0; i < hang_seconds * 1000; i++)
			mdelay(1);
		preempt_enable();
	} else {
		return -EINVAL;
	}
	return count;
}

static struct kobj_attribute trigger_attr = __ATTR_WO(trigger);

static int __init fault_init(void)
{
	fault_kobj = kobject_create_and_add("klp_fault", kernel_kobj);
	if (!fault_kobj)
		return -ENOMEM;
	if (sysfs_create_file(fault_kobj, &trigger_attr.attr)) {
		kobject_put(fault_kobj);
		return -ENOMEM;
	}
	return 0;
}

static void __exit fault_exit(void)
{
	kobject_put(fault_kobj);
}

module_init(fault_init);
module_exit(fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness: crash the guest on demand");
