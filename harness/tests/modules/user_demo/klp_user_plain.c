// SPDX-License-Identifier: GPL-2.0
/* A plain module: what the harness must refuse where a livepatch belongs. */
#include <linux/module.h>

static int __init plain_init(void)
{
	return 0;
}

static void __exit plain_exit(void)
{
}

module_init(plain_init);
module_exit(plain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-harness test: a plain (non-livepatch) module");
