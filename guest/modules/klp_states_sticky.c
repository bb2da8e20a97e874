// SPDX-License-Identifier: GPL-2.0
// Cumulative patch with state 3 (sticky, block_disable). See states_api_common.h.
#define PATCH_NAME "klp_states_sticky"
#define WITH_LOGLEVEL 0
#define WITH_COUNTER 0
#define WITH_STICKY 1
#define CUMULATIVE 1
#include "states_api_common.h"
