// SPDX-License-Identifier: GPL-2.0
// Cumulative patch upgrading state 1 to version 2 (console_loglevel 9).
#define PATCH_NAME "klp_state_v2"
#define STATE_VERSION 2
#define STATE_LOGLEVEL 9
#define CUMULATIVE 1
#include "state_common.h"
