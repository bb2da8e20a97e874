#include "util/cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

namespace klp {

namespace {
std::mutex mutex;
std::mutex exiting;  // held for good by the thread that cleans up after a signal
std::map<int, std::function<void()>> actions;
int nextHandle = 1;

void runAllAndExit(int sig) {
    exiting.lock();
    std::map<int, std::function<void()>> todo;
    {
        std::lock_guard lock(mutex);
        todo.swap(actions);
    }
    std::fprintf(stderr, "\nklp-harness: caught signal %d, destroying guests and cleaning up\n", sig);
    for (auto it = todo.rbegin(); it != todo.rend(); ++it) {
        try {
            it->second();
        } catch (...) {
        }
    }
    _exit(128 + sig);
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
        std::thread([set] {
            int sig = 0;
            if (sigwait(&set, &sig) == 0)
                runAllAndExit(sig);
        }).detach();
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
    return h;
}

void unregisterCleanup(int handle) {
    std::lock_guard lock(mutex);
    actions.erase(handle);
}

}  // namespace klp
