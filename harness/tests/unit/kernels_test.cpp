#include "image/kernels.h"

#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.h"
#include "util/error.h"

using namespace klp;
namespace fs = std::filesystem;

TEST(Kernels, NewestIsVersionAwareNotLexical) {
    std::vector<std::string> names = {"linux-image-6.1.0-9-cloud-amd64", "linux-image-6.1.0-56-cloud-amd64",
                                      "linux-image-6.1.0-56-cloud-amd64-dbg", "linux-image-6.1.0-55-amd64",
                                      "linux-image-6.1.0-10-cloud-amd64"};
    EXPECT_EQ(image::newestMatching(names, R"(linux-image-6\.1\.0-\d+-cloud-amd64)"),
              "linux-image-6.1.0-56-cloud-amd64");
    std::vector<std::string> n612 = {"linux-image-6.12.9+deb12-cloud-amd64-unsigned",
                                     "linux-image-6.12.117+deb12-cloud-amd64-unsigned",
                                     "linux-image-6.12.117+deb12-cloud-amd64"};
    EXPECT_EQ(image::newestMatching(n612, R"(linux-image-6\.12\.\d+\+deb12-cloud-amd64-unsigned)"),
              "linux-image-6.12.117+deb12-cloud-amd64-unsigned");
    EXPECT_EQ(image::newestMatching({}, "x"), "");
}

TEST(Kernels, KnownNamesIncludeBothDebianKernels) {
    std::vector<std::string> names;
    for (const auto& k : image::namedKernels())
        names.push_back(k.name);
    EXPECT_NE(std::find(names.begin(), names.end(), "debian-6.1"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "debian-6.12"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "own-6.1"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "own-6.12"), names.end());
}

class KernelErrors : public ::testing::Test {
protected:
    test::TempDir tmp;
    const fs::path& dir = tmp.path;
    const image::Toolchain x86{"x86", "", "arch/x86/boot/bzImage"};
    const image::Toolchain ppc{"powerpc", "powerpc64le-linux-gnu-", "vmlinux"};
};

TEST_F(KernelErrors, UnknownNameListsKnownOnes) {
    image::Cache cache(dir);
    try {
        image::resolveKernel("debian-5.10", "x86_64", x86, cache);
        FAIL();
    } catch (const UsageError& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("unknown kernel 'debian-5.10'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("debian-6.1 "), std::string::npos) << msg;
        EXPECT_NE(msg.find("debian-6.12"), std::string::npos) << msg;
    }
}

TEST_F(KernelErrors, MissingPathIsNamed) {
    image::Cache cache(dir);
    try {
        image::resolveKernel("/no/such/bzImage", "x86_64", x86, cache);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("/no/such/bzImage"), std::string::npos) << e.what();
    }
}

TEST_F(KernelErrors, WrongArchForName) {
    image::Cache cache(dir);
    EXPECT_THROW(image::resolveKernel("debian-6.1", "ppc64le", ppc, cache), UsageError);
}

TEST_F(KernelErrors, BuildTreeWithoutImageIsRefused) {
    image::Cache cache(dir);
    fs::create_directories(dir / "tree");
    EXPECT_THROW(image::resolveKernel((dir / "tree").string(), "x86_64", x86, cache), UsageError);
}

// A header of `size` bytes with `bytes` written at `offset`.
static void writeHeader(const fs::path& p, size_t offset, const std::string& bytes, size_t size = 0x400) {
    std::string h(size, '\0');
    h.replace(offset, bytes.size(), bytes);
    std::ofstream(p, std::ios::binary) << h;
}

TEST_F(KernelErrors, ImageArchComesFromItsHeader) {
    // ELF64, little endian, e_machine 21 (EM_PPC64) at offset 18.
    writeHeader(dir / "ppc", 0, std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(11, '\0') + "\x15");
    // ELF64, little endian, e_machine 62 (EM_X86_64).
    writeHeader(dir / "x86elf", 0, std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(11, '\0') + "\x3e");
    writeHeader(dir / "bz", 0x202, "HdrS");
    writeHeader(dir / "junk", 0, "hello");
    EXPECT_EQ(image::kernelImageArch(dir / "ppc"), "ppc64le");
    EXPECT_EQ(image::kernelImageArch(dir / "x86elf"), "x86_64");
    EXPECT_EQ(image::kernelImageArch(dir / "bz"), "x86_64");
    EXPECT_EQ(image::kernelImageArch(dir / "junk"), "");
}

TEST_F(KernelErrors, ImageForAnotherArchIsRefused) {
    image::Cache cache(dir);
    writeHeader(dir / "bzImage", 0x202, "HdrS");
    try {
        image::resolveKernel((dir / "bzImage").string(), "ppc64le", ppc, cache);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("a x86_64 kernel, not ppc64le"), std::string::npos) << e.what();
    }
    writeHeader(dir / "notes.txt", 0, "not a kernel");
    EXPECT_THROW(image::resolveKernel((dir / "notes.txt").string(), "x86_64", x86, cache), UsageError);
}

#include "image/modules.h"

TEST(ModuleBuild, ErrorSummaryNamesModuleFileAndLine) {
    std::string log =
        "make: Entering directory '/cache/kernels/x/usr/src/linux-headers-6.1.0-56-cloud-amd64'\n"
        "  CC [M]  /cache/modules/debian-6.1-abc/build/klp_target.o\n"
        "/cache/modules/debian-6.1-abc/build/klp_basic.c:17:9: error: implicit declaration of function 'seq_putz'\n"
        "   17 |         seq_putz(m, \"x\");\n"
        "make[2]: *** [scripts/Makefile.build:250: klp_basic.o] Error 1\n";
    std::string s = image::summariseBuildErrors(log);
    EXPECT_NE(s.find("module klp_basic: klp_basic.c:17: error: implicit declaration of function 'seq_putz'"),
              std::string::npos)
        << s;
}

TEST(ModuleBuild, WithoutCompilerErrorShowsTheLogTail) {
    std::string s = image::summariseBuildErrors("line1\nERROR: modpost: \"foo\" [klp_x.ko] undefined!\n");
    EXPECT_NE(s.find("modpost: \"foo\""), std::string::npos) << s;
}
