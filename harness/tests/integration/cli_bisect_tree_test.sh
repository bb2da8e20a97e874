#!/usr/bin/env bash
# `klp-harness bisect --kernel tree:PATH` over a small git history we write on top
# of Debian 12's linux-source-6.1 (offline: the source comes from the archive):
#   base (good) - a comment - "livepatch: refuse atomic replace" - a comment - a comment (bad)
# The third commit makes klp_enable_patch() refuse every replace patch, so the
# catalog's cumulative/replace-nops-dropped-function fails from there on. The
# bisect must name that commit in at most log2(5) + 2 steps; each commit is
# built in the cache's checkout of the repository, the first one whole (10-15
# min on 2 cores), the others incrementally.
#   cli_bisect_tree_test.sh KLP_HARNESS_BIN CASE WORKDIR [ARCH]
# WORKDIR keeps the repository between runs: commits with fixed authors and
# dates have the same ids every time, so the kernels built for them stay cached.
set -uo pipefail
bin=$1 case=$2 work=$3 arch=${4:-x86_64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export KLP_HARNESS_RUNDIR=$tmp/runs
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output"; tail -n 40 "$tmp/out"; }; exit 1; }
repo=$work/linux-git

# commit MESSAGE: everything staged, as one fixed author at one fixed time.
commit() {
    GIT_AUTHOR_NAME=klp-harness GIT_AUTHOR_EMAIL=klp-harness@localhost GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' \
    GIT_COMMITTER_NAME=klp-harness GIT_COMMITTER_EMAIL=klp-harness@localhost \
    GIT_COMMITTER_DATE='2026-01-01T00:00:00Z' git -C "$repo" commit -q --no-verify -m "$1"
}

if ! git -C "$repo" rev-parse -q --verify refs/tags/bisect-bad > /dev/null 2>&1; then
    echo "making the history in $repo (linux-source-6.1 from the archive, ~3 min)"
    rm -rf "$repo" "$work/deb"
    mkdir -p "$repo" "$work/deb"
    ( cd "$work/deb" && apt-get -o APT::Sandbox::User=root download -q linux-source-6.1 ) > /dev/null 2>&1 ||
        fail "cannot download linux-source-6.1 (apt-get update?)"
    dpkg-deb -x "$work"/deb/linux-source-6.1_*.deb "$work/deb/x" || fail "cannot unpack linux-source-6.1"
    tar -xf "$work"/deb/x/usr/src/linux-source-6.1.tar.xz -C "$repo" --strip-components=1 || fail "cannot untar"
    rm -rf "$work/deb"
    # -f: Debian's .gitignore ignores everything at the top level (its packaging).
    git -C "$repo" init -q && git -C "$repo" add -f -A && commit "Debian linux-source-6.1" || fail "git init"
    git -C "$repo" tag bisect-good
    echo "# bisect test: a harmless change" >> "$repo/Documentation/livepatch/livepatch.rst"
    git -C "$repo" add -A && commit "Documentation: a comment"
    perl -0pi -e 's/(\tif \(!patch \|\| !patch->mod \|\| !patch->objs\)\n\t\treturn -EINVAL;\n)/$1\n\t\/* A regression planted by the bisect test: no atomic replace. *\/\n\tif (patch->replace)\n\t\treturn -EINVAL;\n/' \
        "$repo/kernel/livepatch/core.c"
    grep -q 'planted by the bisect test' "$repo/kernel/livepatch/core.c" ||
        fail "klp_enable_patch() in this linux-source-6.1 does not look as expected: the planted change did not apply"
    git -C "$repo" add -A && commit "livepatch: refuse atomic replace"
    git -C "$repo" tag bisect-culprit
    for n in 1 2; do
        echo "# bisect test: harmless change $n" >> "$repo/Documentation/livepatch/shadow-vars.rst"
        git -C "$repo" add -A && commit "Documentation: comment $n"
    done
    git -C "$repo" tag bisect-bad
fi
culprit=$(git -C "$repo" rev-parse --short=12 bisect-culprit)

"$bin" bisect "$case" --arch "$arch" --kernel "tree:$repo" --good bisect-good --bad bisect-bad \
    --out "$tmp/bisect" > "$tmp/out" 2>&1
rc=$?
cat "$tmp/out" | grep -E '^(step|first bad|steps:)' || true
[ "$rc" -eq 0 ] || fail "bisect exited $rc"
grep -q "^first bad: tree:$repo@$culprit " "$tmp/out" || fail "the first bad commit is not $culprit"
steps=$(grep -c '^step ' "$tmp/out")
# 5 commits: log2(5) + 2 = 4.3 steps.
[ "$steps" -le 4 ] || fail "$steps steps for 5 commits (at most 4)"
for d in "$tmp"/bisect/*-*/; do
    [ -f "$d/results.json" ] || fail "step dir $d has no results.json"
done
echo "PASS: first bad $culprit in $steps steps"
