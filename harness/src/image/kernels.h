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
    std::string suite;                   // the Debian suite of its packages ("" the host's lists)
    // Kernels we build from a Debian source package (debian-source:), for --patch:
    std::string sourceSpec;              // "linux-source-7.2=7.2.13-1"
    std::vector<std::filesystem::path> patches;  // applied to sourceSpec's tree before the build
    std::filesystem::path config;        // the .config it was built with
    // A newer suite's kernel whose headers need that suite's compiler and libc
    // (images/suite-toolchain.sh): first in PATH for module builds; empty: the host's.
    std::filesystem::path toolPath;
};

// How to build for the guest's arch with kbuild.
struct Toolchain {
    std::string kbuildArch;    // ARCH= ("x86", "powerpc")
    std::string crossCompile;  // CROSS_COMPILE= ("" native)
    std::string bootImage;     // what QEMU boots, in a build tree ("arch/x86/boot/bzImage", "vmlinux")
};

struct NamedKernel {
    std::string name;
    std::string arch;
    std::string description;
    std::string needs;  // what it lacks to be used ("" none): e.g. an unset variable
};

// Every kernel name `--kernel` accepts (image/kernel_catalog.h).
std::vector<NamedKernel> namedKernels();

// What kernelVersions() appends to a version the harness cannot use (a binary
// kernel whose headers the archive no longer offers).
inline constexpr const char* kNoHeaders = "  [no headers package: cannot build modules]";
// The versions Debian offers for kernel `name`, newest first, one line each:
// "VERSION  PACKAGE (where)[kNoHeaders]". UsageError for an unknown name or a path kernel.
std::vector<std::string> kernelVersions(const std::string& name, Cache& cache);

// Resolves `spec` for `arch`: a known name, NAME@VERSION for one version of it
// (fetched or built into the cache on first use; a later call costs an apt-cache
// query and a stat), or an existing path. `tc` checks a path's image. Throws
// UsageError for an unknown name (listing the known ones), a version the archive
// does not offer, a missing path or an image for another arch.
KernelImage resolveKernel(const std::string& spec, const std::string& arch, const Toolchain& tc, Cache& cache);

// The arch a kernel image file is for ("x86_64", "ppc64le"), from its ELF or
// bzImage header; empty when it is neither. Exposed for tests.
std::string kernelImageArch(const std::filesystem::path& image);

// Picks the newest of `candidates` matching `pattern` (version-aware). Exposed for tests.
std::string newestMatching(const std::vector<std::string>& candidates, const std::string& pattern);

}  // namespace klp::image
