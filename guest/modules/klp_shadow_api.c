// SPDX-License-Identifier: GPL-2.0
/*
 * klp_shadow_api: the shadow variable API's edge cases (shadow-vars.rst), run at
 * load time; results are printed as KTAP lines in the kernel log:
 *   "klp_shadow_api: ok N - <what>" / "not ok N - <what>", then a plan line.
 * Not a livepatch: the klp_shadow_* functions work from any module.
 * The module stays loaded (init returns 0) so it can be unloaded like any other.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/slab.h>

#define ID1 0x4b4c5101
#define ID2 0x4b4c5102

static int ctor_calls, dtor_calls, tests, failures;

static int api_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	ctor_calls++;
	*(int *)shadow_data = *(int *)ctor_data;
	return 0;
}

static int failing_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	return -EPERM;
}

static void api_dtor(void *obj, void *shadow_data)
{
	dtor_calls++;
}

static void check(bool ok, const char *what)
{
	tests++;
	if (!ok)
		failures++;
	pr_info("klp_shadow_api: %sok %d - %s\n", ok ? "" : "not ", tests, what);
}

static int __init api_init(void)
{
	int obj_a, obj_b, v = 42, w = 7;
	int *a, *again, *b, *got;

	pr_info("klp_shadow_api: KTAP version 1\n");
	a = klp_shadow_alloc(&obj_a, ID1, sizeof(int), GFP_KERNEL, api_ctor, &v);
	check(a && *a == 42 && ctor_calls == 1, "alloc runs the ctor with ctor_data");
	check(klp_shadow_get(&obj_a, ID1) == a, "get returns the allocated variable");
	check(!klp_shadow_get(&obj_a, ID2) && !klp_shadow_get(&obj_b, ID1),
	      "get of another id or object returns NULL");
	/* A second alloc of the same <obj, id> fails (and the kernel WARNs). */
	again = klp_shadow_alloc(&obj_a, ID1, sizeof(int), GFP_KERNEL, api_ctor, &w);
	check(!again && *a == 42 && ctor_calls == 1, "alloc twice fails and keeps the first");
	got = klp_shadow_get_or_alloc(&obj_a, ID1, sizeof(int), GFP_KERNEL, api_ctor, &w);
	check(got == a && ctor_calls == 1, "get_or_alloc returns the existing one, no ctor");
	b = klp_shadow_get_or_alloc(&obj_b, ID1, sizeof(int), GFP_KERNEL, api_ctor, &w);
	check(b && *b == 7 && ctor_calls == 2, "get_or_alloc allocates a missing one with the ctor");
	check(!klp_shadow_alloc(&obj_b, ID2, sizeof(int), GFP_KERNEL, failing_ctor, NULL) &&
	      !klp_shadow_get(&obj_b, ID2), "a failing ctor leaves no variable");
	klp_shadow_free(&obj_a, ID1, api_dtor);
	check(!klp_shadow_get(&obj_a, ID1) && dtor_calls == 1 && klp_shadow_get(&obj_b, ID1) == b,
	      "free removes one variable and calls the dtor once");
	klp_shadow_alloc(&obj_a, ID1, sizeof(int), GFP_KERNEL, api_ctor, &v);
	klp_shadow_alloc(&obj_a, ID2, sizeof(int), GFP_KERNEL, api_ctor, &v);
	klp_shadow_free_all(ID1, api_dtor);
	check(!klp_shadow_get(&obj_a, ID1) && !klp_shadow_get(&obj_b, ID1) && dtor_calls == 3,
	      "free_all frees every variable of the id, dtor for each");
	check(klp_shadow_get(&obj_a, ID2) != NULL, "free_all leaves other ids alone");
	klp_shadow_free_all(ID2, NULL);
	check(!klp_shadow_get(&obj_a, ID2), "free_all without a dtor");
	pr_info("klp_shadow_api: 1..%d\n", tests);
	pr_info("klp_shadow_api: %d tests, %d failures\n", tests, failures);
	return 0;
}

static void __exit api_exit(void)
{
}

module_init(api_init);
module_exit(api_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness: shadow variable API edge cases (KTAP in dmesg)");
