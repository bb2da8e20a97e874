#include "vm/arch.h"

#include "util/error.h"

namespace klp::vm {

namespace {
// Values measured on QEMU 7.2 TCG (README, "Platform notes"): `pc` (microvm hangs in
// TSC calibration), `-cpu max`, cryptomgr.notests to save boot time (the crypto
// self-tests are slow only when emulated: TCG-only), panic=-1 so a panicking
// guest stops instead of sitting there. Under KVM the CPU is the host's
// (vm/libvirt/domain_xml.cpp) and no tcg* field applies.
const std::vector<ArchProfile> profiles = {
    {
        .name = "x86_64",
        .libvirtArch = "x86_64",
        .machine = "pc",
        .emulator = "qemu-system-x86_64",
        .emulatorPackage = "qemu-system-x86",
        .cpuModel = "",
        .consoleDevice = "ttyS0",
        .serialConsole = true,
        // tsc=reliable: after a revert the TSC has jumped forward by the time
        // since the snapshot; without it the clocksource watchdog marks the TSC
        // unstable and every revert logs "Long readout interval".
        // Not TCG-motivated, so kept under KVM too: it is about the revert.
        .cmdline = "quiet panic=-1 ignore_loglevel tsc=reliable",
        .tcgCmdline = "cryptomgr.notests",
        .features = {},
        .tcgFeatures = {},
        .qemuArgs = {},
        .acpi = true,
        .debArch = "amd64",
        .crossCompile = "",
        .kbuildArch = "x86",
        .bootImage = "arch/x86/boot/bzImage",
        .defconfig = "x86_64_defconfig",
        .inPlaceRevert = true,
        .revertMinQemu = "",  // reverts as well on 7.2 as on 10
        .revertMaxCpus = 0,
        .singleThreadTcgForSmp = true,  // stale code after text_poke with MTTCG (QEMU 7.2)
        .hostGdb = true,                // the host is x86_64 too
        .kaslr = true,                  // Debian's kernels: CONFIG_RANDOMIZE_BASE=y
    },
    // pseries with VOF instead of SLOF (/init 6-9 s sooner); the spectre caps
    // TCG cannot provide are declared broken, or QEMU refuses to start. Console
    // hvc0 on the spapr-vty. No Debian kernel: own-* builds (images/own-kernel.sh).
    {
        .name = "ppc64le",
        .libvirtArch = "ppc64le",
        .machine = "pseries",
        .emulator = "qemu-system-ppc64",
        .emulatorPackage = "qemu-system-ppc",
        .cpuModel = "POWER9",
        .consoleDevice = "hvc0",
        .serialConsole = false,
        .cmdline = "quiet panic=-1 ignore_loglevel",
        .tcgCmdline = "cryptomgr.notests",
        .features = {},
        // The spectre caps TCG cannot provide; KVM-HV on a POWER host has its own.
        .tcgFeatures = {{"cfpc", "broken"}, {"sbbc", "broken"}, {"ibs", "broken"}, {"ccf-assist", "off"}},
        // libvirt has no XML for VOF; QEMU merges a repeated -machine.
        .qemuArgs = {"-machine", "x-vof=on"},
        .acpi = false,
        .debArch = "ppc64el",
        .crossCompile = "powerpc64le-linux-gnu-",
        .kbuildArch = "powerpc",
        .bootImage = "vmlinux",  // the ELF; zImage would need a firmware loader
        .defconfig = "ppc64le_guest_defconfig",  // pseries KVM/TCG guests
        // QEMU 7.2 does not migrate the TCG decrementer and loadvm winds the
        // virtual clock back: a reverted pseries guest often wakes seconds late
        // or never ("target/ppc: Migrate DECR SPR", QEMU 8.2, fixed that). With
        // 2 vCPUs even QEMU 10 never delivers the second vCPU's decrementer
        // interrupt after loadvm: those guests boot cold (~2 s).
        .inPlaceRevert = true,
        .revertMinQemu = "8.2",
        .revertMaxCpus = 1,
        // Its 2-vCPU cases showed no stale-code crash with one host thread per vCPU.
        .singleThreadTcgForSmp = false,
        .hostGdb = false,  // gdb-multiarch, told the arch: QEMU's stub does not say it
        .kaslr = false,    // pseries ppc64 has no KASLR: symbols are at their link addresses
    },
};
}  // namespace

const ArchProfile& archProfile(const std::string& name) {
    for (const auto& p : profiles)
        if (p.name == name)
            return p;
    std::string known;
    for (const auto& p : profiles)
        known += (known.empty() ? "" : ", ") + p.name;
    throw UsageError("unknown arch '" + name + "' (known: " + known + ")");
}

std::vector<std::string> knownArches() {
    std::vector<std::string> names;
    for (const auto& p : profiles)
        names.push_back(p.name);
    return names;
}

}  // namespace klp::vm
