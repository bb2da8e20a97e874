// The side-by-side view of one scenario written for different kernel APIs: cases
// that share a `compare:` label (cases/README.md) are the same scenario as each
// API lets a patch author express it. Each kernel runs the cases its API allows
// and SKIPs the others, so per label and kernel the view shows which case ran,
// its verdict, and its title (what happened). Pure: rendered from results.json.
#include <set>

#include "report/writers.h"

namespace klp::report {

CompareRows compareRows(const Json& doc) {
    CompareRows rows;
    Groups g = groupResults(doc);
    std::set<std::string> seen;
    for (const auto& group : g.order)
        for (const Json* r : g.members[group]) {
            const std::string label = r->value("compare", "");
            if (label.empty())
                continue;
            if (seen.insert(label).second)
                rows.labels.push_back(label);
            rows.cells[label][group].push_back(r);
        }
    rows.groups = g.order;
    return rows;
}

std::string compareView(const Json& doc) {
    CompareRows rows = compareRows(doc);
    if (rows.labels.empty() || rows.groups.size() < 2)
        return "";
    size_t width = 0;
    for (const auto& group : rows.groups)
        width = std::max(width, group.size());
    std::string out = "side by side (cases sharing `compare:`; a kernel runs those its API allows)\n";
    for (const auto& label : rows.labels) {
        out += "  " + label + "\n";
        for (const auto& group : rows.groups) {
            std::string line = "    " + group + std::string(width - group.size(), ' ');
            bool ran = false;
            for (const Json* r : rows.cells[label][group]) {
                if (r->value("verdict", "") == "SKIP")
                    continue;
                ran = true;
                out += line + "  " + verdictText(*r) + "  " + r->value("case", "") + ": " + r->value("title", "") + "\n";
                line = "    " + std::string(width, ' ');
            }
            if (!ran)
                out += line + "  -     (no case of this scenario runs on this kernel)\n";
        }
    }
    return out;
}

}  // namespace klp::report
