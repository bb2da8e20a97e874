// SPDX-License-Identifier: GPL-2.0
/*
 * klp_elf_target, built from klp_elf_target_a.c and klp_elf_target_b.c: each
 * has its own static elf_target_name(), so kallsyms lists the name twice for
 * this module, in link order: position 1 returns "first" (this file), position 2
 * "second" (klp_elf_target_b.c). /sys/kernel/klp_elf_target/:
 *   value  (r)  klp_elf_target_value(): "original" until a patch replaces it
 *   names  (r)  both elf_target_name() results: "first second"
 * Patches reach the static functions through .klp.sym.klp_elf_target.elf_target_name,POS
 * (module-elf-format.rst §4.2 sympos).
 */
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/sysfs.h>

const char *klp_elf_target_second(void);  /* klp_elf_target_b.c */

/* noinline: a real function of this name for kallsyms and for the patch. */
static noinline const char *elf_target_name(void)
{
	return "first";
}

noinline const char *klp_elf_target_value(void)
{
	return "original";
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", klp_elf_target_value());
}

static ssize_t names_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s %s\n", elf_target_name(), klp_elf_target_second());
}

static struct kobj_attribute value_attr = __ATTR_RO(value);
static struct kobj_attribute names_attr = __ATTR_RO(names);
static struct attribute *elf_target_attrs[] = { &value_attr.attr, &names_attr.attr, NULL };
static const struct attribute_group elf_target_group = { .attrs = elf_target_attrs };
static struct kobject *elf_target_kobj;

static int __init elf_target_init(void)
{
	int ret;

	elf_target_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!elf_target_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(elf_target_kobj, &elf_target_group);
	if (ret)
		kobject_put(elf_target_kobj);
	return ret;
}

static void __exit elf_target_exit(void)
{
	kobject_put(elf_target_kobj);
}

module_init(elf_target_init);
module_exit(elf_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness: target with two static functions of one name");
