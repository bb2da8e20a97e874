// SPDX-License-Identifier: GPL-2.0
// Test-only: klp_state_v1 with a planted defect, for the test that explore finds
// and shrinks a bug (harness/tests/integration/cli_explore_planted_test.sh). Its
// pre_unpatch logs the restore of the console loglevel but does not do it, so
// the system state outlives the last patch carrying it (system-state.rst §3).
// No case of the catalog loads it. See state_common.h.
#define PATCH_NAME "klp_state_planted"
#define STATE_VERSION 1
#define STATE_LOGLEVEL 8
#define CUMULATIVE 1
#define PLANTED_FORGETS_RESTORE 1
#include "state_common.h"
