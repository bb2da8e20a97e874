// SPDX-License-Identifier: GPL-2.0
// Cumulative patch with states 1 (loglevel, is_shadow) and 2 (counter). See states_api_common.h.
#define PATCH_NAME "klp_states_a"
#define WITH_LOGLEVEL 1
#define WITH_COUNTER 1
#define WITH_STICKY 0
#define CUMULATIVE 1
#include "states_api_common.h"
