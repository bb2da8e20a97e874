// Our guest kernel modules (guest/modules), built with kbuild against a kernel's
// headers or build tree: the same path for Debian headers and our own trees,
// native or cross. Cached per (kernel, sources, compiler).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "image/cache.h"
#include "image/kernels.h"

namespace klp::image {

struct ModuleSet {
    std::filesystem::path dir;                  // holds the .ko files
    std::vector<std::filesystem::path> modules; // sorted by name
};

// Builds every module of guest/modules for `kernel`. A failure throws
// HarnessError naming the module and quoting the compiler's error lines.
ModuleSet buildModules(const KernelImage& kernel, const Toolchain& tc, Cache& cache);

// Builds the modules of a source dir `src` (its Kbuild or Makefile sets obj-m;
// subdirs are copied too) the same way; `what` names it in the cache and in
// messages ("ours" for guest/modules).
ModuleSet buildModuleTree(const std::filesystem::path& src, const std::string& what, const KernelImage& kernel,
                          const Toolchain& tc, Cache& cache);

// The make command that builds the external modules in `dir` against `kernel`'s
// headers: the arch's ARCH=/CROSS_COMPILE=, no BTF (pahole and vmlinux: we need
// neither), and the kernel's own suite toolchain first in PATH where it has one.
// `extra`: more make arguments (targets, variables).
std::vector<std::string> kbuildCommand(const KernelImage& kernel, const Toolchain& tc,
                                       const std::filesystem::path& dir, const std::vector<std::string>& extra);

// The compiler such a build uses, as a cache key part; throws UsageError if the
// host lacks it.
std::string kbuildCompilerId(const KernelImage& kernel, const Toolchain& tc);

// The first compiler errors in a kbuild log, as "module NAME: file:line: error: ...".
// Exposed for tests.
std::string summariseBuildErrors(const std::string& log);

// The names of our guest modules (guest/modules/Kbuild's obj-m), without
// building anything: what case files may name.
std::vector<std::string> ourModuleNames();

}  // namespace klp::image
