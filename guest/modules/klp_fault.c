// SPDX-License-Identifier: GPL-2.0
/*
 * klp_fault: makes the guest fail on demand, for the harness's own tests of
 * crash detection (check/crash.cpp and its recorded fixtures). Write one word
 * to /sys/kernel/klp_fault/trigger:
 *   panic        panic("klp_fault: requested panic")
 *   oops         NULL pointer dereference in fault_oops() (x86_64: "BUG: kernel
 *                NULL pointer dereference"; ppc64le: "BUG: Kernel NULL pointer
 *                dereference on write at 0x00000000")
 *   bug          BUG() ("kernel BUG at klp_fault.c:N!", then the arch's oops)
 *   warn         WARN(1, ...)  (the guest lives on)
 *   hang         spin with preemption off for `hang_seconds` (default 30): an RCU
 *                stall ("rcu: INFO: ... detected stalls") and/or a soft lockup
 *                ("watchdog: BUG: soft lockup"); recorded under TCG, 30 s gave
 *                only the RCU stall (whose stack dump touches the soft lockup
 *                watchdog), 60 s the soft lockup
 *   gpf          write through the non-canonical pointer 0xdead000000000000 in
 *                fault_gpf() (x86_64: "general protection fault"; ppc64le:
 *                "BUG: Unable to handle kernel data access" and a bad-area oops)
 *   stackprot    fault_stackprot() writes `overflow_bytes` (default 48) bytes
 *                through a volatile pointer into a 16-byte local array: with
 *                CONFIG_STACKPROTECTOR the canary check panics ("stack-protector:
 *                Kernel stack is corrupted in: fault_stackprot")
 *   listcorrupt  list_add() next to an entry whose prev pointer was corrupted
 *                (static lists, no memory is harmed): with CONFIG_DEBUG_LIST or
 *                CONFIG_LIST_HARDENED "list_add corruption. next->prev should be
 *                prev", a BUG with CONFIG_BUG_ON_DATA_CORRUPTION, else a WARNING
 *                (the list is left alone); without either, nothing is reported
 *   listdel      list_del() of an entry whose next entry no longer points back
 *                ("list_del corruption. next->prev should be ..."), same configs
 *   doublefault  (x86_64 only) a push through the non-canonical stack pointer
 *                0xdead000000000000 in fault_doublefault(): the #SS cannot be
 *                delivered on that stack, so "PANIC: double fault" and a panic;
 *                elsewhere it logs "klp_fault: doublefault: x86_64 only"
 *   ubsan        reads a[`ubsan_index`] (default 4) of a static int a[4] that sits
 *                in a struct before another int (so the read stays in it): with
 *                CONFIG_UBSAN_BOUNDS "UBSAN: array-index-out-of-bounds", else
 *                nothing (the value read is logged)
 * The kernel's checkers (our -debug kernels, images/config/debug.config), each
 * a real bug of the kind it exists to catch; without the checker nothing is
 * reported (the bad access is harmless: freed or padded memory, read only):
 *   uaf          reads a kmalloc'ed object after kfree(): with CONFIG_KASAN
 *                "BUG: KASAN: slab-use-after-free in fault_uaf"
 *   oob          reads one byte past a 13-byte kmalloc'ed object (its slab object
 *                is 16 bytes): "BUG: KASAN: slab-out-of-bounds in fault_oob"
 *   kfence       allocates until KFENCE hands out one of its guarded objects (up
 *                to 2000 tries, 1 ms apart), frees it and reads it: with
 *                CONFIG_KFENCE "BUG: KFENCE: use-after-free read in fault_kfence";
 *                without one in 2 s it logs "klp_fault: kfence: no KFENCE object"
 *   lockinv      takes mutex A then B, then B then A, in one task (no deadlock):
 *                with CONFIG_PROVE_LOCKING "WARNING: possible circular locking
 *                dependency detected"
 *   atomicsleep  kmalloc(GFP_KERNEL), which may sleep, under a spinlock: with
 *                CONFIG_DEBUG_ATOMIC_SLEEP "BUG: sleeping function called from
 *                invalid context at ..." (it does not sleep here: no "scheduling
 *                while atomic", which a real sleep, e.g. msleep(), gives)
 * stackprot, listcorrupt, listdel, ubsan and the checkers' triggers log
 * "klp_fault: <trigger>: returned" when they come back (nothing was detected, or
 * a report after which the kernel goes on).
 */
#include <linux/delay.h>
#include <linux/kfence.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/objtool.h>
#include <linux/preempt.h>
#include <linux/sysfs.h>

static int hang_seconds = 30;
module_param(hang_seconds, int, 0644);
static int overflow_bytes = 48;
module_param(overflow_bytes, int, 0644);
static int ubsan_index = 4;
module_param(ubsan_index, int, 0644);

static struct kobject *fault_kobj;

static noinline void fault_oops(void)
{
	int *volatile p = NULL;

	*p = 1;
}

static noinline void fault_gpf(void)
{
	int *volatile p = (int *)0xdead000000000000UL;

	*p = 1;
}

static noinline void fault_stackprot(int n)
{
	char buf[16];
	char *volatile p = buf;
	int i;

	for (i = 0; i < n; i++)
		p[i] = 0x41;
	pr_info("klp_fault: stackprot: wrote %d bytes into a %zu-byte array (%c)\n", n, sizeof(buf), buf[0]);
}

static LIST_HEAD(fault_list);
static struct list_head fault_a, fault_b;

static noinline void fault_listcorrupt(void)
{
	INIT_LIST_HEAD(&fault_list);
	list_add(&fault_a, &fault_list);
	WRITE_ONCE(fault_a.prev, &fault_b);	/* next->prev no longer the head */
	list_add(&fault_b, &fault_list);
}

static noinline void fault_listdel(void)
{
	INIT_LIST_HEAD(&fault_list);
	list_add(&fault_a, &fault_list);
	list_add(&fault_b, &fault_list);	/* head, b, a */
	WRITE_ONCE(fault_a.prev, &fault_list);	/* a no longer points back at b */
	list_del(&fault_b);
}

#ifdef CONFIG_X86_64
/*
 * A push through a non-canonical stack pointer raises #SS, whose delivery on the
 * same stack faults again: the CPU gives up with a double fault (#DF runs on its
 * own IST stack), and the kernel prints "PANIC: double fault" and panics.
 */
static noinline void fault_doublefault(void)
{
	asm volatile("movq %0, %%rsp\n\tpushq $0\n" : : "r"(0xdead000000000000UL) : "memory");
}
/* objtool cannot follow a stack pointer set by hand, nor need it: no return. */
STACK_FRAME_NON_STANDARD(fault_doublefault);
#endif

struct fault_ubsan_s {
	int a[4];
	int guard;
};

static struct fault_ubsan_s fault_ubsan_data = { { 1, 2, 3, 4 }, 5 };

static noinline int fault_ubsan(int i)
{
	return fault_ubsan_data.a[i];
}

static noinline int fault_uaf(void)
{
	int *volatile p = kmalloc(sizeof(int) * 8, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	p[1] = 7;
	kfree(p);
	return p[1];
}

static noinline int fault_oob(void)
{
	char *volatile p = kmalloc(13, GFP_KERNEL);
	int v;

	if (!p)
		return -ENOMEM;
	v = p[13];
	kfree(p);
	return v;
}

static noinline int fault_kfence(void)
{
	int i;

	for (i = 0; i < 2000; i++) {
		char *volatile p = kmalloc(32, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		if (is_kfence_address(p)) {
			kfree(p);
			return p[0];
		}
		kfree(p);
		msleep(1);
	}
	pr_info("klp_fault: kfence: no KFENCE object in %d allocations\n", i);
	return 0;
}

static DEFINE_MUTEX(fault_lock_a);
static DEFINE_MUTEX(fault_lock_b);

static noinline void fault_lockinv(void)
{
	mutex_lock(&fault_lock_a);
	mutex_lock(&fault_lock_b);
	mutex_unlock(&fault_lock_b);
	mutex_unlock(&fault_lock_a);

	mutex_lock(&fault_lock_b);
	mutex_lock(&fault_lock_a);	/* the inverse order: a possible deadlock */
	mutex_unlock(&fault_lock_a);
	mutex_unlock(&fault_lock_b);
}

static DEFINE_SPINLOCK(fault_spin);

static noinline void fault_atomicsleep(void)
{
	void *p;

	spin_lock(&fault_spin);
	p = kmalloc(64, GFP_KERNEL);	/* may sleep: might_alloc() says so */
	spin_unlock(&fault_spin);
	kfree(p);
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
	} else if (sysfs_streq(buf, "gpf")) {
		fault_gpf();
	} else if (sysfs_streq(buf, "stackprot")) {
		fault_stackprot(overflow_bytes);
		pr_info("klp_fault: stackprot: returned\n");
	} else if (sysfs_streq(buf, "listcorrupt")) {
		fault_listcorrupt();
		pr_info("klp_fault: listcorrupt: returned\n");
	} else if (sysfs_streq(buf, "listdel")) {
		fault_listdel();
		pr_info("klp_fault: listdel: returned\n");
	} else if (sysfs_streq(buf, "doublefault")) {
#ifdef CONFIG_X86_64
		fault_doublefault();
#else
		pr_info("klp_fault: doublefault: x86_64 only\n");
#endif
	} else if (sysfs_streq(buf, "uaf")) {
		pr_info("klp_fault: uaf: read %d\n", fault_uaf());
		pr_info("klp_fault: uaf: returned\n");
	} else if (sysfs_streq(buf, "oob")) {
		pr_info("klp_fault: oob: read %d\n", fault_oob());
		pr_info("klp_fault: oob: returned\n");
	} else if (sysfs_streq(buf, "kfence")) {
		pr_info("klp_fault: kfence: read %d\n", fault_kfence());
		pr_info("klp_fault: kfence: returned\n");
	} else if (sysfs_streq(buf, "lockinv")) {
		fault_lockinv();
		pr_info("klp_fault: lockinv: returned\n");
	} else if (sysfs_streq(buf, "atomicsleep")) {
		fault_atomicsleep();
		pr_info("klp_fault: atomicsleep: returned\n");
	} else if (sysfs_streq(buf, "ubsan")) {
		pr_info("klp_fault: ubsan: a[%d] = %d\n", ubsan_index, fault_ubsan(ubsan_index));
		pr_info("klp_fault: ubsan: returned\n");
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
