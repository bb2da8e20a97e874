// SPDX-License-Identifier: GPL-2.0
// Target module klp_target: see target_common.h.
#include "target_common.h"
