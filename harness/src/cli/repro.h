// `klp-harness repro`: one command from a failure to a guest in the state just
// before the failing step, kept for ssh and gdb.
#pragma once
#include <string>
#include <vector>

#include "cli/guest_options.h"

namespace klp::cli {

struct ReproArgs : GuestOptions {
    std::string caseFile;
    std::string arch = "x86_64";
    std::string kernel;
    int until = 0;                      // stop before this step line; 0: the last failure's, or run every step
    std::string results;                // a run's results.json (or dir) for the failing step; "": the newest under klp-results/
    bool gdb = false;
    std::vector<std::string> vars;      // --var NAME=VALUE
    std::string out;
};

int repro(const ReproArgs& a);

// The shell command that reproduces a failure: `repro` with what `a` says (the
// case file, the target, the failing step's line as `until` (0: none) and what
// the run gave the guest); defaults are left out.
std::string reproCommand(const ReproArgs& a);

// Quotes `s` for a POSIX shell when it needs it.
std::string shellQuote(const std::string& s);

}  // namespace klp::cli
