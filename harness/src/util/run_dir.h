// Per-run scratch directory under a common base (short, because unix socket
// paths must fit in 108 bytes). It records its owner's pid so a later run can
// sweep what a killed run left behind, and it is removed when the run ends.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>

namespace klp {

class RunDir {
public:
    // Creates <base>/r<pid>-<n>. Before that, sweeps every run dir under base
    // whose owner is gone: `sweep(dir)` first (e.g. kill its QEMUs), then removal.
    RunDir(const std::filesystem::path& base,
           std::function<void(const std::filesystem::path&)> sweep);
    ~RunDir();  // sweeps and removes the directory

    // The process-wide run dir under defaultBase(), made on first use and swept
    // and removed at exit or on a fatal signal. (libvirt's embedded driver can
    // have one root per process for the process's whole life, so it lives here.)
    static std::shared_ptr<RunDir> forProcess(std::function<void(const std::filesystem::path&)> sweep);
    RunDir(const RunDir&) = delete;
    RunDir& operator=(const RunDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // The default base: $KLP_HARNESS_RUNDIR, else /tmp/klp-harness.
    static std::filesystem::path defaultBase();

private:
    std::filesystem::path path_;
    std::function<void(const std::filesystem::path&)> sweep_;
};

}  // namespace klp
