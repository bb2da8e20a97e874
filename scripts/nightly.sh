#!/usr/bin/env bash
# The nightly job: what CI's 90 minutes cannot hold, on top of scripts/test.sh.
#   scripts/nightly.sh [ctest args...]
# - the ctest tests labelled "nightly": a real source patch made a livepatch by the
#   kernel's klp-build and run through the generic lifecycle case (the first patch
#   of a kernel builds the whole kernel: 15-20 min cold), and the kernel's own 7.2
#   livepatch selftests, unmodified, on ppc64le own-7.2 (x86_64's run in CI);
#   own-7.2-klp-states (7.2 + the proposed states API series from KLP_STATES_SERIES,
#   else ../shared/seed-002 beside the checkout; without it those tests SKIP) built
#   and run on both arches; bisect over the Debian 6.1 binaries and over the commits
#   of a git history written on top of linux-source-6.1 (build/bisect-tree keeps
#   it); the kernel's own selftests on debian-7.2 (sid's kernel and compiler);
# - the fuzzers for KLP_NIGHTLY_FUZZ_SECONDS each (default 600).
# Prints how long each part took; exits non-zero when any part fails.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh || exit 1
rc=0
s=$SECONDS
(cd build && ctest --output-on-failure -j 2 -L nightly "$@") || rc=1
echo "nightly: ctest -L nightly took $(( SECONDS - s )) s (rc=$rc)"
if [ $# -eq 0 ]; then
    s=$SECONDS
    scripts/sanitize-and-fuzz.sh "${KLP_NIGHTLY_FUZZ_SECONDS:-600}" || rc=1
    echo "nightly: sanitizers and fuzzers took $(( SECONDS - s )) s"
fi
exit $rc
