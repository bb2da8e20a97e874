#!/usr/bin/env bash
# One run over two libvirt hosts at once: the embedded driver and a private
# second libvirtd that shares no file with us (second_libvirtd.sh), reached over
# qemu+unix:// as a remote host would be (uploads, streamed console and channels):
#   cli_two_hosts_test.sh KLP_HARNESS_BIN
# - a harness SIGKILLed while its remote guest runs leaves no QEMU there
#   (VIR_DOMAIN_START_AUTODESTROY); the next run removes its vmstate volume;
# - `run --host embed,1 --host URI,1` exits 0, every verdict PASS, guests ran on
#   both hosts, reverted in place on both; on the remote host alone, a case sees
#   nothing of the one before it (the isolation pair, through a revert);
# - afterwards: no QEMU of ours, only cached images in the remote pool, no run dir.
# Prints the run's wall time and the revert times per host.
# Needs root (the second daemon's mount namespace); exit 77 (skipped) without it.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
kernel=debian-6.12
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x /usr/sbin/libvirtd ] || { echo "SKIP: no /usr/sbin/libvirtd (libvirt-daemon-system)"; exit 77; }

tmp=$(mktemp -d /tmp/klp-2h-XXXXXX)  # short: the daemon's socket path must fit sun_path
runs=$tmp/runs
export KLP_HARNESS_RUNDIR=$runs
sampler=
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
    "$here/second_libvirtd.sh" stop "$tmp/d" >/dev/null 2>&1
    pkill -9 -f "qemu-system.*$runs" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done; exit 1; }

uri=$("$here/second_libvirtd.sh" start "$tmp/d") || fail "the second libvirtd did not start"
ns=$(cat "$tmp/d/daemon.mntns")
virsh_() { timeout 30 virsh -q -c "$uri" "$@"; }
# Our QEMUs: the remote daemon's (in its mount namespace), the embedded driver's (its root is in $runs).
remote_qemus() {
    for p in $(pgrep -f qemu-system); do
        [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "$p"
    done
    return 0
}
embedded_qemus() { pgrep -f "qemu-system.*$runs"; return 0; }
vmstate_volumes() { virsh_ vol-list klp-harness 2>/dev/null | awk '$1 ~ /^vmstate-/ {print $1}'; }
wait_for() { # seconds what command...
    local n=$(($1 * 5)) what=$2; shift 2
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
    fail "timed out waiting for $what"
}

# 1. SIGKILL with a guest on the remote host.
"$bin" -q run --kernel "$kernel" --host "$uri,1" --filter 'isolation/2-clean' --out "$tmp/killed-results" \
    "$src/harness/tests/cases/isolation" > "$tmp/killed.out" 2>&1 &
pid=$!
has_remote_guest() { [ -n "$(remote_qemus)" ] && [ -n "$(vmstate_volumes)" ]; }
wait_for 300 "the killed run's remote guest" has_remote_guest
kill -9 "$pid"
wait "$pid" 2>/dev/null
no_remote_qemu() { [ -z "$(remote_qemus)" ] && [ -z "$(virsh_ list --name | tr -d '[:space:]')" ]; }
wait_for 20 "the remote host to destroy the guest of a killed harness" no_remote_qemu
left=$(vmstate_volumes)
[ -n "$left" ] || fail "the killed run's vmstate volume vanished by itself (the sweep below is untested)"

# 2. Isolation on the remote host alone: 1-dirty, then 2-clean on the same guest
# reverted (which slot takes what in a two-host run depends on timing).
"$bin" -q run --kernel "$kernel" --host "$uri,1" --out "$tmp/iso" "$src/harness/tests/cases/isolation" \
    > "$tmp/iso.out" 2>&1 || fail "isolation on the remote host: exit $? ($(tail -n 5 "$tmp/iso.out"))"
python3 - "$tmp/iso/results.json" <<'EOF' || fail "isolation on the remote host: the clean case did not run reverted"
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
assert [(r["case"], r["verdict"]) for r in rs] == [("isolation/1-dirty", "PASS"), ("isolation/2-clean", "PASS")], rs
assert rs[1]["boot"] == "revert" and rs[1]["host"] != "embed", rs[1]
EOF

# 3. The run over both hosts, every case twice (--repeat 2).
# Which guests ran where: sampled, as QEMU command lines carry their domain names.
( while :; do
      for p in $(remote_qemus); do tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | sed -n 's/^guest=\([^,]*\).*/\1/p'; done >>"$tmp/remote.seen"
      for p in $(embedded_qemus); do tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | sed -n 's/^guest=\([^,]*\).*/\1/p'; done >>"$tmp/embed.seen"
      sleep 0.5
  done ) &
sampler=$!
start=$EPOCHREALTIME
"$bin" -q run --kernel "$kernel" --host embed,1 --host "$uri,1" --repeat 2 --out "$tmp/results" \
    "$src/harness/tests/cases/isolation" "$src/cases/sysfs" "$src/cases/state/lower-version-refused.yaml" \
    > "$tmp/run.out" 2>&1
rc=$?
wall=$(python3 -c "print($EPOCHREALTIME - $start)")
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
sampler=
[ "$rc" -eq 0 ] || fail "exit code $rc, expected 0"

# 4. What the run left: nothing of ours running, only cached images in the pool.
[ -z "$(remote_qemus)" ] || fail "QEMU left running on the remote host"
[ -z "$(embedded_qemus)" ] || fail "embedded QEMU left running"
[ -z "$(virsh_ list --all --name | tr -d '[:space:]')" ] || fail "domains left on the remote host: $(virsh_ list --all --name)"
vols=$(virsh_ vol-list klp-harness | awk '{print $1}')
[ -z "$(vmstate_volumes)" ] || fail "vmstate volumes left (killed run's: $left): $(vmstate_volumes)"
bad=$(echo "$vols" | grep -Ev '^[0-9a-f]{16}-[A-Za-z0-9._+-]+$' || true)
[ -z "$bad" ] || fail "volumes other than cached images in the remote pool: $bad"
initrds=$(echo "$vols" | grep -c -- '-initrd\.img$' || true)
[ "$initrds" -eq 1 ] || echo "note: $initrds initrd volumes (one per distinct initrd content)"
[ -z "$(ls -A "$runs")" ] || fail "run dirs left: $(ls "$runs")"

# 5. Verdicts and where they ran.
remote_domains=$(sort -u "$tmp/remote.seen" | grep -c . || true)
embed_domains=$(sort -u "$tmp/embed.seen" | grep -c . || true)
python3 - "$tmp/results/results.json" "$uri" "$remote_domains" "$embed_domains" "$wall" <<'EOF' || fail "results.json (above)"
import json, sys
path, uri, remote_domains, embed_domains, wall = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
d = json.load(open(path))
res = d["results"]
problems = []
names = sorted(r["case"] for r in res)
want = sorted(["isolation/1-dirty", "isolation/2-clean", "sysfs/patch-attributes", "sysfs/replace-attribute",
               "state/lower-version-refused"])
if names != want:
    problems.append("cases %s, expected %s" % (names, want))
for r in res:
    if r["verdict"] != "PASS":
        problems.append("%s: %s (%s)" % (r["case"], r["verdict"], r.get("reason", "")))
    if r.get("repeat", {}).get("runs") != 2:
        problems.append("%s: ran %s times, expected 2" % (r["case"], r.get("repeat", {}).get("runs")))
if remote_domains < 1:
    problems.append("no guest was seen on the remote host")
if embed_domains < 1:
    problems.append("no guest was seen on the embedded driver")

# Every run of a case (each attempt of --repeat) with its host, boot and
# boot_seconds, where the harness records them ("host": "embed" or the URI).
runs = [{"case": r["case"], "host": a.get("host"), "boot": a.get("boot"), "boot_seconds": a.get("boot_seconds"),
         "verdict": a["verdict"]} for r in res for a in (r.get("attempts") or [r])]
reverts = {}
if all(x["host"] for x in runs):
    hosts = {x["host"] for x in runs}
    if hosts != {"embed", uri}:
        problems.append("hosts in results.json: %s, expected embed and %s" % (sorted(hosts), uri))
    for h in ("embed", uri):
        if not any(x["host"] == h and x["boot"] == "revert" for x in runs):
            problems.append("no guest was reverted on %s" % h)
        reverts[h] = [x["boot_seconds"] for x in runs if x["host"] == h and x["boot"] == "revert"]
else:
    # Without per-run hosts: one cold boot per slot, the rest reverted.
    print("note: results.json has no per-run \"host\": host-level checks from the sampled QEMUs only")
    if remote_domains + embed_domains != 2:
        print("note: %d guests booted (1 per slot expected when every revert works)" % (remote_domains + embed_domains))
    reverts["all hosts"] = [r["boot_seconds"] for r in res if r.get("boot") == "revert"]
    if not reverts["all hosts"]:
        problems.append("no case ran on a reverted guest")
for p in problems:
    print("FAIL: " + p)
print("two-host run: %.1f s wall, %d case runs, guests booted: %d embedded, %d remote" %
      (wall, len(runs), embed_domains, remote_domains))
for h, s in reverts.items():
    if s:
        s = sorted(s)
        print("revert on %s: %d, median %.2f s, max %.2f s" % (h, len(s), s[len(s) // 2], s[-1]))
sys.exit(1 if problems else 0)
EOF
echo PASS
