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
#include "check/guest_gone.h"
#include "check/kernel_log.h"
#include "util/clock.h"
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
    case Verdict::Flaky: return "FLAKY";
    }
    return "?";
}

std::optional<Verdict> verdictFromName(const std::string& name) {
    for (Verdict v : {Verdict::Pass, Verdict::Fail, Verdict::Error, Verdict::Skip, Verdict::Miss, Verdict::Flaky})
        if (name == verdictName(v))
            return v;
    return std::nullopt;
}

Verdict foldAttempts(const std::vector<CaseResult>& attempts) {
    if (attempts.empty())
        return Verdict::Miss;
    for (const auto& r : attempts)
        if (r.verdict != attempts.front().verdict)
            return Verdict::Flaky;
    return attempts.front().verdict;
}

const CaseResult& shownAttempt(const std::vector<CaseResult>& attempts) {
    for (const auto& r : attempts)
        if (r.verdict != Verdict::Pass)
            return r;
    return attempts.back();
}

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::string> kernelLog(guest::Connection& guest) {
    auto r = guest.exec("dmesg", std::chrono::seconds(60));
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
std::string stuckDump(guest::Connection& guest) {
    try {
        auto r = guest.exec(kStuckDump, std::chrono::seconds(20));
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

// Transition debug lines ("... is sleeping on function ...") need dynamic
// debug; klp-watch samples every transition for the report (who blocked it,
// where, how long).
const char* kObserveSetup = "echo 'file kernel/livepatch/* +p' > /proc/dynamic_debug/control; "
                            "klp-watch 50 > /tmp/klp-watch.log 2>&1 < /dev/null &";

std::string lineOf(int line) { return "line " + std::to_string(line) + ": "; }

// Why a step makes the case fail, in one line: where in the case file, or
// (generated work has no file lines) the step's own first line.
std::string failReason(const Case& c, const Step& s, const std::string& message) {
    if (s.line > 0)
        return c.file.filename().string() + ":" + std::to_string(s.line) + ": " + s.verb + " " + s.arg;
    return message.substr(0, message.find('\n'));
}

// One case in a leased guest: its steps, then the case's own log check.
class CaseRun {
public:
    CaseRun(const Case& c, testbed::Lease guest, const image::KernelImage& kernel, const RunLimits& limits,
            CaseResult& res, StepLog& log)
        : c_(c), guest_(guest), kernel_(kernel), limits_(limits), res_(res), log_(log) {}

    // Runs the steps; the verdict and reason so far (the console is judged after).
    // Throws what the guest connection throws.
    void steps(Verdict& verdict, std::string& reason) {
        for (const CaseFile& f : c_.files) {  // `files:`
            guest_.connection.exec("mkdir -p '" + f.guest.substr(0, f.guest.rfind('/')) + "'", std::chrono::seconds(20));
            guest_.connection.push(f.host, f.guest);
            log_.line(lineOf(f.line) + "pushed " + f.host.string() + " to " + f.guest);
        }
        for (const Step& s : c_.steps) {
            if (limits_.untilLine > 0 && s.line >= limits_.untilLine) {
                res_.stoppedBefore = s.line;
                log_.line(lineOf(s.line) + s.verb + " " + s.arg + ": not run (stopped here)");
                return;
            }
            if (!step(s, verdict, reason))
                return;
        }
        if (verdict == Verdict::Pass && !c_.log.empty() && !res_.stoppedBefore) {
            if (!linesFresh_)
                lines_ = kernelLog(guest_.connection);
            auto m = check::matchLog(c_.log, lines_);
            if (!m.ok) {
                verdict = Verdict::Fail;
                reason = c_.file.filename().string() + ":" + std::to_string(c_.log[m.failed].sourceLine) + ": case log";
                res_.detail = m.message;
            }
        }
    }

    // The stuck-task dump, kept in stuck.txt and steps.log; returned for the report.
    std::string dumpStuck(const std::string& why) {
        std::string dump = stuckDump(guest_.connection);
        writeFile(res_.dir / "stuck.txt", why + "\n" + dump);
        log_.line("stuck: " + why + "\n" + dump);
        return "\n\nstuck tasks (stuck.txt; sysrq w in kernel.log):\n" + dump;
    }

private:
    // One step; false when the case ends with it.
    bool step(const Step& s, Verdict& verdict, std::string& reason) {
        StepResult sr{s.line, s.verb, s.arg, "pass", "", 0, {}};
        const auto t = Clock::now();
        auto arches = stepArches(s);
        bool archOk = arches.empty() || std::find(arches.begin(), arches.end(), kernel_.arch) != arches.end();
        bool kernelOk = !s.opts.count("kernel-min") || kernelAtLeast(kernel_.release, s.opt("kernel-min"));
        if (!archOk || !kernelOk) {
            sr.status = "skip";
            sr.message = !archOk ? "only on " + s.opt("arch") : "needs kernel " + s.opt("kernel-min");
            res_.steps.push_back(sr);
            log_.line(lineOf(s.line) + s.verb + " " + s.arg + ": skip (" + sr.message + ")");
            return true;
        }
        const Verb* verb = findVerb(s.verb);
        StepContext ctx{guest_.connection,
                        std::chrono::seconds(std::stoi(s.opt("timeout", std::to_string(verb->defaultTimeout))))};
        // The kernel log is read around the steps that check it (and for the case's
        // own log check), not after every step: each read is a guest round trip.
        if (!s.log.empty() && !linesFresh_)
            lines_ = kernelLog(guest_.connection);
        size_t before = lines_.size();
        StepOutcome o = verb->run(s, ctx);
        sr.subtests = o.subtests;
        linesFresh_ = !s.log.empty();
        if (linesFresh_)
            lines_ = kernelLog(guest_.connection);
        if (o.ok && !o.skip && !s.log.empty()) {
            // The step's own window: what the kernel printed while it ran.
            std::vector<std::string> window(lines_.begin() + static_cast<long>(std::min(before, lines_.size())),
                                            lines_.end());
            auto m = check::matchLog(s.log, window);
            if (!m.ok)
                o = {false, m.message, o.subtests, false, false, o.output};
        }
        sr.seconds = since(t);
        if (!o.ok) {
            sr.status = "fail";
            sr.message = o.message;
        } else if (o.skip) {
            sr.status = "skip";
            sr.message = o.message;
        }
        res_.steps.push_back(sr);
        log_.line(lineOf(s.line) + s.verb + " " + s.arg + ": " + sr.status +
                  (o.message.empty() ? "" : "\n" + o.message));
        if (!o.output.empty())
            log_.line("output:\n" + o.output);
        if (!o.ok) {
            verdict = Verdict::Fail;
            reason = failReason(c_, s, o.message);
            res_.detail = o.message + (o.stuck ? dumpStuck(o.message) : "");
            return false;
        }
        if (o.skip) {
            verdict = Verdict::Skip;
            reason = o.message.substr(0, o.message.find('\n'));
            return false;
        }
        return true;
    }

    const Case& c_;
    testbed::Lease guest_;
    const image::KernelImage& kernel_;
    const RunLimits& limits_;
    CaseResult& res_;
    StepLog& log_;
    std::vector<std::string> lines_;
    bool linesFresh_ = false;
};

// Keeps the kernel log as the guest had it and, when observed, klp-watch's
// transitions, in one round trip.
void keepKernelLog(const Case& c, testbed::Lease guest, CaseResult& res, StepLog& log) {
    try {
        const std::string mark = "@@klp-harness: transitions@@";
        std::string cmd = c.observe ? "dmesg; echo " + mark + "; cat /tmp/klp-watch.log" : "dmesg; echo " + mark;
        auto r = guest.connection.exec(cmd, std::chrono::seconds(20));
        auto split = r.out.rfind("\n" + mark + "\n");
        if (r.timedOut || split == std::string::npos)
            return;
        writeFile(res.dir / "kernel.log", r.out.substr(0, split + 1));
        if (!c.observe)
            return;
        std::string watchLog = r.out.substr(split + mark.size() + 2);
        writeFile(res.dir / "transitions.log", watchLog);
        res.transitions = check::parseWatchLog(watchLog);
        for (const auto& t : res.transitions)
            log.line("transition: " + t.describe());
    } catch (...) {
    }
}

}  // namespace

CaseResult runCase(const Case& c, testbed::Pool& pool, const testbed::GuestConfig& cfg, const fs::path& dir,
                   const RunLimits& limits) {
    const auto start = Clock::now();
    const image::KernelImage& kernel = cfg.kernel;
    CaseResult res;
    res.name = c.name;
    res.title = c.title;
    res.arch = kernel.arch;
    res.kernel = kernel.name;
    res.dir = dir;
    res.started = nowText();
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

    std::optional<testbed::Lease> leased;
    try {
        leased.emplace(pool.lease(cfg, c.observe ? kObserveSetup : ""));
        res.boot = pool.last().method;
        res.bootSeconds = pool.last().seconds;
        log.line("guest: " + res.boot + " in " + std::to_string(res.bootSeconds).substr(0, 5) + " s" +
                 (pool.last().note.empty() ? "" : " (" + pool.last().note + ")"));
    } catch (const std::exception& e) {
        pool.release();
        return finish(Verdict::Miss, std::string("guest did not come up: ") + e.what());
    }
    testbed::Lease guest = *leased;

    Verdict verdict = Verdict::Pass;
    std::string reason;
    std::string lostWith;  // the connection's error, when the guest stopped answering
    // A reverted guest appends to the console log its earlier lives wrote.
    ConsoleWatch watch(guest.instance, guest.consoleOffset);
    CaseRun run(c, guest, kernel, limits, res, log);
    try {
        run.steps(verdict, reason);
    } catch (const TimeoutError& e) {
        verdict = Verdict::Error;  // a guest command never came back: a hung kernel or task
        reason = e.what();
        log.line(std::string("error: ") + e.what());
        if (!watch.crash())
            res.detail = run.dumpStuck(e.what());
    } catch (const std::exception& e) {
        verdict = Verdict::Error;  // the guest stopped answering, or the harness broke
        reason = e.what();
        lostWith = e.what();
        log.line(std::string("error: ") + e.what());
        watch.checkVanished(std::chrono::seconds(3));
    }
    watch.stop();

    // Keep the kernel log as the guest had it, then the console (crash reports).
    if (!watch.vanished() && !watch.crash())
        keepKernelLog(c, guest, res, log);
    std::string console;
    try {
        console = readFile(guest.instance.spec().consoleLog).substr(guest.consoleOffset);
        writeFile(res.dir / "console.log", console);
    } catch (...) {
    }
    if (!limits.keepGuest)
        pool.release();

    // Say what happened to a guest that went away, in its console's words.
    if (watch.vanished()) {
        verdict = Verdict::Error;
        std::string gone = check::guestGoneTitle(console);
        reason = gone.empty() ? "guest vanished: its QEMU stopped while the case ran (killed from outside?)" : gone;
        res.detail = "last console lines (console.log):\n" + check::lastLines(console, 8);
        log.line("error: " + reason);
    } else if (auto crash = watch.crash()) {
        log.line("console: " + crash->kind + ": " + crash->title + " (guest destroyed)");
        res.detail = "the console showed \"" + crash->title + "\" (console.log); the guest was destroyed at once";
        if (crash->kind == c.expectCrash && verdict == Verdict::Error)
            verdict = Verdict::Pass;  // the crash the case provokes ended it, as intended
    } else if (std::string lost = check::connectionLostTitle(lostWith); !lost.empty()) {
        reason = lost;
        res.detail = "the guest's QEMU still ran; last console lines (console.log):\n" + check::lastLines(console, 8);
        log.line("error: " + reason);
    }

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
