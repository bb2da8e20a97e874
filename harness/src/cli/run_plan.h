// What a `run` will do, decided before anything is fetched or booted: its
// entries (the flags, or each row of a --matrix file), the guest configs, and
// the units (one case on one config) in run order, cut to this --shard.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "cases/case_file.h"
#include "cli/run_cases.h"
#include "image/kernels.h"
#include "image/modules.h"
#include "image/user_modules.h"
#include "testbed/slot.h"

namespace klp::cli {

// A guest config: kernel, modules and machine, shared by the units on it. The
// kernel and modules are filled in once they are fetched or built.
struct Config {
    Target target;
    std::string cmdline;
    int cpus = 1, memory = 512;
    std::string accel;  // a matrix row's accel:; empty: --accel
    image::KernelImage kernel;
    image::ModuleSet modules;
    std::string userland = "base";
    std::vector<std::filesystem::path> archives;  // cpio layers over the userland (a selftests payload)
    bool ourModules = true;  // our modules (and --module ones) in /lib/klp/; false: work that needs none
    testbed::GuestConfig guest() const {
        testbed::GuestConfig g{kernel, ourModules ? &modules : nullptr, cmdline, cpus, memory, {userland, archives}};
        if (!accel.empty())
            g.accel = vm::parseAccel(accel);
        return g;
    }
};

// A run group as the flags or a matrix row give it; it owns its cases.
struct Entry {
    std::vector<Target> targets;
    std::vector<cases::Case> cases;
    std::string cmdline;
    int cpus = 1, memory = 512, repeat = 1;
    std::string accel;  // empty: --accel
};

// One case on one guest config, run `repeat` times: what a verdict line reports.
struct Unit {
    const cases::Case* c = nullptr;  // in RunPlan::entries
    size_t config = 0;
    std::filesystem::path dir;  // its logs, relative to --out (attempt K of a repeat: dir/try-K)
    int repeat = 1;
};

struct RunPlan {
    std::vector<image::UserModule> userModules;  // --module, inspected (names known, nothing built)
    std::vector<Entry> entries;
    std::vector<Config> configs;
    std::vector<Unit> units;  // this shard's, in run order
    size_t allUnits = 0;      // before --shard
};

// Throws UsageError (one line, file:line where a file is at fault) for bad
// flags, case files, matrix files or --durations.
RunPlan planRun(const RunArgs& a);

// The units of `plan.entries` in run order (per entry, per target, per case),
// each on a config made with `base` (its target, cmdline, cpus and memory set
// per unit), then cut to a.shard. For every kind of work: planRun uses it for
// case files; generated work fills the entries itself.
void planUnits(RunPlan& plan, const RunArgs& a, const Config& base);

// What cases may name in a run: our modules, the --module and --patch ones, and
// the --var values. Throws UsageError for a bad --module, --patch or --var.
cases::CaseNames runNames(const std::vector<std::string>& modules, const std::vector<std::string>& patches,
                          const std::vector<std::string>& vars, std::vector<image::UserModule>* user = nullptr);

// A step that needs a livepatch (enable, disable, force, ...) naming one of
// the --module modules in `set` that is none (no modinfo livepatch=Y): a
// UsageError "<case>:<line>: ..." before any guest boots.
void checkLivepatches(const RunPlan& plan, size_t config, const image::ModuleSet& set);

}  // namespace klp::cli
