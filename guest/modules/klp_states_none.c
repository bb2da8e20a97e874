// SPDX-License-Identifier: GPL-2.0
// Cumulative patch with no states: replacing a patch removes all of its states. See states_api_common.h.
#define PATCH_NAME "klp_states_none"
#define WITH_LOGLEVEL 0
#define WITH_COUNTER 0
#define WITH_STICKY 0
#define CUMULATIVE 1
#include "states_api_common.h"
