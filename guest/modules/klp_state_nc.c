// SPDX-License-Identifier: GPL-2.0
// Non-cumulative patch touching the already modified state 1 version 1.
#define PATCH_NAME "klp_state_nc"
#define STATE_VERSION 1
#define STATE_LOGLEVEL 8
#define CUMULATIVE 0
#include "state_common.h"
