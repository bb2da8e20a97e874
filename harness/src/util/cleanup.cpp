#include "util/cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "util/error.h"

namespace klp {

namespace {
std::mutex mutex;           // guards everything below but the emergency pids
std::condition_variable changed;
std::mutex exiting;         // held for good by the thread that cleans up after a signal
std::map<int, std::function<void()>> actions;
int nextHandle = 1;
std::function<void()> forcedCleanup;
int creating = 0;           // CreatingResource scopes alive
bool shuttingDown = false;

// Async-signal-safe: a fixed table of atomics, read by the crash handler.
constexpr int kMaxPids = 256;
std::atomic<pid_t> emergencyPids[kMaxPids];

void killEmergencyPids() {
    for (auto& p : emergencyPids)
        if (pid_t pid = p.load(); pid > 0)
            kill(pid, SIGKILL);
}

void say(const char* msg) {  // async-signal-safe
    ssize_t r = write(2, msg, strlen(msg));
    (void)r;
}

// Runs every action, newest first, until none is left and nothing is being made.
void runAll() {
    for (;;) {
        std::map<int, std::function<void()>> todo;
        {
            std::unique_lock lock(mutex);
            changed.wait_for(lock, std::chrono::seconds(10), [] { return creating == 0; });
            todo.swap(actions);
            if (todo.empty())
                return;
        }
        for (auto it = todo.rbegin(); it != todo.rend(); ++it) {
            try {
                it->second();
            } catch (...) {
            }
        }
    }
}

void onSignals(sigset_t set) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0)
        return;
    exiting.lock();
    {
        std::lock_guard lock(mutex);
        shuttingDown = true;
    }
    std::fprintf(stderr, "\nklp-harness: caught signal %d (%s), destroying guests and cleaning up"
                         " (again to force)\n", sig, strsignal(sig));
    std::thread([sig] {
        runAll();
        _exit(128 + sig);
    }).detach();
    timespec limit{kForcedAfter.count(), 0};
    int again = sigtimedwait(&set, nullptr, &limit);
    say(again > 0 ? "klp-harness: second signal: killing guests now\n"
                  : "klp-harness: cleanup took too long: killing guests now\n");
    killEmergencyPids();
    std::function<void()> forced;
    {
        std::lock_guard lock(mutex);
        forced = forcedCleanup;
    }
    if (forced) {
        try {
            forced();
        } catch (...) {
        }
    }
    _exit(128 + sig);
}

void onCrash(int sig) {
    say("\nklp-harness: crashed; killing its guests\n");
    killEmergencyPids();
    raise(sig);  // SA_RESETHAND: the default action now (a core dump, exit code 128+sig)
}

void installCrashHandler() {
    // Its own stack: a stack overflow must still reach the handler (main thread).
    static char altStack[64 * 1024];
    stack_t ss{};
    ss.ss_sp = altStack;
    ss.ss_size = sizeof altStack;
    sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_handler = onCrash;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
        sigaction(sig, &sa, nullptr);
}
}  // namespace

void installSignalCleanup() {
    static std::once_flag once;
    std::call_once(once, [] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        signal(SIGPIPE, SIG_IGN);
        installCrashHandler();
        std::thread(onSignals, set).detach();
    });
}

int exitCode(int code) {
    std::lock_guard lock(exiting);
    return code;
}

int registerCleanup(std::function<void()> action) {
    std::lock_guard lock(mutex);
    int h = nextHandle++;
    actions.emplace(h, std::move(action));
    changed.notify_all();
    return h;
}

void unregisterCleanup(int handle) {
    std::lock_guard lock(mutex);
    actions.erase(handle);
}

void setForcedCleanup(std::function<void()> action) {
    std::lock_guard lock(mutex);
    forcedCleanup = std::move(action);
}

void addEmergencyKill(pid_t pid) {
    for (auto& p : emergencyPids) {
        pid_t empty = 0;
        if (p.compare_exchange_strong(empty, pid))
            return;
    }
}

void removeEmergencyKill(pid_t pid) {
    for (auto& p : emergencyPids) {
        pid_t want = pid;
        p.compare_exchange_strong(want, 0);
    }
}

CreatingResource::CreatingResource() {
    std::lock_guard lock(mutex);
    if (shuttingDown)
        throw HarnessError("interrupted");
    creating++;
}

CreatingResource::~CreatingResource() {
    std::lock_guard lock(mutex);
    creating--;
    changed.notify_all();
}

}  // namespace klp

namespace klp {
bool interrupted() {
    std::lock_guard lock(mutex);
    return shuttingDown;
}
}  // namespace klp
