#!/usr/bin/env bash
# Recipe: our own livepatch-capable kernel, built from Debian's linux-source-X.Y.
#   own-kernel.sh OUTDIR ARCH SOURCE_PKG [CROSS_COMPILE]
#     ARCH: ppc64le | x86_64      SOURCE_PKG: linux-source-6.1, linux-source-6.12, ...
# Config: the arch's base defconfig, then images/config/{livepatch,slim,ARCH}.config
# merged over it, every leftover =m turned off. Builds in a scratch dir next to
# OUTDIR and keeps only what booting and out-of-tree module builds need:
#   OUTDIR/boot/<image>   the kernel QEMU boots (ppc64le: vmlinux, x86_64: bzImage)
#   OUTDIR/build/         a kbuild tree for `make -C OUTDIR/build M=...`
#   OUTDIR/kmods.cpio.gz  transport modules: empty, virtio is built in
#   OUTDIR/build.log      the full build output
# Writes OUTDIR/release (the kernel release) last: its presence marks a finished build.
# Progress goes to stdout ("own-kernel: ..."), one line a minute while compiling.
set -euo pipefail
out=$1 arch=$2 srcpkg=$3 cross=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
case $arch in
    ppc64le) karch=powerpc base=ppc64le_guest_defconfig image=vmlinux boot_image=vmlinux ;;
    x86_64)  karch=x86 base=x86_64_defconfig image=bzImage boot_image=arch/x86/boot/bzImage ;;
    *) echo "own-kernel.sh: no recipe for arch '$arch' (ppc64le, x86_64)" >&2; exit 2 ;;
esac
say() { echo "own-kernel: $*"; }

mkdir -p "$out"
scratch=$(mktemp -d "$out.scratch.XXXXXX")
# KLP_KEEP_SCRATCH=1 keeps the full tree (1.6 GB) for debugging the recipe.
[ -n "${KLP_KEEP_SCRATCH:-}" ] || trap 'rm -rf "$scratch"' EXIT
log=$out/build.log
: > "$log"

say "downloading $srcpkg"
mkdir -p "$scratch/deb"
chmod 0700 "$scratch/deb" # only we may write where packages land (not apt's _apt user)
( cd "$scratch/deb" && apt-get -o APT::Sandbox::User=root download -q "$srcpkg" ) >> "$log" 2>&1
dpkg-deb -x "$scratch"/deb/*.deb "$scratch/deb/x"
tarball=$(ls "$scratch"/deb/x/usr/src/linux-source-*.tar.*)
say "unpacking ${tarball##*/}"
mkdir -p "$scratch/src"
tar -xf "$tarball" -C "$scratch/src" --strip-components=1
rm -rf "$scratch/deb"
src=$scratch/src

mk() { make -C "$src" ARCH="$karch" ${cross:+CROSS_COMPILE="$cross"} "$@"; }
say "configuring: $base + livepatch.config slim.config $arch.config"
mk "$base" >> "$log" 2>&1
( cd "$src" && ARCH=$karch scripts/kconfig/merge_config.sh -m .config \
    "$here/config/livepatch.config" "$here/config/slim.config" "$here/config/$arch.config" ) >> "$log" 2>&1
mk olddefconfig >> "$log" 2>&1
# Nothing as a module: the guest loads only ours, and virtio must be built in.
sed -i 's/^\(CONFIG_[A-Za-z0-9_]*\)=m$/# \1 is not set/' "$src/.config"
mk olddefconfig >> "$log" 2>&1
missing=()
for opt in $(grep -o '^CONFIG_[A-Za-z0-9_]*=y' "$here/config/livepatch.config") \
           CONFIG_HAVE_RELIABLE_STACKTRACE=y; do
    grep -qx "$opt" "$src/.config" || missing+=("${opt%=y}")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "own-kernel.sh: $srcpkg for $arch cannot have ${missing[*]} (see $log)" >&2
    exit 1
fi
cp "$src/.config" "$out/config"

jobs=$(nproc)
say "building $image and modules with $jobs jobs (log: $log)"
start=$SECONDS
mk -j"$jobs" "$image" modules >> "$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null || break
    say "still building: $(( (SECONDS - start) / 60 )) min, $(grep -c '^  CC ' "$log") files compiled"
done
if ! wait "$pid"; then
    echo "own-kernel.sh: build failed; last lines of $log:" >&2
    grep -E 'error|Error' "$log" | tail -n 5 >&2 || tail -n 5 "$log" >&2
    exit 1
fi
say "built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"

# The kbuild subset an external module build reads (what Debian's headers
# package holds): Makefiles, Kconfig output, headers, host tools, symbol versions.
tree=$out/build
mkdir -p "$tree" "$out/boot"
(
    cd "$src"
    {
        echo .config; echo Module.symvers; echo System.map
        find . -maxdepth 1 -name 'Makefile*'
        find "arch/$karch" -maxdepth 1 \( -name 'Makefile*' -o -name 'Kbuild*' \)
        find "arch/$karch" -name Platform -o -name Kbuild.platforms
        find include "arch/$karch/include" -type f
        find scripts -type f ! -name '*.o' ! -name '*.cmd' ! -name '*.c' ! -name '*.tmp'
        find scripts -name '*.h' -o -name '*.lds'
        # 6.12+: every external module build compiles this one into .module-common.o.
        find scripts -maxdepth 1 -name module-common.c
        # ppc64: modules link the register save/restore helpers.
        find "arch/$karch/lib" -maxdepth 1 -name 'crtsavres.o'
        [ ! -x tools/objtool/objtool ] || echo tools/objtool/objtool
    } | LC_ALL=C sort -u | tar -cf - --no-recursion -T - | tar -xf - -C "$tree"
)
cp "$src/$boot_image" "$out/boot/$image"
# Modules are built in: an empty transport-module archive keeps the interface.
stage=$scratch/kmods
mkdir -p "$stage/lib/modules"
: > "$stage/lib/modules/load.order"
( cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 ) > "$out/kmods.cpio.gz"
mk -s kernelrelease > "$out/release.tmp"
mv "$out/release.tmp" "$out/release"
say "done: $(cat "$out/release"), $(du -sh "$out" | cut -f1) kept"
