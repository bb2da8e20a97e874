// The VM stage: boots a kernel + initramfs and hands out the host ends of the
// guest's virtio-serial channels. Nothing outside vm/ knows a QEMU flag or libvirt.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vm/accel.h"
#include "vm/arch.h"

namespace klp::vm {

struct Channel {
    std::string name;              // virtio-serial port name the guest looks up
    std::filesystem::path socket;  // host unix socket (QEMU listens on it)
};

struct MachineSpec {
    std::string name;                // unique among running guests
    const ArchProfile* arch = nullptr;
    std::filesystem::path kernel;
    std::filesystem::path initrd;
    std::string extraCmdline;        // appended to the profile's
    int cpus = 1;
    int memoryMiB = 512;
    std::filesystem::path consoleLog;
    std::vector<Channel> channels;
    // Make snapshot()/revert() available (the backend adds the small disk node
    // that holds the snapshot). Only where arch->inPlaceRevert.
    bool revertible = false;
    // The QEMU binary (a local path) where the backend's default for the arch
    // will not do (Backend::takesLocalEmulator); empty: the default.
    std::filesystem::path emulator{};
    // Kvm or Tcg (resolved by chooseAccel, vm/accel_probe.h; never Auto here).
    Accel accel = Accel::Tcg;
};

// A booted guest. Destroying the object destroys the guest.
class Instance {
public:
    virtual ~Instance() = default;
    // The spec it was started from.
    virtual const MachineSpec& spec() const = 0;
    // True while QEMU runs (false after a panic with panic=-1, a poweroff, destroy()).
    virtual bool running() = 0;
    // Stops the guest at once (no shutdown); idempotent, callable from any thread.
    virtual void destroy() = 0;
    // Records the running guest's whole state (RAM, devices, clocks) inside its
    // QEMU, for revert(). Spec must be revertible. Every client of the guest's
    // channels must be closed first: a QEMU chardev serves one client at a time,
    // and one left connected across a revert hangs the next. Throws HarnessError.
    virtual void snapshot() = 0;
    // Puts the guest back into the snapshot's state in the same QEMU process
    // (a fraction of a second: no new QEMU, no boot). Same precondition as
    // snapshot(). Throws HarnessError; the guest is then unusable: destroy it.
    virtual void revert() = 0;
    // Opens QEMU's gdb stub listening on the unix socket `socket` (on this host:
    // local guests only). The guest runs on until a debugger stops it. Throws
    // HarnessError.
    virtual void openGdbStub(const std::filesystem::path& socket) = 0;
};

// Starts guests. One backend per run; it owns the runtime state of its guests.
class Backend {
public:
    virtual ~Backend() = default;
    // Boots `spec`; returns once QEMU runs (the kernel may still be booting).
    virtual std::unique_ptr<Instance> start(const MachineSpec& spec) = 0;
    // Host and hypervisor versions, for reports.
    virtual std::string describe() = 0;
    // Why libvirt offers no KVM for `arch` on this backend's host; "" when it does.
    virtual std::string kvmUnavailable(const ArchProfile& arch) = 0;
    // QEMU's last error line for the guest `name` (e.g. "KVM internal error.
    // Suberror: 1"), where the backend can read QEMU's log; "" otherwise.
    virtual std::string qemuError(const std::string& /*name*/) { return ""; }
    // The version of the QEMU that runs `arch`'s guests by default: its
    // --version line, or what libvirt reports of a remote host's.
    virtual std::string qemuVersion(const ArchProfile& arch) = 0;
    // Whether start() runs MachineSpec::emulator, a QEMU on this host's disk.
    virtual bool takesLocalEmulator() const { return false; }
};

}  // namespace klp::vm
