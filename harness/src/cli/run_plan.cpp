#include "cli/run_plan.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include "cases/verbs.h"
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

std::vector<Entry> entriesOf(const RunArgs& a, const cases::CaseNames& names) {
    std::vector<Entry> out;
    if (!a.matrix.empty()) {
        for (const auto& m : loadMatrix(a.matrix)) {
            Entry e{runTargets(m.arches, m.kernels), {}, m.cmdline, m.cpus, m.memory, m.repeat, m.accel};
            std::vector<std::string> globs = m.filters;
            globs.insert(globs.end(), a.filters.begin(), a.filters.end());
            e.cases = filtered(cases::loadCases(m.paths, names), globs);
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
    Entry e{runTargets(a.arches, a.kernels), filtered(cases::loadCases(a.paths, names), a.filters), a.cmdline, a.cpus,
            a.memory, a.repeat, {}};
    out.push_back(std::move(e));
    if (!a.filters.empty() && out.front().cases.empty() && !cases::loadCases(a.paths, names).empty())
        throw UsageError("--filter matches no case (names as `klp-harness list` prints them)");
    return out;
}

}  // namespace

RunPlan planRun(const RunArgs& a) {
    if (a.repeat < 1)
        throw UsageError("--repeat must be 1 or more");
    RunPlan plan;
    cases::CaseNames names = runNames(a.modules, a.patches, a.vars, &plan.userModules);
    plan.entries = entriesOf(a, names);
    for (const auto& [name, value] : names.vars)
        if (std::none_of(plan.entries.begin(), plan.entries.end(), [&, &name = name](const Entry& e) {
                return std::any_of(e.cases.begin(), e.cases.end(), [&](const cases::Case& c) { return c.vars.count(name); });
            }))
            throw UsageError("--var " + name + ": no case declares it in vars:");
    for (const auto& name : a.expectSkips)
        if (std::none_of(plan.entries.begin(), plan.entries.end(), [&](const Entry& e) {
                return std::any_of(e.cases.begin(), e.cases.end(), [&](const cases::Case& c) {
                    return ::fnmatch(name.c_str(), c.name.c_str(), 0) == 0;
                });
            }))
            throw UsageError("--expect-skip " + name + ": no such case in the paths given");

    Config base;
    base.userland = a.userland;  // one for the whole run
    planUnits(plan, a, base);
    return plan;
}

void planUnits(RunPlan& plan, const RunArgs& a, const Config& base) {
    auto& configs = plan.configs;
    auto& units = plan.units;
    std::map<std::string, int> dirUses;
    // One config per (target, cmdline, cpus, memory): a case's `machine:` wins over
    // the entry's, and gets a guest (and snapshot) of its own machine.
    auto configOf = [&](const Target& t, const std::string& cmdline, int cpus, int memory, const std::string& accel) {
        for (size_t i = 0; i < configs.size(); i++)
            if (configs[i].target.arch == t.arch && configs[i].target.kernel == t.kernel &&
                configs[i].cmdline == cmdline && configs[i].cpus == cpus && configs[i].memory == memory &&
                configs[i].accel == accel)
                return i;
        Config c = base;
        c.accel = accel;
        c.target = t;
        c.cmdline = cmdline;
        c.cpus = cpus;
        c.memory = memory;
        configs.push_back(std::move(c));
        return configs.size() - 1;
    };
    for (const auto& e : plan.entries)
        for (const auto& t : e.targets) {
            for (const auto& c : e.cases) {
                size_t config = configOf(t, e.cmdline, c.cpus ? c.cpus : e.cpus, c.memory ? c.memory : e.memory, e.accel);
                fs::path dir = fs::path(c.name) / (t.arch + "_" + fs::path(t.kernel).filename().string());
                if (int n = dirUses[dir.string()]++)  // the same case on the same kernel in two matrix entries
                    dir += "-" + std::to_string(n + 1);
                units.push_back({&c, config, dir, e.repeat});
            }
        }
    plan.allUnits = units.size();
    if (a.shard.empty())
        return;
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

cases::CaseNames runNames(const std::vector<std::string>& modules, const std::vector<std::string>& patches,
                          const std::vector<std::string>& vars, std::vector<image::UserModule>* user) {
    cases::CaseNames names = cases::ourCaseNames();
    std::vector<std::string> ours(names.modules.begin(), names.modules.end());
    auto inspected = image::inspectUserModules(modules, ours, patches);
    for (const auto& m : inspected)
        names.modules.insert(m.names.begin(), m.names.end());
    if (user)
        *user = std::move(inspected);
    for (const auto& v : vars) {
        auto eq = v.find('=');
        std::string name = v.substr(0, eq);
        if (eq == std::string::npos || name.empty() ||
            name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
            throw UsageError("--var " + v + ": expected NAME=VALUE");
        names.vars[name] = v.substr(eq + 1);
    }
    return names;
}

void checkLivepatches(const RunPlan& plan, size_t config, const image::ModuleSet& set) {
    std::map<std::string, image::ModuleInfo> theirs;  // the --module ones by name
    for (const auto& ko : set.modules)
        if (ko.parent_path() != set.dir) {
            auto info = image::readModuleInfo(ko);
            theirs.emplace(info.name, info);
        }
    for (const auto& u : plan.units) {
        if (u.config != config)
            continue;
        for (const auto& s : u.c->steps) {
            const cases::Verb* verb = cases::findVerb(s.verb);
            auto it = theirs.find(s.arg);
            if (!verb || !verb->needsLivepatch() || it == theirs.end() || it->second.livepatch)
                continue;
            std::string given;
            for (const auto& m : plan.userModules)
                if (std::find(m.names.begin(), m.names.end(), s.arg) != m.names.end())
                    given = m.path.string();
            throw UsageError(u.c->file.string() + ":" + std::to_string(s.line) + ": '" + s.verb +
                             "' needs a livepatch, but module " + s.arg + " (--module " + given +
                             ") is none: its modinfo has no livepatch=Y");
        }
    }
}

}  // namespace klp::cli
