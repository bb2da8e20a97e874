# `cmake --install` and `cpack -G DEB` (scripts/package.sh): the binary in bin/,
# the data it reads at run time (guest sources, image recipes, the case catalog)
# in share/klp-harness/, where util/paths.cpp finds it from the executable, so an
# install under any prefix works without KLP_HARNESS_HOME.
include(GNUInstallDirs)
# Installing (and cpack, which installs) must not build "all" first: only the
# binary is installed, and the tests and fuzzers take minutes to build. Build
# klp-harness before installing (scripts/package.sh does).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS klp-harness RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Whole directories: a new recipe, module or case is installed without a rule
# of its own. Source permissions keep the recipes and guest/init executable.
install(DIRECTORY guest images cases
        DESTINATION ${CMAKE_INSTALL_DATADIR}/klp-harness
        USE_SOURCE_PERMISSIONS)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME klp-harness)
set(CPACK_PACKAGE_VENDOR klp-harness)
# The Maintainer field a .deb must have; whoever publishes one sets their own
# (-DCPACK_PACKAGE_CONTACT="Name <mail>").
if(NOT CPACK_PACKAGE_CONTACT)
  set(CPACK_PACKAGE_CONTACT "klp-harness maintainers <root@localhost>")
endif()
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Boots guest kernels under QEMU and runs livepatch scenarios")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # klp-harness_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Stripped, as Debian ships binaries (50 MB -> a few); the build tree keeps the
# debug info. `cmake --install --strip` does the same for a plain install.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # libvirt0, libssh-4, libre2-9, ... from the binary
# What the harness runs on the host besides its libraries (shlibdeps cannot see it).
# Depends: what the default path needs (an x86_64 guest from a Debian kernel, our
# modules built for it, the embedded libvirt driver):
#   qemu-system-x86, qemu-utils (qemu-img: snapshot volumes), libvirt-daemon-driver-qemu
#   (the embedded driver's module, loaded into our process), libvirt-daemon-system (as
#   root that driver looks up its libvirt-qemu user), apt (apt-cache, apt-get download),
#   kmod (depmod), cpio, xz-utils (Debian's modules are .ko.xz), binutils (readelf),
#   dropbear-bin (dropbearkey: the guest's host key), gcc, libc6-dev, make (the static
#   guest tools, our modules via kbuild), libelf1 (objtool of Debian's kernel headers).
#   dpkg, gzip, tar, coreutils and bash are Essential.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "qemu-system-x86, qemu-utils, libvirt-daemon-driver-qemu, libvirt-daemon-system, apt, kmod, cpio, xz-utils, binutils, dropbear-bin, gcc, libc6-dev, make, libelf1")
# Recommends: ppc64le guests (QEMU, the cross compiler for our tools and modules),
# building our own kernels (images/own-kernel.sh: bc, bison, flex and the headers its
# host tools compile against), the ssh client `boot` prints a command line for, and
# the debuggers `repro --gdb` prints one for (gdb-multiarch for ppc64le guests).
# ppc64le guests also need `dpkg --add-architecture ppc64el && apt-get update`
# (their userland comes from ppc64el packages): no package can do that.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "qemu-system-ppc, gcc-powerpc64le-linux-gnu, libc6-dev-ppc64el-cross, bc, bison, flex, libelf-dev, libssl-dev, openssh-client, gdb, gdb-multiarch")
include(CPack)
