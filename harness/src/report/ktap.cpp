#include <map>
#include <vector>

#include "report/writers.h"

namespace klp::report {

std::string groupOf(const Json& r) { return r.value("arch", "") + "/" + r.value("kernel", ""); }

Groups groupResults(const Json& doc) {
    Groups g;
    for (const auto& r : doc["results"]) {
        std::string name = groupOf(r);
        if (!g.members.count(name))
            g.order.push_back(name);
        g.members[name].push_back(&r);
    }
    return g;
}

namespace {
// KTAP descriptions must not contain '#' (it starts a directive) or newlines.
std::string clean(std::string s) {
    for (char& c : s)
        if (c == '#' || c == '\n')
            c = ' ';
    return s;
}
}  // namespace

std::string toKtap(const Json& doc) {
    auto [order, groups] = groupResults(doc);
    std::string out = "KTAP version 1\n1.." + std::to_string(order.size()) + "\n";
    int gi = 0;
    for (const auto& g : order) {
        gi++;
        out += "    KTAP version 1\n    # Subtest: " + g + "\n";
        out += "    1.." + std::to_string(groups[g].size()) + "\n";
        bool allOk = true;
        int ci = 0;
        for (const Json* r : groups[g]) {
            ci++;
            std::string v = (*r)["verdict"];
            bool ok = v == "PASS" || v == "SKIP";
            allOk &= ok;
            // Why a case did not pass goes in a diagnostic line before its result
            // (KTAP directives are only SKIP, TODO and friends). FLAKY is no KTAP
            // directive either: a parser that meets "# FLAKY" after a result reads
            // it as an unknown directive (kunit.py drops it, TAP14 parsers may
            // warn), so a FLAKY case is a plain "not ok" with its counts here:
            // "# FLAKY 3/5 passed; FAIL 2: <reason of the first failing attempt>".
            if (!ok)
                out += "    # " + clean(verdictText(*r)) + ": " + clean(r->value("reason", "")).substr(0, 200) + "\n";
            if (!ok && !r->value("repro", "").empty())
                out += "    # repro: " + clean(r->value("repro", "")) + "\n";
            out += "    " + std::string(ok ? "ok " : "not ok ") + std::to_string(ci) + " " + clean((*r)["case"]);
            if (v == "SKIP")
                out += " # SKIP " + clean(r->value("reason", ""));
            out += "\n";
        }
        out += std::string(allOk ? "ok " : "not ok ") + std::to_string(gi) + " " + g + "\n";
    }
    return out;
}

}  // namespace klp::report
