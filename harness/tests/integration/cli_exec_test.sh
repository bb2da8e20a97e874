#!/usr/bin/env bash
# `klp-harness exec` as a user types it: boots KERNEL, pushes a file, runs a
# command, relays its output and exit code, and leaves no QEMU or run dir behind.
#   cli_exec_test.sh KLP_HARNESS_BIN ARCH KERNEL
set -uo pipefail
bin=$1 arch=$2 kernel=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
echo "payload-$RANDOM" > "$tmp/payload"

out=$("$bin" exec --arch "$arch" --kernel "$kernel" --push "$tmp/payload:/tmp/payload" -- \
      sh -c 'uname -r; uname -m; cat /tmp/payload; exit 5' 2> "$tmp/stderr")
rc=$?
fail() { echo "FAIL: $*"; echo "--- stdout"; echo "$out"; echo "--- stderr"; cat "$tmp/stderr"; exit 1; }
[ "$rc" -eq 5 ] || fail "exit code $rc, expected the command's 5"
release=$(echo "$out" | sed -n 1p)
case "$kernel" in
    debian-6.1)  [[ "$release" == 6.1.0-*-cloud-amd64 ]] || fail "release $release" ;;
    debian-6.12) [[ "$release" == 6.12.*-cloud-amd64 ]] || fail "release $release" ;;
    debian-7.2)  [[ "$release" == 7.2.*-cloud-amd64 ]] || fail "release $release" ;;  # 7.2.13+deb14-cloud-amd64
    own-*)       [[ "$release" == "${kernel#own-}".*-klp ]] || fail "release $release" ;;  # own-7.2: 7.2.13-klp
    *)           fail "no expected release for kernel $kernel" ;;
esac
[ "$(echo "$out" | sed -n 2p)" = "$arch" ] || fail "machine $(echo "$out" | sed -n 2p), expected $arch"
[ "$(echo "$out" | sed -n 3p)" = "$(cat "$tmp/payload")" ] || fail "pushed file did not read back"
grep -q "guest ready (SSH)" "$tmp/stderr" || fail "no progress line"
# QEMU's arguments name its run dir; pgrep never matches itself.
if left=$(pgrep -af "$tmp/runs"); then
    fail "a process of this run is still alive: $left"
fi
[ -z "$(ls -A "$tmp/runs" 2>/dev/null)" ] || fail "run dir left behind: $(ls "$tmp/runs")"
echo "PASS: $arch $kernel $release"
