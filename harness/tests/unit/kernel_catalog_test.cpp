// Kernels as data: images/kernels.yaml and a user's own kernel files.
#include "image/kernel_catalog.h"

#include <gtest/gtest.h>

#include "image/emulator.h"
#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"

using namespace klp;
namespace fs = std::filesystem;

TEST(KernelCatalog, ShippedFileNamesEveryKernelWithOneSource) {
    for (const char* name : {"debian-6.1", "debian-6.12", "own-6.1", "own-6.12", "own-7.2"}) {
        const image::KernelEntry* k = image::findKernel(name);
        ASSERT_NE(k, nullptr) << name;
        EXPECT_EQ(!k->debianBinary.empty() + !k->debianSource.empty() + !k->path.empty(), 1) << name;
        EXPECT_FALSE(k->about.empty()) << name;
    }
    EXPECT_EQ(image::findKernel("debian-6.1")->archList(), "x86_64");
    EXPECT_EQ(image::findKernel("own-6.12")->archList(), "ppc64le, x86_64");
    EXPECT_EQ(image::findKernel("own-7.2")->suite, "sid");
    EXPECT_TRUE(image::findKernel("own-7.2")->klpBuild);
}

TEST(KernelCatalog, PinSplitsAtTheAt) {
    EXPECT_EQ(image::splitPin("debian-6.1@6.1.170-1"), std::make_pair(std::string("debian-6.1"), std::string("6.1.170-1")));
    EXPECT_EQ(image::splitPin("own-7.2"), std::make_pair(std::string("own-7.2"), std::string()));
}

class KernelFile : public ::testing::Test {
protected:
    test::TempDir tmp;
    fs::path write(const std::string& text) {
        fs::path f = tmp.path / "kernels.yaml";
        writeFile(f, text);
        return f;
    }
    std::string error(const std::string& text) {
        try {
            image::loadKernelFile(write(text));
        } catch (const UsageError& e) {
            return e.what();
        }
        return "(no error)";
    }
};

TEST_F(KernelFile, AUserEntryReadsLikeTheShippedOnes) {
    auto ks = image::loadKernelFile(write("kernels:\n"
                                          "  - name: mine\n"
                                          "    about: my tree\n"
                                          "    path: build/linux\n"
                                          "  - name: trixie-6.12\n"
                                          "    arches: x86_64\n"
                                          "    debian-binary: 'linux-image-6\\.12\\..*-cloud-amd64'\n"
                                          "    suite: trixie\n"));
    ASSERT_EQ(ks.size(), 2u);
    EXPECT_EQ(ks[0].path, tmp.path / "build/linux");  // relative to the file
    EXPECT_EQ(ks[0].line, 2);
    EXPECT_EQ(ks[1].suite, "trixie");
    EXPECT_TRUE(ks[1].hasArch("x86_64"));
    EXPECT_FALSE(ks[1].hasArch("ppc64le"));
}

TEST_F(KernelFile, MistakesAreOneLineWithFileAndLine) {
    const std::string f = (tmp.path / "kernels.yaml").string();
    EXPECT_EQ(error("kernels:\n  - name: a\n"),
              f + ":2: kernel 'a' needs exactly one of debian-binary:, debian-source:, path:, git:");
    EXPECT_EQ(error("kernels:\n  - name: a\n    debian-source: x\n    path: y\n"),
              f + ":2: kernel 'a' needs exactly one of debian-binary:, debian-source:, path:, git:");
    EXPECT_EQ(error("kernels:\n  - name: a\n    git: x\n    path: y\n"),
              f + ":2: kernel 'a' needs exactly one of debian-binary:, debian-source:, path:, git:");
    EXPECT_EQ(error("kernels:\n  - name: a\n    debian-source: x\n    colour: red\n"),
              f + ":4: unknown key 'colour' (known: name, about, arches, debian-binary, debian-source, path, git, "
                  "rev, suite, klp-build, patches, config)");
    EXPECT_EQ(error("kernels:\n  - name: a\n    debian-source: x\n    rev: v7.2\n"),
              f + ":4: kernel 'a': rev: is a revision of a git: repository");
    EXPECT_EQ(error("kernels:\n  - name: a\n    path: x\n    config: debug.config\n"),
              f + ":4: config fragment " + (tmp.path / "debug.config").string() + ": no such file");
    writeFile(tmp.path / "debug.config", "CONFIG_KASAN=y\n");
    EXPECT_EQ(error("kernels:\n  - name: a\n    path: x\n    config: debug.config\n"),
              f + ":4: kernel 'a': config: applies to kernels we build (debian-source:, git:)");
    EXPECT_EQ(error("kernels:\n  - name: a\n    git: x\n    suite: sid\n"),
              f + ":2: kernel 'a': suite: applies to Debian packages, not to git:");
    EXPECT_EQ(error("kernels:\n  - name: a\n    arches: [x86_64, sparc]\n    debian-source: x\n"),
              f + ":3: unknown arch 'sparc' (known: x86_64, ppc64le)");
    EXPECT_EQ(error("kernels:\n  - name: a\n    debian-binary: 'linux-image-('\n    arches: x86_64\n").substr(0, f.size() + 40),
              (f + ":3: 'debian-binary' is not a valid regex: ").substr(0, f.size() + 40));
    EXPECT_EQ(error("kernels:\n  - name: a\n    debian-binary: x\n"),
              f + ":2: kernel 'a': a Debian binary kernel is for one arch: give arches: [ARCH]");
    EXPECT_EQ(error("kernels:\n  - name: a/b\n    path: x\n"),
              f + ":2: kernel name 'a/b': letters, digits and . _ + - only (no / or @)");
    EXPECT_EQ(error("kernels:\n  - name: a\n    path: x\n  - name: a\n    path: y\n"),
              f + ":4: kernel 'a' is already defined at " + f + ":2");
    EXPECT_EQ(error("kernel:\n  - name: a\n"), f + ":1: a kernel file is a mapping with a 'kernels:' list");
    EXPECT_EQ(error("kernels: [\n"), f + ":2: end of sequence flow not found");
    EXPECT_EQ(error("kernels:\n  - name: a\n    klp-build: maybe\n    path: x\n"),
              f + ":3: 'klp-build' must be true or false");
    EXPECT_EQ(error("kernels:\n  - name: a\n    path: x\n    patches: [p.patch]\n"),
              f + ":2: kernel 'a': patches: apply to a source that is built (debian-source:)");
    EXPECT_EQ(error("kernels:\n  - name: a\n    debian-source: x\n    patches: p.patch\n"),
              f + ":4: 'patches' must be a list of patch files");
}

TEST_F(KernelFile, AGitEntryAndItsConfigFragments) {
    writeFile(tmp.path / "debug.config", "CONFIG_KASAN=y\n");
    auto ks = image::loadKernelFile(write("kernels:\n"
                                          "  - name: mine\n"
                                          "    git: ../linux\n"
                                          "    config: [debug.config]\n"
                                          "  - name: mine-7.2\n"
                                          "    git: /src/linux\n"
                                          "    rev: v7.2\n"));
    ASSERT_EQ(ks.size(), 2u);
    EXPECT_EQ(ks[0].git, tmp.path / "../linux");  // relative to the file
    EXPECT_EQ(ks[0].rev, "HEAD");
    EXPECT_EQ(ks[0].configs, std::vector<fs::path>{tmp.path / "debug.config"});
    EXPECT_TRUE(ks[0].built());
    EXPECT_EQ(ks[1].rev, "v7.2");
}

TEST(KernelCatalog, TreeNamesAGitRepositoryWithoutAnEntry) {
    const image::KernelEntry* t = image::findKernel("tree:/src/linux");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->git, "/src/linux");
    EXPECT_EQ(t->rev, "HEAD");
    EXPECT_EQ(image::findKernel("tree:/src/linux"), t);  // made once
    EXPECT_EQ(t->where(), "--kernel tree:/src/linux");
    EXPECT_EQ(image::findKernel("tree:/src/linux@v7.2"), nullptr);  // the caller splits the pin
    EXPECT_EQ(image::findKernel("tree:"), nullptr);
}

TEST_F(KernelFile, PatchesAreFilesBesideTheFileOrThroughTheEnvironment) {
    ::setenv("KLP_TEST_SERIES", "/srv/series", 1);
    ::unsetenv("KLP_TEST_UNSET");
    auto ks = image::loadKernelFile(write("kernels:\n"
                                          "  - name: fixed\n"
                                          "    debian-source: linux-source-7.2\n"
                                          "    patches: [fix.patch, '${KLP_TEST_SERIES}/01.eml']\n"
                                          "  - name: later\n"
                                          "    debian-source: linux-source-7.2\n"
                                          "    patches: ['${KLP_TEST_UNSET}/01.eml', '${KLP_TEST_UNSET}/02.eml']\n"));
    ASSERT_EQ(ks.size(), 2u);
    EXPECT_EQ(ks[0].patches, (std::vector<fs::path>{tmp.path / "fix.patch", "/srv/series/01.eml"}));
    EXPECT_TRUE(ks[0].unsetVars.empty());
    EXPECT_EQ(ks[1].unsetVars, std::vector<std::string>{"KLP_TEST_UNSET"});  // listed, usable once set
    const std::string f = (tmp.path / "kernels.yaml").string();
    try {
        ks[1].requirePatches();
        ADD_FAILURE() << "an unset variable was accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()),
                  f + ":5: kernel 'later' needs KLP_TEST_UNSET set: its patches: are found through it");
    }
    try {
        ks[0].requirePatches();
        ADD_FAILURE() << "a missing patch file was accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()), f + ":2: kernel 'fixed': patch " + (tmp.path / "fix.patch").string() +
                                             ": no such file");
    }
    ::unsetenv("KLP_TEST_SERIES");
}

TEST(Emulator, VersionsCompareNumerically) {
    EXPECT_EQ(image::qemuVersionNumber("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)"), "10.0.2");
    EXPECT_EQ(image::qemuVersionNumber("qemu 7.2.0"), "7.2.0");
    EXPECT_EQ(image::qemuVersionNumber("no number"), "");
    EXPECT_TRUE(image::versionAtLeast("10.0.2", "8.2"));
    EXPECT_TRUE(image::versionAtLeast("8.2", "8.2"));
    EXPECT_FALSE(image::versionAtLeast("7.2.22", "8.2"));
    EXPECT_FALSE(image::versionAtLeast("8.1.5", "8.2"));
    EXPECT_FALSE(image::versionAtLeast("", "8.2"));
}
