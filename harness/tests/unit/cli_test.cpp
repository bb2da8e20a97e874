// The CLI's argument errors: one line, exit code 2, no guest started.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "util/process.h"

using namespace klp;

namespace {
// The cache dir the argument tests point at: one per test process (ctest runs
// them in parallel, each test a process of its own), and gone when it ends.
const std::string cacheDir = "/tmp/klp-unit-cli-cache-" + std::to_string(getpid());
struct RemoveCacheAtExit {
    ~RemoveCacheAtExit() { std::filesystem::remove_all(cacheDir); }
} removeCacheAtExit;

ProcessResult cli(const std::string& args) {
    // Merge stderr so the message can be checked; an empty cache dir proves no work happens.
    return runProcess({"sh", "-c", std::string(KLP_HARNESS_BIN) + " " + args + " 2>&1"});
}
}  // namespace

// Each subcommand as a row of the help's "Subcommands:" list (the banner line
// above it mentions some of their words too, so only rows count).
TEST(Cli, HelpListsSubcommands) {
    auto r = cli("--help");
    EXPECT_EQ(r.exitCode, 0);
    auto list = r.output.find("\nSubcommands:\n");
    ASSERT_NE(list, std::string::npos) << r.output;
    std::string rows = r.output.substr(list);
    for (const char* sub : {"boot", "exec", "proxy", "kernels", "repro", "run", "prepare", "selftests", "report",
                            "merge", "diff", "list"})
        EXPECT_NE(rows.find(std::string("\n  ") + sub + " "), std::string::npos) << sub << " is no row of:\n" << rows;
}

// selftests runs through the same executor as run: the same scheduling flags.
TEST(Cli, SelftestsTakeTheExecutorsOptions) {
    auto r = cli("selftests --help");
    EXPECT_EQ(r.exitCode, 0);
    for (const char* flag : {"--jobs", "--repeat", "--until-fail", "--shard", "--durations", "--host", "--strict",
                             "--expect-skip", "--cold-boot"})
        EXPECT_NE(r.output.find(flag), std::string::npos) << flag << " missing from:\n" << r.output;
}

TEST(Cli, UnknownKernelListsKnownOnes) {
    auto r = cli("exec --cache-dir " + cacheDir + " --kernel debian-4.19 -- true");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("unknown kernel 'debian-4.19'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("debian-6.12"), std::string::npos) << r.output;
}

TEST(Cli, MissingKernelPathIsNamed) {
    auto r = cli("exec --cache-dir " + cacheDir + " --kernel /nonexistent/bzImage -- true");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("/nonexistent/bzImage: no such file"), std::string::npos) << r.output;
}

TEST(Cli, UnknownArch) {
    auto r = cli("exec --arch mips --kernel debian-6.1 -- true");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("unknown arch 'mips'"), std::string::npos) << r.output;
}

TEST(Cli, ExecNeedsACommandAndAKernel) {
    EXPECT_EQ(cli("exec --kernel debian-6.1").exitCode, 2);
    EXPECT_EQ(cli("exec -- true").exitCode, 2);
}

TEST(Cli, PushOfMissingFileIsNamed) {
    auto r = cli("exec --kernel debian-6.1 --push /nonexistent/file:/tmp/x -- true");
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("/nonexistent/file"), std::string::npos) << r.output;
}

TEST(Cli, KernelsListsNames) {
    auto r = cli("kernels");
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_NE(r.output.find("debian-6.1 "), std::string::npos);
    EXPECT_NE(r.output.find("debian-6.12"), std::string::npos);
}
