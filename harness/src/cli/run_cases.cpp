#include "cli/run_cases.h"

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "cases/case_file.h"
#include "cases/runner.h"
#include "cases/verbs.h"
#include "report/results.h"
#include "report/writers.h"
#include "testbed/testbed.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::cli {
namespace fs = std::filesystem;

namespace {
std::string defaultOut() {
    char buf[64];
    std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, "klp-results/%Y%m%d-%H%M%S", std::localtime(&t));
    return buf;
}

std::string indent(const std::string& text) {
    std::string out = "      ";
    for (char c : text) {
        out += c;
        if (c == '\n')
            out += "      ";
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n'))
        out.pop_back();
    return out;
}
}  // namespace

std::vector<Target> runTargets(const std::vector<std::string>& arches, const std::vector<std::string>& kernels) {
    std::vector<std::string> all = arches.empty() ? std::vector<std::string>{"x86_64"} : arches;
    for (const auto& a : all)
        vm::archProfile(a);  // unknown arch: fail before any work
    std::vector<Target> out;
    auto known = vm::knownArches();
    for (const auto& k : kernels) {
        auto colon = k.find(':');
        if (colon != std::string::npos && std::find(known.begin(), known.end(), k.substr(0, colon)) != known.end()) {
            out.push_back({k.substr(0, colon), k.substr(colon + 1)});
            continue;
        }
        for (const auto& a : all)
            out.push_back({a, k});
    }
    return out;
}

int prepare(const std::vector<Target>& targets, const std::string& cacheDir) {
    testbed::Options o;
    o.cacheDir = cacheDir;
    testbed::Testbed bed(o);
    for (const auto& t : targets) {
        auto kernel = bed.kernel(t.kernel, t.arch);
        auto modules = bed.modules(kernel);
        auto userland = bed.userland(t.arch);
        std::printf("%s %s: %s (%s)\n  kernel   %s\n  modules  %s (%zu)\n  userland %s\n", t.arch.c_str(),
                    kernel.name.c_str(), kernel.release.c_str(), kernel.version.c_str(), kernel.kernel.c_str(),
                    modules.dir.c_str(), modules.modules.size(), userland.c_str());
    }
    return 0;
}

int runCases(const RunArgs& a) {
    auto targets = runTargets(a.arches, a.kernels);
    auto cases = cases::loadCases(a.paths);  // bad case files fail here, before any boot
    if (!a.filters.empty()) {
        std::erase_if(cases, [&](const cases::Case& c) {
            return std::none_of(a.filters.begin(), a.filters.end(),
                                [&](const std::string& glob) { return fnmatch(glob.c_str(), c.name.c_str(), 0) == 0; });
        });
        if (cases.empty())
            throw UsageError("--filter matches no case (names as `klp-harness list` prints them)");
    }
    for (const auto& name : a.expectSkips)
        if (std::none_of(cases.begin(), cases.end(), [&](const cases::Case& c) { return c.name == name; }))
            throw UsageError("--expect-skip " + name + ": no such case in the paths given");
    if (cases.empty()) {
        std::fprintf(stderr, "klp-harness: no case files (*.yaml) in the paths given\n");
        return 2;
    }
    fs::path out = a.out.empty() ? defaultOut() : a.out;
    fs::create_directories(out);
    testbed::Options o;
    o.cacheDir = a.cacheDir;
    o.uri = a.uri;
    o.cpus = a.cpus;
    o.memoryMiB = a.memory;
    testbed::Testbed bed(o);
    report::ResultsFile results(out, report::runMetadata(bed.describeBackend()));
    // Interrupted (Ctrl-C, SIGTERM): the reports of what finished, from the
    // results.json on disk (rewritten atomically after every case).
    CleanupGuard renderOnSignal([out] {
        try {
            report::renderAll(report::readResults(out), out);
            std::fprintf(stderr, "klp-harness: partial reports in %s\n", out.c_str());
        } catch (...) {
        }
    });
    int pass = 0, fail = 0, skip = 0, miss = 0;
    std::vector<std::string> unexpected;  // --strict: cases that should have passed or skipped
    // Every kernel and module set first: a bad target or a failed build stops the
    // run before any case, not after hours of others.
    struct Prepared {
        Target target;
        image::KernelImage kernel;
        image::ModuleSet modules;
    };
    std::vector<Prepared> prepared;
    std::set<std::string> arches;
    for (const auto& t : targets) {
        auto kernel = bed.kernel(t.kernel, t.arch);
        auto modules = bed.modules(kernel);
        bed.userland(t.arch);
        prepared.push_back({t, kernel, modules});
        arches.insert(t.arch);
    }
    for (const auto& [t, kernel, modules] : prepared) {
        results.addKernel(kernel);
        progress("running " + std::to_string(cases.size()) + " cases on " + kernel.name + " (" + t.arch +
                 "), logs in " + out.string());
        for (size_t i = 0; i < cases.size(); i++) {
            bool quiet = isQuiet();
            setQuiet(true);  // boot progress per case would drown the verdict lines
            auto r = cases::runCase(cases[i], bed, kernel, modules, out);
            setQuiet(quiet);
            results.add(report::caseJson(cases[i], r, out));
            std::printf("%-5s %-44s %-20s %6.1f s\n", cases::verdictName(r.verdict), r.name.c_str(),
                        (t.arch + "/" + kernel.name).c_str(), r.seconds);
            bool skipExpected = std::find(a.expectSkips.begin(), a.expectSkips.end(), r.name) != a.expectSkips.end();
            if (r.verdict != (skipExpected ? cases::Verdict::Skip : cases::Verdict::Pass))
                unexpected.push_back(std::string(cases::verdictName(r.verdict)) + " " + r.name + " on " + t.arch + "/" +
                                     kernel.name + (skipExpected ? " (expected SKIP)" : ""));
            if (r.verdict == cases::Verdict::Pass) {
                pass++;
            } else if (r.verdict == cases::Verdict::Skip) {
                skip++;
                std::printf("      %s\n", r.reason.c_str());
            } else {
                (r.verdict == cases::Verdict::Miss ? miss : fail)++;
                std::printf("      %s\n", r.reason.c_str());
                if (!r.detail.empty())
                    std::printf("%s\n", indent(r.detail).c_str());
                for (const auto& t : r.transitions)
                    std::printf("      transition: %s\n", t.describe().c_str());
                std::printf("      logs: %s\n", r.dir.c_str());
            }
            std::fflush(stdout);
        }
    }
    results.finish();
    report::renderAll(results.doc(), out);
    if (arches.size() > 1)
        std::printf("\n%s\n", report::crossArchView(results.doc()).c_str());
    std::printf("%d passed, %d failed, %d skipped\n", pass, fail + miss, skip);
    std::printf("reports: %s/{results.json,results.ktap,junit.xml,report.html}\n", out.c_str());
    if (a.strict && !unexpected.empty()) {
        std::printf("strict: %zu case(s) did not PASS (or SKIP as expected):\n", unexpected.size());
        for (const auto& u : unexpected)
            std::printf("  %s\n", u.c_str());
    }
    // 1: the kernel misbehaved (FAIL/ERROR); 2: the harness could not run a case.
    return fail ? 1 : miss ? 2 : a.strict && !unexpected.empty() ? 1 : 0;
}

int renderReports(const std::string& dir) {
    auto doc = report::readResults(dir);
    fs::path d = fs::is_directory(dir) ? fs::path(dir) : fs::path(dir).parent_path();
    report::renderAll(doc, d);
    std::string cross = report::crossArchView(doc);
    if (!cross.empty())
        std::printf("%s\n", cross.c_str());
    std::printf("%s/{results.ktap,junit.xml,report.html} rendered from results.json\n", d.c_str());
    return 0;
}

int diffRuns(const std::string& oldDir, const std::string& newDir, double threshold, double minSeconds) {
    auto before = report::readResults(oldDir), after = report::readResults(newDir);
    std::string d = report::diffRuns(before, after, threshold, minSeconds);
    std::printf("%s", d.empty() ? "no verdict changes, no time beyond the threshold\n" : d.c_str());
    auto worse = report::worseVerdicts(before, after);
    if (!worse.empty())
        std::printf("%zu verdict(s) got worse\n", worse.size());
    return worse.empty() ? 0 : 1;  // a nightly job mails on 1
}

int listCases(const std::vector<std::string>& paths, bool verbs) {
    if (verbs) {
        for (const auto& v : cases::verbs())
            std::printf("%-20s %s\n", (v.name + (v.argName.empty() ? "" : " <" + v.argName + ">")).c_str(), v.doc.c_str());
        return 0;
    }
    for (const auto& c : cases::loadCases(paths)) {
        std::string seeds;
        for (const auto& s : c.seeds)
            seeds += (seeds.empty() ? "" : "; ") + s;
        std::printf("%-40s %s\n%-40s   proves: %s\n", c.name.c_str(), c.title.c_str(), "", seeds.c_str());
    }
    return 0;
}

}  // namespace klp::cli
