// Cleanup that must run even when the user presses Ctrl-C or the harness itself
// crashes: destroying guests, removing run directories.
//
// installSignalCleanup() goes first thing in main(), before any thread starts.
// - SIGINT/SIGTERM/SIGHUP are blocked in every thread and handled by a thread of
//   their own: it runs every registered action (newest first), including those
//   registered while it runs, and exits with 128+signal. It is bounded: a second
//   signal, or kForcedAfter without finishing, kills what must die (below) and exits.
// - On a crash of the harness (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) running
//   actions is not safe; the handler SIGKILLs the emergency pids (our QEMUs) and
//   dies with the signal. The next run sweeps the rest (util/run_dir.h).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>

namespace klp {

constexpr std::chrono::seconds kForcedAfter{30};

void installSignalCleanup();

// Registers `action`; returns a handle for unregisterCleanup. Actions must be
// safe to run from another thread while the main thread is blocked in I/O.
int registerCleanup(std::function<void()> action);

// Call on the way out of main(): if a signal's cleanup is running, waits for it
// (it ends the process), so normal exit never races it. Returns `code`.
int exitCode(int code);

// True once a signal's cleanup has begun (guests are being destroyed on purpose).
bool interrupted();

// Drops a registered action without running it.
void unregisterCleanup(int handle);

// Processes to SIGKILL when cleanup cannot run actions (a crash, a forced exit).
void addEmergencyKill(pid_t pid);
void removeEmergencyKill(pid_t pid);

// What a forced exit still does after those kills: quick work that needs no
// libvirt or guest (removing the run dir). Replaces any earlier one.
void setForcedCleanup(std::function<void()> action);

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

// RAII around making something that needs cleanup (a guest starting) until its
// CleanupGuard exists. Signal cleanup waits for these to end (bounded), so what
// they made is cleaned too; once cleanup has begun, making one throws
// HarnessError("interrupted") instead.
class CreatingResource {
public:
    CreatingResource();
    ~CreatingResource();
    CreatingResource(const CreatingResource&) = delete;
    CreatingResource& operator=(const CreatingResource&) = delete;
};

}  // namespace klp
