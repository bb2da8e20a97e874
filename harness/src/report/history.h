// The nightly history: several runs' results.json as one table, cases by runs.
// What a team reads in the morning: which cases changed verdict, since which
// night, and which flip back and forth (flaky across nights, where one run's
// `--repeat` cannot see it). Pure: built from results.json files alone.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "report/results.h"

namespace klp::report {

// One run of the history: its dir and its results.json.
struct HistoryRun {
    std::filesystem::path dir;
    Json doc;
};

// Runs in the order they started (run.started; the order given where equal).
// The JSON form (history.json):
//   runs:  [{dir, started, report: ".../report.html", pass, fail, skip, other}]
//   cases: [{group, case, cells: [{verdict, seconds} | null per run],
//            changed: index of the first run whose verdict differs from the run
//            before it (-1: never), changes: how many times it changed,
//            flips: changes >= 2}]
// A change is what `klp-harness diff` lists as a verdict change between two
// consecutive runs (same key: arch/kernel and case).
Json history(std::vector<HistoryRun> runs);

// One self-contained page of history(): the table with links to each run's
// report, changed and flipping cases marked, and a summary its script writes.
std::string historyHtml(const Json& history);

// The text summary: per changed case its verdicts over the runs and since when.
std::string historyText(const Json& history);

// Reads each dir's results.json (a one-line error naming the bad one) and
// writes history.json and history.html into `out`; returns historyText().
std::string writeHistory(const std::vector<std::string>& dirs, const std::filesystem::path& out);

}  // namespace klp::report
