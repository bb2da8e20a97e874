#include "cli/run_cases.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "cases/case_file.h"
#include "cases/runner.h"
#include "cases/verbs.h"
#include "cli/repro.h"
#include "cli/run_plan.h"
#include "cli/run_queue.h"
#include "report/results.h"
#include "report/writers.h"
#include "testbed/slot.h"
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

int prepare(const std::vector<Target>& targets, const std::string& cacheDir,
            const std::vector<std::string>& userModules) {
    auto user = image::inspectUserModules(userModules, image::ourModuleNames());
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

namespace {

std::string verdictOf(const std::vector<cases::CaseResult>& attempts) {
    std::string v = cases::verdictName(attempts.front().verdict);
    for (const auto& r : attempts)
        if (cases::verdictName(r.verdict) != v)
            return "FLAKY";
    return v;
}

// The unit's results.json entry: one attempt as it is; several folded into one
// entry whose details are the first non-PASS attempt's, with every attempt listed.
report::Json unitJson(const Unit& u, const std::vector<cases::CaseResult>& attempts, const fs::path& out) {
    const cases::CaseResult* shown = &attempts.back();
    for (const auto& r : attempts)
        if (r.verdict != cases::Verdict::Pass) {
            shown = &r;
            break;
        }
    report::Json j = report::caseJson(*u.c, *shown, out);
    j["boot"] = shown->boot.empty() ? "none" : shown->boot;
    j["boot_seconds"] = shown->bootSeconds;
    j["started"] = attempts.front().started;
    j["host"] = shown->host;
    if (attempts.size() > 1) {
        report::Json counts = report::Json::object(), list = report::Json::array();
        double total = 0;
        for (const auto& r : attempts) {
            counts[cases::verdictName(r.verdict)] = counts.value(cases::verdictName(r.verdict), 0) + 1;
            list.push_back({{"verdict", cases::verdictName(r.verdict)}, {"reason", r.reason},
                            {"seconds", r.seconds}, {"logs", fs::relative(r.dir, out).string()},
                            {"boot", r.boot.empty() ? "none" : r.boot}, {"boot_seconds", r.bootSeconds},
                            {"host", r.host}});
            total += r.seconds;
        }
        j["verdict"] = verdictOf(attempts);
        j["seconds"] = total / static_cast<double>(attempts.size());  // what one run of it takes
        j["repeat"] = {{"runs", attempts.size()}, {"counts", counts}};
        j["attempts"] = list;
    }
    return j;
}

std::string mmss(double s) {
    char b[32];
    int t = static_cast<int>(s + 0.5);
    if (t >= 60)
        std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
    else
        std::snprintf(b, sizeof b, "%ds", t);
    return b;
}

}  // namespace

int runCases(const RunArgs& a) {
    RunPlan plan = planRun(a);  // bad case or matrix files fail here, before any boot
    auto& configs = plan.configs;
    auto& units = plan.units;
    std::vector<Host> hosts;
    for (const auto& h : a.hosts)
        hosts.push_back(parseHost(h));
    if (!hosts.empty() && (a.jobs > 0 || !a.uri.empty()))
        throw UsageError("--host URI,SLOTS says where guests run and how many at a time: drop --jobs and --uri");

    if (plan.allUnits == 0) {
        std::fprintf(stderr, "klp-harness: no case to run (no case files, or --filter matched none)\n");
        return 2;
    }
    if (units.empty()) {
        std::printf("shard %s has no case (more shards than cases)\n", a.shard.c_str());
        return 0;
    }
    if (!a.shard.empty())
        progress("shard " + a.shard + ": " + std::to_string(units.size()) + " of " + std::to_string(plan.allUnits) +
                 " case runs");

    fs::path out = a.out.empty() ? defaultOut() : a.out;
    fs::create_directories(out);
    // One testbed per libvirt host; slots are parallel guests on them.
    std::vector<std::unique_ptr<testbed::Testbed>> beds;
    std::vector<std::unique_ptr<testbed::Slot>> slots;
    std::vector<std::string> slotHost;  // "embed" or the URI, per slot
    int maxMemory = 0;
    for (const auto& c : configs)
        maxMemory = std::max(maxMemory, c.memory);
    if (hosts.empty())
        hosts.push_back({a.uri, a.jobs > 0 ? a.jobs : defaultJobs(maxMemory)});
    for (const auto& h : hosts) {
        testbed::Options o;
        o.cacheDir = a.cacheDir;
        o.uri = h.uri;
        o.cpus = a.cpus;
        o.memoryMiB = a.memory;
        beds.push_back(std::make_unique<testbed::Testbed>(o));
        for (int i = 0; i < h.slots; i++)
        {
            slots.push_back(std::make_unique<testbed::Slot>(*beds.back(), a.coldBoot));
            slotHost.push_back(h.uri.empty() ? "embed" : h.uri);
        }
    }
    testbed::Testbed& bed = *beds.front();
    std::string backends;
    for (auto& b : beds)
        backends += (backends.empty() ? "" : "; ") + b->describeBackend();
    report::Json meta = report::runMetadata(backends);
    meta["jobs"] = slots.size();
    meta["pristine"] = a.coldBoot ? "cold boot for every case (--cold-boot)"
                                  : "revert to a snapshot of the booted guest where the arch allows it, else cold boot";
    if (!a.shard.empty())
        meta["shard"] = a.shard;
    report::ResultsFile results(out, meta);
    // Interrupted (Ctrl-C, SIGTERM): the reports of what finished, from the
    // results.json on disk (rewritten atomically after every case).
    CleanupGuard renderOnSignal([out] {
        try {
            report::renderAll(report::readResults(out), out);
            std::fprintf(stderr, "klp-harness: partial reports in %s\n", out.c_str());
        } catch (...) {
        }
    });

    // Every kernel and module set first: a bad target or a failed build stops the
    // run before any case, not after hours of others.
    std::set<size_t> used;
    for (const auto& u : units)
        used.insert(u.config);
    std::map<std::string, std::pair<image::KernelImage, image::ModuleSet>> built;
    std::set<std::string> arches;
    for (size_t i : used) {
        Config& c = configs[i];
        std::string key = c.target.arch + ":" + c.target.kernel;
        if (!built.count(key)) {
            auto kernel = bed.kernel(c.target.kernel, c.target.arch);
            auto modules = bed.modules(kernel, plan.userModules);
            bed.userlandLayers(c.target.arch, c.userland);
            built[key] = {kernel, modules};
            results.addKernel(kernel);
        }
        c.kernel = built[key].first;
        c.modules = built[key].second;
        checkLivepatches(plan, i, c.modules);
        arches.insert(c.target.arch);
    }

    std::vector<QueueUnit> qunits;
    for (size_t i = 0; i < units.size(); i++)
        qunits.push_back({units[i].config, a.untilFail && a.repeat == 1 ? 1000000 : units[i].repeat, a.untilFail});
    RunQueue queue(qunits);
    std::vector<std::map<int, cases::CaseResult>> attempts(units.size());  // by attempt number
    std::mutex attemptsMutex;

    progress("running " + std::to_string(units.size()) + " case runs on " + std::to_string(slots.size()) +
             " parallel guest(s), logs in " + out.string());
    const auto runStart = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (size_t si = 0; si < slots.size(); si++)
        workers.emplace_back([&, s = slots[si].get(), host = slotHost[si]] {
            setThreadQuiet(true);  // boot progress per case would drown the verdict lines
            std::optional<size_t> current;
            while (auto t = queue.next(current)) {
                const Unit& u = units[t->unit];
                fs::path dir = out / u.dir;
                if (qunits[t->unit].attempts > 1)
                    dir /= "try-" + std::to_string(t->attempt + 1);
                cases::CaseResult r;
                try {
                    r = cases::runCase(*u.c, *s, configs[u.config].guest(), dir);
                } catch (const std::exception& e) {  // runCase should not throw; be sure
                    r.name = u.c->name;
                    r.verdict = cases::Verdict::Miss;
                    r.reason = e.what();
                    r.dir = dir;
                }
                r.host = host;
                current = u.config;
                bool pass = r.verdict == cases::Verdict::Pass || r.verdict == cases::Verdict::Skip;
                {
                    std::lock_guard lock(attemptsMutex);
                    attempts[t->unit][t->attempt] = std::move(r);
                }
                queue.done(*t, pass);
            }
            s->release();
        });

    int pass = 0, fail = 0, skip = 0, miss = 0, flaky = 0;
    std::vector<std::string> unexpected;  // --strict: cases that should have passed or skipped
    std::atomic<bool> stopStatus{false};
    std::thread status([&] {
        if (!statusLineShown())
            return;
        while (!stopStatus) {
            auto c = queue.counts();
            double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - runStart).count();
            std::string eta = c.finished ? ", ETA " + mmss(elapsed / c.finished * (c.running + c.left)) : "";
            statusLine("[" + std::to_string(c.finished) + "/" + std::to_string(units.size()) + " done, " +
                       std::to_string(c.running) + " running, " + std::to_string(c.left) + " left" + eta + "]");
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    });
    auto lastPlain = std::chrono::steady_clock::now();
    for (size_t i = 0; i < units.size(); i++) {
        queue.waitUnit(i);
        std::vector<cases::CaseResult> done;
        {
            std::lock_guard lock(attemptsMutex);
            for (auto& [n, r] : attempts[i])
                done.push_back(r);
        }
        const Unit& u = units[i];
        const Target& t = configs[u.config].target;
        if (done.empty())
            continue;  // defensive: every unit runs at least once
        auto j = unitJson(u, done, out);
        j["order"] = i;
        if (j["verdict"] != "PASS" && j["verdict"] != "SKIP") {
            // The first failed step of the first attempt that did not pass: where repro stops.
            int line = 0;
            for (const auto& r : done)
                if (r.verdict != cases::Verdict::Pass && r.verdict != cases::Verdict::Skip) {
                    for (const auto& s : r.steps)
                        if (s.status == "fail" && !line)
                            line = s.line;
                    break;
                }
            j["repro"] = reproCommand(u.c->file.string(), t.arch, t.kernel, line, configs[u.config].cmdline,
                                      a.modules, a.vars, configs[u.config].userland, configs[u.config].cpus,
                                      configs[u.config].memory);
        }
        results.add(j);
        std::string verdict = j["verdict"];
        const cases::CaseResult& r = *std::find_if(done.begin(), done.end(), [&](const auto& x) {
            return verdict == "FLAKY" || cases::verdictName(x.verdict) == verdict;
        });
        char line[256];
        std::snprintf(line, sizeof line, "%-5s %-44s %-20s %6.1f s", verdict.c_str(), u.c->name.c_str(),
                      (t.arch + "/" + configs[u.config].kernel.name).c_str(), j["seconds"].get<double>());
        std::string text = line;
        if (done.size() > 1) {
            std::string counts;
            for (auto& [k, v] : j["repeat"]["counts"].items())
                counts += (counts.empty() ? "" : ", ") + std::to_string(v.get<int>()) + " " + k;
            text += "\n      " + std::to_string(done.size()) + " runs: " + counts;
        }
        bool skipExpected = std::find(a.expectSkips.begin(), a.expectSkips.end(), u.c->name) != a.expectSkips.end();
        if (verdict != (skipExpected ? "SKIP" : "PASS"))
            unexpected.push_back(verdict + " " + u.c->name + " on " + t.arch + "/" + configs[u.config].kernel.name +
                                 (skipExpected ? " (expected SKIP)" : ""));
        if (verdict == "PASS") {
            pass++;
        } else if (verdict == "SKIP") {
            skip++;
            text += "\n      " + r.reason;
        } else {
            (verdict == "MISS" ? miss : verdict == "FLAKY" ? flaky : fail)++;
            const cases::CaseResult& bad =
                *std::find_if(done.begin(), done.end(), [](const auto& x) { return x.verdict != cases::Verdict::Pass; });
            text += "\n      " + bad.reason;
            if (!bad.detail.empty())
                text += "\n" + indent(bad.detail);
            for (const auto& tr : bad.transitions)
                text += "\n      transition: " + tr.describe();
            text += "\n      logs: " + bad.dir.string();
            text += "\n      repro: " + j.value("repro", std::string());
        }
        printLine(stdout, text);
        if (!statusLineShown() && !isQuiet() &&
            std::chrono::steady_clock::now() - lastPlain > std::chrono::seconds(30)) {
            lastPlain = std::chrono::steady_clock::now();
            auto c = queue.counts();
            progress(std::to_string(c.finished) + "/" + std::to_string(units.size()) + " done, " +
                     std::to_string(c.running) + " running, " + std::to_string(c.left) + " left");
        }
    }
    for (auto& w : workers)
        w.join();
    stopStatus = true;
    status.join();
    statusLine("");
    results.finish();
    report::renderAll(results.doc(), out);
    if (arches.size() > 1)
        std::printf("\n%s\n", report::crossArchView(results.doc()).c_str());
    std::printf("%d passed, %d failed, %d skipped%s\n", pass, fail + miss, skip,
                flaky ? (", " + std::to_string(flaky) + " flaky").c_str() : "");
    std::printf("reports: %s/{results.json,results.ktap,junit.xml,report.html}\n", out.c_str());
    if (a.strict && !unexpected.empty()) {
        std::printf("strict: %zu case(s) did not PASS (or SKIP as expected):\n", unexpected.size());
        for (const auto& u : unexpected)
            std::printf("  %s\n", u.c_str());
    }
    // 1: the kernel misbehaved (FAIL/ERROR/FLAKY); 2: the harness could not run a case.
    return fail || flaky ? 1 : miss ? 2 : a.strict && !unexpected.empty() ? 1 : 0;
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
    cases::CaseNames names = cases::ourCaseNames();
    names.unsetVarsOk = true;  // a case taking --var is listed with <NAME> in its place
    for (const auto& c : cases::loadCases(paths, names)) {
        std::string seeds;
        for (const auto& s : c.seeds)
            seeds += (seeds.empty() ? "" : "; ") + s;
        std::printf("%-40s %s\n%-40s   proves: %s\n", c.name.c_str(), c.title.c_str(), "", seeds.c_str());
    }
    return 0;
}

}  // namespace klp::cli
