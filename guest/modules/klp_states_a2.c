// SPDX-License-Identifier: GPL-2.0
// Cumulative patch with the same states as klp_states_a: takes them over. See states_api_common.h.
#define PATCH_NAME "klp_states_a2"
#define WITH_LOGLEVEL 1
#define WITH_COUNTER 1
#define WITH_STICKY 0
#define CUMULATIVE 1
#include "states_api_common.h"
