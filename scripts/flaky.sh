#!/usr/bin/env bash
# Runs the catalog N times on one kernel and counts verdicts that changed between
# runs (goal: 0). Not part of CI (it takes N catalog runs); for a quiet machine.
#   [KLP_HARNESS_BIN=...] scripts/flaky.sh [ARCH:KERNEL (default x86_64:debian-6.12)] [N (default 10)] [CASES (default cases/)]
# Prints one line per run, then every case whose verdict was not the same in all
# runs, with its verdicts in order; exits 1 if there was any.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${KLP_HARNESS_BIN:-$root/build/harness/klp-harness}  # a copy keeps a long loop off a rebuild
[ -x "$bin" ] || { echo "flaky: build first (scripts/build.sh)" >&2; exit 2; }
target=${1:-x86_64:debian-6.12} n=${2:-10} cases=${3:-$root/cases}
out=$(mktemp -d /tmp/klp-flaky.XXXXXX)
echo "flaky: $n runs of $cases on $target; results in $out"
for i in $(seq "$n"); do
    start=$(date +%s)
    "$bin" -q run --kernel "$target" --out "$out/run$i" "$cases" > "$out/run$i.txt" 2>&1
    rc=$?
    echo "run $i: exit $rc, $(tail -n 2 "$out/run$i.txt" | head -n 1), $(( $(date +%s) - start )) s"
done
python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
verdicts = {}
for i in range(1, n + 1):
    try:
        doc = json.load(open(f"{out}/run{i}/results.json"))
    except Exception as e:
        print(f"run {i}: no results.json ({e})"); continue
    for r in doc["results"]:
        verdicts.setdefault(r["case"], []).append(r["verdict"])
changed = {c: v for c, v in verdicts.items() if len(set(v)) > 1 or len(v) != n}
total = sum(len(v) for v in verdicts.values())
print(f"{len(verdicts)} cases x {n} runs = {total} verdicts; cases whose verdict changed: {len(changed)}")
for c, v in sorted(changed.items()):
    print(f"  {c}: {' '.join(v)}")
sys.exit(1 if changed else 0)
PY
