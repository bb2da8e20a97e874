// Guest initramfs = base userland (cached per arch) + the kernel's transport
// modules (cached per kernel) + a per-run overlay, concatenated.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "image/cache.h"
#include "image/kernels.h"

namespace klp::image {

// The cached base userland cpio for `debArch`, built with `cc` (see images/userland.sh).
std::filesystem::path baseUserland(const std::string& debArch, const std::string& cc, Cache& cache);

// The `--userland full` layer for `debArch`, laid over the base (see
// images/userland-full.sh): the real tools where busybox's applets differ. Cached.
std::filesystem::path fullUserlandLayer(const std::string& debArch, Cache& cache);

// Writes `out` = base + kernel modules + overlay.
void assembleInitrd(const std::filesystem::path& out, const std::filesystem::path& base,
                    const KernelImage& kernel, const std::string& overlayCpio);
// The same with several layers (base first; a later file wins) before the kernel's modules.
void assembleInitrd(const std::filesystem::path& out, const std::vector<std::filesystem::path>& layers,
                    const KernelImage& kernel, const std::string& overlayCpio);

}  // namespace klp::image
