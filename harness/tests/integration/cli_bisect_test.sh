#!/usr/bin/env bash
# `klp-harness bisect` over the Debian 6.1 binaries the archive offers, with a
# case whose verdict really changes between two of them because it checks the
# kernel's own version string (harness/tests/cases/bisect/abi-before.yaml):
#   cli_bisect_test.sh KLP_HARNESS_BIN CASE errors
#     bad input is one line and exit 2, before any step: a version the archive
#     does not offer, one whose headers it dropped, good not older than bad;
#   cli_bisect_test.sh KLP_HARNESS_BIN CASE find
#     BEFORE=54: the first bad version is 6.1.190-1 (ABI 54), found in at most
#     log2(n) + 2 steps over the n usable versions, with every step's run kept.
set -uo pipefail
bin=$1 case=$2 mode=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 30 "$tmp/out"; }; exit 1; }
bisect() { "$bin" bisect "$case" --kernel debian-6.1 --var BEFORE=54 --out "$tmp/bisect" "$@" > "$tmp/out" 2>&1; }

case $mode in
errors)
    expect_error() { # what regex args...
        local what=$1 want=$2 rc
        shift 2
        bisect "$@"
        rc=$?
        [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2"
        [ "$(grep -c '^klp-harness: error: ' "$tmp/out")" -eq 1 ] || fail "$what: not one error line"
        grep -qE "^klp-harness: error: $want" "$tmp/out" || fail "$what: the error is not '$want'"
        [ ! -d "$tmp/bisect" ] || fail "$what: a step ran"
        echo "$what: $(grep '^klp-harness: error: ' "$tmp/out")"
    }
    expect_error unknown "--good 6.1.1-1: the archive offers no such version of debian-6.1" --good 6.1.1-1 --bad 6.1.192-3
    # The archive keeps some old images after it dropped their headers.
    noheaders=$("$bin" kernels --versions debian-6.1 | grep -m1 'no headers package' | cut -d' ' -f1)
    if [ -n "$noheaders" ]; then
        expect_error no-headers "--good $noheaders: the archive has no headers for that version" \
            --good "$noheaders" --bad 6.1.192-3
    fi
    expect_error order "--good 6.1.192-3 is not older than --bad 6.1.170-3" --good 6.1.192-3 --bad 6.1.170-3
    ;;
find)
    s=$(date +%s)
    bisect --good 6.1.170-3 --bad 6.1.192-3 || fail "bisect exited $?"
    cat "$tmp/out"
    grep -q "^first bad: debian-6.1@6.1.190-1 (last good: 6.1.187-1); confidence 1.000 (the bad version failed 3 of 3 runs; 1 run(s) a step)" "$tmp/out" ||
        fail "not the boundary 6.1.187-1 | 6.1.190-1"
    python3 - "$tmp/bisect/bisect.json" <<'PY' || fail "bisect.json"
import json, math, sys
b = json.load(open(sys.argv[1]))
n = len(b["versions"])
steps = b["steps"]
assert b["result"]["first_bad"] == "6.1.190-1", b["result"]
assert len(steps) <= math.log2(n) + 2, (len(steps), n)
assert steps[0]["version"] == "6.1.192-3" and steps[0]["runs"] == 3 and steps[0]["failures"] == 3, steps[0]
for s in steps:  # each step is an ordinary run dir with its reports
    for f in ("results.json", "report.html", "run.log"):
        open(s["dir"] + "/" + f).close()
print(f"{len(steps)} steps over {n} versions (log2(n)+2 = {math.log2(n) + 2:.1f})")
PY
    echo "bisect took $(( $(date +%s) - s )) s"
    ;;
esac
echo "PASS"
