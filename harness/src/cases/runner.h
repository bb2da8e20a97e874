// Runs one case in a fresh guest and judges it: the step engine.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cases/case_file.h"
#include "cases/verdict.h"
#include "check/transitions.h"
#include "image/kernels.h"
#include "image/modules.h"
#include "testbed/pool.h"
#include "testbed/slot.h"

namespace klp::cases {

struct StepResult {
    int line = 0;
    std::string verb, arg;
    std::string status;   // pass, fail, error, skip
    std::string message;  // why it failed (an expectation diff, a value)
    double seconds = 0;
    std::vector<std::pair<std::string, bool>> subtests;  // ktap steps
};

struct CaseResult {
    std::string name, title, arch, kernel;
    Verdict verdict = Verdict::Miss;
    std::string reason;       // one line: why not PASS
    std::string detail;       // multi-line: the expectation diff or crash report
    std::string crashTitle;
    double seconds = 0;
    std::vector<StepResult> steps;
    std::vector<check::Transition> transitions;  // seen by the guest's klp-watch
    std::filesystem::path dir;  // console.log, kernel.log, steps.log
    std::string started;        // ISO 8601 UTC
    std::string host;           // the libvirt host it ran on: "embed" or the URI
    std::string boot;           // how the guest became pristine: "revert", "cold-boot" ("" none)
    double bootSeconds = 0;
    int stoppedBefore = 0;      // RunLimits::untilLine reached: the step line it stopped before
};

// A run cut short for `repro`: stop before the first step at or after
// `untilLine` (0: run every step), and keep the guest acquired from the slot
// (Slot::current()) for the user instead of releasing it.
struct RunLimits {
    int untilLine = 0;
    bool keepGuest = false;
};

// Gets a pristine guest of `cfg` from `pool` (reverted or booted), runs `c` in
// it, hands it back. Logs go to `dir`. Never throws: every problem becomes a verdict.
CaseResult runCase(const Case& c, testbed::Pool& pool, const testbed::GuestConfig& cfg,
                   const std::filesystem::path& dir, const RunLimits& limits = {});

// The verdict of one case run several times (--repeat): the runs' verdict when
// they all agree, else FLAKY.
Verdict foldAttempts(const std::vector<CaseResult>& attempts);
// The attempt whose details a report shows: the first that did not PASS, else the last.
const CaseResult& shownAttempt(const std::vector<CaseResult>& attempts);

}  // namespace klp::cases
