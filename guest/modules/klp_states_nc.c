// SPDX-License-Identifier: GPL-2.0
// Non-cumulative patch with state 2 (counter), stacked on whatever is installed. See states_api_common.h.
#define PATCH_NAME "klp_states_nc"
#define WITH_LOGLEVEL 0
#define WITH_COUNTER 1
#define WITH_STICKY 0
#define CUMULATIVE 0
#include "states_api_common.h"
