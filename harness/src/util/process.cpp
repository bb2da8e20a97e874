#include "util/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
                  const LineHandler& onLine = {});
}

ProcessResult runProcess(const std::vector<std::string>& argv, const fs::path& stderrLog) {
    return run(argv, stderrLog, false);
}

ProcessResult runMerged(const std::vector<std::string>& argv) { return run(argv, {}, true); }

namespace {
ProcessResult run(const std::vector<std::string>& argv, const fs::path& stderrLog, bool merge,
                  const LineHandler& onLine) {
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
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;  // the harness blocks SIGINT etc. (cleanup.h); children must not
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        // Its own process group, which the cleanup below ends as a whole: a recipe's
        // background `make` ignores the terminal's SIGINT (bash does that to async jobs).
        setpgid(0, 0);
        dup2(pipefd[1], 1);
        if (merge)
            dup2(pipefd[1], 2);
        else if (errfd >= 0)
            dup2(errfd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        execvp(args[0], args.data());
        dprintf(2, "cannot run %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    if (errfd >= 0)
        close(errfd);
    if (pid < 0) {
        close(pipefd[0]);
        throw HarnessError(std::string("fork: ") + strerror(errno));
    }
    setpgid(pid, pid);  // also here: no window in which a signal finds it in ours
    // Ctrl-C or SIGTERM while it runs: end it and everything it started.
    auto killOnSignal = std::make_unique<CleanupGuard>([pid] { kill(-pid, SIGTERM); });
    ProcessResult result;
    std::string pending;  // an incomplete last line, for onLine
    char buf[8192];
    for (;;) {
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
    result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
                       const LineHandler& onLine) {
    auto r = run(argv, stderrLog, false, onLine);
    if (r.exitCode != 0) {
        std::string cmd;
        for (const auto& a : argv)
            cmd += (cmd.empty() ? "" : " ") + a;
        std::string msg = "command failed (exit " + std::to_string(r.exitCode) + "): " + cmd;
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
