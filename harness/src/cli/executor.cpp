#include "cli/executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "cases/runner.h"
#include "cli/repro.h"
#include "cli/run_queue.h"
#include "report/writers.h"
#include "testbed/slot.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/progress.h"

namespace klp::cli {
namespace fs = std::filesystem;
using cases::Verdict;

namespace {

std::string defaultOut() { return nowText("klp-results/%Y%m%d-%H%M%S", /*local=*/true); }

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

std::string mmss(double s) {
    char b[32];
    int t = static_cast<int>(s + 0.5);
    if (t >= 60)
        std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
    else
        std::snprintf(b, sizeof b, "%ds", t);
    return b;
}

// The parallel guests of a run: one testbed per libvirt host, SLOTS slots on each.
struct Slots {
    std::vector<std::unique_ptr<testbed::Testbed>> beds;
    std::vector<std::unique_ptr<testbed::Slot>> slots;
    std::vector<std::string> host;  // "embed" or the URI, per slot
};

Slots openSlots(const RunArgs& a, const std::vector<Config>& configs) {
    std::vector<Host> hosts;
    for (const auto& h : a.hosts)
        hosts.push_back(parseHost(h));
    int maxMemory = 0;
    for (const auto& c : configs)
        maxMemory = std::max(maxMemory, c.memory);
    if (hosts.empty())
        hosts.push_back({a.uri, a.jobs > 0 ? a.jobs : defaultJobs(maxMemory)});
    Slots s;
    for (const auto& h : hosts) {
        testbed::Options o;
        o.cacheDir = a.cacheDir;
        o.uri = h.uri;
        o.cpus = a.cpus;
        o.memoryMiB = a.memory;
        o.accel = vm::parseAccel(a.accel);
        s.beds.push_back(std::make_unique<testbed::Testbed>(o));
        for (int i = 0; i < h.slots; i++) {
            s.slots.push_back(std::make_unique<testbed::Slot>(*s.beds.back(), a.coldBoot));
            s.host.push_back(h.uri.empty() ? "embed" : h.uri);
        }
    }
    return s;
}

// Every kernel and module set first: a bad target or a failed build stops the
// run before any case, not after hours of others. Returns the arches used.
std::set<std::string> prepareConfigs(RunPlan& plan, testbed::Testbed& bed, report::ResultsFile& results) {
    std::set<size_t> used;
    for (const auto& u : plan.units)
        used.insert(u.config);
    std::map<std::string, std::pair<image::KernelImage, image::ModuleSet>> built;
    std::set<std::string> arches;
    for (size_t i : used) {
        Config& c = plan.configs[i];
        std::string key = c.target.arch + ":" + c.target.kernel;
        if (!built.count(key)) {
            auto kernel = bed.kernel(c.target.kernel, c.target.arch);
            image::ModuleSet modules;
            if (c.ourModules)
                modules = bed.modules(kernel, plan.userModules);
            bed.userlandLayers(c.target.arch, c.userland);
            built[key] = {kernel, modules};
            results.addKernel(kernel);
        }
        c.kernel = built[key].first;
        c.modules = built[key].second;
        if (c.ourModules)
            checkLivepatches(plan, i, c.modules);
        arches.insert(c.target.arch);
    }
    return arches;
}

// What a unit's verdict line ends with: the command that re-runs it, stopped
// before the first failed step of the first attempt that did not pass.
std::string reproLine(const Unit& u, const Config& cfg, const std::vector<cases::CaseResult>& attempts,
                      const RunArgs& a) {
    if (!u.c->repro.empty())
        return u.c->repro;  // generated work knows how it is re-run
    int line = 0;
    for (const auto& r : attempts)
        if (!cases::isGood(r.verdict)) {
            for (const auto& s : r.steps)
                if (s.status == "fail" && !line)
                    line = s.line;
            break;
        }
    ReproArgs ra;
    ra.caseFile = u.c->file.string();
    ra.arch = cfg.target.arch;
    ra.kernel = cfg.target.kernel;
    ra.until = line;
    ra.cmdline = cfg.cmdline;
    ra.modules = a.modules;
    ra.patches = a.patches;
    ra.vars = a.vars;
    ra.userland = cfg.userland;
    ra.cpus = cfg.cpus;
    ra.memory = cfg.memory;
    ra.accel = cfg.accel.empty() ? a.accel : cfg.accel;
    return reproCommand(ra);
}

// run.accel: the accelerator each kernel's guests got and why, from every host's testbed.
report::Json accelJson(const Slots& slots) {
    report::Json j = report::Json::object();
    for (const auto& bed : slots.beds)
        for (const auto& [label, c] : bed->accelChoices())
            j[label] = {{"used", vm::accelName(c.used)}, {"why", c.why}};
    return j;
}

// run.emulators: the QEMU each arch's guests ran on and why, from every host's testbed.
report::Json emulatorsJson(const Slots& slots) {
    report::Json j = report::Json::object();
    for (const auto& bed : slots.beds)
        for (const auto& [arch, qemu] : bed->emulators())
            j[arch] = j.contains(arch) && j[arch] != qemu ? std::string(j[arch]) + "; " + qemu : qemu;
    return j;
}

// The unit's results.json entry: one attempt as it is; several folded into one
// entry whose details are the first non-PASS attempt's, with every attempt listed.
report::Json unitJson(const Unit& u, const std::vector<cases::CaseResult>& attempts, const fs::path& out) {
    const cases::CaseResult& shown = cases::shownAttempt(attempts);
    report::Json j = report::caseJson(*u.c, shown, out);
    j["boot"] = shown.boot.empty() ? "none" : shown.boot;
    j["boot_seconds"] = shown.bootSeconds;
    j["started"] = attempts.front().started;
    j["host"] = shown.host;
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
        j["verdict"] = cases::verdictName(cases::foldAttempts(attempts));
        j["seconds"] = total / static_cast<double>(attempts.size());  // what one run of it takes
        j["repeat"] = {{"runs", attempts.size()}, {"counts", counts}};
        j["attempts"] = list;
    }
    return j;
}

// The run's tally and what --strict found unexpected.
struct Tally {
    int pass = 0, fail = 0, skip = 0, miss = 0, flaky = 0;
    std::vector<std::string> unexpected;  // --strict: units that should have passed or skipped
};

// The verdict line of one unit (and under it, for a unit that did not pass,
// why, where its logs are and how to re-run it); counts it in `t`.
std::string verdictText(const Unit& u, const Config& cfg, const std::vector<cases::CaseResult>& done,
                        const report::Json& j, const RunArgs& a, Tally& t) {
    const Verdict verdict = cases::foldAttempts(done);
    const std::string name = cases::verdictName(verdict);
    char line[256];
    std::snprintf(line, sizeof line, "%-5s %-44s %-20s %6.1f s", name.c_str(), u.c->name.c_str(),
                  (cfg.target.arch + "/" + cfg.kernel.name).c_str(), j["seconds"].get<double>());
    std::string text = line;
    if (done.size() > 1) {
        std::string counts;
        for (auto& [k, v] : j["repeat"]["counts"].items())
            counts += (counts.empty() ? "" : ", ") + std::to_string(v.get<int>()) + " " + k;
        text += "\n      " + std::to_string(done.size()) + " runs: " + counts;
    }
    bool skipExpected = a.skipExpected(u.c->name);
    if (verdict != (skipExpected ? Verdict::Skip : Verdict::Pass))
        t.unexpected.push_back(name + " " + u.c->name + " on " + cfg.target.arch + "/" + cfg.kernel.name +
                               (skipExpected ? " (expected SKIP)" : ""));
    switch (verdict) {
    case Verdict::Pass: t.pass++; return text;
    case Verdict::Skip: t.skip++; return text + "\n      " + done.front().reason;
    case Verdict::Miss: t.miss++; break;
    case Verdict::Flaky: t.flaky++; break;
    default: t.fail++;
    }
    const cases::CaseResult& bad = cases::shownAttempt(done);
    text += "\n      " + bad.reason;
    if (!bad.detail.empty())
        text += "\n" + indent(bad.detail);
    for (const auto& tr : bad.transitions)
        text += "\n      transition: " + tr.describe();
    text += "\n      logs: " + bad.dir.string();
    text += "\n      repro: " + j.value("repro", std::string());
    return text;
}

// A status line while units run: done, running, left, ETA.
class StatusLine {
public:
    StatusLine(RunQueue& queue, size_t units) : queue_(queue), units_(units) {
        if (statusLineShown())
            thread_ = std::thread([this] { loop(); });
    }
    ~StatusLine() {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
        statusLine("");
    }
    // Without a status line (not a terminal): a plain progress line every 30 s.
    void plainProgress() {
        if (statusLineShown() || isQuiet() || std::chrono::steady_clock::now() - lastPlain_ < std::chrono::seconds(30))
            return;
        lastPlain_ = std::chrono::steady_clock::now();
        auto c = queue_.counts();
        progress(std::to_string(c.finished) + "/" + std::to_string(units_) + " done, " + std::to_string(c.running) +
                 " running, " + std::to_string(c.left) + " left");
    }

private:
    void loop() {
        while (!stop_) {
            auto c = queue_.counts();
            double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
            std::string eta = c.finished ? ", ETA " + mmss(elapsed / c.finished * (c.running + c.left)) : "";
            statusLine("[" + std::to_string(c.finished) + "/" + std::to_string(units_) + " done, " +
                       std::to_string(c.running) + " running, " + std::to_string(c.left) + " left" + eta + "]");
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
    }
    RunQueue& queue_;
    size_t units_;
    std::atomic<bool> stop_{false};
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), lastPlain_ = start_;
    std::thread thread_;
};

}  // namespace

int execute(RunPlan& plan, const RunArgs& a, const report::Json& extraMeta) {
    if (!a.hosts.empty() && (a.jobs > 0 || !a.uri.empty()))
        throw UsageError("--host URI,SLOTS says where guests run and how many at a time: drop --jobs and --uri");
    for (const auto& h : a.hosts)
        parseHost(h);  // a bad slot count fails before anything starts
    if (plan.allUnits == 0) {
        std::fprintf(stderr, "klp-harness: no case to run (no case files, or --filter matched none)\n");
        return 2;
    }
    auto& units = plan.units;
    if (units.empty()) {
        std::printf("shard %s has no case (more shards than cases)\n", a.shard.c_str());
        return 0;
    }
    if (!a.shard.empty())
        progress("shard " + a.shard + ": " + std::to_string(units.size()) + " of " + std::to_string(plan.allUnits) +
                 " case runs");

    fs::path out = a.out.empty() ? defaultOut() : a.out;
    fs::create_directories(out);
    Slots slots = openSlots(a, plan.configs);
    std::string backends;
    for (auto& b : slots.beds)
        backends += (backends.empty() ? "" : "; ") + b->describeBackend();
    report::Json meta = report::runMetadata(backends);
    meta["jobs"] = slots.slots.size();
    meta["pristine"] = a.coldBoot ? "cold boot for every case (--cold-boot)"
                                  : "revert to a snapshot of the booted guest where the arch allows it, else cold boot";
    if (!a.shard.empty())
        meta["shard"] = a.shard;
    meta.update(extraMeta);
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
    std::set<std::string> arches = prepareConfigs(plan, *slots.beds.front(), results);

    std::vector<QueueUnit> qunits;
    for (const auto& u : units)
        qunits.push_back({u.config, a.untilFail && a.repeat == 1 ? 1000000 : u.repeat, a.untilFail});
    RunQueue queue(qunits);
    std::vector<std::map<int, cases::CaseResult>> attempts(units.size());  // by attempt number
    std::mutex attemptsMutex;

    progress("running " + std::to_string(units.size()) + " case runs on " + std::to_string(slots.slots.size()) +
             " parallel guest(s), logs in " + out.string());
    std::vector<std::thread> workers;
    for (size_t si = 0; si < slots.slots.size(); si++)
        workers.emplace_back([&, s = slots.slots[si].get(), host = slots.host[si]] {
            setThreadQuiet(true);  // boot progress per case would drown the verdict lines
            std::optional<size_t> current;
            while (auto t = queue.next(current)) {
                const Unit& u = units[t->unit];
                fs::path dir = out / u.dir;
                if (qunits[t->unit].attempts > 1)
                    dir /= "try-" + std::to_string(t->attempt + 1);
                cases::CaseResult r;
                try {
                    r = cases::runCase(*u.c, *s, plan.configs[u.config].guest(), dir);
                } catch (const std::exception& e) {  // runCase should not throw; be sure
                    r.name = u.c->name;
                    r.verdict = Verdict::Miss;
                    r.reason = e.what();
                    r.dir = dir;
                }
                r.host = host;
                current = u.config;
                bool good = cases::isGood(r.verdict);
                {
                    std::lock_guard lock(attemptsMutex);
                    attempts[t->unit][t->attempt] = std::move(r);
                }
                queue.done(*t, good);
            }
            s->release();
        });

    Tally tally;
    {
        StatusLine status(queue, units.size());
        for (size_t i = 0; i < units.size(); i++) {
            queue.waitUnit(i);
            std::vector<cases::CaseResult> done;
            {
                std::lock_guard lock(attemptsMutex);
                for (auto& [n, r] : attempts[i])
                    done.push_back(r);
            }
            if (done.empty())
                continue;  // defensive: every unit runs at least once
            const Unit& u = units[i];
            const Config& cfg = plan.configs[u.config];
            auto j = unitJson(u, done, out);
            j["order"] = i;
            if (!cases::isGood(cases::foldAttempts(done)))
                j["repro"] = reproLine(u, cfg, done, a);
            results.add(j);
            printLine(stdout, verdictText(u, cfg, done, j, a, tally));
            status.plainProgress();
        }
        for (auto& w : workers)
            w.join();
    }
    // The workers that booted the guests are quiet: the choice is said here.
    report::Json accel = accelJson(slots);
    for (const auto& [label, c] : accel.items())
        progress("accel " + label + ": " + std::string(c["used"]) + " (" + std::string(c["why"]) + ")");
    results.setRun("accel", accel);
    report::Json emulators = emulatorsJson(slots);
    for (const auto& [arch, qemu] : emulators.items())
        progress(arch + " guests: " + std::string(qemu));
    results.setRun("emulators", emulators);
    results.finish();
    report::renderAll(results.doc(), out);
    if (arches.size() > 1)
        std::printf("\n%s\n", report::crossArchView(results.doc()).c_str());
    if (std::string side = report::compareView(results.doc()); !side.empty())
        std::printf("\n%s", side.c_str());
    std::printf("%d passed, %d failed, %d skipped%s\n", tally.pass, tally.fail + tally.miss, tally.skip,
                tally.flaky ? (", " + std::to_string(tally.flaky) + " flaky").c_str() : "");
    std::printf("reports: %s/{results.json,results.ktap,junit.xml,report.html}\n", out.c_str());
    if (a.strict && !tally.unexpected.empty()) {
        std::printf("strict: %zu case(s) did not PASS (or SKIP as expected):\n", tally.unexpected.size());
        for (const auto& u : tally.unexpected)
            std::printf("  %s\n", u.c_str());
    }
    // 1: the kernel misbehaved (FAIL/ERROR/FLAKY); 2: the harness could not run a case.
    return tally.fail || tally.flaky ? 1 : tally.miss ? 2 : a.strict && !tally.unexpected.empty() ? 1 : 0;
}

}  // namespace klp::cli
