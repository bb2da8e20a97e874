#!/usr/bin/env bash
# Hardening check ("no input may crash the harness"): builds build-san/ with clang,
# ASan+UBSan and the libFuzzer targets (harness/fuzz), runs the unit tests under
# the sanitizers, then each fuzzer for SECONDS (default 60), two at a time.
# Prints per fuzzer its executions and result; exits 1 on a failing unit test or
# any fuzzer finding (the path of the input that triggered it is printed).
#   scripts/sanitize-and-fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-60}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2; }
fuzzers=(fuzz_case_file fuzz_log_match fuzz_ktap fuzz_results)
start=$SECONDS

scripts/install-deps.sh

# -O1 with line tables: sanitizer builds compile faster and still symbolise every
# frame; NDEBUG stays off, so library asserts (nlohmann's among them) fire too.
san=$root/build-san
CC=clang CXX=clang++ cmake -S . -B "$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DKLP_SANITIZE=ON -DKLP_FUZZ=ON > /dev/null
# Only what runs here: the unit tests, the CLI they spawn, the fuzzers.
cmake --build "$san" -j 2 --target klp-unit-tests klp-harness "${fuzzers[@]}"
echo "sanitize-and-fuzz: built in $((SECONDS - start)) s"

# Leaks in libraries we link (libvirt, libssh, yaml-cpp) are theirs: listed in
# lsan.supp, never silenced wholesale. UB aborts (the build says so too).
export ASAN_OPTIONS=detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=suppressions=$root/harness/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=0
unit=passed
echo "sanitize-and-fuzz: unit tests under ASan+UBSan"
if ! ctest --test-dir "$san" -L unit -j 2 --output-on-failure; then
    unit=FAILED
    failed=1
fi

# Seeds from the repo, copied fresh each run (only small hand-written ones are in
# git, under harness/fuzz/corpus/); the corpus each fuzzer grows starts empty.
work=$san/fuzz-run
rm -rf "$work"
mkdir -p "$work/tmp"
seeds() { mkdir -p "$work/seeds/$1" && cp "${@:2}" "$work/seeds/$1/"; }
fixtures=harness/tests/unit/fixtures
shopt -s globstar nullglob
seeds fuzz_case_file cases/**/*.yaml harness/tests/cases/**/*.yaml
seeds fuzz_results "$fixtures"/run/results.json
seeds fuzz_ktap "$fixtures"/golden/results.ktap
logs=("$fixtures"/*.txt "$fixtures"/run/**/kernel.log)
seeds fuzz_log_match "${logs[@]}"
# Expectations over each recorded log: two of its own lines (a match to find), a
# regex and a `not`, as case files write them.
i=0
for log in "${logs[@]}"; do
    i=$((i + 1))
    { sed -n -E 's/^\[[^]]*\] //; 2p; 5p' "$log"
      printf '%s\n' 're: livepatch: .*(enabling|completing)' 'not: Oops' 'not-re: BUG: [a-z]+' ----
      cat "$log"; } > "$work/seeds/fuzz_log_match/with-expectations-$i.txt"
done

run_fuzzer() {
    local f=$1 dir=$work/$1 rc=0
    mkdir -p "$dir/corpus" "$dir/artifacts"
    # A 10 MB quarantine (OSS-Fuzz's) instead of 256: a third more executions, as
    # fresh pages no longer fault in; no fake stacks (the unit tests have them).
    # TMPDIR: fuzz_results' scratch dir stays under build-san.
    ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=10 TMPDIR=$work/tmp "$san/harness/fuzz/$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
        "$dir/corpus" "$work/seeds/$f" "harness/fuzz/corpus/$f" > "$dir/log" 2>&1 || rc=$?
    echo "$rc" > "$dir/rc"
}

echo "sanitize-and-fuzz: ${#fuzzers[@]} fuzzers, ${secs} s each, two at a time (logs: $work/<fuzzer>/log)"
for f in "${fuzzers[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do
        wait -n || true
    done
    run_fuzzer "$f" &
done
wait

# The most telling line of a fuzzer's report: the exception that escaped, the UB,
# the ASan error, or libFuzzer's own (timeout, out of memory).
finding() {
    local p
    if grep -q 'terminate called after throwing' "$1"; then
        echo "uncaught $(grep -m1 -o -E "instance of '[^']+'" "$1" | cut -d"'" -f2): $(grep -m1 -o -E 'what\(\): .*' "$1" | cut -c10-)"
        return
    fi
    for p in 'runtime error: .*' 'ERROR: [A-Za-z]+Sanitizer: [^ ]+( on [^ ]+)?' 'ERROR: libFuzzer: .*' 'SUMMARY: .*'; do
        grep -m1 -o -E "$p" "$1" && return
    done
}

printf '\n%-16s %12s  %s\n' target executions result
total=0
for f in "${fuzzers[@]}"; do
    rc=$(cat "$work/$f/rc")
    log=$work/$f/log
    # The final stats; a run cut short by a finding may only have its "#N" status lines.
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    [ -n "$execs" ] || execs=$(grep -o -E '^#[0-9]+' "$log" | tr -d '#' | sort -n | tail -n1)
    execs=${execs:-0}
    total=$((total + execs))
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        failed=1
        what=$(finding "$log" || true)
        input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n1)
        result="FINDING (exit $rc): ${what:-see $log}; input: ${input:-none written}; log: $log"
    fi
    printf '%-16s %12s  %s\n' "$f" "$execs" "$result"
done
printf '%-16s %12s\n' total "$total"
echo "unit tests under ASan+UBSan: $unit"
echo "sanitize-and-fuzz: $((SECONDS - start)) s"
exit "$failed"
