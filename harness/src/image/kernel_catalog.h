// Kernels as data: the entries of images/kernels.yaml and of the user's own
// files (--kernels FILE, a matrix's kernels-file:). An entry says where a kernel
// comes from; image/kernels.cpp fetches or builds it.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace klp::image {

struct KernelEntry {
    std::string name;
    std::string about;                // one line for `klp-harness kernels`
    std::vector<std::string> arches;  // empty: every arch the harness knows
    // Exactly one source:
    std::string debianBinary;  // a regex over Debian binary package names (linux-image-...)
    std::string debianSource;  // a Debian source package (linux-source-X.Y), built by own-kernel.sh
    std::filesystem::path path;  // a kernel image or a built kernel tree (relative: to the file)
    std::filesystem::path git;   // a git repository of a kernel tree, built by own-kernel.sh at `rev`
    std::string rev = "HEAD";    // git only: the revision when none is pinned (NAME@REV)
    std::string suite;          // Debian suite of the packages; "": the host's apt lists
    bool klpBuild = false;      // its source has scripts/livepatch/klp-build (--patch)
    // debian-source only: patches applied in this order before the build (mails
    // in `git am` form or plain diffs, -p1). ${VAR} in a path is the environment's.
    std::vector<std::filesystem::path> patches;
    std::vector<std::string> unsetVars;  // ${VAR}s of patches: that the environment lacks
    // Built kernels (debian-source, git): config fragments merged after ours (a
    // debug kernel's KASAN, lockdep, ...), relative to the file.
    std::vector<std::filesystem::path> configs;
    std::filesystem::path file;  // where it is defined, and the line
    int line = 0;

    bool hasArch(const std::string& arch) const;
    std::string archList() const;  // "x86_64" or "ppc64le, x86_64"
    std::string where() const { return line ? file.string() + ":" + std::to_string(line) : "--kernel " + name; }
    bool built() const { return !debianSource.empty() || !git.empty(); }  // by own-kernel.sh
    // Throws UsageError when a patch's ${VAR} is unset or a patch file is missing.
    void requirePatches() const;
};

// The entries of one file; UsageError "FILE:LINE: what" for anything wrong.
std::vector<KernelEntry> loadKernelFile(const std::filesystem::path& file);

// Adds the user's files (--kernels) to what kernelCatalog() returns. A name
// defined twice is a UsageError naming both places.
void addKernelFiles(const std::vector<std::filesystem::path>& files);

// images/kernels.yaml (read once), then the added files.
const std::vector<KernelEntry>& kernelCatalog();

// The entry called `name`, or nullptr. "tree:PATH" names the git repository at
// PATH without an entry (bisecting a user's tree): its entry is made on first use.
const KernelEntry* findKernel(const std::string& name);

// "NAME@VERSION" → {NAME, VERSION}; no '@': {NAME, ""}.
std::pair<std::string, std::string> splitPin(const std::string& spec);

}  // namespace klp::image
