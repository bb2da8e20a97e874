#!/usr/bin/env bash
# Kernels as data, as a user meets them:
#   cli_kernels_test.sh KLP_HARNESS_BIN CASE_FILE
# - `kernels --versions debian-6.1` lists what Debian offers, newest first, and an
#   older one pinned as debian-6.1@VERSION boots and passes a case, reported as pinned;
# - a kernel file of the user's own (--kernels FILE) adds a name, here a path entry
#   pointing at our own ppc64le 6.12 image: `exec` boots it by that name;
# - a mistake in that file is one line naming the file and line, exit 2.
set -uo pipefail
bin=$1 case_file=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 30 "$tmp/out"; }; exit 1; }

"$bin" kernels --versions debian-6.1 > "$tmp/versions" 2> "$tmp/out" || fail "kernels --versions: exit $?"
[ "$(wc -l < "$tmp/versions")" -ge 2 ] || fail "fewer than two debian-6.1 versions listed"
sort -V -r -k1,1 "$tmp/versions" | diff - "$tmp/versions" > /dev/null || fail "versions are not newest first"
pin=$(sed -n 2p "$tmp/versions" | awk '{print $1}')   # one older than the newest
echo "pinning debian-6.1@$pin"

"$bin" run --kernel "debian-6.1@$pin" --out "$tmp/run" "$case_file" > "$tmp/out" 2>&1 || fail "run on the pin: exit $?"
python3 - "$tmp/run" "$pin" <<'PY' || fail "results.json does not show the pinned kernel passing"
import json, sys
doc = json.load(open(sys.argv[1] + "/results.json"))
r = doc["results"][0]
assert r["verdict"] == "PASS", r["verdict"]
assert r["kernel"] == "debian-6.1@" + sys.argv[2], r["kernel"]
print("PASS on", r["kernel"])
PY

# A path entry: an image with virtio built in (our own ppc64le build; a bare Debian
# image would need its transport modules).
image=$("$bin" -q prepare --arch ppc64le --kernel own-6.12 | awk '$1 == "kernel" {print $2}')
[ -f "$image" ] || fail "no own-6.12 ppc64le image from prepare"
cat > "$tmp/mine.yaml" <<EOF
kernels:
  - name: mine
    about: a kernel image of my own
    arches: [ppc64le]
    path: $image
EOF
out=$("$bin" exec --kernels "$tmp/mine.yaml" --arch ppc64le --kernel mine -- uname -r 2> "$tmp/out") ||
    fail "exec --kernels: exit $?"
[ "$out" = "$("$bin" -q prepare --arch ppc64le --kernel own-6.12 | sed -n 's/^ppc64le own-6.12: \([^ ]*\) .*/\1/p')" ] ||
    fail "exec on 'mine' printed '$out'"
"$bin" --kernels "$tmp/mine.yaml" kernels | grep -q '^mine ' || fail "kernels does not list 'mine'"

printf 'kernels:\n  - name: broken\n    arches: [x86_64]\n' > "$tmp/bad.yaml"
"$bin" exec --kernels "$tmp/bad.yaml" --kernel broken -- true > /dev/null 2> "$tmp/bad.err"
rc=$?
[ "$rc" -eq 2 ] || fail "a bad kernel file exited $rc, expected 2"
[ "$(wc -l < "$tmp/bad.err")" -eq 1 ] || fail "a bad kernel file: not one line: $(cat "$tmp/bad.err")"
grep -q "bad.yaml:2: kernel 'broken' needs exactly one of" "$tmp/bad.err" || fail "bad kernel file: $(cat "$tmp/bad.err")"
echo PASS
