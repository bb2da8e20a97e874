#!/usr/bin/env bash
# --accel: `auto` says on stderr which accelerator it chose and why; where KVM
# cannot run the kernel (e.g. nested KVM that dies with "KVM internal error")
# that is TCG with the reason, and `--accel kvm` fails in one line, exit 2,
# instead of falling back. On a host where KVM works, both use KVM.
#   cli_accel_test.sh KLP_HARNESS_BIN KERNEL
set -uo pipefail
bin=$1 kernel=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; for f in "$tmp"/*.err; do echo "--- $f"; cat "$f"; done; exit 1; }

out=$("$bin" exec --accel auto --kernel "$kernel" -- uname -r 2> "$tmp/auto.err") || fail "exec --accel auto failed"
[ -n "$out" ] || fail "no uname output"
line=$(grep -E "accel x86_64/$kernel: (tcg|kvm) \(auto: .+\)" "$tmp/auto.err") || fail "no 'accel ... (auto: why)' line"
echo "auto: $line"

"$bin" exec --accel kvm --kernel "$kernel" -- uname -r > "$tmp/kvm.out" 2> "$tmp/kvm.err"
rc=$?
if [[ "$line" == *": tcg (auto: "* ]]; then
    [ "$rc" -eq 2 ] || fail "--accel kvm exited $rc where auto chose TCG, expected 2"
    # Progress lines ("klp-harness: [  0.2s] ...") may come first; the error is one line.
    errors=$(grep -c '^klp-harness: error: ' "$tmp/kvm.err")
    [ "$errors" -eq 1 ] || fail "--accel kvm: $errors error lines, expected one"
    other=$(grep -Ev '^klp-harness: (error: |\[ *[0-9.]+s\] )' "$tmp/kvm.err")
    [ -z "$other" ] || fail "--accel kvm: stderr has more than progress and the error: $other"
    grep -q '^klp-harness: .*--accel kvm: ' "$tmp/kvm.err" || fail "--accel kvm: the error does not say why"
    [ ! -s "$tmp/kvm.out" ] || fail "--accel kvm ran the command anyway"
    echo "kvm: $(grep '^klp-harness: error: ' "$tmp/kvm.err")"
else
    [ "$rc" -eq 0 ] || fail "--accel kvm exited $rc where auto chose KVM"
fi
if left=$(pgrep -af "$tmp/runs"); then
    fail "a process of this run is still alive: $left"
fi
echo "PASS"
