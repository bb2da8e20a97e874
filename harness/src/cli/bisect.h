// `klp-harness bisect CASE --kernel NAME --good V1 --bad V2`: the first version of
// a kernel entry (the ordered versions its archive offers) where a case stops
// passing. Each step is an ordinary `run` of the case on NAME@VERSION in its own
// process and results dir; bisect/search.h decides what to run next.
#pragma once
#include <string>
#include <vector>

namespace klp::cli {

struct BisectArgs {
    std::string caseFile;
    std::string arch = "x86_64";
    std::string kernel;        // a kernel entry with versions (Debian binary or source)
    std::string good, bad;     // versions as `kernels --versions NAME` prints them
    int repeat = 0;            // runs per step; 0: from the bad version's failure rate
    std::vector<std::string> vars;  // --var NAME=VALUE for the case
    std::string out;           // default klp-results/bisect-<date>
    std::string cacheDir;
};

// Exit code: 0 the first bad version found (or narrowed to untestable ones),
// 1 the endpoints do not hold (the bad version passes, the good one fails),
// 2 bad input.
int bisectVersions(const BisectArgs& args);

}  // namespace klp::cli
