// `klp-harness run` and `klp-harness list`: case files in, verdict lines out.
#pragma once
#include <fnmatch.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/guest_options.h"

namespace klp::cli {

// A libvirt host for `run --host URI[,SLOTS]`; uri "" is the embedded driver.
struct Host {
    std::string uri;
    int slots = 1;
};
// "qemu+ssh://h/system,2" -> {uri, 2}; "embed" (or "") is the embedded driver.
// Throws UsageError on a bad slot count.
Host parseHost(const std::string& text);

struct RunArgs : GuestOptions {
    std::vector<std::string> arches;   // empty: x86_64
    std::vector<std::string> kernels;  // NAME (for every arch) or ARCH:NAME
    std::vector<std::string> paths;
    std::string matrix;                // a matrix file instead of arches/kernels/paths
    std::string out;
    // CI mode: any verdict but PASS fails the run (exit 1), except the SKIPs
    // named in expectSkips (case names; such a case must then really SKIP).
    bool strict = false;
    std::vector<std::string> filters;  // shell globs over case names; empty: every case
    std::vector<std::string> expectSkips;
    // Whether `name` is one of expectSkips (a name, or a glob: "states-api/*").
    bool skipExpected(const std::string& name) const {
        return std::any_of(expectSkips.begin(), expectSkips.end(),
                           [&](const std::string& p) { return ::fnmatch(p.c_str(), name.c_str(), 0) == 0; });
    }
    int jobs = 0;                      // parallel guests; 0: what CPUs and memory allow
    std::vector<std::string> hosts;    // --host URI[,SLOTS]
    bool coldBoot = false;             // boot every case's guest (no revert)
    int repeat = 1;
    bool untilFail = false;
    std::string shard;                 // "i/n"
    std::string durations;             // a previous results.json (or its dir)
    std::vector<std::string> vars;     // --var NAME=VALUE for the cases' vars:
};

// One (arch, kernel) pair of a run.
struct Target {
    std::string arch, kernel;
};
// The targets of `--arch`s and `--kernel`s: "ARCH:NAME" is that arch only, a plain
// NAME runs on every --arch (default x86_64). Throws UsageError for an unknown arch.
std::vector<Target> runTargets(const std::vector<std::string>& arches, const std::vector<std::string>& kernels);

// Parallel guests this host can afford for guests of `memoryMiB`: one per CPU,
// while memory lasts (each guest's RAM plus QEMU's own).
int defaultJobs(int memoryMiB);

// Exit code: 0 all PASS/SKIP, 1 any FAIL/ERROR/FLAKY (with strict: any unexpected
// verdict), 2 a MISS or the harness failed.
int runCases(const RunArgs& args);
// `prepare`: fetches or builds the kernel, our modules and the guest userland
// into the cache, boots nothing. Prints what it prepared.
// `userModules`: --module paths; the built ones' .ko paths are printed.
int prepare(const std::vector<Target>& targets, const std::string& cacheDir,
            const std::vector<std::string>& userModules = {}, const std::vector<std::string>& patches = {});
int listCases(const std::vector<std::string>& paths, bool verbs);
// `report DIR`: re-renders results.ktap, junit.xml and report.html from results.json.
int renderReports(const std::string& dir);
// `diff OLD NEW`: verdict changes and time moves beyond threshold (ratio) and minSeconds.
// Exit code 1 when a verdict got worse (report::worseVerdicts), else 0.
int diffRuns(const std::string& oldDir, const std::string& newDir, double threshold, double minSeconds);

}  // namespace klp::cli
