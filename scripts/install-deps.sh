#!/usr/bin/env bash
# Installs what klp-harness needs to build, boot x86_64 guests and run its tests,
# from Debian 12's own repositories. Idempotent: installs only what is missing.
set -euo pipefail

build_pkgs=(cmake g++ make pkg-config libvirt-dev libssh-dev libpugixml-dev libgtest-dev
            libcli11-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev)
# The embedded libvirt QEMU driver runs in our process; libvirt-daemon-system only
# provides the libvirt-qemu user the privileged driver looks up (no daemon is used).
run_pkgs=(qemu-system-x86 libvirt-daemon-driver-qemu libvirt-daemon-system
          busybox-static dropbear-bin openssh-sftp-server openssh-client cpio gzip xz-utils
          kmod binutils procps libelf1 libxml2-utils)
# libelf1: the extracted kernel headers' objtool links it (they are not installed,
# so their dependencies are ours to provide).

need=()
for p in "${build_pkgs[@]}" "${run_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
# Kernel names resolve through apt-cache: the package lists must be there.
lists_ok() { [ -n "$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | head -n1)" ]; }
if [ ${#need[@]} -eq 0 ]; then
    if ! lists_ok && [ "$(id -u)" -eq 0 ]; then apt-get update -q; fi
    echo "install-deps: everything is installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${need[*]} (run as root or install them with apt-get)" >&2
    exit 1
fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Recommends would pull a running libvirtd, dnsmasq, etc.: not wanted.
apt-get install -y -q --no-install-recommends "${need[@]}"
