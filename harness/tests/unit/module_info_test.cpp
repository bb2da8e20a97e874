// Module files read on the host: modinfo fields and machine from the ELF, and the
// checks that refuse a module for another kernel or arch before any guest boots.
#include <gtest/gtest.h>

#include <cstring>

#include "image/module_info.h"
#include "image/user_modules.h"
#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"

using namespace klp;

namespace {
// A minimal ELF64 LE relocatable: section 1 is .modinfo holding `modinfo`,
// section 2 the section names.
std::string fakeModule(const std::string& modinfo, uint16_t machine) {
    std::string shstr = std::string("\0.modinfo\0.shstrtab\0", 20);
    std::string b(64, '\0');
    auto put = [&](size_t off, uint64_t v, int n) {
        for (int i = 0; i < n; i++)
            b[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
    };
    std::memcpy(&b[0], "\x7f" "ELF", 4);
    b[4] = 2, b[5] = 1, b[6] = 1;
    put(16, 1, 2);  // ET_REL
    put(18, machine, 2);
    size_t infoOff = b.size();
    b += modinfo;
    size_t strOff = b.size();
    b += shstr;
    size_t shoff = b.size();
    put(0x28, shoff, 8);
    put(0x3a, 64, 2);
    put(0x3c, 3, 2);
    put(0x3e, 2, 2);
    b += std::string(3 * 64, '\0');
    auto sh = [&](int i, uint32_t name, uint32_t type, uint64_t off, uint64_t size) {
        size_t h = shoff + i * 64;
        put(h, name, 4);
        put(h + 4, type, 4);
        put(h + 0x18, off, 8);
        put(h + 0x20, size, 8);
    };
    sh(1, 1, 1, infoOff, modinfo.size());
    sh(2, 10, 3, strOff, shstr.size());
    return b;
}
const std::string kInfo = std::string("livepatch=Y\0name=klp_x\0vermagic=6.12.1 SMP mod_unload \0", 56);
}  // namespace

TEST(ModuleInfo, ReadsModinfoAndMachine) {
    auto m = image::parseModuleInfo(fakeModule(kInfo, 62), "x.ko");
    EXPECT_EQ(m.name, "klp_x");
    EXPECT_TRUE(m.livepatch);
    EXPECT_EQ(m.vermagic, "6.12.1 SMP mod_unload ");
    EXPECT_EQ(m.arch, "x86_64");
    EXPECT_EQ(image::parseModuleInfo(fakeModule(kInfo, 21), "x.ko").arch, "ppc64le");
    // No name field: the file name, '-' as '_'; no livepatch=Y: a plain module.
    auto plain = image::parseModuleInfo(fakeModule(std::string("vermagic=6.12.1 \0", 17), 62), "/d/my-mod.ko");
    EXPECT_EQ(plain.name, "my_mod");
    EXPECT_FALSE(plain.livepatch);
}

TEST(ModuleInfo, RefusesWhatIsNoModuleInOneLine) {
    auto msg = [](const std::string& bytes) {
        try {
            image::parseModuleInfo(bytes, "m.ko");
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(msg("hello"), "m.ko: not a kernel module (no ELF header)");
    std::string be = fakeModule(kInfo, 62);
    be[5] = 2;
    EXPECT_EQ(msg(be), "m.ko: not a 64-bit little-endian ELF module (x86_64 and ppc64le modules are)");
    std::string exec = fakeModule(kInfo, 62);
    exec[16] = 2;
    EXPECT_EQ(msg(exec), "m.ko: not a kernel module (an ELF executable or shared object, not a relocatable .ko)");
    std::string trunc = fakeModule(kInfo, 62);
    EXPECT_EQ(msg(trunc.substr(0, trunc.size() - 10)), "m.ko: truncated or corrupt ELF section table");
    // A section without bytes in the file (SHT_NOBITS) far beyond its end.
    for (int section : {1, 2}) {
        std::string nobits = fakeModule(kInfo, 62);
        size_t h = nobits.size() - 3 * 64 + section * 64;
        nobits[h + 4] = 8;                   // SHT_NOBITS
        nobits[h + 0x18 + 4] = '\x40';       // offset 1 TiB
        EXPECT_EQ(msg(nobits), "m.ko: ELF section " + std::to_string(section) + " lies outside the file");
    }
    EXPECT_EQ(msg(fakeModule(std::string("name=../../x\0", 13), 62)), "m.ko: modinfo name '../../x' is no kernel module name");
    // Every prefix of a module is refused or read, never a crash.
    for (size_t n = 0; n < trunc.size(); n += 7)
        (void)msg(trunc.substr(0, n));
}

TEST(ModuleInfo, ChecksArchAndVermagicAgainstTheKernel) {
    auto m = image::parseModuleInfo(fakeModule(kInfo, 62), "x.ko");
    EXPECT_NO_THROW(image::checkModuleFits(m, "x86_64", "k", "6.12.1 SMP mod_unload "));
    auto err = [&](const std::string& arch, const std::string& vermagic) {
        try {
            image::checkModuleFits(m, arch, "debian-6.1", vermagic);
        } catch (const UsageError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(err("ppc64le", "6.12.1 SMP mod_unload "),
              "x.ko: built for x86_64, the kernel under test (debian-6.1) is ppc64le");
    EXPECT_EQ(err("x86_64", "6.1.0-9 SMP mod_unload "),
              "x.ko: built for kernel 6.12.1, but debian-6.1 is 6.1.0-9 (vermagic '6.12.1 SMP mod_unload ')");
    EXPECT_EQ(err("x86_64", "6.12.1 SMP preempt mod_unload "),
              "x.ko: vermagic '6.12.1 SMP mod_unload ' differs from debian-6.1's '6.12.1 SMP preempt mod_unload ' "
              "(built with another configuration)");
}

TEST(UserModules, NamesFromKbuildAndCollisionsRefused) {
    test::TempDir d;
    writeFile(d.path / "Kbuild", "# mine\nobj-m += a.o b-x.o  # two\nobj-m := c.o\n");
    // kbuild names module b-x.o "b_x" (modinfo, sysfs): so does the harness.
    EXPECT_EQ(image::objmNames(d.path / "Kbuild"), (std::vector<std::string>{"a", "b_x", "c"}));
    auto mods = image::inspectUserModules({d.path.string()}, {"klp_basic"});
    ASSERT_EQ(mods.size(), 1u);
    EXPECT_TRUE(mods[0].source);
    EXPECT_THROW(image::inspectUserModules({d.path.string()}, {"b_x"}), UsageError);
    writeFile(d.path / "Kbuild", "obj-m += $(NAME).o\n");
    try {
        image::objmNames(d.path / "Kbuild");
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()), (d.path / "Kbuild").string() +
                                             ":1: obj-m entry '$(NAME).o' is not a plain NAME.o (the harness reads "
                                             "module names from it)");
    }
    EXPECT_THROW(image::inspectUserModules({(d.path / "nope.ko").string()}, {}), UsageError);
}
