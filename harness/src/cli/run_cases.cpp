#include "cli/run_cases.h"

#include <unistd.h>

#include <fstream>
#include <map>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "cases/case_file.h"
#include "cases/verbs.h"
#include "cli/executor.h"
#include "cli/run_plan.h"
#include "report/results.h"
#include "report/writers.h"
#include "testbed/slot.h"
#include "util/error.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::cli {
namespace fs = std::filesystem;


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

int prepare(const std::vector<Target>& targets, const std::string& cacheDir,
            const std::vector<std::string>& userModules, const std::vector<std::string>& patches) {
    auto user = image::inspectUserModules(userModules, image::ourModuleNames(), patches);
    testbed::Options o;
    o.cacheDir = cacheDir;
    testbed::Testbed bed(o);
    for (const auto& t : targets) {
        auto kernel = bed.kernel(t.kernel, t.arch);
        auto modules = bed.modules(kernel, user);
        auto userland = bed.userland(t.arch);
        std::printf("%s %s: %s (%s)\n  kernel   %s\n  modules  %s (%zu)\n  userland %s\n", t.arch.c_str(),
                    kernel.name.c_str(), kernel.release.c_str(), kernel.version.c_str(), kernel.kernel.c_str(),
                    modules.dir.c_str(), modules.modules.size(), userland.c_str());
        for (const auto& ko : modules.modules)  // --module: built ones stay in the cache
            if (ko.parent_path() != modules.dir && fs::exists(ko) && ko.string().rfind(bed.dir().string(), 0) != 0)
                std::printf("  module   %s\n", ko.c_str());
    }
    return 0;
}

Host parseHost(const std::string& text) {
    Host h{text, 1};
    auto comma = text.rfind(',');
    if (comma != std::string::npos && comma + 1 < text.size() &&
        text.find_first_not_of("0123456789", comma + 1) == std::string::npos) {
        h.uri = text.substr(0, comma);
        h.slots = std::stoi(text.substr(comma + 1).substr(0, 6));
        if (h.slots < 1 || h.slots > 64)
            throw UsageError("--host " + text + ": slots must be 1..64");
    }
    if (h.uri == "embed" || h.uri == "local")
        h.uri.clear();
    return h;
}

int defaultJobs(int memoryMiB) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long avail = 0;  // MiB
    std::ifstream in("/proc/meminfo");
    for (std::string key; in >> key;) {
        long kb = 0;
        in >> kb;
        if (key == "MemAvailable:") {
            avail = kb / 1024;
            break;
        }
        in.ignore(64, '\n');
    }
    // Each guest: its RAM, QEMU's own ~300 MiB; 1 GiB stays for the host.
    long byMemory = avail > 0 ? (avail - 1024) / (memoryMiB + 300) : 1;
    return static_cast<int>(std::clamp(std::min(cpus, byMemory), 1L, 64L));
}

int runCases(const RunArgs& a) {
    RunPlan plan = planRun(a);  // bad case or matrix files fail here, before any boot
    return execute(plan, a);
}

int renderReports(const std::string& dir) {
    auto doc = report::readResults(dir);
    fs::path d = fs::is_directory(dir) ? fs::path(dir) : fs::path(dir).parent_path();
    report::renderAll(doc, d);
    std::string cross = report::crossArchView(doc);
    if (!cross.empty())
        std::printf("%s\n", cross.c_str());
    if (std::string side = report::compareView(doc); !side.empty())
        std::printf("%s\n", side.c_str());
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
        std::fputs(cases::verbsText().c_str(), stdout);
        return 0;
    }
    cases::CaseNames names = cases::ourCaseNames();
    names.unsetVarsOk = true;  // a case taking --var is listed with <NAME> in its place
    for (const auto& c : cases::loadCases(paths, names)) {
        std::string seeds;
        for (const auto& s : c.seeds)
            seeds += (seeds.empty() ? "" : "; ") + s;
        std::printf("%-40s %s\n%-40s   proves: %s\n", c.name.c_str(), c.title.c_str(), "", seeds.c_str());
        if (!c.compare.empty())
            std::printf("%-40s   compare: %s (the same scenario as other APIs' cases with this label)\n", "",
                        c.compare.c_str());
        // What kernel it needs: the case's requires:, then its steps' arch:/kernel-min:.
        std::vector<std::string> needs;
        if (!c.kernelMin.empty())
            needs.push_back("kernel " + c.kernelMin + " or later (older: SKIP)");
        for (const auto& f : c.kernelHas)
            needs.push_back("a kernel with " + f + " (others: SKIP)");
        if (!c.arches.empty()) {
            std::string a;
            for (const auto& x : c.arches)
                a += (a.empty() ? "" : ", ") + x;
            needs.push_back("arch " + a + " (others: SKIP)");
        }
        for (const auto& s : c.steps) {
            if (s.has("kernel-min"))
                needs.push_back("line " + std::to_string(s.line) + " only on kernel " + s.at("kernel-min").text +
                                " or later");
            if (s.has("arch"))
                needs.push_back("line " + std::to_string(s.line) + " only on " + s.opt("arch"));
        }
        for (const auto& n : needs)
            std::printf("%-40s   needs: %s\n", "", n.c_str());
    }
    return 0;
}

}  // namespace klp::cli
