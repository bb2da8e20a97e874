// cases::runCase against a scripted guest: how steps, the kernel log, the
// console and the guest's answers become a verdict. The guest's answers are
// shaped as the real one gives them (klp-kmsg's records are /dev/kmsg's); the
// integration tests run the same engine against real guests.
#include <gtest/gtest.h>

#include "cases/runner.h"
#include "cases/verbs.h"
#include "scripted_pool.h"
#include "temp_dir.h"
#include "util/files.h"

using namespace klp;
using test::re;
using test::said;

namespace {

const std::string kFixtures = KLP_FIXTURES;

// A /dev/kmsg record line as `klp-kmsg follow` keeps it.
std::string record(uint64_t seq, const std::string& text, uint64_t usec = 2000000) {
    return "6," + std::to_string(seq) + "," + std::to_string(usec) + ",-;" + text + "\n";
}

struct RunnerTest : ::testing::Test {
    test::TempDir tmp;
    test::ScriptedGuest guest;
    std::filesystem::path console = tmp.path / "console.log";
    testbed::GuestConfig cfg;

    RunnerTest() {
        writeFile(console, "[    0.000000] Linux version 6.12.117+deb12-cloud-amd64\n");
        cfg.kernel.arch = "x86_64";
        cfg.kernel.name = "debian-6.12";
        cfg.kernel.release = "6.12.117+deb12-cloud-amd64";
    }
    cases::Case parse(const std::string& yaml) { return cases::parseCaseText(yaml, tmp.path / "x.yaml", "x"); }
    cases::CaseResult run(const cases::Case& c, test::ScriptedPool& pool) {
        return cases::runCase(c, pool, cfg, tmp.path / "out");
    }
    // A marker before a step that checks the kernel log.
    void expectMark(uint64_t seq) { guest.expect("klp-kmsg mark /tmp/klp-kmsg.log", said(std::to_string(seq) + "\n")); }
    // The records after marker `from` (awk's choice: the host checks again), up to a new marker `to`.
    void expectWindow(uint64_t from, const std::string& records, uint64_t to) {
        guest.expect(re("^b=\\$\\(klp-kmsg mark /tmp/klp-kmsg.log\\) && awk .* -v a=" + std::to_string(from) + " "),
                     said(records + "@@klp-kmsg " + std::to_string(to) + "\n"));
    }
    // What ends every case: the follower's file pulled, klp-watch's log read.
    void expectEnd(const std::string& records, bool observed = true) {
        guest.file("/tmp/klp-kmsg.log", records);
        if (observed)
            guest.expect("cat /tmp/klp-watch.log", said(""));
    }
};

TEST_F(RunnerTest, StepsPassAndTheStepWindowIsMatched) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: echo hi
    expect: hi
  - run: insmod-ish
    log:
      - "livepatch: enabling patch 'klp_basic'"
)");
    guest.expect("echo hi", said("hi\n"));
    expectMark(12);
    guest.expect("insmod-ish", said(""));
    expectWindow(12, record(13, "livepatch: enabling patch 'klp_basic'"), 14);
    expectEnd(record(1, "Linux version 6.12") + record(13, "livepatch: enabling patch 'klp_basic'"));
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Pass) << r.reason << "\n" << r.detail;
    ASSERT_EQ(r.steps.size(), 2u);
    EXPECT_EQ(r.steps[1].status, "pass");
    EXPECT_EQ(pool.released, 1);
    EXPECT_NE(pool.setups.at(0).find("klp-kmsg follow /tmp/klp-kmsg.log"), std::string::npos);
    EXPECT_NE(pool.setups.at(0).find("klp-watch"), std::string::npos) << "a case file's guest is observed";
    EXPECT_EQ(readFile(tmp.path / "out/kernel.log"),
              "[    2.000000] Linux version 6.12\n[    2.000000] livepatch: enabling patch 'klp_basic'\n");
}

TEST_F(RunnerTest, ARecordBeforeTheStepsMarkerIsNotItsOwn) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: "true"
    log:
      - "patching complete"
)");
    // The guest's answer holds a record from before the window (seq 11 <= 12):
    // the host keeps to the sequence numbers too.
    expectMark(12);
    guest.expect("true", said(""));
    expectWindow(12, record(11, "livepatch: 'klp_basic': patching complete"), 14);
    expectEnd("");
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Fail);
    EXPECT_EQ(r.reason, "x.yaml:4: run true");
}

// The issue this design fixes: 100,000 lines printed by one step wrap the
// printk ring buffer; the next step's window, by sequence numbers, still holds
// exactly that step's line.
TEST_F(RunnerTest, AFloodThatWrapsTheRingBufferLeavesTheNextWindowExact) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: flood
  - run: load-ish
    log:
      - "livepatch: 'klp_basic': patching complete"
)");
    guest.expect("flood", said(""));
    expectMark(100020);
    guest.expect("load-ish", said(""));
    expectWindow(100020, record(100021, "livepatch: 'klp_basic': patching complete"), 100022);
    std::string all;
    for (uint64_t seq = 1; seq <= 100022; seq++)
        all += record(seq, seq == 100021 ? "livepatch: 'klp_basic': patching complete" : "flood line");
    expectEnd(all);
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Pass) << r.reason << "\n" << r.detail;
    // The whole log is kept, however long: every record, as dmesg shows them.
    std::string kept = readFile(tmp.path / "out/kernel.log");
    EXPECT_EQ(std::count(kept.begin(), kept.end(), '\n'), 100022);
}

TEST_F(RunnerTest, AFailedStepEndsTheCaseWithItsFileLine) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: cat /proc/sys/kernel/tainted
    expect: "0"
  - run: never reached
)");
    guest.expect("tainted", said("4096\n"));
    expectEnd("");
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Fail);
    EXPECT_EQ(r.reason, "x.yaml:4: run cat /proc/sys/kernel/tainted");
    EXPECT_NE(r.detail.find("expected \"0\""), std::string::npos) << r.detail;
    EXPECT_EQ(r.steps.size(), 1u);
}

TEST_F(RunnerTest, TheCasesOwnLogIsCheckedOverEverythingSinceBoot) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: "true"
log:
  - "klp_target: loaded"
  - not: "Oops"
)");
    guest.expect("true", said(""));
    expectWindow(0, record(5, "klp_target: loaded, value=original hold=0"), 9);
    expectEnd("");
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Pass) << r.reason << "\n" << r.detail;
}

TEST_F(RunnerTest, ARecordedOopsOnTheConsoleIsAnErrorWithItsTitle) {
    auto c = parse("title: t\nseeds: [s]\nsteps:\n  - run: \"true\"\n");
    c.observe = false;  // whether the watch destroys the guest before the end's reads is timing: none to read
    writeFile(console, readFile(kFixtures + "/crash/x86_64-debian-6.12-oops.txt"));
    guest.expect("true", said(""), test::kAnyTimes);
    guest.file("/tmp/klp-kmsg.log", "");
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Error);
    EXPECT_FALSE(r.crashTitle.empty());
    EXPECT_NE(r.reason.find(r.crashTitle), std::string::npos) << r.reason;
}

TEST_F(RunnerTest, AGuestWhoseConnectionBreaksIsAnErrorSayingSo) {
    auto c = parse("title: t\nseeds: [s]\nsteps:\n  - run: \"true\"\n  - run: \"false\"\n");
    writeFile(console, "[    3.0] klp-init: ready\n");
    guest.expect("true", said(""));
    guest.expect("false", test::lost());
    expectEnd("");
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Error);
    EXPECT_EQ(r.reason, "SSH connection to the guest lost: Socket error: disconnected");
    EXPECT_NE(r.detail.find("klp-init: ready"), std::string::npos) << "the last console lines: " << r.detail;
}

TEST_F(RunnerTest, ACaseForAnotherArchSkipsWithoutAGuest) {
    auto c = parse("title: t\nseeds: [s]\nrequires:\n  arch: [ppc64le]\nsteps:\n  - run: \"true\"\n");
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Skip);
    EXPECT_EQ(pool.leased, 0);
}

// A kernel selftest script as a generated case: one kselftest step, unobserved.
cases::Case selftestCase(const std::string& script) {
    cases::Case c;
    c.name = "selftests/" + script;
    c.observe = false;
    c.steps.push_back(
        cases::makeStep("kselftest", "cd /opt/selftests/livepatch && ./" + script + ".sh 2>&1", {{"timeout", "900"}}));
    return c;
}

TEST_F(RunnerTest, AKselftestScriptPassesWithItsTestsAsSubtests) {
    guest.expect("./test-livepatch.sh", said(readFile(kFixtures + "/selftests/test-livepatch-pass.txt")));
    expectEnd("", /*observed=*/false);
    test::ScriptedPool pool(guest, console);
    auto r = run(selftestCase("test-livepatch"), pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Pass) << r.reason;
    ASSERT_EQ(r.steps.size(), 1u);
    EXPECT_FALSE(r.steps[0].subtests.empty());
    EXPECT_EQ(pool.setups.at(0).find("klp-watch"), std::string::npos)
        << "a selftest's guest gets no dynamic debug or klp-watch: " << pool.setups.at(0);
    EXPECT_NE(readFile(tmp.path / "out/steps.log").find("TEST: "), std::string::npos) << "the script's output is kept";
}

TEST_F(RunnerTest, AKselftestScriptFailsWithItsOwnDiff) {
    guest.expect("./test-state.sh", said(readFile(kFixtures + "/selftests/test-fail-diff.txt"), 1));
    expectEnd("", false);
    test::ScriptedPool pool(guest, console);
    auto r = run(selftestCase("test-state"), pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Fail);
    EXPECT_FALSE(r.reason.empty());
    EXPECT_EQ(r.reason.find('\n'), std::string::npos) << "one line: " << r.reason;
}

TEST_F(RunnerTest, AKselftestScriptExitingFourSkips) {
    guest.expect("./test-ftrace.sh", said("SKIP: failed to set kernel.ftrace_enabled = 1\n", 4));
    expectEnd("", false);
    test::ScriptedPool pool(guest, console);
    auto r = run(selftestCase("test-ftrace"), pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Skip);
    EXPECT_NE(r.reason.find("ftrace_enabled"), std::string::npos) << r.reason;
}

cases::CaseResult attempt(cases::Verdict v) {
    cases::CaseResult r;
    r.verdict = v;
    r.reason = cases::verdictName(v);
    return r;
}

TEST(FoldAttempts, AgreeingRunsKeepTheirVerdictDisagreeingOnesAreFlaky) {
    using V = cases::Verdict;
    EXPECT_EQ(cases::foldAttempts({attempt(V::Pass), attempt(V::Pass)}), V::Pass);
    EXPECT_EQ(cases::foldAttempts({attempt(V::Fail), attempt(V::Fail)}), V::Fail);
    EXPECT_EQ(cases::foldAttempts({attempt(V::Pass), attempt(V::Fail), attempt(V::Pass)}), V::Flaky);
    EXPECT_EQ(cases::foldAttempts({attempt(V::Skip), attempt(V::Pass)}), V::Flaky);
    EXPECT_EQ(cases::foldAttempts({}), V::Miss);
    std::vector<cases::CaseResult> runs = {attempt(V::Pass), attempt(V::Error), attempt(V::Fail)};
    EXPECT_EQ(cases::shownAttempt(runs).verdict, V::Error) << "the first that did not pass";
    EXPECT_EQ(cases::verdictFromName("FLAKY"), V::Flaky);
    EXPECT_FALSE(cases::verdictFromName("GREEN"));
}

}  // namespace
