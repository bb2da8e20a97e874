// SPDX-License-Identifier: GPL-2.0
// Cumulative patch that no longer carries state 1: refused while the state is installed (rule 3).
#define PATCH_NAME "klp_state_none"
#define STATE_VERSION 0
#define STATE_LOGLEVEL 0
#define CUMULATIVE 1
#include "state_common.h"
