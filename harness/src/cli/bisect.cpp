#include "cli/bisect.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "bisect/search.h"
#include "cases/case_file.h"
#include "cli/run_plan.h"
#include "image/cache.h"
#include "image/git_tree.h"
#include "image/kernel_catalog.h"
#include "image/kernels.h"
#include "report/results.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/files.h"
#include "util/paths.h"
#include "util/process.h"
#include "util/progress.h"

namespace klp::cli {
namespace fs = std::filesystem;

namespace {

struct StepResult {
    std::string version;
    int runs = 0, failures = 0;
    bool untestable = false;
    bisect::Outcome outcome = bisect::Outcome::Skip;
    double seconds = 0;
    std::string verdicts, dir;
};

const char* outcomeName(bisect::Outcome o) {
    return o == bisect::Outcome::Good ? "good" : o == bisect::Outcome::Bad ? "bad" : "skip";
}

// One step: `run` of the case on NAME@VERSION, `runs` times, in its own dir.
StepResult runStep(const BisectArgs& a, const fs::path& out, int number, const std::string& version, int runs) {
    StepResult s;
    s.version = version;
    const fs::path dir = out / (std::to_string(number) + "-" + version);
    s.dir = dir.string();
    std::vector<std::string> argv = {selfExecutable().string(), "-q", "run", a.caseFile, "--arch", a.arch,
                                     "--kernel", a.kernel + "@" + version, "--jobs", "1",
                                     "--repeat", std::to_string(runs), "--out", dir.string()};
    if (!a.cacheDir.empty())
        argv.insert(argv.end(), {"--cache-dir", a.cacheDir});
    for (const auto& v : a.vars)
        argv.insert(argv.end(), {"--var", v});
    progress("step " + std::to_string(number) + ": " + a.kernel + "@" + version + ", " + std::to_string(runs) +
             " run(s)");
    const auto start = std::chrono::steady_clock::now();
    fs::create_directories(dir);
    // The run's progress (stderr) and verdict lines (stdout), beside its reports.
    auto r = runProcess(argv, dir / "run.stderr.log", std::chrono::hours(3));
    writeFile(dir / "run.log", r.output);
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!fs::exists(dir / "results.json")) {
        s.untestable = true;  // the kernel did not build or the run did not start: say why
        std::istringstream err(fs::exists(dir / "run.stderr.log") ? readFile(dir / "run.stderr.log") : "");
        for (std::string line; std::getline(err, line);)
            if (line.rfind("klp-harness: error: ", 0) == 0)
                s.verdicts = line.substr(20, 200);
        if (s.verdicts.empty())
            s.verdicts = "no results (exit " + std::to_string(r.exitCode) + "; see " + (dir / "run.stderr.log").string() + ")";
    } else {
        const report::Json doc = report::readResults(dir);
        for (const auto& r : doc["results"]) {
            std::vector<std::string> attempts;
            if (r.contains("attempts") && r["attempts"].is_array() && !r["attempts"].empty())
                for (const auto& at : r["attempts"])
                    attempts.push_back(at.value("verdict", ""));
            else
                attempts.push_back(r.value("verdict", ""));
            for (const auto& v : attempts) {
                s.verdicts += (s.verdicts.empty() ? "" : " ") + v;
                if (v == "MISS" || v == "SKIP")
                    continue;  // no verdict on the kernel: neither good nor bad
                s.runs++;
                if (v != "PASS")
                    s.failures++;
            }
        }
        s.untestable = s.runs == 0;
    }
    s.outcome = bisect::judge(s.runs, s.failures, s.untestable);
    std::printf("step %d  %s@%s  %-4s  %d/%d runs failed  %.0f s  (%s)\n", number, a.kernel.c_str(), version.c_str(),
                outcomeName(s.outcome), s.failures, s.runs, s.seconds, s.verdicts.empty() ? "no results" : s.verdicts.c_str());
    std::fflush(stdout);
    return s;
}

// The entry's versions, oldest first (`kernels --versions` prints newest first).
// Versions the archive lists but the harness cannot use go to `unusable`.
std::vector<std::string> versionsOf(const BisectArgs& a, std::vector<std::string>& unusable) {
    image::Cache cache(a.cacheDir.empty() ? defaultCacheDir() : fs::path(a.cacheDir));
    std::vector<std::string> out;
    for (const auto& line : image::kernelVersions(a.kernel, cache)) {
        const std::string version = line.substr(0, line.find(' '));
        if (line.find(image::kNoHeaders) != std::string::npos) {
            unusable.push_back(version);  // known untestable: not worth a step
            continue;
        }
        out.push_back(version);
    }
    std::reverse(out.begin(), out.end());
    std::reverse(unusable.begin(), unusable.end());
    return out;
}

int bisectRange(const BisectArgs& a, const std::string& caseName, const std::vector<std::string>& range,
                const std::string& note);

}  // namespace

int bisectVersions(const BisectArgs& a) {
    // A bad case file (or a var it lacks) fails here, one line, before any step.
    auto cases = cases::loadCases({a.caseFile}, runNames({}, {}, a.vars, nullptr));
    if (cases.size() != 1)
        throw UsageError("bisect: " + a.caseFile + " holds " + std::to_string(cases.size()) +
                         " cases; give one case file");
    std::vector<std::string> unusable;
    const image::KernelEntry* entry = image::findKernel(a.kernel);
    if (entry && !entry->git.empty()) {
        std::vector<std::string> commits;  // 12 hex digits name a commit in step lines and dirs
        for (const auto& c : image::commitRange(entry->git, a.good, a.bad, "kernel " + a.kernel))
            commits.push_back(c.substr(0, 12));
        return bisectRange(a, cases.front().name, commits, "");
    }
    const auto versions = versionsOf(a, unusable);
    auto index = [&](const std::string& v, const char* flag) {
        auto it = std::find(versions.begin(), versions.end(), v);
        if (std::find(unusable.begin(), unusable.end(), v) != unusable.end())
            throw UsageError(std::string(flag) + " " + v + ": the archive has no headers for that version of " +
                             a.kernel + " (our modules build against them)");
        if (it == versions.end())
            throw UsageError(std::string(flag) + " " + v + ": the archive offers no such version of " + a.kernel +
                             " (see `klp-harness kernels --versions " + a.kernel + "`)");
        return int(it - versions.begin());
    };
    const int gi = index(a.good, "--good"), bi = index(a.bad, "--bad");
    if (gi >= bi)
        throw UsageError("--good " + a.good + " is not older than --bad " + a.bad);
    std::string left;
    for (const auto& v : unusable)
        if (strverscmp(v.c_str(), a.good.c_str()) > 0 && strverscmp(v.c_str(), a.bad.c_str()) < 0)
            left += " " + v;
    return bisectRange(a, cases.front().name, {versions.begin() + gi, versions.begin() + bi + 1},
                       left.empty() ? "" : "; left out, the archive has no headers for them:" + left);
}

namespace {

// The search over `range` (oldest first: the good end, .., the bad end).
int bisectRange(const BisectArgs& a, const std::string& caseName, const std::vector<std::string>& range,
                const std::string& note) {
    const fs::path out = a.out.empty() ? fs::path(nowText("klp-results/bisect-%Y%m%d-%H%M%S", true)) : fs::path(a.out);
    fs::create_directories(out);
    progress("bisecting " + std::to_string(range.size()) + " versions of " + a.kernel + " (" + a.good + " good .. " +
             a.bad + " bad) with " + caseName + "; logs in " + out.string() + note);

    std::vector<StepResult> steps;
    report::Json stepsJson = report::Json::array();
    auto record = [&](const StepResult& s) {
        steps.push_back(s);
        stepsJson.push_back({{"version", s.version}, {"outcome", outcomeName(s.outcome)}, {"runs", s.runs},
                             {"failures", s.failures}, {"verdicts", s.verdicts}, {"seconds", s.seconds},
                             {"dir", s.dir}});
    };
    auto finish = [&](report::Json result, int code) {
        writeFile(out / "bisect.json", report::Json{{"case", caseName}, {"kernel", a.kernel},
                                                     {"arch", a.arch}, {"versions", range}, {"steps", stepsJson},
                                                     {"result", std::move(result)}}.dump(1) + "\n");
        std::printf("steps: %zu; logs and bisect.json in %s\n", steps.size(), out.c_str());
        return code;
    };

    // The bad version first: it must fail, and how often tells how many runs a
    // step needs before its "good" means something.
    const int firstRuns = a.repeat > 0 ? a.repeat : 3;
    record(runStep(a, out, 1, range.back(), firstRuns));
    const StepResult badEnd = steps.back();  // a copy: steps grows below
    if (badEnd.outcome != bisect::Outcome::Bad) {
        std::printf("the bad version %s did not fail (%s): nothing to bisect\n", a.bad.c_str(), badEnd.verdicts.c_str());
        return finish({{"error", "bad version did not fail"}}, 1);
    }
    const double failRate = double(badEnd.failures) / badEnd.runs;
    const int runs = a.repeat > 0 ? a.repeat : bisect::runsFor(failRate);
    if (a.repeat == 0)
        progress("failure rate on " + a.bad + ": " + std::to_string(badEnd.failures) + "/" +
                 std::to_string(badEnd.runs) + ": " + std::to_string(runs) + " run(s) a step");

    bisect::Search search(int(range.size()));
    int goodVerdicts = 0;
    while (auto v = search.next()) {
        record(runStep(a, out, int(steps.size()) + 1, range[size_t(*v)], runs));
        search.record(*v, steps.back().outcome);
        goodVerdicts += steps.back().outcome == bisect::Outcome::Good;
    }
    // Trusted like git bisect trusts it, the good version is run only when the
    // answer rests on it: the first bad one right after it.
    if (search.lastGood() == 0 && search.undecided().empty()) {
        record(runStep(a, out, int(steps.size()) + 1, range.front(), runs));
        if (steps.back().outcome != bisect::Outcome::Good) {
            std::printf("the good version %s does not pass (%s): nothing to bisect\n", a.good.c_str(),
                        steps.back().verdicts.c_str());
            return finish({{"error", "good version did not pass"}}, 1);
        }
        goodVerdicts++;
    }
    const double sure = bisect::confidence(failRate, runs, goodVerdicts);
    const std::string firstBad = range[size_t(search.firstBad())], lastGood = range[size_t(search.lastGood())];
    char conf[160];
    std::snprintf(conf, sizeof conf, "confidence %.3f (the bad version failed %d of %d runs; %d run(s) a step)", sure,
                  badEnd.failures, badEnd.runs, runs);
    report::Json result = {{"first_bad", firstBad}, {"last_good", lastGood}, {"confidence", sure},
                           {"fail_rate", failRate}, {"runs_per_step", runs}};
    if (auto undecided = search.undecided(); !undecided.empty()) {
        std::string list;
        report::Json maybe = report::Json::array();
        for (int i : undecided) {
            list += range[size_t(i)] + " ";
            maybe.push_back(range[size_t(i)]);
        }
        result["untestable"] = maybe;
        std::printf("first bad: one of %s%s (untestable: %s; last good %s); %s\n", list.c_str(), firstBad.c_str(),
                    list.c_str(), lastGood.c_str(), conf);
    } else {
        std::printf("first bad: %s@%s (last good: %s); %s\n", a.kernel.c_str(), firstBad.c_str(), lastGood.c_str(), conf);
    }
    return finish(std::move(result), 0);
}

}  // namespace

}  // namespace klp::cli
