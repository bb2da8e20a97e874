// `klp-harness repro`: one command from a failure to a guest in the state just
// before the failing step, kept for ssh and gdb.
#pragma once
#include <string>
#include <vector>

namespace klp::cli {

struct ReproArgs {
    std::string caseFile;
    std::string arch = "x86_64";
    std::string kernel;
    int until = 0;                      // stop before this step line; 0: the last failure's, or run every step
    std::string results;                // a run's results.json (or dir) for the failing step; "": the newest under klp-results/
    bool gdb = false;
    std::string cmdline;
    std::vector<std::string> modules;   // --module
    std::vector<std::string> vars;      // --var NAME=VALUE
    std::string userland = "base";
    int cpus = 1, memory = 512;
    std::string cacheDir, uri, out;
};

int repro(const ReproArgs& a);

// The shell command that reproduces a failure: `repro` with the case file, the
// target, the failing step's line (0: none) and what the run gave the guest.
std::string reproCommand(const std::string& caseFile, const std::string& arch, const std::string& kernel,
                         int line, const std::string& cmdline, const std::vector<std::string>& modules,
                         const std::vector<std::string>& vars, const std::string& userland, int cpus = 1,
                         int memory = 512);

// Quotes `s` for a POSIX shell when it needs it.
std::string shellQuote(const std::string& s);

}  // namespace klp::cli
