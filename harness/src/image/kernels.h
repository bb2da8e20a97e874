// Guest kernels: named ones resolved from Debian's archive, or a user's own path.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "image/cache.h"

namespace klp::image {

struct KernelImage {
    std::string name;                  // "debian-6.1", or the path given
    std::string arch;                  // harness arch name
    std::filesystem::path kernel;      // what QEMU boots
    std::filesystem::path modulesCpio; // transport modules for the initramfs; may be empty
    std::filesystem::path headersDir;  // kbuild dir for module builds; may be empty
    std::string release;               // `uname -r` of the guest, when known
    std::string version;               // package version or content key, for reports
};

struct NamedKernel {
    std::string name;
    std::string arch;
    std::string description;
};

// Every kernel name `--kernel` accepts.
std::vector<NamedKernel> namedKernels();

// Resolves `nameOrPath` for `arch`: a known name (fetched into the cache on first
// use; a second call costs an apt-cache query and a stat) or an existing path.
// Throws UsageError for an unknown name (listing the known ones) or a missing path.
KernelImage resolveKernel(const std::string& nameOrPath, const std::string& arch, Cache& cache);

// Picks the newest of `candidates` matching `pattern` (version-aware). Exposed for tests.
std::string newestMatching(const std::vector<std::string>& candidates, const std::string& pattern);

}  // namespace klp::image
