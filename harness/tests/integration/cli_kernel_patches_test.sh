#!/usr/bin/env bash
# A kernel entry's patches: (README, "Adding a kernel"), the ways it goes wrong:
#   cli_kernel_patches_test.sh KLP_HARNESS_BIN TESTS_DIR
# a patch that does not apply stops the build before it compiles anything, in one
# line naming the kernel file and line, the patch, the file it fails on and the
# hunk, and leaves no cache entry; an unset ${VAR} and a missing patch file are
# one line each before anything is downloaded.
set -uo pipefail
bin=$1 tests=$(cd "$2" && pwd)
tmp=$(mktemp -d)
export KLP_HARNESS_RUNDIR=$tmp/runs
cache=${XDG_CACHE_HOME:-$HOME/.cache}/klp-harness
trap 'rm -rf "$tmp"; rm -rf "$cache"/kernels/own-7.2-klp-test-*' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 20 "$tmp/out"; }; exit 1; }

cat > "$tmp/kernels.yaml" <<YAML
kernels:
  - name: own-7.2-klp-test-stale
    debian-source: linux-source-7.2
    suite: sid
    patches: [$tests/patches/cmdline.patch, $tests/patches/stale.patch]
  - name: own-7.2-klp-test-unset
    debian-source: linux-source-7.2
    suite: sid
    patches: ['\${KLP_TEST_NO_SUCH_VAR}/01.eml']
  - name: own-7.2-klp-test-missing
    debian-source: linux-source-7.2
    suite: sid
    patches: [no-such.patch]
YAML
unset KLP_TEST_NO_SUCH_VAR

expect_error() { # name regex kernel
    local name=$1 want=$2 kernel=$3 s rc errors
    s=$(date +%s)
    "$bin" --kernels "$tmp/kernels.yaml" prepare --arch x86_64 --kernel "$kernel" > "$tmp/out" 2>&1
    rc=$?
    [ "$rc" -eq 2 ] || fail "$name: exit $rc, expected 2"
    errors=$(grep -c '^klp-harness: error: ' "$tmp/out")
    [ "$errors" -eq 1 ] || fail "$name: $errors error lines, expected 1"
    [ "$(grep -vc '^klp-harness: ' "$tmp/out")" -eq 0 ] || fail "$name: more than progress and the error"
    grep -qE "^klp-harness: error: $want" "$tmp/out" || fail "$name: the error is not '$want'"
    ! grep -q "still building" "$tmp/out" || fail "$name: it compiled before refusing"
    echo "$name ($(( $(date +%s) - s )) s): $(grep '^klp-harness: error: ' "$tmp/out")"
}

f=$tmp/kernels.yaml
expect_error unset "$f:6: kernel 'own-7.2-klp-test-unset' needs KLP_TEST_NO_SUCH_VAR set" own-7.2-klp-test-unset
expect_error missing "$f:10: kernel 'own-7.2-klp-test-missing': patch $tmp/no-such.patch: no such file" \
    own-7.2-klp-test-missing
expect_error stale "$f:2: kernel 'own-7.2-klp-test-stale': patch stale.patch does not apply to fs/proc/cmdline.c: Hunk #1 FAILED at 9\." \
    own-7.2-klp-test-stale
grep -q "applying cmdline.patch" "$tmp/out" || fail "the patch before it was not applied first"
ls -d "$cache"/kernels/own-7.2-klp-test-stale-* 2>/dev/null | grep -v '\.lock$' && fail "a cache entry was left"
"$bin" --kernels "$tmp/kernels.yaml" kernels > "$tmp/out" 2>&1 || fail "kernels failed"
grep -qE '^ +needs: KLP_TEST_NO_SUCH_VAR set' "$tmp/out" || fail "kernels does not say what own-7.2-klp-test-unset needs"
echo "PASS"
