// Per-run scratch directory under a common base (short, because unix socket
// paths must fit in 108 bytes). Everything in it is private to the user (0700).
// The run holds a lock on it for its whole life, so a later run can tell a
// killed run's leftovers (lock free) from a live one and sweep them.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>

namespace klp {

// Sweeps a dead run's dir before it is removed (e.g. kills its QEMUs);
// returns how many processes it killed, for the message.
using SweepFn = std::function<int(const std::filesystem::path&)>;

class RunDir {
public:
    // Creates <base>/r<pid>-XXXXXX (mkdtemp, 0700, locked before it gets its
    // final name, so a concurrent sweep never takes a run that is starting).
    // Before that, sweeps every run dir under base whose lock is free.
    RunDir(const std::filesystem::path& base, SweepFn sweep);
    ~RunDir();  // sweeps and removes the directory

    // The process-wide run dir under defaultBase(), made on first use and swept
    // and removed at exit or on a fatal signal. (libvirt's embedded driver can
    // have one root per process for the process's whole life, so it lives here.)
    static std::shared_ptr<RunDir> forProcess(SweepFn sweep);
    RunDir(const RunDir&) = delete;
    RunDir& operator=(const RunDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // The default base: $KLP_HARNESS_RUNDIR, else /tmp/klp-harness-<uid>.
    static std::filesystem::path defaultBase();

    // Makes `dir` if needed and checks it is ours alone: a real directory (not a
    // symlink), owned by this user, not writable or readable by others. Throws
    // UsageError naming what is wrong (another user may have planted it).
    static void ensurePrivateDir(const std::filesystem::path& dir);

private:
    std::filesystem::path path_;
    SweepFn sweep_;
    int lockFd_ = -1;
};

}  // namespace klp
