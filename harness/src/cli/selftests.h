// `klp-harness selftests`: the kernel's own livepatch selftests, run unmodified,
// each script a generated case in a pristine guest with the `full` userland,
// through the same executor as `run` (jobs, repeat, shard, hosts, reports).
#pragma once
#include <string>

#include "cli/run_cases.h"

namespace klp::cli {

struct SelftestArgs {
    RunArgs run;         // one --arch and one --kernel; filters match "selftests/test-x" or "test-x.sh"
    std::string source;  // an unpacked kernel tree; default: Debian's linux-source-X.Y
    int timeout = 1800;  // seconds a script may run (kselftest's `settings` say 0: none)
};

// Exit code as `run`: 0 every script passed or skipped, 1 any FAIL, ERROR or
// FLAKY (with --strict, a SKIP too), 2 the harness could not run one (MISS).
int runSelftests(const SelftestArgs& s);

}  // namespace klp::cli
