#!/usr/bin/env bash
# Harness faults leave nothing behind:
#   cli_signals_test.sh KLP_HARNESS_BIN SIGNAL_CASES_DIR KERNEL
# - SIGINT and SIGTERM mid-run: exit 128+N, valid partial reports (the case that
#   finished), no QEMU, no run dir; two SIGINTs force the exit just as cleanly;
# - the harness crashing (SIGSEGV) mid-case: its QEMU is killed at once;
# - SIGKILL mid-case: QEMU survives it; the next run sweeps it and says so;
# - QEMU killed from outside mid-case: ERROR "guest vanished".
set -uo pipefail
bin=$1 cases=$2 kernel=$3
tmp=$(mktemp -d)
runs=$tmp/runs
export KLP_HARNESS_RUNDIR=$runs
trap 'pkill -9 -f "$runs" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }
qemus() { pgrep -f "qemu-system.*$runs" | wc -l; }
wait_for() { # what command...: up to 300 s
    local what=$1; shift
    for _ in $(seq 1500); do "$@" && return 0; sleep 0.2; done
    fail "timed out waiting for $what"
}
long_case_running() { grep -q '^PASS  signals/1-quick' "$1" && [ "$(qemus)" -ge 1 ]; }

# Starts a run in the background; $pid is the harness.
start_run() { # name
    "$bin" -q run --kernel "$kernel" --out "$tmp/$1-results" "$cases" > "$tmp/$1.out" 2>&1 &
    pid=$!
    wait_for "$1: the long case's guest" long_case_running "$tmp/$1.out"
    sleep 8  # the guest is up: well inside the long case's step
}

check_clean() { # name
    [ "$(qemus)" -eq 0 ] || fail "$1: QEMU left running"
    [ -z "$(ls -A "$runs")" ] || fail "$1: run dir left: $(ls "$runs")"
}

check_partial_reports() { # name
    local r=$tmp/$1-results
    python3 -c "import json,sys; d=json.load(open('$r/results.json')); sys.exit(0 if any(c['case']=='signals/1-quick' and c['verdict']=='PASS' for c in d['results']) else 1)" ||
        fail "$1: results.json lacks the finished case"
    for f in results.ktap junit.xml report.html; do [ -s "$r/$f" ] || fail "$1: no partial $f"; done
}

for sig in INT TERM; do
    start_run "sig$sig"
    kill -$sig $pid
    wait $pid; rc=$?
    want=$((128 + $(kill -l $sig)))
    [ $rc -eq $want ] || fail "SIG$sig: exit code $rc, expected $want"
    check_clean "SIG$sig"
    check_partial_reports "sig$sig"
done

start_run twice
kill -INT $pid; sleep 0.2; kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] || fail "two SIGINTs: exit code $rc, expected 130"
grep -q 'second signal' "$tmp/twice.out" || fail "two SIGINTs: no forced cleanup"
check_clean "two SIGINTs"

start_run segv
kill -SEGV $pid
wait $pid; rc=$?
[ $rc -eq 139 ] || fail "SIGSEGV: exit code $rc, expected 139"
sleep 1
[ "$(qemus)" -eq 0 ] || fail "SIGSEGV: the crashed harness left its QEMU running"
"$bin" -q exec --kernel "$kernel" -- true > "$tmp/after-segv.out" 2>&1 || fail "exec after SIGSEGV failed"
check_clean "SIGSEGV, then a run"

start_run kill
kill -KILL $pid
wait $pid
[ "$(qemus)" -ge 1 ] || fail "SIGKILL: expected its QEMU to survive (libvirt's embedded QEMU outlives us)"
"$bin" exec --kernel "$kernel" -- true > "$tmp/after-kill.out" 2>&1 || fail "exec after SIGKILL failed"
grep -Eq "removed $runs/r.*left by a run that was killed \(killed its [12] QEMU process(es)?\)" "$tmp/after-kill.out" ||
    fail "SIGKILL: the next run did not say what it swept"
check_clean "SIGKILL, then a run"

"$bin" -q run --kernel "$kernel" --out "$tmp/vanish-results" "$cases" > "$tmp/vanish.out" 2>&1 &
pid=$!
wait_for "vanish: the long case's guest" long_case_running "$tmp/vanish.out"
sleep 8
pkill -9 -f "qemu-system.*$runs"
wait $pid; rc=$?
[ $rc -eq 1 ] || fail "QEMU killed: exit code $rc, expected 1"
grep -q '^ERROR signals/2-long' "$tmp/vanish.out" || fail "QEMU killed: no ERROR"
grep -q 'guest vanished' "$tmp/vanish.out" || fail "QEMU killed: reason is not 'guest vanished'"
check_clean "QEMU killed"
echo PASS
