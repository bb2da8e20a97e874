#!/usr/bin/env bash
# Speed of the things users wait for, against targets (a missed one fails the script):
#   scripts/bench.sh [--catalog] [--cold] [--patch] [--explore] [ARCH:KERNEL...]
# (default targets: x86_64:debian-6.1 x86_64:debian-6.12 ppc64le:own-6.1 ppc64le:own-6.12)
# Per target:
# - warm prepare: a cache hit costs next to nothing                        (< 5 s)
# - cold boot to a working SSH session (run --cold-boot, median of 3)      (reported)
# - a pristine guest per case: what `run` pays before each case's steps,
#   median of 5 cases after the first (an in-place revert)               (<= 0.5 s)
# - with --catalog: the catalog (cases/) with --jobs 1 and --jobs 2, and the
#   per-case harness overhead (case time minus its steps' time)            (<= 0.3 s)
#   the catalog on each kernel with --jobs 2                               (<= 60 s)
#   and all targets in one run (default --jobs)                           (<= 360 s)
#   Where a catalog misses its target, the cases whose own steps take longest
#   are listed: that time is the kernel's work (transitions, waits), not ours.
# - with --cold: prepare into an empty cache dir first (a ppc64le kernel build
#   takes 15-20 min)                                                       (reported)
# - with --patch: a source patch made a livepatch by the kernel's klp-build on
#   x86_64 own-7.2 (`prepare --patch`): cold (a patch not built before: its text
#   made unique, the kernel's klp-build tree already built) and cached     (reported;
#   cached < 5 s)
# - with --explore: `explore --seed 1 --sequences 30 --length 6 --jobs 2` on
#   each target (alone: x86_64:debian-6.12 ppc64le:own-6.12), in sequences
#   per minute, the guests warm                                        (>= 15/min)
# Run it on an idle machine: the numbers are wall-clock times.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${KLP_HARNESS_BIN:-$root/build/harness/klp-harness}
[ -x "$bin" ] || { echo "bench: build first (scripts/build.sh)" >&2; exit 2; }
catalog=0 cold=0 patch=0 explore=0 targets=()
for a in "$@"; do
    case $a in
        --catalog) catalog=1 ;;
        --cold) cold=1 ;;
        --patch) patch=1 ;;
        --explore) explore=1 ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *:*) targets+=("$a") ;;
        *) echo "bench: unknown argument '$a' (ARCH:KERNEL, --catalog, --cold, --patch, --explore)" >&2; exit 2 ;;
    esac
done
# --patch or --explore alone measure only themselves.
only=0
[ $catalog = 0 ] && [ $cold = 0 ] && { [ $patch = 1 ] || [ $explore = 1 ]; } && only=1
explore_targets=("${targets[@]}")
[ ${#explore_targets[@]} -gt 0 ] || explore_targets=(x86_64:debian-6.12 ppc64le:own-6.12)
if [ $only = 1 ]; then
    targets=()
elif [ ${#targets[@]} -eq 0 ]; then
    targets=(x86_64:debian-6.1 x86_64:debian-6.12 ppc64le:own-6.1 ppc64le:own-6.12)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
noop=$root/harness/tests/cases/bench/noop.yaml
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
slow=0
check() { # what value limit
    if [ "$(echo "$2 > $3" | bc)" = 1 ]; then echo "  SLOW: $1 took $2 s (target <= $3 s)"; slow=1; fi
}
# results.json → one number: median of boot_seconds over attempts 2.. (or all with --all)
pristine() { python3 - "$1" "$2" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1] + "/results.json"))
r = d["results"][0]
# attempts in order; the first one boots the guest the others revert
times = [a.get("boot_seconds", 0) for a in r.get("attempts", [])] or [r["boot_seconds"]]
print("%.2f" % statistics.median(times if sys.argv[2] == "all" else times[1:]))
PY
}
# results.json → mean of (case seconds - steps' seconds), and the mean pristine part of it
overhead() { python3 - "$1" <<'PY'
import json, sys
rs = [r for r in json.load(open(sys.argv[1] + "/results.json"))["results"] if r["verdict"] != "SKIP"]
over = [r["seconds"] - sum(s["seconds"] for s in r["steps"]) for r in rs]
boot = [r.get("boot_seconds", 0) for r in rs]
print("%.2f %.2f" % (sum(over) / len(over), sum(o - b for o, b in zip(over, boot)) / len(over)))
PY
}
# results.json → the cases whose own steps took longest (what bounds a catalog's time)
slowest() { python3 - "$1" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1] + "/results.json"))["results"]
steps = sorted(((sum(s["seconds"] for s in r["steps"]), r["case"], r["steps"]) for r in rs), reverse=True)
total = sum(t for t, _, _ in steps)
print("  steps' own time: %.0f s over %d cases; the longest:" % (total, len(rs)))
for t, case, ss in steps[:6]:
    top = max(ss, key=lambda s: s["seconds"]) if ss else None
    print("    %6.1f s  %-40s (%s %s: %.1f s)" % (t, case, top["verb"], top["arg"][:30], top["seconds"]) if top else "")
PY
}
run() { # out args... ; fails the bench when the run fails
    local out=$1; shift
    "$bin" -q run --out "$out" "$@" > "$out.txt" 2>&1 ||
        { echo "bench: run $* failed:" >&2; tail -n 20 "$out.txt" >&2; exit 1; }
}

[ ${#targets[@]} -eq 0 ] || printf '%-22s %9s %9s %9s %9s %9s %9s %9s %9s\n' target cold-prep warm-prep cold-boot pristine \
    catalog-j1 catalog-j2 overhead "(w/o pr.)"
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
    "$bin" -q prepare --kernel "$t" > /dev/null || { echo "bench: prepare of $t failed" >&2; exit 1; }
    s=$(now)
    "$bin" -q prepare --kernel "$t" > /dev/null
    warm=$(printf '%.2f' "$(since "$s")")
    # Time until the guest answers SSH and has its clock set: what every case waits for.
    run "$tmp/cold" --kernel "$t" --jobs 1 --cold-boot --repeat 3 "$noop"
    coldboot=$(pristine "$tmp/cold" all)
    run "$tmp/warm" --kernel "$t" --jobs 1 --repeat 6 "$noop"
    fresh=$(pristine "$tmp/warm" rest)
    j1=- j2=- over=- over2=-
    if [ $catalog = 1 ]; then
        s=$(now); run "$tmp/cat1" --kernel "$t" --jobs 1 "$root/cases"; j1=$(printf '%.0f' "$(since "$s")")
        s=$(now); run "$tmp/cat2" --kernel "$t" --jobs 2 "$root/cases"; j2=$(printf '%.0f' "$(since "$s")")
        read -r over over2 <<< "$(overhead "$tmp/cat1")"
    fi
    printf '%-22s %9s %9s %9s %9s %9s %9s %9s %9s\n' "$t" "$cold_s" "$warm" "$coldboot" "$fresh" "$j1" "$j2" \
        "$over" "$over2"
    check "$t warm prepare" "$warm" 5
    check "$t pristine guest" "$fresh" 0.5
    if [ $catalog = 1 ]; then
        check "$t harness overhead per case" "$over" 0.3
        check "$t catalog --jobs 2" "$j2" 60
        [ "$j2" -le 60 ] || slowest "$tmp/cat1"
    fi
    rm -rf "$tmp"/cold* "$tmp"/warm* "$tmp"/cat*
done
if [ $patch = 1 ]; then
    # A comment line of its own makes the patch's content, so its cache key, new.
    { echo "bench $(date +%s.%N)"; cat "$root/harness/tests/patches/cmdline.patch"; } > "$tmp/bench-cmdline.patch"
    "$bin" -q prepare --arch x86_64 --kernel own-7.2 > /dev/null || { echo "bench: prepare own-7.2 failed" >&2; exit 1; }
    s=$(now)
    "$bin" -q prepare --arch x86_64 --kernel own-7.2 --patch "$tmp/bench-cmdline.patch" > /dev/null ||
        { echo "bench: prepare --patch failed" >&2; exit 1; }
    patch_cold=$(printf '%.1f' "$(since "$s")")
    s=$(now)
    "$bin" -q prepare --arch x86_64 --kernel own-7.2 --patch "$tmp/bench-cmdline.patch" > /dev/null ||
        { echo "bench: prepare --patch (cached) failed" >&2; exit 1; }
    patch_warm=$(printf '%.2f' "$(since "$s")")
    echo "--patch on x86_64 own-7.2: cold $patch_cold s (klp-build of a new patch), cached $patch_warm s"
    check "--patch cached" "$patch_warm" 5
fi
if [ $explore = 1 ]; then
    for t in "${explore_targets[@]}"; do
        "$bin" -q prepare --kernel "$t" > /dev/null || { echo "bench: prepare of $t failed" >&2; exit 1; }
        s=$(now)
        "$bin" -q explore --kernel "$t" --seed 1 --sequences 30 --length 6 --jobs 2 --out "$tmp/explore" \
            > "$tmp/explore.txt" 2>&1 ||
            { echo "bench: explore on $t failed:" >&2; tail -n 20 "$tmp/explore.txt" >&2; exit 1; }
        secs=$(since "$s")
        rate=$(echo "scale=1; 30 * 60 / $secs" | bc)
        printf 'explore on %-22s 30 sequences of 6 ops in %.0f s: %s sequences/min\n' "$t" "$secs" "$rate"
        if [ "$(echo "$rate < 15" | bc)" = 1 ]; then echo "  SLOW: explore on $t: $rate sequences/min (target >= 15)"; slow=1; fi
        rm -rf "$tmp/explore"
    done
fi
if [ $catalog = 1 ] && [ ${#targets[@]} -gt 1 ]; then
    kargs=()
    for t in "${targets[@]}"; do kargs+=(--kernel "$t"); done
    s=$(now); run "$tmp/all" "${kargs[@]}" "$root/cases"; all=$(printf '%.0f' "$(since "$s")")
    echo "catalog on all ${#targets[@]} targets in one run (default --jobs): $all s"
    check "catalog on all targets" "$all" 360
fi
exit $slow
