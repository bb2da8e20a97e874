#!/usr/bin/env bash
# --patch FILE.patch through the kernel's own klp-build, on own-7.2:
#   cli_patch_test.sh KLP_HARNESS_BIN TESTS_DIR errors LIFECYCLE_CASE
#     a patch that does not apply, one klp-build refuses (lib/ is not livepatched)
#     and any patch on ppc64le (7.2's klp-build is x86_64 only) each end in exit 2
#     with one line naming the patch file, and no guest boots;
#   cli_patch_test.sh KLP_HARNESS_BIN TESTS_DIR pass LIFECYCLE_CASE
#     a real patch (cmdline.patch: /proc/cmdline gains a word) becomes
#     livepatch_cmdline.ko, passes cases/generic/lifecycle and a case that sees the
#     word only while the patch is enabled; a second run takes it from the cache.
set -uo pipefail
bin=$1 tests=$(cd "$2" && pwd) mode=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 30 "$tmp/out"; }; exit 1; }
patches=$tests/patches

lifecycle=$4
expect_error() { # name regex patch args... (the patch through cases/generic/lifecycle)
    local name=$1 want=$2 patch=$3
    shift 3
    local module
    module=livepatch_$(basename "${patch%.*}" | tr -c 'A-Za-z0-9_\n' _)
    "$bin" run "$@" --patch "$patch" --var PATCH="$module" --var PRELOAD= --out "$tmp/$name" "$lifecycle" \
        > "$tmp/out" 2>&1
    local rc=$?
    [ "$rc" -eq 2 ] || fail "$name: exit $rc, expected 2"
    local errors
    errors=$(grep -c '^klp-harness: error: ' "$tmp/out")
    [ "$errors" -eq 1 ] || fail "$name: $errors error lines, expected 1"
    grep -qE "^klp-harness: error: $want" "$tmp/out" || fail "$name: the error is not '$want'"
    ! grep -q "booting " "$tmp/out" || fail "$name: a guest booted"
    echo "$name: $(grep '^klp-harness: error: ' "$tmp/out")"
}

case $mode in
errors)
    expect_error stale "$patches/stale.patch:6: hunk 1 of fs/proc/cmdline.c does not apply" \
        "$patches/stale.patch" --kernel own-7.2
    expect_error refused "$patches/lib-ctype.patch: klp-build refused it: unsupported patch to lib/ctype.c" \
        "$patches/lib-ctype.patch" --kernel own-7.2
    expect_error ppc64le "--patch $patches/cmdline.patch: not supported on ppc64le by the kernel's klp-build" \
        "$patches/cmdline.patch" --arch ppc64le --kernel own-7.2
    expect_error not-a-diff "$tests/cases/patch/cmdline.yaml:1: not a unified diff" \
        "$tests/cases/patch/cmdline.yaml" --kernel own-7.2
    ;;
pass)
    s=$(date +%s)
    "$bin" run --kernel own-7.2 --patch "$patches/cmdline.patch" --var PATCH=livepatch_cmdline --var PRELOAD= \
        --out "$tmp/pass" "$lifecycle" "$tests/cases/patch" > "$tmp/out" 2>&1 || fail "run with --patch: exit $?"
    first=$(( $(date +%s) - s ))
    grep -E '^PASS  (generic/lifecycle|patch/cmdline) ' "$tmp/out" | wc -l | grep -qx 2 || fail "not both cases PASS"
    s=$(date +%s)
    "$bin" -q prepare --kernel own-7.2 --patch "$patches/cmdline.patch" > "$tmp/out" 2>&1 || fail "cached prepare: exit $?"
    cached=$(( $(date +%s) - s ))
    [ "$cached" -lt 60 ] || fail "the cached patch module took $cached s"
    echo "--patch cmdline.patch: run $first s (klp-build unless cached, then two cases), cached prepare $cached s"
    ;;
*) echo "usage: $0 BIN TESTS_DIR errors|pass LIFECYCLE_CASE" >&2; exit 2 ;;
esac
echo PASS
