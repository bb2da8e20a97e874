// klp-harness: boots livepatch test guests and runs things in them.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/merge.h"
#include "cli/proxy.h"
#include "cli/repro.h"
#include "cli/run_cases.h"
#include "report/kcidb.h"
#include "selftests/run.h"
#include "testbed/testbed.h"
#include "util/error.h"
#include "util/paths.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace fs = std::filesystem;
using namespace klp;

namespace {

struct GuestArgs {
    std::string arch = "x86_64";
    std::string kernel;
    std::string cacheDir;
    std::string uri;
    std::string cmdline;
    int cpus = 1;
    int memory = 512;
    int bootTimeout = 180;
    bool modules = false;
    std::string userland = "base";
    std::vector<std::string> userModules;  // --module
};

void addGuestOptions(CLI::App* cmd, GuestArgs& a) {
    cmd->add_option("--arch", a.arch, "Guest architecture: x86_64 or ppc64le")->capture_default_str();
    cmd->add_option("--kernel", a.kernel, "Kernel name (see `klp-harness kernels`) or path")->required();
    cmd->add_option("--cache-dir", a.cacheDir, "Cache dir (default ~/.cache/klp-harness)");
    cmd->add_option("--uri", a.uri, "libvirt URI (default: embedded driver, no daemon)");
    cmd->add_option("--cmdline", a.cmdline, "Extra kernel command line");
    cmd->add_option("--cpus", a.cpus, "vCPUs")->capture_default_str()->check(CLI::Range(1, 64));
    cmd->add_option("--memory", a.memory, "Guest memory in MiB")->capture_default_str()->check(CLI::Range(128, 65536));
    cmd->add_option("--boot-timeout", a.bootTimeout, "Seconds to wait for SSH")->capture_default_str();
    cmd->add_flag("--modules", a.modules, "Build guest/modules for the kernel and put them in /lib/klp/");
    cmd->add_option("--module", a.userModules,
                    "Your own module: a .ko, or a source dir built with kbuild for the kernel; put in /lib/klp/ "
                    "as NAME.ko beside ours (repeatable; checked against the kernel before it boots)")
        ->allow_extra_args(false);
    cmd->add_option("--userland", a.userland, "Guest userland: base (busybox) or full (+ bash, kmod, procps, coreutils)")
        ->capture_default_str()
        ->check(CLI::IsMember(testbed::userlandKinds()));
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
    o.bootTimeout = std::chrono::seconds(a.bootTimeout);
    Booted b;
    vm::archProfile(a.arch);  // bad arch: fail before any work
    b.bed = std::make_unique<testbed::Testbed>(o);
    auto kernel = b.bed->kernel(a.kernel, a.arch);
    std::optional<image::ModuleSet> modules;
    if (a.modules || !a.userModules.empty())
        modules = b.bed->modules(kernel, image::inspectUserModules(a.userModules, image::ourModuleNames()));
    b.guest = b.bed->boot({.kernel = kernel, .modules = modules ? &*modules : nullptr, .cmdline = a.cmdline,
                           .layers = {a.userland, {}}});
    return b;
}

fs::path selfPath() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("klp-harness") : p;
}

int cmdBoot(const GuestArgs& a) {
    auto b = bootFrom(a);
    std::printf("Guest %s (%s) is up.\n", a.kernel.c_str(), a.arch.c_str());
    std::printf("  ssh:     %s\n", b.guest->openSshCommand(selfPath()).c_str());
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

int cmdKernels() {
    for (const auto& k : image::namedKernels())
        std::printf("%-12s %-16s %s\n", k.name.c_str(), k.arch.c_str(), k.description.c_str());
    return 0;
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

    GuestArgs bootArgs, execArgs;
    auto* boot = app.add_subcommand("boot", "Boot a guest, print how to reach it, keep it up until Ctrl-C");
    addGuestOptions(boot, bootArgs);

    auto* exec = app.add_subcommand("exec", "Boot a guest, run a command in it, destroy it; exits with the command's code");
    addGuestOptions(exec, execArgs);
    std::vector<std::string> pushes, command;
    int timeout = 600;
    exec->add_option("--push", pushes, "Copy LOCAL:REMOTE into the guest (SFTP) before the command");
    exec->add_option("--timeout", timeout, "Seconds the command may run")->capture_default_str();
    exec->footer("Usage: klp-harness exec --kernel NAME [options] -- COMMAND [ARGS...]");

    std::string socket;
    auto* proxyCmd = app.add_subcommand("proxy", "Join stdin/stdout to a guest's socket (OpenSSH ProxyCommand)");
    proxyCmd->add_option("socket", socket, "Unix socket")->required();

    auto* kernels = app.add_subcommand("kernels", "List the kernel names --kernel accepts");

    cli::ReproArgs reproArgs;
    auto* reproCmd = app.add_subcommand(
        "repro", "Run a case up to a step (default: the one that failed last), keep the guest, print ssh (and gdb) lines");
    reproCmd->add_option("case", reproArgs.caseFile, "The case file")->required();
    reproCmd->add_option("--arch", reproArgs.arch, "Guest architecture: x86_64 or ppc64le")->capture_default_str();
    reproCmd->add_option("--kernel", reproArgs.kernel, "Kernel name or path")->required();
    reproCmd->add_option("--until", reproArgs.until,
                         "Stop before the step at this line of the case file (default: the step that failed in the "
                         "newest run under klp-results/, or --results; none: run every step)")
        ->check(CLI::Range(1, 1000000));
    reproCmd->add_option("--results", reproArgs.results, "The run (results.json or its dir) whose failure to reproduce");
    reproCmd->add_flag("--gdb", reproArgs.gdb,
                       "Open QEMU's gdb stub and print a gdb command with the kernel's symbols (x86_64 adds nokaslr)");
    reproCmd->add_option("--cmdline", reproArgs.cmdline, "Extra kernel command line");
    reproCmd->add_option("--module", reproArgs.modules, "Your own module (.ko or source dir), as run takes it (repeatable)")
        ->allow_extra_args(false);
    reproCmd->add_option("--var", reproArgs.vars, "NAME=VALUE for the case's vars: (repeatable)")->allow_extra_args(false);
    reproCmd->add_option("--userland", reproArgs.userland, "Guest userland: base or full")->capture_default_str()
        ->check(CLI::IsMember(testbed::userlandKinds()));
    reproCmd->add_option("--cpus", reproArgs.cpus, "vCPUs (a case's machine: wins)")->capture_default_str()->check(CLI::Range(1, 64));
    reproCmd->add_option("--memory", reproArgs.memory, "Guest memory in MiB (a case's machine: wins)")
        ->capture_default_str()->check(CLI::Range(128, 65536));
    reproCmd->add_option("--cache-dir", reproArgs.cacheDir, "Cache dir (default ~/.cache/klp-harness)");
    reproCmd->add_option("--uri", reproArgs.uri, "libvirt URI (default: embedded driver)");
    reproCmd->add_option("--out", reproArgs.out, "Where the steps' logs go (default klp-results/repro-<pid>)");

    cli::RunArgs runArgs;
    // Repeatable options take one value per flag (allow_extra_args(false)):
    // otherwise `--kernel K cases/` would swallow the case paths.
    auto* runCmd = app.add_subcommand("run", "Run case files (or folders of them), each in a pristine guest; one verdict line per case");
    runCmd->add_option("--arch", runArgs.arches, "Guest architecture: x86_64 or ppc64le (repeatable; default x86_64)")->allow_extra_args(false);
    runCmd->add_option("--kernel", runArgs.kernels,
                       "Kernel name or path, for every --arch; ARCH:NAME for one arch only (repeatable)")
        ->allow_extra_args(false);
    runCmd->add_option("--matrix", runArgs.matrix,
                       "A matrix file (arches x kernels x cases, per-entry machine) instead of --arch/--kernel/paths");
    runCmd->add_option("--cache-dir", runArgs.cacheDir, "Cache dir (default ~/.cache/klp-harness)");
    runCmd->add_option("--uri", runArgs.uri, "libvirt URI (default: embedded driver)");
    runCmd->add_option("--host", runArgs.hosts,
                       "URI[,SLOTS]: run guests on this libvirt host, SLOTS at a time ('embed' is the embedded "
                       "driver; repeatable; replaces --uri/--jobs)")
        ->allow_extra_args(false);
    runCmd->add_option("--out", runArgs.out, "Where logs go (default klp-results/<date>)");
    runCmd->add_option("--cpus", runArgs.cpus, "vCPUs per guest")->capture_default_str()->check(CLI::Range(1, 64));
    runCmd->add_option("--memory", runArgs.memory, "Guest memory in MiB")->capture_default_str()->check(CLI::Range(128, 65536));
    runCmd->add_option("--cmdline", runArgs.cmdline, "Extra kernel command line");
    runCmd->add_option("--userland", runArgs.userland, "Guest userland: base (busybox) or full (+ bash, kmod, procps, coreutils)")
        ->capture_default_str()
        ->check(CLI::IsMember(testbed::userlandKinds()));
    runCmd->add_option("-j,--jobs", runArgs.jobs,
                       "Guests at a time (default: one per CPU while memory lasts)")->check(CLI::Range(1, 64));
    runCmd->add_flag("--cold-boot", runArgs.coldBoot,
                     "Boot a new guest for every case instead of reverting one to its just-booted snapshot");
    runCmd->add_option("--filter", runArgs.filters,
                       "Only cases whose name matches this shell glob, e.g. 'state/*' (repeatable)")->allow_extra_args(false);
    runCmd->add_option("--repeat", runArgs.repeat,
                       "Run every case N times; a case whose runs disagree is FLAKY")->check(CLI::Range(1, 10000));
    runCmd->add_flag("--until-fail", runArgs.untilFail,
                     "Repeat every case until it does not PASS (at most --repeat times, if given)");
    runCmd->add_option("--shard", runArgs.shard,
                       "I/N: run only shard I of N (1-based) of the (case, arch, kernel) runs, for CI jobs");
    runCmd->add_option("--durations", runArgs.durations,
                       "A previous results.json (or its dir): balance --shard by its case times");
    runCmd->add_flag("--strict", runArgs.strict,
                     "Fail (exit 1) unless every case PASSes, except those named by --expect-skip (for CI)");
    runCmd->add_option("--expect-skip", runArgs.expectSkips,
                       "With --strict: this case (name as `list` prints it) must SKIP here (repeatable)")->allow_extra_args(false);
    runCmd->add_option("--module", runArgs.modules,
                       "Your own module: a .ko, or a source dir built with kbuild for each kernel; in /lib/klp/ as "
                       "NAME.ko, named by cases like ours (repeatable; checked against each kernel before any boot)")
        ->allow_extra_args(false);
    runCmd->add_option("--var", runArgs.vars, "NAME=VALUE for the cases' vars: (repeatable)")->allow_extra_args(false);
    runCmd->add_option("paths", runArgs.paths, "Case files or folders");

    std::vector<std::string> prepArches, prepKernels;
    std::string prepCache;
    auto* prepCmd = app.add_subcommand("prepare", "Fetch or build kernels, our modules and the guest userland into the cache; boot nothing");
    prepCmd->add_option("--arch", prepArches, "Guest architecture: x86_64 or ppc64le (repeatable; default x86_64)");
    prepCmd->add_option("--kernel", prepKernels, "Kernel name or path; ARCH:NAME for one arch only (repeatable)")->required();
    prepCmd->add_option("--cache-dir", prepCache, "Cache dir (default ~/.cache/klp-harness)");
    std::vector<std::string> prepModules;
    prepCmd->add_option("--module", prepModules, "Also build this module source dir (or check this .ko) for each "
                                                 "kernel; prints the built .ko paths (repeatable)")
        ->allow_extra_args(false);

    selftests::Args stArgs;
    auto* stCmd = app.add_subcommand("selftests", "Run the kernel's own livepatch selftests unmodified, each script in a "
                                                  "pristine guest (--userland full); one verdict line per script");
    stCmd->add_option("--arch", stArgs.arch, "Guest architecture: x86_64 or ppc64le")->capture_default_str();
    stCmd->add_option("--kernel", stArgs.kernel, "Kernel name (see `klp-harness kernels`) or path")->required();
    stCmd->add_option("--source", stArgs.source,
                      "An unpacked kernel tree to take the selftests from (default: Debian's linux-source-X.Y)");
    stCmd->add_option("--out", stArgs.out, "Where logs go (default klp-results/selftests-<date>)");
    stCmd->add_option("--filter", stArgs.filters, "Only scripts matching this glob, e.g. 'selftests/test-state' "
                                                  "or 'test-call*' (repeatable)")->allow_extra_args(false);
    stCmd->add_option("--timeout", stArgs.timeout, "Seconds a script may run")->capture_default_str();
    stCmd->add_option("--cache-dir", stArgs.cacheDir, "Cache dir (default ~/.cache/klp-harness)");
    stCmd->add_option("--uri", stArgs.uri, "libvirt URI (default: embedded driver)");
    stCmd->add_option("--cmdline", stArgs.cmdline, "Extra kernel command line");
    stCmd->add_option("--cpus", stArgs.cpus, "vCPUs")->capture_default_str()->check(CLI::Range(1, 64));
    stCmd->add_option("--memory", stArgs.memory, "Guest memory in MiB")->capture_default_str()->check(CLI::Range(128, 65536));
    stCmd->add_flag("--cold-boot", stArgs.coldBoot, "Boot a new guest for every script instead of reverting one");
    stCmd->add_flag("--strict", stArgs.strict, "Fail (exit 1) unless every script PASSes: a SKIP fails too (for CI)");

    std::string reportDir;
    auto* reportCmd = app.add_subcommand("report", "Re-render results.ktap, junit.xml and report.html from a run's results.json");
    reportCmd->add_option("dir", reportDir, "A run's output dir")->required();
    std::string kcidbFile;
    report::KcidbOptions kcidb;
    reportCmd->add_option("--kcidb", kcidbFile, "Also write the run as KCIDB I/O JSON (schema v4.5) to this file");
    reportCmd->add_option("--kcidb-origin", kcidb.origin, "KCIDB origin: the CI system's name, [a-z0-9_]+")
        ->capture_default_str();
    reportCmd->add_option("--kcidb-log-base", kcidb.logBase,
                          "URL the run dir is published under, for the tests' log URLs (default: no log URLs)");

    std::vector<std::string> mergeDirs;
    std::string mergeOut;
    auto* mergeCmd = app.add_subcommand("merge", "Join shard runs (run --shard I/N) into one run dir and render its reports");
    mergeCmd->add_option("--out", mergeOut, "The merged run's dir")->required();
    mergeCmd->add_option("dirs", mergeDirs, "The shard runs' output dirs")->required();

    std::string diffOld, diffNew;
    double diffThreshold = 0.5, diffMin = 2.0;
    auto* diffCmd = app.add_subcommand("diff", "Cases whose verdict changed between two runs, and those whose time moved;"
                                                " exit 1 when a verdict got worse");
    diffCmd->add_option("old", diffOld, "Older run's output dir")->required();
    diffCmd->add_option("new", diffNew, "Newer run's output dir")->required();
    diffCmd->add_option("--threshold", diffThreshold, "Relative time change to report (0.5 = 50%)")->capture_default_str();
    diffCmd->add_option("--min-seconds", diffMin, "Ignore time changes smaller than this")->capture_default_str();

    std::vector<std::string> listPaths;
    bool listVerbs = false;
    auto* listCmd = app.add_subcommand("list", "List cases and the seed sections they prove (or --verbs)");
    listCmd->add_option("paths", listPaths, "Case files or folders");
    listCmd->add_flag("--verbs", listVerbs, "List the step verbs instead");

    // The guest command is everything after the first "--", verbatim (its own
    // -flags included): split it off before CLI11 sees it.
    std::vector<std::string> args(argv + 1, argv + argc);
    auto dashdash = std::find(args.begin(), args.end(), "--");
    if (dashdash != args.end()) {
        command.assign(dashdash + 1, args.end());
        args.erase(dashdash, args.end());
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    setQuiet(quiet);
    try {
        if (*boot)
            return cmdBoot(bootArgs);
        if (*exec) {
            if (command.empty())
                throw UsageError("exec: no command given (klp-harness exec --kernel NAME -- COMMAND...)");
            return cmdExec(execArgs, pushes, command, timeout);
        }
        if (*proxyCmd)
            return cli::proxy(socket);
        if (*kernels)
            return cmdKernels();
        if (*reproCmd)
            return cli::repro(reproArgs);
        if (*runCmd)
            return cli::runCases(runArgs);
        if (*stCmd)
            return selftests::runSelftests(stArgs);
        if (*prepCmd)
            return cli::prepare(cli::runTargets(prepArches, prepKernels), prepCache, prepModules);
        if (*reportCmd) {
            // KCIDB first: a bad --kcidb-origin stops before anything is written.
            if (!kcidbFile.empty())
                std::printf("%s: %zu tests (KCIDB I/O v%d.%d)\n", kcidbFile.c_str(),
                            report::writeKcidb(reportDir, kcidbFile, kcidb), report::kKcidbMajor, report::kKcidbMinor);
            return cli::renderReports(reportDir);
        }
        if (*mergeCmd)
            return cli::mergeRuns(mergeDirs, mergeOut);
        if (*diffCmd)
            return cli::diffRuns(diffOld, diffNew, diffThreshold, diffMin);
        if (*listCmd) {
            if (listPaths.empty() && !listVerbs)
                throw UsageError("list: give case files or folders (or --verbs)");
            return cli::listCases(listPaths, listVerbs);
        }
    } catch (const UsageError& e) {
        std::fprintf(stderr, "klp-harness: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "klp-harness: error: %s\n", e.what());
        return 2;
    }
    return 2;
}
