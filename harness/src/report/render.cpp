#include <cmath>
#include <map>

#include "report/writers.h"
#include "util/files.h"

namespace klp::report {

void renderAll(const Json& doc, const std::filesystem::path& dir) {
    writeFile(dir / "results.ktap", toKtap(doc));
    writeFile(dir / "junit.xml", toJunit(doc, dir));
    writeFile(dir / "report.html", toHtml(doc));
}

std::string repeatSummary(const Json& r) {
    auto it = r.find("repeat");
    if (it == r.end() || (*it)["runs"].get<int>() < 2)
        return "";
    const Json& counts = (*it)["counts"];
    std::string s = std::to_string(counts.value("PASS", 0)) + "/" + std::to_string((*it)["runs"].get<int>()) + " passed";
    for (const auto& [verdict, n] : counts.items())
        if (verdict != "PASS" && n.get<int>() > 0)
            s += "; " + verdict + " " + std::to_string(n.get<int>());
    return s;
}

std::string verdictText(const Json& r) {
    std::string v = r["verdict"], counts = repeatSummary(r);
    return v == "FLAKY" && !counts.empty() ? v + " " + counts : v;
}

std::string diffRuns(const Json& oldDoc, const Json& newDoc, double ratio, double minSeconds) {
    std::map<std::string, const Json*> before;
    for (const auto& r : oldDoc["results"])
        before[groupOf(r) + " " + std::string(r["case"])] = &r;
    std::string changed, slower, added;
    for (const auto& r : newDoc["results"]) {
        std::string key = groupOf(r) + " " + std::string(r["case"]);
        auto it = before.find(key);
        if (it == before.end()) {
            added += "new      " + key + ": " + verdictText(r) + "\n";
            continue;
        }
        const Json& o = *it->second;
        before.erase(it);
        // A FLAKY's counts move from run to run by nature: only a new verdict is listed.
        if (o["verdict"] != r["verdict"])
            changed += "verdict  " + key + ": " + verdictText(o) + " -> " + verdictText(r) +
                       (r.value("reason", "").empty() ? "" : " (" + std::string(r["reason"]) + ")") + "\n";
        double t0 = o.value("seconds", 0.0), t1 = r.value("seconds", 0.0);
        if (std::fabs(t1 - t0) >= minSeconds && t0 > 0 && std::fabs(t1 - t0) / t0 >= ratio) {
            char b[128];
            std::snprintf(b, sizeof b, "%.1f s -> %.1f s (%+.0f%%)", t0, t1, (t1 - t0) / t0 * 100);
            slower += "time     " + key + ": " + b + "\n";
        }
    }
    for (const auto& [key, r] : before)
        added += "gone     " + key + "\n";
    return changed + slower + added;
}

std::vector<std::string> worseVerdicts(const Json& oldDoc, const Json& newDoc) {
    auto fine = [](const std::string& v) { return v == "PASS" || v == "SKIP"; };
    std::map<std::string, std::string> before;
    for (const auto& r : oldDoc["results"])
        before[groupOf(r) + " " + std::string(r["case"])] = r["verdict"];
    std::vector<std::string> worse;
    for (const auto& r : newDoc["results"]) {
        std::string key = groupOf(r) + " " + std::string(r["case"]), now = r["verdict"];
        auto it = before.find(key);
        if (it == before.end() ? !fine(now) : fine(it->second) && !fine(now))
            worse.push_back(key + ": " + (it == before.end() ? "new" : it->second) + " -> " + now);
    }
    return worse;
}

}  // namespace klp::report
