#include "image/module_info.h"

#include <cstdint>
#include <cstring>

#include "util/error.h"
#include "util/files.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

// Little-endian fields at any offset; bounds are checked by the caller.
uint64_t le(const std::string& b, size_t off, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | static_cast<unsigned char>(b[off + i]);
    return v;
}

constexpr uint16_t kEmX86_64 = 62, kEmPpc64 = 21, kEtRel = 1;

}  // namespace

ModuleInfo parseModuleInfo(const std::string& b, const fs::path& file) {
    auto bad = [&](const std::string& what) { return UsageError(file.string() + ": " + what); };
    if (b.size() < 64 || b.compare(0, 4, "\x7f" "ELF") != 0)
        throw bad("not a kernel module (no ELF header)");
    if (b[4] != 2 || b[5] != 1)
        throw bad("not a 64-bit little-endian ELF module (x86_64 and ppc64le modules are)");
    if (le(b, 16, 2) != kEtRel)
        throw bad("not a kernel module (an ELF executable or shared object, not a relocatable .ko)");
    ModuleInfo info;
    info.file = file;
    uint16_t machine = le(b, 18, 2);
    info.arch = machine == kEmX86_64 ? "x86_64" : machine == kEmPpc64 ? "ppc64le" : "";
    uint64_t shoff = le(b, 0x28, 8), shentsize = le(b, 0x3a, 2), shnum = le(b, 0x3c, 2), shstrndx = le(b, 0x3e, 2);
    if (shentsize < 64 || shnum == 0 || shstrndx >= shnum || shoff > b.size() || shnum * shentsize > b.size() - shoff)
        throw bad("truncated or corrupt ELF section table");
    auto section = [&](uint64_t i, uint64_t& off, uint64_t& size) {
        size_t h = shoff + i * shentsize;
        off = le(b, h + 0x18, 8);
        size = le(b, h + 0x20, 8);
        // Only .shstrtab and .modinfo are read: both must hold their bytes here.
        if (le(b, h + 4, 4) == 8 /* SHT_NOBITS */ || off > b.size() || size > b.size() - off)
            throw bad("ELF section " + std::to_string(i) + " lies outside the file");
    };
    uint64_t strOff, strSize;
    section(shstrndx, strOff, strSize);
    std::string modinfo;
    bool found = false;
    for (uint64_t i = 0; i < shnum && !found; i++) {
        uint64_t nameOff = le(b, shoff + i * shentsize, 4);
        if (nameOff >= strSize)
            continue;
        const char* name = b.data() + strOff + nameOff;
        if (strnlen(name, strSize - nameOff) == strlen(".modinfo") && std::strcmp(name, ".modinfo") == 0) {
            uint64_t off, size;
            section(i, off, size);
            modinfo = b.substr(off, size);
            found = true;
        }
    }
    if (!found)
        throw bad("not a kernel module (no .modinfo section)");
    for (size_t pos = 0; pos < modinfo.size();) {
        size_t end = modinfo.find('\0', pos);
        std::string entry = modinfo.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? modinfo.size() : end + 1;
        auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0)
            continue;
        info.fields[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    info.vermagic = info.fields.count("vermagic") ? info.fields["vermagic"] : "";
    info.livepatch = info.fields.count("livepatch") && info.fields["livepatch"] == "Y";
    if (info.fields.count("name") && !info.fields["name"].empty()) {
        info.name = info.fields["name"];
        // It names a file in /lib/klp/ and a sysfs dir: a kernel module name, nothing else.
        if (info.name.size() > 55 || info.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                                          std::string::npos)
            throw bad("modinfo name '" + info.name.substr(0, 60) + "' is no kernel module name");
    } else {
        info.name = file.filename().string();
        if (auto dot = info.name.find('.'); dot != std::string::npos)
            info.name.erase(dot);
        for (char& c : info.name)
            if (c == '-')
                c = '_';
    }
    return info;
}

ModuleInfo readModuleInfo(const fs::path& ko) {
    std::error_code ec;
    if (!fs::is_regular_file(ko, ec))
        throw UsageError(ko.string() + ": no such module file");
    auto size = fs::file_size(ko, ec);
    if (ec || size > (512u << 20))
        throw UsageError(ko.string() + ": cannot read (or larger than 512 MiB)");
    std::string bytes;
    try {
        bytes = readFile(ko);
    } catch (const std::exception&) {
        throw UsageError(ko.string() + ": cannot read");
    }
    return parseModuleInfo(bytes, ko);
}

}  // namespace klp::image
