// What a kernel module file says about itself: its .modinfo section (name,
// vermagic, livepatch) and its ELF machine. Read on the host, before any guest
// boots, so a module built for another kernel or arch, or a plain module where
// a livepatch belongs, is a clear error instead of a guest's cryptic refusal.
#pragma once
#include <filesystem>
#include <map>
#include <string>

namespace klp::image {

struct ModuleInfo {
    std::filesystem::path file;
    std::string name;       // modinfo "name", else the file name with '-' as '_'
    std::string vermagic;   // "6.1.0-25-cloud-amd64 SMP mod_unload modversions "
    bool livepatch = false; // modinfo "livepatch=Y"
    std::string arch;       // "x86_64", "ppc64le", or "" for another machine
    std::map<std::string, std::string> fields;  // every key=value (the last one of a repeated key)
};

// Throws UsageError "<file>: <what>" for anything that is not a 64-bit
// little-endian ELF relocatable with a .modinfo section.
ModuleInfo readModuleInfo(const std::filesystem::path& ko);

// The same from bytes already read; `file` names it in messages. Exposed for tests.
ModuleInfo parseModuleInfo(const std::string& bytes, const std::filesystem::path& file);

}  // namespace klp::image
