#include "cli/explore.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "explore/generate.h"
#include "explore/shrink.h"
#include "explore/to_case.h"
#include "report/results.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/files.h"
#include "util/progress.h"

namespace klp::cli {
namespace fs = std::filesystem;
using explore::Op;

int parseDuration(const std::string& text) {
    size_t used = 0;
    long v = -1;
    try {
        v = std::stol(text, &used);
    } catch (...) {
    }
    std::string unit = text.substr(used);
    long mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
    if (v <= 0 || !mult || v > 1000000)
        throw UsageError("--time " + text + ": expected a duration such as 90s, 10m or 2h");
    return static_cast<int>(v * mult);
}

namespace {

std::string seqName(int k) {
    char b[32];
    std::snprintf(b, sizeof b, "seq-%03d", k);
    return b;
}

std::string opsText(const std::vector<Op>& ops) {
    std::string s;
    for (const auto& op : ops)
        s += (s.empty() ? "" : "; ") + explore::opText(op);
    return s.empty() ? "(none)" : s;
}

// How a case failed, as far as "the same way" goes when it is shrunk: the
// verdict, the operation the first failing step belongs to, that step's verb
// and the first line of its message (digits and the file's name left out: they
// move as operations are dropped). A crash: its title.
struct Failure {
    std::string verdict, op, verb, message, arch, kernel, reason;
    std::string key() const { return verdict + "|" + op + "|" + verb + "|" + message; }
    std::string describe() const {
        std::string s = verdict;
        if (!op.empty())
            s += " at `" + op + "` (" + verb + ")";
        return s + ": " + reason;
    }
};

std::string normalized(std::string text, const std::string& file) {
    text = text.substr(0, text.find('\n'));
    if (!file.empty())
        for (size_t at; (at = text.find(file)) != std::string::npos;)
            text.erase(at, file.size());
    std::string out;
    for (char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            if (out.empty() || out.back() != '#')
                out += '#';
            continue;
        }
        out += c;
    }
    return out;
}

Failure failureOf(const report::Json& r, const explore::GeneratedCase& g, const std::vector<Op>& ops) {
    Failure f;
    f.verdict = r.value("verdict", "");
    f.arch = r.value("arch", "");
    f.kernel = r.value("kernel", "");
    f.reason = r.value("reason", "");
    std::string file = fs::path(r.value("file", "")).filename().string();
    if (r.contains("steps"))
        for (const auto& s : r["steps"]) {
            std::string status = s.value("status", "");
            if (status != "fail" && status != "error")
                continue;
            int line = s.value("line", 0);
            auto it = g.lineOp.upper_bound(line);
            if (it != g.lineOp.begin()) {
                --it;
                f.op = explore::opText(ops[static_cast<size_t>(it->second)]);
            }
            f.verb = s.value("verb", "");
            f.message = normalized(s.value("message", ""), file);
            if (!f.message.empty())
                f.reason += ": " + s.value("message", "").substr(0, s.value("message", "").find('\n'));
            break;
        }
    if (f.verb.empty())
        f.message = normalized(r.value("crash", "").empty() ? f.reason : r.value("crash", ""), file);
    return f;
}

// The rule a failure breaks, for the found case's `seeds:` (the model's rules
// as the documents state them; model.cpp names the kernel function of each).
std::string brokenRule(const Failure& f) {
    const std::string& m = f.message;
    auto has = [&](const char* t) { return m.find(t) != std::string::npos; };
    if (has("printk"))
        return "system-state.rst §3: a system state goes with the last patch carrying it (the console loglevel)";
    if (has("/transition"))
        return "livepatch.rst §3: a transition ends once no task sleeps in a function it changes";
    if (has("/sys/kernel/livepatch/"))
        return "livepatch.rst §5: /sys/kernel/livepatch lists the patches the kernel keeps, `enabled` as last written";
    if (has("cmdline") || has("/value"))
        return "livepatch.rst §5.2 and cumulative-patches.rst: the top patch of a function runs, a replace drops the rest";
    if (has("succeeded, expected") || has("failed with"))
        return f.op.rfind("load", 0) == 0      ? "system-state.rst §2 and livepatch.rst §5.1: which patches are accepted"
               : f.op.rfind("unload", 0) == 0 ? "livepatch.rst §5.5: a patch module unloads once it left klp_patches"
                                              : "livepatch.rst §3, §5.4: what writing `enabled` does, mid-transition too";
    if (has("log"))
        return "callbacks.rst and system-state.rst §4: which callbacks run, for which objects, in which order";
    return "the reference model's rules (explore/model.cpp)";
}

// The results of one normal run, by case name (several targets: the first that did not pass).
std::map<std::string, report::Json> resultsByCase(const fs::path& out) {
    std::map<std::string, report::Json> by;
    if (!fs::exists(out / "results.json"))
        return by;
    const report::Json doc = report::readResults(out);  // kept: the loop below walks into it
    for (const auto& r : doc["results"]) {
        std::string name = r.value("case", "");
        if (!by.count(name) || by[name].value("verdict", "") == "PASS")
            by[name] = r;
    }
    return by;
}

// One normal run (the executor, as `run` does it) of the case files in dir/cases,
// each `repeat` times, reports in dir.
int runDir(const ExploreArgs& a, const fs::path& dir, int repeat = 1) {
    RunArgs ra;
    static_cast<GuestOptions&>(ra) = a;
    ra.arches = a.arches;
    ra.kernels = a.kernels;
    ra.jobs = a.jobs;
    ra.hosts = a.hosts;
    ra.coldBoot = a.coldBoot;
    ra.repeat = repeat;
    ra.paths = {(dir / "cases").string()};
    ra.out = dir.string();
    return runCases(ra);
}

std::string reproCommand(const ExploreArgs& a, const fs::path& file) {
    std::string cmd = "klp-harness run " + file.string();
    for (const auto& k : a.kernels)
        cmd += " --kernel " + k;
    for (const auto& ar : a.arches)
        cmd += " --arch " + ar;
    if (!a.cmdline.empty())
        cmd += " --cmdline '" + a.cmdline + "'";
    return cmd;
}

struct Sequence {
    int number = 0;
    std::vector<Op> ops;
    explore::GeneratedCase gen;
    fs::path runDir;  // the run it was in
    std::string verdict;
    Failure failure;
    std::vector<Op> minimal;
    std::string found;  // the found/ file
    int runs = 1, failedRuns = 0;  // with the re-runs
    std::string counts() const {
        return "failed " + std::to_string(failedRuns) + " of " + std::to_string(runs) + " runs";
    }
};

explore::GeneratedCase writeCase(const fs::path& file, const std::vector<Op>& ops, const explore::CaseHeader& h) {
    auto g = explore::toCase(ops, h);
    fs::create_directories(file.parent_path());
    writeFile(file, g.yaml);
    return g;
}

}  // namespace

int explore(const ExploreArgs& a) {
    if (a.kernels.empty())
        throw UsageError("explore: give --kernel");
    if (a.sequences < 1 || a.length < 1)
        throw UsageError("explore: --sequences and --length must be 1 or more");
    const int budget = a.time.empty() ? 0 : parseDuration(a.time);
    const auto& pool = a.pool.empty() ? explore::defaultPool() : a.pool;
    {
        std::mt19937_64 probe(0);
        try {
            explore::randomSequence(probe, 1, pool);  // a bad --pool name fails here
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    const fs::path out = a.out.empty() ? fs::path(nowText("klp-results/explore-%Y%m%d-%H%M%S", true)) : fs::path(a.out);
    fs::create_directories(out);
    const std::string seedText = std::to_string(a.seed);
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };

    std::mt19937_64 rng(a.seed);
    std::vector<Sequence> seqs;
    int harnessFailed = 0;
    for (int batch = 1;; batch++) {
        const fs::path dir = batch == 1 ? out : out / ("batch-" + std::to_string(batch));
        size_t first = seqs.size();
        for (int i = 0; i < a.sequences; i++) {
            Sequence s;
            s.number = static_cast<int>(seqs.size()) + 1;
            // Hazards (a callback on freed state data, a hold without the target) are drawn again.
            s.ops = explore::randomSequence(rng, a.length, pool);
            s.runDir = dir;
            explore::CaseHeader h;
            h.comments = {"Generated by klp-harness explore --seed " + seedText + ", sequence " +
                              std::to_string(s.number) + " (expectations: the reference model, explore/model.cpp)",
                          "operations: " + opsText(s.ops)};
            h.seedNote = "klp-harness explore --seed " + seedText + " sequence " + std::to_string(s.number);
            s.gen = writeCase(dir / "cases" / (seqName(s.number) + ".yaml"), s.ops, h);
            seqs.push_back(std::move(s));
        }
        progress("explore: generated " + std::to_string(a.sequences) + " sequence(s) of up to " +
                 std::to_string(a.length) + " operations (seed " + seedText + ") into " + (dir / "cases").string() +
                 "; running them");
        int rc = runDir(a, dir);
        auto by = resultsByCase(dir);
        for (size_t i = first; i < seqs.size(); i++) {
            Sequence& s = seqs[i];
            auto it = by.find(seqName(s.number));
            if (it == by.end()) {
                s.verdict = "MISS";
                s.failure.verdict = "MISS";
                s.failure.reason = "no result (the run failed: exit " + std::to_string(rc) + ")";
                harnessFailed++;
                continue;
            }
            s.verdict = it->second.value("verdict", "");
            if (s.verdict != "PASS")
                s.failure = failureOf(it->second, s.gen, s.ops);
        }
        if (!budget || elapsed() >= budget)
            break;
        progress("explore: " + std::to_string(static_cast<int>(elapsed())) + " s of " + std::to_string(budget) +
                 " s spent; another batch");
    }

    int passed = 0;
    for (const auto& s : seqs)
        passed += s.verdict == "PASS";
    progress("explore: " + std::to_string(passed) + " of " + std::to_string(seqs.size()) + " sequence(s) passed");

    // Run each FAIL/ERROR again: a divergence that does not come back is FLAKY
    // (SKIP: the kernel lacks a feature; MISS: the harness failed).
    auto diverged = [](const Sequence& s) { return s.verdict != "PASS" && s.verdict != "SKIP" && s.verdict != "MISS"; };
    for (auto& s : seqs)
        if (diverged(s))
            s.failedRuns = 1;
    if (a.reruns > 0 && std::any_of(seqs.begin(), seqs.end(), diverged)) {
        const fs::path dir = out / "rerun";
        for (const auto& s : seqs)
            if (diverged(s))
                fs::copy_file(s.runDir / "cases" / (seqName(s.number) + ".yaml"),
                              dir / "cases" / (seqName(s.number) + ".yaml"),
                              (fs::create_directories(dir / "cases"), fs::copy_options::overwrite_existing));
        progress("explore: running each sequence that did not pass " + std::to_string(a.reruns) +
                 " time(s) more, in " + dir.string());
        runDir(a, dir, a.reruns);
        auto by = resultsByCase(dir);
        for (auto& s : seqs) {
            if (!diverged(s))
                continue;
            auto it = by.find(seqName(s.number));
            if (it == by.end())
                continue;  // no answer: the first verdict stands
            // A repeat has its counts; a single run (--reruns 1) only its verdict.
            int runs = 1, passes = it->second.value("verdict", "") == "PASS";
            if (it->second.contains("repeat")) {
                const auto& rep = it->second["repeat"];
                runs = rep.value("runs", 0);
                passes = rep["counts"].value("PASS", 0) + rep["counts"].value("SKIP", 0);
            }
            s.runs += runs;
            s.failedRuns += runs - passes;
            if (passes > 0) {
                s.verdict = "FLAKY";
                s.failure.verdict = "FLAKY";
            }
        }
    }

    // Shrink each FAIL/ERROR that came back every time; a FLAKY one is written
    // out whole (a shrink cannot tell "fails" from "did not fail this time").
    for (auto& s : seqs) {
        if (!diverged(s))
            continue;
        const std::string name = seqName(s.number);
        s.minimal = s.ops;
        if (a.shrink && s.ops.size() > 1 && s.verdict != "FLAKY") {
            progress("explore: shrinking " + name + " (" + std::to_string(s.ops.size()) + " ops, " +
                     s.failure.describe() + ")");
            int round = 0;
            const std::string want = s.failure.key();
            explore::BatchPredicate stillFails = [&](const std::vector<std::vector<Op>>& candidates) {
                round++;
                const fs::path dir = out / "shrink" / name / ("round-" + std::to_string(round));
                std::vector<explore::GeneratedCase> gens;
                std::vector<std::vector<Op>> kept;
                for (size_t k = 0; k < candidates.size(); k++) {
                    kept.push_back(explore::withoutHazards(candidates[k]));
                    explore::CaseHeader h;
                    h.seedNote = "klp-harness explore --seed " + seedText + " sequence " + std::to_string(s.number) +
                                 ", shrink round " + std::to_string(round);
                    gens.push_back(writeCase(dir / "cases" / ("cand-" + std::to_string(k + 1) + ".yaml"), kept.back(), h));
                }
                progress("explore: " + name + " round " + std::to_string(round) + ": " +
                         std::to_string(candidates.size()) + " candidate(s) in " + dir.string());
                runDir(a, dir);
                auto by = resultsByCase(dir);
                std::vector<bool> fails;
                for (size_t k = 0; k < candidates.size(); k++) {
                    auto it = by.find("cand-" + std::to_string(k + 1));
                    bool same = it != by.end() && it->second.value("verdict", "") != "PASS" && !kept[k].empty() &&
                                failureOf(it->second, gens[k], kept[k]).key() == want;
                    fails.push_back(same);
                }
                return fails;
            };
            auto r = explore::shrink(s.ops, stillFails, a.shrinkBudget);
            s.minimal = explore::withoutHazards(r.ops);
            progress("explore: " + name + ": " + std::to_string(s.ops.size()) + " -> " +
                     std::to_string(s.minimal.size()) + " ops after " + std::to_string(r.rounds) + " round(s), " +
                     std::to_string(r.tested) + " candidate(s)" + (r.budgetHit ? " (budget spent)" : ""));
        }
        const fs::path file = out / "found" / (name + ".yaml");
        explore::CaseHeader h;
        h.comments = {"Found by klp-harness explore --seed " + seedText + " (sequence " + std::to_string(s.number) +
                          " of " + (s.runDir / "cases" / (name + ".yaml")).string() + ")",
                      "original: " + opsText(s.ops),
                      "minimal:  " + opsText(s.minimal),
                      "failure on " + s.failure.arch + "/" + s.failure.kernel + ": " + s.failure.describe() + " (" +
                          s.counts() + ")",
                      "repro: " + reproCommand(a, file)};
        h.seedNote = "klp-harness explore --seed " + seedText + " sequence " + std::to_string(s.number);
        h.rule = brokenRule(s.failure);
        writeCase(file, s.minimal, h);
        s.found = file.string();
    }

    // The summary: stdout, and explore.json beside the run's reports.
    report::Json j = {{"seed", a.seed}, {"length", a.length}, {"pool", pool}, {"sequences", report::Json::array()}};
    std::printf("\nexplore --seed %s: %zu sequence(s), %d passed\n", seedText.c_str(), seqs.size(), passed);
    for (const auto& s : seqs) {
        report::Json e = {{"number", s.number}, {"case", (s.runDir / "cases" / (seqName(s.number) + ".yaml")).string()},
                          {"ops", opsText(s.ops)}, {"verdict", s.verdict}};
        if (s.verdict != "PASS") {
            e["failure"] = s.failure.describe();
            e["runs"] = s.runs;
            e["failedRuns"] = s.failedRuns;
            std::printf("%-5s %s  %s\n      %s (%s)\n", s.verdict.c_str(), seqName(s.number).c_str(),
                        opsText(s.ops).c_str(), s.failure.describe().c_str(), s.counts().c_str());
        }
        if (!s.found.empty()) {
            e["minimal"] = opsText(s.minimal);
            e["found"] = s.found;
            std::printf("      minimal (%zu ops): %s\n      %s\n      repro: %s\n", s.minimal.size(),
                        opsText(s.minimal).c_str(), s.found.c_str(), reproCommand(a, s.found).c_str());
        }
        j["sequences"].push_back(e);
    }
    writeFile(out / "explore.json", j.dump(1) + "\n");
    std::printf("reports: %s/{results.json,results.ktap,junit.xml,report.html,explore.json}\n", out.c_str());
    if (harnessFailed == static_cast<int>(seqs.size()))
        return 2;
    return passed == static_cast<int>(seqs.size()) ? 0 : 1;
}

}  // namespace klp::cli
