// The kernel's livepatch selftests, made ready for one kernel: their source
// (Debian's linux-source-X.Y, or a kernel tree given), their test modules built
// with kbuild against the kernel under test, and everything packed as one cpio
// archive laid over the guest's `full` userland. Cached like our modules.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "image/cache.h"
#include "image/kernels.h"

namespace klp::selftests {

// Where the scripts live in the guest.
inline const char* kGuestDir = "/opt/selftests/livepatch";

struct Source {
    std::filesystem::path tree;  // holds tools/testing/selftests/livepatch
    std::string origin;          // "linux-source-6.1 6.1.192-2", or the tree given
};

// `tree` when given (an unpacked kernel tree), else the Debian package
// linux-source-X.Y for the kernel's release X.Y.Z (what our own kernels are
// built from), unpacked into the cache (images/selftests-source.sh). Throws
// UsageError naming the tree or package.
Source selftestSource(const image::KernelImage& kernel, const std::string& tree, image::Cache& cache);

struct Payload {
    std::filesystem::path archive;     // cpio, laid over the userland
    std::vector<std::string> scripts;  // the Makefile's TEST_PROGS, in order
    std::string layout;  // "test_modules" (beside the scripts) or "modprobe" (/lib/modules/RELEASE)
};

// Builds the test modules for `kernel` (newer kernels: test_modules/ beside the
// scripts, loaded with insmod; older: lib/livepatch with CONFIG_TEST_LIVEPATCH=m,
// installed under /lib/modules/RELEASE with depmod for modprobe), the
// test-syscall helper where there is one, and packs them with the scripts.
Payload buildPayload(const image::KernelImage& kernel, const image::Toolchain& tc, const Source& src,
                     image::Cache& cache);

}  // namespace klp::selftests
