#!/usr/bin/env bash
# The test command (README, .ci/run): builds, then runs the unit tests and the
# integration tests that boot real guests (Debian 6.1 and 6.12 under QEMU TCG).
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
cd build
ctest --output-on-failure -j 2 "$@"
