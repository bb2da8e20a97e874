#!/usr/bin/env bash
# The proposed states API on own-7.2-klp-states (7.2 + patches 1-5 of the series
# "livepatch: Better integrate callbacks and shadow variables with the states API"):
#   cli_states_api_test.sh KLP_HARNESS_BIN ARCH CASES_DIR
# The series comes from KLP_STATES_SERIES, else ../shared/seed-002 beside the project
# (CI has it); without it the test SKIPs (exit 77) saying so.
#  1. the series applies and the kernel builds (timed: cold or from the cache);
#  2. the whole catalog on it: cases/states-api PASS, cases/state (today's API,
#     `version`) SKIP with the reason, everything else PASSes as on own-7.2;
#  3. the series' converted test-state.sh, unmodified, through `selftests`;
#  4. own-7.2 and own-7.2-klp-states side by side: each `compare:` scenario ran
#     on both kernels, each with the case its API allows.
set -uo pipefail
bin=$1 arch=$2 cases=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
series=${KLP_STATES_SERIES:-$(cd "$here/../../.." && pwd)/../shared/seed-002}
if [ ! -f "$series/01.eml" ]; then
    echo "SKIP: the states series is not here (set KLP_STATES_SERIES to a directory with 01.eml .. 05.eml)"
    exit 77
fi
export KLP_STATES_SERIES=$(cd "$series" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 40 "$tmp/out"; }; exit 1; }
kernel=own-7.2-klp-states

s=$(date +%s)
"$bin" prepare --arch "$arch" --kernel $kernel > "$tmp/out" 2>&1 || fail "prepare failed"
if grep -q "building kernel $kernel" "$tmp/out"; then how=built; else how="from the cache"; fi
echo "1. $arch $kernel: $how in $(( $(date +%s) - s )) s ($(grep -c 'own-kernel: applying' "$tmp/out") patches applied)"

"$bin" -q run --strict --jobs 2 --arch "$arch" --kernel $kernel --expect-skip 'state/*' \
    --out "$tmp/catalog" "$cases" > "$tmp/out" 2>&1 || fail "the catalog on $kernel"
python3 - "$tmp/catalog/results.json" <<'PY' || fail "the catalog's verdicts"
import json, sys
results = json.load(open(sys.argv[1]))["results"]
new = [r for r in results if r["case"].startswith("states-api/")]
old = [r for r in results if r["case"].startswith("state/")]
assert len(new) >= 5 and all(r["verdict"] == "PASS" for r in new), [(r["case"], r["verdict"]) for r in new]
assert old and all(r["verdict"] == "SKIP" and "needs a kernel with state-version" in r["reason"] for r in old), \
    [(r["case"], r["verdict"], r["reason"]) for r in old]
print(f"2. catalog: {len(new)} states-api cases PASS, {len(old)} state/ cases SKIP "
      f"({old[0]['reason']}), {len(results)} cases in all")
PY

"$bin" -q selftests --strict --arch "$arch" --kernel $kernel --filter selftests/test-state \
    --out "$tmp/selftests" > "$tmp/out" 2>&1 || fail "the series' test-state.sh"
grep -q "PASS *selftests/test-state" "$tmp/out" || fail "test-state.sh did not PASS"
# The converted test module frees its saved loglevel through the state's shadow_dtor.
grep -q "shadow_conosle_loglevel_dtor" "$tmp/selftests/selftests/test-state/"*/kernel.log ||
    fail "test-state.sh is not the converted one (its kernel log has no shadow_dtor line)"
echo "3. selftests/test-state (the series' own, converted): PASS"

"$bin" -q run --arch "$arch" --kernel own-7.2 --kernel $kernel --jobs 2 --out "$tmp/side" \
    "$cases/state" "$cases/states-api" > "$tmp/out" 2>&1 || fail "state/ and states-api/ on both kernels"
python3 - "$tmp/side/results.json" <<'PY' || fail "the side-by-side view"
import json, sys
results = json.load(open(sys.argv[1]))["results"]
ran = {}
for r in results:
    if r.get("compare") and r["verdict"] != "SKIP":
        ran.setdefault(r["compare"], {})[r["kernel"]] = (r["case"], r["verdict"])
for label in ("take over a state", "downgrade", "replace dropping a state"):
    assert set(ran.get(label, {})) == {"own-7.2", "own-7.2-klp-states"}, (label, ran.get(label))
    assert all(v == "PASS" for _, v in ran[label].values()), (label, ran[label])
print("4. side by side: " + "; ".join(f"{l}: {ran[l]['own-7.2'][0]} | {ran[l]['own-7.2-klp-states'][0]}" for l in sorted(ran)))
PY
grep -q "^side by side" "$tmp/out" || fail "run printed no side-by-side view"
echo "PASS"
