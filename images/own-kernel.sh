#!/usr/bin/env bash
# Recipe: our own livepatch-capable kernel, built from Debian's linux-source-X.Y or
# from a kernel tree.
#   own-kernel.sh OUTDIR SOURCE
#     SOURCE  linux-source-X.Y[=VERSION]: Debian's source package, unpacked into a
#             scratch dir that goes when the build ends;
#             tree=DIR: a checked-out kernel tree, built in place and left built,
#             so that the next revision checked out there builds incrementally
# The arch comes from the harness's arch table (harness/src/vm/arch.cpp) in the environment:
#   KLP_ARCH           ppc64le | x86_64: names the fragment config/KLP_ARCH.config
#   KLP_KARCH          kbuild's ARCH= (powerpc, x86)
#   KLP_DEFCONFIG      the base config (ppc64le_guest_defconfig, x86_64_defconfig)
#   KLP_BOOT_IMAGE     what QEMU boots, in the build tree (vmlinux, arch/x86/boot/bzImage)
#   KLP_CROSS_COMPILE  kbuild's CROSS_COMPILE= (empty: native)
# and from the kernel's entry (images/kernels.yaml):
#   KLP_PATCHES        optional: patch files, one a line, applied in order to the
#                      source before configuring (mails in `git am` form or diffs, -p1)
#   KLP_CONFIGS        optional: more config fragments, one a line, merged last
#                      (a debug kernel's KASAN, lockdep, ...)
# Config: KLP_DEFCONFIG, then images/config/{livepatch,slim,KLP_ARCH}.config and
# KLP_CONFIGS merged over it, every leftover =m turned off. An option of
# KLP_CONFIGS the arch cannot have is named on a "not available" line. Builds in a scratch dir next to
# OUTDIR and keeps only what booting and out-of-tree module builds need:
#   OUTDIR/boot/<image>   the kernel QEMU boots (KLP_BOOT_IMAGE's file name)
#   OUTDIR/build/         a kbuild tree for `make -C OUTDIR/build M=...`
#   OUTDIR/kmods.cpio.gz  transport modules: empty, virtio is built in
#   OUTDIR/build.log      the full build output
# Writes OUTDIR/release (the kernel release) last: its presence marks a finished build.
# Progress goes to stdout ("own-kernel: ..."), one line a minute while compiling.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_env KLP_ARCH KLP_KARCH KLP_DEFCONFIG KLP_BOOT_IMAGE KLP_CROSS_COMPILE
out=$1 source=$2
arch=$KLP_ARCH karch=$KLP_KARCH base=$KLP_DEFCONFIG boot_image=$KLP_BOOT_IMAGE cross=$KLP_CROSS_COMPILE
image=${boot_image##*/}   # the make target: vmlinux, bzImage
[ -f "$here/config/$arch.config" ] ||
    { echo "own-kernel.sh: no config fragment for arch '$arch' (images/config/$arch.config)" >&2; exit 2; }
say() { echo "own-kernel: $*"; }

mkdir -p "$out"
scratch=$(mktemp -d "$out.scratch.XXXXXX")
# KLP_KEEP_SCRATCH=1 keeps the full tree (1.6 GB) for debugging the recipe.
[ -n "${KLP_KEEP_SCRATCH:-}" ] || trap 'rm -rf "$scratch"' EXIT
log=$out/build.log
: > "$log"

case $source in
    tree=*)
        src=${source#tree=}
        [ -f "$src/Makefile" ] && [ -d "$src/kernel" ] ||
            { echo "own-kernel.sh: $src is not a kernel tree" >&2; exit 2; }
        say "building the tree $src in place"
        ;;
    *)
        say "downloading $source"
        linux_source_tarball "$scratch/deb" "$source" 2>> "$log"
        say "unpacking ${TARBALL##*/}"
        mkdir -p "$scratch/src"
        tar -xf "$TARBALL" -C "$scratch/src" --strip-components=1
        rm -rf "$scratch/deb"
        src=$scratch/src
        ;;
esac
extra=()
while IFS= read -r frag; do
    [ -z "$frag" ] || extra+=("$frag")
done <<< "${KLP_CONFIGS:-}"
[ -z "${KLP_PATCHES:-}" ] ||
    "$here/apply-patches.sh" "$src" "$log" <<< "$KLP_PATCHES" | sed 's/^/own-kernel: /'

mk() { make -C "$src" ARCH="$karch" ${cross:+CROSS_COMPILE="$cross"} "$@"; }
say "configuring: $base + livepatch.config slim.config $arch.config${extra[*]:+ ${extra[*]##*/}}"
mk "$base" >> "$log" 2>&1
( cd "$src" && ARCH=$karch scripts/kconfig/merge_config.sh -m .config \
    "$here/config/livepatch.config" "$here/config/slim.config" "$here/config/$arch.config" \
    "${extra[@]}" ) >> "$log" 2>&1
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
    echo "own-kernel.sh: $source for $arch cannot have ${missing[*]} (see $log)" >&2
    exit 1
fi
# What an extra fragment asks for and the arch (or another option) rules out.
unavailable=()
for frag in "${extra[@]}"; do
    for opt in $(grep -o '^CONFIG_[A-Za-z0-9_]*=y' "$frag"); do
        grep -qx "$opt" "$src/.config" || unavailable+=("${opt%=y}")
    done
done
[ ${#unavailable[@]} -eq 0 ] || say "not available on $arch: ${unavailable[*]}"
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
pack_cpio_gz "$stage" "$out/kmods.cpio.gz"
mk -s kernelrelease > "$out/release.tmp"
mv "$out/release.tmp" "$out/release"
say "done: $(cat "$out/release"), $(du -sh "$out" | cut -f1) kept"
