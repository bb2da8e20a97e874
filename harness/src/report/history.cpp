#include "report/history.h"

#include <algorithm>
#include <map>

#include "report/writers.h"
#include "util/files.h"

namespace klp::report {
namespace fs = std::filesystem;

namespace {

std::string esc(const std::string& s) { return htmlEscape(s); }

std::string seconds(double s) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", s);
    return b;
}

}  // namespace

Json history(std::vector<HistoryRun> runs) {
    std::stable_sort(runs.begin(), runs.end(), [](const HistoryRun& a, const HistoryRun& b) {
        return a.doc["run"].value("started", "") < b.doc["run"].value("started", "");
    });
    Json out = {{"runs", Json::array()}, {"cases", Json::array()}};
    std::vector<std::string> order;                   // "group case", first seen
    std::map<std::string, std::vector<Json>> cells;  // per key, a cell per run
    for (size_t i = 0; i < runs.size(); ++i) {
        int pass = 0, fail = 0, skip = 0, other = 0;
        for (const auto& r : runs[i].doc["results"]) {
            const std::string key = groupOf(r) + " " + std::string(r["case"]);
            auto [it, added] = cells.try_emplace(key, std::vector<Json>(runs.size(), nullptr));
            if (added)
                order.push_back(key);
            const std::string v = r.value("verdict", "");
            it->second[i] = {{"verdict", v}, {"seconds", r.value("seconds", 0.0)}};
            (v == "PASS" ? pass : v == "FAIL" ? fail : v == "SKIP" ? skip : other)++;
        }
        out["runs"].push_back({{"dir", runs[i].dir.string()},
                               {"started", runs[i].doc["run"].value("started", "")},
                               {"report", (runs[i].dir / "report.html").string()},
                               {"pass", pass}, {"fail", fail}, {"skip", skip}, {"other", other}});
    }
    for (const auto& key : order) {
        const auto& row = cells[key];
        int changed = -1, changes = 0;
        const Json* before = nullptr;  // the last run that had the case
        for (size_t i = 0; i < row.size(); ++i) {
            if (row[i].is_null())
                continue;
            if (before && (*before)["verdict"] != row[i]["verdict"]) {
                changes++;
                if (changed < 0)
                    changed = int(i);
            }
            before = &row[i];
        }
        const auto space = key.find(' ');
        out["cases"].push_back({{"group", key.substr(0, space)}, {"case", key.substr(space + 1)}, {"cells", row},
                                {"changed", changed}, {"changes", changes}, {"flips", changes >= 2}});
    }
    return out;
}

std::string historyText(const Json& h) {
    const auto& runs = h["runs"];
    std::string out = "history of " + std::to_string(runs.size()) + " runs, " + std::to_string(h["cases"].size()) +
                      " case runs per night at most\n";
    int changedCount = 0, flipping = 0;
    for (const auto& c : h["cases"]) {
        if (c["changed"].get<int>() < 0)
            continue;
        changedCount++;
        if (c["flips"].get<bool>())
            flipping++;
        std::string verdicts;
        for (const auto& cell : c["cells"])
            verdicts += (verdicts.empty() ? "" : " ") + (cell.is_null() ? std::string("-") : std::string(cell["verdict"]));
        out += std::string(c["flips"].get<bool>() ? "flips   " : "changed ") + std::string(c["group"]) + " " +
               std::string(c["case"]) + ": " + verdicts + " (first in " +
               std::string(runs[c["changed"].get<int>()]["dir"]) + ")\n";
    }
    out += std::to_string(changedCount) + " cases changed verdict, " + std::to_string(flipping) + " of them more than once\n";
    return out;
}

std::string historyHtml(const Json& h) {
    std::string p =
        "<!doctype html><html><head><meta charset=utf-8><title>klp-harness history</title><style>"
        "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}"
        ".PASS{background:#cfc}.FAIL{background:#fcc}.ERROR{background:#f99}.SKIP{background:#eee}"
        ".MISS{background:#fc9}.FLAKY{background:#ffc}.first{outline:2px solid #00f}"
        "tr.flips td:first-child{font-weight:bold}tr.flips td:first-child::after{content:' (flips)'}"
        "</style></head><body><h1>klp-harness history</h1><p id=summary></p><table id=history><tr><th>case</th>";
    for (const auto& r : h["runs"])
        p += "<th><a href='" + esc(r["report"]) + "'>" + esc(r["started"].get<std::string>().empty() ? std::string(r["dir"])
                                                                                                    : std::string(r["started"])) +
             "</a><br><small>" + std::to_string(r["pass"].get<int>()) + " pass, " +
             std::to_string(r["fail"].get<int>() + r["other"].get<int>()) + " not</small></th>";
    p += "</tr>";
    for (const auto& c : h["cases"]) {
        const int changed = c["changed"];
        p += std::string("<tr class='") + (changed >= 0 ? "changed" : "same") + (c["flips"].get<bool>() ? " flips" : "") +
             "'><td>" + esc(std::string(c["group"]) + " " + std::string(c["case"])) + "</td>";
        for (size_t i = 0; i < c["cells"].size(); ++i) {
            const Json& cell = c["cells"][i];
            if (cell.is_null()) {
                p += "<td></td>";
                continue;
            }
            const std::string v = cell["verdict"];
            p += "<td class='" + esc(v) + (int(i) == changed ? " first" : "") + "'>" + esc(v) + " " +
                 seconds(cell["seconds"]) + " s</td>";
        }
        p += "</tr>";
    }
    // The summary is counted from the table as the browser has it: a check that
    // the page works where it is read, not only that its text was written.
    p += "</table><script>"
         "const rows=[...document.querySelectorAll('#history tr')].slice(1);"
         "const changed=rows.filter(r=>r.classList.contains('changed')).length;"
         "const flips=rows.filter(r=>r.classList.contains('flips')).length;"
         "document.getElementById('summary').textContent="
         "rows.length+' cases, '+changed+' changed verdict, '+flips+' flip (changed more than once); "
         "a blue outline marks the first run that differs';"
         "</script></body></html>\n";
    return p;
}

std::string writeHistory(const std::vector<std::string>& dirs, const fs::path& out) {
    std::vector<HistoryRun> runs;
    for (const auto& d : dirs) {
        fs::path dir = fs::is_directory(d) ? fs::path(d) : fs::path(d).parent_path();
        runs.push_back({fs::absolute(dir), readResults(d)});
    }
    Json h = history(std::move(runs));
    fs::create_directories(out);
    writeFile(out / "history.json", h.dump(1) + "\n");
    writeFile(out / "history.html", historyHtml(h));
    return historyText(h);
}

}  // namespace klp::report
