// The --accel decision from libvirt's offer and a (cached) probe result: pure.
#include "vm/accel.h"

#include <gtest/gtest.h>

#include "util/error.h"

using namespace klp;
using namespace klp::vm;

TEST(Accel, TcgAsked) {
    auto c = decideAccel(Accel::Tcg, "", std::nullopt);
    EXPECT_EQ(c.used, Accel::Tcg);
    EXPECT_FALSE(c.failed);
    EXPECT_NE(c.why.find("requested"), std::string::npos);
}

TEST(Accel, AutoUsesKvmWhenOfferedAndProbeReachedUserspace) {
    auto c = decideAccel(Accel::Auto, "", KvmProbe{true, ""});
    EXPECT_EQ(c.used, Accel::Kvm);
    EXPECT_FALSE(c.failed);
    EXPECT_EQ(c.why.rfind("auto: ", 0), 0u);
}

TEST(Accel, AutoFallsBackToTcgWhenTheProbeDied) {
    auto c = decideAccel(Accel::Auto, "", KvmProbe{false, "the guest stopped (console: KVM internal error)"});
    EXPECT_EQ(c.used, Accel::Tcg);
    EXPECT_FALSE(c.failed);
    EXPECT_EQ(c.why, "auto: KVM probe boot did not reach userspace: the guest stopped (console: KVM internal error)");
}

TEST(Accel, AutoFallsBackToTcgWhenLibvirtOffersNoKvm) {
    auto c = decideAccel(Accel::Auto, "libvirt offers no KVM for x86_64", std::nullopt);
    EXPECT_EQ(c.used, Accel::Tcg);
    EXPECT_EQ(c.why, "auto: libvirt offers no KVM for x86_64");
}

TEST(Accel, KvmAskedFailsInsteadOfFallingBack) {
    auto c = decideAccel(Accel::Kvm, "", KvmProbe{false, "no ready line"});
    EXPECT_TRUE(c.failed);
    EXPECT_EQ(c.why, "--accel kvm: KVM probe boot did not reach userspace: no ready line");
    EXPECT_TRUE(decideAccel(Accel::Kvm, "libvirt offers no KVM for ppc64le", std::nullopt).failed);
    auto ok = decideAccel(Accel::Kvm, "", KvmProbe{true, ""});
    EXPECT_FALSE(ok.failed);
    EXPECT_EQ(ok.used, Accel::Kvm);
}

TEST(Accel, NamesRoundTripAndUnknownIsAUsageError) {
    for (auto a : {Accel::Auto, Accel::Kvm, Accel::Tcg})
        EXPECT_EQ(parseAccel(accelName(a)), a);
    EXPECT_THROW(parseAccel("hvf"), UsageError);
}
