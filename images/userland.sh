#!/usr/bin/env bash
# Recipe: the base guest initramfs (arch-specific, kernel-independent).
#   userland.sh OUT.cpio.gz DEB_ARCH CC GUEST_DIR
# busybox, dropbear + sftp-server with exactly the shared libraries they need
# (from Debian packages of DEB_ARCH, downloaded and extracted, never installed),
# our statically linked guest tools built with CC, our /init, and a dropbear host key.
#   userland.sh --packages       prints the Debian packages it uses (for cache keys)
set -euo pipefail
pkgs=(busybox-static dropbear-bin openssh-sftp-server libc6 zlib1g libcrypt1
      libtomcrypt1 libtommath1 libgmp10)
if [ "${1:-}" = --packages ]; then echo "${pkgs[@]}"; exit 0; fi
out=$1 debarch=$2 cc=$3 guest=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/pkg" "$work/root"
# Only we may write where packages land (not apt's _apt user, nor anyone else).
( cd "$work/debs" && apt-get -o APT::Sandbox::User=root download -q "${pkgs[@]/%/:$debarch}" ) >&2
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/pkg"; done

r=$work/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,usr/lib,etc/dropbear,root,proc,sys,dev,tmp,run,var/log,lib/modules}
chmod 0700 "$r/root"
cp "$work/pkg/bin/busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$work/pkg/usr/sbin/dropbear" "$r/usr/sbin/dropbear"
cp "$work/pkg/usr/lib/openssh/sftp-server" "$r/usr/lib/sftp-server"

# A path inside the extracted packages with its symlinks followed inside them too
# (ld.so's /lib64 link is absolute: `cp -L` would copy the host's file, or none).
in_pkg() {
    local p=$1 target n=0
    while [ -L "$work/pkg$p" ] && [ $n -lt 20 ]; do
        target=$(readlink "$work/pkg$p")
        case $target in
            /*) p=$target ;;
            *)  p=$(dirname "$p")/$target ;;
        esac
        n=$((n + 1))
    done
    echo "$work/pkg$p"
}

# Copy each dynamic binary's interpreter and DT_NEEDED libraries, recursively.
# readelf reads any arch's ELF, so this works for foreign arches too.
libdirs=$(find "$work/pkg" -type d \( -path '*/lib/*-linux-gnu*' -o -path '*/lib64' \) | tr '\n' ' ')
copy_lib() { # soname -> first match under libdirs, copied to the same path in root
    local name=$1 d rel
    for d in $libdirs; do
        rel=${d#"$work/pkg"}
        [ -e "$(in_pkg "$rel/$name")" ] || continue
        [ -e "$r$rel/$name" ] && return 0
        mkdir -p "$r$rel"
        cp "$(in_pkg "$rel/$name")" "$r$rel/$name"
        deps_of "$r$rel/$name"
        return 0
    done
    echo "userland: library $name not found in packages" >&2
    return 1
}
deps_of() {
    local lib
    for lib in $(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        copy_lib "$lib"
    done
}
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
    "$cc" -static -O2 -Wall -o "$r/sbin/$name" "$src"
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
( cd "$r" && { find . | LC_ALL=C sort; } | cpio -o -H newc -R 0:0 --quiet ) > "$work/base.cpio"
( cd "$work" && mkdir -p devnode && cd devnode && mkdir dev && mknod -m 600 dev/console c 5 1 \
    && echo dev/console | cpio -o -H newc -R 0:0 --quiet -A -O "$work/base.cpio" ) 2>/dev/null || true
gzip -9 < "$work/base.cpio" > "$out.tmp"
mv "$out.tmp" "$out"
