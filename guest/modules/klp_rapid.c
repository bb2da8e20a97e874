// SPDX-License-Identifier: GPL-2.0
// One source for the 30 patches of cases/cumulative/rapid-*.yaml (see replace_common.h):
// Kbuild makes klp_rapid_cNN.c (cumulative, atomic replace) and klp_rapid_nNN.c
// (non-cumulative, stacked) for NN = 01..15, each defining CUMULATIVE and including
// this file. Each patch's name, the one it logs and returns, is its module's name.
#ifndef CUMULATIVE
#error "klp_rapid.c is built through klp_rapid_cNN.c / klp_rapid_nNN.c (guest/modules/Kbuild)"
#endif
#define PATCH_NAME KBUILD_MODNAME
#define PATCH_VMLINUX 1
#define PATCH_TARGET 1
#include "replace_common.h"
