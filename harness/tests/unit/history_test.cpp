// The nightly history (report --history): three nights of the recorded run, in
// which one case breaks for good and another flips back and forth.
#include "report/history.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "report/writers.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
const fs::path runDir = fs::path(KLP_FIXTURES) / "run";

struct Nights {
    std::vector<report::HistoryRun> runs;
    std::string broken, flipping;  // "group case" keys
    Nights() {
        report::Json base = report::readResults(runDir);
        const auto& results = base["results"];
        broken = report::groupOf(results[0]) + " " + std::string(results[0]["case"]);
        flipping = report::groupOf(results[1]) + " " + std::string(results[1]["case"]);
        // Given out of order: the history sorts by run.started.
        for (int night : {2, 0, 1}) {
            report::Json d = base;
            d["run"]["started"] = "2026-12-0" + std::to_string(night + 1) + "T02:00:00Z";
            if (night >= 1)
                d["results"][0]["verdict"] = "FAIL";
            d["results"][1]["verdict"] = night == 1 ? "FAIL" : "PASS";
            runs.push_back({fs::path("night") / std::to_string(night), d});
        }
    }
};

const report::Json* row(const report::Json& h, const std::string& key) {
    for (const auto& c : h["cases"])
        if (std::string(c["group"]) + " " + std::string(c["case"]) == key)
            return &c;
    return nullptr;
}
}  // namespace

TEST(History, FirstChangeAndFlipsPerCase) {
    Nights n;
    report::Json h = report::history(n.runs);
    ASSERT_EQ(h["runs"].size(), 3u);
    EXPECT_EQ(h["runs"][0]["dir"], "night/0");  // by start time, not argument order
    const report::Json* broken = row(h, n.broken);
    const report::Json* flipping = row(h, n.flipping);
    ASSERT_TRUE(broken && flipping);
    EXPECT_EQ((*broken)["changed"], 1);
    EXPECT_EQ((*broken)["changes"], 1);
    EXPECT_FALSE((*broken)["flips"].get<bool>());
    EXPECT_EQ((*flipping)["changed"], 1);
    EXPECT_EQ((*flipping)["changes"], 2);
    EXPECT_TRUE((*flipping)["flips"].get<bool>());
    int unchanged = 0;
    for (const auto& c : h["cases"])
        unchanged += c["changed"] == -1;
    EXPECT_EQ(unchanged, int(h["cases"].size()) - 2);
    std::string text = report::historyText(h);
    EXPECT_NE(text.find("flips   " + n.flipping + ": PASS FAIL PASS (first in night/1)"), std::string::npos) << text;
    EXPECT_NE(text.find("changed " + n.broken + ": PASS FAIL FAIL (first in night/1)"), std::string::npos) << text;
    EXPECT_NE(text.find("2 cases changed verdict, 1 of them more than once"), std::string::npos) << text;
}

// What `diff` lists as verdict changes between two nights is what the history
// counts as a change between them.
TEST(History, AgreesWithDiff) {
    Nights n;
    report::Json h = report::history(n.runs);
    std::vector<report::HistoryRun> sorted = n.runs;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.dir < b.dir; });
    for (size_t i = 1; i < sorted.size(); ++i) {
        std::string d = report::diffRuns(sorted[i - 1].doc, sorted[i].doc, 100.0, 1e9);
        std::set<std::string> fromDiff;
        std::istringstream lines(d);
        std::smatch m;
        for (std::string l; std::getline(lines, l);)
            if (std::regex_search(l, m, std::regex("^verdict  (\\S+ \\S+): ")))
                fromDiff.insert(m[1]);
        std::set<std::string> fromHistory;
        for (const auto& c : h["cases"])
            if (!c["cells"][i - 1].is_null() && !c["cells"][i].is_null() &&
                c["cells"][i - 1]["verdict"] != c["cells"][i]["verdict"])
                fromHistory.insert(std::string(c["group"]) + " " + std::string(c["case"]));
        EXPECT_EQ(fromDiff, fromHistory) << "nights " << i - 1 << " -> " << i << "\n" << d;
        EXPECT_FALSE(fromDiff.empty());
    }
}

TEST(History, PageLinksEachRunAndMarksTheFirstChange) {
    Nights n;
    std::string page = report::historyHtml(report::history(n.runs));
    EXPECT_NE(page.find("<a href='night/0/report.html'>2026-12-01T02:00:00Z</a>"), std::string::npos);
    EXPECT_NE(page.find("<tr class='changed flips'>"), std::string::npos);
    EXPECT_NE(page.find("<td class='FAIL first'>"), std::string::npos);
    EXPECT_NE(page.find("id=summary"), std::string::npos);
}
