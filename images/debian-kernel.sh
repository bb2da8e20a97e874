#!/usr/bin/env bash
# Recipe: a Debian-packaged kernel, ready to boot and to build modules against.
#   debian-kernel.sh OUTDIR IMAGE_PKG HEADERS_PKG...
# Downloads the packages with apt-get (never installs them), extracts them into
# OUTDIR/root, points the headers' Makefile at the extracted common headers, and
# packs the virtio modules the guest transport needs into OUTDIR/kmods.cpio.gz.
# Writes OUTDIR/release (the kernel release) last: its presence marks a finished build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1; shift
image_pkg=$1; shift
mkdir -p "$out/root"
apt_download "$out/debs" "$image_pkg" "$@"
extract_debs "$out/root" "$out"/debs/*.deb

vmlinuz=$(ls "$out"/root/boot/vmlinuz-* | head -n1)
release=${vmlinuz##*/vmlinuz-}

# Debian's per-flavour headers Makefile includes the common one by absolute path
# (/usr/src/...). Point it at our extracted copy so `make -C` works from the cache.
for mk in "$out"/root/usr/src/linux-headers-*/Makefile; do
    sed -i "s|^include /usr/src/|include $out/root/usr/src/|" "$mk"
done

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
