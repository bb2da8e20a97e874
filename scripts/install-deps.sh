#!/usr/bin/env bash
# Installs what klp-harness needs to build, boot x86_64 and ppc64le guests and run
# its tests, from Debian 12's own repositories. Idempotent: installs only what is
# missing. ppc64le guests need our own kernels (images/own-kernel.sh: a cross gcc
# and the kernel's build tools) and ppc64el userland packages (the foreign arch
# is added to apt so `apt-get download pkg:ppc64el` works; nothing of it is installed).
set -euo pipefail

build_pkgs=(cmake g++ make pkg-config libvirt-dev libssh-dev libpugixml-dev libgtest-dev
            libcli11-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev libre2-dev
            clang libclang-rt-14-dev python3-jsonschema python3-rfc3987 dpkg-dev)
# clang: the sanitizer (ASan+UBSan) build of the unit tests and the libFuzzer targets.
# python3-jsonschema: unit.kcidb_schema validates `report --kcidb` output against
# the KCIDB schema; python3-rfc3987 lets it check the "uri" format (log URLs).
# dpkg-dev: dpkg-shlibdeps, with which cpack fills the .deb's Depends (scripts/package.sh).
# The embedded libvirt QEMU driver runs in our process; libvirt-daemon-system only
# provides the libvirt-qemu user the privileged driver looks up (no daemon is used).
run_pkgs=(qemu-system-x86 libvirt-daemon-driver-qemu libvirt-daemon-system
          busybox-static dropbear-bin openssh-sftp-server openssh-client cpio gzip xz-utils
          kmod binutils procps libelf1 libxml2-utils qemu-utils
          gdb gdb-multiarch)  # repro --gdb (ppc64le: gdb-multiarch)
# libelf1: the extracted kernel headers' objtool links it (they are not installed,
# so their dependencies are ours to provide). kmod: `selftests` runs depmod over
# the test modules of kernels whose scripts modprobe them; xz-utils unpacks
# linux-source for them.
kernel_pkgs=(bc bison flex libelf-dev libssl-dev
             gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross qemu-system-ppc
             libxxhash-dev patchutils gawk patch)
# patch: a kernel entry's patches: (images/apply-patches.sh).
# libxxhash-dev, patchutils (recountdiff), gawk: the kernel's klp-build (--patch);
# objtool has its `klp` commands only when built against libxxhash.
test_pkgs=(chromium)
# chromium: cli.history renders `report --history` in a headless browser (DOM dump).
foreign_arch=ppc64el

need=()
for p in "${build_pkgs[@]}" "${run_pkgs[@]}" "${kernel_pkgs[@]}" "${test_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
# Kernel names and guest packages resolve through apt-cache: the lists for both
# arches must be there.
lists_ok() {
    [ -n "$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | head -n1)" ] &&
        apt-cache show --no-all-versions "busybox-static:$foreign_arch" >/dev/null 2>&1
}
arch_ok() { dpkg --print-foreign-architectures | grep -qx "$foreign_arch"; }
if [ ${#need[@]} -eq 0 ] && arch_ok && lists_ok; then
    echo "install-deps: everything is installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    [ ${#need[@]} -eq 0 ] || echo "install-deps: missing packages: ${need[*]}" >&2
    arch_ok || echo "install-deps: dpkg does not know the $foreign_arch architecture" >&2
    arch_ok && lists_ok || echo "install-deps: apt's package lists lack amd64 kernels or $foreign_arch packages" >&2
    echo "install-deps: run this script as root to fix that" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
arch_ok || dpkg --add-architecture "$foreign_arch"
# A mirror mid-sync can fail one index; what we need is checked right after.
# Bounded, like every host command of the harness: a stuck mirror must not hang CI.
timeout 900 apt-get update -q || echo "install-deps: apt-get update reported errors; going on" >&2
lists_ok || { echo "install-deps: apt has no $foreign_arch package lists after apt-get update" >&2; exit 1; }
[ ${#need[@]} -gt 0 ] || { echo "install-deps: everything is installed"; exit 0; }
echo "install-deps: installing ${need[*]}"
# Recommends would pull a running libvirtd, dnsmasq, etc.: not wanted.
timeout 1800 apt-get install -y -q --no-install-recommends "${need[@]}" ||
    { echo "install-deps: apt-get install failed or took over 30 min" >&2; exit 1; }
