// Resolves --accel for one guest's kernel on one backend: asks libvirt whether
// it offers KVM for the arch, and (once per host, QEMU and kernel: the result
// is cached) boots that kernel+initrd under KVM to see it reach userspace.
#pragma once
#include <filesystem>

#include "vm/accel.h"
#include "vm/vm.h"

namespace klp::vm {

// How long a probe boot may take to print the guest's ready line.
constexpr int kKvmProbeSeconds = 30;

// The choice for guests like `spec` (its kernel, initrd, arch, console dir).
// `cacheDir`: where kvm-probes.json keeps probe results (empty: not kept).
// Throws only what backend.start throws for reasons other than KVM.
AccelChoice chooseAccel(Backend& backend, const MachineSpec& spec, Accel requested,
                        const std::filesystem::path& cacheDir);

}  // namespace klp::vm
