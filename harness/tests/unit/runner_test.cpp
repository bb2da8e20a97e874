// cases::runCase against a scripted guest: how steps, the kernel log, the
// console and the guest's answers become a verdict. (The integration tests run
// the same engine against real guests.)
#include <gtest/gtest.h>

#include "cases/runner.h"
#include "scripted_pool.h"
#include "temp_dir.h"
#include "util/files.h"

using namespace klp;
using klp::test::answer;

namespace {

const std::string kFixtures = KLP_FIXTURES;

struct RunnerTest : ::testing::Test {
    test::TempDir tmp;
    test::ScriptedConnection guest;
    std::filesystem::path console = tmp.path / "console.log";
    testbed::GuestConfig cfg;

    RunnerTest() {
        writeFile(console, "[    0.000000] Linux version 6.12.117+deb12-cloud-amd64\n");
        cfg.kernel.arch = "x86_64";
        cfg.kernel.name = "debian-6.12";
        cfg.kernel.release = "6.12.117+deb12-cloud-amd64";
    }
    cases::Case parse(const std::string& yaml) {
        return cases::parseCaseText(yaml, tmp.path / "x.yaml", "x");
    }
    cases::CaseResult run(const cases::Case& c, test::ScriptedPool& pool) {
        return cases::runCase(c, pool, cfg, tmp.path / "out");
    }
    // The round trip that ends every case: the kernel log, a marker, klp-watch's log.
    void expectEnd(const std::string& dmesg = "") {
        guest.script.push_back(answer("dmesg; echo @@klp-harness: transitions@@", dmesg + "@@klp-harness: transitions@@\n"));
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
    guest.script = {answer("echo hi", "hi\n"), answer("dmesg", "[    1.0] boot\n"),
                    answer("insmod-ish"), answer("dmesg", "[    1.0] boot\n[    2.0] livepatch: enabling patch 'klp_basic'\n")};
    expectEnd();
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Pass) << r.reason << "\n" << r.detail;
    ASSERT_EQ(r.steps.size(), 2u);
    EXPECT_EQ(r.steps[1].status, "pass");
    EXPECT_EQ(pool.released, 1);
    EXPECT_NE(pool.setups.at(0).find("klp-watch"), std::string::npos) << "a case file's guest is observed";
    EXPECT_TRUE(guest.script.empty());
}

TEST_F(RunnerTest, ALogLineBeforeTheStepIsNotItsOwn) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: "true"
    log:
      - "patching complete"
)");
    // The line was there before the step ran: the step's window is empty.
    guest.script = {answer("dmesg", "[    1.0] livepatch: patching complete\n"), answer("true"),
                    answer("dmesg", "[    1.0] livepatch: patching complete\n")};
    expectEnd();
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Fail);
    EXPECT_EQ(r.reason, "x.yaml:4: run true");
}

TEST_F(RunnerTest, AFailedStepEndsTheCaseWithItsFileLine) {
    auto c = parse(R"(title: t
seeds: [s]
steps:
  - run: cat /proc/sys/kernel/tainted
    expect: "0"
  - run: never reached
)");
    guest.script = {answer("tainted", "4096\n")};
    expectEnd();
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Fail);
    EXPECT_EQ(r.reason, "x.yaml:4: run cat /proc/sys/kernel/tainted");
    EXPECT_NE(r.detail.find("expected \"0\""), std::string::npos) << r.detail;
    EXPECT_EQ(r.steps.size(), 1u);
}

TEST_F(RunnerTest, ARecordedOopsOnTheConsoleIsAnErrorWithItsTitle) {
    auto c = parse("title: t\nseeds: [s]\nsteps:\n  - run: \"true\"\n");
    writeFile(console, readFile(kFixtures + "/crash/x86_64-debian-6.12-oops.txt"));
    guest.script = {answer("true")};
    expectEnd();
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Error);
    EXPECT_FALSE(r.crashTitle.empty());
    EXPECT_NE(r.reason.find(r.crashTitle), std::string::npos) << r.reason;
}

TEST_F(RunnerTest, AGuestThatStopsAnsweringIsAnError) {
    auto c = parse("title: t\nseeds: [s]\nsteps:\n  - run: \"true\"\n  - run: \"false\"\n");
    guest.script = {answer("true")};
    guest.script.push_back({"false", {}, true});
    expectEnd();
    test::ScriptedPool pool(guest, console);
    auto r = run(c, pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Error);
    EXPECT_NE(r.reason.find("connection to the guest lost"), std::string::npos) << r.reason;
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
    cases::Step s;
    s.verb = "kselftest";
    s.arg = "cd /opt/selftests/livepatch && ./" + script + ".sh 2>&1";
    c.steps.push_back(s);
    return c;
}

TEST_F(RunnerTest, AKselftestScriptPassesWithItsTestsAsSubtests) {
    guest.script = {answer("./test-livepatch.sh", readFile(kFixtures + "/selftests/test-livepatch-pass.txt"))};
    guest.script.push_back(answer("dmesg; echo @@klp-harness: transitions@@", "@@klp-harness: transitions@@\n"));
    test::ScriptedPool pool(guest, console);
    auto r = run(selftestCase("test-livepatch"), pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Pass) << r.reason;
    ASSERT_EQ(r.steps.size(), 1u);
    EXPECT_FALSE(r.steps[0].subtests.empty());
    EXPECT_EQ(pool.setups.at(0), "") << "a selftest's guest gets no dynamic debug or klp-watch";
    EXPECT_EQ(guest.sent.back().find("klp-watch"), std::string::npos);
    EXPECT_NE(readFile(tmp.path / "out/steps.log").find("TEST: "), std::string::npos) << "the script's output is kept";
}

TEST_F(RunnerTest, AKselftestScriptFailsWithItsOwnDiff) {
    guest.script = {{"./test-state.sh", {1, readFile(kFixtures + "/selftests/test-fail-diff.txt"), "", false}, false}};
    guest.script.push_back(answer("dmesg; echo @@klp-harness: transitions@@", "@@klp-harness: transitions@@\n"));
    test::ScriptedPool pool(guest, console);
    auto r = run(selftestCase("test-state"), pool);
    EXPECT_EQ(r.verdict, cases::Verdict::Fail);
    EXPECT_FALSE(r.reason.empty());
    EXPECT_EQ(r.reason.find('\n'), std::string::npos) << "one line: " << r.reason;
}

TEST_F(RunnerTest, AKselftestScriptExitingFourSkips) {
    guest.script = {{"./test-ftrace.sh", {4, "SKIP: failed to set kernel.ftrace_enabled = 1\n", "", false}, false}};
    guest.script.push_back(answer("dmesg; echo @@klp-harness: transitions@@", "@@klp-harness: transitions@@\n"));
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
