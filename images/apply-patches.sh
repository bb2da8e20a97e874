#!/usr/bin/env bash
# Helper of the source recipes (own-kernel.sh, selftests-source.sh): a kernel
# entry's patch series onto an unpacked tree.
#   apply-patches.sh TREE LOG [--only GLOB]... < LIST
# LIST: patch files, one a line, applied in order (mails in `git am` form or plain
# diffs, -p1); their output goes to LOG. --only keeps the parts of each patch for
# files matching a GLOB (a tree that holds only those, e.g. the selftests).
# A patch that does not apply stops here with one line naming the patch and the
# first file it fails on.
set -euo pipefail
tree=$1 log=$2
shift 2
only=()
while [ $# -gt 0 ]; do
    [ "$1" = --only ] && [ $# -ge 2 ] || { echo "usage: apply-patches.sh TREE LOG [--only GLOB]... < LIST" >&2; exit 2; }
    only+=(-i "$2")
    shift 2
done
while IFS= read -r patch; do
    [ -n "$patch" ] || continue
    echo "applying ${patch##*/}"
    if [ ${#only[@]} -gt 0 ]; then
        diff=$(filterdiff --strip=0 "${only[@]}" "$patch")
        [ -n "$diff" ] || continue
    else
        diff=$(cat "$patch")
    fi
    if out=$(patch -d "$tree" -p1 --forward --batch --no-backup-if-mismatch <<< "$diff" 2>&1); then
        echo "$out" >> "$log"
        continue
    fi
    echo "$out" >> "$log"
    file=$(awk '/^(patching|checking) file /{f=$3} /FAILED|ignored|No file to patch|Skipping patch/{print f; exit}' <<< "$out")
    why=$(grep -m1 -E 'FAILED|Reversed|No file to patch|malformed|Only garbage|can.t find file' <<< "$out" || tail -n1 <<< "$out")
    echo "apply-patches.sh: ${patch##*/} does not apply${file:+ to $file}: $why" >&2
    exit 1
done
