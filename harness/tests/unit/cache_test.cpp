#include "image/cache.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "image/recipe.h"
#include "temp_dir.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

using test::TempDir;

TEST(Cache, BuildsOnceThenHits) {
    TempDir t;
    image::Cache cache(t.path);
    int builds = 0;
    auto build = [&](const fs::path& dir) {
        builds++;
        writeFile(dir / "artefact", "x");
    };
    auto a = cache.get("kernels", "k", "0123456789abcdef", build);
    auto b = cache.get("kernels", "k", "0123456789abcdef", build);
    EXPECT_EQ(builds, 1);
    EXPECT_EQ(a, b);
    EXPECT_TRUE(fs::exists(a / "artefact"));
    EXPECT_EQ(readFile(a / "key.txt"), "0123456789abcdef\n");
}

TEST(Cache, NewKeyIsNewEntry) {
    TempDir t;
    image::Cache cache(t.path);
    int builds = 0;
    auto build = [&](const fs::path&) { builds++; };
    auto a = cache.get("kernels", "k", "aaaaaaaaaaaaaaaa", build);
    auto b = cache.get("kernels", "k", "bbbbbbbbbbbbbbbb", build);
    EXPECT_EQ(builds, 2);
    EXPECT_NE(a, b);
}

TEST(Cache, FailedBuildLeavesNothingAndIsRetried) {
    TempDir t;
    image::Cache cache(t.path);
    EXPECT_THROW(cache.get("userland", "amd64", "cccccccccccccccc",
                           [](const fs::path& dir) {
                               writeFile(dir / "half", "x");
                               throw std::runtime_error("recipe failed");
                           }),
                 std::runtime_error);
    EXPECT_FALSE(fs::exists(cache.entryDir("userland", "amd64", "cccccccccccccccc")));
    int builds = 0;
    cache.get("userland", "amd64", "cccccccccccccccc", [&](const fs::path&) { builds++; });
    EXPECT_EQ(builds, 1);
}

TEST(Cache, UnfinishedEntryOfAKilledRunIsRebuilt) {
    TempDir t;
    image::Cache cache(t.path);
    auto dir = cache.entryDir("kernels", "k", "dddddddddddddddd");
    fs::create_directories(dir);
    writeFile(dir / "partial", "x");  // no done marker: a run died mid-build
    int builds = 0;
    cache.get("kernels", "k", "dddddddddddddddd", [&](const fs::path& d) {
        builds++;
        EXPECT_FALSE(fs::exists(d / "partial"));
    });
    EXPECT_EQ(builds, 1);
}

TEST(KeyHasher, OrderAndContentMatter) {
    KeyHasher a, b, c;
    a.add("package", "linux-image").add("version", "6.1.192-2");
    b.add("version", "6.1.192-2").add("package", "linux-image");
    c.add("package", "linux-image").add("version", "6.1.192-3");
    EXPECT_NE(a.hex(), b.hex());
    EXPECT_NE(a.hex(), c.hex());
    KeyHasher a2;
    a2.add("package", "linux-image").add("version", "6.1.192-2");
    EXPECT_EQ(a.hex(), a2.hex());
    EXPECT_EQ(a.hex().size(), 64u);
}

TEST(KeyHasher, FileContentNotNameOrTime) {
    TempDir t;
    writeFile(t.path / "one", "same");
    writeFile(t.path / "two", "same");
    KeyHasher a, b;
    a.addFile("recipe", t.path / "one");
    b.addFile("recipe", t.path / "two");
    EXPECT_EQ(a.hex(), b.hex());
    writeFile(t.path / "two", "changed");
    KeyHasher c;
    c.addFile("recipe", t.path / "two");
    EXPECT_NE(a.hex(), c.hex());
}

// Every recipe sources images/lib.sh: its content is in every recipe's key, as
// are the KLP_* variables the recipe runs with (another arch, another entry).
TEST(Recipe, KeyHoldsTheSharedLibraryAndTheEnvironment) {
    KeyHasher amd64, ppc64el;
    image::Recipe("userland-full.sh", {{"KLP_DEB_ARCH", "amd64"}}).addTo(amd64);
    image::Recipe("userland-full.sh", {{"KLP_DEB_ARCH", "ppc64el"}}).addTo(ppc64el);
    const fs::path lib = projectDir() / "images" / "lib.sh";
    EXPECT_NE(amd64.text().find("recipe-lib=" + sha256File(lib) + "\n"), std::string::npos) << amd64.text();
    EXPECT_NE(amd64.text().find("KLP_DEB_ARCH=amd64\n"), std::string::npos) << amd64.text();
    EXPECT_NE(amd64.hex(), ppc64el.hex());
}

TEST(Recipe, RunsThroughEnvWithItsVariables) {
    image::Recipe r("own-kernel.sh", {{"KLP_KARCH", "powerpc"}, {"KLP_CROSS_COMPILE", ""}});
    EXPECT_EQ(r.command({"OUT", "linux-source-6.1"}),
              (std::vector<std::string>{"env", "KLP_KARCH=powerpc", "KLP_CROSS_COMPILE=",
                                        (projectDir() / "images" / "own-kernel.sh").string(), "OUT",
                                        "linux-source-6.1"}));
}

// Run by hand without the harness's variables, a recipe stops at once naming the
// one it misses (lib.sh's need_env), before it downloads anything.
TEST(Recipe, WithoutItsVariableStopsNamingIt) {
    TempDir t;
    const fs::path err = t.path / "stderr";
    auto r = runProcess({"env", "-u", "KLP_DEB_ARCH", (projectDir() / "images" / "userland-full.sh").string(),
                         (t.path / "out.cpio.gz").string()},
                        err);
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(readFile(err).find("KLP_DEB_ARCH is not set"), std::string::npos) << readFile(err);
    EXPECT_FALSE(fs::exists(t.path / "out.cpio.gz"));
}
