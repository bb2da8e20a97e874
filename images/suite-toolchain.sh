#!/usr/bin/env bash
# Helper of debian-kernel.sh: a Debian suite's kernel toolchain, runnable on this host.
#   suite-toolchain.sh OUTDIR COMPILER [DIR...]
#     COMPILER  what the kernel's headers name as CC, e.g. x86_64-linux-gnu-gcc-16
#     DIR       more trees whose executables need the suite's C library (the
#               headers' kbuild tools: fixdep, modpost, objtool, ...)
# A kernel from a newer suite (sid's 7.2) was configured with that suite's gcc: its
# flags (-fmin-function-alignment, ...) are not gcc 12's, and its kbuild tools need
# a newer glibc than Debian 12's. Nothing is installed on the host: the compiler,
# binutils and the libraries (with the suite's own libc and dynamic loader) are
# unpacked into OUTDIR, and every dynamically linked executable in OUTDIR and the
# DIRs is replaced by a two-line script that starts the original with OUTDIR's
# loader and libraries (argv[0] kept: gcc finds cc1, objtool its per-arch binary,
# through it). Put OUTDIR/usr/bin first in PATH to build with it.
# apt reads the suite's lists through APT_CONFIG (the harness sets it).
set -euo pipefail
out=$1 compiler=$2
shift 2
say() { echo "suite-toolchain: $*"; }
[[ $compiler =~ ^(.+)-gcc-([0-9]+)$ ]] ||
    { echo "suite-toolchain.sh: cannot tell the triplet and gcc version from '$compiler'" >&2; exit 2; }
triplet=${BASH_REMATCH[1]} major=${BASH_REMATCH[2]}
pkgtriplet=${triplet//_/-}

# The first of several names (a library renamed across suites: libelf1t64, libelf1).
first_known() {
    local p
    for p in "$@"; do
        apt-cache show -q "$p" > /dev/null 2>&1 && { echo "$p"; return 0; }
    done
    echo "suite-toolchain.sh: the suite offers none of $*" >&2
    return 1
}
pkgs=("gcc-$major-$pkgtriplet" "binutils-$pkgtriplet"
      "$(first_known libelf1t64 libelf1)" "$(first_known libssl3t64 libssl3)"
      "$(first_known zlib1g)" "$(first_known libzstd1)")

# The whole dependency closure, as on a system with nothing installed: an empty
# dpkg status, and apt's archive dir inside OUTDIR.
debs=$out/debs
mkdir -p "$debs/partial"
chmod 0700 "$debs"
: > "$out/status"
say "downloading ${pkgs[*]} and their dependencies"
apt-get -q -o APT::Sandbox::User=root -o Dir::State::status="$out/status" \
    -o Dir::Cache::archives="$debs/" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    install --download-only --no-install-recommends -y "${pkgs[@]}" >&2
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$out"; done
rm -rf "$debs" "$out/status"

libdir=$out/usr/lib/$triplet   # the multiarch dir: libc, and what gcc, binutils and the tools link
loader=$(find "$libdir" -maxdepth 1 \( -name 'ld-linux*.so.*' -o -name 'ld64.so.*' \) | head -n1)
[ -n "$loader" ] || { echo "suite-toolchain.sh: no dynamic loader in $libdir" >&2; exit 1; }

# wrap FILE: FILE becomes FILE.suite, and FILE a script that runs it with our loader.
wrap() {
    local f=$1
    mv "$f" "$f.suite"
    printf '#!/bin/sh\nexec %s --argv0 "$0" --library-path %s %s "$@"\n' "$loader" "$libdir" "$f.suite" > "$f"
    chmod 0755 "$f"
}
n=0
while IFS= read -r -d '' f; do
    # Only executables with an interpreter: shared libraries and static tools stay.
    readelf -l "$f" 2> /dev/null | grep -q 'Requesting program interpreter' || continue
    wrap "$f"
    n=$((n + 1))
done < <(find "$out/usr/bin" "$out/usr/libexec" "$@" -type f -perm -u+x ! -name '*.suite' ! -name '*.so*' -print0)
"$out/usr/bin/$compiler" --version | head -n1 | sed 's/^/suite-toolchain: /'
say "$n executables run with $(basename "$loader") of the suite"
