// libvirt domain XML for a MachineSpec: the one place that knows it. Pure, so
// unit tests pin it per profile and per backend.
#pragma once
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

// Where a domain's files are, as seen by the host that runs its QEMU: the
// embedded backend passes our own paths, the remote one its storage volumes.
struct DomainFiles {
    std::string kernel{};
    std::string initrd{};
    // The QEMU binary (or the wrapper that fixes its TCG threading); empty: no
    // <emulator>, libvirt picks the host's QEMU for the arch.
    std::string emulator{};
    // A qcow2 file for QEMU's savevm/loadvm to keep the snapshot in (a block
    // node with no device: the guest never sees it); empty for none.
    std::string vmstate{};
    // true: the console is written to spec.consoleLog and each channel listens
    // on its spec socket (QEMU shares our filesystem). false: the console is a
    // pty and the channels' sockets are named by libvirt on the host, both
    // reached through libvirt streams (vm/remote/stream_bridge.h).
    bool localDevices = true;
};

std::string domainXml(const MachineSpec& spec, const DomainFiles& files);

// The full kernel command line for `spec`.
std::string kernelCmdline(const MachineSpec& spec);

}  // namespace klp::vm::libvirt
