// Small pieces both libvirt backends (vm/embedded, vm/remote) share; not part
// of vm.h's API.
#pragma once
#include <libvirt/libvirt.h>

#include <filesystem>
#include <string>

#include "vm/vm.h"

namespace klp::vm::libvirt {

// libvirt's message for the last failed call on this thread.
std::string lastError();

// True when the last failed call on this thread failed with `code` (virErrorNumber).
bool lastErrorIs(int code);

// Where libvirt's state (the embedded root) and log go in run dir `runDir`.
std::filesystem::path stateDirIn(const std::filesystem::path& runDir);

// Registers libvirt's default event loop and runs it on a thread of its own,
// once per process. The embedded driver needs it, and so do remote streams,
// which must find it registered before their connection is opened: call this
// before virConnectOpen. libvirt's own log goes to `logDir`/libvirt.log (of the
// first caller), not to our stderr: users see our one-line errors.
void startEventLoop(const std::filesystem::path& logDir);

// "libvirt X.Y.Z, qemu X.Y.Z (URI)": what Backend::describe() reports.
std::string describeConnection(virConnectPtr conn, const std::string& uri);
// "qemu X.Y.Z": the hypervisor version libvirt reports for the connection.
std::string hypervisorVersion(virConnectPtr conn);

// A /bin/sh script that runs `qemu` with every "-accel tcg" turned into
// "-accel tcg,thread=single", for arches whose ArchProfile asks for
// singleThreadTcgForSmp. libvirt has no XML for thread=single, QEMU honours the
// first -accel (libvirt's own), and "-global tcg-accel.thread=single" is
// refused: so this wrapper is the emulator.
std::string tcgSingleThreadScript(const std::string& qemu);

// True when `spec` needs that wrapper as its emulator: TCG, more than one vCPU on
// an arch whose profile asks for single-threaded TCG.
bool needsSingleThreadTcg(const MachineSpec& spec);

// Backend::kvmUnavailable for the host of `conn`: its domain capabilities for
// the arch and virttype kvm, or why there are none.
std::string kvmUnavailable(virConnectPtr conn, const ArchProfile& arch);

}  // namespace klp::vm::libvirt
