// SPDX-License-Identifier: GPL-2.0
// Cumulative patch introducing state 1 version 1 (console_loglevel 8). See state_common.h.
#define PATCH_NAME "klp_state_v1"
#define STATE_VERSION 1
#define STATE_LOGLEVEL 8
#define CUMULATIVE 1
#include "state_common.h"
