#include "image/kernels.h"

#include <gtest/gtest.h>

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
}

class KernelErrors : public ::testing::Test {
protected:
    test::TempDir tmp;
    const fs::path& dir = tmp.path;
};

TEST_F(KernelErrors, UnknownNameListsKnownOnes) {
    image::Cache cache(dir);
    try {
        image::resolveKernel("debian-5.10", "x86_64", cache);
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
        image::resolveKernel("/no/such/bzImage", "x86_64", cache);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("/no/such/bzImage"), std::string::npos) << e.what();
    }
}

TEST_F(KernelErrors, WrongArchForName) {
    image::Cache cache(dir);
    EXPECT_THROW(image::resolveKernel("debian-6.1", "ppc64le", cache), UsageError);
}

TEST_F(KernelErrors, BuildTreeWithoutImageIsRefused) {
    image::Cache cache(dir);
    fs::create_directories(dir / "tree");
    EXPECT_THROW(image::resolveKernel((dir / "tree").string(), "x86_64", cache), UsageError);
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
