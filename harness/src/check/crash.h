// Classifies console output: the kernel crash reports a case must not ignore.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace klp::check {

struct Crash {
    std::string kind;   // panic, oops, BUG, WARNING, RCU stall, lockdep, hung task, soft lockup
    std::string title;  // the report's first line, normalised (a stable, greppable title)
    int line = 0;       // 0-based line in the console text
};

// Every crash report in `console`, in order. A panic that follows an oops is
// reported too (both lines matter to a reader).
std::vector<Crash> findCrashes(std::string_view console);

}  // namespace klp::check
