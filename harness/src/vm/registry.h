// Chooses and opens the VM backend for a libvirt URI. This, vm.h and
// accel_probe.h (--accel) are all the rest of the harness includes from vm/.
//
//   ""         embedded libvirt (vm/embedded): QEMU runs on this host, shares
//              our files, state in the run dir
//   any other  a libvirt daemon that may share no file with us (vm/remote):
//              qemu+ssh://host/system, qemu:///system, qemu+unix://...
#pragma once
#include <filesystem>
#include <memory>
#include <string>

#include "vm/vm.h"

namespace klp::vm {

struct BackendOptions {
    // The process's private run dir (0700): runtime state such as the embedded
    // root and libvirt's log.
    std::filesystem::path runDir{};
    // The harness cache: what is worth keeping between runs (QEMU capability probes).
    std::filesystem::path cacheDir{};
};

// Opens the backend `uri` names (see above). Throws HarnessError or UsageError.
std::shared_ptr<Backend> open(const std::string& uri, const BackendOptions& opts);

// Kills the guests a killed run left in its run dir `runDir` (what RunDir
// sweeps). Returns how many.
int sweepLeftovers(const std::filesystem::path& runDir);

}  // namespace klp::vm
