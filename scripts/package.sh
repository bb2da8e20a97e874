#!/usr/bin/env bash
# Builds the Debian package: build/klp-harness_<version>_<arch>.deb (cmake/Packaging.cmake
# says what goes in it and what it depends on). Install it with `apt install ./build/klp-harness_*.deb`.
#   scripts/package.sh [BUILD_DIR]    (default build/; configured and built if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build "$build" -j "$(nproc)" --target klp-harness
# cpack installs into its own staging dir under the build dir and packs from there.
deb=$(cd "$build" && cpack -G DEB | sed -n 's/^CPack: - package: \(.*\.deb\) generated\.$/\1/p')
[ -n "$deb" ] || { echo "package: cpack produced no .deb" >&2; exit 1; }
echo "package: ok -> $deb"
