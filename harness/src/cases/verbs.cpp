#include "cases/verbs.h"

#include <cstring>
#include <map>
#include <sstream>
#include <thread>

#include "check/expect.h"
#include "check/ktap.h"
#include "util/error.h"

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
    auto r = c.ssh.exec(cmd, c.timeout + 30s);
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

StepOutcome fail(std::string msg) { return {false, std::move(msg), {}}; }
StepOutcome stuck(std::string msg) { return {false, std::move(msg), {}, true}; }
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
    return expectRefusal(kernelCall(c, loadArgs(s)), "loading " + s.arg, canonicalErrno(s.opt("errno")));
}

StepOutcome unload(const Step& s, StepContext& c) {
    auto a = kernelCall(c, "unload " + modName(s.arg));
    return a.ok ? ok() : fail("unloading " + s.arg + " failed: " + a.text);
}

StepOutcome unloadFail(const Step& s, StepContext& c) {
    auto a = kernelCall(c, "unload " + modName(s.arg));
    if (s.opts.count("errno"))
        return expectRefusal(a, "unloading " + s.arg, canonicalErrno(s.opt("errno")));
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
    std::string wait = s.opt("wait", "gone");
    if (wait == "none")
        return ok();
    // The patch directory vanishes asynchronously once the patch is freed.
    if (!waitUntil(c, "test -e " + lpDir(s.arg) + " && echo present; true", ""))
        return stuck("patch " + s.arg + " still in sysfs " + std::to_string(c.timeout.count()) + " s after disable");
    return ok();
}

StepOutcome waitTransition(const Step& s, StepContext& c) {
    std::string want = s.opt("value", "0"), last;
    if (waitUntil(c, "cat " + lpDir(s.arg) + "/transition 2>&1", want, &last))
        return ok();
    return stuck(lpDir(s.arg) + "/transition is " + last + ", expected " + want + " within " +
                 std::to_string(c.timeout.count()) + " s");
}

StepOutcome write(const Step& s, StepContext& c) {
    auto a = kernelCall(c, "write " + q(s.arg) + " " + q(s.opt("value")));
    if (s.opts.count("errno"))
        return expectRefusal(a, "writing '" + s.opt("value") + "' to " + s.arg, canonicalErrno(s.opt("errno")));
    return a.ok ? ok() : fail("writing '" + s.opt("value") + "' to " + s.arg + " failed: " + a.text);
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
    if (s.opts.count("expect") && got != s.opt("expect"))
        return fail(what + " is \"" + shown(got) + "\", expected \"" + s.opt("expect") + "\"");
    if (s.opts.count("expect-re") && !check::regexSearch(s.opt("expect-re"), got))
        return fail(what + " is \"" + shown(got) + "\", expected to match /" + s.opt("expect-re") + "/");
    return ok();
}

StepOutcome read(const Step& s, StepContext& c) {
    auto r = sh(c, "cat " + s.arg + " 2>&1");
    if (r.exitCode != 0)
        return fail("cannot read " + s.arg + ": " + trim(r.out));
    return checkValue(s, s.arg, trim(r.out));
}

StepOutcome holdTask(const Step& s, StepContext& c, const char* v) {
    std::string target = s.arg.empty() ? "klp_target" : s.arg;
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
    auto pids = pidsOf(c, s.opt("task"));
    if (pids.empty())
        return fail("no task named " + s.opt("task"));
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
    int want = std::stoi(s.opt("exit", "0"));
    if (r.exitCode != want)
        return fail("`" + s.arg + "` exited " + std::to_string(r.exitCode) + ", expected " + std::to_string(want) +
                    (trim(r.out + r.err).empty() ? "" : ": " + trim(r.out + r.err)));
    return checkValue(s, "output of `" + s.arg + "`", trim(r.out));
}

StepOutcome expectSysfs(const Step& s, StepContext& c) {
    if (s.opt("absent") == "true")
        return out(c, "test -e " + s.arg + " && echo present; true").empty() ? ok() : fail(s.arg + " exists");
    if (s.opt("unreadable") == "true") {
        auto r = sh(c, "test -e " + s.arg + " && cat " + s.arg);
        return r.exitCode != 0 && out(c, "test -e " + s.arg + " && echo present") == "present"
                   ? ok()
                   : fail(s.arg + " should exist and refuse to be read");
    }
    if (!s.opts.count("value") && !s.opts.count("expect-re"))  // it exists (a file or a directory)
        return out(c, "test -e " + s.arg + " && echo present; true") == "present" ? ok() : fail(s.arg + " does not exist");
    auto r = sh(c, "cat " + s.arg + " 2>&1");
    if (r.exitCode != 0)
        return fail("cannot read " + s.arg + ": " + trim(r.out));
    if (s.opts.count("value") && trim(r.out) != s.opt("value"))
        return fail(s.arg + " is \"" + trim(r.out) + "\", expected \"" + s.opt("value") + "\"");
    return checkValue(s, s.arg, trim(r.out));
}

StepOutcome expectPatchState(const Step& s, StepContext& c) {
    auto pids = pidsOf(c, s.arg);
    if (pids.empty())
        return fail("no task named " + s.arg);
    for (const auto& p : pids) {
        std::string v = out(c, "cat /proc/" + p + "/patch_state");
        if (v != s.opt("value"))
            return fail(s.arg + " (pid " + p + ") patch_state is " + v + ", expected " + s.opt("value"));
    }
    return ok();
}

StepOutcome expectBlocked(const Step& s, StepContext& c) {
    std::string t = out(c, "cat " + lpDir(s.arg) + "/transition 2>&1");
    if (t != "1")
        return fail("no transition of " + s.arg + " in progress (transition: " + t + ")");
    auto pids = pidsOf(c, s.opt("task"));
    if (pids.empty())
        return fail("no task named " + s.opt("task"));
    for (const auto& p : pids) {
        std::string stack = out(c, "cat /proc/" + p + "/stack");
        if (stack.find(s.opt("function")) != std::string::npos)
            return ok();
        if (&p == &pids.back())
            return fail(s.opt("task") + " (pid " + p + ") is not in " + s.opt("function") + "; its stack:\n" + stack);
    }
    return ok();
}

StepOutcome sleep(const Step& s, StepContext&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(std::stod(s.arg) * 1000)));
    return ok();
}

StepOutcome waitLog(const Step& s, StepContext& c) {
    auto deadline = std::chrono::steady_clock::now() + c.timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (sh(c, "dmesg").out.find(s.arg) != std::string::npos)
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
    return {problem.empty(), problem.empty() ? "" : "`" + s.arg + "`: " + problem, k.subtests};
}

}  // namespace

const std::set<std::string>& commonOptions() {
    static const std::set<std::string> o = {"timeout", "kernel-min", "arch", "comment"};
    return o;
}

const std::vector<Verb>& verbs() {
    static const std::vector<Verb> v = {
        {"load", "module", {}, {"params"}, 60, "load /lib/klp/<module>.ko [params] (finit_module); for a livepatch, wait until its transition is over", load},
        {"load-nowait", "module", {}, {"params"}, 60, "load in the background; return once the patch's transition runs (or already ended)", loadNowait},
        {"load-fail", "module", {"errno"}, {"params"}, 60, "loading must fail, the kernel answering errno (EINVAL, ENODEV, ...)", loadFail},
        {"enable", "patch", {}, {}, 60, "write 1 to the patch's enabled; wait for the transition", enable},
        {"disable", "patch", {}, {"wait"}, 60, "write 0 to enabled; wait: gone (default: until the sysfs dir vanished) or none", disable},
        {"unload", "module", {}, {}, 30, "unload (delete_module)", unload},
        {"unload-fail", "module", {}, {"errno"}, 30, "the unload of a loaded module must be refused (with errno: the kernel answers that errno)", unloadFail},
        {"wait-transition", "patch", {}, {"value"}, 60, "wait until the patch's transition reads value (default 0)", waitTransition},
        {"write", "path", {"value"}, {"errno"}, 30, "write value + newline to path (with errno: the kernel must refuse it with that errno)", write},
        {"read", "path", {}, {"expect", "expect-re"}, 30, "cat path; compare with expect (exact) or expect-re (regex)", read},
        {"hold", "", {}, {}, 30, "hold the busy tasks of a target module (default klp_target) in klp_target_busy_sleep", [](const Step& s, StepContext& c) { return holdTask(s, c, "1"); }},
        {"release", "", {}, {}, 30, "release the held busy tasks", [](const Step& s, StepContext& c) { return holdTask(s, c, "0"); }},
        {"signal", "signal", {"task"}, {}, 30, "send a signal (STOP, CONT, TERM, ...) to every task named task", signal},
        {"force", "patch", {}, {}, 30, "write 1 to the patch's force", force},
        {"run", "command", {}, {"exit", "expect", "expect-re"}, 60, "run a guest shell command; check its exit code (default 0) and output", run},
        {"expect-sysfs", "path", {}, {"value", "expect-re", "absent", "unreadable"}, 30, "path exists; reads value / matches expect-re; or is absent / exists but cannot be read", expectSysfs},
        {"expect-patch-state", "task", {"value"}, {}, 30, "/proc/<pid>/patch_state of every task with this name is value (-1, 0, 1)", expectPatchState},
        {"expect-blocked", "patch", {"task", "function"}, {}, 30, "the patch's transition is running and task sleeps in function (/proc/<pid>/stack)", expectBlocked},
        {"wait-log", "text", {}, {}, 60, "wait until the kernel log contains text", waitLog},
        {"sleep", "seconds", {}, {}, 600, "sleep on the host side", sleep},
        {"ktap", "command", {}, {}, 120, "run a guest command printing KTAP/TAP; every subtest is reported, any 'not ok' fails", ktap},
    };
    return v;
}

const Verb* findVerb(const std::string& name) {
    for (const auto& v : verbs())
        if (v.name == name)
            return &v;
    return nullptr;
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
