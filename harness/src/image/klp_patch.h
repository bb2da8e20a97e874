// --patch FILE.patch: a source patch made into a livepatch module by the kernel's
// own generator, scripts/livepatch/klp-build (Linux 6.19+, CONFIG_KLP_BUILD),
// run in a cached source tree of the kernel under test. Cached by (kernel, patch).
#pragma once
#include <filesystem>
#include <string>

#include "image/cache.h"
#include "image/kernels.h"

namespace klp::image {

struct PatchModule {
    std::filesystem::path ko;  // <name>.ko in the cache
    std::string name;          // its module name: what cases name (--var PATCH=...)
};

// The name of the module klp-build makes of `patch`, as the kernel and cases
// know it: livepatch_<file stem> ('-' and other signs as '_').
std::string patchModuleName(const std::filesystem::path& patch);

// The file is there and a unified diff with hunks; else a one-line UsageError naming it.
void checkPatchFile(const std::filesystem::path& patch);

// checkPatchFile, then whether `k` can take patches: built from source here with
// CONFIG_KLP_BUILD (the kernel's klp-build supports its arch). Needs no build.
void checkPatchUsable(const KernelImage& k, const std::filesystem::path& patch);

// The module for `patch` on `k`: from the cache, or made by klp-build (the first
// patch of a kernel builds the whole kernel once, ~10-15 min on 2 cores; later
// ones what they change). A patch that does not apply, one klp-build refuses or
// one that does not compile is a one-line UsageError naming the patch file (and
// the hunk's line where it does not apply); klp-build's log is kept.
PatchModule patchModule(const KernelImage& k, const std::filesystem::path& patch, Cache& cache);

// For tests: where hunk `hunk` (1-based) of the file `file` starts in `patchText`
// (its "@@" line, 1-based); 0 when there is no such hunk.
int hunkLine(const std::string& patchText, const std::string& file, int hunk);

}  // namespace klp::image
