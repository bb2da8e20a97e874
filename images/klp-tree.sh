#!/usr/bin/env bash
# Recipe: a kernel source tree for the kernel's own livepatch generator,
# scripts/livepatch/klp-build (used by `--patch`).
#   klp-tree.sh OUTDIR SOURCE_PKG=VERSION CONFIG
# Unpacks Debian's SOURCE_PKG into OUTDIR/src with CONFIG, the .config the kernel
# under test was built with (images/own-kernel.sh), and commits it to a git tree:
# klp-build applies and reverts patches with git, and Debian's tarball ignores
# everything (a top-level .gitignore rule "/*"), hence `git add -Af`.
# klp-build itself builds the tree (the first patch: the whole kernel, ~10-15 min
# on 2 cores; later patches: what they touch). Needs gawk, recountdiff (patchutils)
# and libxxhash-dev (objtool's klp commands), checked here.
# Writes OUTDIR/ready last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_env KLP_KARCH KLP_CROSS_COMPILE
out=$1 srcpkg=$2 config=$3
for tool in gawk recountdiff git; do
    command -v "$tool" > /dev/null || { echo "klp-tree.sh: $tool not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
done
[ -f /usr/include/xxhash.h ] || { echo "klp-tree.sh: xxhash.h not found: install libxxhash-dev" >&2; exit 2; }
echo "klp-tree: downloading $srcpkg"
linux_source_tarball "$out/deb" "$srcpkg"
mkdir -p "$out/src"
tar -xf "$TARBALL" -C "$out/src" --strip-components=1
rm -rf "$out/deb"
cd "$out/src"
[ -x scripts/livepatch/klp-build ] || { echo "klp-tree.sh: $srcpkg has no scripts/livepatch/klp-build" >&2; exit 1; }
cp "$config" .config
make ARCH="$KLP_KARCH" ${KLP_CROSS_COMPILE:+CROSS_COMPILE="$KLP_CROSS_COMPILE"} olddefconfig > /dev/null
grep -qx 'CONFIG_KLP_BUILD=y' .config ||
    { echo "klp-tree.sh: the kernel's config has no CONFIG_KLP_BUILD=y (arch without klp-build?)" >&2; exit 1; }
echo "klp-tree: making a git tree of it"
git init -q
git add -Af
git -c user.name=klp-harness -c user.email=klp-harness@localhost commit -q -m "$srcpkg"
# At its version's annotated tag, kbuild's release is the kernel's own (7.2.13-klp);
# an untagged git tree gets a '+' (scripts/setlocalversion), and a module built
# here would carry a vermagic the kernel under test refuses.
git -c user.name=klp-harness -c user.email=klp-harness@localhost tag -a -m "$srcpkg" \
    "v$(make -s kernelversion | sed -E 's/^([0-9]+\.[0-9]+)\.0(.*)$/\1\2/')"
release=$(make -s ARCH="$KLP_KARCH" ${KLP_CROSS_COMPILE:+CROSS_COMPILE="$KLP_CROSS_COMPILE"} kernelrelease)
case $release in *+) echo "klp-tree.sh: kernel release '$release' still has a '+'" >&2; exit 1 ;; esac
echo "klp-tree: ready, kernel release $release"
touch "$out/ready"
