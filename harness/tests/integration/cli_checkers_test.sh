#!/usr/bin/env bash
# The kernel's checkers on a -debug kernel (images/config/debug.config): each of
# klp_fault's checker triggers is a real bug of its kind, and each case must end
# ERROR with the checker's report as its title, the guest living on past it:
#   cli_checkers_test.sh KLP_HARNESS_BIN CHECKER_CASES_DIR ARCH KERNEL [RECORD_DIR]
# RECORD_DIR: each case's console.log is copied there as ARCH-KERNEL-TRIGGER.txt,
# what the crash classifier's fixtures are cut from (tests/unit/fixtures/crash/).
# A checker the arch cannot have (the build's "not available on ARCH" line) is
# named in SKIP_CHECKERS (space-separated case names), e.g. "3-kfence".
# CHECKERS_CMDLINE: extra kernel command line (x86_64: no5lvl, see CMakeLists.txt).
set -uo pipefail
bin=$1 cases=$2 arch=$3 kernel=$4 record=${5:-}
. "$(dirname "$0")/verdict_lines.sh"

"$bin" -q run --arch "$arch" --kernel "$kernel" ${CHECKERS_CMDLINE:+--cmdline "$CHECKERS_CMDLINE"} \
    --out "$tmp/results" "$cases" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "exit code $rc, expected 1 (every case ERRORs)"
expect() { # case title-regex
    case " ${SKIP_CHECKERS:-} " in *" $1 "*) echo "skipped on $arch: $1"; return ;; esac
    grep -Eq "^ERROR +checkers/$1 " "$tmp/out" || fail "checkers/$1 is not ERROR"
    grep -Eq "$2" "$tmp/out" || fail "checkers/$1: no title matching '$2'"
    # The kernel went on: the step after the trigger saw "returned".
    grep -q "klp_fault: .*: returned" "$tmp/results/checkers/$1/${arch}_$kernel/kernel.log" ||
        fail "checkers/$1: the guest did not go on after the report"
}
expect 1-kasan-uaf 'BUG: KASAN: slab-use-after-free in fault_uaf'
expect 2-kasan-oob 'BUG: KASAN: slab-out-of-bounds in fault_oob'
expect 3-kfence 'BUG: KFENCE: use-after-free read in fault_kfence'
expect 4-lockdep 'WARNING: possible circular locking dependency detected'
expect 5-atomic-sleep 'BUG: sleeping function called from invalid context'
expect 6-ubsan 'UBSAN: array-index-out-of-bounds'
if [ -n "$record" ]; then
    mkdir -p "$record"
    for d in "$tmp"/results/checkers/*/; do
        name=$(basename "$d")
        cp "$d/${arch}_$kernel/console.log" "$record/$arch-$kernel-${name#*-}.txt"
    done
    echo "consoles in $record"
fi
grep -E '^ERROR +checkers/' "$tmp/out"
echo "PASS: every checker reported on $arch $kernel"
