// A `run --repeat 5` over two arches (fixtures/repeat-run: PASS, FLAKY 3/5 and
// ERROR on x86_64; SKIP, FAIL and MISS on ppc64le), through every report: a
// FLAKY result must read as a failure everywhere, with its counts and attempts.
#include <gtest/gtest.h>

#include <regex>

#include "report/results.h"
#include "report/writers.h"
#include "report_checks.h"
#include "util/error.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
const fs::path fixtures = KLP_FIXTURES;
const std::string flakyCase = "transition/stack-check-blocks-until-release";

report::Json doc() { return report::readResults(fixtures / "repeat-run"); }

// The FLAKY result's index in the fixture.
constexpr int kFlaky = 1;
}  // namespace

TEST(FlakyReport, NewKeysAreReadAndOldFilesStillAre) {
    auto d = doc();
    EXPECT_EQ(d["results"][kFlaky]["verdict"], "FLAKY");
    EXPECT_EQ(d["results"][kFlaky]["attempts"].size(), 5u);
    EXPECT_EQ(report::repeatSummary(d["results"][kFlaky]), "3/5 passed; FAIL 2");
    EXPECT_EQ(report::repeatSummary(d["results"][0]), "5/5 passed");
    EXPECT_EQ(report::verdictText(d["results"][kFlaky]), "FLAKY 3/5 passed; FAIL 2");
    EXPECT_EQ(report::verdictText(d["results"][2]), "ERROR");  // repeated, all alike: the verdict alone
    auto old = report::readResults(fixtures / "run");  // no repeat, boot or order keys
    EXPECT_EQ(report::repeatSummary(old["results"][0]), "");
}

// Each new key, when present, has its type checked: one line naming the file and
// the value, never a json exception inside a writer later.
TEST(FlakyReport, BadNewKeysAreOneLineErrors) {
    const std::string r1 = "results[1]";
    const std::vector<std::pair<std::function<void(report::Json&)>, std::string>> bad = {
        {[](report::Json& d) { d["results"][1]["repeat"] = 5; }, r1 + ".repeat must be an object"},
        {[](report::Json& d) { d["results"][1]["repeat"]["runs"] = "5"; }, r1 + ".repeat.runs must be an integer"},
        {[](report::Json& d) { d["results"][1]["repeat"]["runs"] = 0; }, r1 + ".repeat.runs must be at least 1"},
        {[](report::Json& d) { d["results"][1]["repeat"].erase("counts"); }, r1 + ".repeat has no \"counts\""},
        {[](report::Json& d) { d["results"][1]["repeat"]["counts"]["FAIL"] = -2; }, r1 + ".repeat.counts.FAIL must be a count"},
        {[](report::Json& d) { d["results"][1]["repeat"]["counts"]["FAIL"] = 1.5; }, r1 + ".repeat.counts.FAIL must be a count"},
        {[](report::Json& d) { d["results"][1]["attempts"] = "x"; }, r1 + ".attempts must be an array"},
        {[](report::Json& d) { d["results"][1]["attempts"][3].erase("verdict"); }, r1 + ".attempts[3] has no \"verdict\""},
        {[](report::Json& d) { d["results"][1]["attempts"][0]["seconds"] = "1"; }, r1 + ".attempts[0].seconds must be a number"},
        {[](report::Json& d) { d["results"][1]["attempts"][0]["logs"] = 1; }, r1 + ".attempts[0].logs must be a string"},
        {[](report::Json& d) { d["results"][1]["boot"] = true; }, r1 + ".boot must be a string"},
        {[](report::Json& d) { d["results"][1]["boot_seconds"] = "fast"; }, r1 + ".boot_seconds must be a number"},
        {[](report::Json& d) { d["results"][1]["order"] = 1.5; }, r1 + ".order must be an integer"},
        {[](report::Json& d) { d["results"][1]["started"] = 0; }, r1 + ".started must be a string"},
        {[](report::Json& d) { d["run"]["merged_from"] = {1}; }, "run.merged_from[0] must be a string"},
        {[](report::Json& d) { d["run"]["shard"] = 1; }, "run.shard must be a string"},
        {[](report::Json& d) { d["kernels"][1]["compiler"] = 12; }, "kernels[1].compiler must be a string"},
    };
    for (const auto& [mutate, want] : bad) {
        auto d = doc();
        mutate(d);
        try {
            report::parseResults(d.dump(), "r.json");
            ADD_FAILURE() << "accepted; wanted: " << want;
        } catch (const UsageError& e) {
            EXPECT_EQ(std::string(e.what()).rfind("r.json: " + want, 0), 0u) << e.what();
        }
    }
}

// FLAKY is no KTAP directive: a plain "not ok" after a diagnostic with the counts.
TEST(FlakyReport, KtapIsNotOkWithTheCountsInADiagnostic) {
    std::string k = report::toKtap(doc());
    EXPECT_EQ(test::ktapProblem(k), "") << k;
    EXPECT_NE(k.find("    # FLAKY 3/5 passed; FAIL 2: cases/" + flakyCase + ".yaml:18: wait-transition klp_busy: "
                     "still in transition after 10 s\n    not ok 2 " + flakyCase + "\n"),
              std::string::npos)
        << k;
    EXPECT_EQ(k.find(flakyCase + " #"), std::string::npos) << "no directive after a FLAKY result\n" << k;
    EXPECT_NE(k.find("not ok 1 x86_64/debian-6.12\n"), std::string::npos) << k;
}

TEST(FlakyReport, JunitFailureOfTypeFlakyWithEachAttempt) {
    std::string x = report::toJunit(doc(), fixtures / "repeat-run");
    EXPECT_EQ(test::junitProblem(x), "");
    EXPECT_NE(x.find("<failure message=\"3/5 passed; FAIL 2: cases/" + flakyCase + ".yaml:18:"), std::string::npos) << x;
    EXPECT_NE(x.find("type=\"FLAKY\""), std::string::npos) << x;
    EXPECT_NE(x.find("attempt 2: FAIL 15.2 s, cases/"), std::string::npos) << x;
    EXPECT_NE(x.find("(logs: " + flakyCase + "/x86_64_debian-6.12/attempt-2)"), std::string::npos) << x;
    // The x86_64 suite counts the FLAKY as a failure and the panic as an error.
    EXPECT_TRUE(std::regex_search(x, std::regex("name=\"x86_64/debian-6.12\" tests=\"3\" failures=\"1\" errors=\"1\""))) << x;
}

TEST(FlakyReport, HtmlHasItsOwnColourCountsAndAttempts) {
    std::string h = report::toHtml(doc());
    EXPECT_NE(h.find(".FLAKY{"), std::string::npos);
    EXPECT_NE(h.find("<td class='v FLAKY'>"), std::string::npos) << h;
    EXPECT_NE(h.find(">FLAKY 3/5 <span"), std::string::npos) << h;                 // the matrix cell
    EXPECT_NE(h.find(">FLAKY 3/5 passed; FAIL 2</span>"), std::string::npos) << h;  // the section heading
    EXPECT_NE(h.find("<span class='FLAKY' style='padding:2px 8px;margin-right:6px'>FLAKY 1</span>"), std::string::npos);
    EXPECT_NE(h.find("<tr><td>2</td><td class='FAIL'>FAIL</td><td>15.2 s</td>"), std::string::npos) << h;
    EXPECT_NE(h.find("guest: revert, up in 0.38 s"), std::string::npos) << h;
    EXPECT_EQ(h.find("<script"), std::string::npos);
}

TEST(FlakyReport, DiffAndWorseVerdictsShowIt) {
    auto before = doc(), after = doc();
    before["results"][kFlaky]["verdict"] = "PASS";
    before["results"][kFlaky]["repeat"]["counts"] = {{"PASS", 5}};
    std::string d = report::diffRuns(before, after, 0.5, 2.0);
    EXPECT_NE(d.find("verdict  x86_64/debian-6.12 " + flakyCase + ": PASS -> FLAKY 3/5 passed; FAIL 2 (cases/"),
              std::string::npos)
        << d;
    auto worse = report::worseVerdicts(before, after);
    ASSERT_EQ(worse.size(), 1u) << ::testing::PrintToString(worse);
    EXPECT_EQ(worse[0], "x86_64/debian-6.12 " + flakyCase + ": PASS -> FLAKY");

    before["results"].erase(kFlaky);  // a case that is new and FLAKY: worse too
    worse = report::worseVerdicts(before, after);
    ASSERT_EQ(worse.size(), 1u) << ::testing::PrintToString(worse);
    EXPECT_EQ(worse[0], "x86_64/debian-6.12 " + flakyCase + ": new -> FLAKY");
    EXPECT_NE(report::diffRuns(before, after, 0.5, 2.0).find("new      x86_64/debian-6.12 " + flakyCase + ": FLAKY 3/5"),
              std::string::npos);
    // Counts that move while the verdict stays FLAKY are no change to mail about.
    auto other = doc();
    other["results"][kFlaky]["repeat"]["counts"] = {{"PASS", 1}, {"FAIL", 4}};
    EXPECT_EQ(report::diffRuns(doc(), other, 0.5, 2.0).find("verdict"), std::string::npos);
}

TEST(FlakyReport, CrossArchViewSetsFlakyBesideTheOtherArch) {
    std::string view = report::crossArchView(doc());
    EXPECT_TRUE(std::regex_search(view, std::regex("\\* " + flakyCase + " +FLAKY +FAIL\n"))) << view;
}
