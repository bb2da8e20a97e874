#!/usr/bin/env bash
# The test command (README, .ci/run): builds, then runs the unit tests and the
# integration tests that boot real guests under QEMU TCG: Debian's 6.1 and 6.12 on
# x86_64, our own 6.1, 6.12 and 7.2 on ppc64le and 7.2 on x86_64 (built on first
# use: 9-15 min each). What does not fit CI's time carries the ctest label
# "nightly" and is left out here: scripts/nightly.sh runs it.
# A full run (no arguments) ends with the hardening check: the unit tests under
# ASan+UBSan and each libFuzzer target for KLP_FUZZ_SECONDS (default 30; 0 skips it).
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
if [ $# -eq 0 ]; then
    (cd build && ctest --output-on-failure -j 2 -LE nightly)
    [ "${KLP_FUZZ_SECONDS:-30}" -gt 0 ] && scripts/sanitize-and-fuzz.sh "${KLP_FUZZ_SECONDS:-30}"
else
    (cd build && ctest --output-on-failure -j 2 "$@")
fi
