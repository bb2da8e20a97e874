// SPDX-License-Identifier: GPL-2.0
// Cumulative patch keeping state 3 (sticky) and adding state 1 (loglevel). See states_api_common.h.
#define PATCH_NAME "klp_states_sticky2"
#define WITH_LOGLEVEL 1
#define WITH_COUNTER 0
#define WITH_STICKY 1
#define CUMULATIVE 1
#include "states_api_common.h"
