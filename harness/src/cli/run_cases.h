// `klp-harness run` and `klp-harness list`: case files in, verdict lines out.
#pragma once
#include <string>
#include <vector>

namespace klp::cli {

struct RunArgs {
    std::string arch = "x86_64";
    std::vector<std::string> kernels;
    std::vector<std::string> paths;
    std::string cacheDir;
    std::string uri;
    std::string out;
    int cpus = 1;
    int memory = 512;
};

// Exit code: 0 all PASS/SKIP, 1 any FAIL/ERROR, 2 a MISS or the harness failed.
int runCases(const RunArgs& args);
int listCases(const std::vector<std::string>& paths, bool verbs);
// `report DIR`: re-renders results.ktap, junit.xml and report.html from results.json.
int renderReports(const std::string& dir);
// `diff OLD NEW`: verdict changes and time moves beyond threshold (ratio) and minSeconds.
int diffRuns(const std::string& oldDir, const std::string& newDir, double threshold, double minSeconds);

}  // namespace klp::cli
