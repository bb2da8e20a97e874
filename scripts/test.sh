#!/usr/bin/env bash
# The test command (README, .ci/run): builds, then runs the unit tests and the
# integration tests that boot real guests under QEMU TCG: Debian's 6.1 and 6.12 on
# x86_64, our own 6.1 and 6.12 on ppc64le (built on first use: 15-20 min each).
# A full run (no arguments) ends with the hardening check: the unit tests under
# ASan+UBSan and each libFuzzer target for KLP_FUZZ_SECONDS (default 90; 0 skips it).
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
(cd build && ctest --output-on-failure -j 2 "$@")
if [ $# -eq 0 ] && [ "${KLP_FUZZ_SECONDS:-90}" -gt 0 ]; then
    scripts/sanitize-and-fuzz.sh "${KLP_FUZZ_SECONDS:-90}"
fi
