#!/usr/bin/env bash
# `klp-harness explore` against a real kernel:
#   cli_explore_test.sh BIN sweep ARCH KERNEL SEED SEQUENCES LENGTH
#     every generated sequence must agree with the reference model (exit 0): a
#     divergence is a finding to explain (fix the model, our modules or say the
#     kernel is wrong), never a test to loosen. Held transitions must be among
#     them, or the sweep proved nothing about transitions.
#   cli_explore_test.sh BIN planted ARCH KERNEL
#     klp_state_planted (test-only: its pre_unpatch forgets to restore the
#     loglevel) must make explore FAIL, every re-run too, and leave a case of at
#     most 4 operations in found/ that fails on its own with `run`.
set -uo pipefail
bin=$1 mode=$2 arch=$3 kernel=$4
tmp=$(mktemp -d)
export KLP_HARNESS_RUNDIR=$tmp/runs
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- output"; tail -60 "$tmp/out"; exit 1; }
# --jobs 1: ctest -j 2 runs another guest test beside this one on 2 cores.
explore() { "$bin" -q explore --arch "$arch" --kernel "$kernel" --jobs 1 --out "$tmp/x" "$@" > "$tmp/out" 2>&1; }

case $mode in
sweep)
    seed=$5 n=$6 len=$7
    start=$SECONDS
    explore --seed "$seed" --sequences "$n" --length "$len"
    rc=$?
    [ "$rc" -eq 0 ] || fail "explore exit $rc: a sequence diverged from the model (see found/ and the note above)"
    grep -q "^explore --seed $seed: $n sequence(s), $n passed" "$tmp/out" || fail "not $n of $n passed"
    short=$(python3 -c "
import json; j = json.load(open('$tmp/x/explore.json'))
print(sum(1 for s in j['sequences'] if len(s['ops'].split('; ')) < $len))")
    [ "$short" -eq 0 ] || fail "$short sequence(s) shorter than $len operations"
    held=$(grep -l -e '^  - load-nowait:' -e '^    wait: none' "$tmp"/x/cases/*.yaml | wc -l)
    reversed=$(grep -l '^  - enable:' "$tmp"/x/cases/*.yaml | wc -l)
    [ "$held" -ge 3 ] || fail "only $held sequence(s) kept a transition running"
    echo "PASS: $n sequences of $len ops on $arch $kernel agree with the model ($held with a transition held" \
         "in progress, $reversed with a reversing enable) in $(( SECONDS - start )) s"
    ;;
planted)
    # Seed 26's sequence loads klp_state_planted and disables it (the unit test
    # ExploreGenerate.PlantedTestSeedReachesTheDefect says so at once when a
    # change to the generator moves it: then pick another seed, there and here).
    explore --seed 26 --sequences 1 --length 5 --reruns 1 --pool klp_state_planted --pool klp_replace_a
    rc=$?
    [ "$rc" -eq 1 ] || fail "explore exit $rc, expected 1 (the planted defect found)"
    grep -Eq '^FAIL +seq-' "$tmp/out" || fail "no sequence FAILed"
    grep -q 'printk is "8' "$tmp/out" || fail "the failure is not the loglevel left at 8"
    grep -q '(failed 2 of 2 runs)' "$tmp/out" || fail "the failure did not come back on its re-run (or was not counted)"
    found=$(ls "$tmp"/x/found/*.yaml 2>/dev/null | head -1)
    [ -n "$found" ] || fail "nothing in found/"
    ops=$(grep -c '^    comment: "op ' "$found")
    [ "$ops" -ge 1 ] && [ "$ops" -le 4 ] || fail "the shrunk case has $ops operations (at most 4)"
    grep -q '^# repro: klp-harness run ' "$found" || fail "no repro command in $found"
    "$bin" -q run --arch "$arch" --kernel "$kernel" --out "$tmp/alone" "$found" > "$tmp/alone.out" 2>&1
    rc=$?
    cat "$tmp/alone.out" >> "$tmp/out"
    [ "$rc" -eq 1 ] && grep -Eq '^FAIL ' "$tmp/alone.out" || fail "the found case does not fail on its own (exit $rc)"
    echo "PASS: the planted defect FAILs explore, shrunk to $ops op(s), and the case fails alone:"
    grep '^#' "$found"
    ;;
*) echo "usage: $0 BIN sweep|planted ARCH KERNEL [SEED SEQUENCES LENGTH]"; exit 2 ;;
esac
