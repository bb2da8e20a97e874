#!/usr/bin/env bash
# Recipe: a QEMU from a Debian suite other than the host's (e.g. bookworm-backports),
# unpacked into the cache, never installed.
#   suite-qemu.sh OUTDIR EMULATOR PKG=VERSION...
# The harness runs it with APT_CONFIG pointing at that suite's own apt lists.
# Writes OUTDIR/bin/EMULATOR: a wrapper that runs the unpacked binary with its own
# firmware and data (-L) and its own modules first (QEMU_MODULE_DIR; QEMU still
# searches the host's module dir after it, so the harness passes every module
# package of the version: one older module loaded aborts QEMU). OUTDIR/version,
# the first line of its --version, is written last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
out=$1 emulator=$2
shift 2
apt_download "$out/debs" "$@"
extract_debs "$out/root" "$out"/debs/*.deb
rm -rf "$out/debs"
bin=$out/root/usr/bin/$emulator
[ -x "$bin" ] || { echo "suite-qemu.sh: $* ship no $emulator" >&2; exit 1; }
moddir=$(find "$out/root/usr/lib" -mindepth 2 -maxdepth 2 -type d -name qemu | head -n1)
mkdir -p "$out/bin"
cat > "$out/bin/$emulator" <<EOF
#!/bin/sh
# $emulator of $*, unpacked by klp-harness: its own data dir and modules.
QEMU_MODULE_DIR='$moddir' exec '$bin' -L '$out/root/usr/share/qemu' "\$@"
EOF
chmod 0755 "$out/bin/$emulator"
"$out/bin/$emulator" --version | head -n1 > "$out/version.tmp"
mv "$out/version.tmp" "$out/version"
