// `klp-harness selftests`: the kernel's own livepatch selftests, run unmodified,
// each script in a pristine guest with the `full` userland; one result per script
// in the run's reports.
#pragma once
#include <string>
#include <vector>

namespace klp::selftests {

struct Args {
    std::string arch = "x86_64";
    std::string kernel;
    std::string source;                // an unpacked kernel tree; default: Debian's linux-source-X.Y
    std::string out;                   // default klp-results/selftests-<date>
    std::vector<std::string> filters;  // globs over "selftests/test-x" or "test-x.sh"
    std::string cacheDir, uri, cmdline;
    int cpus = 1, memory = 512;
    int timeout = 1800;                // seconds a script may run (kselftest's `settings` say 0: none)
    bool coldBoot = false;
    bool strict = false;               // for CI: a SKIP fails the run too
};

// Exit code as `run`: 0 every script passed or skipped, 1 any FAIL or ERROR (or,
// with strict, a SKIP), 2 the harness could not run one (MISS) or failed.
int runSelftests(const Args& a);

}  // namespace klp::selftests
