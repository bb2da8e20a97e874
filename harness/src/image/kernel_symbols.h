// The kernel's symbols for a debugger attached to a guest (`repro --gdb`): an
// ELF vmlinux with a symbol table matching what the guest runs.
#pragma once
#include <filesystem>
#include <string>

#include "image/cache.h"
#include "image/kernels.h"

namespace klp::image {

struct KernelSymbols {
    std::filesystem::path vmlinux;  // empty: none found
    std::string source;             // where it came from, or why there is none
};

// Our own kernels boot (ppc64le) or keep their vmlinux; a kernel build tree has
// one; a Debian kernel's is in its -dbg package (linux-image-RELEASE-dbg), used
// when installed on the host, else fetched into the cache (~300 MB, once) when
// the apt sources have it.
KernelSymbols kernelSymbols(const KernelImage& kernel, Cache& cache);

// True when `file` is an ELF with code (.text) and a symbol table (.symtab).
bool hasSymbolTable(const std::filesystem::path& file);

}  // namespace klp::image
