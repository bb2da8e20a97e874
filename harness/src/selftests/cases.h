// The kernel's livepatch selftest scripts as generated cases: each script one
// case of one `kselftest` step, so they run through the same executor as case
// files (jobs, repeat, shards, hosts, FLAKY, every report).
#pragma once
#include <string>
#include <vector>

#include "cases/case_file.h"
#include "selftests/payload.h"

namespace klp::selftests {

// Does "selftests/<stem>", "<stem>" or the script's file name match one of the
// shell globs? (No globs: every script.)
bool scriptSelected(const std::string& script, const std::vector<std::string>& globs);

// One case per script, named "selftests/<stem>", run as kselftest's runner
// does (from the scripts' dir, stderr with stdout) within `timeoutSeconds`.
// `repro`: the command that re-runs all of them; each case's adds its --filter.
std::vector<cases::Case> scriptCases(const Payload& p, const Source& src, const std::vector<std::string>& scripts,
                                     int timeoutSeconds, const std::string& repro);

}  // namespace klp::selftests
