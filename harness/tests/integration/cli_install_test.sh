#!/usr/bin/env bash
# The .deb as a user gets it: cpack builds it from BUILD_DIR, it is unpacked into a
# scratch root, and its binary, run from another directory with the source tree
# hidden (so nothing can come from it), lists the installed catalog and boots a
# guest: as root with the warm cache, then as a fresh non-root user (cold cache:
# its first run fetches the kernel and builds the userland as that user).
#   cli_install_test.sh KLP_HARNESS_BIN BUILD_DIR SOURCE_DIR KERNEL
set -uo pipefail
built=$1 build=$2 src=$3 kernel=$4
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (useradd, a private mount namespace)"; exit 77; }
tmp=$(mktemp -d)
user=klp-inst-$$
cleanup() {
    getent passwd "$user" > /dev/null && userdel "$user"
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
chmod 0755 "$tmp"  # the scratch user runs the unpacked binary from here

# The package: name, version, dependencies from the binary (shlibdeps) and ours.
(cd "$tmp" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg") > "$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
deb=$tmp/pkg/klp-harness_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb: $(ls "$tmp/pkg")"
[ "$(dpkg-deb -f "$deb" Package)" = klp-harness ] || fail "package name $(dpkg-deb -f "$deb" Package)"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "version $(dpkg-deb -f "$deb" Version), project $version"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in libvirt0 libssh-4 qemu-system-x86 qemu-utils libvirt-daemon-driver-qemu; do
    [[ ", $depends," == *", $dep "* || ", $depends," == *", $dep,"* ]] || fail "Depends lacks $dep: $depends"
done
[[ "$(dpkg-deb -f "$deb" Recommends)" == *qemu-system-ppc* ]] || fail "Recommends lacks qemu-system-ppc"

# Its files: the binary, every file of guest/, images/ and cases/ (recipes still
# executable), the docs.
root=$tmp/root data=$tmp/root/usr/share/klp-harness bin=$tmp/root/usr/bin/klp-harness
dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x failed"
[ -x "$bin" ] || fail "no executable usr/bin/klp-harness"
[ -f "$root/usr/share/doc/klp-harness/README.md" ] || fail "no usr/share/doc/klp-harness/README.md"
want=$(cd "$src" && find guest images cases -type f | LC_ALL=C sort)
have=$(cd "$data" && find guest images cases -type f | LC_ALL=C sort)
[ "$want" = "$have" ] || fail "installed data differs from the source tree: $(diff <(echo "$want") <(echo "$have") | grep '^[<>]' | head -5 | tr '\n' ' ')"
for x in guest/init images/debian-kernel.sh images/userland.sh images/own-kernel.sh; do
    [ -x "$data/$x" ] || fail "$x is not executable when installed"
done

# The source tree hidden under an empty read-only tmpfs in a private mount namespace.
hidden() {
    # shellcheck disable=SC2016  # expanded by the inner sh, inside the namespace
    unshare --mount --propagation private -- sh -c \
        'mount -t tmpfs -o ro,size=4k klp-hidden "$0" && [ ! -e "$0/images" ] && exec "$@"' "$src" "$@"
}
mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere" || fail "cd"
export KLP_HARNESS_RUNDIR=$tmp/runs
unset KLP_HARNESS_HOME

# The data dir decides what `list` accepts (it reads guest/modules/Kbuild):
# KLP_HARNESS_HOME overrides it, so a wrong one must fail.
KLP_HARNESS_HOME=$tmp/nowhere hidden "$bin" list "$data/cases" > /dev/null 2>&1 &&
    fail "list with KLP_HARNESS_HOME=$tmp/nowhere succeeded: the data dir is not used"
hidden "$bin" list "$data/cases" > "$tmp/list" 2> "$tmp/list.err" ||
    fail "installed list failed: $(cat "$tmp/list.err")"
"$built" list "$src/cases" > "$tmp/list.src" 2>&1 || fail "build-tree list failed"
diff -q "$tmp/list.src" "$tmp/list" > /dev/null || fail "installed list differs from the build tree's"

check_exec() {  # WHO STDOUT STDERR RC
    [ "$4" -eq 0 ] || { echo "--- stderr"; cat "$3"; fail "exec as $1: exit code $4"; }
    [[ "$(cat "$2")" == 6.*-cloud-amd64 ]] || fail "exec as $1 printed '$(cat "$2")'"
}
start=$SECONDS
hidden "$bin" exec --kernel "$kernel" -- uname -r > "$tmp/exec.out" 2> "$tmp/exec.err"
check_exec root "$tmp/exec.out" "$tmp/exec.err" $?
echo "root: $(cat "$tmp/exec.out") in $((SECONDS - start)) s"

# A fresh user with nothing but the usual environment: its own cache and run dirs.
useradd --system --user-group --no-create-home --home-dir "$tmp/home" --shell /usr/sbin/nologin "$user" ||
    fail "useradd failed"
install -d -o "$user" -g "$user" -m 0700 "$tmp/home"
start=$SECONDS
hidden runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$tmp/home" \
    KLP_HARNESS_RUNDIR="$tmp/home/runs" "$bin" exec --kernel "$kernel" -- uname -r \
    > "$tmp/user.out" 2> "$tmp/user.err"
check_exec "$user" "$tmp/user.out" "$tmp/user.err" $?
echo "$user: $(cat "$tmp/user.out") in $((SECONDS - start)) s (cold cache)"
[ -d "$tmp/home/.cache/klp-harness/kernels" ] || fail "$user's cache is not in its ~/.cache/klp-harness"

# QEMU's arguments name its run dir; pgrep never matches itself.
if left=$(pgrep -af "$tmp/"); then
    fail "a process of this test is still alive: $left"
fi
for runs in "$tmp/runs" "$tmp/home/runs"; do
    [ -z "$(ls -A "$runs" 2>/dev/null)" ] || fail "run dir left behind: $(ls "$runs")"
done
echo "PASS: installed $(basename "$deb") runs from elsewhere as root and as $user"
