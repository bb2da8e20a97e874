# images/lib.sh: the helpers every recipe sources (`. "$here/lib.sh"`). One copy,
# so a fix reaches every recipe; the harness hashes this file into every recipe's
# cache key (harness/src/image/recipe.h), so a change here rebuilds what it made.

# need_env VAR...: arch facts come from the harness's arch table (harness/src/vm/arch.cpp)
# as KLP_* variables; a recipe run by hand without one stops here, naming it (empty is
# allowed: KLP_CROSS_COMPILE is empty for a native build).
need_env() {
    local v
    for v in "$@"; do
        [ -n "${!v+set}" ] && continue
        echo "${0##*/}: $v is not set: the harness passes it from harness/src/vm/arch.cpp" >&2
        exit 2
    done
}

# apt_download DIR PKG...: fetches .debs, never installs them, into DIR, which only we
# may write (not apt's _apt user, nor anyone else who could plant a .deb); apt's
# chatter goes to stderr, the recipe's log.
apt_download() {
    local dir=$1
    shift
    mkdir -p "$dir"
    chmod 0700 "$dir"
    ( cd "$dir" && apt-get -o APT::Sandbox::User=root download -q "$@" ) >&2
}

# extract_debs DEST DEB...: unpacks each package's files into DEST (no maintainer
# scripts run: nothing touches the host).
extract_debs() {
    local dest=$1 deb
    shift
    for deb in "$@"; do dpkg-deb -x "$deb" "$dest"; done
}

# linux_source_tarball DIR PKG: downloads Debian's linux-source-X.Y into DIR, extracts
# the package there and sets TARBALL to the kernel tarball it ships (a variable, not
# output: a failed download inside $(...) would not stop the recipe).
linux_source_tarball() {
    local dir=$1 pkg=$2
    apt_download "$dir" "$pkg"
    extract_debs "$dir/x" "$dir"/*.deb
    TARBALL=$(ls "$dir"/x/usr/src/linux-source-*.tar.*)
}

# cpio_of DIR: DIR's tree as a newc archive on stdout, sorted and owned by root, so
# the same tree makes the same bytes whoever builds it.
cpio_of() {
    ( cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet )
}

# pack_cpio_gz DIR OUT: cpio_of DIR, gzipped into OUT (whole or not at all).
pack_cpio_gz() {
    cpio_of "$1" | gzip -9 > "$2.tmp"
    mv "$2.tmp" "$2"
}

# The userland recipes copy binaries out of extracted packages with exactly the
# libraries they need. These helpers read three globals the recipe sets:
#   PKG       the packages extracted together (where libraries are looked up)
#   ROOT      the image tree being filled
#   LIB_DIRS  the library dirs under PKG (set by find_lib_dirs)

# in_pkg PATH: PATH inside PKG with its symlinks followed inside PKG too (ld.so's
# /lib64 link is absolute: `cp -L` would copy the host's file, or none).
in_pkg() {
    local p=$1 target n=0
    while [ -L "$PKG$p" ] && [ $n -lt 20 ]; do
        target=$(readlink "$PKG$p")
        case $target in
            /*) p=$target ;;
            *)  p=$(dirname "$p")/$target ;;
        esac
        n=$((n + 1))
    done
    echo "$PKG$p"
}

# find_lib_dirs: where shared libraries live in PKG, into LIB_DIRS (the multiarch
# dirs and lib64, for any arch: nothing here runs the guest's binaries).
find_lib_dirs() {
    LIB_DIRS=$(find "$PKG" -type d \( -path '*/lib/*-linux-gnu*' -o -path '*/lib64' \) | tr '\n' ' ')
}

# copy_lib SONAME: the first match under LIB_DIRS, copied to the same path in ROOT,
# then its own libraries.
copy_lib() {
    local name=$1 d rel
    for d in $LIB_DIRS; do
        rel=${d#"$PKG"}
        [ -e "$(in_pkg "$rel/$name")" ] || continue
        [ -e "$ROOT$rel/$name" ] && return 0
        mkdir -p "$ROOT$rel"
        cp "$(in_pkg "$rel/$name")" "$ROOT$rel/$name"
        deps_of "$ROOT$rel/$name"
        return 0
    done
    echo "${0##*/}: library $name not found in the packages (add its package to the recipe's list)" >&2
    return 1
}

# deps_of FILE: copy_lib for each DT_NEEDED library of FILE, recursively. readelf
# reads any arch's ELF; a script (egrep, ...) has no ELF header and needs nothing.
deps_of() {
    local lib
    readelf -h "$1" >/dev/null 2>&1 || return 0
    for lib in $(readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        copy_lib "$lib"
    done
}
