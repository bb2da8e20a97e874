// check/: log normalisation, FileCheck-style matching, crash classification.
// Fixtures are kernel output recorded from real guests (tests/unit/fixtures/).
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <ostream>

#include "check/crash.h"
#include "check/expect.h"
#include "check/kernel_log.h"
#include "util/files.h"

using namespace klp;
using namespace klp::check;

namespace {
std::string fixture(const std::string& name) { return readFile(std::string(KLP_FIXTURES) + "/" + name); }

Expectation lit(const std::string& t, int line = 1) { return {Expectation::Contains, t, line}; }
Expectation re(const std::string& t, int line = 1) { return {Expectation::Regex, t, line}; }
Expectation no(const std::string& t, int line = 1) { return {Expectation::NotContains, t, line}; }
}  // namespace

TEST(KernelLog, StripsTimestampCallerIdAndTaint) {
    EXPECT_EQ(normaliseLine("[    2.429252] klp_state_v1: post_patch"), "klp_state_v1: post_patch");
    EXPECT_EQ(normaliseLine("[   12.000001] [  T123] livepatch: enabling patch 'x'"), "livepatch: enabling patch 'x'");
    EXPECT_EQ(normaliseLine("[    1.5] [    C1] rcu: hello"), "rcu: hello");
    EXPECT_EQ(normaliseLine("CPU: 0 PID: 113 Comm: insmod Tainted: G           OE K    6.1.0-56-cloud-amd64 #1"),
              "CPU: 0 PID: 113 Comm: insmod 6.1.0-56-cloud-amd64 #1");
    EXPECT_EQ(normaliseLine("CPU: 0 PID: 1 Comm: sh Not tainted 6.12.117+deb12-cloud-amd64 #1"),
              "CPU: 0 PID: 1 Comm: sh 6.12.117+deb12-cloud-amd64 #1");
    EXPECT_EQ(normaliseLine("no prefix at all"), "no prefix at all");
}

TEST(KernelLog, DropsTaintOnlyLinesAndBlankLines) {
    auto lines = normaliseLog(
        "[    2.4] klp_target: loading out-of-tree module taints kernel.\n"
        "[    2.4] klp_target: module verification failed: signature and/or required key missing - tainting kernel\n"
        "\n"
        "[    2.4] klp_basic: tainting kernel with TAINT_LIVEPATCH\n"
        "[    2.5] klp_basic: enabling\n");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "klp_basic: enabling");
}

TEST(Expect, OrderedPositiveLines) {
    std::vector<std::string> log = {"a one", "b two", "c three"};
    EXPECT_TRUE(matchLog({lit("one"), lit("three")}, log).ok);
    auto r = matchLog({lit("three"), lit("one")}, log);  // order matters
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.failed, 1);
    EXPECT_NE(r.message.find("no match for \"one\""), std::string::npos) << r.message;
}

TEST(Expect, RegexLines) {
    std::vector<std::string> log = {"klp_state_v1: post_patch: state 1 version 1: loglevel 4 -> 8"};
    EXPECT_TRUE(matchLog({re(R"(loglevel \d+ -> 8$)")}, log).ok);
    EXPECT_FALSE(matchLog({re(R"(loglevel \d+ -> 9$)")}, log).ok);
}

TEST(Expect, NotBetweenMatches) {
    std::vector<std::string> log = {"start", "Oops: 0002", "end"};
    auto r = matchLog({lit("start"), no("Oops"), lit("end")}, log);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.failed, 1);
    EXPECT_EQ(r.lineOfFailure, 1);
    EXPECT_NE(r.message.find("  > Oops: 0002"), std::string::npos) << r.message;
    // Outside its window a `not` line does not count.
    EXPECT_TRUE(matchLog({lit("end"), no("Oops")}, log).ok);
    EXPECT_FALSE(matchLog({no("start"), lit("Oops")}, {"start", "Oops: x"}).ok);
    EXPECT_TRUE(matchLog({no("start"), lit("Oops")}, {"Oops: x", "start"}).ok);
}

TEST(Expect, TrailingNotCoversTheRest) {
    EXPECT_FALSE(matchLog({lit("a"), no("b")}, {"a", "x", "b"}).ok);
    EXPECT_TRUE(matchLog({lit("a"), no("b")}, {"b", "a", "x"}).ok);
}

TEST(Expect, FailureShowsTheLogWhereTheSearchBegan) {
    std::vector<std::string> log = {"before", "livepatch: 'p': starting patching transition", "after 1", "after 2"};
    auto r = matchLog({lit("starting patching"), lit("patching complete", 17)}, log);
    ASSERT_FALSE(r.ok);
    EXPECT_NE(r.message.find("case line 17"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("after 1"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("after 2"), std::string::npos) << r.message;
}

TEST(Expect, RealLogFromAStateTransition) {
    auto lines = normaliseLog(fixture("state-v1-dmesg.txt"));
    EXPECT_TRUE(matchLog({lit("klp_state_v1: enabling (cumulative, state 1 version 1)"),
                          re(R"(pre_patch: state 1 version 1: allocated data \(original loglevel \d+\))"),
                          no("Oops"), lit("livepatch: 'klp_state_v1': patching complete")},
                         lines)
                    .ok);
}

TEST(Crash, PanicFromTheFaultModule) {
    auto crashes = findCrashes(fixture("panic-console.txt"));
    ASSERT_FALSE(crashes.empty());
    EXPECT_EQ(crashes.back().kind, "panic");
    EXPECT_EQ(crashes.back().title, "Kernel panic - not syncing: klp_fault: requested panic");
    EXPECT_TRUE(crashes.back().fatal);
}

TEST(Crash, WarningTitleIsStable) {
    auto crashes = findCrashes(fixture("warning-console.txt"));
    ASSERT_EQ(crashes.size(), 1u);
    EXPECT_EQ(crashes[0].kind, "WARNING");
    EXPECT_EQ(crashes[0].title.rfind("WARNING: at ", 0), 0u) << crashes[0].title;
    // An out-of-tree build path (it holds a cache key) is cut to the file name.
    EXPECT_EQ(crashes[0].title.rfind("WARNING: at klp_fault.c:39 trigger_store", 0), 0u) << crashes[0].title;
    // No +0x74/0xf1 offset: it changes with every build.
    EXPECT_EQ(crashes[0].title, "WARNING: at klp_fault.c:39 trigger_store");
    EXPECT_FALSE(crashes[0].fatal);  // the kernel goes on after a WARN
}

// Console output of klp_fault's triggers (guest/modules/klp_fault.c), cut to the
// incident: tests/unit/fixtures/crash/<arch>-<kernel>-<trigger>.txt are recorded from
// real guests (`klp-harness run` of a case writing the trigger; console.log of the
// case). The <arch>-format-<kind>.txt ones are NOT recorded: they were written from
// the report formats in the kernel source (mm/kasan/report.c, lib/ubsan.c,
// arch/x86/kernel/{traps,dumpstack}.c, kernel/hung_task.c) before our -debug kernels
// could provoke them, and stay as forms the recorded ones below do not cover (a
// KASAN null-ptr-deref range after a fault, a hung task).
// Every crash a fixture holds is listed: one per incident, plus the panic that ends
// some of them (a panic after an oops is reported too, as callers expect).
struct Expected {
    std::string kind, title;
    bool fatal;
};
struct CrashCase {
    std::string fixture;
    std::vector<Expected> crashes;
};

void PrintTo(const CrashCase& c, std::ostream* os) { *os << c.fixture; }
std::string fixtureName(const ::testing::TestParamInfo<CrashCase>& info) {
    std::string n = info.param.fixture.substr(0, info.param.fixture.rfind('.'));
    for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
            ch = '_';
    return n;
}

class CrashFixtures : public ::testing::TestWithParam<CrashCase> {};

TEST_P(CrashFixtures, KindTitleAndFatal) {
    const auto& p = GetParam();
    auto crashes = findCrashes(fixture("crash/" + p.fixture));
    std::string got;
    for (const auto& c : crashes)
        got += "\n  [" + c.kind + "] " + c.title + (c.fatal ? " (fatal)" : "") + " @" + std::to_string(c.line);
    ASSERT_EQ(crashes.size(), p.crashes.size()) << "found:" << got;
    for (size_t i = 0; i < crashes.size(); i++) {
        EXPECT_EQ(crashes[i].kind, p.crashes[i].kind) << i << got;
        EXPECT_EQ(crashes[i].title, p.crashes[i].title) << i << got;
        EXPECT_EQ(crashes[i].fatal, p.crashes[i].fatal) << i << got;
    }
}

const Expected kNullDeref{"BUG", "BUG: kernel NULL pointer dereference in fault_oops", true};
const Expected kGpf{"general protection fault", "general protection fault in fault_gpf", true};
const Expected kBugX86{"BUG", "kernel BUG at klp_fault.c:116!", true};
const Expected kStackProt{"stack-protector",
                          "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "
                          "fault_stackprot",
                          true};
const Expected kListAdd{"list corruption", "list_add corruption in fault_listcorrupt: next->prev should be prev", true};
const Expected kListDel{"list corruption", "list_del corruption in fault_listdel: next->prev should be entry", true};
const Expected kDoubleFault{"double fault", "PANIC: double fault in fault_doublefault", true};
const Expected kFatalInInterrupt{"panic", "Kernel panic - not syncing: Fatal exception in interrupt", true};
const Expected kRcuStall{"RCU stall", "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks", true};

INSTANTIATE_TEST_SUITE_P(
    Recorded, CrashFixtures,
    ::testing::Values(
        // x86_64, Debian's cloud kernels.
        CrashCase{"x86_64-debian-6.1-oops.txt", {kNullDeref}},
        CrashCase{"x86_64-debian-6.12-oops.txt", {kNullDeref}},  // "Oops: Oops: 0002 [#1]" on 6.12
        CrashCase{"x86_64-debian-6.1-bug.txt", {kBugX86}},       // then "invalid opcode: 0000 [#1]"
        CrashCase{"x86_64-debian-6.12-bug.txt", {kBugX86}},      // then "Oops: invalid opcode: 0000 [#1]"
        CrashCase{"x86_64-debian-6.1-gpf.txt", {kGpf}},
        CrashCase{"x86_64-debian-6.12-gpf.txt", {kGpf}},
        CrashCase{"x86_64-debian-6.1-stackprot.txt", {kStackProt}},
        CrashCase{"x86_64-debian-6.12-stackprot.txt", {kStackProt}},
        // CONFIG_DEBUG_LIST and CONFIG_BUG_ON_DATA_CORRUPTION: the report, then
        // "kernel BUG at lib/list_debug.c" and the oops header, all one crash.
        CrashCase{"x86_64-debian-6.1-listcorrupt.txt", {kListAdd}},
        CrashCase{"x86_64-debian-6.12-listcorrupt.txt", {kListAdd}},
        CrashCase{"x86_64-debian-6.1-listdel.txt", {kListDel}},
        CrashCase{"x86_64-debian-6.12-listdel.txt", {kListDel}},
        // A push through a non-canonical stack pointer: "traps: PANIC: double fault",
        // its "[Oops: ]double fault: 0000 [#1]" header, then the panic (the #DF
        // handler runs as an NMI: "Fatal exception in interrupt").
        CrashCase{"x86_64-debian-6.1-doublefault.txt", {kDoubleFault, kFatalInInterrupt}},
        CrashCase{"x86_64-debian-6.12-doublefault.txt", {kDoubleFault, kFatalInInterrupt}},
        // 30 s with preemption off: here the RCU stall came first, and its stack
        // dump touched the soft lockup watchdog, which then stayed quiet.
        CrashCase{"x86_64-debian-6.1-hang.txt", {kRcuStall}},
        CrashCase{"x86_64-debian-6.12-hang.txt", {kRcuStall}},
        // 60 s (hang_seconds=60): the soft lockup, reported again at 52 s and 78 s
        // (same CPU, same task, longer): one incident.
        CrashCase{"x86_64-debian-6.12-hang60.txt", {{"soft lockup", "watchdog: BUG: soft lockup [sh]", true}}},
        // ppc64le, our own 6.12 (printk caller ids "[   T64]"; the oops header is
        // "Oops: Kernel access of bad area, sig: 11 [#1]" or "Oops: Exception in
        // kernel mode, sig: 5 [#1]", the function is on the "NIP [...]" line).
        // "BUG: Kernel NULL pointer dereference on write at 0x00000000"
        CrashCase{"ppc64le-own-6.12-oops.txt", {kNullDeref}},
        CrashCase{"ppc64le-own-6.12-bug.txt", {{"BUG", "kernel BUG at klp_fault.c:138!", true}}},
        CrashCase{"ppc64le-own-6.12-gpf.txt", {{"BUG", "BUG: Unable to handle kernel data access in fault_gpf", true}}},
        CrashCase{"ppc64le-own-6.12-stackprot.txt", {kStackProt}},
        // CONFIG_LIST_HARDENED (no DEBUG_LIST) and CONFIG_BUG_ON_DATA_CORRUPTION.
        CrashCase{"ppc64le-own-6.12-listcorrupt.txt", {kListAdd}},
        CrashCase{"ppc64le-own-6.12-listdel.txt", {kListDel}},
        CrashCase{"ppc64le-own-6.12-warn.txt", {{"WARNING", "WARNING: at klp_fault.c:140 trigger_store", false}}},
        // hang_seconds=60; the harness destroyed the guest at the (fatal) RCU stall.
        CrashCase{"ppc64le-own-6.12-hang.txt",
                  {{"RCU stall", "rcu: INFO: rcu_sched detected stalls on CPUs/tasks", true}}},
        // ppc64le, our own 6.1: the same forms and titles.
        CrashCase{"ppc64le-own-6.1-oops.txt", {kNullDeref}},
        CrashCase{"ppc64le-own-6.1-bug.txt", {{"BUG", "kernel BUG at klp_fault.c:138!", true}}},
        CrashCase{"ppc64le-own-6.1-gpf.txt", {{"BUG", "BUG: Unable to handle kernel data access in fault_gpf", true}}},
        CrashCase{"ppc64le-own-6.1-stackprot.txt", {kStackProt}},
        CrashCase{"ppc64le-own-6.1-warn.txt", {{"WARNING", "WARNING: at klp_fault.c:140 trigger_store", false}}},
        // No CONFIG_DEBUG_LIST (and 6.1 has no LIST_HARDENED): the corruption goes
        // unreported, "klp_fault: listcorrupt: returned", no crash.
        CrashCase{"ppc64le-own-6.1-listcorrupt.txt", {}}),

    fixtureName);

// The kernel's checkers on our -debug kernel (own-6.12-debug: images/config/debug.config),
// recorded with tests/integration/cli_checkers_test.sh's RECORD_DIR (klp_fault's
// checker triggers) and cut from the module's load to its "returned" line. The
// guest goes on after each: none is fatal.
INSTANTIATE_TEST_SUITE_P(
    RecordedCheckers, CrashFixtures,
    ::testing::Values(
        CrashCase{"x86_64-own-6.12-debug-kasan-uaf.txt",
                  {{"KASAN", "BUG: KASAN: slab-use-after-free in fault_uaf", false}}},
        CrashCase{"x86_64-own-6.12-debug-kasan-oob.txt",
                  {{"KASAN", "BUG: KASAN: slab-out-of-bounds in fault_oob", false}}},
        CrashCase{"x86_64-own-6.12-debug-kfence.txt",
                  {{"KFENCE", "BUG: KFENCE: use-after-free read in fault_kfence", false}}},
        CrashCase{"x86_64-own-6.12-debug-lockdep.txt",
                  {{"lockdep", "WARNING: possible circular locking dependency detected", false}}},
        CrashCase{"x86_64-own-6.12-debug-atomic-sleep.txt",
                  {{"sleep in atomic",
                    "BUG: sleeping function called from invalid context at include/linux/sched/mm.h:321", false}}},
        CrashCase{"x86_64-own-6.12-debug-ubsan.txt",
                  {{"UBSAN", "UBSAN: array-index-out-of-bounds in klp_fault.c:150:27", false}}},
        CrashCase{"ppc64le-own-6.12-debug-kasan-uaf.txt",
                  {{"KASAN", "BUG: KASAN: slab-use-after-free in fault_uaf", false}}},
        CrashCase{"ppc64le-own-6.12-debug-kasan-oob.txt",
                  {{"KASAN", "BUG: KASAN: slab-out-of-bounds in fault_oob", false}}},
        CrashCase{"ppc64le-own-6.12-debug-kfence.txt",
                  {{"KFENCE", "BUG: KFENCE: use-after-free read in fault_kfence", false}}},
        CrashCase{"ppc64le-own-6.12-debug-lockdep.txt",
                  {{"lockdep", "WARNING: possible circular locking dependency detected", false}}},
        CrashCase{"ppc64le-own-6.12-debug-atomic-sleep.txt",
                  {{"sleep in atomic",
                    "BUG: sleeping function called from invalid context at include/linux/sched/mm.h:321", false}}},
        CrashCase{"ppc64le-own-6.12-debug-ubsan.txt",
                  {{"UBSAN", "UBSAN: array-index-out-of-bounds in klp_fault.c:150:27", false}}},
        // A finding, not a trigger: our state modules freed a state's shared data
        // under the patch above (cases/state/disable-lower-of-sharing.yaml, before
        // guest/modules/state_common.h counted its users).
        CrashCase{"x86_64-own-6.12-debug-state-uaf.txt",
                  {{"KASAN", "BUG: KASAN: slab-use-after-free in state_pre_unpatch", false}}}),
    fixtureName);

INSTANTIATE_TEST_SUITE_P(
    WrittenFromFormat, CrashFixtures,
    ::testing::Values(
        CrashCase{"x86_64-format-kasan.txt", {{"KASAN", "BUG: KASAN: slab-out-of-bounds in kmalloc_oob_right", false}}},
        // KASAN's "null-ptr-deref in range" line belongs to the fault's report.
        CrashCase{"x86_64-format-kasan-gpf.txt",
                  {{"general protection fault", "general protection fault in fault_oops", true}}},
        CrashCase{"x86_64-format-ubsan.txt",
                  {{"UBSAN", "UBSAN: array-index-out-of-bounds in klp_fault.c:104:26", false}}},
        CrashCase{"x86_64-format-hung-task.txt",
                  {{"hung task", "INFO: task kworker/0:1 blocked for more than 120 seconds", true}}}),
    fixtureName);

TEST(Crash, Kinds) {
    auto k = [](const std::string& line) {
        auto c = findCrashes("[    1.0] " + line + "\n");
        return c.empty() ? std::string("none") : c[0].kind;
    };
    EXPECT_EQ(k("BUG: kernel NULL pointer dereference, address: 0000000000000000"), "BUG");
    EXPECT_EQ(k("kernel BUG at mm/slub.c:123!"), "BUG");
    EXPECT_EQ(k("Oops: 0002 [#1] PREEMPT SMP NOPTI"), "oops");
    EXPECT_EQ(k("watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [sh:99]"), "soft lockup");
    EXPECT_EQ(k("rcu: INFO: rcu_preempt self-detected stall on CPU"), "RCU stall");
    EXPECT_EQ(k("INFO: task kworker/0:1:25 blocked for more than 120 seconds."), "hung task");
    EXPECT_EQ(k("WARNING: possible circular locking dependency detected"), "lockdep");
    EXPECT_EQ(k("livepatch: 'klp_busy': patching complete"), "none");
    EXPECT_EQ(k("general protection fault, probably for non-canonical address 0xdead000000000000: 0000 [#1] SMP"),
              "general protection fault");
    EXPECT_EQ(k("Oops: general protection fault, probably for non-canonical address 0xdead0000: 0000 [#1] SMP"),
              "general protection fault");
    EXPECT_EQ(k("invalid opcode: 0000 [#1] PREEMPT SMP NOPTI"), "invalid opcode");
    EXPECT_EQ(k("Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI"), "invalid opcode");
    EXPECT_EQ(k("BUG: KASAN: use-after-free in foo+0x1/0x2"), "KASAN");
    EXPECT_EQ(k("UBSAN: shift-out-of-bounds in lib/x.c:1:2"), "UBSAN");
    EXPECT_EQ(k("BUG: Unable to handle kernel data access on read at 0xc000000000000000"), "BUG");
    EXPECT_EQ(k("Unable to handle kernel paging request for data at address 0x00000008"), "BUG");
    EXPECT_EQ(k("BUG: Kernel NULL pointer dereference on read at 0x00000000"), "BUG");
    EXPECT_EQ(k("PANIC: double fault, error_code: 0x0"), "double fault");
    EXPECT_EQ(k("traps: PANIC: double fault, error_code: 0x0"), "double fault");
    EXPECT_EQ(k("Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI"), "double fault");
    EXPECT_EQ(k("Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: f+0x1/0x2"),
              "stack-protector");
    EXPECT_EQ(k("list_add corruption. prev->next should be next (ffff8880), but was 0000000000000000. (prev=ffff)."),
              "list corruption");
    EXPECT_EQ(k("list_del corruption, ffff888003a4b000->next is LIST_POISON1 (dead000000000100)"), "list corruption");
    EXPECT_EQ(k("Oops: Exception in kernel mode, sig: 5 [#1]"), "oops");
    EXPECT_EQ(k("Oops: Kernel access of bad area, sig: 11 [#1]"), "oops");
    EXPECT_EQ(k("WARNING: CPU: 1 PID: 1 at kernel/x.c:12 f+0x1/0x2"), "WARNING");
    // 7.2's form (own-7.2, klp_fault's requested warning):
    EXPECT_EQ(k("WARNING: klp_fault.c:140 at trigger_store+0x6c/0x200 [klp_fault], CPU#0: klp-syscall/60"), "WARNING");
    // Not reports: a stack frame, the end marker of a panic, a log line naming a word.
    EXPECT_EQ(k(" panic+0x118/0x2f4"), "none");
    EXPECT_EQ(k("---[ end Kernel panic - not syncing: Fatal exception ]---"), "none");
    EXPECT_EQ(k("klp_fault: listcorrupt: returned"), "none");
}

TEST(Crash, TitlesAreStable) {
    auto t = [](const std::string& text) {
        auto c = findCrashes(text);
        return c.empty() ? std::string("none") : c[0].title;
    };
    // Only the report's own words stay: no PID, CPU, address or offset.
    EXPECT_EQ(t("[    1.0] watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [klp-spin:117]\n"),
              "watchdog: BUG: soft lockup [klp-spin]");
    EXPECT_EQ(t("[    1.0] Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "
                "ffffffffc0a1b2c3\n"),
              "Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ?");
    EXPECT_EQ(t("[    1.0] list_del corruption, ffff888003a4b000->next is LIST_POISON1 (dead000000000100)\n"),
              "list_del corruption: entry->next is LIST_POISON1");
    // The function comes from the RIP (x86), NIP (powerpc) or pc (arm64) line.
    EXPECT_EQ(t("BUG: Kernel NULL pointer dereference on read at 0x00000000\n"
                "Faulting instruction address: 0xc008000000a50010\n"
                "Oops: Kernel access of bad area, sig: 11 [#1]\n"
                "NIP:  c008000000a50010 LR: c008000000a50100 CTR: c000000000a3c4d0\n"
                "NIP [c008000000a50010] fault_oops+0x10/0x30 [klp_fault]\n"),
              "BUG: kernel NULL pointer dereference in fault_oops");
    EXPECT_EQ(t("Unable to handle kernel paging request at virtual address dead000000000108\n"
                "pc : list_del_x+0x10/0x30\n"),
              "Unable to handle kernel paging request in list_del_x");
    EXPECT_EQ(t("BUG: unable to handle page fault for address: ffffc90000b4f000\n"
                "Oops: 0000 [#1] PREEMPT SMP NOPTI\n"
                "RIP: 0010:fault_x+0x5/0x10 [klp_fault]\n"),
              "BUG: unable to handle page fault in fault_x");
    // x86 kernel stack overflow (VMAP_STACK): the guard page, seen from the #DF handler.
    auto c = findCrashes("BUG: TASK stack guard page was hit at ffffc90000a0ff58 (stack is "
                         "ffffc90000a10000..ffffc90000a18000)\n"
                         "Oops: stack guard page: 0000 [#1] PREEMPT SMP NOPTI\n"
                         "RIP: 0010:recurse+0x9/0x20 [m]\n"
                         "---[ end trace 0000000000000000 ]---\n"
                         "Kernel panic - not syncing: Fatal exception in interrupt\n");
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].title, "BUG: TASK stack guard page was hit in recurse");
    EXPECT_EQ(c[1].kind, "panic");
    // A user-space RIP (in a panic's trace) is not a kernel function.
    EXPECT_EQ(t("invalid opcode: 0000 [#1] SMP\nRIP: 0033:0x47b7a0\n"), "invalid opcode");
}

TEST(Crash, OneCrashPerIncidentButAPanicAfterAnOops) {
    auto crashes = findCrashes(
        "[    2.0] kernel BUG at lib/x.c:12!\n"
        "[    2.0] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n"
        "[    2.0] RIP: 0010:x_fn+0x1/0x2\n"
        "[    2.0] ---[ end trace 0000000000000000 ]---\n"
        "[    2.0] Kernel panic - not syncing: Fatal exception\n"
        "[    2.0] ---[ end Kernel panic - not syncing: Fatal exception ]---\n");
    ASSERT_EQ(crashes.size(), 2u);
    EXPECT_EQ(crashes[0].title, "kernel BUG at lib/x.c:12!");
    EXPECT_EQ(crashes[0].line, 0);
    EXPECT_EQ(crashes[1].kind, "panic");
    EXPECT_EQ(crashes[1].title, "Kernel panic - not syncing: Fatal exception");
    EXPECT_EQ(crashes[1].line, 4);
    // A second oops is a second incident, even right after the first one.
    crashes = findCrashes(
        "Oops: Exception in kernel mode, sig: 5 [#1]\n"
        "NIP [c0000000000a0000] a_fn+0x1/0x2\n"
        "---[ end trace 0000000000000000 ]---\n"
        "BUG: Kernel NULL pointer dereference on write at 0x00000000\n"
        "Oops: Kernel access of bad area, sig: 11 [#2]\n"
        "NIP [c0000000000b0000] b_fn+0x1/0x2\n");
    ASSERT_EQ(crashes.size(), 2u);
    EXPECT_EQ(crashes[0].title, "Oops: Exception in kernel mode, sig: 5 in a_fn");
    EXPECT_EQ(crashes[1].title, "BUG: kernel NULL pointer dereference in b_fn");
    // A list corruption reported by WARN (no CONFIG_BUG_ON_DATA_CORRUPTION): the
    // kernel skips the list operation and goes on.
    crashes = findCrashes(
        "list_add corruption. next->prev should be prev (ffff1), but was ffff2. (next=ffff3).\n"
        "------------[ cut here ]------------\n"
        "WARNING: CPU: 0 PID: 1 at lib/list_debug.c:29 __list_add_valid_or_report+0x1/0x2\n"
        "Call Trace:\n"
        " ? __warn+0x1/0x2\n"
        " __list_add_valid_or_report+0x1/0x2\n"
        " x_add+0x1/0x2 [m]\n"
        "---[ end trace 0000000000000000 ]---\n");
    ASSERT_EQ(crashes.size(), 1u);
    EXPECT_EQ(crashes[0].title, "list_add corruption in x_add: next->prev should be prev");
    EXPECT_FALSE(crashes[0].fatal);
}

// The classifier reads untrusted guest output: it must stay linear and bounded.
TEST(Crash, HugeAndBinaryInputIsHarmless) {
    auto start = std::chrono::steady_clock::now();
    std::string huge = "[    1.0] BUG: " + std::string(10 << 20, 'A') + "\n";
    auto c = findCrashes(huge);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_LE(c[0].title.size(), 512u);
    // Ten megabytes of one line without a newline, of a regex-hostile pattern.
    std::string hostile;
    while (hostile.size() < (10u << 20))
        hostile += "INFO: task a:1:2:3:4:5:6:7:8:9 blocked for more than ";
    EXPECT_TRUE(findCrashes(hostile).empty());
    // Binary garbage, with NULs, CRs and bytes above 0x7f, in short and long lines.
    std::string bin;
    uint32_t x = 12345;
    for (size_t i = 0; i < (4u << 20); i++) {
        x = x * 1103515245 + 12345;
        bin.push_back(static_cast<char>(x >> 16));
    }
    findCrashes(bin);
    // A crash line holding binary: the title is printable ASCII (it goes into JSON).
    c = findCrashes(std::string("Kernel panic - not syncing: \xff\x01\x80zz\n", 33));
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].title, "Kernel panic - not syncing: ???zz");
    // Ten million empty lines: nothing is kept per line.
    EXPECT_TRUE(findCrashes(std::string(10u << 20, '\n')).empty());
    // Many short lines: linear too.
    std::string many;
    for (int i = 0; i < 200000; i++)
        many += "[    1.000000] Oops: 0002 [#1] x\n";
    EXPECT_EQ(findCrashes(many).size(), 200000u);
#ifdef KLP_SANITIZED
    const double slow = 10;  // ASan/UBSan builds run 5-10x slower
#else
    const double slow = 1;
#endif
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30.0 * slow);
}

#include "check/transitions.h"

TEST(Transitions, BlockedThenReleased) {
    auto ts = parseWatchLog(
        "1200 start klp_busy patching\n"
        "1410 wait 101 klp_target_busy klp_target_busy_sleep\n"
        "garbage line\n"
        "5400 switch 101 klp_target_busy\n"
        "5450 end klp_busy\n"
        "8000 start klp_busy unpatching\n"
        "8100 end klp_busy\n");
    ASSERT_EQ(ts.size(), 2u);
    EXPECT_EQ(ts[0].patch, "klp_busy");
    EXPECT_EQ(ts[0].direction, "patching");
    EXPECT_EQ(ts[0].endMs - ts[0].startMs, 4250);
    ASSERT_EQ(ts[0].blockers.size(), 1u);
    EXPECT_EQ(ts[0].blockers[0].function, "klp_target_busy_sleep");
    EXPECT_EQ(ts[0].heldMs(ts[0].blockers[0]), 4200);
    EXPECT_EQ(ts[0].describe(),
              "klp_busy patching 4.25 s; blocked by klp_target_busy (pid 101) in klp_target_busy_sleep for 4.20 s");
    EXPECT_TRUE(ts[1].blockers.empty());
    EXPECT_EQ(ts[1].describe(), "klp_busy unpatching 0.10 s");
}

TEST(Transitions, ReversedAndUnfinished) {
    auto ts = parseWatchLog(
        "100 start klp_state_v2 patching\n"
        "300 wait 90 klp_target_busy klp_target_busy_sleep\n"
        "2000 reverse klp_state_v2 unpatching\n");
    ASSERT_EQ(ts.size(), 1u);
    EXPECT_EQ(ts[0].direction, "patching");
    EXPECT_EQ(ts[0].finalDirection, "unpatching");
    EXPECT_EQ(ts[0].reversals, 1);
    EXPECT_NE(ts[0].describe().find("reversed to unpatching"), std::string::npos);
    EXPECT_EQ(ts[0].endMs, -1);
    EXPECT_NE(ts[0].describe().find("did not end"), std::string::npos);
}

#include "check/ktap.h"

TEST(Ktap, PassFailSkipPlanAndNesting) {
    auto ok = parseKtap("KTAP version 1\n1..3\nok 1 - alloc\n    ok 1 - nested, not counted\nok 2 - get # SKIP no\nok 3\n");
    EXPECT_EQ(ok.planned, 3);
    ASSERT_EQ(ok.subtests.size(), 3u);
    EXPECT_EQ(ok.subtests[0].first, "alloc");
    EXPECT_TRUE(ok.subtests[1].second);
    EXPECT_EQ(ok.problem(), "");
    auto bad = parseKtap("1..2\nok 1 - a\nnot ok 2 - b\n");
    EXPECT_EQ(bad.failed(), 1);
    EXPECT_EQ(bad.problem(), "1 of 2 subtests failed");
    EXPECT_EQ(parseKtap("1..3\nok 1\n").problem(), "plan 1..3 but 1 results");
    EXPECT_EQ(parseKtap("nothing\n").problem(), "no KTAP/TAP results");
}
