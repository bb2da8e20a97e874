#include "check/crash.h"

#include <regex>

#include "check/kernel_log.h"

namespace klp::check {

namespace {
struct Pattern {
    const char* kind;
    std::regex re;
};

const std::vector<Pattern>& patterns() {
    // Order matters: the first pattern that matches a line classifies it.
    static const std::vector<Pattern> p = {
        {"panic", std::regex(R"(^Kernel panic - not syncing)")},
        {"soft lockup", std::regex(R"(^watchdog: BUG: soft lockup)")},
        {"RCU stall", std::regex(R"(^rcu: INFO: rcu_\w+ (self-)?detected stalls?)")},
        {"hung task", std::regex(R"(^INFO: task .* blocked for more than \d+ seconds)")},
        {"lockdep", std::regex(R"(^WARNING: (possible circular locking dependency|possible recursive locking|inconsistent lock state))")},
        {"BUG", std::regex(R"(^(BUG: |kernel BUG at ))")},
        {"oops", std::regex(R"(^(Oops: |Oops\[))")},
        {"WARNING", std::regex(R"(^WARNING: CPU: \d+ PID: \d+ at )")},
    };
    return p;
}
}  // namespace

std::vector<Crash> findCrashes(std::string_view console) {
    std::vector<Crash> out;
    int lineNo = 0;
    size_t pos = 0;
    while (pos < console.size()) {
        size_t nl = console.find('\n', pos);
        std::string line = normaliseLine(
            console.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
        pos = nl == std::string_view::npos ? console.size() : nl + 1;
        // Titles must not change from run to run: drop the CPU/PID, and cut an
        // absolute (out-of-tree build) source path to its file name.
        static const std::regex cpuPid(R"(CPU: \d+ PID: \d+ )");
        static const std::regex absPath(R"( at /\S*/([^/\s]+:\d+))");
        for (const auto& p : patterns())
            if (std::regex_search(line, p.re)) {
                std::string title = std::regex_replace(std::regex_replace(line, cpuPid, ""), absPath, " at $1");
                out.push_back({p.kind, title, lineNo});
                break;
            }
        lineNo++;
    }
    return out;
}

}  // namespace klp::check
