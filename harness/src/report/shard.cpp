#include "report/shard.h"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "util/error.h"

namespace klp::report {

std::string unitKey(const WorkUnit& u) { return u.caseName + "|" + u.arch + "|" + u.kernel; }

std::map<std::string, double> durationsFrom(const Json& doc) {
    std::map<std::string, double> out;
    for (const auto& r : doc["results"])
        if (r.contains("seconds") && r["seconds"].get<double>() >= 0)
            out[unitKey({r["case"], r.value("arch", ""), r.value("kernel", "")})] = r["seconds"];
    return out;
}

namespace {
// Each unit's expected seconds: its own, else the median of the known ones.
std::vector<double> weights(const std::vector<WorkUnit>& units, const std::map<std::string, double>& durations) {
    std::vector<double> w(units.size(), -1), known;
    for (size_t i = 0; i < units.size(); i++)
        if (auto it = durations.find(unitKey(units[i])); it != durations.end() && it->second >= 0)
            known.push_back(w[i] = it->second);
    double fill = 1.0;
    if (!known.empty()) {
        std::sort(known.begin(), known.end());
        size_t n = known.size();
        fill = n % 2 ? known[n / 2] : (known[n / 2 - 1] + known[n / 2]) / 2;
    }
    for (double& x : w)
        if (x < 0)
            x = fill;
    return w;
}
}  // namespace

std::vector<WorkUnit> shardUnits(const std::vector<WorkUnit>& units, int index, int count,
                                 const std::map<std::string, double>& durations) {
    if (count < 1 || index < 1 || index > count)
        throw UsageError("shard " + std::to_string(index) + "/" + std::to_string(count) + ": no such shard");
    std::vector<double> w = weights(units, durations);
    std::vector<size_t> order(units.size());
    std::iota(order.begin(), order.end(), 0);
    // Longest first; equal lengths in run order (stable), so every shard agrees.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return w[a] > w[b]; });
    std::vector<double> load(count, 0.0);
    std::vector<int> shardOf(units.size());
    for (size_t u : order) {
        // min_element returns the first minimum: ties go to the lower shard.
        int s = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
        load[s] += w[u];
        shardOf[u] = s + 1;
    }
    std::vector<WorkUnit> out;
    for (size_t i = 0; i < units.size(); i++)
        if (shardOf[i] == index)
            out.push_back(units[i]);
    return out;
}

ShardSpec parseShard(const std::string& text) {
    auto bad = [&](const std::string& why) { return UsageError("--shard " + text + ": " + why); };
    auto slash = text.find('/');
    ShardSpec s;
    auto number = [&](std::string_view part, int& out) {
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
        return !part.empty() && ec == std::errc() && end == part.data() + part.size();
    };
    std::string_view all(text);
    if (slash == std::string::npos || !number(all.substr(0, slash), s.index) || !number(all.substr(slash + 1), s.count))
        throw bad("expected INDEX/COUNT, e.g. 2/5 (the second of five shards)");
    if (s.count < 1)
        throw bad("the count must be at least 1");
    if (s.index < 1 || s.index > s.count)
        throw bad("the index runs from 1 to " + std::to_string(s.count));
    return s;
}

}  // namespace klp::report
