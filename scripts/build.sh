#!/usr/bin/env bash
# Installs what is missing (apt-get), then configures and builds into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build -j "$(nproc)"
echo "build: ok -> build/harness/klp-harness"
