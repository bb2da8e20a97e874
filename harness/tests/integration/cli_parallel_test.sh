#!/usr/bin/env bash
# Pristine guests, parallel guests, repetition and sharding, as a user runs them:
#   cli_parallel_test.sh KLP_HARNESS_BIN TESTS_CASES_DIR CATALOG_DIR KERNEL
# - `--jobs 2` gives the same verdicts, in the same order, as `--jobs 1`;
# - `--shard 1/2` and `2/2` (balanced by --durations) cover every case once, and
#   `merge` of the two equals the unsharded run's verdicts;
# - `--repeat` marks a coin-flip case FLAKY with its counts, in every report;
#   `--until-fail` stops at its first failure;
# - `--matrix` runs what the same flags run.
set -uo pipefail
bin=$1 tcases=$(cd "$2" && pwd) catalog=$3 kernel=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 40 "$tmp/out"; }; exit 1; }
verdicts() { # results dir -> "verdict case" lines in results.json order
    python3 -c 'import json,sys
for r in json.load(open(sys.argv[1] + "/results.json"))["results"]: print(r["verdict"], r["case"], r["arch"], r["kernel"])' "$1"
}
subset=("$catalog/callbacks" "$catalog/state")

# The isolation pair by flags: the baseline the diff and --matrix checks below
# compare with (cli_isolation_test.sh checks the revert itself).
"$bin" -q run --kernel "$kernel" --jobs 1 --out "$tmp/iso" "$tcases/isolation" > "$tmp/out" 2>&1 ||
    fail "isolation run: exit $?"

# --jobs 1 vs --jobs 2.
"$bin" -q run --kernel "$kernel" --jobs 1 --out "$tmp/j1" "${subset[@]}" > "$tmp/out" 2>&1 || fail "--jobs 1: exit $?"
grep -E '^(PASS|FAIL|ERROR|SKIP|MISS|FLAKY) ' "$tmp/out" | awk '{print $1, $2}' > "$tmp/j1.lines"
"$bin" -q run --kernel "$kernel" --jobs 2 --out "$tmp/j2" "${subset[@]}" > "$tmp/out" 2>&1 || fail "--jobs 2: exit $?"
grep -E '^(PASS|FAIL|ERROR|SKIP|MISS|FLAKY) ' "$tmp/out" | awk '{print $1, $2}' > "$tmp/j2.lines"
diff "$tmp/j1.lines" "$tmp/j2.lines" || fail "--jobs 2 printed other verdicts or another order than --jobs 1"
diff <(verdicts "$tmp/j1") <(verdicts "$tmp/j2") || fail "--jobs 2 results.json differs from --jobs 1"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["jobs"])' "$tmp/j2/results.json")" = 2 ] ||
    fail "results.json does not say 2 jobs"

# Shards balanced by the --jobs 1 durations, merged.
for i in 1 2; do
    "$bin" -q run --kernel "$kernel" --shard "$i/2" --durations "$tmp/j1" --out "$tmp/s$i" "${subset[@]}" \
        > "$tmp/out" 2>&1 || fail "--shard $i/2: exit $?"
done
[ "$(verdicts "$tmp/s1" | wc -l)" -gt 0 ] && [ "$(verdicts "$tmp/s2" | wc -l)" -gt 0 ] || fail "an empty shard"
"$bin" merge --out "$tmp/merged" "$tmp/s1" "$tmp/s2" > "$tmp/out" 2>&1 || fail "merge: exit $?"
diff <(verdicts "$tmp/j1" | sort) <(verdicts "$tmp/merged" | sort) ||
    fail "merged shards differ from the unsharded run"
[ -s "$tmp/merged/report.html" ] && [ -s "$tmp/merged/junit.xml" ] || fail "merge rendered no reports"

# A coin-flip case: FLAKY with counts (14 runs all alike: p = 2^-13).
"$bin" -q run --kernel "$kernel" --repeat 14 --out "$tmp/flaky" "$tcases/flaky" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "--repeat on a flaky case: exit $rc, expected 1"
grep -q '^FLAKY flaky/coin' "$tmp/out" || fail "no FLAKY verdict line"
grep -q '14 runs: .*PASS' "$tmp/out" || fail "no pass/fail counts"
grep -q 'FLAKY' "$tmp/flaky/results.ktap" && grep -q 'type="FLAKY"' "$tmp/flaky/junit.xml" &&
    grep -q 'FLAKY' "$tmp/flaky/report.html" || fail "FLAKY missing from a report"
"$bin" diff "$tmp/iso" "$tmp/flaky" > /dev/null; [ $? -eq 1 ] || fail "diff: a new FLAKY is not worse"
# --until-fail: stops at the first non-PASS (at most 40 runs: p = 2^-40 of none).
"$bin" -q run --kernel "$kernel" --until-fail --repeat 40 --jobs 1 --out "$tmp/until" "$tcases/flaky" > "$tmp/out" 2>&1
python3 - "$tmp/until" <<'PY' || fail "--until-fail did not stop at the first failure"
import json, sys
r = json.load(open(sys.argv[1] + "/results.json"))["results"][0]
v = [a["verdict"] for a in r.get("attempts", [{"verdict": r["verdict"]}])]
assert v[-1] == "FAIL" and all(x == "PASS" for x in v[:-1]), v
PY

# The same isolation pair through a matrix file.
cat > "$tmp/matrix.yaml" <<EOM
matrix:
  - arches: [x86_64]
    kernels: [$kernel]
    cases: [$tcases/isolation]
EOM
"$bin" -q run --matrix "$tmp/matrix.yaml" --jobs 1 --out "$tmp/matrix" > "$tmp/out" 2>&1 || fail "--matrix: exit $?"
diff <(verdicts "$tmp/iso") <(verdicts "$tmp/matrix") || fail "--matrix ran other cases than the flags"
echo "PASS"
