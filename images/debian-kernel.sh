#!/usr/bin/env bash
# Recipe: a Debian-packaged kernel, ready to boot and to build modules against.
#   debian-kernel.sh OUTDIR IMAGE_PKG HEADERS_PKG...
# Downloads the packages with apt-get (never installs them), extracts them into
# OUTDIR/root, points the headers' Makefile at the extracted common headers, and
# packs the virtio modules the guest transport needs into OUTDIR/kmods.cpio.gz.
# A kernel of a newer suite whose kbuild tools this host cannot run (sid's need a
# newer glibc) gets that suite's compiler and libraries in OUTDIR/toolchain
# (suite-toolchain.sh): module builds put OUTDIR/toolchain/usr/bin first in PATH.
# Writes OUTDIR/release (the kernel release) last: its presence marks a finished build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1; shift
image_pkg=$1; shift
mkdir -p "$out/root"
apt_download "$out/debs" "$image_pkg" "$@"
extract_debs "$out/root" "$out"/debs/*.deb

# Since 7.x (merged /usr) the image lies in /usr/lib/modules/RELEASE/vmlinuz and the
# modules under /usr/lib: give both the layout the rest of this recipe and the
# harness read (boot/vmlinuz-RELEASE, lib/modules).
for v in "$out"/root/usr/lib/modules/*/vmlinuz; do
    [ -e "$v" ] || continue
    mkdir -p "$out/root/boot"
    r=${v%/vmlinuz}
    ln -f "$v" "$out/root/boot/vmlinuz-${r##*/}"
done
[ -e "$out/root/lib" ] || [ ! -d "$out/root/usr/lib/modules" ] || ln -s usr/lib "$out/root/lib"
vmlinuz=$(ls "$out"/root/boot/vmlinuz-* | head -n1)
release=${vmlinuz##*/vmlinuz-}

# Debian's per-flavour headers Makefile includes the common one by absolute path
# (/usr/src/...), and since 7.x names its own dir so too (KBUILD_OUTPUT=). Point
# both at our extracted copy so `make -C` works from the cache.
for mk in "$out"/root/usr/src/linux-headers-*/Makefile; do
    sed -i -e "s|^include /usr/src/|include $out/root/usr/src/|" \
        -e "s|^KBUILD_OUTPUT=/usr/src/|KBUILD_OUTPUT=$out/root/usr/src/|" "$mk"
done

# A kernel of a newer suite names a compiler this host lacks (CC = ... gcc-N in
# the headers' .kernelvariables, CROSS_COMPILE = TRIPLET-), and its kbuild tools
# (modpost, objtool) may need a newer glibc: then that suite's toolchain comes along.
headers=$out/root/usr/src/linux-headers-$release
vars=$headers/.kernelvariables
kbuild=$(readlink -f "$headers/scripts/..")
gcc=$(sed -n 's/^CC = .*)\(gcc-[0-9]*\)$/\1/p' "$vars" 2> /dev/null || true)
# A literal triplet only: 6.1's is "$(DEB_HOST_GNU_TYPE)-", and only when cross-building.
triplet=$(sed -n 's/^override CROSS_COMPILE = \([a-z0-9_]*-linux-[a-z0-9]*\)-$/\1/p' "$vars" 2> /dev/null || true)
cc=${triplet:+$triplet-}$gcc
why=
if [ -n "$gcc" ] && ! command -v "$cc" > /dev/null; then
    why="it was built with $cc"
fi
while IFS= read -r -d '' tool; do
    missing=$(ldd "$tool" 2>&1 | grep -m1 'not found' || true)
    [ -z "$missing" ] || { why="${why:+$why; }${tool#"$kbuild/"} needs ${missing##*: }"; break; }
done < <(find "$kbuild" -type f -perm -u+x -print0)
if [ -n "$why" ]; then
    [ -n "$gcc" ] ||
        { echo "debian-kernel.sh: $why, and $vars does not say which compiler built $release" >&2; exit 1; }
    echo "debian-kernel: fetching the suite's toolchain: $why"
    "$here/suite-toolchain.sh" "$out/toolchain" "${triplet:-$(gcc -dumpmachine)}-$gcc" "$kbuild"
fi

# Virtio transport modules (built in on some flavours: then nothing to load).
moddir=$out/root/lib/modules/$release
# The package ships no modules.dep (postinst runs depmod): make it here.
[ -f "$moddir/modules.dep" ] || depmod -b "$out/root" "$release"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib/modules"
: > "$stage/lib/modules/load.order"
declare -A seen=()
add_module() { # name -> its dependencies first, then itself, into load.order
    local name=$1 path deps dep
    path=$(grep -E "(^|/)${name//_/[-_]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n1 | cut -d: -f1) || true
    [ -n "$path" ] || return 0 # built in
    [ -z "${seen[$path]:-}" ] || return 0
    seen[$path]=1
    deps=$(grep -E "^${path//./\\.}:" "$moddir/modules.dep" | cut -d: -f2-)
    for dep in $deps; do
        dep=${dep##*/}; add_module "${dep%%.ko*}"
    done
    local base=${path##*/}
    case "$base" in
        *.xz)  xz -dc "$moddir/$path" > "$stage/lib/modules/${base%.xz}" ;;
        *.zst) zstd -qdc "$moddir/$path" > "$stage/lib/modules/${base%.zst}" ;;
        *.gz)  gzip -dc "$moddir/$path" > "$stage/lib/modules/${base%.gz}" ;;
        *)     cp "$moddir/$path" "$stage/lib/modules/$base" ;;
    esac
    echo "${base%.ko*}.ko" >> "$stage/lib/modules/load.order"
}
for m in virtio_pci virtio_console; do add_module "$m"; done
pack_cpio_gz "$stage" "$out/kmods.cpio.gz"
rm -rf "$out/debs"
echo "$release" > "$out/release"
