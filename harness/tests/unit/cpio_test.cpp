#include "image/cpio.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "temp_dir.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

TEST(Cpio, HeaderIsNewcAndAligned) {
    image::CpioWriter w;
    w.addFile("a", "xyz", 0600);
    std::string archive = w.finish();
    EXPECT_EQ(archive.substr(0, 6), "070701");
    EXPECT_EQ(archive.size() % 4, 0u);
    EXPECT_NE(archive.find("TRAILER!!!"), std::string::npos);
}

// GNU cpio reads back exactly what we wrote: names, contents, modes.
TEST(Cpio, GnuCpioExtractsIt) {
    if (findOnPath("cpio").empty())
        GTEST_SKIP() << "cpio not installed";
    test::TempDir tmp;
    const fs::path& dir = tmp.path;
    image::CpioWriter w;
    w.addDirectory("root", 0700);
    w.addDirectory("root/.ssh", 0700);
    w.addFile("root/.ssh/authorized_keys", "ssh-ed25519 AAAA test\n", 0600);
    w.addFile("odd", std::string(5, 'x'), 0755);  // length not a multiple of 4
    writeFile(dir / "a.cpio", w.finish());
    auto r = runProcess({"sh", "-c", "cd " + dir.string() + " && mkdir x && cd x && cpio -i --quiet < ../a.cpio"});
    ASSERT_EQ(r.exitCode, 0);
    EXPECT_EQ(readFile(dir / "x/root/.ssh/authorized_keys"), "ssh-ed25519 AAAA test\n");
    EXPECT_EQ(readFile(dir / "x/odd"), "xxxxx");
    struct stat st;
    ASSERT_EQ(stat((dir / "x/root/.ssh/authorized_keys").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(stat((dir / "x/root").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}
