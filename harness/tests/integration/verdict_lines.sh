# Sourced by the integration scripts that read `run`'s verdict lines from
# "$tmp/out": a scratch dir of their own (runs inside it), fail with the output,
# and the time bound of one case's line.
tmp=$(mktemp -d)
export KLP_HARNESS_RUNDIR=$tmp/runs
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; echo "--- output"; cat "$tmp/out"; exit 1; }
# "VERDICT name ... 12.3 s" -> 12.3
seconds() { sed -n "s|^$1 *$2 .* \([0-9.]*\) s$|\1|p" "$tmp/out"; }
within() { # verdict name bound
    local s; s=$(seconds "$1" "$2")
    [ -n "$s" ] || fail "no '$1 $2' line"
    awk -v s="$s" -v b="$3" 'BEGIN { exit !(s <= b) }' || fail "$2 took $s s (bound $3 s)"
}
