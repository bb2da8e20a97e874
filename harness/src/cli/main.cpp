// klp-harness: boots livepatch test guests and runs things in them.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <memory>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "cases/verbs.h"
#include "image/kernel_catalog.h"
#include "image/kernels.h"
#include "cli/merge.h"
#include "cli/proxy.h"
#include "cli/repro.h"
#include "cli/run_cases.h"
#include "cli/selftests.h"
#include "cli/bisect.h"
#include "cli/explore.h"
#include "report/history.h"
#include "report/kcidb.h"
#include "testbed/testbed.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace fs = std::filesystem;
using namespace klp;

namespace {

// boot and exec: one guest of one kernel.
struct GuestArgs : cli::GuestOptions {
    std::string arch = "x86_64";
    std::string kernel;
    int bootTimeout = 180;
    bool ourModules = false;  // --modules
};

// --accel, for every command that boots guests (selftests declares its own flags).
void addAccelOption(CLI::App* cmd, std::string& accel) {
    cmd->add_option("--accel", accel,
                    "Accelerator: kvm, tcg, or auto (KVM where libvirt offers it and a probe boot of the kernel "
                    "reaches userspace, cached; else TCG)")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
}

// The flags of cli::GuestOptions, for every command that boots guests.
// --patch, on every command that puts modules in a guest (and prepare).
void addPatchOption(CLI::App* cmd, std::vector<std::string>& patches) {
    cmd->add_option("--patch", patches,
                    "A source patch (FILE.patch) the kernel's own klp-build makes into livepatch-FILE.ko, in "
                    "/lib/klp/ like --module (kernels with klp-build, e.g. own-7.2 on x86_64; cached by kernel and "
                    "patch; checked before any boot; repeatable)")
        ->allow_extra_args(false);
}

void addGuestOptions(CLI::App* cmd, cli::GuestOptions& o) {
    cmd->add_option("--cache-dir", o.cacheDir, "Cache dir (default ~/.cache/klp-harness)");
    cmd->add_option("--uri", o.uri, "libvirt URI (default: embedded driver, no daemon)");
    cmd->add_option("--cmdline", o.cmdline, "Extra kernel command line");
    cmd->add_option("--cpus", o.cpus, "vCPUs per guest (a case's machine: wins)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    cmd->add_option("--memory", o.memory, "Guest memory in MiB (a case's machine: wins)")
        ->capture_default_str()
        ->check(CLI::Range(128, 65536));
    addAccelOption(cmd, o.accel);
    cmd->add_option("--userland", o.userland, "Guest userland: base (busybox) or full (+ bash, kmod, procps, coreutils)")
        ->capture_default_str()
        ->check(CLI::IsMember(testbed::userlandKinds()));
    // Repeatable options take one value per flag (allow_extra_args(false)):
    // otherwise `--module M cases/` would swallow the case paths.
    cmd->add_option("--module", o.modules,
                    "Your own module: a .ko, or a source dir built with kbuild for each kernel; in /lib/klp/ as "
                    "NAME.ko beside ours, named by cases like ours (repeatable; checked against each kernel before "
                    "any boot)")
        ->allow_extra_args(false);
    addPatchOption(cmd, o.patches);
}

void addOneGuestOptions(CLI::App* cmd, GuestArgs& a) {
    cmd->add_option("--arch", a.arch, "Guest architecture: x86_64 or ppc64le")->capture_default_str();
    cmd->add_option("--kernel", a.kernel, "Kernel name (see `klp-harness kernels`) or path")->required();
    addGuestOptions(cmd, a);
    cmd->add_option("--boot-timeout", a.bootTimeout, "Seconds to wait for SSH")->capture_default_str();
    cmd->add_flag("--modules", a.ourModules, "Build guest/modules for the kernel and put them in /lib/klp/");
}

// How units of work are scheduled and judged: `run` and `selftests` alike.
void addExecutorOptions(CLI::App* cmd, cli::RunArgs& a) {
    cmd->add_option("--host", a.hosts,
                    "URI[,SLOTS]: run guests on this libvirt host, SLOTS at a time ('embed' is the embedded "
                    "driver; repeatable; replaces --uri/--jobs)")
        ->allow_extra_args(false);
    cmd->add_option("-j,--jobs", a.jobs, "Guests at a time (default: one per CPU while memory lasts)")
        ->check(CLI::Range(1, 64));
    cmd->add_flag("--cold-boot", a.coldBoot,
                  "Boot a new guest for every case instead of reverting one to its just-booted snapshot");
    cmd->add_option("--repeat", a.repeat, "Run every case N times; a case whose runs disagree is FLAKY")
        ->check(CLI::Range(1, 10000));
    cmd->add_flag("--until-fail", a.untilFail, "Repeat every case until it does not PASS (at most --repeat times, if given)");
    cmd->add_option("--shard", a.shard,
                    "I/N: run only shard I of N (1-based) of the (case, arch, kernel) runs, for CI jobs");
    cmd->add_option("--durations", a.durations, "A previous results.json (or its dir): balance --shard by its case times");
    cmd->add_flag("--strict", a.strict,
                  "Fail (exit 1) unless every case PASSes, except those named by --expect-skip (for CI)");
    cmd->add_option("--expect-skip", a.expectSkips,
                    "With --strict: this case (name as `list` prints it, or a glob: 'states-api/*') must SKIP here "
                    "(repeatable)")
        ->allow_extra_args(false);
}

struct Booted {
    std::unique_ptr<testbed::Testbed> bed;
    std::unique_ptr<testbed::Guest> guest;
};

Booted bootFrom(const GuestArgs& a) {
    testbed::Options o;
    o.cacheDir = a.cacheDir;
    o.uri = a.uri;
    o.cpus = a.cpus;
    o.memoryMiB = a.memory;
    o.accel = vm::parseAccel(a.accel);
    o.bootTimeout = std::chrono::seconds(a.bootTimeout);
    Booted b;
    vm::archProfile(a.arch);  // bad arch: fail before any work
    b.bed = std::make_unique<testbed::Testbed>(o);
    auto kernel = b.bed->kernel(a.kernel, a.arch);
    std::optional<image::ModuleSet> modules;
    if (a.ourModules || !a.modules.empty() || !a.patches.empty())
        modules = b.bed->modules(kernel, image::inspectUserModules(a.modules, image::ourModuleNames(), a.patches));
    b.guest = b.bed->boot({.kernel = kernel, .modules = modules ? &*modules : nullptr, .cmdline = a.cmdline,
                           .layers = {a.userland, {}}});
    return b;
}

int cmdBoot(const GuestArgs& a) {
    auto b = bootFrom(a);
    std::printf("Guest %s (%s) is up.\n", a.kernel.c_str(), a.arch.c_str());
    std::printf("  ssh:     %s\n", b.guest->openSshCommand(selfExecutable()).c_str());
    std::printf("  console: %s\n", b.guest->consoleLog().c_str());
    std::printf("Press Ctrl-C to destroy the guest.\n");
    std::fflush(stdout);
    while (b.guest->vm().running())
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::fprintf(stderr, "klp-harness: the guest stopped; console: %s\n", b.guest->consoleLog().c_str());
    return 1;
}

int cmdExec(const GuestArgs& a, const std::vector<std::string>& pushes,
            const std::vector<std::string>& command, int timeout) {
    for (const auto& p : pushes) {
        auto colon = p.find(':');
        std::string src = p.substr(0, colon);
        if (colon == std::string::npos || colon == 0 || colon + 1 == p.size())
            throw UsageError("--push " + p + ": expected LOCAL:REMOTE");
        if (!fs::is_regular_file(src))
            throw UsageError("--push " + p + ": no such file: " + src);
    }
    auto b = bootFrom(a);
    for (const auto& p : pushes) {
        auto colon = p.find(':');
        b.guest->ssh().push(p.substr(0, colon), p.substr(colon + 1));
    }
    std::string line;
    for (const auto& c : command)
        line += (line.empty() ? "" : " ") + cli::shellQuote(c);
    auto r = b.guest->ssh().exec(line, std::chrono::seconds(timeout));
    std::cout << r.out << std::flush;
    std::cerr << r.err << std::flush;
    if (r.timedOut) {
        std::fprintf(stderr, "klp-harness: command timed out after %d s\n", timeout);
        return 124;
    }
    return r.exitCode < 0 ? 2 : r.exitCode;
}

// `kernels`: the names --kernel accepts; `kernels --versions NAME`: what the
// archive offers of one, newest first (for NAME@VERSION).
int cmdKernels(const std::string& versionsOf, const std::string& cacheDir) {
    if (!versionsOf.empty()) {
        image::Cache cache(cacheDir.empty() ? defaultCacheDir() : fs::path(cacheDir));
        for (const auto& v : image::kernelVersions(versionsOf, cache))
            std::printf("%s\n", v.c_str());
        return 0;
    }
    auto kernels = image::namedKernels();
    int width = 12;
    for (const auto& k : kernels)
        width = std::max(width, int(k.name.size()));
    for (const auto& k : kernels) {
        std::printf("%-*s %-16s %s\n", width, k.name.c_str(), k.arch.c_str(), k.description.c_str());
        if (!k.needs.empty())
            std::printf("%-*s %-16s needs: %s\n", width, "", "", k.needs.c_str());
    }
    return 0;
}

// One row per subcommand: its name, its one-line help, and what declares its
// options and returns how to run it once they are parsed. Adding a command is
// adding a row.
struct Subcommand {
    const char* name;
    const char* help;
    std::function<std::function<int()>(CLI::App*)> define;
};

// `command`: what follows "--" on the command line (exec's guest command).
std::vector<Subcommand> subcommands(const std::vector<std::string>& command) {
    return {
        {"boot", "Boot a guest, print how to reach it, keep it up until Ctrl-C",
         [](CLI::App* cmd) {
             auto a = std::make_shared<GuestArgs>();
             addOneGuestOptions(cmd, *a);
             return [a] { return cmdBoot(*a); };
         }},
        {"exec", "Boot a guest, run a command in it, destroy it; exits with the command's code",
         [&command](CLI::App* cmd) {
             auto a = std::make_shared<GuestArgs>();
             auto pushes = std::make_shared<std::vector<std::string>>();
             auto timeout = std::make_shared<int>(600);
             addOneGuestOptions(cmd, *a);
             cmd->add_option("--push", *pushes, "Copy LOCAL:REMOTE into the guest (SFTP) before the command");
             cmd->add_option("--timeout", *timeout, "Seconds the command may run")->capture_default_str();
             cmd->footer("Usage: klp-harness exec --kernel NAME [options] -- COMMAND [ARGS...]");
             return [a, pushes, timeout, &command] {
                 if (command.empty())
                     throw UsageError("exec: no command given (klp-harness exec --kernel NAME -- COMMAND...)");
                 return cmdExec(*a, *pushes, command, *timeout);
             };
         }},
        {"proxy", "Join stdin/stdout to a guest's socket (OpenSSH ProxyCommand)",
         [](CLI::App* cmd) {
             auto socket = std::make_shared<std::string>();
             cmd->add_option("socket", *socket, "Unix socket")->required();
             return [socket] { return cli::proxy(*socket); };
         }},
        {"kernels", "List the kernel names --kernel accepts (--versions NAME: the versions NAME@VERSION may pin)",
         [](CLI::App* cmd) {
             auto versionsOf = std::make_shared<std::string>();
             auto cache = std::make_shared<std::string>();
             cmd->add_option("--versions", *versionsOf,
                             "List the versions Debian offers of kernel NAME, newest first");
             cmd->add_option("--cache-dir", *cache, "Cache dir (default ~/.cache/klp-harness)");
             return [=] { return cmdKernels(*versionsOf, *cache); };
         }},
        {"repro", "Run a case up to a step (default: the one that failed last), keep the guest, print ssh (and gdb) lines",
         [](CLI::App* cmd) {
             auto a = std::make_shared<cli::ReproArgs>();
             cmd->add_option("case", a->caseFile, "The case file")->required();
             cmd->add_option("--arch", a->arch, "Guest architecture: x86_64 or ppc64le")->capture_default_str();
             cmd->add_option("--kernel", a->kernel, "Kernel name or path")->required();
             addGuestOptions(cmd, *a);
             cmd->add_option("--until", a->until,
                             "Stop before the step at this line of the case file (default: the step that failed in "
                             "the newest run under klp-results/, or --results; none: run every step)")
                 ->check(CLI::Range(1, 1000000));
             cmd->add_option("--results", a->results, "The run (results.json or its dir) whose failure to reproduce");
             cmd->add_flag("--gdb", a->gdb,
                           "Open QEMU's gdb stub and print a gdb command with the kernel's symbols (x86_64 adds nokaslr)");
             cmd->add_option("--var", a->vars, "NAME=VALUE for the case's vars: (repeatable)")->allow_extra_args(false);
             cmd->add_option("--out", a->out, "Where the steps' logs go (default klp-results/repro-<pid>)");
             return [a] { return cli::repro(*a); };
         }},
        {"run", "Run case files (or folders of them), each in a pristine guest; one verdict line per case",
         [](CLI::App* cmd) {
             auto a = std::make_shared<cli::RunArgs>();
             cmd->add_option("--arch", a->arches, "Guest architecture: x86_64 or ppc64le (repeatable; default x86_64)")
                 ->allow_extra_args(false);
             cmd->add_option("--kernel", a->kernels,
                             "Kernel name or path, for every --arch; ARCH:NAME for one arch only (repeatable)")
                 ->allow_extra_args(false);
             cmd->add_option("--matrix", a->matrix,
                             "A matrix file (arches x kernels x cases, per-entry machine) instead of "
                             "--arch/--kernel/paths");
             addGuestOptions(cmd, *a);
             addExecutorOptions(cmd, *a);
             cmd->add_option("--out", a->out, "Where logs go (default klp-results/<date>)");
             cmd->add_option("--filter", a->filters,
                             "Only cases whose name matches this shell glob, e.g. 'state/*' (repeatable)")
                 ->allow_extra_args(false);
             cmd->add_option("--var", a->vars, "NAME=VALUE for the cases' vars: (repeatable)")->allow_extra_args(false);
             cmd->add_option("paths", a->paths, "Case files or folders");
             return [a] { return cli::runCases(*a); };
         }},
        {"prepare", "Fetch or build kernels, our modules and the guest userland into the cache; boot nothing",
         [](CLI::App* cmd) {
             auto arches = std::make_shared<std::vector<std::string>>();
             auto kernels = std::make_shared<std::vector<std::string>>();
             auto modules = std::make_shared<std::vector<std::string>>();
             auto patches = std::make_shared<std::vector<std::string>>();
             auto cache = std::make_shared<std::string>();
             cmd->add_option("--arch", *arches, "Guest architecture: x86_64 or ppc64le (repeatable; default x86_64)");
             cmd->add_option("--kernel", *kernels, "Kernel name or path; ARCH:NAME for one arch only (repeatable)")
                 ->required();
             cmd->add_option("--cache-dir", *cache, "Cache dir (default ~/.cache/klp-harness)");
             cmd->add_option("--module", *modules,
                             "Also build this module source dir (or check this .ko) for each kernel; prints the "
                             "built .ko paths (repeatable)")
                 ->allow_extra_args(false);
             addPatchOption(cmd, *patches);
             return [=] { return cli::prepare(cli::runTargets(*arches, *kernels), *cache, *modules, *patches); };
         }},
        {"selftests",
         "Run the kernel's own livepatch selftests unmodified, each script in a pristine guest (--userland full); "
         "one verdict line per script",
         [](CLI::App* cmd) {
             auto s = std::make_shared<cli::SelftestArgs>();
             auto arch = std::make_shared<std::string>("x86_64");
             auto kernel = std::make_shared<std::string>();
             cmd->add_option("--arch", *arch, "Guest architecture: x86_64 or ppc64le")->capture_default_str();
             cmd->add_option("--kernel", *kernel, "Kernel name (see `klp-harness kernels`) or path")->required();
             cmd->add_option("--source", s->source,
                             "An unpacked kernel tree to take the selftests from (default: Debian's linux-source-X.Y)");
             cmd->add_option("--out", s->run.out, "Where logs go (default klp-results/selftests-<date>)");
             cmd->add_option("--filter", s->run.filters,
                             "Only scripts matching this glob, e.g. 'selftests/test-state' or 'test-call*' (repeatable)")
                 ->allow_extra_args(false);
             cmd->add_option("--timeout", s->timeout, "Seconds a script may run")->capture_default_str();
             cmd->add_option("--cache-dir", s->run.cacheDir, "Cache dir (default ~/.cache/klp-harness)");
             cmd->add_option("--uri", s->run.uri, "libvirt URI (default: embedded driver)");
             cmd->add_option("--cmdline", s->run.cmdline, "Extra kernel command line");
             cmd->add_option("--cpus", s->run.cpus, "vCPUs")->capture_default_str()->check(CLI::Range(1, 64));
             cmd->add_option("--memory", s->run.memory, "Guest memory in MiB")
                 ->capture_default_str()
                 ->check(CLI::Range(128, 65536));
             addAccelOption(cmd, s->run.accel);
             addExecutorOptions(cmd, s->run);
             cmd->get_option("--jobs")->description("Guests at a time (default 1: the scripts are long)");
             cmd->get_option("--strict")->description(
                 "Fail (exit 1) unless every script PASSes: a SKIP fails too, except --expect-skip ones (for CI)");
             return [=] {
                 s->run.arches = {*arch};
                 s->run.kernels = {*kernel};
                 return cli::runSelftests(*s);
             };
         }},
        {"report", "Re-render results.ktap, junit.xml and report.html from a run's results.json; "
                   "--history: several runs as one page",
         [](CLI::App* cmd) {
             auto dirs = std::make_shared<std::vector<std::string>>();
             auto kcidbFile = std::make_shared<std::string>();
             auto kcidb = std::make_shared<report::KcidbOptions>();
             auto historyOn = std::make_shared<bool>(false);
             auto historyOut = std::make_shared<std::string>("klp-results/history");
             cmd->add_option("dir", *dirs, "A run's output dir (with --history: the runs, any order)")->required();
             cmd->add_flag("--history", *historyOn,
                           "Cases by runs: verdicts and times, the first run where each case changed, the cases that "
                           "flip; writes history.html and history.json");
             cmd->add_option("--out", *historyOut, "With --history: where history.html and history.json go")
                 ->capture_default_str();
             cmd->add_option("--kcidb", *kcidbFile, "Also write the run as KCIDB I/O JSON (schema v4.5) to this file");
             cmd->add_option("--kcidb-origin", kcidb->origin, "KCIDB origin: the CI system's name, [a-z0-9_]+")
                 ->capture_default_str();
             cmd->add_option("--kcidb-log-base", kcidb->logBase,
                             "URL the run dir is published under, for the tests' log URLs (default: no log URLs)");
             return [=] {
                 if (*historyOn) {
                     if (!kcidbFile->empty())
                         throw UsageError("--kcidb is for one run, not with --history");
                     std::printf("%s", report::writeHistory(*dirs, *historyOut).c_str());
                     std::printf("%s/{history.html,history.json}\n", historyOut->c_str());
                     return 0;
                 }
                 if (dirs->size() != 1)
                     throw UsageError("report takes one run dir (several: --history)");
                 const std::string& dir = dirs->front();
                 // KCIDB first: a bad --kcidb-origin stops before anything is written.
                 if (!kcidbFile->empty())
                     std::printf("%s: %zu tests (KCIDB I/O v%d.%d)\n", kcidbFile->c_str(),
                                 report::writeKcidb(dir, *kcidbFile, *kcidb), report::kKcidbMajor,
                                 report::kKcidbMinor);
                 return cli::renderReports(dir);
             };
         }},
        {"merge", "Join shard runs (run --shard I/N) into one run dir and render its reports",
         [](CLI::App* cmd) {
             auto dirs = std::make_shared<std::vector<std::string>>();
             auto out = std::make_shared<std::string>();
             cmd->add_option("--out", *out, "The merged run's dir")->required();
             cmd->add_option("dirs", *dirs, "The shard runs' output dirs")->required();
             return [=] { return cli::mergeRuns(*dirs, *out); };
         }},
        {"explore",
         "Model-based exploration: random livepatch operation sequences over our modules, each an ordinary case "
         "whose expectations come from the reference model, run as one `run`; each sequence that does not PASS is "
         "shrunk to the shortest that still fails the same way and written to OUT/found/ as a case file",
         [](CLI::App* cmd) {
             auto a = std::make_shared<cli::ExploreArgs>();
             cmd->footer(
                 "\nEach sequence is operations on klp_target, klp_replace_a/b, klp_stack_a/b, klp_state_v1/v2/nc, "
                 "klp_callbacks\nand klp_shadow/klp_shadow2 (load, load with the pre_patch-failing parameter, "
                 "disable, enable,\nunload; the target loaded and unloaded, its busy kthread held and released, so "
                 "transitions stay\nin progress: EBUSY, reversal; its items added, read and destroyed: shadow "
                 "variables), predicted by\nklp::explore::Model (harness/src/explore/model.cpp). After every "
                 "operation the case reads /proc/cmdline,\nthe target's value, the console loglevel the state patches "
                 "set, and each touched patch's sysfs\n`enabled` and `transition` (or its absence). A sequence that "
                 "does not PASS runs --reruns times\nmore: if it passes then it is FLAKY (with its counts), else it "
                 "is shrunk.\n\nOUT/cases/seq-NNN.yaml   the generated cases, run as one normal run: "
                 "OUT/results.json, results.ktap,\n                         junit.xml, report.html (as `run` writes "
                 "them), and OUT/explore.json\nOUT/shrink/seq-NNN/round-R/  each shrink round: its candidates, run as "
                 "a normal run\nOUT/found/seq-NNN.yaml   the minimal failing sequence as a case file, with a "
                 "comment header\n                         (seed, sequence, failure, repro command): ready for "
                 "cases/<topic>/\n\nExample:\n  klp-harness explore --seed 1 --sequences 4 --length 6 --kernel "
                 "debian-6.12 --jobs 1 --out /tmp/explore-try\n  klp-harness run /tmp/explore-try/found/seq-002.yaml "
                 "--kernel debian-6.12 --arch x86_64\n\nThe same --seed (and --sequences, --length, --pool) gives the "
                 "same sequences. Exit 0 when every\nsequence passed, 1 when any did not, 2 when the harness failed.");
             cmd->add_option("--seed", a->seed, "Seed of the random sequences")->capture_default_str();
             cmd->add_option("--sequences", a->sequences, "Sequences per batch")
                 ->capture_default_str()
                 ->check(CLI::Range(1, 10000));
             cmd->add_option("--length", a->length, "Operations per sequence (before those left out as hazards)")
                 ->capture_default_str()
                 ->check(CLI::Range(1, 1000));
             cmd->add_option("--time", a->time,
                             "Keep running batches of --sequences (new sequences each) until this much time is spent, "
                             "e.g. 10m, 90s, 1h (default: one batch)");
             cmd->add_option("--arch", a->arches, "Guest architecture: x86_64 or ppc64le (repeatable; default x86_64)")
                 ->allow_extra_args(false);
             cmd->add_option("--kernel", a->kernels,
                             "Kernel name or path, for every --arch; ARCH:NAME for one arch only (repeatable)")
                 ->allow_extra_args(false)
                 ->required();
             cmd->add_option("-j,--jobs", a->jobs, "Guests at a time (default: one per CPU while memory lasts)")
                 ->check(CLI::Range(1, 64));
             cmd->add_flag("--cold-boot", a->coldBoot, "Boot a new guest for every case instead of reverting a snapshot");
             cmd->add_option("--out", a->out, "Where everything goes (default klp-results/explore-<date>)");
             cmd->add_flag("--shrink,!--no-shrink", a->shrink,
                           "Shrink each sequence that does not PASS (default; --no-shrink: write it to found/ as is)");
             cmd->add_option("--shrink-budget", a->shrinkBudget, "Candidates a shrink may run per sequence")
                 ->capture_default_str()
                 ->check(CLI::Range(1, 10000));
             cmd->add_option("--reruns", a->reruns,
                             "Runs again of each sequence that did not PASS before it is shrunk; one that passes "
                             "then is FLAKY (0: none)")
                 ->capture_default_str()
                 ->check(CLI::Range(0, 100));
             cmd->add_option("--pool", a->pool,
                             "A module to draw operations from, instead of the default pool (repeatable)")
                 ->allow_extra_args(false);
             addGuestOptions(cmd, *a);
             return [a] { return cli::explore(*a); };
         }},
        {"bisect", "The first version of a kernel where a case stops passing (over the versions its archive offers)",
         [](CLI::App* cmd) {
             auto a = std::make_shared<cli::BisectArgs>();
             cmd->add_option("case", a->caseFile, "One case file")->required();
             cmd->add_option("--kernel", a->kernel, "A kernel entry with versions (see `kernels --versions NAME`)")
                 ->required();
             cmd->add_option("--good", a->good, "A version where the case passes")->required();
             cmd->add_option("--bad", a->bad, "A newer version where it fails")->required();
             cmd->add_option("--arch", a->arch, "Guest arch")->capture_default_str();
             cmd->add_option("--repeat", a->repeat,
                             "Runs per step (default: 1 when the case always fails on --bad, else as many as make a "
                             "pass there 95% sure, at most 10)");
             cmd->add_option("--var", a->vars, "NAME=VALUE for the case's vars: (repeatable)");
             cmd->add_option("--out", a->out, "Where each step's run goes (default klp-results/bisect-<date>)");
             cmd->add_option("--cache-dir", a->cacheDir, "Cache dir (default ~/.cache/klp-harness)");
             return [=] { return cli::bisectVersions(*a); };
         }},
        {"diff", "Cases whose verdict changed between two runs, and those whose time moved; exit 1 when a verdict got worse",
         [](CLI::App* cmd) {
             auto older = std::make_shared<std::string>(), newer = std::make_shared<std::string>();
             auto threshold = std::make_shared<double>(0.5), minSeconds = std::make_shared<double>(2.0);
             cmd->add_option("old", *older, "Older run's output dir")->required();
             cmd->add_option("new", *newer, "Newer run's output dir")->required();
             cmd->add_option("--threshold", *threshold, "Relative time change to report (0.5 = 50%)")
                 ->capture_default_str();
             cmd->add_option("--min-seconds", *minSeconds, "Ignore time changes smaller than this")
                 ->capture_default_str();
             return [=] { return cli::diffRuns(*older, *newer, *threshold, *minSeconds); };
         }},
        {"list", "List cases and the seed sections they prove (or --verbs)",
         [](CLI::App* cmd) {
             auto paths = std::make_shared<std::vector<std::string>>();
             auto verbs = std::make_shared<bool>(false), markdown = std::make_shared<bool>(false);
             cmd->add_option("paths", *paths, "Case files or folders");
             cmd->add_flag("--verbs", *verbs, "List the step verbs instead");
             cmd->add_flag("--markdown", *markdown, "With --verbs: as the tables of cases/README.md");
             return [=] {
                 if (paths->empty() && !*verbs)
                     throw UsageError("list: give case files or folders (or --verbs)");
                 if (*markdown && !*verbs)
                     throw UsageError("list: --markdown goes with --verbs");
                 if (*markdown) {
                     std::fputs(cases::verbsMarkdown().c_str(), stdout);
                     return 0;
                 }
                 return cli::listCases(*paths, *verbs);
             };
         }},
    };
}

}  // namespace

static int run(int argc, char** argv);

int main(int argc, char** argv) {
    installSignalCleanup();
    return exitCode(run(argc, argv));
}

static int run(int argc, char** argv) {
    CLI::App app{"klp-harness: boots guest kernels under QEMU/libvirt and runs livepatch work in them"};
    app.name("klp-harness");
    app.require_subcommand(1);
    bool quiet = false;
    app.add_flag("-q,--quiet", quiet, "No progress lines on stderr");
    std::vector<std::string> kernelFiles;
    app.add_option("--kernels", kernelFiles,
                   "A kernel file of your own (the form of images/kernels.yaml): its names join --kernel's (repeatable)")
        ->check(CLI::ExistingFile);

    // The guest command is everything after the first "--", verbatim (its own
    // -flags included): split it off before CLI11 sees it.
    std::vector<std::string> args(argv + 1, argv + argc), command;
    auto dashdash = std::find(args.begin(), args.end(), "--");
    if (dashdash != args.end()) {
        command.assign(dashdash + 1, args.end());
        args.erase(dashdash, args.end());
    }
    std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
    for (const auto& sub : subcommands(command)) {
        CLI::App* cmd = app.add_subcommand(sub.name, sub.help);
        cmd->fallthrough();  // -q and --kernels also after the subcommand's name
        actions.emplace_back(cmd, sub.define(cmd));
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    setQuiet(quiet);
    try {
        image::addKernelFiles({kernelFiles.begin(), kernelFiles.end()});
        for (auto& [cmd, action] : actions)
            if (*cmd)
                return action();
    } catch (const std::exception& e) {  // UsageError and every other: one line, exit 2
        std::fprintf(stderr, "klp-harness: error: %s\n", e.what());
        return 2;
    }
    return 2;
}
