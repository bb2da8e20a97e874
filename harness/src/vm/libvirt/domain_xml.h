// libvirt domain XML for a MachineSpec: pure, so unit tests pin it per profile.
#pragma once
#include <filesystem>
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

// `emulator` is the QEMU binary (or the wrapper that fixes its TCG threading).
// `vmstate`: a qcow2 file for QEMU's savevm/loadvm to keep the snapshot in (a
// block node with no device: the guest never sees it); empty for none.
std::string domainXml(const MachineSpec& spec, const std::filesystem::path& emulator,
                      const std::filesystem::path& vmstate = {});

// The full kernel command line for `spec`.
std::string kernelCmdline(const MachineSpec& spec);

}  // namespace klp::vm::libvirt
