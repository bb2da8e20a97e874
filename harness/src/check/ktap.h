// Reading KTAP / TAP output of a guest-side test program.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace klp::check {

struct KtapResult {
    std::vector<std::pair<std::string, bool>> subtests;  // (description, passed); SKIP counts as passed
    int planned = -1;                                    // from "1..N"; -1: no plan
    int failed() const;
    // Empty if the output is a passing run; else why not (no results, failures, plan mismatch).
    std::string problem() const;
};

// Top-level "ok N - desc" / "not ok N - desc" lines and the "1..N" plan; nested
// (indented) KTAP lines belong to subtests and are not counted.
KtapResult parseKtap(std::string_view text);

}  // namespace klp::check
