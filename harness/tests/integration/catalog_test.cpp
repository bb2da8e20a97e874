// Each module family of guest/modules driven through its purpose in a real
// guest, on both Debian kernels: system states, callbacks, shadow variables,
// atomic replace and stacking, many user tasks. (The scenario catalog in cases/
// will go deeper; these prove the modules do what guest/README.md says.)
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "guest_fixture.h"

using namespace klp;
using namespace std::chrono_literals;
using Guest = test::GuestFixture;

namespace {
// The kernel log after the last `mark` written to /dev/kmsg.
std::string logSince(Guest& g, const std::string& mark) {
    std::string log = g.sh("dmesg");
    auto at = log.rfind(mark);
    return at == std::string::npos ? log : log.substr(at);
}
void mark(Guest& g, const std::string& m) { g.sh("echo " + m + " > /dev/kmsg"); }
bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }
}  // namespace

class Catalog : public ::testing::TestWithParam<std::string> {};

// system-state.rst §2: the four compatibility rules, and a lower version refused.
TEST_P(Catalog, StateCompatibilityRules) {
    Guest g(GetParam());
    g.loadMod("klp_target");
    std::string orig = g.loglevel();
    g.loadLp("klp_state_v1");  // new state: allowed
    EXPECT_EQ(g.loglevel(), "8\n");
    EXPECT_TRUE(g.logHas("klp_state_v1: pre_patch: state 1 version 1: allocated data (original loglevel " +
                         orig.substr(0, orig.size() - 1) + ")"));
    EXPECT_TRUE(g.logHas("klp_state_v1: post_patch: state 1 version 1: loglevel"));

    // A cumulative patch must carry every installed state.
    g.shFails("insmod /lib/klp/klp_state_none.ko");
    EXPECT_TRUE(g.logHas("Livepatch patch (klp_state_none) is not compatible with the already installed livepatches."));

    // A non-cumulative patch may touch the modified state; it leaves it to the patch below.
    g.loadLp("klp_state_nc");
    EXPECT_TRUE(g.logHas("klp_state_nc: pre_patch: state 1 version 1: reusing data of installed version 1"));
    g.disableLp("klp_state_nc");
    EXPECT_TRUE(g.logHas("klp_state_nc: pre_unpatch: state 1 version 1: loglevel stays 8: version 1 is still installed"));
    EXPECT_TRUE(g.logHas("klp_state_nc: post_unpatch: state 1 version 1: data stays with installed version 1"));
    g.unloadMod("klp_state_nc");
    EXPECT_EQ(g.loglevel(), "8\n");

    // Same version: the cumulative replacement takes the state over.
    g.loadLp("klp_state_v1b");
    EXPECT_TRUE(g.logHas("klp_state_v1b: post_patch: state 1 version 1: took over data from version 1"));
    EXPECT_TRUE(g.waitFor("test -e /sys/kernel/livepatch/klp_state_v1 && echo present", ""));
    g.unloadMod("klp_state_v1");
    EXPECT_EQ(g.loglevel(), "8\n");

    // Higher version: allowed, and it upgrades the change.
    g.loadLp("klp_state_v2");
    EXPECT_EQ(g.loglevel(), "9\n");
    g.unloadMod("klp_state_v1b");

    // Lower version: refused with EINVAL.
    std::string out = g.shFails("insmod /lib/klp/klp_state_v1.ko");
    EXPECT_TRUE(has(out, "Invalid argument")) << out;
    EXPECT_TRUE(g.logHas("Livepatch patch (klp_state_v1) is not compatible with the already installed livepatches."));

    g.disableLp("klp_state_v2");
    EXPECT_EQ(g.loglevel(), orig);
    EXPECT_TRUE(g.logHas("klp_state_v2: post_unpatch: state 1 version 2: no patch keeps the state: freeing data"));
}

// system-state.rst §3: undo on enable error, and restore the previous state when
// a replace transition (blocked by a busy task) is reverted.
TEST_P(Catalog, StateEnableErrorAndRevertedReplace) {
    Guest g(GetParam());
    g.loadMod("klp_target");
    std::string orig = g.loglevel();

    std::string out = g.shFails("insmod /lib/klp/klp_state_v1.ko fail_pre_patch=22");
    EXPECT_TRUE(has(out, "Invalid argument")) << out;
    EXPECT_TRUE(g.logHas("klp_state_v1: pre_patch: state 1 version 1: klp_target: failing with -22"));
    EXPECT_TRUE(g.logHas("klp_state_v1: post_unpatch: state 1 version 1: no patch keeps the state: freeing data"));
    EXPECT_EQ(g.loglevel(), orig);

    g.loadLp("klp_state_v1");
    EXPECT_EQ(g.loglevel(), "8\n");
    g.sh("echo 1 > /sys/kernel/klp_target/hold");  // the kthread now sleeps in v1's function
    g.sh("insmod /lib/klp/klp_state_v2.ko > /tmp/insmod.log 2>&1 < /dev/null &");
    ASSERT_TRUE(g.waitFor("cat /sys/kernel/livepatch/klp_state_v2/transition 2>/dev/null", "1\n"));
    std::this_thread::sleep_for(2s);
    ASSERT_EQ(g.sh("cat /sys/kernel/livepatch/klp_state_v2/transition"), "1\n");
    g.sh("echo 0 > /sys/kernel/livepatch/klp_state_v2/enabled");  // reverse the transition
    EXPECT_TRUE(g.waitFor("test -e /sys/kernel/livepatch/klp_state_v2 && echo present", ""));
    EXPECT_TRUE(g.logHas("'klp_state_v2': reversing transition from patching to unpatching"));
    EXPECT_TRUE(g.logHas("klp_state_v2: post_unpatch: state 1 version 2: data stays with installed version 1"));
    EXPECT_FALSE(g.logHas("klp_state_v2: post_patch"));
    EXPECT_EQ(g.loglevel(), "8\n");  // v1's change stands
    EXPECT_EQ(g.sh("cat /sys/kernel/livepatch/klp_state_v1/enabled"), "1\n");

    g.sh("echo 0 > /sys/kernel/klp_target/hold");
    g.disableLp("klp_state_v1");
    EXPECT_EQ(g.loglevel(), orig);
}

// callbacks.rst: targets before/after the patch, going, pre_patch failures,
// several patches, and atomic replace running only the new patch's callbacks.
TEST_P(Catalog, Callbacks) {
    Guest g(GetParam());
    g.loadMod("klp_target");
    g.loadLp("klp_callbacks");
    for (const char* line : {"klp_callbacks: pre_patch: vmlinux [vmlinux]", "klp_callbacks: pre_patch: klp_target [live]",
                             "klp_callbacks: post_patch: vmlinux [vmlinux]", "klp_callbacks: post_patch: klp_target [live]"})
        EXPECT_TRUE(g.logHas(line)) << line;
    EXPECT_FALSE(g.logHas("klp_callbacks: pre_patch: klp_target2"));
    EXPECT_EQ(g.value(), "klp_callbacks\n");

    g.loadMod("klp_target2");  // coming after the patch
    EXPECT_TRUE(g.logHas("klp_callbacks: pre_patch: klp_target2 [coming]"));
    EXPECT_TRUE(g.logHas("klp_callbacks: post_patch: klp_target2 [coming]"));
    EXPECT_EQ(g.value("klp_target2"), "klp_callbacks\n");
    g.unloadMod("klp_target2");  // going
    EXPECT_TRUE(g.logHas("klp_callbacks: pre_unpatch: klp_target2 [going]"));
    EXPECT_TRUE(g.logHas("klp_callbacks: post_unpatch: klp_target2 [going]"));

    // A coming module whose pre_patch fails is refused.
    g.sh("echo 19 > /sys/module/klp_callbacks/parameters/module_pre_patch_ret");
    std::string out = g.shFails("insmod /lib/klp/klp_target2.ko");
    EXPECT_TRUE(has(out, "No such device")) << out;
    EXPECT_TRUE(g.logHas("klp_callbacks: pre_patch: klp_target2 [coming]: failing with -19"));
    g.sh("echo 0 > /sys/module/klp_callbacks/parameters/module_pre_patch_ret");

    // Several patches: the second's callbacks run too, and its code is on top.
    g.loadLp("klp_callbacks_b");
    EXPECT_TRUE(g.logHas("klp_callbacks_b: post_patch: klp_target [live]"));
    EXPECT_EQ(g.sh("cat /proc/cmdline"), "klp_callbacks_b\n");

    // Atomic replace: only the new patch's callbacks run.
    mark(g, "klp-test-replace");
    g.loadLp("klp_callbacks_r");
    std::string since = logSince(g, "klp-test-replace");
    EXPECT_TRUE(has(since, "klp_callbacks_r: pre_patch: vmlinux [vmlinux]")) << since;
    EXPECT_TRUE(has(since, "klp_callbacks_r: post_patch: klp_target [live]")) << since;
    EXPECT_FALSE(has(since, "klp_callbacks: ")) << since;
    EXPECT_FALSE(has(since, "klp_callbacks_b: ")) << since;
    g.unloadMod("klp_callbacks");
    g.unloadMod("klp_callbacks_b");
    g.disableLp("klp_callbacks_r");
    EXPECT_TRUE(g.logHas("klp_callbacks_r: post_unpatch: klp_target [live]"));
    g.unloadMod("klp_callbacks_r");

    // A failing vmlinux pre_patch stops the load; no post_patch runs.
    mark(g, "klp-test-vmlinux-fail");
    out = g.shFails("insmod /lib/klp/klp_callbacks.ko pre_patch_ret=22");
    since = logSince(g, "klp-test-vmlinux-fail");
    EXPECT_TRUE(has(since, "klp_callbacks: pre_patch: vmlinux [vmlinux]: failing with -22")) << since;
    EXPECT_FALSE(has(since, "klp_callbacks: post_patch")) << since;
    EXPECT_EQ(g.value(), "original\n");
}

// shadow-vars.rst: API edge cases, and shadow lifetime across a cumulative replace.
TEST_P(Catalog, ShadowVariables) {
    Guest g(GetParam());
    g.loadMod("klp_shadow_api");
    EXPECT_TRUE(g.logHas("klp_shadow_api: 11 tests, 0 failures"));
    EXPECT_FALSE(g.logHas("klp_shadow_api: not ok"));
    g.unloadMod("klp_shadow_api");

    g.loadMod("klp_target");
    g.sh("echo 2 > /sys/kernel/klp_target/items");
    EXPECT_EQ(g.sh("cat /sys/kernel/klp_target/items"), "item 1\nitem 2\n");
    g.loadLp("klp_shadow");
    EXPECT_EQ(g.sh("cat /sys/kernel/klp_target/items"),
              "item 1 shadow 100 (klp_shadow)\nitem 2 shadow 101 (klp_shadow)\n");  // get_or_alloc
    g.sh("echo 1 > /sys/kernel/klp_target/items");  // alloc in the patched constructor
    EXPECT_EQ(g.sh("cat /sys/kernel/klp_target/items"),
              "item 1 shadow 100 (klp_shadow)\nitem 2 shadow 101 (klp_shadow)\nitem 3 shadow 102 (klp_shadow)\n");

    g.loadLp("klp_shadow2");  // cumulative: the same shadow variables live on
    EXPECT_EQ(g.sh("cat /sys/kernel/klp_target/items"),
              "item 1 shadow 100 (klp_shadow2)\nitem 2 shadow 101 (klp_shadow2)\nitem 3 shadow 102 (klp_shadow2)\n");
    EXPECT_FALSE(g.logHas("klp_shadow: post_unpatch"));
    EXPECT_FALSE(g.logHas("shadow dtor"));
    g.unloadMod("klp_shadow");

    g.disableLp("klp_shadow2");
    EXPECT_TRUE(g.logHas("klp_shadow2: post_unpatch: klp_target: freeing all shadow variables"));
    EXPECT_EQ(g.sh("dmesg | grep -c 'klp_shadow2: shadow dtor: item'"), "3\n");
    EXPECT_EQ(g.sh("cat /sys/kernel/klp_target/items"), "item 1\nitem 2\nitem 3\n");
}

// cumulative-patches.rst and livepatch.rst §5: replace with nops, downgrade by
// re-adding an older patch, and two non-cumulative patches stacked on one function.
TEST_P(Catalog, ReplaceAndStack) {
    Guest g(GetParam());
    g.loadMod("klp_target");
    g.loadLp("klp_replace_a");
    EXPECT_EQ(g.sh("cat /proc/cmdline"), "klp_replace_a\n");
    EXPECT_EQ(g.value(), "klp_replace_a\n");
    g.loadLp("klp_replace_b");  // drops klp_target_value: nop
    EXPECT_EQ(g.sh("cat /proc/cmdline"), "klp_replace_b\n");
    EXPECT_EQ(g.value(), "original\n");
    EXPECT_TRUE(g.waitFor("test -e /sys/kernel/livepatch/klp_replace_a && echo present", ""));
    g.unloadMod("klp_replace_a");

    g.loadLp("klp_callbacks_r");  // another cumulative patch on top...
    EXPECT_EQ(g.sh("cat /proc/cmdline"), "klp_callbacks_r\n");
    g.unloadMod("klp_replace_b");
    g.loadLp("klp_replace_b");  // ...and back: downgrade by re-adding the older one
    EXPECT_EQ(g.sh("cat /proc/cmdline"), "klp_replace_b\n");
    g.unloadMod("klp_callbacks_r");
    g.disableLp("klp_replace_b");
    g.unloadMod("klp_replace_b");

    g.loadLp("klp_stack_a");
    EXPECT_EQ(g.value(), "klp_stack_a\n");
    g.loadLp("klp_stack_b");
    EXPECT_EQ(g.value(), "klp_stack_b\n");
    g.disableLp("klp_stack_b");
    EXPECT_EQ(g.value(), "klp_stack_a\n");
    g.disableLp("klp_stack_a");
    EXPECT_EQ(g.value(), "original\n");
}

// livepatch.rst §3: user tasks hammering a patched path; stopped tasks.
TEST_P(Catalog, ManyUserTasks) {
    Guest g(GetParam());
    g.loadMod("klp_target");
    g.sh("klp-spin 4 > /tmp/spin.pids 2>&1 < /dev/null &");
    ASSERT_TRUE(g.waitFor("wc -w < /tmp/spin.pids", "4\n"));
    std::string pids = g.sh("cat /tmp/spin.pids");
    pids.pop_back();
    g.loadLp("klp_basic");  // completes although 4 tasks keep calling the patched function
    EXPECT_EQ(g.value(), "patched by klp_basic\n");
    g.sh("kill -STOP " + pids);
    g.disableLp("klp_basic");  // stopped tasks sleep outside the function: switched by the stack check
    g.sh("kill -CONT " + pids);
    g.sh("kill -0 " + pids);  // all still alive
    EXPECT_EQ(g.value(), "original\n");
    g.sh("kill " + pids);
}

INSTANTIATE_TEST_SUITE_P(X86, Catalog, test::x86Kernels(), test::paramName);
INSTANTIATE_TEST_SUITE_P(Ppc64le, Catalog, test::ppc64leKernels(), test::paramName);
