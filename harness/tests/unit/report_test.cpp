// The report writers, on a results.json recorded from a real run (4 cases x 2
// kernels: PASS with a blocked-then-released transition, SKIP, FAIL, ERROR).
// Golden files: tests/unit/fixtures/golden; KLP_UPDATE_GOLDEN=1 rewrites them
// (then read the diff before committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <sstream>

#include "report/results.h"
#include "report_checks.h"
#include "report/writers.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
const fs::path fixtures = KLP_FIXTURES;
const fs::path runDir = fixtures / "run";

report::Json doc() { return report::readResults(runDir); }

void golden(const std::string& name, const std::string& actual) {
    fs::path g = fixtures / "golden" / name;
    if (getenv("KLP_UPDATE_GOLDEN")) {
        writeFile(g, actual);
        return;
    }
    EXPECT_EQ(actual, readFile(g)) << "output differs from " << g << " (KLP_UPDATE_GOLDEN=1 to accept)";
}

}  // namespace

TEST(Report, ResultsJsonHoldsWhatTheReportsNeed) {
    auto d = doc();
    ASSERT_EQ(d["results"].size(), 8u);
    const auto& r = d["results"][0];
    for (const char* k : {"case", "title", "seeds", "arch", "kernel", "verdict", "reason", "seconds", "steps",
                          "transitions", "logs", "crash"})
        EXPECT_TRUE(r.contains(k)) << k;
    EXPECT_EQ(r["transitions"][0]["blockers"][0]["function"], "klp_target_busy_sleep");
    EXPECT_EQ(d["results"][3]["crash"], "Kernel panic - not syncing: klp_fault: requested panic");
    EXPECT_TRUE(d["run"].contains("qemu"));
    EXPECT_EQ(d["kernels"].size(), 2u);
}

TEST(Report, KtapGoldenAndWellFormed) {
    std::string k = report::toKtap(doc());
    EXPECT_EQ(test::ktapProblem(k), "") << k;
    golden("results.ktap", k);
}

TEST(Report, KtapCheckerCatchesBrokenOutput) {
    EXPECT_NE(test::ktapProblem("KTAP version 1\n1..2\nok 1 a\n"), "");
    EXPECT_NE(test::ktapProblem("KTAP version 1\n1..1\nok 2 a\n"), "");
    EXPECT_NE(test::ktapProblem("1..1\nok 1 a\n"), "");
    EXPECT_EQ(test::ktapProblem("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    ok 1 x\nok 1 a\n"), "");
}

TEST(Report, JunitGoldenAndValidAgainstTheSchema) {
    std::string x = report::toJunit(doc(), runDir);
    golden("junit.xml", x);
    EXPECT_EQ(test::junitProblem(x), "");
    // The failure carries the first unmatched expectation; the kernel log is system-out.
    EXPECT_NE(x.find("message=\"broken-expectation.yaml:6: load klp_basic: no match for &quot;klp_basic: this line is never printed&quot;"),
              std::string::npos);
    EXPECT_NE(x.find("<system-out>"), std::string::npos);
    EXPECT_NE(x.find("<error message=\"panic: Kernel panic - not syncing: klp_fault: requested panic"), std::string::npos);
    EXPECT_NE(x.find("<skipped message=\"needs kernel 6.12"), std::string::npos);
}

TEST(Report, HtmlGoldenWithMatrixAndTimeline) {
    std::string h = report::toHtml(doc());
    golden("report.html", h);
    EXPECT_NE(h.find("<h2>Matrix</h2>"), std::string::npos);
    EXPECT_NE(h.find("<svg class=tl"), std::string::npos);
    EXPECT_NE(h.find("klp_target_busy ("), std::string::npos);
    EXPECT_EQ(h.find("<script"), std::string::npos);  // self-contained and static
}

TEST(Report, DiffListsVerdictChangesAndSlowCases) {
    auto a = doc(), b = doc();
    b["results"][0]["verdict"] = "FAIL";
    b["results"][0]["reason"] = "x.yaml:3: load";
    b["results"][1]["seconds"] = 100.0;
    b["results"][2]["seconds"] = double(b["results"][2]["seconds"]) * 5;
    std::string d = report::diffRuns(a, b, 0.5, 2.0);
    EXPECT_NE(d.find("verdict  x86_64/debian-6.1 transition/stack-check-blocks-until-release: PASS -> FAIL (x.yaml:3: load)"),
              std::string::npos)
        << d;
    EXPECT_NE(d.find("time     x86_64/debian-6.1 broken-expectation:"), std::string::npos) << d;
    EXPECT_EQ(report::diffRuns(a, a, 0.5, 2.0), "");
}

TEST(Report, WorseVerdictsAreWhatANightlyJobActsOn) {
    auto a = doc(), b = doc();
    EXPECT_TRUE(report::worseVerdicts(a, a).empty());
    b["results"][0]["verdict"] = "FAIL";            // PASS -> FAIL: worse
    a["results"][1]["verdict"] = "ERROR";            // ERROR -> what it is now: better, not listed
    auto extra = b["results"][2];
    extra["case"] = "new/case";
    extra["verdict"] = "ERROR";                      // a new non-PASS: worse
    b["results"].push_back(extra);
    auto w = report::worseVerdicts(a, b);
    ASSERT_EQ(w.size(), 2u) << ::testing::PrintToString(w);
    EXPECT_EQ(w[0], "x86_64/debian-6.1 transition/stack-check-blocks-until-release: PASS -> FAIL");
    EXPECT_EQ(w[1], "x86_64/debian-6.1 new/case: new -> ERROR");
}

// The recorded x86_64 run, mirrored as a ppc64le run in which one expectation
// of the first case failed: the view must put the verdicts side by side and
// name that step, with both outcomes.
TEST(Report, CrossArchViewNamesTheStepThatDiffered) {
    report::Json d = doc();
    EXPECT_EQ(report::crossArchView(d), "") << "one arch: no cross-arch view";
    report::Json mirrored = d["results"];
    for (auto& r : mirrored) {
        r["arch"] = "ppc64le";
        r["kernel"] = std::string(r["kernel"]) == "debian-6.1" ? "own-6.1" : "own-6.12";
    }
    report::Json& first = mirrored[0];
    first["verdict"] = "FAIL";
    first["steps"][1]["status"] = "fail";
    first["steps"][1]["message"] = "expected 1\ngot 0";
    first["steps"][2]["status"] = "skip";  // given to x86_64 by `arch:`: a stated difference
    first["steps"][2]["message"] = "only on x86_64";
    for (auto& r : mirrored)
        d["results"].push_back(r);

    std::string view = report::crossArchView(d);
    std::string name = first["case"], file = first["file"];
    std::string step = file + ":" + std::to_string(int(first["steps"][1]["line"])) + " " +
                       std::string(first["steps"][1]["verb"]) + " " + std::string(first["steps"][1]["arg"]);
    EXPECT_NE(view.find("x86_64/debian-6.1"), std::string::npos) << view;
    EXPECT_NE(view.find("ppc64le/own-6.12"), std::string::npos) << view;
    EXPECT_TRUE(std::regex_search(view, std::regex("\\* " + name + " +PASS +\\S+ +FAIL"))) << view;
    EXPECT_NE(view.find(step + ": pass on x86_64/debian-6.1, x86_64/debian-6.12, ppc64le/own-6.12; "
                               "fail on ppc64le/own-6.1 (expected 1)\n"),
              std::string::npos)
        << view;
    std::string stated = file + ":" + std::to_string(int(first["steps"][2]["line"])) + " ";
    EXPECT_EQ(view.find(stated), std::string::npos) << view;
    // Alike on every arch: the panic case errs everywhere, the same way.
    EXPECT_TRUE(std::regex_search(view, std::regex("\n  panic +ERROR +ERROR +ERROR +ERROR\n"))) << view;
}

// One scenario written for two kernel APIs (`compare:`): each kernel runs its
// own case and SKIPs the other; the view shows per kernel the one that ran.
TEST(Report, CompareViewPutsEachApisCaseSideBySide) {
    report::Json d = doc();
    EXPECT_EQ(report::compareView(d), "") << "no compare: labels, no view";
    report::Json base = d["results"][0];
    auto result = [&](const std::string& kernel, const std::string& name, const std::string& verdict,
                      const std::string& title) {
        report::Json r = base;
        r["kernel"] = kernel;
        r["case"] = name;
        r["verdict"] = verdict;
        r["title"] = title;
        r["compare"] = "downgrade";
        return r;
    };
    d["results"] = report::Json::array();
    d["results"].push_back(result("own-7.2", "state/lower-version-refused", "PASS", "A lower version is refused"));
    d["results"].push_back(result("own-7.2", "states-api/downgrade", "SKIP", "A downgrade is allowed"));
    d["results"].push_back(result("own-7.2-klp-states", "state/lower-version-refused", "SKIP", "A lower version is refused"));
    d["results"].push_back(result("own-7.2-klp-states", "states-api/downgrade", "FAIL", "A downgrade is allowed"));
    EXPECT_EQ(report::compareView(d),
              "side by side (cases sharing `compare:`; a kernel runs those its API allows)\n"
              "  downgrade\n"
              "    x86_64/own-7.2             PASS  state/lower-version-refused: A lower version is refused\n"
              "    x86_64/own-7.2-klp-states  FAIL  states-api/downgrade: A downgrade is allowed\n");
    EXPECT_NE(report::toHtml(d).find("<h2>Side by side</h2>"), std::string::npos);
}

// A damaged or hand-edited results.json is a one-line error naming the file, never
// a crash or an escaping JSON exception (the fuzz_results target's findings).
TEST(Report, BadResultsJsonIsOneLineNamingTheFile) {
    const std::pair<const char*, const char*> bad[] = {
        {"{", "r.json: not valid JSON"},
        {"{\"run\": 1e999}", "r.json: "},
        {"[]", "r.json: "},
        {"{\"run\": {}, \"kernels\": [], \"results\": [{\"case\": 1}]}", "r.json: run has no \"harness\""},
    };
    for (const auto& [text, want] : bad) {
        try {
            report::parseResults(text, "r.json");
            ADD_FAILURE() << "accepted: " << text;
        } catch (const klp::UsageError& e) {
            std::string msg = e.what();
            EXPECT_EQ(msg.rfind(want, 0), 0u) << text << " -> " << msg;
            EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        }
    }
}
