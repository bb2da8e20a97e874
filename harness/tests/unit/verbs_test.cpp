// The verbs' own logic against a scripted guest answering as the real one does
// (klp-syscall's "errno ENAME N: text", sysfs values with their newline,
// /proc/<pid>/stack frames). The catalog on real guests stays the test of the
// kernel's side; these pin what a verb asks and how it judges the answers.
#include <gtest/gtest.h>

#include "cases/case_file.h"
#include "cases/verbs.h"
#include "scripted_guest.h"
#include "util/error.h"

using namespace klp;
using test::kAnyTimes;
using test::re;
using test::said;

namespace {
const std::string kSys = "/sys/kernel/livepatch/";

// Runs one step written as in a case file ("- load: klp_basic\n    timeout: 1").
cases::StepOutcome runStep(const std::string& step, test::ScriptedGuest& guest) {
    auto names = cases::ourCaseNames();
    auto c = cases::parseCaseText("title: t\nsteps:\n  " + step + "\n", "c.yaml", "c", &names);
    const cases::Step& s = c.steps.at(0);
    cases::StepContext ctx{guest, cases::stepTimeout(s)};
    return cases::findVerb(s.verb)->run(s, ctx);
}

// The step's failure message ("" when it passed), the guest answering `script` in order.
std::string failureOf(const std::string& step,
                      std::initializer_list<std::pair<test::CommandPattern, guest::ExecResult>> script) {
    test::ScriptedGuest guest;
    for (const auto& [pattern, answer] : script)
        guest.expect(pattern, answer);
    auto o = runStep(step, guest);
    return o.ok ? "" : o.message;
}

// A real /proc/<pid>/stack of klp_target's busy kthread (x86_64, 6.12).
const std::string kBusyStack =
    "[<0>] klp_target_busy_sleep+0x1c/0x40 [klp_target]\n"
    "[<0>] klp_target_busy_fn+0x2f/0x60 [klp_target]\n"
    "[<0>] kthread+0xcf/0x100\n"
    "[<0>] ret_from_fork+0x31/0x50\n"
    "[<0>] ret_from_fork_asm+0x1a/0x30\n";

const std::string kPidsOf = "/proc/[0-9]*";  // pidsOf's loop over /proc
}  // namespace

TEST(Verbs, LoadWaitsUntilTheTransitionIsOver) {
    test::ScriptedGuest guest;
    guest.expect("klp-syscall load /lib/klp/klp_basic.ko", said("ok\n"))
        .expect("test -d " + kSys + "klp_basic", said("patch\n"))
        .expect("cat " + kSys + "klp_basic/transition", said("1\n"), 2)
        .expect("cat " + kSys + "klp_basic/transition", said("0\n"));
    auto o = runStep("- load: klp_basic", guest);
    EXPECT_TRUE(o.ok) << o.message;
}

TEST(Verbs, LoadOfAModuleThatIsNoLivepatchIsDoneWhenLoaded) {
    test::ScriptedGuest guest;
    guest.expect("klp-syscall load /lib/klp/klp_target.ko hold=1", said("ok\n"))
        .expect("test -d " + kSys + "klp_target", said(""));
    EXPECT_TRUE(runStep("- load: klp_target\n    params: hold=1", guest).ok);
}

TEST(Verbs, LoadWhoseTransitionNeverEndsIsStuck) {
    test::ScriptedGuest guest;
    guest.expect("klp-syscall load", said("ok\n"))
        .expect("test -d", said("patch\n"))
        .expect("klp_basic/transition", said("1\n"), kAnyTimes);
    auto o = runStep("- load: klp_basic\n    timeout: 1", guest);
    EXPECT_FALSE(o.ok);
    EXPECT_TRUE(o.stuck) << "a stuck transition gets the blocked tasks dumped";
    EXPECT_EQ(o.message, "transition of klp_basic still running after 1 s");
}

TEST(Verbs, LoadRefusedByTheKernelFails) {
    test::ScriptedGuest guest;
    guest.expect("klp-syscall load", said("errno ENOEXEC 8: Exec format error\n", 1));
    auto o = runStep("- load: klp_basic", guest);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.message, "loading klp_basic failed: errno ENOEXEC 8: Exec format error");
}

TEST(Verbs, LoadFailComparesTheKernelsErrno) {
    const test::CommandPattern file = "test -f /lib/klp/klp_basic.ko && echo yes", load = "klp-syscall load /lib/klp/klp_basic.ko";
    const auto einval = said("errno EINVAL 22: Invalid argument\n", 1);
    EXPECT_EQ(failureOf("- load-fail: klp_basic\n    errno: EINVAL", {{file, said("yes\n")}, {load, einval}}), "");
    EXPECT_EQ(failureOf("- load-fail: klp_basic\n    errno: ENODEV", {{file, said("yes\n")}, {load, einval}}),
              "loading klp_basic failed with EINVAL, expected ENODEV (errno EINVAL 22: Invalid argument)");
    // An alias names the same errno.
    EXPECT_EQ(failureOf("- load-fail: klp_basic\n    errno: EWOULDBLOCK",
                        {{file, said("yes\n")}, {load, said("errno EAGAIN 11: Resource temporarily unavailable\n", 1)}}),
              "");
    // klp-syscall's own trouble (exit 2) is not the kernel's answer.
    EXPECT_EQ(failureOf("- load-fail: klp_basic\n    errno: EINVAL",
                        {{file, said("yes\n")},
                         {load, said("", 2, "klp-syscall: cannot open /lib/klp/klp_basic.ko: Permission denied\n")}}),
              "loading klp_basic did not reach the kernel: klp-syscall: cannot open /lib/klp/klp_basic.ko: Permission denied");
    EXPECT_EQ(failureOf("- load-fail: klp_basic\n    errno: EINVAL", {{file, said("yes\n")}, {load, said("ok\n")}}),
              "loading klp_basic succeeded, expected EINVAL");
    EXPECT_EQ(failureOf("- load-fail: klp_basic\n    errno: EINVAL", {{file, said("")}}),
              "no module file /lib/klp/klp_basic.ko in the guest: nothing to refuse");
}

TEST(Verbs, UnloadFailWithoutErrnoWantsARefusalOfALoadedModule) {
    const test::CommandPattern unload = "klp-syscall unload klp_basic";
    EXPECT_EQ(failureOf("- unload-fail: klp_basic", {{unload, said("errno EBUSY 16: Device or resource busy\n", 1)}}), "");
    EXPECT_EQ(failureOf("- unload-fail: klp_basic", {{unload, said("errno ENOENT 2: No such file or directory\n", 1)}}),
              "klp_basic is not loaded (ENOENT): no refusal to check");
}

TEST(Verbs, DisableWaitsForTheSysfsDirToVanish) {
    const std::string present = "test -e " + kSys + "klp_basic && echo present";
    EXPECT_EQ(failureOf("- disable: klp_basic", {{"{ echo '0' > " + kSys + "klp_basic/enabled; } 2>&1", said("")},
                                                 {present, said("present\n")},
                                                 {present, said("")}}),
              "");
}

TEST(Verbs, DisableWhosePatchStaysIsStuckAndWaitNoneReturnsAtOnce) {
    test::ScriptedGuest guest;
    guest.expect("klp_basic/enabled", said("")).expect("test -e", said("present\n"), kAnyTimes);
    auto o = runStep("- disable: klp_basic\n    timeout: 1", guest);
    EXPECT_TRUE(o.stuck);
    EXPECT_EQ(o.message, "patch klp_basic still in sysfs 1 s after disable");
    EXPECT_EQ(failureOf("- disable: klp_basic\n    wait: none", {{"klp_basic/enabled", said("")}}), "");
    // The shell's own message when the kernel refuses the write.
    EXPECT_EQ(failureOf("- disable: klp_basic", {{"klp_basic/enabled", said("sh: write error: Invalid argument\n", 1)}}),
              "disabling klp_basic failed: sh: write error: Invalid argument");
}

TEST(Verbs, WaitTransitionTimesOutAsStuck) {
    test::ScriptedGuest guest;
    guest.expect("cat " + kSys + "klp_basic/transition 2>&1", said("1\n"), kAnyTimes);
    auto o = runStep("- wait-transition: klp_basic\n    timeout: 1", guest);
    EXPECT_TRUE(o.stuck);
    EXPECT_EQ(o.message, kSys + "klp_basic/transition is 1, expected 0 within 1 s");
}

TEST(Verbs, ExpectBlockedReadsTheTasksStack) {
    test::ScriptedGuest guest;
    guest.expect("cat " + kSys + "klp_busy/transition", said("1\n"))
        .expect(kPidsOf, said("412\n"))
        .expect("cat /proc/412/stack", said(kBusyStack));
    auto o = runStep("- expect-blocked: klp_busy\n    task: klp_target_busy\n    function: klp_target_busy_sleep", guest);
    EXPECT_TRUE(o.ok) << o.message;
    EXPECT_NE(guest.commands().at(1).find("'klp_target_busy'"), std::string::npos) << "the task's name, quoted";

    EXPECT_EQ(failureOf("- expect-blocked: klp_busy\n    task: klp_target_busy\n    function: klp_target_read_sleep",
                        {{"transition", said("1\n")}, {kPidsOf, said("412\n")}, {"/proc/412/stack", said(kBusyStack)}}),
              "klp_target_busy (pid 412) is not in klp_target_read_sleep; its stack:\n" +
                  kBusyStack.substr(0, kBusyStack.size() - 1));
    // No transition: nothing can be blocked.
    EXPECT_EQ(failureOf("- expect-blocked: klp_busy\n    task: klp_target_busy\n    function: f",
                        {{"transition", said("0\n")}}),
              "no transition of klp_busy in progress (transition: 0)");
}

TEST(Verbs, RunChecksExitCodeAndOutput) {
    EXPECT_EQ(failureOf("- run: grep -c livepatch /proc/modules\n    expect-re: \"^[0-9]+$\"",
                        {{re("^grep -c livepatch /proc/modules$"), said("2\n")}}),
              "");
    EXPECT_EQ(failureOf("- run: cat /nope", {{"cat /nope", said("", 1, "cat: can't open '/nope': No such file or directory\n")}}),
              "`cat /nope` exited 1, expected 0: cat: can't open '/nope': No such file or directory");
    EXPECT_EQ(failureOf("- run: cat /nope\n    exit: 1", {{"cat /nope", said("", 1)}}), "");
    EXPECT_EQ(failureOf("- run: uname -r\n    expect-re: \"^6\\\\.1\\\\.\"", {{"uname -r", said("6.12.57+deb12-cloud-amd64\n")}}),
              "output of `uname -r` is \"6.12.57+deb12-cloud-amd64\", expected to match /^6\\.1\\./");
}

TEST(Verbs, KtapCountsSubtests) {
    test::ScriptedGuest guest;
    guest.expect("klp-check", said("KTAP version 1\n1..3\nok 1 - patched\nnot ok 2 - unpatched\nok 3 - gone # SKIP\n", 1));
    auto o = runStep("- ktap: klp-check", guest);
    EXPECT_FALSE(o.ok);
    ASSERT_EQ(o.subtests.size(), 3u);
    EXPECT_EQ(o.subtests[1], (std::pair<std::string, bool>{"unpatched", false}));
}

TEST(Verbs, AGuestThatDoesNotAnswerIsAnErrorNotAFail) {
    test::ScriptedGuest guest;
    guest.expect("klp-syscall load", test::timedOut());
    EXPECT_THROW(runStep("- load: klp_basic", guest), TimeoutError);
}
