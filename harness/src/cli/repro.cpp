#include "cli/repro.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "cases/case_file.h"
#include "cases/runner.h"
#include "cli/run_plan.h"
#include "image/kernel_symbols.h"
#include "report/results.h"
#include "testbed/slot.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::cli {
namespace fs = std::filesystem;

std::string shellQuote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@%+") ==
                          std::string::npos)
        return s;
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string reproCommand(const ReproArgs& a) {
    std::string cmd =
        "klp-harness repro " + shellQuote(a.caseFile) + " --arch " + a.arch + " --kernel " + shellQuote(a.kernel);
    if (a.until > 0)
        cmd += " --until " + std::to_string(a.until);
    if (!a.cmdline.empty())
        cmd += " --cmdline " + shellQuote(a.cmdline);
    for (const auto& m : a.modules)
        cmd += " --module " + shellQuote(m);
    for (const auto& p : a.patches)
        cmd += " --patch " + shellQuote(p);
    for (const auto& v : a.vars)
        cmd += " --var " + shellQuote(v);
    if (!a.userland.empty() && a.userland != "base")
        cmd += " --userland " + a.userland;
    if (a.accel != "auto")
        cmd += " --accel " + a.accel;
    if (a.cpus != 1)
        cmd += " --cpus " + std::to_string(a.cpus);
    if (a.memory != 512)
        cmd += " --memory " + std::to_string(a.memory);
    return cmd;
}

namespace {

// The first failed step's line of `c` on (arch, kernel) in a run's results,
// and which run said so. 0: that run has the case but no failed step.
struct Recorded {
    int line = 0;
    fs::path run;
    std::string verdict;
};

std::optional<Recorded> recordedFailure(const fs::path& resultsPath, const cases::Case& c, const std::string& arch,
                                        const std::string& kernel) {
    report::Json doc;
    try {
        doc = report::readResults(resultsPath);
    } catch (const UsageError&) {
        return std::nullopt;
    }
    for (const auto& r : doc["results"]) {
        if (r.value("case", "") != c.name || r.value("arch", "") != arch || r.value("kernel", "") != kernel)
            continue;
        std::string v = r.value("verdict", "");
        if (v == "PASS" || v == "SKIP")
            continue;
        Recorded rec{0, resultsPath, v};
        for (const auto& s : r["steps"])
            if (s.value("status", "") == "fail" || s.value("status", "") == "error") {
                rec.line = s.value("line", 0);
                break;
            }
        return rec;
    }
    return std::nullopt;
}

// The newest run under klp-results/ (by results.json's time) that failed `c` here.
std::optional<Recorded> lastFailure(const std::string& given, const cases::Case& c, const std::string& arch,
                                    const std::string& kernel) {
    if (!given.empty()) {
        fs::path p = fs::is_directory(given) ? fs::path(given) / "results.json" : fs::path(given);
        if (!fs::exists(p))
            throw UsageError("--results " + given + ": no results.json there");
        auto r = recordedFailure(p, c, arch, kernel);
        if (!r)
            throw UsageError(p.string() + ": no failed run of " + c.name + " on " + arch + "/" + kernel);
        return r;
    }
    std::vector<std::pair<fs::file_time_type, fs::path>> runs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("klp-results", ec))
        if (fs::exists(e.path() / "results.json"))
            runs.push_back({fs::last_write_time(e.path() / "results.json"), e.path() / "results.json"});
    std::sort(runs.rbegin(), runs.rend());
    for (const auto& [t, p] : runs)
        if (auto r = recordedFailure(p, c, arch, kernel))
            return r;
    return std::nullopt;
}

std::string gdbCommand(const image::KernelImage& k, const image::KernelSymbols& sym, const fs::path& socket) {
    bool native = vm::archProfile(k.arch).hostGdb;  // else gdb-multiarch
    std::string cmd = native ? "gdb -q" : "gdb-multiarch -q";
    if (!sym.vmlinux.empty())
        cmd += " " + shellQuote(sym.vmlinux.string());
    if (!native)
        cmd += " -ex 'set architecture powerpc:common64' -ex 'set endian little'";
    return cmd + " -ex " + shellQuote("target remote " + socket.string());
}

}  // namespace

int repro(const ReproArgs& a) {
    vm::archProfile(a.arch);  // bad arch: fail before any work
    std::vector<image::UserModule> user;
    cases::CaseNames names = runNames(a.modules, a.patches, a.vars, &user);
    auto loaded = cases::loadCases({a.caseFile}, names);
    if (loaded.size() != 1)
        throw UsageError(a.caseFile + ": repro takes one case file");
    const cases::Case& c = loaded.front();

    int until = a.until;
    std::string why;
    if (until > 0) {
        if (std::none_of(c.steps.begin(), c.steps.end(), [&](const cases::Step& s) { return s.line >= until; }))
            throw UsageError(a.caseFile + ":" + std::to_string(until) + ": no step at or after this line");
        why = "--until " + std::to_string(until);
    } else if (auto rec = lastFailure(a.results, c, a.arch, a.kernel)) {
        until = rec->line;
        why = rec->line ? "the failed step in " + rec->run.string() + " (" + rec->verdict + ")"
                        : rec->run.string() + " has " + rec->verdict + " without a failed step: every step runs";
    } else {
        why = "no failed run of " + c.name + " on " + a.arch + "/" + a.kernel + " on record: every step runs";
    }
    progress("repro " + c.name + " on " + a.arch + "/" + a.kernel + ": " +
             (until ? "stops before line " + std::to_string(until) : "runs every step") + " (" + why + ")");

    testbed::Testbed bed(
        {.cacheDir = a.cacheDir, .uri = a.uri, .cpus = a.cpus, .memoryMiB = a.memory, .accel = vm::parseAccel(a.accel)});
    image::KernelImage kernel = bed.kernel(a.kernel, a.arch);
    image::ModuleSet modules = bed.modules(kernel, user);
    std::optional<image::KernelSymbols> symbols;
    if (a.gdb)  // before the boot: a fetch of the -dbg package should not keep a guest waiting
        symbols = image::kernelSymbols(kernel, bed.cache());

    RunPlan plan;  // for checkLivepatches: this one case on this one config
    plan.userModules = user;
    plan.units.push_back({&c, 0, {}, 1});
    checkLivepatches(plan, 0, modules);

    std::string cmdline = a.cmdline;
    if (a.gdb && vm::archProfile(a.arch).kaslr)  // symbols at their link addresses
        cmdline += std::string(cmdline.empty() ? "" : " ") + "nokaslr";
    testbed::GuestConfig cfg{kernel, &modules, cmdline, c.cpus ? c.cpus : a.cpus, c.memory ? c.memory : a.memory,
                             {a.userland, {}}};
    fs::path out = a.out.empty() ? fs::path("klp-results") / ("repro-" + std::to_string(getpid())) : fs::path(a.out);
    testbed::Slot slot(bed, /*coldBoot=*/true);
    cases::CaseResult r = cases::runCase(c, slot, cfg, out / c.name, {until, true});
    testbed::Guest* guest = slot.current();
    if (r.verdict == cases::Verdict::Skip) {
        std::fprintf(stderr, "klp-harness: %s SKIPs on %s/%s: %s\n", c.name.c_str(), a.arch.c_str(), a.kernel.c_str(),
                     r.reason.c_str());
        return 0;
    }

    if (r.stoppedBefore) {
        const auto& s = *std::find_if(c.steps.begin(), c.steps.end(),
                                      [&](const cases::Step& x) { return x.line == r.stoppedBefore; });
        std::printf("Stopped before %s:%d: %s %s\n", c.file.c_str(), s.line, s.verb.c_str(), s.arg.c_str());
    } else {
        std::printf("%s: %s%s\n", cases::verdictName(r.verdict), c.name.c_str(),
                    r.reason.empty() ? "" : (" (" + r.reason + ")").c_str());
    }
    std::printf("  steps:   %s\n", (r.dir / "steps.log").c_str());
    if (!guest || !guest->vm().running()) {
        std::fprintf(stderr, "klp-harness: the guest did not survive (see %s)\n", (r.dir / "console.log").c_str());
        return 1;
    }
    std::printf("Guest %s (%s) is up.\n", kernel.name.c_str(), a.arch.c_str());
    std::printf("  ssh:     %s\n", guest->openSshCommand(selfExecutable()).c_str());
    std::printf("  console: %s\n", guest->consoleLog().c_str());
    if (a.gdb) {
        fs::path sock = guest->consoleLog().parent_path() / "gdb.sock";
        guest->vm().openGdbStub(sock);
        std::printf("  gdb:     %s\n", gdbCommand(kernel, *symbols, sock).c_str());
        std::printf("  symbols: %s\n", symbols->vmlinux.empty() ? ("none: " + symbols->source).c_str()
                                                                 : symbols->source.c_str());
    }
    std::printf("Press Ctrl-C to destroy the guest.\n");
    std::fflush(stdout);
    while (guest->vm().running())
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::fprintf(stderr, "klp-harness: the guest stopped; console: %s\n", guest->consoleLog().c_str());
    return 1;
}

}  // namespace klp::cli
