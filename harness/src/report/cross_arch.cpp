// The cross-arch view of a run: the same cases on several arches, verdicts side
// by side, and for every case that did not behave alike, the steps (expectations)
// whose outcome differed. Pure: rendered from results.json alone.
#include <algorithm>
#include <set>

#include "report/writers.h"

namespace klp::report {

namespace {
std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string stepKey(const Json& step) {
    return std::to_string(step.value("line", 0)) + " " + step.value("verb", "") +
           (step.value("arg", "").empty() ? "" : " " + step.value("arg", ""));
}

// A step the case gives to other arches (`arch:`): a stated difference, not one to report.
bool givenToOtherArches(const Json& step) {
    return step.value("status", "") == "skip" && step.value("message", "").rfind("only on ", 0) == 0;
}

// One line per step whose outcome is not the same in every group that ran the case.
std::string differingSteps(const std::string& file, const std::vector<std::pair<std::string, const Json*>>& runs) {
    std::vector<std::string> order;  // step keys in case order
    std::map<std::string, std::map<std::string, const Json*>> byStep;  // key -> group -> step
    for (const auto& [group, r] : runs)
        for (const auto& step : (*r)["steps"]) {
            std::string key = stepKey(step);
            if (!byStep.count(key))
                order.push_back(key);
            byStep[key][group] = &step;
        }
    std::string out;
    for (const auto& key : order) {
        // Groups by outcome, outcomes in the order the groups first show them.
        std::vector<std::string> outcomes;
        std::map<std::string, std::string> who, why;
        for (const auto& [group, r] : runs) {
            auto it = byStep[key].find(group);
            if (it != byStep[key].end() && givenToOtherArches(*it->second))
                continue;
            std::string status = it == byStep[key].end() ? "not run" : it->second->value("status", "");
            if (!who.count(status))
                outcomes.push_back(status);
            who[status] += (who[status].empty() ? "" : ", ") + group;
            if (it != byStep[key].end() && why[status].empty())
                why[status] = firstLine(it->second->value("message", ""));
        }
        if (outcomes.size() < 2)
            continue;
        std::string line = "      " + file + ":" + key + ":";
        for (const auto& status : outcomes)
            line += " " + status + " on " + who[status] + (why[status].empty() ? "" : " (" + why[status] + ")") + ";";
        line.pop_back();
        out += line + "\n";
    }
    return out;
}
}  // namespace

std::string crossArchView(const Json& doc) {
    Groups g = groupResults(doc);
    std::set<std::string> arches;
    for (const auto& group : g.order)
        arches.insert(group.substr(0, group.find('/')));
    if (arches.size() < 2)
        return "";

    std::vector<std::string> cases;  // in first-seen order
    std::map<std::string, std::vector<std::pair<std::string, const Json*>>> runs;  // case -> (group, result)
    std::map<std::string, std::string> files;
    for (const auto& group : g.order)
        for (const Json* r : g.members[group]) {
            std::string name = (*r)["case"];
            if (!runs.count(name))
                cases.push_back(name);
            runs[name].emplace_back(group, r);
            files[name] = r->value("file", name);
        }

    size_t width = 4;
    for (const auto& c : cases)
        width = std::max(width, c.size());
    size_t col = 7;
    for (const auto& group : g.order)
        col = std::max(col, group.size());
    auto pad = [](std::string s, size_t w) { return s + std::string(w > s.size() ? w - s.size() : 0, ' '); };

    std::string out = "cross-arch view (" + std::to_string(cases.size()) + " cases; * = not alike)\n  " + pad("case", width);
    for (const auto& group : g.order)
        out += "  " + pad(group, col);
    out += "\n";
    int alike = 0, differ = 0;
    for (const auto& c : cases) {
        std::map<std::string, std::string> verdicts;
        for (const auto& [group, r] : runs[c])
            verdicts[group] = (*r)["verdict"];
        std::string row = pad(c, width);
        std::set<std::string> distinct;
        for (const auto& group : g.order) {
            auto it = verdicts.find(group);
            std::string v = it == verdicts.end() ? "-" : it->second;
            distinct.insert(v);
            row += "  " + pad(v, col);
        }
        while (!row.empty() && row.back() == ' ')
            row.pop_back();
        std::string steps = differingSteps(files[c], runs[c]);
        bool same = distinct.size() == 1 && steps.empty();
        (same ? alike : differ)++;
        out += (same ? "  " : "* ") + row + "\n";
        // A verdict that differs without a step to blame: say why each one is what it is.
        if (steps.empty() && distinct.size() > 1)
            for (const auto& [group, r] : runs[c])
                if (!r->value("reason", "").empty())
                    steps += "      " + group + ": " + firstLine((*r)["reason"]) + "\n";
        out += steps;
    }
    out += std::to_string(alike) + " cases behave alike on every arch, " + std::to_string(differ) + " differ\n";
    return out;
}

}  // namespace klp::report
