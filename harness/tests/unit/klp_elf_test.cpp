// image/klp_elf: livepatch symbols and relocation sections (module-elf-format.rst)
// made from real compiler output for both arches (fixtures/klp-elf/marked.c).
#include "image/klp_elf.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(KLP_FIXTURES) / "klp-elf";

// Just enough of a reader to check the output independently of the converter.
struct Elf {
    std::string bytes;
    std::vector<Elf64_Shdr> shdrs;
    std::vector<std::string> names;

    explicit Elf(std::string b) : bytes(std::move(b)) {
        Elf64_Ehdr eh;
        std::memcpy(&eh, bytes.data(), sizeof eh);
        shdrs.resize(eh.e_shnum);
        std::memcpy(shdrs.data(), bytes.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
        for (const auto& s : shdrs)
            names.push_back(bytes.data() + shdrs[eh.e_shstrndx].sh_offset + s.sh_name);
    }
    unsigned index(const std::string& name) const {
        for (unsigned i = 0; i < names.size(); i++)
            if (names[i] == name)
                return i;
        return 0;
    }
    template <typename T>
    std::vector<T> table(unsigned i) const {
        std::vector<T> v(shdrs[i].sh_size / sizeof(T));
        if (!v.empty())  // an emptied .rela section
            std::memcpy(v.data(), bytes.data() + shdrs[i].sh_offset, v.size() * sizeof(T));
        return v;
    }
    std::vector<Elf64_Sym> symbols() const { return table<Elf64_Sym>(index(".symtab")); }
    std::string symbolName(const Elf64_Sym& s) const {
        return bytes.data() + shdrs[shdrs[index(".symtab")].sh_link].sh_offset + s.st_name;
    }
    // "relocation section name" -> the names of the symbols its entries use, in order.
    std::vector<std::string> relocSymbols(const std::string& sec) const {
        std::vector<std::string> out;
        auto syms = symbols();
        for (const auto& r : table<Elf64_Rela>(index(sec)))
            out.push_back(symbolName(syms[ELF64_R_SYM(r.r_info)]));
        return out;
    }
};

std::string fixture(const std::string& arch) { return readFile(kDir / ("marked-" + arch + ".o")); }

std::string replaced(std::string s, const std::string& from, const std::string& to) {
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

std::string errorOf(const std::string& elf) {
    try {
        image::convertKlpElf(elf, "m.ko");
    } catch (const HarnessError& e) {
        return e.what();
    }
    return "(no error)";
}

class KlpElf : public ::testing::TestWithParam<std::string> {};

// The sections the doc describes, the symbols it describes, and nothing else moved.
TEST_P(KlpElf, MakesLivepatchSectionsAndSymbols) {
    std::string in = fixture(GetParam());
    image::KlpElfResult r;
    auto out = image::convertKlpElf(in, "marked.o", &r);
    ASSERT_TRUE(out);
    Elf before(in), after(*out);
    std::string data = GetParam() == "ppc64le" ? ".data.rel" : ".data";  // where gcc put `table`

    EXPECT_EQ(r.symbols, (std::vector<std::string>{".klp.sym.vmlinux.vm_static,0", ".klp.sym.klp_mod.mod_dup,2"}));
    EXPECT_EQ(r.sections, (std::vector<std::string>{".klp.rela.vmlinux.text", ".klp.rela.klp_mod.text",
                                                    ".klp.rela.vmlinux" + data}));
    EXPECT_EQ(r.relocations, 4u);

    // Same symbols at the same indices (§4.1); ours are GLOBAL SHN_LIVEPATCH (§4.2).
    auto sb = before.symbols(), sa = after.symbols();
    ASSERT_EQ(sb.size(), sa.size());
    for (size_t i = 0; i < sa.size(); i++) {
        std::string name = after.symbolName(sa[i]);
        EXPECT_EQ(name, before.symbolName(sb[i]));
        bool ours = name.rfind(".klp.sym.", 0) == 0;
        EXPECT_EQ(sa[i].st_shndx, ours ? 0xff20 : sb[i].st_shndx) << name;
        EXPECT_EQ(ELF64_ST_BIND(sa[i].st_info), ours ? STB_GLOBAL : ELF64_ST_BIND(sb[i].st_info)) << name;
    }

    // §3.1: SHT_RELA, SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH, the symtab, the target.
    std::map<std::string, std::vector<std::string>> expect = {
        {".klp.rela.vmlinux.text", {".klp.sym.vmlinux.vm_static,0", ".klp.sym.vmlinux.vm_static,0"}},
        {".klp.rela.klp_mod.text", {".klp.sym.klp_mod.mod_dup,2"}},
        {".klp.rela.vmlinux" + data, {".klp.sym.vmlinux.vm_static,0"}},
    };
    for (const auto& [sec, syms] : expect) {
        unsigned i = after.index(sec);
        ASSERT_NE(i, 0u) << sec;
        const auto& h = after.shdrs[i];
        EXPECT_EQ(h.sh_type, unsigned(SHT_RELA));
        EXPECT_EQ(h.sh_flags, SHF_ALLOC | SHF_INFO_LINK | 0x00100000u) << sec;
        EXPECT_EQ(h.sh_link, after.index(".symtab"));
        EXPECT_EQ(h.sh_entsize, sizeof(Elf64_Rela));
        EXPECT_EQ(h.sh_offset % 8, 0u);
        EXPECT_EQ(after.names[h.sh_info], sec.substr(sec.find('.', 10)));
        EXPECT_EQ(after.relocSymbols(sec), syms) << sec;
    }

    // What stays is what the loader resolves; every other section is byte for byte the same.
    for (const std::string& sec : std::vector<std::string>{".rela.text", ".rela" + data}) {
        std::vector<std::string> kept;
        for (const auto& s : before.relocSymbols(sec))
            if (s.rfind(".klp.sym.", 0) != 0)
                kept.push_back(s);
        EXPECT_EQ(after.relocSymbols(sec), kept) << sec;
    }
    EXPECT_EQ(after.relocSymbols(".rela.text").size(), GetParam() == "ppc64le" ? 7u : 2u);
    for (unsigned i = 1; i < before.shdrs.size(); i++) {
        if (before.shdrs[i].sh_type == SHT_RELA || before.names[i] == ".symtab" || before.names[i] == ".shstrtab")
            continue;
        EXPECT_EQ(after.bytes.substr(after.shdrs[i].sh_offset, after.shdrs[i].sh_size),
                  before.bytes.substr(before.shdrs[i].sh_offset, before.shdrs[i].sh_size))
            << before.names[i];
    }
}

// A converted module has nothing left to convert: the build may run it on any .ko.
TEST_P(KlpElf, ConvertedOrPlainObjectsAreLeftAlone) {
    auto once = image::convertKlpElf(fixture(GetParam()), "marked.o");
    ASSERT_TRUE(once);
    EXPECT_FALSE(image::convertKlpElf(*once, "marked.o"));
    std::string plain = replaced(replaced(fixture(GetParam()), ".klp.sym.vmlinux.vm_static,0", "xklp.sym.vmlinux.vm_static,0"),
                                 ".klp.sym.klp_mod.mod_dup,2", "xklp.sym.klp_mod.mod_dup,2");
    EXPECT_FALSE(image::convertKlpElf(plain, "plain.o"));
}

// binutils reads it the way the doc's own readelf listings show it.
TEST_P(KlpElf, ReadelfSeesTheDocsFormat) {
    if (findOnPath("readelf").empty())
        GTEST_SKIP() << "readelf not installed";
    test::TempDir tmp;
    writeFile(tmp.path / "out.o", *image::convertKlpElf(fixture(GetParam()), "marked.o"));
    // Merged: a layout readelf finds fault with would show up as warnings.
    auto r = runMerged({"readelf", "-W", "-S", "-s", (tmp.path / "out.o").string()});
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_EQ(r.output.find("readelf:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(".klp.rela.vmlinux.text RELA"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("AIo"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("GLOBAL DEFAULT OS [0xff20] .klp.sym.vmlinux.vm_static,0"), std::string::npos);
    EXPECT_NE(r.output.find("GLOBAL DEFAULT OS [0xff20] .klp.sym.klp_mod.mod_dup,2"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Arches, KlpElf, ::testing::Values("x86_64", "ppc64le"));

// Everything it refuses is one line naming the module and what is wrong.
TEST(KlpElfErrors, RefusesWhatItCannotConvert) {
    std::string ok = fixture("x86_64");
    std::map<std::string, std::string> cases = {
        {"not an ELF file", "hello"},
        {"not ELF64 little endian", replaced(ok, std::string("\x7f" "ELF\x02", 5), std::string("\x7f" "ELF\x01", 5))},
        {"section headers beyond the end of the file", ok.substr(0, ok.size() - 64)},
        {"position is not a decimal number", replaced(ok, "vm_static,0", "vm_static,x")},
        {"object name missing", replaced(ok, ".klp.sym.vmlinux.vm_static", ".klp.sym.vmlinux_vm_static")},
        {"symbol name missing", replaced(ok, ".klp.sym.klp_mod.mod_dup,2", ".klp.sym.klp_mod.mod_dup_2")},
        {"module is signed", ok + "~Module signature appended~\n"},
    };
    for (const auto& [why, elf] : cases) {
        std::string e = errorOf(elf);
        EXPECT_EQ(e.rfind("m.ko: ", 0), 0u) << e;
        EXPECT_NE(e.find(why), std::string::npos) << e;
        EXPECT_EQ(e.find('\n'), std::string::npos) << e;
    }
}

TEST(KlpElfErrors, ADefinedLivepatchSymbolIsRefused) {
    std::string elf = fixture("x86_64");
    Elf e(elf);
    unsigned symtab = e.index(".symtab");
    auto syms = e.symbols();
    for (size_t i = 0; i < syms.size(); i++)
        if (e.symbolName(syms[i]) == ".klp.sym.vmlinux.vm_static,0") {
            Elf64_Half text = static_cast<Elf64_Half>(e.index(".text"));
            std::memcpy(elf.data() + e.shdrs[symtab].sh_offset + i * sizeof(Elf64_Sym) +
                            offsetof(Elf64_Sym, st_shndx), &text, sizeof text);
        }
    EXPECT_NE(errorOf(elf).find("`.klp.sym.vmlinux.vm_static,0` is defined here"), std::string::npos)
        << errorOf(elf);
}

TEST(KlpElf, DescribeSaysWhatWasMade) {
    image::KlpElfResult r;
    image::convertKlpElf(fixture("x86_64"), "marked.o", &r);
    EXPECT_EQ(image::describe("marked.o", r),
              "marked.o: .klp.sym.vmlinux.vm_static,0 .klp.sym.klp_mod.mod_dup,2; 4 relocations in "
              ".klp.rela.vmlinux.text, .klp.rela.klp_mod.text, .klp.rela.vmlinux.data");
}

}  // namespace
