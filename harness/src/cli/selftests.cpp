#include "cli/selftests.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "cli/executor.h"
#include "cli/repro.h"
#include "selftests/cases.h"
#include "testbed/testbed.h"
#include "util/clock.h"
#include "util/error.h"
#include "vm/arch.h"

namespace klp::cli {
namespace fs = std::filesystem;

namespace {

// `selftests` with the target and source of this run, for repro lines.
std::string rerunCommand(const SelftestArgs& s, const Target& t) {
    std::string cmd = "klp-harness selftests --arch " + t.arch + " --kernel " + shellQuote(t.kernel);
    if (!s.source.empty())
        cmd += " --source " + shellQuote(s.source);
    if (!s.run.cmdline.empty())
        cmd += " --cmdline " + shellQuote(s.run.cmdline);
    return cmd;
}
}  // namespace

int runSelftests(const SelftestArgs& s) {
    RunArgs a = s.run;
    auto targets = runTargets(a.arches, a.kernels);
    if (targets.size() != 1)
        throw UsageError("selftests: give one --arch and one --kernel");
    const Target t = targets.front();
    const vm::ArchProfile& arch = vm::archProfile(t.arch);
    if (!s.source.empty() && !fs::is_directory(s.source))
        throw UsageError("--source " + s.source + ": no such directory");
    if (a.repeat < 1)
        throw UsageError("--repeat must be 1 or more");

    // The scripts come with the payload, built for the kernel under test.
    testbed::Testbed bed(
        {.cacheDir = a.cacheDir, .uri = a.uri, .cpus = a.cpus, .memoryMiB = a.memory, .accel = vm::parseAccel(a.accel)});
    auto kernel = bed.kernel(t.kernel, t.arch);
    selftests::Source src = selftests::selftestSource(kernel, s.source, bed.cache());
    selftests::Payload payload =
        selftests::buildPayload(kernel, {arch.kbuildArch, arch.crossCompile, arch.bootImage}, src, bed.cache());
    std::vector<std::string> scripts;
    for (const auto& script : payload.scripts)
        if (selftests::scriptSelected(script, a.filters))
            scripts.push_back(script);
    if (scripts.empty()) {
        std::fprintf(stderr, "klp-harness: no selftest script matches --filter (%s has %zu)\n", src.origin.c_str(),
                     payload.scripts.size());
        return 2;
    }

    RunPlan plan;
    plan.entries.push_back({{t}, selftests::scriptCases(payload, src, scripts, s.timeout, rerunCommand(s, t)),
                            a.cmdline, a.cpus, a.memory, a.repeat, {}});
    for (const auto& name : a.expectSkips)
        if (std::none_of(scripts.begin(), scripts.end(),
                         [&](const auto& x) { return "selftests/" + fs::path(x).stem().string() == name; }))
            throw UsageError("--expect-skip " + name + ": no such selftest (names: selftests/test-x)");
    Config base;
    base.userland = "full";
    base.archives = {payload.archive};
    base.ourModules = false;
    planUnits(plan, a, base);

    if (a.out.empty())
        a.out = nowText("klp-results/selftests-%Y%m%d-%H%M%S");
    if (a.jobs == 0 && a.hosts.empty())
        a.jobs = 1;  // one guest unless asked: the scripts are long and load the CPU themselves
    report::Json meta = {{"selftests", {{"source", src.origin}, {"layout", payload.layout}, {"userland", "full"}}}};
    return execute(plan, a, meta);
}

}  // namespace klp::cli
