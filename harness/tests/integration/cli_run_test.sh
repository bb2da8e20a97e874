#!/usr/bin/env bash
# `klp-harness run` verdicts, as a user sees them:
#   cli_run_test.sh KLP_HARNESS_BIN CASES_DIR KERNEL
# - a case whose expectation the kernel does not meet is FAIL, with the
#   unmatched expectation and the kernel log where it should have matched;
# - a guest panic is ERROR, with the panic's title;
# - a huge command output matches a regex spanning it (no crash);
# - load-fail/unload-fail are judged by the kernel's errno, never vacuously;
# - a bad case file is a one-line error naming file:line, exit 2, before any boot.
set -uo pipefail
bin=$1 cases=$2 kernel=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- output"; cat "$tmp/out"; exit 1; }

"$bin" -q run --kernel "$kernel" --out "$tmp/results" "$cases" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "exit code $rc, expected 1"
grep -q '^FAIL  verdicts/broken-expectation' "$tmp/out" || fail "no FAIL verdict line"
grep -q 'broken-expectation.yaml:6: load klp_basic' "$tmp/out" || fail "FAIL does not name file:line"
grep -q 'no match for "klp_basic: this line is never printed" (case line 9)' "$tmp/out" || fail "no unmatched expectation"
grep -q "livepatch: 'klp_basic': patching complete" "$tmp/out" || fail "no log context in the diff"
grep -q '^ERROR verdicts/panic' "$tmp/out" || fail "no ERROR verdict line"
grep -q 'Kernel panic - not syncing: klp_fault: requested panic' "$tmp/out" || fail "no crash title"
[ -s "$tmp/results/verdicts/panic/x86_64_$kernel/console.log" ] || fail "no console log kept"
grep -q '^PASS  verdicts/large-output' "$tmp/out" || fail "a 100,000-line output did not match"
grep -q '^FAIL  verdicts/unload-fail-never-loaded' "$tmp/out" || fail "unload-fail of a module never loaded passed"
grep -q 'klp_basic is not loaded (ENOENT): no refusal to check' "$tmp/out" || fail "no ENOENT reason"
grep -q '^FAIL  verdicts/load-fail-wrong-errno' "$tmp/out" || fail "load-fail with the wrong errno passed"
grep -q 'loading klp_state_v1 failed with EINVAL, expected EBUSY' "$tmp/out" || fail "no errno from the kernel"

printf 'title: x\nseeds: [y]\nsteps:\n  - load: klp_basic\n    parms: 1\n' > "$tmp/bad.yaml"
"$bin" run --kernel "$kernel" "$tmp/bad.yaml" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || fail "bad case file: exit code $rc, expected 2"
[ "$(wc -l < "$tmp/out")" -eq 1 ] || fail "bad case file: not a one-line error"
grep -q "$tmp/bad.yaml:5: 'load' has no option 'parms'" "$tmp/out" || fail "bad case file: no file:line"
echo "PASS"
