// Cleanup that must run even when the user presses Ctrl-C: destroying guests,
// removing run directories. Call installSignalCleanup() first thing in main(),
// before any thread starts: it blocks SIGINT/SIGTERM/SIGHUP in every thread and
// handles them in one thread of its own, which runs every registered action
// (newest first) and exits with 128+signal.
#pragma once
#include <functional>

namespace klp {

void installSignalCleanup();

// Registers `action`; returns a handle for unregisterCleanup. Actions must be
// safe to run from another thread while the main thread is blocked in I/O.
int registerCleanup(std::function<void()> action);

// Call on the way out of main(): if a signal's cleanup is running, waits for it
// (it ends the process), so normal exit never races it. Returns `code`.
int exitCode(int code);

// Drops a registered action without running it.
void unregisterCleanup(int handle);

// RAII: registers on construction, unregisters (without running) on destruction.
class CleanupGuard {
public:
    explicit CleanupGuard(std::function<void()> action) : handle_(registerCleanup(std::move(action))) {}
    ~CleanupGuard() { unregisterCleanup(handle_); }
    CleanupGuard(const CleanupGuard&) = delete;
    CleanupGuard& operator=(const CleanupGuard&) = delete;

private:
    int handle_;
};

}  // namespace klp
