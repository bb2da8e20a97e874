#include "util/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "util/cleanup.h"
#include "util/error.h"

namespace klp {
namespace fs = std::filesystem;

namespace {
ProcessResult run(const std::vector<std::string>& argv, const fs::path& stderrLog, bool merge,
                  const LineHandler& onLine, std::chrono::seconds timeout);

std::string joined(const std::vector<std::string>& argv) {
    std::string cmd;
    for (const auto& a : argv)
        cmd += (cmd.empty() ? "" : " ") + a;
    return cmd;
}
}  // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const fs::path& stderrLog,
                         std::chrono::seconds timeout) {
    return run(argv, stderrLog, false, {}, timeout);
}

ProcessResult runMerged(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    return run(argv, {}, true, {}, timeout);
}

namespace {
// The guard (in the child, after fork: async-signal-safe calls only). It leads a
// process group, runs the command in it, and kills the whole group when the
// harness dies (PDEATHSIG, also on SIGKILL) or asks (SIGTERM): a recipe's
// background `make` ignores SIGINT and would outlive us otherwise.
[[noreturn]] void guard(pid_t harness, char* const* args, int out, int err, bool merge) {
    sigset_t none;  // the harness blocks SIGINT etc. (cleanup.h); children must not
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    struct sigaction sa {};
    sa.sa_handler = [](int) { kill(0, SIGKILL); };
    sigaction(SIGTERM, &sa, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != harness)  // it died before prctl
        kill(0, SIGKILL);
    int devnull = open("/dev/null", O_RDONLY);
    pid_t child = fork();
    if (child == 0) {
        signal(SIGTERM, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // the guard went: so do we
        dup2(out, 1);
        if (merge)
            dup2(out, 2);
        else if (err >= 0)
            dup2(err, 2);
        dup2(devnull, 0);
        execvp(args[0], args);
        dprintf(2, "cannot run %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    close(out);  // only the command holds the pipe: EOF when it (and its children) end
    if (child < 0)
        _exit(127);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

ProcessResult run(const std::vector<std::string>& argv, const fs::path& stderrLog, bool merge,
                  const LineHandler& onLine, std::chrono::seconds timeout) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        throw HarnessError(std::string("pipe: ") + strerror(errno));
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int errfd = -1;
    if (!stderrLog.empty()) {
        errfd = open(stderrLog.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (errfd < 0)
            throw HarnessError("cannot open " + stderrLog.string() + ": " + strerror(errno));
    }
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid == 0)
        guard(self, args.data(), pipefd[1], errfd, merge);
    close(pipefd[1]);
    if (errfd >= 0)
        close(errfd);
    if (pid < 0) {
        close(pipefd[0]);
        throw HarnessError(std::string("fork: ") + strerror(errno));
    }
    setpgid(pid, pid);  // also here: no window in which a signal finds it in ours
    // Ctrl-C or SIGTERM while it runs: the guard ends it and everything it started.
    auto killOnSignal = std::make_unique<CleanupGuard>([pid] { kill(-pid, SIGKILL); });
    ProcessResult result;
    std::string pending;  // an incomplete last line, for onLine
    char buf[8192];
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timedOut = false;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{pipefd[0], POLLIN, 0};
        int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 60000))) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0) {
            if (std::chrono::steady_clock::now() < deadline)
                continue;
            timedOut = true;
            kill(-pid, SIGKILL);
            break;
        }
        ssize_t n = read(pipefd[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        result.output.append(buf, static_cast<size_t>(n));
        if (!onLine)
            continue;
        // Hand over every complete line as soon as it arrives.
        pending.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
            onLine(std::string_view(pending).substr(0, nl));
    }
    if (onLine && !pending.empty())
        onLine(pending);
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    killOnSignal.reset();  // before the pid can be reused
    if (timedOut)
        throw TimeoutError("`" + joined(argv) + "` did not finish within " + std::to_string(timeout.count()) +
                           " s; killed it" + (stderrLog.empty() ? "" : " (log: " + stderrLog.string() + ")"));
    // The guard passes the command's exit code on; 128+N when a signal ended it.
    result.exitCode = WIFEXITED(status) && WEXITSTATUS(status) < 128 ? WEXITSTATUS(status) : -1;
    return result;
}
}  // namespace

static std::string tailOf(const fs::path& file, size_t lines) {
    std::ifstream in(file);
    std::vector<std::string> all;
    for (std::string l; std::getline(in, l);)
        all.push_back(l);
    std::ostringstream out;
    for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); i++)
        out << "\n  " << all[i];
    return out.str();
}

std::string runChecked(const std::vector<std::string>& argv, const fs::path& stderrLog,
                       const LineHandler& onLine, std::chrono::seconds timeout) {
    auto r = run(argv, stderrLog, false, onLine, timeout);
    if (r.exitCode != 0) {
        std::string msg = "command failed (exit " + std::to_string(r.exitCode) + "): " + joined(argv);
        if (!stderrLog.empty())
            msg += "; see " + stderrLog.string() + tailOf(stderrLog, 8);
        throw HarnessError(msg);
    }
    return r.output;
}

fs::path findOnPath(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return access(program.c_str(), X_OK) == 0 ? fs::path(program) : fs::path();
    const char* path = getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
        if (access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

void requireTool(const std::string& program, const std::string& package) {
    if (findOnPath(program).empty())
        throw UsageError(program + " not found: install the Debian package " + package +
                         " (apt-get install " + package + ")");
}

void requireCompiler(const std::string& cc) {
    const std::string suffix = "-gcc";
    bool cross = cc.size() > suffix.size() && cc.compare(cc.size() - suffix.size(), suffix.size(), suffix) == 0;
    requireTool(cc, cross ? "gcc-" + cc.substr(0, cc.size() - suffix.size()) : "gcc");
}

}  // namespace klp
