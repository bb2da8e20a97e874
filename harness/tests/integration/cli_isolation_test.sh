#!/usr/bin/env bash
# Pristine guests through an in-place revert, on either arch:
#   cli_isolation_test.sh KLP_HARNESS_BIN TESTS_CASES_DIR ARCH KERNEL
# A case that leaves a file, a module and an enabled patch behind is followed, on
# the same guest reverted, by one that must see none of it. On ppc64le the revert
# needs QEMU >= 8.2: results.json's run.emulators must name the QEMU that ran
# and why; with 2 vCPUs (which a reverted pseries guest never wakes) every case
# boots cold and still passes.
set -uo pipefail
bin=$1 tcases=$(cd "$2" && pwd) arch=$3 kernel=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 40 "$tmp/out"; }; exit 1; }

"$bin" run --arch "$arch" --kernel "$kernel" --jobs 1 --out "$tmp/iso" "$tcases/isolation" > "$tmp/out" 2>&1 ||
    fail "isolation run: exit $?"
python3 - "$tmp/iso" "$arch" <<'PY' || fail "isolation: the clean case did not run on a reverted guest"
import json, sys
doc = json.load(open(sys.argv[1] + "/results.json"))
rs, arch = doc["results"], sys.argv[2]
assert [r["case"] for r in rs] == ["isolation/1-dirty", "isolation/2-clean"], rs
assert [r["verdict"] for r in rs] == ["PASS", "PASS"], [r["verdict"] for r in rs]
assert rs[1]["boot"] == "revert", rs[1]["boot"]
qemu = doc["run"].get("emulators", {}).get(arch, "")
assert "QEMU emulator version" in qemu, doc["run"].get("emulators")
print(f"{arch}: {rs[1]['case']} on a reverted guest; QEMU: {qemu}")
PY
grep -q "$arch guests: QEMU emulator version" "$tmp/out" || fail "stderr does not say which QEMU runs $arch guests"

if [ "$arch" = ppc64le ]; then
    "$bin" run --arch "$arch" --kernel "$kernel" --cpus 2 --jobs 1 --out "$tmp/smp" "$tcases/isolation" \
        > "$tmp/out" 2>&1 || fail "isolation --cpus 2: exit $?"
    python3 - "$tmp/smp" <<'PY' || fail "--cpus 2: not every case booted cold and passed"
import json, sys
rs = json.load(open(sys.argv[1] + "/results.json"))["results"]
assert [(r["verdict"], r["boot"]) for r in rs] == [("PASS", "cold-boot")] * 2, [(r["verdict"], r["boot"]) for r in rs]
PY
    grep -q "ppc64le guests: .*a cold boot for every case: with 2 vCPUs" "$tmp/out" || fail "--cpus 2: no word on why every case boots cold"
fi
echo PASS
