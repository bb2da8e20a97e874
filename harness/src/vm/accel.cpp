#include "vm/accel.h"

#include "util/error.h"

namespace klp::vm {

Accel parseAccel(const std::string& name) {
    if (name == "auto")
        return Accel::Auto;
    if (name == "kvm")
        return Accel::Kvm;
    if (name == "tcg")
        return Accel::Tcg;
    throw UsageError("--accel " + name + ": expected auto, kvm or tcg");
}

std::string accelName(Accel a) {
    switch (a) {
        case Accel::Auto: return "auto";
        case Accel::Kvm: return "kvm";
        case Accel::Tcg: return "tcg";
    }
    return "?";
}

AccelChoice decideAccel(Accel requested, const std::string& noKvmWhy, const std::optional<KvmProbe>& probe) {
    if (requested == Accel::Tcg)
        return {Accel::Tcg, "requested (--accel tcg)"};
    const std::string who = requested == Accel::Kvm ? "kvm" : "auto";
    std::string whyNot;
    if (!noKvmWhy.empty())
        whyNot = noKvmWhy;
    else if (!probe)
        whyNot = "KVM was not probed";
    else if (!probe->reachedUserspace)
        whyNot = "KVM probe boot did not reach userspace" + (probe->detail.empty() ? "" : ": " + probe->detail);
    if (whyNot.empty())
        return {Accel::Kvm, who + ": KVM offered and its probe boot reached userspace"};
    if (requested == Accel::Kvm)
        return {Accel::Tcg, "--accel kvm: " + whyNot, true};
    return {Accel::Tcg, "auto: " + whyNot};
}

}  // namespace klp::vm
