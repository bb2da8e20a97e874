#include "image/klp_elf.h"

#include <elf.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

#include "util/error.h"
#include "util/files.h"

namespace klp::image {
namespace {

// include/uapi/linux/elf.h; glibc's <elf.h> does not have them.
constexpr uint64_t kShfRelaLivepatch = 0x00100000;
constexpr uint16_t kShnLivepatch = 0xff20;
// The kernel parses names with sscanf(".klp.sym.%55[^.].%511[^,],%lu") (6.1 and 6.12).
constexpr size_t kMaxObjName = 55, kMaxSymName = 511;
constexpr std::string_view kSymPrefix = ".klp.sym.";

// Structs are read with memcpy: both guest arches are little endian, as is every
// host we build on; a big endian host would need byte swapping here.
static_assert(std::endian::native == std::endian::little, "klp_elf reads little endian ELF natively");

template <typename T>
T load(std::string_view data, size_t offset) {
    T v;
    std::memcpy(&v, data.data() + offset, sizeof(T));
    return v;
}

template <typename T>
void store(std::string& data, size_t offset, const T& v) {
    std::memcpy(data.data() + offset, &v, sizeof(T));
}

template <typename T>
std::string_view bytes(const T& v) {
    return {reinterpret_cast<const char*>(&v), sizeof(T)};
}

struct Section {
    Elf64_Shdr hdr;
    std::string data;  // empty for SHT_NOBITS
    std::string name;
};

// A `.klp.sym.OBJ.NAME,POS` name split up (§4.2).
struct LivepatchName {
    std::string obj, sym;
};

class Converter {
public:
    Converter(std::string_view elf, const std::string& what) : elf_(elf), what_(what) {}
    std::optional<std::string> run(KlpElfResult* result);

private:
    [[noreturn]] void fail(const std::string& why) const { throw HarnessError(what_ + ": " + why); }
    void readHeaders();
    std::string cstr(const std::string& table, uint64_t offset, const char* kind) const;
    LivepatchName parseName(const std::string& name) const;
    std::string layout() const;

    std::string_view elf_;
    std::string what_;
    Elf64_Ehdr ehdr_{};
    std::vector<Section> secs_;
};

void Converter::readHeaders() {
    if (elf_.size() < sizeof(Elf64_Ehdr) || elf_.substr(0, SELFMAG) != std::string_view(ELFMAG, SELFMAG))
        fail("not an ELF file");
    ehdr_ = load<Elf64_Ehdr>(elf_, 0);
    if (ehdr_.e_ident[EI_CLASS] != ELFCLASS64 || ehdr_.e_ident[EI_DATA] != ELFDATA2LSB)
        fail("not ELF64 little endian (x86_64 or ppc64le)");
    if (ehdr_.e_type != ET_REL || (ehdr_.e_machine != EM_X86_64 && ehdr_.e_machine != EM_PPC64))
        fail("not a relocatable x86_64 or ppc64 object (e_type " + std::to_string(ehdr_.e_type) + ", e_machine " +
             std::to_string(ehdr_.e_machine) + ")");
    if (ehdr_.e_shentsize != sizeof(Elf64_Shdr) || ehdr_.e_shnum == 0 || ehdr_.e_shnum >= SHN_LORESERVE ||
        ehdr_.e_shstrndx >= ehdr_.e_shnum || ehdr_.e_phnum != 0)
        fail("unexpected ELF header (section header size, count or string table index)");
    if (ehdr_.e_shoff > elf_.size() || uint64_t(ehdr_.e_shnum) * sizeof(Elf64_Shdr) > elf_.size() - ehdr_.e_shoff)
        fail("section headers beyond the end of the file");
    for (unsigned i = 0; i < ehdr_.e_shnum; i++) {
        Section s{load<Elf64_Shdr>(elf_, ehdr_.e_shoff + i * sizeof(Elf64_Shdr)), {}, {}};
        if (s.hdr.sh_type != SHT_NOBITS && s.hdr.sh_type != SHT_NULL) {
            if (s.hdr.sh_offset > elf_.size() || s.hdr.sh_size > elf_.size() - s.hdr.sh_offset)
                fail("section " + std::to_string(i) + " beyond the end of the file");
            s.data = std::string(elf_.substr(s.hdr.sh_offset, s.hdr.sh_size));
        }
        uint64_t align = s.hdr.sh_addralign;
        if (align > 1 && (!std::has_single_bit(align) || align > 4096))
            fail("section " + std::to_string(i) + " has alignment " + std::to_string(align));
        secs_.push_back(std::move(s));
    }
    for (auto& s : secs_)
        s.name = cstr(secs_[ehdr_.e_shstrndx].data, s.hdr.sh_name, "section name");
}

std::string Converter::cstr(const std::string& table, uint64_t offset, const char* kind) const {
    size_t end = offset < table.size() ? table.find('\0', offset) : std::string::npos;
    if (end == std::string::npos)
        fail(std::string(kind) + " at " + std::to_string(offset) + " outside its string table");
    return table.substr(offset, end - offset);
}

LivepatchName Converter::parseName(const std::string& name) const {
    std::string_view rest = std::string_view(name).substr(kSymPrefix.size());
    size_t dot = rest.find('.'), comma = rest.rfind(',');
    auto bad = [&](const std::string& why) { fail("livepatch symbol `" + name + "`: " + why + " (.klp.sym.OBJ.NAME,POS)"); };
    if (dot == std::string_view::npos || dot == 0 || dot > kMaxObjName)
        bad("object name missing or longer than " + std::to_string(kMaxObjName));
    if (comma == std::string_view::npos || comma <= dot + 1 || comma - dot - 1 > kMaxSymName)
        bad("symbol name missing or longer than " + std::to_string(kMaxSymName));
    std::string_view pos = rest.substr(comma + 1);
    if (pos.empty() || pos.size() > 9 || pos.find_first_not_of("0123456789") != std::string_view::npos)
        bad("position is not a decimal number");
    return {std::string(rest.substr(0, dot)), std::string(rest.substr(dot + 1, comma - dot - 1))};
}

// A fresh file: the header, every section's bytes in index order at its alignment,
// then the section header table. ET_REL has no program headers to keep in place.
std::string Converter::layout() const {
    std::string out(sizeof(Elf64_Ehdr), '\0');
    std::vector<Elf64_Shdr> hdrs;
    for (const auto& s : secs_) {
        Elf64_Shdr h = s.hdr;
        if (h.sh_type != SHT_NULL) {
            uint64_t align = h.sh_addralign > 1 ? h.sh_addralign : 1;
            out.resize((out.size() + align - 1) / align * align, '\0');
            h.sh_offset = out.size();
            if (h.sh_type != SHT_NOBITS) {
                h.sh_size = s.data.size();
                out += s.data;
            }
        }
        hdrs.push_back(h);
    }
    out.resize((out.size() + 7) / 8 * 8, '\0');
    Elf64_Ehdr eh = ehdr_;
    eh.e_shoff = out.size();
    eh.e_shnum = static_cast<Elf64_Half>(hdrs.size());
    for (const auto& h : hdrs)
        out += bytes(h);
    store(out, 0, eh);
    return out;
}

std::optional<std::string> Converter::run(KlpElfResult* result) {
    // A signature covers the bytes we would change: we must come before signing.
    static constexpr std::string_view kSigMagic = "~Module signature appended~\n";
    if (elf_.size() >= kSigMagic.size() && elf_.substr(elf_.size() - kSigMagic.size()) == kSigMagic)
        fail("module is signed; livepatch sections must be made before signing");
    readHeaders();

    unsigned symtab = 0;
    for (unsigned i = 1; i < secs_.size(); i++)
        if (secs_[i].hdr.sh_type == SHT_SYMTAB) {
            if (symtab)
                fail("more than one symbol table");
            symtab = i;
        }
    if (!symtab)
        fail("no symbol table");
    Section& syms = secs_[symtab];
    if (syms.hdr.sh_entsize != sizeof(Elf64_Sym) || syms.data.size() % sizeof(Elf64_Sym) ||
        syms.hdr.sh_link >= secs_.size() || secs_[syms.hdr.sh_link].hdr.sh_type != SHT_STRTAB)
        fail("malformed symbol table");
    const std::string& strtab = secs_[syms.hdr.sh_link].data;
    size_t nsyms = syms.data.size() / sizeof(Elf64_Sym);

    // Undefined `.klp.sym.` symbols become livepatch symbols; index -> object name.
    std::map<size_t, std::string> objOf;
    KlpElfResult r;
    for (size_t i = 1; i < nsyms; i++) {
        auto sym = load<Elf64_Sym>(syms.data, i * sizeof(Elf64_Sym));
        std::string name = cstr(strtab, sym.st_name, "symbol name");
        if (name.rfind(kSymPrefix, 0) != 0 || sym.st_shndx == kShnLivepatch)
            continue;
        if (sym.st_shndx != SHN_UNDEF)
            fail("livepatch symbol `" + name + "` is defined here; it must be an extern declaration");
        objOf[i] = parseName(name).obj;
        sym.st_shndx = kShnLivepatch;
        sym.st_info = ELF64_ST_INFO(STB_GLOBAL, ELF64_ST_TYPE(sym.st_info));  // weak only for modpost
        store(syms.data, i * sizeof(Elf64_Sym), sym);
        r.symbols.push_back(name);
    }
    if (objOf.empty())
        return std::nullopt;

    // Split each relocation section: relocations against livepatch symbols in an
    // allocated section go to .klp.rela.OBJ.<section>. Those of sections the loader
    // does not keep (debug info) stay: it skips them, and livepatch would write
    // into memory that is gone.
    struct Group {
        unsigned target;
        std::string obj, data;
    };
    std::vector<Group> groups;
    size_t nsecs = secs_.size();
    for (unsigned i = 1; i < nsecs; i++) {
        Section& s = secs_[i];
        if (s.hdr.sh_link != symtab || (s.hdr.sh_type != SHT_RELA && s.hdr.sh_type != SHT_REL) ||
            (s.hdr.sh_flags & kShfRelaLivepatch))
            continue;
        size_t ent = s.hdr.sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
        if (s.hdr.sh_entsize != ent || s.data.size() % ent || s.hdr.sh_info >= nsecs)
            fail("malformed relocation section " + s.name);
        bool allocTarget = secs_[s.hdr.sh_info].hdr.sh_flags & SHF_ALLOC;
        std::string kept;
        for (size_t off = 0; off < s.data.size(); off += ent) {
            auto info = load<Elf64_Xword>(s.data, off + sizeof(Elf64_Addr));
            size_t symIdx = ELF64_R_SYM(info);
            if (symIdx >= nsyms)
                fail(s.name + " refers to symbol " + std::to_string(symIdx) + " beyond the symbol table");
            auto it = objOf.find(symIdx);
            if (it == objOf.end() || !allocTarget) {
                kept += s.data.substr(off, ent);
                continue;
            }
            if (s.hdr.sh_type == SHT_REL)
                fail(s.name + ": livepatch relocation sections are SHT_RELA, and this object uses SHT_REL");
            auto g = std::find_if(groups.begin(), groups.end(),
                                  [&](const Group& x) { return x.target == s.hdr.sh_info && x.obj == it->second; });
            if (g == groups.end())
                g = groups.insert(groups.end(), Group{s.hdr.sh_info, it->second, {}});
            g->data += s.data.substr(off, ent);
            r.relocations++;
        }
        s.data = std::move(kept);
    }

    // The kernel reads the object name up to the first '.' after ".klp.rela." and
    // finds the target by sh_info; the rest of the name is the target's, as in the doc.
    for (auto& g : groups) {
        const std::string& target = secs_[g.target].name;
        std::string name = ".klp.rela." + g.obj + (target.rfind('.', 0) == 0 ? "" : ".") + target;
        Section& shstr = secs_[ehdr_.e_shstrndx];
        Elf64_Shdr h{};
        h.sh_name = static_cast<Elf64_Word>(shstr.data.size());
        h.sh_type = SHT_RELA;
        h.sh_flags = SHF_ALLOC | SHF_INFO_LINK | kShfRelaLivepatch;  // ALLOC: kept after load (§3.1)
        h.sh_link = symtab;
        h.sh_info = g.target;
        h.sh_addralign = 8;
        h.sh_entsize = sizeof(Elf64_Rela);
        shstr.data += name + '\0';
        secs_.push_back(Section{h, std::move(g.data), name});
        r.sections.push_back(name);
        if (secs_.size() >= SHN_LORESERVE)
            fail("too many sections");
    }
    if (result)
        *result = r;
    return layout();
}

}  // namespace

std::optional<std::string> convertKlpElf(std::string_view elf, const std::string& what, KlpElfResult* result) {
    return Converter(elf, what).run(result);
}

std::optional<KlpElfResult> convertKlpModule(const std::filesystem::path& ko) {
    KlpElfResult r;
    auto out = convertKlpElf(readFile(ko), ko.filename().string(), &r);
    if (!out)
        return std::nullopt;
    writeFile(ko, *out);
    return r;
}

std::string describe(const std::string& what, const KlpElfResult& r) {
    std::string s = what + ":";
    for (const auto& sym : r.symbols)
        s += " " + sym;
    s += "; " + std::to_string(r.relocations) + " relocation" + (r.relocations == 1 ? "" : "s") + " in";
    for (size_t i = 0; i < r.sections.size(); i++)
        s += (i ? ", " : " ") + r.sections[i];
    return s;
}

}  // namespace klp::image
