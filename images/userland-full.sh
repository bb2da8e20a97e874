#!/usr/bin/env bash
# Recipe: the `--userland full` layer, a cpio laid over the base userland
# (userland.sh): the real tools the kernel's selftests use where busybox's
# applets differ (bash, kmod's modprobe/insmod/modinfo messages, procps sysctl,
# coreutils date --rfc-3339=ns / stat --format / comm --nocheck-order, diff
# --label, getconf, util-linux dmesg), from Debian packages of KLP_DEB_ARCH, downloaded and extracted,
# never installed, with exactly the shared libraries they need.
#   userland-full.sh OUT.cpio.gz      with KLP_DEB_ARCH (amd64, ppc64el) in the environment
#   userland-full.sh --packages    prints the Debian packages it uses (for cache keys)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
# Every binary of these goes in.
whole=(bash coreutils diffutils grep sed mawk kmod)
# Only these files of these (procps' others need ncurses; libc-bin's are admin tools).
# util-linux's dmesg reads /dev/kmsg and (before 2.40) prints no PRINTK_CALLER
# field, so its lines are "[ts] msg" as the selftests' sed expects; busybox's reads
# the syslog interface, "[ts][T60] msg" on kernels with CONFIG_PRINTK_CALLER (ours).
picked=(procps:/sbin/sysctl libc-bin:/usr/bin/getconf util-linux:/bin/dmesg)
libs=(libc6 libtinfo6 libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0 liblzma5 libssl3
      libzstd1 libkmod2 libproc2-0 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1)
all=("${whole[@]}" "${picked[@]%%:*}" "${libs[@]}")
if [ "${1:-}" = --packages ]; then echo "${all[@]}"; exit 0; fi
need_env KLP_DEB_ARCH
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PKG=$work/pkg ROOT=$work/root
mkdir -p "$ROOT"
apt_download "$work/debs" "${all[@]/%/:$KLP_DEB_ARCH}"
# Each package apart, so a binary is taken from its own package only.
for deb in "$work"/debs/*.deb; do
    name=$(dpkg-deb -f "$deb" Package)
    extract_debs "$work/pkg.$name" "$deb"
done
extract_debs "$PKG" "$work"/debs/*.deb   # all together, where libraries are looked up
r=$ROOT
bindirs=(bin sbin usr/bin usr/sbin)
find_lib_dirs
take() { # package path -> root, symlinks to the same package's files kept as links
    local pkg=$1 p=$2
    mkdir -p "$r$(dirname "$p")"
    if [ -L "$work/pkg.$pkg$p" ]; then
        cp -P "$work/pkg.$pkg$p" "$r$p"
        local t
        t=$(readlink "$work/pkg.$pkg$p")
        case $t in /*) ;; *) t=$(dirname "$p")/$t ;; esac
        take "$pkg" "$(realpath -m -s "$t")"   # lexically: the host's files play no part
    elif [ ! -e "$r$p" ]; then
        cp "$work/pkg.$pkg$p" "$r$p"
        deps_of "$r$p"
    fi
}
for pkg in "${whole[@]}"; do
    for d in "${bindirs[@]}"; do
        [ -d "$work/pkg.$pkg/$d" ] || continue
        for f in "$work/pkg.$pkg/$d"/*; do take "$pkg" "/$d/${f##*/}"; done
    done
done
for pf in "${picked[@]}"; do take "${pf%%:*}" "${pf#*:}"; done
# Debian makes awk an alternative at install time; the extracted package has none.
ln -s mawk "$r/usr/bin/awk"

# Busybox's `--install -s` in /init links an applet only where no file is; a
# link to the real tool in every PATH dir leaves it none, so the real tool wins
# whatever order a shell's PATH has (and the scripts' /bin/stat is coreutils').
for d in "${bindirs[@]}"; do
    for f in "$r/$d"/*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        n=${f##*/}
        for other in "${bindirs[@]}"; do
            [ -e "$r/$other/$n" ] || [ -L "$r/$other/$n" ] || { mkdir -p "$r/$other"; ln -s "/$d/$n" "$r/$other/$n"; }
        done
    done
done

# Busybox's sh runs its own applets before anything on PATH (Debian builds it
# standalone): commands over SSH go to bash instead, which goes by PATH.
mkdir -p "$r/etc"
echo 'root:x:0:0:root:/root:/bin/bash' > "$r/etc/passwd"
printf '/bin/sh\n/bin/bash\n' > "$r/etc/shells"   # dropbear refuses a shell not listed

pack_cpio_gz "$r" "$out"
