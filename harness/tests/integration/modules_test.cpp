// Our module catalog, built for each Debian kernel and exercised in a real guest:
// load, patch, (block,) unpatch, unload. Module families: basic, busy, fault.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "guest_fixture.h"
#include "testbed/testbed.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using Fixture = test::GuestFixture;

class Modules : public ::testing::TestWithParam<std::string> {};

TEST_P(Modules, EveryPatchSaysLivepatchYes) {
    testbed::Testbed bed{testbed::Options{}};
    auto set = bed.modules(bed.kernel(test::kernelOf(GetParam()), test::archOf(GetParam())));
    int patches = 0;
    for (const auto& ko : set.modules) {
        std::string name = ko.stem();
        auto info = runProcess({"modinfo", "-F", "livepatch", ko.string()});
        bool isPatch = name != "klp_target" && name != "klp_target2" && name != "klp_fault" &&
                       name != "klp_shadow_api";
        EXPECT_EQ(info.output, isPatch ? "Y\n" : "") << name;
        patches += isPatch;
    }
    EXPECT_GE(patches, 16);
}

TEST_P(Modules, BasicPatchesVmlinuxAndTargetThenUnpatches) {
    Fixture f(GetParam());
    f.sh("insmod /lib/klp/klp_target.ko");
    EXPECT_EQ(f.sh("cat /sys/kernel/klp_target/value"), "original\n");
    std::string cmdline = f.sh("cat /proc/cmdline");
    f.sh("insmod /lib/klp/klp_basic.ko");
    ASSERT_TRUE(f.waitFor("cat /sys/kernel/livepatch/klp_basic/transition", "0\n"));
    EXPECT_EQ(f.sh("cat /sys/kernel/livepatch/klp_basic/enabled"), "1\n");
    EXPECT_EQ(f.sh("cat /proc/cmdline"), "klp_basic: livepatched\n");
    EXPECT_EQ(f.sh("cat /sys/kernel/klp_target/value"), "patched by klp_basic\n");
    EXPECT_EQ(f.sh("cat /sys/kernel/livepatch/klp_basic/klp_target/patched"), "1\n");

    f.sh("echo 0 > /sys/kernel/livepatch/klp_basic/enabled");
    ASSERT_TRUE(f.waitFor("test -e /sys/kernel/livepatch/klp_basic && echo present", ""));
    f.sh("rmmod klp_basic");
    EXPECT_EQ(f.sh("cat /proc/cmdline"), cmdline);
    EXPECT_EQ(f.sh("cat /sys/kernel/klp_target/value"), "original\n");
    f.sh("rmmod klp_target");
    std::string log = f.sh("dmesg");
    EXPECT_NE(log.find("livepatch: 'klp_basic': patching complete"), std::string::npos);
    EXPECT_NE(log.find("livepatch: 'klp_basic': unpatching complete"), std::string::npos);
}

TEST_P(Modules, BusyTaskBlocksTheTransitionUntilReleased) {
    Fixture f(GetParam());
    f.sh("insmod /lib/klp/klp_target.ko hold=1");
    // On 6.12 insmod returns only when the transition is over: run it in the background.
    f.sh("insmod /lib/klp/klp_busy.ko > /tmp/insmod.log 2>&1 &");
    ASSERT_TRUE(f.waitFor("cat /sys/kernel/livepatch/klp_busy/transition 2>/dev/null", "1\n"));
    std::this_thread::sleep_for(3s);  // several retries of the transition work
    EXPECT_EQ(f.sh("cat /sys/kernel/livepatch/klp_busy/transition"), "1\n");
    std::string pid = f.sh("for p in /proc/[0-9]*; do [ \"$(cat $p/comm)\" = klp_target_busy ] && echo ${p#/proc/}; done; true");
    ASSERT_FALSE(pid.empty());
    pid.pop_back();
    EXPECT_EQ(f.sh("cat /proc/" + pid + "/patch_state"), "0\n");
    EXPECT_NE(f.sh("cat /proc/" + pid + "/stack").find("klp_target_busy_sleep"), std::string::npos);
    EXPECT_NE(f.sh("dmesg").find("klp_target_busy:" + pid + " is sleeping on function klp_target_busy_sleep"),
              std::string::npos);

    f.sh("echo 0 > /sys/kernel/klp_target/hold");
    ASSERT_TRUE(f.waitFor("cat /sys/kernel/livepatch/klp_busy/transition", "0\n"));
    EXPECT_EQ(f.sh("cat /proc/" + pid + "/patch_state"), "-1\n");  // no transition: -1
    f.sh("echo 0 > /sys/kernel/livepatch/klp_busy/enabled");
    ASSERT_TRUE(f.waitFor("test -e /sys/kernel/livepatch/klp_busy && echo present", ""));
    f.sh("rmmod klp_busy");
    f.sh("rmmod klp_target");
}

TEST_P(Modules, FaultModuleWarnsThenPanics) {
    Fixture f(GetParam());
    f.sh("insmod /lib/klp/klp_fault.ko");
    f.sh("echo warn > /sys/kernel/klp_fault/trigger");
    EXPECT_NE(f.sh("dmesg").find("klp_fault: requested warning"), std::string::npos);
    // The panic takes the guest (and our SSH channel) down: don't wait for an answer.
    try {
        f.guest->ssh().exec("echo panic > /sys/kernel/klp_fault/trigger", 5s);
    } catch (const HarnessError&) {
        // the connection went down with the guest: expected
    }
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (f.guest->vm().running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(200ms);
    std::string console = readFile(f.guest->consoleLog());
    EXPECT_NE(console.find("Kernel panic - not syncing: klp_fault: requested panic"), std::string::npos);
    EXPECT_THROW(f.guest->checkAlive(), HarnessError);
}

INSTANTIATE_TEST_SUITE_P(X86, Modules, test::x86Kernels(), test::paramName);
INSTANTIATE_TEST_SUITE_P(Ppc64le, Modules, test::ppc64leKernels(), test::paramName);
