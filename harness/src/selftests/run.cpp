#include "selftests/run.h"

#include <fnmatch.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "cases/console_watch.h"
#include "check/crash.h"
#include "report/results.h"
#include "report/writers.h"
#include "selftests/judge.h"
#include "selftests/payload.h"
#include "testbed/slot.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/files.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::selftests {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string utcNow(const char* fmt) {
    char buf[64];
    std::time_t t = std::time(nullptr);
    std::strftime(buf, sizeof buf, fmt, std::gmtime(&t));
    return buf;
}

std::string stem(const std::string& script) { return fs::path(script).stem().string(); }

bool selected(const std::string& script, const std::vector<std::string>& filters) {
    if (filters.empty())
        return true;
    for (const auto& f : filters)
        for (const std::string& name : {"selftests/" + stem(script), stem(script), script})
            if (fnmatch(f.c_str(), name.c_str(), 0) == 0)
                return true;
    return false;
}

// One script in a pristine guest: its output, the kernel log and the console
// kept in `dir`; never throws.
cases::CaseResult runScript(const std::string& script, const Payload& p, testbed::Slot& slot,
                            const testbed::GuestConfig& cfg, int timeout, const fs::path& dir) {
    const auto start = Clock::now();
    cases::CaseResult res;
    res.name = "selftests/" + stem(script);
    res.title = "tools/testing/selftests/livepatch/" + script;
    res.arch = cfg.kernel.arch;
    res.kernel = cfg.kernel.name;
    res.dir = dir;
    res.started = utcNow("%Y-%m-%dT%H:%M:%SZ");
    fs::create_directories(dir);
    auto finish = [&](cases::Verdict v, std::string reason) {
        res.verdict = v;
        res.reason = std::move(reason);
        res.seconds = since(start);
        return res;
    };
    testbed::Guest* guest = nullptr;
    try {
        guest = &slot.acquire(cfg);
        res.boot = slot.last().method;
        res.bootSeconds = slot.last().seconds;
    } catch (const std::exception& e) {
        slot.release();
        return finish(cases::Verdict::Miss, std::string("guest did not come up: ") + e.what());
    }
    // As kselftest's runner does: from the scripts' dir, stderr with stdout.
    // has_kdir (newer functions.sh) wants a kbuild dir to exist only to be sure
    // the modules could be built: they were, on the host, and are here.
    std::string cmd = std::string("cd ") + kGuestDir + " && " +
                      (p.layout == "test_modules" ? std::string("KDIR=") + kGuestDir + "/test_modules " : "") +
                      "./" + script + " 2>&1";
    cases::ConsoleWatch watch(guest->vm(), guest->consoleOffset());
    guest::ExecResult r;
    std::string error;
    const auto t = Clock::now();
    try {
        r = guest->ssh().exec(cmd, std::chrono::seconds(timeout));
    } catch (const std::exception& e) {
        error = e.what();
        watch.checkVanished(std::chrono::seconds(3));
    }
    double scriptSeconds = since(t);
    watch.stop();
    writeFile(dir / "steps.log", r.out);
    try {
        auto k = guest->ssh().exec("dmesg", std::chrono::seconds(60));
        if (!k.timedOut)
            writeFile(dir / "kernel.log", k.out);
    } catch (...) {
    }
    std::string console;
    try {
        console = readFile(guest->consoleLog()).substr(guest->consoleOffset());
        writeFile(dir / "console.log", console);
    } catch (...) {
    }
    slot.release();

    Judgement j = judgeScript(r.exitCode, r.out);
    for (const auto& test : j.tests)
        res.steps.push_back({test.line, "TEST", test.name, test.ok ? "pass" : "fail", test.ok ? "" : test.message,
                             0, {}});
    res.steps.push_back({0, "run", script, r.exitCode == 0 ? "pass" : r.exitCode == 4 ? "skip" : "fail",
                             "exit code " + std::to_string(r.exitCode), scriptSeconds, {}});
    res.detail = j.detail;
    auto crashes = check::findCrashes(console);
    if (!crashes.empty()) {
        const auto& c = crashes.front();
        res.crashTitle = c.title;
        res.detail = "the console showed \"" + c.title + "\" (console.log)\n" + res.detail;
        return finish(cases::Verdict::Error, c.title.rfind(c.kind, 0) == 0 ? c.title : c.kind + ": " + c.title);
    }
    if (watch.vanished())
        return finish(cases::Verdict::Error, "guest vanished: its QEMU stopped while the script ran");
    if (!error.empty())
        return finish(cases::Verdict::Error, error);
    if (r.timedOut)
        return finish(cases::Verdict::Error, "did not finish within " + std::to_string(timeout) + " s (--timeout)");
    return finish(j.verdict, j.reason);
}

}  // namespace

int runSelftests(const Args& a) {
    const vm::ArchProfile& arch = vm::archProfile(a.arch);  // bad arch: fail before any work
    if (!a.source.empty() && !fs::is_directory(a.source))
        throw UsageError("--source " + a.source + ": no such directory");
    testbed::Testbed bed({.cacheDir = a.cacheDir, .uri = a.uri, .cpus = a.cpus, .memoryMiB = a.memory});
    auto kernel = bed.kernel(a.kernel, a.arch);
    Source src = selftestSource(kernel, a.source, bed.cache());
    Payload payload = buildPayload(kernel, {arch.kbuildArch, arch.crossCompile, arch.bootImage}, src, bed.cache());
    std::vector<std::string> scripts;
    for (const auto& s : payload.scripts)
        if (selected(s, a.filters))
            scripts.push_back(s);
    if (scripts.empty()) {
        std::fprintf(stderr, "klp-harness: no selftest script matches --filter (%s has %zu)\n", src.origin.c_str(),
                     payload.scripts.size());
        return 2;
    }
    bed.userlandLayers(a.arch, "full");  // built before the first boot, not inside it

    fs::path out = a.out.empty() ? fs::path(utcNow("klp-results/selftests-%Y%m%d-%H%M%S")) : fs::path(a.out);
    fs::create_directories(out);
    report::Json meta = report::runMetadata(bed.describeBackend());
    meta["jobs"] = 1;
    meta["pristine"] = a.coldBoot ? "cold boot for every script (--cold-boot)"
                                  : "revert to a snapshot of the booted guest where the arch allows it, else cold boot";
    meta["selftests"] = {{"source", src.origin}, {"layout", payload.layout}, {"userland", "full"}};
    report::ResultsFile results(out, meta);
    results.addKernel(kernel);
    CleanupGuard renderOnSignal([out] {
        try {
            report::renderAll(report::readResults(out), out);
            std::fprintf(stderr, "klp-harness: partial reports in %s\n", out.c_str());
        } catch (...) {
        }
    });

    progress("running " + std::to_string(scripts.size()) + " livepatch selftest scripts from " + src.origin +
             ", logs in " + out.string());
    testbed::Slot slot(bed, a.coldBoot);
    testbed::GuestConfig cfg{kernel, nullptr, a.cmdline, a.cpus, a.memory, {"full", {payload.archive}}};
    int pass = 0, fail = 0, skip = 0, miss = 0;
    for (size_t i = 0; i < scripts.size(); i++) {
        const std::string& s = scripts[i];
        fs::path dir = out / "selftests" / stem(s) / (a.arch + "_" + fs::path(a.kernel).filename().string());
        cases::CaseResult r = runScript(s, payload, slot, cfg, a.timeout, dir);
        cases::Case c;
        c.file = src.tree / "tools/testing/selftests/livepatch" / s;
        c.name = r.name;
        c.title = r.title;
        c.seeds = {"kernel selftest (" + src.origin + ")"};
        report::Json j = report::caseJson(c, r, out);
        j["boot"] = r.boot.empty() ? "none" : r.boot;
        j["boot_seconds"] = r.bootSeconds;
        j["started"] = r.started;
        j["host"] = a.uri.empty() ? "embed" : a.uri;
        j["order"] = i;
        results.add(j);
        std::string verdict = cases::verdictName(r.verdict);
        char line[256];
        std::snprintf(line, sizeof line, "%-5s %-44s %-20s %6.1f s", verdict.c_str(), r.name.c_str(),
                      (a.arch + "/" + kernel.name).c_str(), r.seconds);
        std::string text = line;
        if (r.verdict != cases::Verdict::Pass) {
            text += "\n      " + r.reason;
            if (r.verdict != cases::Verdict::Skip)
                text += "\n      logs: " + r.dir.string();
        }
        printLine(stdout, text);
        switch (r.verdict) {
        case cases::Verdict::Pass: pass++; break;
        case cases::Verdict::Skip: skip++; break;
        case cases::Verdict::Miss: miss++; break;
        default: fail++;
        }
    }
    slot.release();
    results.finish();
    report::renderAll(results.doc(), out);
    std::printf("%d passed, %d failed, %d skipped\n", pass, fail + miss, skip);
    std::printf("reports: %s/{results.json,results.ktap,junit.xml,report.html}\n", out.c_str());
    if (a.strict && skip)
        std::printf("strict: %d script(s) skipped\n", skip);
    return fail ? 1 : miss ? 2 : a.strict && skip ? 1 : 0;
}

}  // namespace klp::selftests
