#!/usr/bin/env bash
# Recipe: the base guest initramfs (arch-specific, kernel-independent).
#   userland.sh OUT.cpio.gz GUEST_DIR
#     with KLP_DEB_ARCH (the guest's Debian arch: amd64, ppc64el) and KLP_CC (its C
#     compiler: gcc, powerpc64le-linux-gnu-gcc) in the environment, from the harness
# busybox, dropbear + sftp-server with exactly the shared libraries they need
# (from Debian packages of KLP_DEB_ARCH, downloaded and extracted, never installed),
# our statically linked guest tools built with KLP_CC, our /init, and a dropbear host key.
#   userland.sh --packages       prints the Debian packages it uses (for cache keys)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
pkgs=(busybox-static dropbear-bin openssh-sftp-server libc6 zlib1g libcrypt1
      libtomcrypt1 libtommath1 libgmp10)
if [ "${1:-}" = --packages ]; then echo "${pkgs[@]}"; exit 0; fi
need_env KLP_DEB_ARCH KLP_CC
out=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PKG=$work/pkg ROOT=$work/root
mkdir -p "$PKG" "$ROOT"
apt_download "$work/debs" "${pkgs[@]/%/:$KLP_DEB_ARCH}"
extract_debs "$PKG" "$work"/debs/*.deb

r=$ROOT
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/lib,etc/dropbear,root,proc,sys,dev,tmp,run,var/log,lib/modules}
chmod 0700 "$r/root"
cp "$PKG/bin/busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$PKG/usr/sbin/dropbear" "$r/usr/sbin/dropbear"
cp "$PKG/usr/lib/openssh/sftp-server" "$r/usr/lib/sftp-server"

# Each dynamic binary's interpreter (ld.so) and libraries, from the packages.
find_lib_dirs
for bin in "$r/usr/sbin/dropbear" "$r/usr/lib/sftp-server"; do
    interp=$(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
    if [ -n "$interp" ] && [ ! -e "$r$interp" ]; then
        mkdir -p "$r$(dirname "$interp")"
        cp "$(in_pkg "$interp")" "$r$interp"
    fi
    deps_of "$bin"
done

# Our guest tools, static so they need nothing from the image.
for src in "$guest"/tools/*.c; do
    name=$(basename "$src" .c)
    "$KLP_CC" -static -O2 -Wall -o "$r/sbin/$name" "$src"
done
install -m 0755 "$guest/init" "$r/init"

cat > "$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
P
echo 'root:x:0:' > "$r/etc/group"
echo 'root:*:1:0:99999:7:::' > "$r/etc/shadow"
chmod 0600 "$r/etc/shadow"
printf '/bin/sh\n' > "$r/etc/shells"
dropbearkey -t ed25519 -f "$r/etc/dropbear/dropbear_ed25519_host_key" >/dev/null 2>&1

# The kernel needs /dev/console in the archive to open the console before /init.
cpio_of "$r" > "$work/base.cpio"
( cd "$work" && mkdir -p devnode && cd devnode && mkdir dev && mknod -m 600 dev/console c 5 1 \
    && echo dev/console | cpio -o -H newc -R 0:0 --quiet -A -O "$work/base.cpio" ) 2>/dev/null || true
gzip -9 < "$work/base.cpio" > "$out.tmp"
mv "$out.tmp" "$out"
