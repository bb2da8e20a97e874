// Which accelerator a guest runs on, and why: --accel auto|kvm|tcg. The names
// are the harness's; only vm/libvirt turns them into domain XML.
#pragma once
#include <optional>
#include <string>

namespace klp::vm {

enum class Accel { Auto, Kvm, Tcg };

// "auto" / "kvm" / "tcg" and back; parseAccel throws UsageError on others.
Accel parseAccel(const std::string& name);
std::string accelName(Accel a);

// What a probe boot under KVM showed (cached per host, QEMU and kernel).
struct KvmProbe {
    bool reachedUserspace = false;
    std::string detail;  // when it did not: the console's last words or the start error
};

// The accelerator a guest gets and the reason, for the run's metadata.
struct AccelChoice {
    Accel used = Accel::Tcg;
    std::string why;
    bool failed = false;  // --accel kvm asked for, and KVM cannot run this kernel: `why` says why
};

// The decision, pure: `requested` (auto/kvm/tcg), whether libvirt offers KVM for
// the arch (`noKvmWhy` empty when it does), and the probe result (none when
// not probed: tcg asked for, or no KVM offered).
AccelChoice decideAccel(Accel requested, const std::string& noKvmWhy, const std::optional<KvmProbe>& probe);

}  // namespace klp::vm
