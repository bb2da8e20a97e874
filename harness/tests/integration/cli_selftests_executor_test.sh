#!/usr/bin/env bash
# The kernel's selftest scripts run through the same executor as case files, so
# they take its scheduling as a user would:
#   cli_selftests_executor_test.sh KLP_HARNESS_BIN ARCH KERNEL
# - shard 1/2 with --jobs 2 --repeat 2 runs each of its scripts twice on two
#   guests at a time, and every script PASSes both times (--strict);
# - shard 2/2 runs the others; `merge` of the two covers every script of the
#   kernel's selftests Makefile exactly once, all PASS.
set -uo pipefail
bin=$1 arch=$2 kernel=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 60 "$tmp/out"; }; exit 1; }

"$bin" -q selftests --strict --arch "$arch" --kernel "$kernel" --jobs 2 --repeat 2 --shard 1/2 --out "$tmp/s1" \
    > "$tmp/out" 2>&1 || fail "shard 1/2 (--jobs 2 --repeat 2): exit $?"
python3 - "$tmp/s1" <<'PY' || fail "shard 1/2: results.json is not two passing runs of each script on 2 jobs"
import json, sys
doc = json.load(open(sys.argv[1] + "/results.json"))
assert doc["run"]["jobs"] == 2 and doc["run"]["shard"] == "1/2", doc["run"]
assert "selftests" in doc["run"], doc["run"]
rs = doc["results"]
assert rs, "no script ran"
for r in rs:
    assert r["case"].startswith("selftests/test-"), r["case"]
    assert r["verdict"] == "PASS", (r["case"], r["verdict"], r.get("reason"))
    assert r["repeat"]["runs"] == 2 and r["repeat"]["counts"] == {"PASS": 2}, r["repeat"]
PY
"$bin" -q selftests --strict --arch "$arch" --kernel "$kernel" --jobs 2 --shard 2/2 --out "$tmp/s2" \
    > "$tmp/out" 2>&1 || fail "shard 2/2: exit $?"
"$bin" merge --out "$tmp/all" "$tmp/s1" "$tmp/s2" > "$tmp/out" 2>&1 || fail "merge: exit $?"
# Every script the selftests Makefile lists, once (the payload's script list is
# what --filter '*' would run: compare with an unsharded plan's names).
python3 - "$tmp/all" <<'PY' || fail "the merged shards do not cover every script exactly once"
import json, sys
rs = json.load(open(sys.argv[1] + "/results.json"))["results"]
names = [r["case"] for r in rs]
assert len(names) == len(set(names)), names
assert len(names) >= 5, names  # 6.1 has 6 scripts, 6.12 7, 7.x more
assert all(r["verdict"] == "PASS" for r in rs), [(r["case"], r["verdict"]) for r in rs]
for must in ("selftests/test-livepatch", "selftests/test-state", "selftests/test-callbacks"):
    assert must in names, (must, names)
PY
echo "ok: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$tmp/all/results.json") scripts over 2 shards"
