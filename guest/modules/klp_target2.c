// SPDX-License-Identifier: GPL-2.0
// A second target module (same functions, own object name): see target_common.h.
#include "target_common.h"
