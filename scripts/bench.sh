#!/usr/bin/env bash
# Speed of the things users wait for, per target, against targets that fail the script:
#   scripts/bench.sh [--catalog] [--cold] [ARCH:KERNEL...]
# (default targets: x86_64:debian-6.1 x86_64:debian-6.12 ppc64le:own-6.1 ppc64le:own-6.12)
# - prepare, warm: a cache hit must cost next to nothing         (target: < 5 s)
# - boot to SSH ready, warm, median of 3 `exec -- true` runs    (target: < 15 s)
# - with --catalog: wall time of `run` over cases/               (reported)
# - with --cold: prepare into an empty cache dir first: the kernel download or
#   build, userland and modules (reported; a ppc64le kernel takes 15-20 min)
# Run it on an idle machine: the numbers are wall-clock times.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/harness/klp-harness
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh)" >&2; exit 2; }
catalog=0 cold=0 targets=()
for a in "$@"; do
    case $a in
        --catalog) catalog=1 ;;
        --cold) cold=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *:*) targets+=("$a") ;;
        *) echo "bench: unknown argument '$a' (ARCH:KERNEL, --catalog, --cold)" >&2; exit 2 ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(x86_64:debian-6.1 x86_64:debian-6.12 ppc64le:own-6.1 ppc64le:own-6.12)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
slow=0
check() { # what value limit
    if [ "$(echo "$2 > $3" | bc)" = 1 ]; then echo "  SLOW: $1 took $2 s (target < $3 s)"; slow=1; fi
}

printf '%-22s %10s %10s %10s %10s\n' target cold-prep warm-prep ssh-ready catalog
for t in "${targets[@]}"; do
    arch=${t%%:*} kernel=${t#*:}
    cold_s=-
    if [ $cold = 1 ]; then
        s=$(now)
        "$bin" -q prepare --arch "$arch" --kernel "$kernel" --cache-dir "$tmp/cold-cache" > /dev/null ||
            { echo "bench: cold prepare of $t failed" >&2; exit 1; }
        cold_s=$(printf '%.1f' "$(since "$s")")
        rm -rf "$tmp/cold-cache"
    fi
    "$bin" -q prepare --arch "$arch" --kernel "$kernel" > /dev/null ||
        { echo "bench: prepare of $t failed" >&2; exit 1; }
    s=$(now)
    "$bin" -q prepare --arch "$arch" --kernel "$kernel" > /dev/null
    warm=$(printf '%.2f' "$(since "$s")")
    ready=()
    for _ in 1 2 3; do
        "$bin" exec --arch "$arch" --kernel "$kernel" -- true 2> "$tmp/err" ||
            { echo "bench: exec on $t failed:" >&2; cat "$tmp/err" >&2; exit 1; }
        # "klp-harness: [  4.8s] guest ready (SSH), ..." : seconds since the command started
        ready+=("$(sed -n 's/.*\[ *\([0-9.]*\)s\] guest ready.*/\1/p' "$tmp/err")")
    done
    median=$(printf '%s\n' "${ready[@]}" | sort -n | sed -n 2p)
    [ -n "$median" ] || { echo "bench: no 'guest ready' progress line from exec on $t" >&2; exit 1; }
    cat_s=-
    if [ $catalog = 1 ]; then
        s=$(now)
        "$bin" -q run --kernel "$t" --out "$tmp/catalog" "$root/cases" > "$tmp/catalog.out" 2>&1 ||
            { echo "bench: catalog on $t did not pass:" >&2; tail -n 20 "$tmp/catalog.out" >&2; exit 1; }
        cat_s=$(printf '%.0f' "$(since "$s")")
        rm -rf "$tmp/catalog"
    fi
    printf '%-22s %10s %10s %10s %10s\n' "$t" "$cold_s" "$warm" "$median" "$cat_s"
    check "$t warm prepare" "$warm" 5
    check "$t boot to SSH" "$median" 15
done
exit $slow
