// Per-architecture machine data: everything QEMU/libvirt need to know about an
// arch lives in this table, so adding an arch is adding one entry (arch.cpp).
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace klp::vm {

struct ArchProfile {
    std::string name;             // harness name: "x86_64", "ppc64le"
    std::string libvirtArch;      // <type arch=...>
    std::string machine;          // <type machine=...>
    std::string emulator;         // QEMU binary
    std::string emulatorPackage;  // Debian package that ships it
    std::string cpuModel;         // empty: <cpu mode='maximum'/>
    std::string consoleDevice;    // kernel console= name
    bool serialConsole = true;    // true: <serial>/ttyS0; false: <console type=virtio|hvc>
    std::string cmdline;          // default kernel command line (besides console=)
    std::string tcgCmdline;       // appended under TCG only: what emulation makes slow or wrong
    std::vector<std::pair<std::string, std::string>> features;     // <features><name value=.../>
    std::vector<std::pair<std::string, std::string>> tcgFeatures;  // the same, under TCG only
    std::vector<std::string> qemuArgs;  // extra QEMU args (qemu:commandline)
    bool acpi = false;
    std::string debArch;          // Debian architecture for guest userland
    std::string crossCompile;     // CROSS_COMPILE prefix for guest builds ("" = native)
    std::string kbuildArch;       // ARCH= for kbuild
    std::string bootImage;        // in a kernel build tree, what QEMU boots directly
    std::string defconfig;        // the base config of our own kernels (images/own-kernel.sh)
    bool inPlaceRevert = false;   // QEMU's savevm/loadvm brings a guest back reliably
    std::string revertMinQemu;    // ... from this QEMU version on ("" = any)
    int revertMaxCpus = 0;        // ... with at most this many vCPUs (0 = any)
    // With more than one vCPU, run TCG single-threaded: QEMU 7.2's multi-threaded
    // TCG runs stale code after text_poke on x86 (README, "Platform notes").
    bool singleThreadTcgForSmp = false;
    bool hostGdb = false;         // the host's own gdb reads it; else gdb-multiarch
    bool kaslr = false;           // randomizes its base: gdb needs nokaslr (symbols at link addresses)
};

// The profile for `name`; throws UsageError listing the known arches.
const ArchProfile& archProfile(const std::string& name);
std::vector<std::string> knownArches();

}  // namespace klp::vm
