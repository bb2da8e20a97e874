// The host-side defences: private run dirs and a sweep that never takes a live
// run, the SSH key private from its first byte and shared by racing processes,
// bounded host commands whose children die with the harness.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "guest/ssh_key.h"
#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"
#include "util/run_dir.h"

using namespace klp;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
mode_t modeOf(const fs::path& p) {
    struct stat st {};
    lstat(p.c_str(), &st);
    return st.st_mode & 0777;
}

bool processAlive(const std::string& pattern) {
    return runProcess({"pgrep", "-f", pattern}).exitCode == 0;
}
}  // namespace

TEST(RunDir, IsPrivateAndRefusesAPlantedBase) {
    test::TempDir t;
    fs::path base = t.path / "base";
    {
        RunDir d(base, {});
        EXPECT_EQ(modeOf(base), 0700u);
        EXPECT_EQ(modeOf(d.path()), 0700u);
        EXPECT_EQ(d.path().filename().string().rfind("r" + std::to_string(getpid()) + "-", 0), 0u);
    }
    chmod(base.c_str(), 0777);  // someone opened it up
    EXPECT_THROW(RunDir(base, {}), UsageError);
    fs::remove_all(base);
    fs::create_directories(t.path / "elsewhere");
    fs::create_directory_symlink(t.path / "elsewhere", base);  // a planted symlink
    try {
        RunDir d(base, {});
        FAIL() << "a symlinked base was used";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("symlink"), std::string::npos) << e.what();
    }
}

TEST(RunDir, SweepTakesDeadRunsOnlyAndSaysSo) {
    test::TempDir t;
    fs::path base = t.path / "base";
    std::vector<fs::path> swept;
    auto sweep = [&](const fs::path& p) {
        swept.push_back(p);
        return 0;
    };
    auto live = std::make_unique<RunDir>(base, sweep);  // holds its lock
    // A killed run: its lock file exists but nobody holds it.
    fs::create_directories(base / "r1-dead");
    writeFile(base / "r1-dead" / "lock", "");
    // A run that is just starting (no lock yet, under its temporary name).
    fs::create_directories(base / "n2-starting");
    swept.clear();
    RunDir other(base, sweep);
    ASSERT_EQ(swept.size(), 1u);
    EXPECT_EQ(swept[0], base / "r1-dead");
    EXPECT_FALSE(fs::exists(base / "r1-dead"));
    EXPECT_TRUE(fs::exists(live->path()));
    EXPECT_TRUE(fs::exists(base / "n2-starting"));
    fs::path livePath = live->path();
    live.reset();
    EXPECT_FALSE(fs::exists(livePath));
}

TEST(SshKey, IsPrivateFromTheStartAndOneKeyWinsARace) {
    test::TempDir t;
    std::vector<guest::SshKey> keys(4);
    std::vector<std::thread> threads;
    for (auto& k : keys)
        threads.emplace_back([&k, &t] { k = guest::loadOrCreateKey(t.path / "ssh"); });
    for (auto& th : threads)
        th.join();
    for (const auto& k : keys)
        EXPECT_EQ(k.publicLine, keys[0].publicLine);
    EXPECT_EQ(modeOf(keys[0].privateKey), 0600u);
    EXPECT_EQ(modeOf(t.path / "ssh"), 0700u);
    int files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.path / "ssh"))
        files++;
    EXPECT_EQ(files, 1) << "temp files left beside the key";
}

TEST(WriteFile, ReplacesAPlantedSymlinkInsteadOfWritingThroughIt) {
    test::TempDir t;
    writeFile(t.path / "victim", "precious");
    fs::create_symlink(t.path / "victim", t.path / "memo");
    writeFile(t.path / "memo", "ours");
    EXPECT_EQ(readFile(t.path / "victim"), "precious");
    EXPECT_EQ(readFile(t.path / "memo"), "ours");
    EXPECT_FALSE(fs::is_symlink(t.path / "memo"));
}

TEST(Process, TimeoutKillsTheWholeGroup) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(runProcess({"sh", "-c", "sleep 876.5 & sleep 876.6"}, {}, 1s), TimeoutError);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(processAlive("sleep 876.[56]"));
}

TEST(Process, ChildrenDieWithAKilledHarness) {
    pid_t harness = fork();
    if (harness == 0) {  // stands in for klp-harness: runs a recipe, then gets SIGKILLed
        try {
            runProcess({"sh", "-c", "sleep 765.4 & sleep 765.5"}, {}, 60s);
        } catch (...) {
        }
        _exit(0);
    }
    for (int i = 0; i < 100 && !processAlive("sleep 765.5"); i++)
        std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(processAlive("sleep 765.5"));
    kill(harness, SIGKILL);
    waitpid(harness, nullptr, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = !processAlive("sleep 765.[45]");
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(gone) << "the recipe's processes outlived the harness";
}
