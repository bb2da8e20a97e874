// SPDX-License-Identifier: GPL-2.0
// Cumulative patch keeping state 1 (loglevel) and dropping state 2 (counter). See states_api_common.h.
#define PATCH_NAME "klp_states_b"
#define WITH_LOGLEVEL 1
#define WITH_COUNTER 0
#define WITH_STICKY 0
#define CUMULATIVE 1
#include "states_api_common.h"
