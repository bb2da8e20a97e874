#!/usr/bin/env bash
# Two klp-harness processes on one cold cache (as `ctest -j 2` starts them): both
# succeed, build each entry once, share one SSH key, and leave no temp files:
#   cli_cold_race_test.sh KLP_HARNESS_BIN KERNEL
set -uo pipefail
bin=$1 kernel=$2
tmp=$(mktemp -d)
export KLP_HARNESS_RUNDIR=$tmp/runs
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out; do echo "--- $f"; cat "$f"; done; exit 1; }

for i in 1 2; do
    "$bin" exec --cache-dir "$tmp/cache" --kernel "$kernel" --modules -- \
        sh -c 'cat /root/.ssh/authorized_keys; ls /lib/klp | wc -l' > "$tmp/$i.out" 2>&1 &
    pids[$i]=$!
done
for i in 1 2; do wait ${pids[$i]} || fail "run $i failed"; done
[ "$(grep -c '^ssh-ed25519' "$tmp/1.out")" -eq 1 ] || fail "run 1 saw no key"
[ "$(grep '^ssh-ed25519' "$tmp/1.out")" = "$(grep '^ssh-ed25519' "$tmp/2.out")" ] || fail "two keys"
builds=$(cat "$tmp"/*.out | grep -c "building .* module sources")
[ "$builds" -eq 1 ] || fail "the modules were built $builds times"
grep -q 'waiting for another klp-harness' "$tmp"/*.out || echo "note: the runs did not overlap on a lock this time"
# writeFile's and the key's temp names: <name>.<6 random characters>
left=$(find "$tmp/cache/ssh" "$tmp/cache/apt" -type f ! -name id_ed25519 ! -name '*.txt' | head)
[ -z "$left" ] || fail "temp files left: $left"
[ "$(stat -c %a "$tmp/cache/ssh/id_ed25519")" = 600 ] || fail "key mode $(stat -c %a "$tmp/cache/ssh/id_ed25519")"
[ -z "$(ls -A "$tmp/runs")" ] || fail "run dirs left: $(ls "$tmp/runs")"
echo PASS
