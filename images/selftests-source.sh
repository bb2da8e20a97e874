#!/usr/bin/env bash
# Recipe: the kernel's livepatch selftests as Debian ships them, unmodified.
#   selftests-source.sh OUTDIR SOURCE_PKG[=VERSION]
#     SOURCE_PKG: linux-source-6.1, linux-source-6.12, ... (what own-kernel.sh builds from)
# Downloads the package (never installs it) and unpacks from its tarball only what
# the selftests use: tools/testing/selftests/livepatch (scripts, functions.sh, and
# in newer kernels test_modules/), the kselftest helpers beside it, and
# lib/livepatch (the test modules of older kernels, built with CONFIG_TEST_LIVEPATCH).
# KLP_PATCHES (optional, one patch file a line): the kernel entry's patch series,
# of which the parts for those paths are applied, as the kernel got it whole.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1 pkg=$2
mkdir -p "$out"
work=$(mktemp -d "$out/.scratch.XXXXXX")   # inside: a failed entry goes whole
trap 'rm -rf "$work"' EXIT
linux_source_tarball "$work" "$pkg"
# Members are matched under the tarball's top dir (linux-source-X.Y/); a kernel
# without lib/livepatch (newer ones) simply has none.
tar -xf "$TARBALL" -C "$out" --strip-components=1 --wildcards --no-wildcards-match-slash \
    '*/tools/testing/selftests/livepatch' '*/tools/testing/selftests/kselftest*' \
    '*/tools/testing/selftests/lib.mk' '*/lib/livepatch' 2>&1 | grep -v 'Not found in archive' >&2 || true
[ -z "${KLP_PATCHES:-}" ] ||
    "$here/apply-patches.sh" "$out" "$work/patches.log" --only '*/tools/testing/selftests/*' \
        --only '*/lib/livepatch/*' <<< "$KLP_PATCHES"
test -f "$out/tools/testing/selftests/livepatch/functions.sh" ||
    { echo "selftests-source.sh: $pkg has no tools/testing/selftests/livepatch/functions.sh" >&2; exit 1; }
