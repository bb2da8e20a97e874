// Livepatch relocation sections and symbols for our guest modules, as
// Documentation/livepatch/module-elf-format.rst describes them.
//
// A module source names a symbol that livepatch (not the module loader) must
// resolve by declaring it under its final name (guest/modules/klp_elf.h, KLP_SYM):
//     extern int f(struct seq_file *, void *) __asm__("\".klp.sym.vmlinux.version_proc_show,0\"") __weak;
// kbuild leaves it an undefined weak symbol. convertKlpElf() then rewrites the .ko:
//  - every undefined `.klp.sym.OBJ.NAME,POS` symbol gets st_shndx SHN_LIVEPATCH and
//    binding GLOBAL (§4.2);
//  - the relocations against those symbols move out of `.rela<SEC>` into
//    `.klp.rela.OBJ.<SEC>` (one section per object and target section: SHT_RELA,
//    SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH, same sh_link/sh_info) (§3.1).
// The symbol table keeps every index (§4.1). ELF64 little endian: x86_64, ppc64le.
#pragma once
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace klp::image {

// Bump when the output changes: it is part of the module cache key.
inline constexpr int kKlpElfFormat = 1;

struct KlpElfResult {
    std::vector<std::string> symbols;   // livepatch symbols made, in symbol table order
    std::vector<std::string> sections;  // .klp.rela sections made
    size_t relocations = 0;             // relocations moved into them
};

// The rewritten ELF, or nullopt when it has no undefined `.klp.sym.` symbol (a
// plain module, or one already converted). Throws HarnessError, one line starting
// with `what`, for an ELF it cannot convert or a malformed `.klp.sym.` name.
std::optional<std::string> convertKlpElf(std::string_view elf, const std::string& what,
                                         KlpElfResult* result = nullptr);

// convertKlpElf() on a file, replaced atomically when converted.
std::optional<KlpElfResult> convertKlpModule(const std::filesystem::path& ko);

// "klp_foo.ko: 2 livepatch symbols, 3 relocations in .klp.rela.vmlinux.text, ..."
std::string describe(const std::string& what, const KlpElfResult& r);

}  // namespace klp::image
