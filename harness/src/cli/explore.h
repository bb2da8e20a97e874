// `klp-harness explore`: model-based exploration. Random operation sequences
// over our guest modules (explore/generate.h), each made an ordinary case file
// whose expectations come from the reference model (explore/to_case.h), run as
// one normal `run` (the executor: results.json and every report); every
// sequence that does not PASS is run again (--reruns): one that passes then is
// FLAKY, with its counts; one that fails every time is shrunk (explore/shrink.h,
// each round a normal run) to the shortest that still fails the same way, and
// written as a case file ready for cases/.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cli/run_cases.h"

namespace klp::cli {

struct ExploreArgs : RunArgs {  // arches, kernels, out, jobs, guest options as `run` takes them
    std::uint64_t seed = 1;
    int sequences = 10;
    int length = 8;
    std::string time;                 // "10m": keep generating batches of `sequences` until it is spent
    bool shrink = true;
    int shrinkBudget = 40;            // candidates tested per failing sequence at most
    int reruns = 3;                   // runs again of each sequence that did not PASS (0: none)
    std::vector<std::string> pool;    // modules to draw from; empty: explore::defaultPool()
};

// Seconds of "90", "90s", "10m", "2h". Throws UsageError.
int parseDuration(const std::string& text);

// Exit code: 0 every sequence passed, 1 any did not (FAIL, ERROR or FLAKY:
// found/ holds them), 2 the harness failed.
int explore(const ExploreArgs& args);

}  // namespace klp::cli
