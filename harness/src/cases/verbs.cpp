#include "cases/verbs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>

#include "cases/kselftest_step.h"
#include "check/expect.h"
#include "check/ktap.h"
#include "util/error.h"
#include "vm/arch.h"

namespace klp::cases {
using namespace std::chrono_literals;

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
        s.pop_back();
    return s;
}

// Runs a guest command; a guest that no longer answers is an ERROR, not a FAIL.
guest::ExecResult sh(StepContext& c, const std::string& cmd) {
    auto r = c.guest.exec(cmd, c.timeout + 30s);
    if (r.timedOut)
        throw TimeoutError("guest did not finish `" + cmd + "`");
    return r;
}

std::string out(StepContext& c, const std::string& cmd) { return trim(sh(c, cmd).out); }

// Polls until `cmd` prints `want` or the step's timeout passes.
bool waitUntil(StepContext& c, const std::string& cmd, const std::string& want, std::string* last = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + c.timeout;
    for (;;) {
        std::string got = out(c, cmd);
        if (last)
            *last = got;
        if (got == want)
            return true;
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(200ms);
    }
}

std::string koPath(const std::string& mod) {
    return mod.find('/') != std::string::npos ? mod : "/lib/klp/" + mod + ".ko";
}
std::string modName(const std::string& mod) {
    auto base = mod.substr(mod.rfind('/') + 1);
    return base.size() > 3 && base.substr(base.size() - 3) == ".ko" ? base.substr(0, base.size() - 3) : base;
}
std::string lpDir(const std::string& patch) { return "/sys/kernel/livepatch/" + modName(patch); }
std::string q(const std::string& s) {  // single-quote for the guest shell
    std::string r = "'";
    for (char ch : s)
        r += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return r + "'";
}

// A shell line writing value to a sysfs/proc file. The braces make the shell's
// own "write error: ..." message reach our stdout (with a plain `echo > f 2>&1`
// stderr would point into the file too).
std::string writeCmd(const std::string& path, const std::string& value) {
    return "{ echo " + q(value) + " > " + path + "; } 2>&1";
}

StepOutcome fail(std::string msg) {
    StepOutcome o;
    o.ok = false;
    o.message = std::move(msg);
    return o;
}
StepOutcome stuck(std::string msg) {
    StepOutcome o = fail(std::move(msg));
    o.stuck = true;
    return o;
}
StepOutcome ok() { return {}; }

// What klp-syscall (guest/tools) printed: "ok", or "errno ENAME N: text".
struct KernelAnswer {
    bool ok = false;
    std::string errnoName;  // empty when ok, or when the call never reached the kernel
    std::string text;       // the whole answer, for messages
};

KernelAnswer syscallAnswer(const guest::ExecResult& r) {
    KernelAnswer a;
    a.text = trim(r.out + r.err);
    a.ok = r.exitCode == 0;
    if (r.exitCode == 1 && r.out.rfind("errno ", 0) == 0)
        a.errnoName = r.out.substr(6, r.out.find(' ', 6) - 6);
    return a;
}

KernelAnswer kernelCall(StepContext& c, const std::string& args) { return syscallAnswer(sh(c, "klp-syscall " + args)); }

std::string loadArgs(const Step& s) { return "load " + koPath(s.arg) + " " + s.opt("params"); }

// The pids of guest tasks whose comm is `task`.
std::vector<std::string> pidsOf(StepContext& c, const std::string& task) {
    std::string list = out(c, "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = " + q(task) +
                                  " ] && echo ${p#/proc/}; done; true");
    std::vector<std::string> pids;
    std::istringstream in(list);
    for (std::string p; in >> p;)
        pids.push_back(p);
    return pids;
}

bool waitTransitionDone(StepContext& c, const std::string& patch, std::string* state) {
    return waitUntil(c, "cat " + lpDir(patch) + "/transition 2>/dev/null || echo gone", "0", state) ||
           *state == "gone";
}

StepOutcome load(const Step& s, StepContext& c) {
    auto a = kernelCall(c, loadArgs(s));
    if (!a.ok)
        return fail("loading " + s.arg + " failed: " + a.text);
    if (out(c, "test -d " + lpDir(s.arg) + " && echo patch") != "patch")
        return ok();  // not a livepatch: loaded is done
    std::string state;
    if (!waitTransitionDone(c, s.arg, &state))
        return stuck("transition of " + modName(s.arg) + " still running after " +
                     std::to_string(c.timeout.count()) + " s");
    return ok();
}

StepOutcome loadNowait(const Step& s, StepContext& c) {
    std::string m = modName(s.arg);
    sh(c, "klp-syscall " + loadArgs(s) + " > /tmp/klp-insmod-" + m + ".log 2>&1 < /dev/null &");
    std::string last;
    // The sysfs dir appears before the transition is set up (klp_init_patch, then
    // klp_init_transition): wait until it runs (transition 1) or already ended
    // (enabled 1), so the next step sees a transition, never a patch about to start one.
    std::string d = lpDir(s.arg);
    if (waitUntil(c, "{ [ \"$(cat " + d + "/transition 2>/dev/null)\" = 1 ] || [ \"$(cat " + d +
                         "/enabled 2>/dev/null)\" = 1 ]; } && echo yes || cat /tmp/klp-insmod-" + m + ".log",
                  "yes", &last))
        return ok();
    return fail("patch " + m + " did not appear in sysfs" + (last.empty() ? "" : ": " + last));
}

// A refusal the case expects: the kernel's errno must be the one named.
StepOutcome expectRefusal(const KernelAnswer& a, const std::string& what, const std::string& want) {
    if (a.ok)
        return fail(what + " succeeded, expected " + want);
    if (a.errnoName.empty())
        return fail(what + " did not reach the kernel: " + a.text);
    if (a.errnoName != want)
        return fail(what + " failed with " + a.errnoName + ", expected " + want + " (" + a.text + ")");
    return ok();
}

StepOutcome loadFail(const Step& s, StepContext& c) {
    if (out(c, "test -f " + koPath(s.arg) + " && echo yes") != "yes")
        return fail("no module file " + koPath(s.arg) + " in the guest: nothing to refuse");
    return expectRefusal(kernelCall(c, loadArgs(s)), "loading " + s.arg, s.at("errno").errnoName);
}

StepOutcome unload(const Step& s, StepContext& c) {
    auto a = kernelCall(c, "unload " + modName(s.arg));
    return a.ok ? ok() : fail("unloading " + s.arg + " failed: " + a.text);
}

StepOutcome unloadFail(const Step& s, StepContext& c) {
    auto a = kernelCall(c, "unload " + modName(s.arg));
    if (s.has("errno"))
        return expectRefusal(a, "unloading " + s.arg, s.at("errno").errnoName);
    // Without errno: a loaded module whose unload the kernel refuses. ENOENT
    // (never loaded) refuses nothing.
    if (a.ok)
        return fail("unloading " + s.arg + " succeeded, expected it to be refused");
    if (a.errnoName.empty())
        return fail("unloading " + s.arg + " did not reach the kernel: " + a.text);
    if (a.errnoName == "ENOENT")
        return fail(s.arg + " is not loaded (ENOENT): no refusal to check");
    return ok();
}

StepOutcome enable(const Step& s, StepContext& c) {
    auto r = sh(c, writeCmd(lpDir(s.arg) + "/enabled", "1"));
    if (r.exitCode != 0)
        return fail("enabling " + s.arg + " failed: " + trim(r.out + r.err));
    std::string state;
    return waitTransitionDone(c, s.arg, &state) ? ok() : stuck("transition of " + s.arg + " did not finish");
}

StepOutcome disable(const Step& s, StepContext& c) {
    auto r = sh(c, writeCmd(lpDir(s.arg) + "/enabled", "0"));
    if (r.exitCode != 0)
        return fail("disabling " + s.arg + " failed: " + trim(r.out + r.err));
    if (s.at("wait").text == "none")
        return ok();
    // The patch directory vanishes asynchronously once the patch is freed.
    if (!waitUntil(c, "test -e " + lpDir(s.arg) + " && echo present; true", ""))
        return stuck("patch " + s.arg + " still in sysfs " + std::to_string(c.timeout.count()) + " s after disable");
    return ok();
}

StepOutcome waitTransition(const Step& s, StepContext& c) {
    std::string want = s.at("value").text, last;
    if (waitUntil(c, "cat " + lpDir(s.arg) + "/transition 2>&1", want, &last))
        return ok();
    return stuck(lpDir(s.arg) + "/transition is " + last + ", expected " + want + " within " +
                 std::to_string(c.timeout.count()) + " s");
}

StepOutcome write(const Step& s, StepContext& c) {
    const std::string& value = s.at("value").text;
    auto a = kernelCall(c, "write " + q(s.arg) + " " + q(value));
    if (s.has("errno"))
        return expectRefusal(a, "writing '" + value + "' to " + s.arg, s.at("errno").errnoName);
    return a.ok ? ok() : fail("writing '" + value + "' to " + s.arg + " failed: " + a.text);
}

// A value as a message shows it: a huge command output is cut to its ends.
std::string shown(const std::string& got) {
    constexpr size_t kEnd = 1000;
    if (got.size() <= 2 * kEnd)
        return got;
    return got.substr(0, kEnd) + "\n... (" + std::to_string(got.size() - 2 * kEnd) + " bytes) ...\n" +
           got.substr(got.size() - kEnd);
}

StepOutcome checkValue(const Step& s, const std::string& what, const std::string& got) {
    if (s.has("expect") && got != s.at("expect").text)
        return fail(what + " is \"" + shown(got) + "\", expected \"" + s.at("expect").text + "\"");
    if (s.has("expect-re") && !check::regexSearch(s.at("expect-re").text, got))
        return fail(what + " is \"" + shown(got) + "\", expected to match /" + s.at("expect-re").text + "/");
    return ok();
}

StepOutcome read(const Step& s, StepContext& c) {
    auto r = sh(c, "cat " + s.arg + " 2>&1");
    if (r.exitCode != 0)
        return fail("cannot read " + s.arg + ": " + trim(r.out));
    return checkValue(s, s.arg, trim(r.out));
}

StepOutcome holdTask(const Step& s, StepContext& c, const char* v) {
    const std::string& target = s.arg;  // the row's default: klp_target
    auto r = sh(c, writeCmd("/sys/kernel/" + target + "/hold", v));
    if (r.exitCode != 0)
        return fail("cannot set " + target + " hold: " + trim(r.out));
    if (std::string(v) == "0")
        return ok();
    // Held means the kthread sleeps in klp_target_busy_sleep (or a patch's
    // replacement of it), not merely that it was asked to: a step after `hold`
    // (a transition that must block) would race with its wake-up otherwise.
    std::string comm = (target + "_busy").substr(0, 15);  // TASK_COMM_LEN
    std::string state;
    if (waitUntil(c, "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = " + q(comm) +
                         " ] && grep -q klp_target_busy_sleep $p/stack 2>/dev/null && echo held; done; true",
                  "held", &state))
        return ok();
    return fail(target + "'s busy kthread (" + comm + ") is not sleeping in klp_target_busy_sleep after " +
                std::to_string(c.timeout.count()) + " s");
}

StepOutcome signal(const Step& s, StepContext& c) {
    const std::string& task = s.at("task").text;
    auto pids = pidsOf(c, task);
    if (pids.empty())
        return fail("no task named " + task);
    std::string list;
    for (const auto& p : pids)
        list += " " + p;
    // Tasks may go on their own meanwhile (a parent's TERM takes its children):
    // what counts is that the signal reached at least one of them.
    std::string n = out(c, "n=0; for p in" + list + "; do kill -" + s.arg + " $p 2>/dev/null && n=$((n+1)); done; echo $n");
    return n != "0" ? ok() : fail("kill -" + s.arg + list + ": no such task any more");
}

StepOutcome force(const Step& s, StepContext& c) {
    auto r = sh(c, writeCmd(lpDir(s.arg) + "/force", "1"));
    return r.exitCode == 0 ? ok() : fail("forcing " + s.arg + " failed: " + trim(r.out));
}

StepOutcome run(const Step& s, StepContext& c) {
    auto r = sh(c, s.arg);
    long want = s.at("exit").number;
    if (r.exitCode != want)
        return fail("`" + s.arg + "` exited " + std::to_string(r.exitCode) + ", expected " + std::to_string(want) +
                    (trim(r.out + r.err).empty() ? "" : ": " + trim(r.out + r.err)));
    return checkValue(s, "output of `" + s.arg + "`", trim(r.out));
}

StepOutcome expectSysfs(const Step& s, StepContext& c) {
    if (s.at("absent").flag)
        return out(c, "test -e " + s.arg + " && echo present; true").empty() ? ok() : fail(s.arg + " exists");
    if (s.at("unreadable").flag) {
        auto r = sh(c, "test -e " + s.arg + " && cat " + s.arg);
        return r.exitCode != 0 && out(c, "test -e " + s.arg + " && echo present") == "present"
                   ? ok()
                   : fail(s.arg + " should exist and refuse to be read");
    }
    if (!s.has("value") && !s.has("expect-re"))  // it exists (a file or a directory)
        return out(c, "test -e " + s.arg + " && echo present; true") == "present" ? ok() : fail(s.arg + " does not exist");
    auto r = sh(c, "cat " + s.arg + " 2>&1");
    if (r.exitCode != 0)
        return fail("cannot read " + s.arg + ": " + trim(r.out));
    if (s.has("value") && trim(r.out) != s.at("value").text)
        return fail(s.arg + " is \"" + trim(r.out) + "\", expected \"" + s.at("value").text + "\"");
    return checkValue(s, s.arg, trim(r.out));
}

StepOutcome expectPatchState(const Step& s, StepContext& c) {
    auto pids = pidsOf(c, s.arg);
    if (pids.empty())
        return fail("no task named " + s.arg);
    for (const auto& p : pids) {
        std::string v = out(c, "cat /proc/" + p + "/patch_state");
        if (v != s.at("value").text)
            return fail(s.arg + " (pid " + p + ") patch_state is " + v + ", expected " + s.at("value").text);
    }
    return ok();
}

StepOutcome expectBlocked(const Step& s, StepContext& c) {
    std::string t = out(c, "cat " + lpDir(s.arg) + "/transition 2>&1");
    if (t != "1")
        return fail("no transition of " + s.arg + " in progress (transition: " + t + ")");
    const std::string& task = s.at("task").text;
    const std::string& function = s.at("function").text;
    auto pids = pidsOf(c, task);
    if (pids.empty())
        return fail("no task named " + task);
    for (const auto& p : pids) {
        std::string stack = out(c, "cat /proc/" + p + "/stack");
        if (stack.find(function) != std::string::npos)
            return ok();
        if (&p == &pids.back())
            return fail(task + " (pid " + p + ") is not in " + function + "; its stack:\n" + stack);
    }
    return ok();
}

StepOutcome sleep(const Step& s, StepContext&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(s.argValue.seconds * 1000)));
    return ok();
}

StepOutcome waitLog(const Step& s, StepContext& c) {
    auto deadline = std::chrono::steady_clock::now() + c.timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        // The follower's file holds every record since boot, however many the
        // ring buffer dropped since (dmesg would miss them).
        if (sh(c, std::string("grep -c -F -e ") + q(s.arg) + " " + kKernelLogFile + "; true").out.substr(0, 1) != "0")
            return ok();
        std::this_thread::sleep_for(500ms);
    }
    return fail("\"" + s.arg + "\" not in the kernel log within " + std::to_string(c.timeout.count()) + " s");
}

// KTAP / TAP output: each subtest is reported; see check/ktap.h.
StepOutcome ktap(const Step& s, StepContext& c) {
    auto r = sh(c, s.arg);
    auto k = check::parseKtap(r.out);
    std::string problem = k.problem();
    StepOutcome o = problem.empty() ? ok() : fail("`" + s.arg + "`: " + problem);
    o.subtests = k.subtests;
    return o;
}

// ---- Value kinds: each one's validator ----

// "exit must be ..." for an option, "sleep takes ..." for a verb's own value.
std::string mustBe(const std::string& subject, bool isArg) { return subject + (isArg ? " takes " : " must be "); }

std::string joinedWith(const std::vector<std::string>& words, const std::string& sep, const std::string& last,
                       const std::string& quote = "") {
    std::string out;
    for (size_t i = 0; i < words.size(); i++)
        out += (i == 0 ? "" : i + 1 == words.size() ? last : sep) + quote + words[i] + quote;
    return out;
}

std::string numberText(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

// A plain decimal ("2", "0.5"): no sign, exponent, hex, inf or nan.
bool readDecimal(const std::string& text, double* v) {
    if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos)
        return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
    return ec == std::errc() && end == text.data() + text.size();
}

void readSeconds(const ValueSpec& spec, Value& v, const std::string& subject, bool isArg) {
    if (!readDecimal(v.text, &v.seconds) || v.seconds < spec.lo || (spec.lo > 0 && v.seconds == 0))
        throw std::invalid_argument(mustBe(subject, isArg) + (spec.lo > 0 ? "a positive" : "a") + " number of seconds");
    if (v.seconds > spec.hi)
        throw std::invalid_argument(mustBe(subject, isArg) + "at most " + numberText(spec.hi) + " seconds");
}

void readInteger(const ValueSpec& spec, Value& v, const std::string& subject, bool isArg) {
    const std::string& t = v.text;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v.number);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size())
        throw std::invalid_argument(mustBe(subject, isArg) + "a number");
    if (v.number < spec.lo || v.number > spec.hi)
        throw std::invalid_argument(mustBe(subject, isArg) + spec.describe() + " (got " + t + ")");
}

void readArches(Value& v, const std::string& subject) {
    std::string list = v.text;
    std::replace(list.begin(), list.end(), ',', ' ');
    std::istringstream in(list);
    for (std::string a; in >> a;)
        v.arches.push_back(a);
    auto known = vm::knownArches();
    std::string knownText = joinedWith(known, ", ", ", ");
    if (v.arches.empty())
        throw std::invalid_argument("'" + subject + "' names no arch (" + knownText + ")");
    for (const auto& a : v.arches)
        if (std::find(known.begin(), known.end(), a) == known.end())
            throw std::invalid_argument("unknown arch '" + a + "' in '" + subject + "' (" + knownText + ")");
}

// A "major.minor" version like 6.12.
void readKernelVersion(const Value& v, const std::string& subject) {
    int a = 0, b = 0;
    char rest = 0;
    if (std::sscanf(v.text.c_str(), "%d.%d%c", &a, &b, &rest) != 2 || a <= 0 || b < 0 ||
        v.text.find_first_not_of("0123456789.") != std::string::npos)
        throw std::invalid_argument(subject + " '" + v.text + "' is not a version like 6.12");
}

// A module a step names: ours (or a run's own), or a guest path.
void checkModule(const std::string& module, const CaseNames* names) {
    if (!names || module.find('/') != std::string::npos || names->modules.count(module) ||
        (names->unsetVarsOk && module.find('<') != std::string::npos))
        return;
    std::vector<std::string> known(names->modules.begin(), names->modules.end());
    throw std::invalid_argument("unknown module '" + module + "' (known: " + joinedWith(known, ", ", ", ") +
                                "; or a path in the guest)");
}

// `kill -NAME` takes the names without SIG; glibc names 1..31 (sigabbrev_np).
void checkSignal(const std::string& name) {
    for (int sig = 1; sig < 32; sig++)
        if (const char* n = sigabbrev_np(sig); n && name == n)
            return;
    throw std::invalid_argument("unknown signal '" + name + "' (a name like TERM, STOP, CONT, KILL, without SIG)");
}

bool isSymbol(const std::string& s) {
    return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) &&
           s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") == std::string::npos;
}

// TASK_COMM_LEN is 16 with the NUL: a longer name never matches a task's comm.
constexpr size_t kCommChars = 15;

// ---- The table ----

ValueSpec kind(Kind k) { return {k, 0, 0, {}}; }
ValueSpec integer(long lo, long hi) { return {Kind::Integer, static_cast<double>(lo), static_cast<double>(hi), {}}; }
ValueSpec seconds(double lo, double hi) { return {Kind::Seconds, lo, hi, {}}; }
ValueSpec oneOf(std::vector<std::string> words) { return {Kind::Word, 0, 0, std::move(words)}; }

// A day: longer is a typo, and keeps seconds * 1000 far from overflowing.
constexpr double kMaxSeconds = 86400;

Option arg(Kind k) { return {"", kind(k), "", true, ""}; }
Option argNamed(std::string name, Kind k) { return {std::move(name), kind(k), "", true, ""}; }

const Option kParams{"params", kind(Kind::Text), "", false, "module parameters, as `insmod` takes them (`name=value ...`)"};
const Option kExpect{"expect", kind(Kind::Text), "", false, "the output (trailing newline dropped) must be exactly this"};
const Option kExpectRe{"expect-re", kind(Kind::Regex), "", false, "the output must match this regex"};

// The verb's value as the docs and messages name it: "module", "target".
std::string argName(const Verb& v) { return v.arg.name.empty() ? v.arg.value.describe() : v.arg.name; }

StepOutcome hold(const Step& s, StepContext& c) { return holdTask(s, c, "1"); }
StepOutcome release(const Step& s, StepContext& c) { return holdTask(s, c, "0"); }

}  // namespace

std::string ValueSpec::describe() const {
    switch (kind) {
    case Kind::None: return "";
    case Kind::Module: return "module";
    case Kind::Livepatch: return "patch";
    case Kind::Path: return "path";
    case Kind::Task: return "task name";
    case Kind::Signal: return "signal";
    case Kind::Command: return "shell command";
    case Kind::Text: return "text";
    case Kind::Symbol: return "function name";
    case Kind::Seconds: return "seconds";
    case Kind::Integer: return numberText(lo) + ".." + numberText(hi);
    case Kind::Errno: return "errno name";
    case Kind::Arches: return "arches";
    case Kind::KernelVersion: return "kernel version";
    case Kind::Regex: return "regex";
    case Kind::Word: return joinedWith(words, ", ", " or ");
    case Kind::Boolean: return "true or false";
    }
    return "";
}

Value parseValue(const ValueSpec& spec, const std::string& text, const std::string& subject, bool isArg,
                 const CaseNames* names) {
    Value v;
    v.text = text;
    switch (spec.kind) {
    case Kind::None:
        if (!text.empty())
            throw std::invalid_argument(subject + " takes no value");
        break;
    case Kind::Module:
    case Kind::Livepatch:
        checkModule(text, names);
        break;
    case Kind::Path:
        if (text.empty() || text[0] != '/' || text.find('\n') != std::string::npos)
            throw std::invalid_argument(mustBe(subject, isArg) + "an absolute path in the guest (got '" + text + "')");
        break;
    case Kind::Task:
        if (text.empty() || text.size() > kCommChars)
            throw std::invalid_argument(mustBe(subject, isArg) + "a task name of 1 to 15 characters, as the kernel keeps "
                                        "it in /proc/<pid>/comm (got '" + text + "')");
        break;
    case Kind::Signal:
        checkSignal(text);
        break;
    case Kind::Command:
    case Kind::Text:
        break;
    case Kind::Symbol:
        if (!isSymbol(text))
            throw std::invalid_argument(mustBe(subject, isArg) + "a function name (got '" + text + "')");
        break;
    case Kind::Seconds:
        readSeconds(spec, v, subject, isArg);
        break;
    case Kind::Integer:
        readInteger(spec, v, subject, isArg);
        break;
    case Kind::Errno:
        try {
            v.errnoName = canonicalErrno(text);
        } catch (const UsageError& e) {
            throw std::invalid_argument(e.what());
        }
        break;
    case Kind::Arches:
        readArches(v, subject);
        break;
    case Kind::KernelVersion:
        readKernelVersion(v, subject);
        break;
    case Kind::Regex:
        try {
            check::compile({check::Expectation::Regex, text});
        } catch (const std::invalid_argument& err) {
            throw std::invalid_argument("bad regex \"" + text + "\": " + err.what());
        }
        break;
    case Kind::Word:
        if (std::find(spec.words.begin(), spec.words.end(), text) == spec.words.end())
            throw std::invalid_argument(mustBe(subject, isArg) + spec.describe() + " (got '" + text + "')");
        break;
    case Kind::Boolean:
        if (text != "true" && text != "false")
            throw std::invalid_argument(mustBe(subject, isArg) + "true or false (got '" + text + "')");
        v.flag = text == "true";
        break;
    }
    return v;
}

const std::vector<Option>& commonOptions() {
    // Sorted by name: the order error messages list them in.
    static const std::vector<Option> o = {
        {"arch", kind(Kind::Arches), "", false, "run the step only on these arches (`ppc64le`, or `x86_64, ppc64le`)"},
        {"comment", kind(Kind::Text), "", false, "a note for the reader; ignored"},
        {"kernel-min", kind(Kind::KernelVersion), "", false, "skip the step on kernels older than this (`6.12`)"},
        {"timeout", seconds(1, kMaxSeconds), "", false, "how long the step may take (default: the verb's timeout)"},
    };
    return o;
}

std::vector<Option> Verb::allOptions() const {
    std::vector<Option> all = options;
    for (Option o : commonOptions()) {
        if (o.name == "timeout")
            o.def = std::to_string(defaultTimeout);
        all.push_back(std::move(o));
    }
    return all;
}

const std::vector<Verb>& verbs() {
    static const std::vector<Verb> v = {
        {"load", arg(Kind::Module), {kParams}, 60,
         "loads it (`finit_module`); for a livepatch, waits until its transition is over (fails if it is not "
         "within the timeout, listing the tasks that block it)",
         load},
        {"load-nowait", arg(Kind::Module), {kParams}, 60,
         "loads it in the background; returns once its transition runs or already ended (sysfs `transition` 1 or "
         "`enabled` 1; on 6.12 the load itself waits for it)",
         loadNowait},
        {"load-fail", arg(Kind::Module),
         {{"errno", kind(Kind::Errno), "", true, "what the kernel must answer (`EINVAL`, `ENODEV`, ...)"}, kParams}, 60,
         "the module file must be there and the kernel must refuse it with that errno", loadFail},
        {"enable", arg(Kind::Livepatch), {}, 60, "writes 1 to `enabled`, waits for the transition", enable},
        {"disable", arg(Kind::Livepatch),
         {{"wait", oneOf({"gone", "none"}), "gone", false,
           "`gone`: until the patch's sysfs dir is gone; `none`: return at once"}},
         60, "writes 0 to `enabled` and waits as `wait` says. Mid-transition this reverses the transition", disable},
        {"unload", arg(Kind::Module), {}, 30, "unloads it (`delete_module`)", unload},
        {"unload-fail", arg(Kind::Module),
         {{"errno", kind(Kind::Errno), "", false, "what the kernel must answer"}}, 30,
         "the kernel must refuse to unload it: with that errno, or without `errno` any refusal but ENOENT (a "
         "module that is not loaded refuses nothing)",
         unloadFail},
        {"wait-transition", arg(Kind::Livepatch),
         {{"value", oneOf({"0", "1"}), "0", false, "the `transition` value to wait for"}}, 60,
         "waits until the patch's `transition` reads value", waitTransition},
        {"write", arg(Kind::Path),
         {{"value", kind(Kind::Text), "", true, "what to write"},
          {"errno", kind(Kind::Errno), "", false, "the kernel must refuse the write with this errno"}},
         30, "writes value and a newline (as `echo value > path`)", write},
        {"read", arg(Kind::Path), {kExpect, kExpectRe}, 30, "`cat path`, its output compared", read},
        {"hold", {"target", kind(Kind::Module), "klp_target", false, ""}, {}, 30,
         "the target's busy kthread and work item sleep in `klp_target_busy_sleep` (waits until they do)", hold},
        {"release", {"target", kind(Kind::Module), "klp_target", false, ""}, {}, 30, "lets them go", release},
        {"signal", {"", kind(Kind::Signal), "", true, "`STOP`, `CONT`, `TERM`, ... (without SIG)"},
         {{"task", kind(Kind::Task), "", true, "the tasks' name (`comm`)"}}, 30,
         "`kill -SIG` every task with that name", signal},
        {"force", arg(Kind::Livepatch), {}, 30, "writes 1 to the patch's `force`", force},
        {"run", arg(Kind::Command),
         {{"exit", integer(0, 255), "0", false, "the exit code it must end with"}, kExpect, kExpectRe}, 60,
         "runs it in the guest (`/bin/sh`); checks exit code and stdout", run},
        {"expect-sysfs", arg(Kind::Path),
         {{"value", kind(Kind::Text), "", false, "the file must read exactly this (trailing newline dropped)"},
          kExpectRe,
          {"absent", kind(Kind::Boolean), "false", false, "`true`: the path must not exist"},
          {"unreadable", kind(Kind::Boolean), "false", false, "`true`: it exists but reading it fails (like `force`)"}},
         30, "the path exists (a file or a directory), and reads or matches what the options say", expectSysfs},
        {"expect-patch-state", argNamed("task", Kind::Task),
         {{"value", oneOf({"-1", "0", "1"}), "", true, "the state every such task must be in"}}, 30,
         "`/proc/<pid>/patch_state` of every task with that name", expectPatchState},
        {"expect-blocked", arg(Kind::Livepatch),
         {{"task", kind(Kind::Task), "", true, "the task's name (`comm`)"},
          {"function", kind(Kind::Symbol), "", true, "a function on its stack"}},
         30, "the patch's transition runs and the task sleeps in function (`/proc/<pid>/stack`)", expectBlocked},
        {"wait-log", arg(Kind::Text), {}, 60, "waits until the kernel log contains text", waitLog},
        {"sleep", {"", seconds(0, kMaxSeconds), "", true, ""}, {}, 600, "waits on the host side", sleep},
        {"ktap", arg(Kind::Command), {}, 120,
         "runs it; its KTAP/TAP output (`ok N - ...`, `not ok N - ...`, plan `1..N`) is parsed, each subtest "
         "reported; any `not ok` or a plan mismatch fails",
         ktap},
        {"kselftest", arg(Kind::Command), {}, 600,
         "runs a kselftest-style script and judges it as kselftest's runner does: exit 0 passes, 4 skips, anything "
         "else fails with the script's own expected-vs-result diff; its tests are reported as subtests",
         runKselftest},
    };
    return v;
}

const Verb* findVerb(const std::string& name) {
    for (const auto& v : verbs())
        if (v.name == name)
            return &v;
    return nullptr;
}

void readStep(const Verb& v, Step& s, const std::map<std::string, std::string>& texts, const CaseNames* names,
              const std::function<void(const std::string& key, const std::string& what)>& bad) {
    const std::vector<Option> options = v.allOptions();
    auto row = [&](const std::string& name) {
        auto it = std::find_if(options.begin(), options.end(), [&](const Option& o) { return o.name == name; });
        return it == options.end() ? nullptr : &*it;
    };
    auto read = [&](const std::string& key, const ValueSpec& spec, const std::string& text, bool isArg,
                    const CaseNames* checked) {
        try {
            return parseValue(spec, text, key, isArg, checked);
        } catch (const std::invalid_argument& e) {
            bad(key, e.what());
            throw;  // `bad` throws; never reached
        }
    };
    for (const auto& [key, text] : texts) {
        const Option* o = row(key);
        if (!o) {
            std::vector<std::string> allowed;
            for (const auto& a : options)
                allowed.push_back(a.name);
            allowed.push_back("log");
            bad(key, "'" + v.name + "' has no option '" + key + "' (allowed: " + joinedWith(allowed, ", ", ", ") + ")");
        }
        s.opts[key] = read(key, o->value, text, false, names);
    }
    for (const auto& o : options) {
        if (s.opts.count(o.name))
            continue;
        if (o.required)
            bad("", "'" + v.name + "' needs '" + o.name + "'");
        if (!o.def.empty())
            s.opts[o.name] = read(o.name, o.value, o.def, false, nullptr);
    }
    if (s.arg.empty() && v.arg.required)
        bad("", "'" + v.name + "' needs a " + argName(v) + " ('- " + v.name + ": <" + argName(v) + ">')");
    bool given = !s.arg.empty();
    if (!given)
        s.arg = v.arg.def;
    if (given || !s.arg.empty())
        s.argValue = read(v.name, v.arg.value, s.arg, true, given ? names : nullptr);
}

Step makeStep(const std::string& verb, const std::string& arg, const std::map<std::string, std::string>& options) {
    const Verb* v = findVerb(verb);
    if (!v)
        throw UsageError("no verb '" + verb + "'");
    Step s;
    s.verb = verb;
    s.arg = arg;
    readStep(*v, s, options, nullptr, [](const std::string&, const std::string& what) { throw UsageError(what); });
    return s;
}

std::chrono::seconds stepTimeout(const Step& s) {
    if (s.has("timeout"))
        return std::chrono::seconds(static_cast<long>(std::ceil(s.at("timeout").seconds)));
    const Verb* v = findVerb(s.verb);
    return std::chrono::seconds(v ? v->defaultTimeout : 60);
}

std::string stepSkipReason(const Step& s, const std::string& arch, const std::string& kernelRelease) {
    auto arches = stepArches(s);
    if (!arches.empty() && std::find(arches.begin(), arches.end(), arch) == arches.end())
        return "only on " + s.opt("arch");
    if (s.has("kernel-min") && !kernelAtLeast(kernelRelease, s.at("kernel-min").text))
        return "needs kernel " + s.at("kernel-min").text;
    return "";
}

namespace {
std::string withoutBackticks(std::string s) {
    std::erase(s, '`');
    return s;
}

// "seconds, default 60" / "errno name, required".
std::string optionTerms(const Option& o, bool markdown) {
    std::string q = markdown ? "`" : "";
    return o.value.describe() + (o.required ? ", required" : o.def.empty() ? "" : ", default " + q + o.def + q);
}
// "    exit (0..255, default 0)     the exit code it must end with"
std::string optionLine(const Option& o) {
    std::string head = o.name + (o.value.kind == Kind::None ? "" : " (" + optionTerms(o, false) + ")");
    char line[512];
    std::snprintf(line, sizeof line, "    %-34s %s", head.c_str(), withoutBackticks(o.doc).c_str());
    return trim(line) + "\n";
}
}  // namespace

std::string verbsText() {
    std::string out;
    char line[512];
    for (const auto& v : verbs()) {
        std::string head = v.name + (v.arg.value.kind == Kind::None ? "" : " <" + argName(v) + ">");
        std::snprintf(line, sizeof line, "%-26s %s (timeout %d s)\n", head.c_str(), withoutBackticks(v.doc).c_str(),
                      v.defaultTimeout);
        out += line;
        if (!v.arg.doc.empty() || !v.arg.def.empty())
            out += optionLine({"<" + argName(v) + ">", v.arg.value, v.arg.def, false, v.arg.doc});
        for (const auto& o : v.options)
            out += optionLine(o);
    }
    out += "\nEvery step also takes:\n";
    for (const auto& o : commonOptions())
        out += optionLine(o);
    out += optionLine({"log", {}, "", false, "kernel log lines the step must print, as a case's log: takes them"});
    return out;
}

std::string verbsMarkdown() {
    std::string out = "| verb | value | options | timeout | what it does |\n|---|---|---|---|---|\n";
    for (const auto& v : verbs()) {
        std::string value = v.arg.value.kind == Kind::None ? "" : argName(v);
        if (!v.arg.def.empty())
            value += " (default `" + v.arg.def + "`)";
        if (!v.arg.doc.empty())
            value += " (" + v.arg.doc + ")";
        std::string options;
        for (const auto& o : v.options)
            options += (options.empty() ? "" : "<br>") + ("`" + o.name + "` (" + optionTerms(o, true) + "): " + o.doc);
        out += "| `" + v.name + "` | " + value + " | " + options + " | " + std::to_string(v.defaultTimeout) + " s | " +
               v.doc + " |\n";
    }
    out += "\nEvery step also takes:\n\n| option | value | what it does |\n|---|---|---|\n";
    for (const auto& o : commonOptions())
        out += "| `" + o.name + "` | " + o.value.describe() + " | " + o.doc + " |\n";
    out += "| `log` | expectations | kernel log lines the step must print, as a case's `log:` takes them |\n";
    return out;
}

std::string canonicalErrno(const std::string& name) {
    // Names as glibc's strerrorname_np gives them (the guest tool prints those);
    // the usual aliases map onto them.
    static const std::map<std::string, std::string> known = [] {
        std::map<std::string, std::string> m;
        for (int e = 1; e < 200; e++)
            if (const char* n = strerrorname_np(e))
                m[n] = n;
        for (const auto& [alias, canonical] : {std::pair{"EWOULDBLOCK", "EAGAIN"}, std::pair{"ENOTSUP", "EOPNOTSUPP"},
                                              std::pair{"EDEADLOCK", "EDEADLK"}})
            m[alias] = canonical;
        return m;
    }();
    auto it = known.find(name);
    if (it == known.end())
        throw UsageError("unknown errno '" + name + "' (a name like EINVAL, EBUSY, ENODEV)");
    return it->second;
}

bool kernelAtLeast(const std::string& release, const std::string& min) {
    auto parse = [](const std::string& s) {
        int a = 0, b = 0;
        std::sscanf(s.c_str(), "%d.%d", &a, &b);
        return std::make_pair(a, b);
    };
    return parse(release) >= parse(min);
}

}  // namespace klp::cases
