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

// The first compiler errors in a kbuild log, as "module NAME: file:line: error: ...".
// Exposed for tests.
std::string summariseBuildErrors(const std::string& log);

// The names of our guest modules (guest/modules/Kbuild's obj-m), without
// building anything: what case files may name.
std::vector<std::string> ourModuleNames();

}  // namespace klp::image
