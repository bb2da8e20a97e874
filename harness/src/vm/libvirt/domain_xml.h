// libvirt domain XML for a MachineSpec: pure, so unit tests pin it per profile.
#pragma once
#include <filesystem>
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

// `emulator` is the QEMU binary (or the wrapper that fixes its TCG threading).
std::string domainXml(const MachineSpec& spec, const std::filesystem::path& emulator);

// The full kernel command line for `spec`.
std::string kernelCmdline(const MachineSpec& spec);

}  // namespace klp::vm::libvirt
