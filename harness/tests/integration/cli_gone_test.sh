#!/usr/bin/env bash
# A guest that goes away mid-case is titled by what happened, within a bound,
# and the next case runs as usual:
#   cli_gone_test.sh KLP_HARNESS_BIN GONE_CASES_DIR ARCH KERNEL
# reboot -f -> "guest rebooted (reboot: Restarting system)"; poweroff -f ->
# "guest powered off (reboot: Power down)"; the session's dropbear killed ->
# "SSH connection to the guest lost: ..."; each within 60 s (boot included);
# then a livepatch case PASSes.
set -uo pipefail
bin=$1 cases=$2 arch=$3 kernel=$4
. "$(dirname "$0")/verdict_lines.sh"

"$bin" -q run --arch "$arch" --kernel "$kernel" --jobs 1 --out "$tmp/results" "$cases" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "exit code $rc, expected 1"
within ERROR gone/1-reboot 60
grep -q '^      guest rebooted (reboot: Restarting system)' "$tmp/out" || fail "no reboot title"
within ERROR gone/2-poweroff 60
grep -q '^      guest powered off (reboot: Power down)' "$tmp/out" || fail "no poweroff title"
within ERROR gone/3-ssh-killed 60
grep -q '^      SSH connection to the guest lost: ' "$tmp/out" || fail "no connection-lost title"
grep -q '^PASS  gone/4-after' "$tmp/out" || fail "the case after them did not pass"
grep -q 'vanished' "$tmp/out" && fail "a guest that said why it went is still called vanished"
echo "ok: reboot, poweroff and a killed SSH path titled; the next case passed"
