/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body of the system-state patches (klp_state_*), following the callback roles of
 * Documentation/livepatch/system-state.rst §4. The state (id STATE_ID) is a real
 * system change: console_loglevel is set to STATE_LOGLEVEL (see the first field
 * of /proc/sys/kernel/printk). Its data remembers the original loglevel so the
 * last patch to go can restore it.
 *
 * The including file defines:
 *   PATCH_NAME       string, the module name in log lines
 *   STATE_VERSION    version of state STATE_ID this patch carries (0: none)
 *   STATE_LOGLEVEL   the loglevel this version sets
 *   CUMULATIVE       1: .replace = true (atomic replace)
 * Every log line: "<PATCH_NAME>: <callback>: state <id> version <v>: ...".
 *
 * PLANTED_FORGETS_RESTORE 1 (klp_state_planted only, a test's planted defect):
 * pre_unpatch logs the restore of the loglevel but leaves it as it is.
 *
 * Module parameter fail_pre_patch=<errno>: pre_patch of the klp_target object
 * fails with -errno after vmlinux's pre_patch allocated the data (scenario
 * "remove any changes when the livepatch cannot get enabled"; load klp_target first).
 */
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#define STATE_ID 1

#ifndef PLANTED_FORGETS_RESTORE
#define PLANTED_FORGETS_RESTORE 0
#endif

static int fail_pre_patch;
module_param(fail_pre_patch, int, 0644);
MODULE_PARM_DESC(fail_pre_patch, "errno for the klp_target object's pre_patch to fail with");

struct loglevel_data {
	int original;  /* console_loglevel before the first patch changed it */
	/*
	 * Patches that carry it: the allocating patch, plus each non-cumulative one
	 * that shares it (a cumulative one takes its predecessor's place). Patches
	 * may be disabled in any order (livepatch.rst §5.4): the lower of two
	 * sharing patches must neither restore the loglevel nor free the data
	 * while the upper one still carries the state.
	 */
	int users;
};

/* This patch counted itself in data->users (post_patch ran, or it allocated). */
static bool data_counted;

static struct klp_patch patch;

#define LOG(cb, fmt, ...) \
	pr_info("%s: %s: state %d version %d: " fmt "\n", PATCH_NAME, cb, STATE_ID, STATE_VERSION, ##__VA_ARGS__)

#if STATE_VERSION
static int state_pre_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, STATE_ID);
	struct klp_state *prev = klp_get_prev_state(STATE_ID);
	struct loglevel_data *data;

	if (prev && prev->data) {
		/* The data already exists: take it over in post_patch. */
		state->data = prev->data;
		LOG("pre_patch", "reusing data of installed version %d (original loglevel %d)",
		    prev->version, ((struct loglevel_data *)prev->data)->original);
		return 0;
	}
	data = kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	data->original = console_loglevel;
	data->users = 1;
	data_counted = true;
	state->data = data;
	LOG("pre_patch", "allocated data (original loglevel %d)", data->original);
	return 0;
}

static void state_post_patch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, STATE_ID);
	struct klp_state *prev = klp_get_prev_state(STATE_ID);

	if (prev && prev->data == state->data && CUMULATIVE) {
		prev->data = NULL;  /* ours now: the replaced patch must not free it */
		/* Atomic replace removed every other patch: we are its only user. */
		((struct loglevel_data *)state->data)->users = 1;
		data_counted = true;
		LOG("post_patch", "took over data from version %d", prev->version);
	} else if (prev && prev->data == state->data) {
		/*
		 * Non-cumulative: the patch below stays installed and keeps owning it.
		 * post_patch runs again when a disable is reversed mid-transition
		 * (livepatch.rst §3): count ourselves once.
		 */
		if (!data_counted)
			((struct loglevel_data *)state->data)->users++;
		data_counted = true;
		LOG("post_patch", "sharing data with installed version %d", prev->version);
	}
	LOG("post_patch", "loglevel %d -> %d", console_loglevel, STATE_LOGLEVEL);
	console_loglevel = STATE_LOGLEVEL;
}

static void state_pre_unpatch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, STATE_ID);
	struct klp_state *prev = klp_get_prev_state(STATE_ID);
	struct loglevel_data *data = state->data;

	/*
	 * Only called on disable. A cumulative patch is then the only one carrying
	 * the state; a non-cumulative one may sit on a patch that keeps it.
	 */
	if (prev) {
		LOG("pre_unpatch", "loglevel stays %d: version %d is still installed",
		    console_loglevel, prev->version);
		return;
	}
	if (data->users > 1) {
		LOG("pre_unpatch", "loglevel stays %d: a patch above still carries the state",
		    console_loglevel);
		return;
	}
	LOG("pre_unpatch", "loglevel %d -> %d (original)", console_loglevel, data->original);
	if (!PLANTED_FORGETS_RESTORE)
		console_loglevel = data->original;
}

static void state_post_unpatch(struct klp_object *obj)
{
	struct klp_state *state = klp_get_state(&patch, STATE_ID);
	struct klp_state *prev = klp_get_prev_state(STATE_ID);

	/*
	 * A patch below us still carries the state: this is a reverted replace
	 * transition (or a non-cumulative patch going away). Its state stays as it
	 * was; the data is its own if we borrowed it.
	 */
	struct loglevel_data *data = state->data;
	bool counted = data_counted;

	data_counted = false;
	if (data && counted)
		data->users--;
	if (prev) {
		if (prev->data == state->data) {
			LOG("post_unpatch", "data stays with installed version %d", prev->version);
			state->data = NULL;
			return;
		}
		LOG("post_unpatch", "installed version %d keeps its state; freeing our data", prev->version);
	} else if (data && data->users > 0) {
		LOG("post_unpatch", "a patch above still uses the data: not freeing it");
		state->data = NULL;
		return;
	} else {
		LOG("post_unpatch", "no patch keeps the state: freeing data");
	}
	kfree(state->data);
	state->data = NULL;
}
#endif /* STATE_VERSION */

/* pre_patch of the klp_target object: may fail on demand, after vmlinux's ran. */
static int target_pre_patch(struct klp_object *obj)
{
	if (fail_pre_patch) {
		LOG("pre_patch", "klp_target: failing with -%d as asked", fail_pre_patch);
		return -fail_pre_patch;
	}
	LOG("pre_patch", "klp_target: ok");
	return 0;
}

static int state_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", PATCH_NAME);
	return 0;
}

static const char *state_klp_target_value(void)
{
	return PATCH_NAME;
}

static struct klp_func vmlinux_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = state_cmdline_proc_show },
	{}
};

/* Replacing the function klp_target's busy tasks sleep in lets a held task
 * block this patch's transition, e.g. to revert it (system-state.rst §3). */
static void state_klp_target_busy_sleep(const char *who)
{
	schedule_timeout_interruptible(HZ / 10);
}

static struct klp_func target_funcs[] = {
	{ .old_name = "klp_target_value", .new_func = state_klp_target_value },
	{ .old_name = "klp_target_busy_sleep", .new_func = state_klp_target_busy_sleep },
	{}
};

static struct klp_object objs[] = {
	{
		.name = NULL,
		.funcs = vmlinux_funcs,
#if STATE_VERSION
		.callbacks = {
			.pre_patch = state_pre_patch,
			.post_patch = state_post_patch,
			.pre_unpatch = state_pre_unpatch,
			.post_unpatch = state_post_unpatch,
		},
#endif
	},
	{
		.name = "klp_target",
		.funcs = target_funcs,
		.callbacks = { .pre_patch = target_pre_patch },
	},
	{}
};

#if STATE_VERSION
static struct klp_state states[] = {
	{ .id = STATE_ID, .version = STATE_VERSION },
	{}
};
#endif

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
#if STATE_VERSION
	.states = states,
#endif
	.replace = CUMULATIVE,
};

static int __init state_init(void)
{
	pr_info("%s: enabling (%s, state %d version %d)\n", PATCH_NAME,
		CUMULATIVE ? "cumulative" : "non-cumulative", STATE_ID, STATE_VERSION);
	return klp_enable_patch(&patch);
}

static void __exit state_exit(void)
{
	pr_info("%s: unloaded\n", PATCH_NAME);
}

module_init(state_init);
module_exit(state_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("klp-harness: system state patch " PATCH_NAME);
