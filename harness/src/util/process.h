// Running host programs: the only place the harness forks.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace klp {

// Every host command has a time limit: a hung apt-get or make must not hang a
// nightly run. On timeout its whole process group is killed and TimeoutError
// thrown. Children die with the harness, even on SIGKILL: each runs under a
// small guard process that kills the group when the harness goes.
constexpr std::chrono::seconds kDefaultCommandTimeout{20 * 60};

struct ProcessResult {
    int exitCode = -1;   // -1 when killed by a signal
    std::string output;  // stdout (and stderr when merged)
};

// Runs argv, waits, returns its exit code and stdout. stderr goes to `stderrLog`
// (appended) when given, else is inherited. Throws HarnessError if it cannot start.
ProcessResult runProcess(const std::vector<std::string>& argv,
                         const std::filesystem::path& stderrLog = {},
                         std::chrono::seconds timeout = kDefaultCommandTimeout);

// Like runProcess, with stderr merged into the output (compiler logs read in order).
ProcessResult runMerged(const std::vector<std::string>& argv,
                        std::chrono::seconds timeout = kDefaultCommandTimeout);

// Called with each line of a child's stdout as it arrives (without the newline).
using LineHandler = std::function<void(std::string_view line)>;

// Like runProcess but throws HarnessError naming the command (and the tail of
// stderrLog) when it exits non-zero. `onLine`, when given, sees stdout line by
// line while the command runs (progress of long recipes).
std::string runChecked(const std::vector<std::string>& argv,
                       const std::filesystem::path& stderrLog = {}, const LineHandler& onLine = {},
                       std::chrono::seconds timeout = kDefaultCommandTimeout);

// Full path of `program` on PATH, or empty.
std::filesystem::path findOnPath(const std::string& program);

// Throws UsageError "<program> not found: install the Debian package <package>".
void requireTool(const std::string& program, const std::string& package);

// requireTool for a C compiler: "gcc", or a cross "<triplet>-gcc" from Debian's
// gcc-<triplet> package.
void requireCompiler(const std::string& cc);

}  // namespace klp
