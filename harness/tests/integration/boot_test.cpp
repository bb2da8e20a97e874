// Boots the real kernels (Debian's on x86_64, our own on ppc64le) under QEMU (TCG) through the embedded libvirt
// driver and talks to them over SSH. Slow: ~15 s a guest on a warm cache.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "guest_fixture.h"
#include "testbed/testbed.h"
#include "util/error.h"
#include "util/files.h"

using namespace klp;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// True if any live process has `needle` in its command line (QEMU carries its
// embed root's paths in its arguments).
bool processMentions(const std::string& needle) {
    for (const auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        std::string cmd;
        try {
            cmd = readFile(e.path() / "cmdline");
        } catch (...) {
            continue;
        }
        if (std::stoi(name) != getpid() && cmd.find(needle) != std::string::npos)
            return true;
    }
    return false;
}

std::string randomText(size_t n) {
    std::mt19937 rng(std::random_device{}());
    std::string s;
    for (size_t i = 0; i < n; i++)
        s += static_cast<char>('a' + rng() % 26);
    return s;
}

}  // namespace

class Guest : public ::testing::TestWithParam<std::string> {};

TEST_P(Guest, BootsRunsCommandsPushesFilesAndLeavesNoQemu) {
    fs::path runDir;
    {
        testbed::Testbed bed(testbed::Options{});
        runDir = bed.dir();
        auto kernel = bed.kernel(test::kernelOf(GetParam()), test::archOf(GetParam()));
        ASSERT_FALSE(kernel.release.empty());
        auto guest = bed.boot({.kernel = kernel});
        ASSERT_TRUE(processMentions(runDir.string())) << "no QEMU found for " << runDir;

        // The guest runs the kernel we asked for.
        auto uname = guest->ssh().exec("uname -r", 60s);
        EXPECT_EQ(uname.exitCode, 0);
        EXPECT_EQ(uname.out, kernel.release + "\n");

        // Exit codes and stderr come back separately.
        auto fail = guest->ssh().exec("echo out; echo err >&2; exit 7", 60s);
        EXPECT_EQ(fail.exitCode, 7);
        EXPECT_EQ(fail.out, "out\n");
        EXPECT_EQ(fail.err, "err\n");

        // A file pushed over SFTP reads back byte for byte (bigger than one SFTP chunk).
        std::string data = randomText(300000);
        guest->ssh().pushData(data, "/tmp/pushed.txt", 0640);
        auto back = guest->ssh().exec("cat /tmp/pushed.txt", 60s);
        EXPECT_EQ(back.exitCode, 0);
        EXPECT_TRUE(back.out == data) << "read back " << back.out.size() << " of " << data.size() << " bytes";
        auto mode = guest->ssh().exec("stat -c %a /tmp/pushed.txt", 60s);
        EXPECT_EQ(mode.out, "640\n");

        // Input reaches the command; a second push after exec works on the same session.
        auto in = guest->ssh().exec("tr a-z A-Z", 60s, "hello");
        EXPECT_EQ(in.out, "HELLO");
        guest->ssh().pushData("second\n", "/tmp/second.txt");
        EXPECT_EQ(guest->ssh().exec("cat /tmp/second.txt", 60s).out, "second\n");

        // A command that outlives its timeout is reported, and the session stays usable.
        auto slow = guest->ssh().exec("sleep 30", 2s);
        EXPECT_TRUE(slow.timedOut);
        EXPECT_EQ(guest->ssh().exec("echo still here", 60s).out, "still here\n");

        // The console log was captured, with the kernel's own lines.
        EXPECT_NE(readFile(guest->consoleLog()).find("Linux version " + kernel.release), std::string::npos);
    }
    EXPECT_FALSE(processMentions(runDir.string())) << "a QEMU of " << runDir << " outlived the testbed";
    EXPECT_FALSE(fs::exists(runDir)) << runDir << " was not removed";
}

INSTANTIATE_TEST_SUITE_P(X86, Guest, test::x86Kernels(), test::paramName);
INSTANTIATE_TEST_SUITE_P(Ppc64le, Guest, test::ppc64leKernels(), test::paramName);

// A guest that panics while booting is reported as such, quickly, and destroyed.
TEST(GuestFailure, PanicWhileBootingIsReportedNotWaitedOut) {
    testbed::Testbed bed(testbed::Options{});
    fs::path runDir = bed.dir();
    auto kernel = bed.kernel("debian-6.1", "x86_64");
    auto start = std::chrono::steady_clock::now();
    // No such init: the kernel panics ("No working init found"/"Attempted to kill init").
    try {
        bed.boot({.kernel = kernel, .cmdline = "rdinit=/nonexistent init=/nonexistent"});
        FAIL() << "boot succeeded";
    } catch (const HarnessError& e) {
        EXPECT_NE(std::string(e.what()).find("panic"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 90s);
    EXPECT_FALSE(processMentions(runDir.string()));
}
