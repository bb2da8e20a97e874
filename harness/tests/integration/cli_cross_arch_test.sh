#!/usr/bin/env bash
# A run over both arches, as a nightly cross-arch job runs it:
#   cli_cross_arch_test.sh KLP_HARNESS_BIN CATALOG_DIR TEST_CASES_DIR
# - one catalog case behaves alike on x86_64 and ppc64le: one row, no mark;
# - a case that only holds on x86_64 (harness/tests/cases/cross) is marked, and
#   the view names its step with each arch's outcome and the ppc64le message;
# - a case that gives each arch its own step (`arch:`) runs the right one on each
#   and is shown as alike.
set -uo pipefail
bin=$1 catalog=$2 cases=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- output"; cat "$tmp/out"; exit 1; }

"$bin" -q run --kernel x86_64:debian-6.12 --kernel ppc64le:own-6.12 --out "$tmp/results" \
    "$catalog/sysfs/patch-attributes.yaml" "$cases/cross" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "exit code $rc, expected 1 (the x86_64-only case fails on ppc64le)"
grep -q '^PASS  sysfs/patch-attributes  *x86_64/debian-6.12' "$tmp/out" || fail "no x86_64 verdict"
grep -q '^PASS  sysfs/patch-attributes  *ppc64le/own-6.12' "$tmp/out" || fail "no ppc64le verdict"
grep -q '^cross-arch view (3 cases' "$tmp/out" || fail "no cross-arch view"
grep -Eq '^  cross/machine-per-arch +PASS +PASS$' "$tmp/out" || fail "per-arch steps not alike"
grep -Eq '^  sysfs/patch-attributes +PASS +PASS$' "$tmp/out" || fail "alike case not shown as alike"
grep -Eq '^\* cross/machine-is-x86_64 +PASS +FAIL$' "$tmp/out" || fail "differing case not marked"
grep -Eq "^ +.*cross/machine-is-x86_64.yaml:6 run uname -m: pass on x86_64/debian-6.12; fail on ppc64le/own-6.12 \(.*ppc64le" \
    "$tmp/out" || fail "differing step not named with both outcomes"
# `report DIR` shows the same view from results.json alone.
"$bin" report "$tmp/results" > "$tmp/out" 2>&1 || fail "report failed"
grep -Eq '^\* cross/machine-is-x86_64 +PASS +FAIL$' "$tmp/out" || fail "report: no cross-arch view"
echo "PASS"
