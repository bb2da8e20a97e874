#!/usr/bin/env bash
# Guest faults end their case quickly with the right verdict and title, and the
# next case runs as usual:
#   cli_faults_test.sh KLP_HARNESS_BIN FAULT_CASES_DIR KERNEL
# Bounds (case wall time, boot included, on a busy 2-core TCG host): an oops or
# BUG ends its case within 45 s (the step behind it would sleep 60 s); the CPU
# hog within 90 s (RCU stall after ~21 s; its step would wait 300 s); the stuck
# transition FAILs at its 8 s timeout with the blocking task's stack.
set -uo pipefail
bin=$1 cases=$2 kernel=$3
. "$(dirname "$0")/verdict_lines.sh"

"$bin" -q run --kernel "$kernel" --out "$tmp/results" "$cases" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "exit code $rc, expected 1"
within ERROR faults/1-oops 45
grep -q 'BUG: kernel NULL pointer dereference' "$tmp/out" || fail "no oops title"
within ERROR faults/2-bug 45
grep -q 'kernel BUG at klp_fault.c' "$tmp/out" || fail "no BUG title"
within ERROR faults/3-warn 60
grep -q 'WARNING: .*klp_fault' "$tmp/out" || fail "no WARNING title"
within ERROR faults/4-hang 90
grep -Eq 'RCU stall|soft lockup' "$tmp/out" || fail "no stall title for the CPU hog"
within FAIL faults/5-stuck-transition 60
grep -q 'task [0-9]* klp_target_busy patch_state=0, not yet 1' "$tmp/out" || fail "no stuck task in the dump"
grep -q 'klp_target_busy_sleep' "$tmp/results/faults/5-stuck-transition/x86_64_$kernel/stuck.txt" ||
    fail "no stack in stuck.txt"
grep -qi 'sysrq: *show blocked state' "$tmp/results/faults/5-stuck-transition/x86_64_$kernel/kernel.log" ||
    fail "no sysrq w in kernel.log"
grep -q '^PASS  faults/6-after-faults' "$tmp/out" || fail "the case after the faults did not pass"
pgrep -f "$tmp/runs" > /dev/null && fail "QEMU left running"
[ -z "$(ls -A "$tmp/runs")" ] || fail "run dir left: $(ls "$tmp/runs")"
echo PASS
