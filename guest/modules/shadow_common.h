/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the shadow-variable patches (klp_shadow, klp_shadow2), for
 * Documentation/livepatch/shadow-vars.rst. They attach a shadow variable
 * (id SHADOW_ID: a "generation" counter) to every klp_target item:
 *  - klp_target_item_created (patched): klp_shadow_alloc() for new items
 *  - klp_target_item_describe (patched): klp_shadow_get_or_alloc(), so items made
 *    before the patch get theirs lazily; prints "item <id> shadow <value> (<patch>)"
 *  - klp_target_item_destroying (patched): klp_shadow_free() with the dtor
 *  - post_unpatch (disable only: on replace the new patch's callbacks run, and
 *    klp_shadow2 keeps using the same variables): klp_shadow_free_all() + dtor
 * The ctor and dtor log every call, so a case can count them.
 *
 * The including file defines PATCH_NAME and CUMULATIVE.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "klp_target.h"

#define SHADOW_ID 0x4b4c5001  /* "KLP" 1 */

struct shadow_gen {
	int value;
};

static int next_value = 100;

static int shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct shadow_gen *gen = shadow_data;

	gen->value = *(int *)ctor_data;
	pr_info("%s: shadow ctor: item %d value %d\n", PATCH_NAME,
		((struct klp_target_item *)obj)->id, gen->value);
	return 0;
}

static void shadow_dtor(void *obj, void *shadow_data)
{
	pr_info("%s: shadow dtor: item %d value %d\n", PATCH_NAME,
		((struct klp_target_item *)obj)->id, ((struct shadow_gen *)shadow_data)->value);
}

static void shadow_item_created(struct klp_target_item *item)
{
	int value = next_value++;

	if (!klp_shadow_alloc(item, SHADOW_ID, sizeof(struct shadow_gen), GFP_KERNEL,
			      shadow_ctor, &value))
		pr_info("%s: shadow alloc failed for item %d\n", PATCH_NAME, item->id);
}

static int shadow_item_describe(struct klp_target_item *item, char *buf, int len)
{
	struct shadow_gen *gen = klp_shadow_get(item, SHADOW_ID);
	int value = next_value;

	if (!gen) {
		gen = klp_shadow_get_or_alloc(item, SHADOW_ID, sizeof(*gen), GFP_KERNEL,
					      shadow_ctor, &value);
		if (!gen)
			return scnprintf(buf, len, "item %d no shadow (%s)\n", item->id, PATCH_NAME);
		next_value++;
	}
	return scnprintf(buf, len, "item %d shadow %d (%s)\n", item->id, gen->value, PATCH_NAME);
}

static void shadow_item_destroying(struct klp_target_item *item)
{
	klp_shadow_free(item, SHADOW_ID, shadow_dtor);
}

static struct klp_func target_funcs[] = {
	{ .old_name = "klp_target_item_created", .new_func = shadow_item_created },
	{ .old_name = "klp_target_item_describe", .new_func = shadow_item_describe },
	{ .old_name = "klp_target_item_destroying", .new_func = shadow_item_destroying },
	{}
};

static void shadow_post_patch(struct klp_object *obj)
{
	pr_info("%s: post_patch: %s: shadow variables in use\n", PATCH_NAME, obj->name);
}

static void shadow_post_unpatch(struct klp_object *obj)
{
	pr_info("%s: post_unpatch: %s: freeing all shadow variables\n", PATCH_NAME, obj->name);
	klp_shadow_free_all(SHADOW_ID, shadow_dtor);
}

static struct klp_object objs[] = {
	{
		.name = "klp_target",
		.funcs = target_funcs,
		.callbacks = {
			.post_patch = shadow_post_patch,
			.post_unpatch = shadow_post_unpatch,
		},
	},
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = CUMULATIVE,
};

static int __init shadow_init(void)
{
	pr_info("%s: enabling (%s)\n", PATCH_NAME, CUMULATIVE ? "cumulative" : "non-cumulative");
	return klp_enable_patch(&patch);
}

static void __exit shadow_exit(void)
{
	pr_info("%s: unloaded\n", PATCH_NAME);
}

module_init(shadow_init);
module_exit(shadow_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: shadow variable patch " PATCH_NAME);
