#include "cases/runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "cases/console_watch.h"
#include "cases/verbs.h"
#include "check/crash.h"
#include "check/expect.h"
#include "check/kernel_log.h"
#include "util/error.h"
#include "util/files.h"

namespace klp::cases {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* verdictName(Verdict v) {
    switch (v) {
    case Verdict::Pass: return "PASS";
    case Verdict::Fail: return "FAIL";
    case Verdict::Error: return "ERROR";
    case Verdict::Skip: return "SKIP";
    case Verdict::Miss: return "MISS";
    }
    return "?";
}

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::string> kernelLog(guest::SshSession& ssh) {
    auto r = ssh.exec("dmesg", std::chrono::seconds(60));
    if (r.timedOut || r.exitCode != 0)
        throw HarnessError("cannot read the guest's kernel log");
    return check::normaliseLog(r.out);
}

// What distro livepatch QA prints for a transition that does not end: every task
// not yet in the target patch state, with its kernel stack. Then the kernel's own
// list of blocked tasks (sysrq w) goes to the kernel log.
const char* kStuckDump = R"SH(
target=0
for p in /sys/kernel/livepatch/*/; do
  [ -d "$p" ] || continue
  t=$(cat "$p/transition"); e=$(cat "$p/enabled")
  echo "patch $(basename "$p"): enabled=$e transition=$t"
  [ "$t" = 1 ] && [ "$e" = 1 ] && target=1
done
for d in /proc/[0-9]*; do
  s=$(cat "$d/patch_state" 2>/dev/null) || continue
  { [ "$s" = -1 ] || [ "$s" = "$target" ]; } && continue
  echo "task ${d#/proc/} $(cat "$d/comm") patch_state=$s, not yet $target:"
  sed 's/^/    /' "$d/stack" 2>/dev/null
done
echo w > /proc/sysrq-trigger 2>/dev/null
true
)SH";

// The stuck-step dump, or why there is none (a guest that no longer answers).
std::string stuckDump(guest::SshSession& ssh) {
    try {
        auto r = ssh.exec(kStuckDump, std::chrono::seconds(20));
        if (r.timedOut)
            return "(the guest did not answer the stuck-task dump within 20 s)\n";
        return r.out.empty() ? "(no livepatch transition in progress)\n" : r.out;
    } catch (const std::exception& e) {
        return std::string("(no stuck-task dump: ") + e.what() + ")\n";
    }
}

struct StepLog {
    std::ofstream out;
    void line(const std::string& s) { out << s << "\n" << std::flush; }
};

}  // namespace

CaseResult runCase(const Case& c, testbed::Slot& slot, const testbed::GuestConfig& cfg, const fs::path& dir,
                   const RunLimits& limits) {
    const auto start = Clock::now();
    const image::KernelImage& kernel = cfg.kernel;
    CaseResult res;
    res.name = c.name;
    res.title = c.title;
    res.arch = kernel.arch;
    res.kernel = kernel.name;
    res.dir = dir;
    {
        char when[32];
        std::time_t now = std::time(nullptr);
        std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
        res.started = when;
    }
    fs::create_directories(res.dir);
    StepLog log{std::ofstream(res.dir / "steps.log")};

    auto finish = [&](Verdict v, std::string reason) {
        res.verdict = v;
        res.reason = std::move(reason);
        res.seconds = since(start);
        log.line(std::string(verdictName(v)) + (res.reason.empty() ? "" : ": " + res.reason));
        return res;
    };

    if (!c.arches.empty() && std::find(c.arches.begin(), c.arches.end(), kernel.arch) == c.arches.end())
        return finish(Verdict::Skip, "only for " + c.arches.front() + (c.arches.size() > 1 ? ", ..." : ""));
    if (!c.kernelMin.empty() && !kernel.release.empty() && !kernelAtLeast(kernel.release, c.kernelMin))
        return finish(Verdict::Skip, "needs kernel " + c.kernelMin + " or later (" + kernel.release + ")");

    testbed::Guest* guest = nullptr;
    try {
        // Transition debug lines ("... is sleeping on function ...") need dynamic
        // debug; klp-watch samples every transition for the report (who blocked
        // it, where, how long).
        guest = &slot.acquire(cfg, "echo 'file kernel/livepatch/* +p' > /proc/dynamic_debug/control; "
                                   "klp-watch 50 > /tmp/klp-watch.log 2>&1 < /dev/null &");
        res.boot = slot.last().method;
        res.bootSeconds = slot.last().seconds;
        log.line("guest: " + res.boot + " in " + std::to_string(res.bootSeconds).substr(0, 5) + " s" +
                 (slot.last().note.empty() ? "" : " (" + slot.last().note + ")"));
    } catch (const std::exception& e) {
        slot.release();
        return finish(Verdict::Miss, std::string("guest did not come up: ") + e.what());
    }

    Verdict verdict = Verdict::Pass;
    std::string reason;
    std::vector<std::string> lines;
    // A reverted guest appends to the console log its earlier lives wrote.
    ConsoleWatch watch(guest->vm(), guest->consoleOffset());
    auto dumpStuck = [&](const std::string& why) {
        std::string dump = stuckDump(guest->ssh());
        writeFile(res.dir / "stuck.txt", why + "\n" + dump);
        log.line("stuck: " + why + "\n" + dump);
        return "\n\nstuck tasks (stuck.txt; sysrq w in kernel.log):\n" + dump;
    };
    // The kernel log is read around the steps that check it (and for the case's
    // own log check), not after every step: each read is a guest round trip.
    bool linesFresh = false;
    try {
        for (const CaseFile& f : c.files) {  // `files:`
            guest->ssh().exec("mkdir -p '" + f.guest.substr(0, f.guest.rfind('/')) + "'", std::chrono::seconds(20));
            guest->ssh().push(f.host, f.guest);
            log.line("line " + std::to_string(f.line) + ": pushed " + f.host.string() + " to " + f.guest);
        }
        for (const Step& s : c.steps) {
            if (limits.untilLine > 0 && s.line >= limits.untilLine) {
                res.stoppedBefore = s.line;
                log.line("line " + std::to_string(s.line) + ": " + s.verb + " " + s.arg + ": not run (stopped here)");
                break;
            }
            StepResult sr{s.line, s.verb, s.arg, "pass", "", 0, {}};
            const auto t = Clock::now();
            auto arches = stepArches(s);
            bool archOk = arches.empty() || std::find(arches.begin(), arches.end(), kernel.arch) != arches.end();
            bool kernelOk = !s.opts.count("kernel-min") || kernelAtLeast(kernel.release, s.opt("kernel-min"));
            if (!archOk || !kernelOk) {
                sr.status = "skip";
                sr.message = !archOk ? "only on " + s.opt("arch") : "needs kernel " + s.opt("kernel-min");
                res.steps.push_back(sr);
                log.line("line " + std::to_string(s.line) + ": " + s.verb + " " + s.arg + ": skip (" + sr.message + ")");
                continue;
            }
            const Verb* verb = findVerb(s.verb);
            StepContext ctx{guest->ssh(),
                            std::chrono::seconds(std::stoi(s.opt("timeout", std::to_string(verb->defaultTimeout))))};
            if (!s.log.empty() && !linesFresh)
                lines = kernelLog(guest->ssh());
            size_t before = lines.size();
            StepOutcome o = verb->run(s, ctx);
            sr.subtests = o.subtests;
            linesFresh = !s.log.empty();
            if (linesFresh)
                lines = kernelLog(guest->ssh());
            if (o.ok && !s.log.empty()) {
                // The step's own window: what the kernel printed while it ran.
                std::vector<std::string> window(lines.begin() + static_cast<long>(std::min(before, lines.size())), lines.end());
                auto m = check::matchLog(s.log, window);
                if (!m.ok)
                    o = {false, m.message, o.subtests};
            }
            sr.seconds = since(t);
            if (!o.ok) {
                sr.status = "fail";
                sr.message = o.message;
            }
            res.steps.push_back(sr);
            log.line("line " + std::to_string(s.line) + ": " + s.verb + " " + s.arg + ": " + sr.status +
                     (o.message.empty() ? "" : "\n" + o.message));
            if (!o.ok) {
                verdict = Verdict::Fail;
                reason = c.file.filename().string() + ":" + std::to_string(s.line) + ": " + s.verb + " " + s.arg;
                res.detail = o.message + (o.stuck ? dumpStuck(o.message) : "");
                break;
            }
        }
        if (verdict == Verdict::Pass && !c.log.empty() && !res.stoppedBefore) {
            if (!linesFresh)
                lines = kernelLog(guest->ssh());
            auto m = check::matchLog(c.log, lines);
            if (!m.ok) {
                verdict = Verdict::Fail;
                reason = c.file.filename().string() + ":" + std::to_string(c.log[m.failed].sourceLine) + ": case log";
                res.detail = m.message;
            }
        }
    } catch (const TimeoutError& e) {
        verdict = Verdict::Error;  // a guest command never came back: a hung kernel or task
        reason = e.what();
        log.line(std::string("error: ") + e.what());
        if (!watch.crash())
            res.detail = dumpStuck(e.what());
    } catch (const std::exception& e) {
        verdict = Verdict::Error;  // the guest stopped answering, or the harness broke
        reason = e.what();
        log.line(std::string("error: ") + e.what());
        watch.checkVanished(std::chrono::seconds(3));
    }
    watch.stop();
    if (watch.vanished()) {
        verdict = Verdict::Error;
        reason = "guest vanished: its QEMU stopped while the case ran (killed from outside?)";
        log.line("error: " + reason);
    } else if (auto crash = watch.crash()) {
        log.line("console: " + crash->kind + ": " + crash->title + " (guest destroyed)");
        res.detail = "the console showed \"" + crash->title + "\" (console.log); the guest was destroyed at once";
        if (crash->kind == c.expectCrash && verdict == Verdict::Error)
            verdict = Verdict::Pass;  // the crash the case provokes ended it, as intended
    }

    // Keep the kernel log as the guest had it, then the console (crash reports).
    try {
        // One round trip: the kernel log, a line of our own, the watch log.
        const std::string mark = "@@klp-harness: transitions@@";
        auto r = guest->ssh().exec("dmesg; echo " + mark + "; cat /tmp/klp-watch.log", std::chrono::seconds(20));
        auto split = r.out.rfind("\n" + mark + "\n");
        if (!r.timedOut && split != std::string::npos) {
            writeFile(res.dir / "kernel.log", r.out.substr(0, split + 1));
            std::string watchLog = r.out.substr(split + mark.size() + 2);
            writeFile(res.dir / "transitions.log", watchLog);
            res.transitions = check::parseWatchLog(watchLog);
            for (const auto& t : res.transitions)
                log.line("transition: " + t.describe());
        }
    } catch (...) {
    }
    std::string console;
    try {
        console = readFile(guest->consoleLog()).substr(guest->consoleOffset());
        writeFile(res.dir / "console.log", console);
    } catch (...) {
    }
    if (!limits.keepGuest)
        slot.release();

    for (const auto& crash : check::findCrashes(console)) {
        if (!c.expectCrash.empty() && crash.kind == c.expectCrash)
            continue;
        res.crashTitle = crash.title;
        verdict = Verdict::Error;
        reason = crash.title.rfind(crash.kind, 0) == 0 ? crash.title : crash.kind + ": " + crash.title;
        break;
    }
    if (!c.expectCrash.empty() && verdict != Verdict::Error) {
        bool seen = false;
        for (const auto& crash : check::findCrashes(console))
            seen |= crash.kind == c.expectCrash;
        if (!seen && verdict == Verdict::Pass) {
            verdict = Verdict::Fail;
            reason = "expected a " + c.expectCrash + " on the console, saw none";
        }
    }
    return finish(verdict, reason);
}

}  // namespace klp::cases
