#include "cases/runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <sstream>

#include "cases/console_watch.h"
#include "cases/verbs.h"
#include "check/crash.h"
#include "check/expect.h"
#include "check/guest_gone.h"
#include "check/kernel_log.h"
#include "check/kmsg.h"
#include "image/kernel_features.h"
#include "util/cleanup.h"
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

using StepLogRef = const std::function<void(const std::string&)>&;


// A marker record in the kernel log, once the file holds everything before it:
// its sequence number.
uint64_t markKernelLog(guest::Connection& guest) {
    auto r = guest.exec(std::string("klp-kmsg mark ") + kKernelLogFile, std::chrono::seconds(30));
    if (r.timedOut || r.exitCode != 0 || r.out.empty())
        throw HarnessError("cannot mark the guest's kernel log: " + (r.err.empty() ? r.out : r.err));
    return std::stoull(r.out);
}

// What the kernel printed after the marker `from` (0: since boot), normalised
// for expectations; `to` becomes a new marker's sequence number. One round trip.
std::vector<std::string> kernelLogSince(guest::Connection& guest, uint64_t from, uint64_t& to, StepLogRef log) {
    const std::string mark = "@@klp-kmsg ";
    auto r = guest.exec(std::string("b=$(klp-kmsg mark ") + kKernelLogFile + ") && awk -F'[,;]' -v a=" +
                            std::to_string(from) + " -v b=$b '$2+0>a && $2+0<b' " + kKernelLogFile + " && echo \"" + mark +
                            "$b\"",
                        std::chrono::seconds(60));
    auto at = r.out.rfind(mark);
    if (r.timedOut || r.exitCode != 0 || at == std::string::npos)
        throw HarnessError("cannot read the guest's kernel log: " + (r.err.empty() ? r.out : r.err));
    to = std::stoull(r.out.substr(at + mark.size()));
    auto w = check::kmsgWindow(std::string_view(r.out).substr(0, at), from, to);
    if (w.lost)
        log("kernel log: " + std::to_string(w.lost) + " records overwritten in the ring buffer before they were read");
    std::string text;
    for (const auto& l : w.lines)
        text += l + "\n";
    return check::normaliseLog(text);
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

// What every case's guest runs first: the kernel log follower, then (observed
// cases) the transition debug and watcher.
std::string setupFor(const Case& c) {
    // The file exists before the follower runs in the background: the first
    // `klp-kmsg mark` may come before the follower was scheduled.
    return std::string(": >> ") + kKernelLogFile + "; klp-kmsg follow " + kKernelLogFile +
           " > /dev/null 2>&1 < /dev/null & " + (c.observe ? kObserveSetup : "");
}

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
            uint64_t to = 0;
            auto m = check::matchLog(c_.log, kernelLogSince(guest_.connection, 0, to, logLine()));
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
        if (std::string why = stepSkipReason(s, kernel_.arch, kernel_.release); !why.empty()) {
            sr.status = "skip";
            sr.message = why;
            res_.steps.push_back(sr);
            log_.line(lineOf(s.line) + s.verb + " " + s.arg + ": skip (" + sr.message + ")");
            return true;
        }
        const Verb* verb = findVerb(s.verb);
        StepContext ctx{guest_.connection, stepTimeout(s)};
        // The kernel log is read around the steps that check it (and for the case's
        // own log check), not after every step: each read is a guest round trip.
        // A step's window: from a marker just before it to one just after it
        // (the last step's closing marker, when it had one).
        if (!s.log.empty() && !markFresh_)
            markSeq_ = markKernelLog(guest_.connection);
        const uint64_t from = markSeq_;
        StepOutcome o = verb->run(s, ctx);
        sr.subtests = o.subtests;
        markFresh_ = !s.log.empty();
        if (o.ok && !o.skip && !s.log.empty()) {
            auto window = kernelLogSince(guest_.connection, from, markSeq_, logLine());
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
    std::function<void(const std::string&)> logLine() {
        return [this](const std::string& l) { log_.line(l); };
    }
    uint64_t markSeq_ = 0;    // the newest step marker's sequence number
    bool markFresh_ = false;  // set right after the previous step: it can open the next window
};

// Keeps the whole kernel log (from the follower's file, a chunk at a time,
// however long it grew) as kernel.log in dmesg's form and, when observed,
// klp-watch's transitions.
void keepKernelLog(const Case& c, testbed::Lease guest, CaseResult& res, StepLog& log) {
    try {
        fs::path raw = res.dir / "kmsg.records";
        guest.connection.pull(kKernelLogFile, raw);
        {
            std::ifstream in(raw);
            std::ofstream out(res.dir / "kernel.log");
            for (std::string line; std::getline(in, line);)
                if (auto r = check::parseKmsgRecord(line))
                    out << check::dmesgLine(*r) << "\n";
        }
        fs::remove(raw);
    } catch (const std::exception& e) {
        log.line(std::string("kernel log not kept: ") + e.what());
    }
    if (!c.observe)
        return;
    try {
        auto r = guest.connection.exec("cat /tmp/klp-watch.log", std::chrono::seconds(20));
        if (r.timedOut)
            return;
        writeFile(res.dir / "transitions.log", r.out);
        res.transitions = check::parseWatchLog(r.out);
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
    if (!c.kernelHas.empty()) {
        auto has = image::kernelFeatures(kernel);
        for (const auto& f : c.kernelHas)
            if (!has || !has->count(f))
                return finish(Verdict::Skip, "needs a kernel with " + f + ": " + image::findKernelFeature(f)->about +
                                                 (has ? "" : " (" + kernel.name + " has no headers to tell)"));
    }

    std::optional<testbed::Lease> leased;
    try {
        leased.emplace(pool.lease(cfg, setupFor(c)));
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
        // SSH notices a dead QEMU before libvirt does (seconds later on a busy
        // host): give libvirt time before saying the QEMU still ran.
        watch.checkVanished(std::chrono::seconds(10));
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

    // Say what happened to a guest that went away, in its console's words
    // (they count even when libvirt has not yet seen its QEMU end).
    const std::string gone = check::guestGoneTitle(console);
    if (watch.vanished() || (!lostWith.empty() && !gone.empty())) {
        verdict = Verdict::Error;
        reason = gone.empty() ? "guest vanished: its QEMU stopped while the case ran (killed from outside?)" : gone;
        res.detail = "last console lines (console.log):\n" + check::lastLines(console, 8);
        log.line("error: " + reason);
    } else if (auto crash = watch.crash()) {
        log.line("console: " + crash->kind + ": " + crash->title + " (guest destroyed)");
        res.detail = "the console showed \"" + crash->title + "\" (console.log); the guest was destroyed at once";
        if (crash->kind == c.expectCrash && verdict == Verdict::Error)
            verdict = Verdict::Pass;  // the crash the case provokes ended it, as intended
    } else if (std::string lost = check::connectionLostTitle(lostWith); !lost.empty() && !interrupted()) {
        reason = lost;
        res.detail = "its QEMU still ran 10 s later; last console lines (console.log):\n" + check::lastLines(console, 8);
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
