// check/: log normalisation, FileCheck-style matching, crash classification.
// Fixtures are kernel output recorded from real guests (tests/unit/fixtures/).
#include <gtest/gtest.h>

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
}

TEST(Crash, WarningTitleIsStable) {
    auto crashes = findCrashes(fixture("warning-console.txt"));
    ASSERT_EQ(crashes.size(), 1u);
    EXPECT_EQ(crashes[0].kind, "WARNING");
    EXPECT_EQ(crashes[0].title.rfind("WARNING: at ", 0), 0u) << crashes[0].title;
    // An out-of-tree build path (it holds a cache key) is cut to the file name.
    EXPECT_EQ(crashes[0].title.rfind("WARNING: at klp_fault.c:39 trigger_store", 0), 0u) << crashes[0].title;
}

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
