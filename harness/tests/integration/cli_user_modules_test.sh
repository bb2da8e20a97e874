#!/usr/bin/env bash
# A user's own modules through a generic case, on one arch and kernel: a source
# dir (`--module DIR`, built with kbuild for the kernel) and the .ko it built
# (`--module FILE`); then what must be refused before any guest boots: a module
# built for another kernel (OTHER_KERNEL, same arch) and a plain module where
# a livepatch belongs.
# A case with files: and vars: passes with its PATCH given by --var.
#   cli_user_modules_test.sh KLP_HARNESS_BIN ARCH KERNEL OTHER_KERNEL MODULE_DIR CASES_DIR PARAMS_CASE_DIR
set -uo pipefail
bin=$1 arch=$2 kernel=$3 other=$4 src=$5 cases=$6 params=$7
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out; do echo "--- $f"; tail -30 "$f"; done; exit 1; }
gen=(--var PATCH=klp_user_demo --var PRELOAD= --filter generic/lifecycle --filter generic/reload "$cases/generic")

# 1. The source dir, built for this kernel; prepare prints where the .ko went.
"$bin" prepare --arch "$arch" --kernel "$kernel" --module "$src" > "$tmp/prepare.out" 2>&1 ||
    fail "prepare --module exited $?"
ko=$(sed -n 's|^  module   \(.*/klp_user_demo\.ko\)$|\1|p' "$tmp/prepare.out")
[ -f "$ko" ] || fail "prepare printed no built klp_user_demo.ko"
"$bin" run --jobs 1 --arch "$arch" --kernel "$kernel" --module "$src" --out "$tmp/src" --strict "${gen[@]}" \
    > "$tmp/src.out" 2>&1 || fail "generic cases with --module DIR exited $?"
[ "$(grep -c '^PASS ' "$tmp/src.out")" = 2 ] || fail "expected 2 PASS with --module DIR"

# 2. The built .ko as a file.
cp "$ko" "$tmp/klp_user_demo.ko"
"$bin" run --jobs 1 --arch "$arch" --kernel "$kernel" --module "$tmp/klp_user_demo.ko" --out "$tmp/ko" --strict "${gen[@]}" \
    > "$tmp/ko.out" 2>&1 || fail "generic cases with --module FILE exited $?"
[ "$(grep -c '^PASS ' "$tmp/ko.out")" = 2 ] || fail "expected 2 PASS with --module FILE"
grep -q "klp_user_demo: patched" "$tmp"/ko/generic/lifecycle/*/kernel.log 2>/dev/null ||
    grep -q "livepatch: 'klp_user_demo': patching complete" "$tmp"/ko/generic/lifecycle/*/kernel.log ||
    fail "the kernel log does not show klp_user_demo patching"

# 3. A case with files: and vars: (harness/tests/cases/params), its PATCH given by --var.
"$bin" run --jobs 1 --arch "$arch" --kernel "$kernel" --module "$src" --var PATCH=klp_user_demo --out "$tmp/params" \
    --strict "$params" > "$tmp/params.out" 2>&1 || fail "the files:/vars: case exited $?"
grep -q "^PASS  params/files-and-vars" "$tmp/params.out" || fail "files:/vars: case did not PASS"
grep -q "pushed .*greeting.txt to /tmp/pushed/greeting.txt" "$tmp"/params/params/files-and-vars/*/steps.log ||
    fail "steps.log does not record the pushed file"

# 4. Refused before any boot: built for another kernel, and not a livepatch.
"$bin" prepare --arch "$arch" --kernel "$other" --module "$src" > "$tmp/other.out" 2>&1 || fail "prepare $other exited $?"
otherko=$(sed -n 's|^  module   \(.*/klp_user_demo\.ko\)$|\1|p' "$tmp/other.out")
"$bin" run --arch "$arch" --kernel "$kernel" --module "$otherko" "${gen[@]}" > "$tmp/vermagic.out" 2>&1
rc=$?
[ $rc = 2 ] || fail "a module for $other on $kernel: exit $rc, expected 2"
grep -q "klp_user_demo.ko: built for kernel .*, but $kernel is" "$tmp/vermagic.out" || fail "no vermagic error"
grep -q "booting" "$tmp/vermagic.out" && fail "a guest booted before the vermagic error"
"$bin" run --arch "$arch" --kernel "$kernel" --module "$src" --var PATCH=klp_user_plain --var PRELOAD= \
    --filter generic/lifecycle "$cases/generic" > "$tmp/plain.out" 2>&1
rc=$?
[ $rc = 2 ] || fail "a plain module as the patch: exit $rc, expected 2"
grep -q "lifecycle.yaml:[0-9]*: 'disable' needs a livepatch, but module klp_user_plain" "$tmp/plain.out" ||
    fail "no livepatch error naming the case line"
grep -q "booting" "$tmp/plain.out" && fail "a guest booted before the livepatch error"

if left=$(pgrep -af "$tmp/runs"); then fail "a process of this run is still alive: $left"; fi
echo "PASS: $arch $kernel: --module DIR and FILE through generic cases; files:/vars:; vermagic and livepatch refusals"
