#include "cli/run_plan.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include "cli/matrix.h"
#include "report/results.h"
#include "report/shard.h"
#include "util/error.h"

namespace klp::cli {
namespace fs = std::filesystem;

namespace {

std::vector<cases::Case> filtered(std::vector<cases::Case> cases, const std::vector<std::string>& globs) {
    if (globs.empty())
        return cases;
    std::erase_if(cases, [&](const cases::Case& c) {
        return std::none_of(globs.begin(), globs.end(),
                            [&](const std::string& g) { return fnmatch(g.c_str(), c.name.c_str(), 0) == 0; });
    });
    return cases;
}

std::vector<Entry> entriesOf(const RunArgs& a) {
    std::vector<Entry> out;
    if (!a.matrix.empty()) {
        for (const auto& m : loadMatrix(a.matrix)) {
            Entry e{runTargets(m.arches, m.kernels), {}, m.cmdline, m.cpus, m.memory, m.repeat};
            std::vector<std::string> globs = m.filters;
            globs.insert(globs.end(), a.filters.begin(), a.filters.end());
            e.cases = filtered(cases::loadCases(m.paths), globs);
            if (a.repeat > 1)
                e.repeat = a.repeat;
            if (!a.cmdline.empty())
                e.cmdline += (e.cmdline.empty() ? "" : " ") + a.cmdline;
            out.push_back(std::move(e));
        }
        return out;
    }
    if (a.kernels.empty())
        throw UsageError("run: give --kernel (or --matrix FILE)");
    if (a.paths.empty())
        throw UsageError("run: give case files or folders (or --matrix FILE)");
    Entry e{runTargets(a.arches, a.kernels), filtered(cases::loadCases(a.paths), a.filters), a.cmdline, a.cpus,
            a.memory, a.repeat};
    out.push_back(std::move(e));
    if (!a.filters.empty() && out.front().cases.empty() && !cases::loadCases(a.paths).empty())
        throw UsageError("--filter matches no case (names as `klp-harness list` prints them)");
    return out;
}

}  // namespace

RunPlan planRun(const RunArgs& a) {
    if (a.repeat < 1)
        throw UsageError("--repeat must be 1 or more");
    RunPlan plan;
    plan.entries = entriesOf(a);
    for (const auto& name : a.expectSkips)
        if (std::none_of(plan.entries.begin(), plan.entries.end(), [&](const Entry& e) {
                return std::any_of(e.cases.begin(), e.cases.end(), [&](const cases::Case& c) { return c.name == name; });
            }))
            throw UsageError("--expect-skip " + name + ": no such case in the paths given");

    // The units in run order (per entry, per target, per case), then this shard's.
    auto& configs = plan.configs;
    auto& units = plan.units;
    std::map<std::string, int> dirUses;
    for (const auto& e : plan.entries)
        for (const auto& t : e.targets) {
            configs.push_back({t, e.cmdline, e.cpus, e.memory, {}, {}});
            for (const auto& c : e.cases) {
                fs::path dir = fs::path(c.name) / (t.arch + "_" + fs::path(t.kernel).filename().string());
                if (int n = dirUses[dir.string()]++)  // the same case on the same kernel in two matrix entries
                    dir += "-" + std::to_string(n + 1);
                units.push_back({&c, configs.size() - 1, dir, e.repeat});
            }
        }
    plan.allUnits = units.size();
    if (!a.shard.empty()) {
        auto [index, count] = report::parseShard(a.shard);
        std::map<std::string, double> durations;
        if (!a.durations.empty())
            durations = report::durationsFrom(report::readResults(a.durations));
        std::vector<report::WorkUnit> all;
        for (const auto& u : units)
            all.push_back({u.c->name, configs[u.config].target.arch, configs[u.config].target.kernel});
        auto mine = report::shardUnits(all, index, count, durations);
        std::set<std::string> keep;
        for (const auto& w : mine)
            keep.insert(w.caseName + "|" + w.arch + "|" + w.kernel);
        std::erase_if(units, [&](const Unit& u) {
            return !keep.count(u.c->name + "|" + configs[u.config].target.arch + "|" + configs[u.config].target.kernel);
        });
    }
    return plan;
}

}  // namespace klp::cli
