/* SPDX-License-Identifier: GPL-2.0 */
/* What a klp target module exposes to the patches that replace its functions. */
#ifndef KLP_TARGET_H
#define KLP_TARGET_H

#include <linux/list.h>

/* Objects our shadow-variable patches attach data to (items under sysfs). */
struct klp_target_item {
	int id;
	struct list_head list;
};

/* Hooks the target calls and the patches replace (all noinline). */
const char *klp_target_value(void);
void klp_target_busy_sleep(const char *who);
void klp_target_read_sleep(void);
void klp_target_item_created(struct klp_target_item *item);
int klp_target_item_describe(struct klp_target_item *item, char *buf, int len);
void klp_target_item_destroying(struct klp_target_item *item);

#endif
