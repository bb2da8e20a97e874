// SPDX-License-Identifier: GPL-2.0
// Cumulative patch with the same state 1 version 1: takes the state over from klp_state_v1.
#define PATCH_NAME "klp_state_v1b"
#define STATE_VERSION 1
#define STATE_LOGLEVEL 8
#define CUMULATIVE 1
#include "state_common.h"
