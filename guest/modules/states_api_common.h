/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the patches for the proposed states API (klp_states_*): the API of the
 * series "livepatch: Better integrate callbacks and shadow variables with the
 * states API" (LPC 2023's "Simplify Livepatch Callbacks, Shadow Variables, and
 * States handling"). There a state carries its own callbacks, which the core
 * runs only when a patch introduces the state or the last patch with it goes;
 * is_shadow binds shadow variables of the state's id to the state's lifetime;
 * block_disable makes a state impossible to remove. No version, no data.
 * Built only against a kernel with that API (see Kbuild).
 *
 * The states, each a real change or a plain record of its callbacks:
 *   1  loglevel  (is_shadow) pre_patch saves console_loglevel in a shadow
 *                variable (id 1, on console_printk), post_patch sets 8,
 *                pre_unpatch restores the saved value; the core frees the
 *                shadow variable after post_unpatch, through shadow_dtor.
 *   2  counter   callbacks only: each one logs.
 *   3  sticky    block_disable: the patch cannot be disabled, and a
 *                cumulative patch without state 3 cannot replace it.
 * The including file defines PATCH_NAME, CUMULATIVE and which states it
 * carries: WITH_LOGLEVEL, WITH_COUNTER, WITH_STICKY (0 or 1).
 * Every callback logs "<PATCH_NAME>: <callback>: state <id> (<name>)[: ...]".
 *
 * Module parameter fail_state=<id>: that state's pre_patch fails with -EINVAL
 * (after the states before it succeeded).
 *
 * /proc/cmdline reads "<PATCH_NAME>: loglevel shadow: <saved value | none>":
 * whether the shadow variable of state 1 exists, whoever made it.
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/seq_file.h>

#define LOGLEVEL_STATE 1
#define COUNTER_STATE 2
#define STICKY_STATE 3
#define LOGLEVEL_SET 8

static int fail_state;
module_param(fail_state, int, 0644);
MODULE_PARM_DESC(fail_state, "id of the state whose pre_patch fails with -EINVAL");

/* The shadow variable of state 1 hangs on this object: the same for every patch. */
#define LOGLEVEL_SHADOW_OBJ ((void *)console_printk)

static __maybe_unused const char *state_name(unsigned long id)
{
	switch (id) {
	case LOGLEVEL_STATE: return "loglevel";
	case COUNTER_STATE: return "counter";
	case STICKY_STATE: return "sticky";
	}
	return "?";
}

/* A patch without states (klp_states_none) uses none of the callbacks below. */
#define LOG(cb, state, fmt, ...) \
	pr_info("%s: %s: state %lu (%s)" fmt "\n", PATCH_NAME, cb, (state)->id, state_name((state)->id), ##__VA_ARGS__)

static __maybe_unused int states_pre_patch(struct klp_patch *patch, struct klp_state *state)
{
	int *saved;

	if (fail_state == state->id) {
		LOG("pre_patch", state, ": failing with -EINVAL as asked");
		return -EINVAL;
	}
	if (state->id != LOGLEVEL_STATE) {
		LOG("pre_patch", state, "");
		return 0;
	}
	saved = klp_shadow_alloc(LOGLEVEL_SHADOW_OBJ, LOGLEVEL_STATE, sizeof(*saved), GFP_KERNEL, NULL, NULL);
	if (!saved)
		return -ENOMEM;
	*saved = console_loglevel;
	LOG("pre_patch", state, ": saved loglevel %d in a shadow variable", *saved);
	return 0;
}

static __maybe_unused void states_post_patch(struct klp_patch *patch, struct klp_state *state)
{
	if (state->id != LOGLEVEL_STATE) {
		LOG("post_patch", state, "");
		return;
	}
	LOG("post_patch", state, ": loglevel %d -> %d", console_loglevel, LOGLEVEL_SET);
	console_loglevel = LOGLEVEL_SET;
}

static __maybe_unused void states_pre_unpatch(struct klp_patch *patch, struct klp_state *state)
{
	int *saved;

	if (state->id != LOGLEVEL_STATE) {
		LOG("pre_unpatch", state, "");
		return;
	}
	saved = klp_shadow_get(LOGLEVEL_SHADOW_OBJ, LOGLEVEL_STATE);
	if (!saved) {
		LOG("pre_unpatch", state, ": no shadow variable: loglevel stays %d", console_loglevel);
		return;
	}
	LOG("pre_unpatch", state, ": loglevel %d -> %d (saved)", console_loglevel, *saved);
	console_loglevel = *saved;
}

static __maybe_unused void states_post_unpatch(struct klp_patch *patch, struct klp_state *state)
{
	LOG("post_unpatch", state, "");
}

/* Called by the core for is_shadow states, after post_unpatch. */
static __maybe_unused void loglevel_shadow_dtor(void *obj, void *shadow_data)
{
	pr_info("%s: shadow_dtor: state 1 (loglevel): freeing saved loglevel %d\n", PATCH_NAME,
		*(int *)shadow_data);
}

#define STATE_CALLBACKS                                 \
	.pre_patch = states_pre_patch,                  \
	.post_patch = states_post_patch,                \
	.pre_unpatch = states_pre_unpatch,              \
	.post_unpatch = states_post_unpatch

static struct klp_state states[] = {
#if WITH_LOGLEVEL
	{ .id = LOGLEVEL_STATE, .is_shadow = true,
	  .callbacks = { STATE_CALLBACKS, .shadow_dtor = loglevel_shadow_dtor } },
#endif
#if WITH_COUNTER
	{ .id = COUNTER_STATE, .callbacks = { STATE_CALLBACKS } },
#endif
#if WITH_STICKY
	{ .id = STICKY_STATE, .block_disable = true, .callbacks = { STATE_CALLBACKS } },
#endif
	{}
};

static int states_cmdline_proc_show(struct seq_file *m, void *v)
{
	int *saved = klp_shadow_get(LOGLEVEL_SHADOW_OBJ, LOGLEVEL_STATE);

	if (saved)
		seq_printf(m, "%s: loglevel shadow: %d\n", PATCH_NAME, *saved);
	else
		seq_printf(m, "%s: loglevel shadow: none\n", PATCH_NAME);
	return 0;
}

static struct klp_func funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = states_cmdline_proc_show },
	{}
};

static struct klp_object objs[] = {
	{ .name = NULL, .funcs = funcs },
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.states = states,
	.replace = CUMULATIVE,
};

static int states_init(void)
{
	return klp_enable_patch(&patch);
}

static void states_exit(void)
{
}

module_init(states_init);
module_exit(states_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness: proposed states API patch " PATCH_NAME);
MODULE_INFO(livepatch, "Y");
