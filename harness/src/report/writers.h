// The reports rendered from results.json (and nothing else).
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "report/results.h"

namespace klp::report {

// KTAP version 1: one subtest per (arch, kernel), each case a result inside it.
std::string toKtap(const Json& doc);
// JUnit XML as Jenkins and GitLab read it: a testsuite per (arch, kernel).
std::string toJunit(const Json& doc, const std::filesystem::path& dir);
// `s` safe in HTML text and in quoted attributes (either quote).
std::string htmlEscape(const std::string& s);
// One self-contained HTML page: verdict matrix, per-case sections, transition timelines.
std::string toHtml(const Json& doc);

// Writes results.ktap, junit.xml and report.html into `dir` from its results.json.
void renderAll(const Json& doc, const std::filesystem::path& dir);

// Cases whose verdict changed between two runs, and those whose time moved by
// more than `ratio` (0.5 = 50 %) and `minSeconds`; one line each.
std::string diffRuns(const Json& oldDoc, const Json& newDoc, double ratio, double minSeconds);

// The results whose verdict got worse from oldDoc to newDoc, one line each: a PASS
// (or SKIP) that is now anything else (FLAKY too), or a new result that is not a
// PASS or SKIP.
// What a nightly job acts on.
std::vector<std::string> worseVerdicts(const Json& oldDoc, const Json& newDoc);

// For a run over two or more arches: per case the verdicts side by side, and the
// steps whose outcome differed between the groups ("" for a single-arch run).
std::string crossArchView(const Json& doc);

// Cases that share a `compare:` label: one scenario as each kernel API lets it be
// written. Per label and group (arch/kernel) the results, labels in first-seen order.
struct CompareRows {
    std::vector<std::string> labels, groups;
    std::map<std::string, std::map<std::string, std::vector<const Json*>>> cells;
};
CompareRows compareRows(const Json& doc);
// The same as text: per label, per group the case that ran, its verdict and its
// title ("" when no label or a single group).
std::string compareView(const Json& doc);

// A result run several times (`run --repeat N`, N > 1): "3/5 passed; FAIL 2" (the
// other verdicts' counts by name); "" for a result run once.
std::string repeatSummary(const Json& result);
// The verdict as the text reports print it: "FLAKY 3/5 passed; FAIL 2" for a FLAKY
// result (the attempts did not agree), else the verdict alone.
std::string verdictText(const Json& result);

// The group a result belongs to: "x86_64/debian-6.1".
std::string groupOf(const Json& result);

// Results by group, groups in the order they first appear.
struct Groups {
    std::vector<std::string> order;
    std::map<std::string, std::vector<const Json*>> members;
};
Groups groupResults(const Json& doc);

}  // namespace klp::report
