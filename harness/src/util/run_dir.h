// Per-run scratch directory under a common base (short, because unix socket
// paths must fit in 108 bytes). It records its owner's pid so a later run can
// sweep what a killed run left behind, and it is removed when the run ends.
#pragma once
#include <filesystem>
#include <functional>

namespace klp {

class RunDir {
public:
    // Creates <base>/r<pid>-<n>. Before that, sweeps every run dir under base
    // whose owner is gone: `sweep(dir)` first (e.g. kill its QEMUs), then removal.
    RunDir(const std::filesystem::path& base,
           const std::function<void(const std::filesystem::path&)>& sweep);
    ~RunDir();  // removes the directory unless keep() was called
    RunDir(const RunDir&) = delete;
    RunDir& operator=(const RunDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    void keep() { keep_ = true; }

    // The default base: $KLP_HARNESS_RUNDIR, else /tmp/klp-harness.
    static std::filesystem::path defaultBase();

private:
    std::filesystem::path path_;
    bool keep_ = false;
};

}  // namespace klp
