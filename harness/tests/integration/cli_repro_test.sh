#!/usr/bin/env bash
# From a FAIL to a guest at its failing step, with one command: a run FAILs a
# case on purpose (a --var the case cannot match); its verdict line, results.json,
# JUnit and report.html carry the repro command; that command (plus --gdb) runs
# the case up to the failing step and keeps the guest; the ssh line it prints
# reaches the guest in the state the steps left (the pushed file is there); gdb
# in batch mode attaches to QEMU's stub and reads a kernel symbol; Ctrl-C ends
# it and nothing is left.
#   cli_repro_test.sh KLP_HARNESS_BIN ARCH KERNEL MODULE_DIR CASE_FILE
set -uo pipefail
bin=$1 arch=$2 kernel=$3 src=$4 case=$5
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid"; rm -rf "$tmp"; }
trap cleanup EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out "$tmp"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done; exit 1; }

cd "$tmp"  # repro finds the last run under ./klp-results, as a user's would
"$bin" run --jobs 1 --arch "$arch" --kernel "$kernel" --module "$src" --var PATCH=klp_user_demo \
    --var GREETING=not-what-it-says --out klp-results/run1 "$case" > run.out 2>&1
[ $? = 1 ] || fail "the run should FAIL (exit 1)"
line=$(grep -o 'repro: klp-harness repro .*' run.out | head -1)
[ -n "$line" ] || fail "the FAIL line carries no repro command"
[[ "$line" == *"--until 11 "* && "$line" == *"--var GREETING=not-what-it-says"* && "$line" == *"--module $src"* ]] ||
    fail "repro command is not exact: $line"
python3 - "$line" <<'PY' || fail "results.json, junit.xml or report.html lacks the repro command"
import json, sys, html
line = sys.argv[1][len("repro: "):]
r = json.load(open("klp-results/run1/results.json"))["results"][0]
assert r["repro"] == line, (r.get("repro"), line)
assert ("repro: " + line) in open("klp-results/run1/junit.xml").read().replace("&apos;", "'").replace("&quot;", '"')
assert html.escape(line, quote=True) in open("klp-results/run1/report.html").read() or line in open("klp-results/run1/report.html").read()
PY

# The repro command as printed (no --until: it finds the failed step in the run), with --gdb.
cmd=${line#repro: klp-harness repro }
cmd=${cmd/ --until 11/}
eval "set -- $cmd"
"$bin" repro "$@" --gdb > repro.out 2> repro.err &
pid=$!
for _ in $(seq 1 120); do grep -q "Press Ctrl-C" repro.out && break; kill -0 $pid 2>/dev/null || break; sleep 2; done
grep -q "Press Ctrl-C" repro.out || fail "repro did not keep a guest"
grep -q "^Stopped before .*files-and-vars.yaml:11: run cat" repro.out || fail "repro did not stop before line 11"
ssh_line=$(sed -n 's/^  ssh:     //p' repro.out)
got=$(eval "$ssh_line cat /tmp/pushed/greeting.txt" 2> ssh.err) || fail "ssh into the kept guest failed"
[ "$got" = "hello from the host" ] || fail "the guest is not in the steps' state: '$got'"
gdb_line=$(sed -n 's/^  gdb:     //p' repro.out)
[ -n "$gdb_line" ] || fail "no gdb line"
grep -q "^  symbols: none" repro.out && fail "no kernel symbols: $(grep symbols: repro.out)"
eval "timeout 120 ${gdb_line/ -q/ -q -batch} -ex 'print &linux_banner' -ex 'x/s &linux_banner'" > gdb.out 2>&1
grep -q 'Linux version' gdb.out || fail "gdb did not read linux_banner from the guest: $(tail -5 gdb.out)"
kill -INT $pid
wait $pid
pid=
if left=$(pgrep -af "$tmp/runs"); then fail "a process of this run is still alive: $left"; fi
[ -z "$(ls -A "$tmp/runs" 2>/dev/null)" ] || fail "run dir left behind"
echo "PASS: $arch $kernel: repro to line 11, ssh, gdb read $(grep -o 'Linux version [^ ]*' gdb.out | head -1)"
