// Transitions as the guest's klp-watch saw them (guest/tools/klp-watch.c):
// when each started and ended, and which tasks held it up, where, how long.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace klp::check {

struct Blocker {
    int pid = 0;
    std::string comm;
    std::string function;  // patched function it slept in ("?" if none on its stack)
    long seenMs = 0;       // first seen still unswitched
    long switchMs = -1;    // when it switched; -1: not before the transition ended
};

struct Transition {
    std::string patch;
    std::string direction;  // patching / unpatching, as it started
    std::string finalDirection;  // after reversals (= direction if none)
    long startMs = 0;
    long endMs = -1;        // -1: still running when the case ended
    int reversals = 0;
    std::vector<Blocker> blockers;
    // How long `b` held the transition up (until it switched, or the end).
    long heldMs(const Blocker& b) const;
    std::string describe() const;  // one line for logs and reports
};

// Parses klp-watch output; unknown lines are ignored.
std::vector<Transition> parseWatchLog(std::string_view text);

}  // namespace klp::check
