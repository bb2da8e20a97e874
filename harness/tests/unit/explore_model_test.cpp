// The reference model (explore/model.h) against sequences taken from the
// kernel's livepatch documents and our catalog's cases: each step's answer, the
// lines our modules log, and what a reader sees afterwards. The console loglevel
// starts at 4 (the harness's "quiet" command line).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>

#include "explore/model.h"

using namespace klp::explore;

namespace {

// One operation and what must follow it. Unset expectations are not checked,
// but a step is always expected to be accepted unless refused() says otherwise.
struct Step {
    Step(OpKind kind, std::string module) : op{kind, std::move(module)} {}

    Op op;
    std::string errnoName;
    std::optional<std::vector<std::string>> lines;
    std::optional<std::string> cmdline;
    std::vector<std::pair<std::string, std::string>> values;  // target -> value ("" not loaded)
    std::optional<std::vector<std::string>> sysfs;
    std::optional<std::map<int, int>> states;
    std::optional<int> loglevel;
    std::optional<bool> moduleLoaded;  // op.module afterwards
    std::optional<std::string> transition;  // the patch in transition afterwards ("" none)
    std::optional<std::pair<std::string, bool>> settled;  // a transition the op let end: patch, gone
    std::optional<std::vector<std::string>> settleLines;
    std::optional<std::string> output;             // ReadItems
    std::optional<std::map<int, int>> shadowVars;  // item -> value afterwards
    bool hazard = false;

    Step& refused(std::string e) { errnoName = std::move(e); return *this; }
    Step& logs(std::vector<std::string> l) { lines = std::move(l); return *this; }
    Step& thenCmdline(std::string c) { cmdline = std::move(c); return *this; }
    Step& thenValue(std::string v, std::string target = "klp_target") {
        values.emplace_back(std::move(target), std::move(v));
        return *this;
    }
    Step& thenSysfs(std::vector<std::string> s) { sysfs = std::move(s); return *this; }
    Step& thenStates(std::map<int, int> s) { states = std::move(s); return *this; }
    Step& thenLoglevel(int l) { loglevel = l; return *this; }
    Step& thenLoaded(bool l) { moduleLoaded = l; return *this; }
    Step& unpredictable() { hazard = true; return *this; }
    Step& thenTransition(std::string p) { transition = std::move(p); return *this; }
    Step& reads(std::string o) { output = std::move(o); return *this; }
    Step& thenShadows(std::map<int, int> m) { shadowVars = std::move(m); return *this; }
    Step& settles(std::string p, bool gone, std::vector<std::string> l) {
        settled = {std::move(p), gone};
        settleLines = std::move(l);
        return *this;
    }
};

Step load(std::string m) { return Step(OpKind::Load, std::move(m)); }
Step loadFailing(std::string m) { return Step(OpKind::LoadFailing, std::move(m)); }
Step disable(std::string m) { return Step(OpKind::Disable, std::move(m)); }
Step unload(std::string m) { return Step(OpKind::Unload, std::move(m)); }
Step loadTarget(std::string t = "klp_target") { return Step(OpKind::LoadTarget, std::move(t)); }
Step unloadTarget(std::string t = "klp_target") { return Step(OpKind::UnloadTarget, std::move(t)); }
Step enable(std::string m) { return Step(OpKind::Enable, std::move(m)); }
Step hold() { return Step(OpKind::Hold, "klp_target"); }
Step addItem() { return Step(OpKind::AddItem, "klp_target"); }
Step destroyItems() { return Step(OpKind::DestroyItems, "klp_target"); }
Step readItems() { return Step(OpKind::ReadItems, "klp_target"); }
Step release() { return Step(OpKind::Release, "klp_target"); }

struct Sequence {
    std::string name;    // the gtest parameter name
    std::string source;  // the document section it comes from
    std::vector<Step> steps;
};

// Lines of the callbacks patches (callbacks_common.h) and state patches (state_common.h).
std::string cb(const std::string& patch, const std::string& callback, const std::string& object,
               const std::string& state) {
    return patch + ": " + callback + ": " + object + " [" + state + "]";
}
std::string st(const std::string& patch, int version, const std::string& callback, const std::string& text) {
    return patch + ": " + callback + ": state 1 version " + std::to_string(version) + ": " + text;
}

const std::vector<Sequence>& sequences() {
    static const std::vector<Sequence> table = {
        {"StackingLastEnabledWins", "livepatch.rst §5.2 footnote (func_stack) and §5.4: disabling the top uncovers the one below",
         {loadTarget().logs({"klp_target: loaded, value=original hold=0"}).thenValue("original"),
          load("klp_stack_a").logs({"klp_stack_a: enabling (non-cumulative)"}).thenValue("klp_stack_a"),
          load("klp_stack_b").thenValue("klp_stack_b").thenSysfs({"klp_stack_a", "klp_stack_b"}),
          disable("klp_stack_b").logs({}).thenValue("klp_stack_a").thenSysfs({"klp_stack_a"}).thenLoaded(true),
          disable("klp_stack_a").thenValue("original").thenSysfs({})}},

        {"DisablingTheLowerPatchKeepsTheTop", "livepatch.rst §5.4 (no order): core.c __klp_disable_patch has no stacking check",
         {loadTarget(), load("klp_stack_a"), load("klp_stack_b"),
          disable("klp_stack_a").thenValue("klp_stack_b").thenSysfs({"klp_stack_b"}),
          disable("klp_stack_b").thenValue("original")}},

        {"ReplaceNopsTheDroppedFunction", "cumulative-patches.rst Usage: replace disables all others; handlers leave dropped functions",
         {loadTarget(), load("klp_replace_a").thenCmdline("klp_replace_a").thenValue("klp_replace_a"),
          load("klp_replace_b")
              .logs({"klp_replace_b: enabling (cumulative)"})
              .thenCmdline("klp_replace_b")
              .thenValue("original")
              .thenSysfs({"klp_replace_b"}),
          disable("klp_replace_a").refused("ENOENT"),
          unload("klp_replace_a").logs({"klp_replace_a: unloaded"}).thenLoaded(false),
          disable("klp_replace_b").thenCmdline(kOriginalCmdline).thenSysfs({})}},

        {"DoubleLoadIsEEXIST", "module loader (main.c module_patient_check_exists), before livepatch runs",
         {load("klp_stack_a"), load("klp_stack_a").refused("EEXIST").logs({}).thenSysfs({"klp_stack_a"}),
          load("klp_replace_a"), load("klp_replace_b"),
          load("klp_replace_a").refused("EEXIST").thenSysfs({"klp_replace_b"}),
          loadTarget(), loadTarget().refused("EEXIST").logs({})}},

        {"UnloadEnabledRefusedThenAllowed", "livepatch.rst §5.5: the module is pinned while its patch is in use",
         {load("klp_basic").logs({"klp_basic: enabling"}).thenCmdline("klp_basic: livepatched"),
          unload("klp_basic").refused("EAGAIN").logs({}).thenLoaded(true),
          disable("klp_basic").thenCmdline(kOriginalCmdline),
          unload("klp_basic").logs({"klp_basic: unloaded"}).thenLoaded(false),
          unload("klp_basic").refused("ENOENT"), disable("klp_basic").refused("ENOENT"),
          load("klp_basic").thenSysfs({"klp_basic"}).thenCmdline("klp_basic: livepatched")}},

        {"ReplaceRefusesStateDowngrade", "system-state.rst §2 rule 2: same or higher version only (state.c klp_is_state_compatible)",
         {loadTarget(),
          load("klp_state_v2")
              .logs({"klp_state_v2: enabling (cumulative, state 1 version 2)",
                     st("klp_state_v2", 2, "pre_patch", "allocated data (original loglevel 4)"),
                     st("klp_state_v2", 2, "pre_patch", "klp_target: ok"),
                     st("klp_state_v2", 2, "post_patch", "loglevel 4 -> 9")})
              .thenLoglevel(9)
              .thenStates({{1, 2}}),
          load("klp_state_v1")
              .refused("EINVAL")
              .logs({"klp_state_v1: enabling (cumulative, state 1 version 1)"})
              .thenLoglevel(9)
              .thenSysfs({"klp_state_v2"})
              .thenLoaded(false)}},

        {"NonReplaceDeclaringTheStateRefusesDowngrade", "system-state.rst §2 rule 2, state.c: the version check applies to non-cumulative patches too",
         {loadTarget(), load("klp_state_v2"),
          load("klp_state_nc").refused("EINVAL").logs({"klp_state_nc: enabling (non-cumulative, state 1 version 1)"}),
          load("klp_stack_a").thenStates({{1, 2}})}},

        {"ReplaceMissingAStateRefused", "system-state.rst §2 rule 3: cumulative patches must handle all installed states",
         {loadTarget(), load("klp_state_v1").thenLoglevel(8),
          load("klp_state_none").refused("EINVAL").logs({"klp_state_none: enabling (cumulative, state 1 version 0)"}),
          load("klp_replace_b").refused("EINVAL"), load("klp_callbacks_r").refused("EINVAL"),
          disable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "pre_unpatch", "loglevel 8 -> 4 (original)"),
                     st("klp_state_v1", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenLoglevel(4)
              .thenStates({}),
          load("klp_state_none")
              .logs({"klp_state_none: enabling (cumulative, state 1 version 0)",
                     st("klp_state_none", 0, "pre_patch", "klp_target: ok")})
              .thenCmdline("klp_state_none")}},

        {"NonReplaceWithoutTheStateAccepted", "system-state.rst §2 rule 4; state.c: a missing state refuses only a replace patch",
         {loadTarget(), load("klp_state_v1"), load("klp_stack_a").thenValue("klp_stack_a").thenStates({{1, 1}}),
          load("klp_callbacks").thenSysfs({"klp_state_v1", "klp_stack_a", "klp_callbacks"}).thenCmdline("klp_callbacks")}},

        {"SameVersionTakesOver", "system-state.rst §2 rule 2 and §3 (take over a replaced patch's modification)",
         {loadTarget(),
          load("klp_state_v1")
              .logs({"klp_state_v1: enabling (cumulative, state 1 version 1)",
                     st("klp_state_v1", 1, "pre_patch", "allocated data (original loglevel 4)"),
                     st("klp_state_v1", 1, "pre_patch", "klp_target: ok"),
                     st("klp_state_v1", 1, "post_patch", "loglevel 4 -> 8")}),
          load("klp_state_v1b")
              .logs({"klp_state_v1b: enabling (cumulative, state 1 version 1)",
                     st("klp_state_v1b", 1, "pre_patch", "reusing data of installed version 1 (original loglevel 4)"),
                     st("klp_state_v1b", 1, "pre_patch", "klp_target: ok"),
                     st("klp_state_v1b", 1, "post_patch", "took over data from version 1"),
                     st("klp_state_v1b", 1, "post_patch", "loglevel 8 -> 8")})
              .thenSysfs({"klp_state_v1b"}),
          unload("klp_state_v1").logs({"klp_state_v1: unloaded"}),
          disable("klp_state_v1b")
              .logs({st("klp_state_v1b", 1, "pre_unpatch", "loglevel 8 -> 4 (original)"),
                     st("klp_state_v1b", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenLoglevel(4)}},

        {"HigherVersionUpgrades", "system-state.rst §2 rule 2 and §3 (update the modification)",
         {loadTarget(), load("klp_state_v1"),
          load("klp_state_v2")
              .logs({"klp_state_v2: enabling (cumulative, state 1 version 2)",
                     st("klp_state_v2", 2, "pre_patch", "reusing data of installed version 1 (original loglevel 4)"),
                     st("klp_state_v2", 2, "pre_patch", "klp_target: ok"),
                     st("klp_state_v2", 2, "post_patch", "took over data from version 1"),
                     st("klp_state_v2", 2, "post_patch", "loglevel 8 -> 9")})
              .thenStates({{1, 2}})
              .thenLoglevel(9)
              .thenCmdline("klp_state_v2")}},

        {"NonCumulativeTouchesInstalledState", "system-state.rst §2 rule 4 (non-cumulative patches may touch modified states)",
         {loadTarget(), load("klp_state_v1"),
          load("klp_state_nc")
              .logs({"klp_state_nc: enabling (non-cumulative, state 1 version 1)",
                     st("klp_state_nc", 1, "pre_patch", "reusing data of installed version 1 (original loglevel 4)"),
                     st("klp_state_nc", 1, "pre_patch", "klp_target: ok"),
                     st("klp_state_nc", 1, "post_patch", "sharing data with installed version 1"),
                     st("klp_state_nc", 1, "post_patch", "loglevel 8 -> 8")})
              .thenSysfs({"klp_state_v1", "klp_state_nc"}),
          disable("klp_state_nc")
              .logs({st("klp_state_nc", 1, "pre_unpatch", "loglevel stays 8: version 1 is still installed"),
                     st("klp_state_nc", 1, "post_unpatch", "data stays with installed version 1")})
              .thenLoglevel(8),
          disable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "pre_unpatch", "loglevel 8 -> 4 (original)"),
                     st("klp_state_v1", 1, "post_unpatch", "no patch keeps the state: freeing data")})}},

        {"CallbacksOrderOnLoadAndDisable", "callbacks.rst §2, §3: pre_patch per object, post_patch after the transition; unpatch likewise",
         {loadTarget(),
          load("klp_callbacks")
              .logs({"klp_callbacks: enabling (non-cumulative)", cb("klp_callbacks", "pre_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "pre_patch", "klp_target", "live"),
                     cb("klp_callbacks", "post_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "post_patch", "klp_target", "live")})
              .thenValue("klp_callbacks"),
          disable("klp_callbacks")
              .logs({cb("klp_callbacks", "pre_unpatch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "pre_unpatch", "klp_target", "live"),
                     cb("klp_callbacks", "post_unpatch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "post_unpatch", "klp_target", "live")})
              .thenValue("original")}},

        {"CallbacksOfATargetComingAndGoing", "callbacks.rst §3: a target's callbacks run as it is (un)loaded while the patch is enabled",
         {load("klp_callbacks")
              .logs({"klp_callbacks: enabling (non-cumulative)", cb("klp_callbacks", "pre_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "post_patch", "vmlinux", "vmlinux")}),
          loadTarget()
              .logs({cb("klp_callbacks", "pre_patch", "klp_target", "coming"),
                     cb("klp_callbacks", "post_patch", "klp_target", "coming"),
                     "klp_target: loaded, value=klp_callbacks hold=0"})
              .thenValue("klp_callbacks"),
          unloadTarget()
              .logs({"klp_target: unloaded", cb("klp_callbacks", "pre_unpatch", "klp_target", "going"),
                     cb("klp_callbacks", "post_unpatch", "klp_target", "going")})
              .thenValue(""),
          disable("klp_callbacks")
              .logs({cb("klp_callbacks", "pre_unpatch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "post_unpatch", "vmlinux", "vmlinux")})}},

        {"CallbacksOfSeveralTargets", "callbacks.rst §3: callbacks are per loaded object",
         {loadTarget(), loadTarget("klp_target2"),
          load("klp_callbacks")
              .logs({"klp_callbacks: enabling (non-cumulative)", cb("klp_callbacks", "pre_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "pre_patch", "klp_target", "live"),
                     cb("klp_callbacks", "pre_patch", "klp_target2", "live"),
                     cb("klp_callbacks", "post_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks", "post_patch", "klp_target", "live"),
                     cb("klp_callbacks", "post_patch", "klp_target2", "live")})
              .thenValue("klp_callbacks", "klp_target2"),
          unloadTarget("klp_target2")
              .logs({"klp_target2: unloaded", cb("klp_callbacks", "pre_unpatch", "klp_target2", "going"),
                     cb("klp_callbacks", "post_unpatch", "klp_target2", "going")})
              .thenValue("", "klp_target2")
              .thenValue("klp_callbacks")}},

        {"FailingVmlinuxPrePatchRefusesThePatch", "callbacks.rst §3: refuse to load a livepatch loaded after the target",
         {loadTarget(),
          loadFailing("klp_callbacks")
              .refused("EINVAL")
              .logs({"klp_callbacks: enabling (non-cumulative)",
                     "klp_callbacks: pre_patch: vmlinux [vmlinux]: failing with -22"})
              .thenValue("original")
              .thenSysfs({})
              .thenLoaded(false),
          load("klp_callbacks").thenValue("klp_callbacks")}},

        {"FailingPrePatchUndoesTheOthers", "system-state.rst §3 (remove changes when the patch cannot get enabled); callbacks.rst §3 (only post_unpatch)",
         {loadTarget(),
          loadFailing("klp_state_v1")
              .refused("EINVAL")
              .logs({"klp_state_v1: enabling (cumulative, state 1 version 1)",
                     st("klp_state_v1", 1, "pre_patch", "allocated data (original loglevel 4)"),
                     st("klp_state_v1", 1, "pre_patch", "klp_target: failing with -22 as asked"),
                     st("klp_state_v1", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenLoglevel(4)
              .thenStates({}),
          load("klp_state_v1"),
          loadFailing("klp_state_v1b")
              .refused("EINVAL")
              .logs({"klp_state_v1b: enabling (cumulative, state 1 version 1)",
                     st("klp_state_v1b", 1, "pre_patch", "reusing data of installed version 1 (original loglevel 4)"),
                     st("klp_state_v1b", 1, "pre_patch", "klp_target: failing with -22 as asked"),
                     st("klp_state_v1b", 1, "post_unpatch", "data stays with installed version 1")})
              .thenLoglevel(8)
              .thenSysfs({"klp_state_v1"})}},

        {"FailingPrePatchRefusesAComingTarget", "callbacks.rst §3: refuse to load a module when the livepatch was loaded first",
         {load("klp_callbacks"), loadFailing("klp_state_nc").thenSysfs({"klp_callbacks", "klp_state_nc"}),
          loadTarget()
              .refused("EINVAL")
              .logs({cb("klp_callbacks", "pre_patch", "klp_target", "coming"),
                     cb("klp_callbacks", "post_patch", "klp_target", "coming"),
                     st("klp_state_nc", 1, "pre_patch", "klp_target: failing with -22 as asked"),
                     cb("klp_callbacks", "pre_unpatch", "klp_target", "coming"),
                     cb("klp_callbacks", "post_unpatch", "klp_target", "coming")})
              .thenValue("")
              .thenLoaded(false)
              .thenSysfs({"klp_callbacks", "klp_state_nc"})}},

        {"TargetReloadIsPatchedAgain", "core.c klp_module_coming: a patch applies to a module loaded after it",
         {loadTarget(), load("klp_stack_a"),
          unloadTarget().logs({"klp_target: unloaded"}).thenValue("").thenSysfs({"klp_stack_a"}),
          loadTarget().logs({"klp_target: loaded, value=klp_stack_a hold=0"}).thenValue("klp_stack_a"),
          unloadTarget(), load("klp_replace_b").thenSysfs({"klp_replace_b"}),
          loadTarget().logs({"klp_target: loaded, value=original hold=0"})}},

        {"ReplaceRunsOnlyTheNewCallbacks", "cumulative-patches.rst Limitations: only the new cumulative patch's callbacks run",
         {loadTarget(), load("klp_callbacks"),
          load("klp_callbacks_r")
              .logs({"klp_callbacks_r: enabling (cumulative)", cb("klp_callbacks_r", "pre_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks_r", "pre_patch", "klp_target", "live"),
                     cb("klp_callbacks_r", "post_patch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks_r", "post_patch", "klp_target", "live")})
              .thenSysfs({"klp_callbacks_r"}),
          unload("klp_callbacks").logs({"klp_callbacks: unloaded"}),
          disable("klp_callbacks_r").thenCmdline(kOriginalCmdline)}},

        {"SeveralPatchesRunTheirOwnCallbacks", "callbacks.rst §3: callbacks belong to their patch's objects",
         {loadTarget(), load("klp_callbacks"), load("klp_callbacks_b").thenCmdline("klp_callbacks_b"),
          disable("klp_callbacks_b")
              .logs({cb("klp_callbacks_b", "pre_unpatch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks_b", "pre_unpatch", "klp_target", "live"),
                     cb("klp_callbacks_b", "post_unpatch", "vmlinux", "vmlinux"),
                     cb("klp_callbacks_b", "post_unpatch", "klp_target", "live")})
              .thenCmdline("klp_callbacks")}},

        {"DowngradeByReadding", "cumulative-patches.rst Limitations: re-adding an older livepatch downgrades to it",
         {loadTarget(), load("klp_replace_b"), load("klp_callbacks_r").thenCmdline("klp_callbacks_r"),
          unload("klp_replace_b"),
          load("klp_replace_b")
              .logs({"klp_replace_b: enabling (cumulative)"})
              .thenCmdline("klp_replace_b")
              .thenValue("original")
              .thenSysfs({"klp_replace_b"})}},

        {"RapidReplaceLeavesOnlyTheLast", "livepatch.rst §5.3: every enabled patch is replaced; their modules can go",
         {load("klp_rapid_c01"), load("klp_rapid_n01"), load("klp_rapid_c02").thenSysfs({"klp_rapid_c02"}),
          unload("klp_rapid_c02").refused("EAGAIN"), unload("klp_rapid_c01"), unload("klp_rapid_n01"),
          loadFailing("klp_rapid_c03").thenCmdline("klp_rapid_c03")}},

        {"UnknownNamesAreENOENT", "no such module, no such sysfs file",
         {load("klp_no_such_patch").refused("ENOENT"), disable("klp_stack_a").refused("ENOENT"),
          unload("klp_stack_a").refused("ENOENT"), unloadTarget().refused("ENOENT")}},

        {"DisablingTheLowerOfSharingPatches", "system-state.rst §4 note vs core.c __klp_disable_patch (any order): state_common.h counts the data's users, the last patch out restores and frees",
         {loadTarget(), load("klp_state_v1"), load("klp_state_nc"),
          disable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "pre_unpatch", "loglevel stays 8: a patch above still carries the state"),
                     st("klp_state_v1", 1, "post_unpatch", "a patch above still uses the data: not freeing it")})
              .thenStates({{1, 1}})
              .thenLoglevel(8),
          disable("klp_state_nc")
              .logs({st("klp_state_nc", 1, "pre_unpatch", "loglevel 8 -> 4 (original)"),
                     st("klp_state_nc", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenStates({})
              .thenLoglevel(4)}},

        {"HeldTaskKeepsPatchingRunning", "livepatch.rst §3 (stack check); core.c __klp_enable_patch/__klp_disable_patch (EBUSY); callbacks.rst (post_patch after the transition)",
         {loadTarget(), hold().logs({"klp_target: hold=1"}),
          load("klp_state_v1")
              .logs({"klp_state_v1: enabling (cumulative, state 1 version 1)",
                     st("klp_state_v1", 1, "pre_patch", "allocated data (original loglevel 4)"),
                     st("klp_state_v1", 1, "pre_patch", "klp_target: ok")})
              .thenTransition("klp_state_v1")
              .thenSysfs({"klp_state_v1"})
              .thenCmdline("klp_state_v1")
              .thenLoglevel(4),
          load("klp_replace_a").refused("EBUSY").logs({"klp_replace_a: enabling (non-cumulative)"}),
          load("klp_state_v2").refused("EBUSY"),
          unload("klp_state_v1").refused("EAGAIN"),
          enable("klp_state_v1").refused("EINVAL"),
          unloadTarget().unpredictable(),
          release()
              .logs({"klp_target: hold=0"})
              .settles("klp_state_v1", false, {st("klp_state_v1", 1, "post_patch", "loglevel 4 -> 8")})
              .thenTransition("")
              .thenLoglevel(8),
          release().unpredictable()}},

        {"DisableMidTransitionReverses", "livepatch.rst §3 (writing 0 mid-transition reverses it); transition.c klp_reverse_transition: no callbacks, post_unpatch as it ends",
         {loadTarget(), hold(), load("klp_state_v1").thenTransition("klp_state_v1"),
          disable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenTransition("")
              .thenSysfs({})
              .thenCmdline(kOriginalCmdline)
              .thenLoglevel(4),
          release().logs({"klp_target: hold=0"}).thenTransition("")}},

        {"HeldTaskKeepsUnpatchingRunning", "livepatch.rst §3; core.c enabled_store (already in requested state: EINVAL; reversal both ways)",
         {loadTarget(), load("klp_state_v1"), hold(),
          disable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "pre_unpatch", "loglevel 8 -> 4 (original)")})
              .thenTransition("klp_state_v1")
              .thenSysfs({"klp_state_v1 (0)"})
              .thenCmdline(kOriginalCmdline)
              .thenValue("original"),
          disable("klp_state_v1").refused("EINVAL"),
          enable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "post_patch", "loglevel 4 -> 8")})
              .thenTransition("")
              .thenSysfs({"klp_state_v1"})
              .thenValue("klp_state_v1"),
          enable("klp_state_v1").refused("EINVAL"),
          disable("klp_state_v1").thenTransition("klp_state_v1"),
          release().settles("klp_state_v1", true,
                            {st("klp_state_v1", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenSysfs({})}},

        {"ReversedDisableOfASharingPatch", "livepatch.rst §3 (reversal reruns post_patch) and system-state.rst §3: found by explore, state_common.h counted the sharing patch twice",
         {loadTarget(), load("klp_state_v1"), load("klp_state_nc"), hold(),
          disable("klp_state_nc").thenTransition("klp_state_nc"),
          enable("klp_state_nc")
              .logs({st("klp_state_nc", 1, "post_patch", "sharing data with installed version 1"),
                     st("klp_state_nc", 1, "post_patch", "loglevel 8 -> 8")}),
          release(),
          disable("klp_state_nc")
              .logs({st("klp_state_nc", 1, "pre_unpatch", "loglevel stays 8: version 1 is still installed"),
                     st("klp_state_nc", 1, "post_unpatch", "data stays with installed version 1")}),
          disable("klp_state_v1")
              .logs({st("klp_state_v1", 1, "pre_unpatch", "loglevel 8 -> 4 (original)"),
                     st("klp_state_v1", 1, "post_unpatch", "no patch keeps the state: freeing data")})
              .thenLoglevel(4)}},

        {"ShadowVariablesLiveOnUnderTheirCumulativeReplacement", "shadow-vars.rst (klp_shadow_get_or_alloc; lifetime across a replace, klp_shadow_free_all in post_unpatch); cases/shadow/lifetime-across-replace",
         {loadTarget(), addItem().logs({}), addItem(),
          load("klp_shadow").logs({"klp_shadow: enabling (non-cumulative)",
                                   "klp_shadow: post_patch: klp_target: shadow variables in use"}),
          readItems()
              .reads("item 1 shadow 100 (klp_shadow)\nitem 2 shadow 101 (klp_shadow)")
              .logs({"klp_shadow: shadow ctor: item 1 value 100", "klp_shadow: shadow ctor: item 2 value 101"}),
          addItem().logs({"klp_shadow: shadow ctor: item 3 value 102"}).thenShadows({{1, 100}, {2, 101}, {3, 102}}),
          load("klp_shadow2").logs({"klp_shadow2: enabling (cumulative)",
                                    "klp_shadow2: post_patch: klp_target: shadow variables in use"}),
          readItems().reads("item 1 shadow 100 (klp_shadow2)\nitem 2 shadow 101 (klp_shadow2)\nitem 3 shadow 102 (klp_shadow2)"),
          disable("klp_shadow2")
              .logs({"klp_shadow2: post_unpatch: klp_target: freeing all shadow variables", "klp_shadow2: shadow dtor: item",
                     "klp_shadow2: shadow dtor: item", "klp_shadow2: shadow dtor: item"})
              .thenShadows({}),
          readItems().reads("item 1\nitem 2\nitem 3").logs({})}},

        {"ShadowVariablesGoWithTheirItems", "shadow-vars.rst (klp_shadow_free when the parent object goes); callbacks.rst §3 (going, coming)",
         {loadTarget(), load("klp_shadow"), addItem().logs({"klp_shadow: shadow ctor: item 1 value 100"}),
          destroyItems().logs({"klp_shadow: shadow dtor: item 1 value 100"}).thenShadows({}),
          addItem(), readItems().reads("item 2 shadow 101 (klp_shadow)"),
          unloadTarget().logs({"klp_shadow: shadow dtor: item 2 value 101", "klp_target: unloaded",
                               "klp_shadow: post_unpatch: klp_target: freeing all shadow variables"}),
          readItems().unpredictable(),
          loadTarget().logs({"klp_shadow: post_patch: klp_target: shadow variables in use",
                             "klp_target: loaded, value=original hold=0"}),
          addItem().logs({"klp_shadow: shadow ctor: item 1 value 102"})}},

        {"ShadowLeftOnAFreedItemIsUnpredictable", "cumulative-patches.rst Limitations (a replaced patch's callbacks do not run): klp_replace_b knows nothing of klp_shadow's variables",
         {loadTarget(), load("klp_shadow"), addItem(), load("klp_replace_b").thenSysfs({"klp_replace_b"}),
          destroyItems().logs({}), unload("klp_shadow"), load("klp_shadow"), addItem().unpredictable(),
          disable("klp_shadow").unpredictable()}},

        {"OnlyAPatchOfTheHeldFunctionBlocks", "livepatch.rst §3: only tasks in a function the transition changes block it",
         {loadTarget(), hold(), load("klp_replace_a").thenTransition(""), load("klp_callbacks").thenTransition(""),
          disable("klp_callbacks").thenTransition(""), load("klp_state_nc").thenTransition("klp_state_nc"),
          disable("klp_replace_a").refused("EBUSY")}},
    };
    return table;
}

void expectStep(Model& model, const Step& s) {
    Outcome out = model.apply(s.op);
    EXPECT_EQ(out.errnoName, s.errnoName);
    EXPECT_EQ(out.accepted, s.errnoName.empty());
    EXPECT_EQ(!out.hazard.empty(), s.hazard) << out.hazard;
    if (s.lines) {
        EXPECT_EQ(out.logLines, *s.lines);
    }
    if (s.cmdline) {
        EXPECT_EQ(model.cmdline(), *s.cmdline);
    }
    for (const auto& [target, value] : s.values)
        EXPECT_EQ(model.targetValue(target), value) << target;
    if (s.sysfs) {
        std::vector<std::string> names;
        for (const auto& [name, enabled] : model.sysfsPatches())
            names.push_back(enabled ? name : name + " (0)");
        EXPECT_EQ(names, *s.sysfs);
    }
    if (s.states) {
        EXPECT_EQ(model.states(), *s.states);
    }
    if (s.loglevel) {
        EXPECT_EQ(model.consoleLoglevel(), *s.loglevel);
    }
    if (s.moduleLoaded) {
        EXPECT_EQ(model.loaded(s.op.module), *s.moduleLoaded);
    }
    if (s.transition) {
        EXPECT_EQ(model.transitionPatch(), *s.transition);
    }
    EXPECT_EQ(out.settled, s.settled ? s.settled->first : "");
    if (s.output) {
        EXPECT_EQ(out.output, *s.output);
    }
    if (s.shadowVars) {
        EXPECT_EQ(model.shadows(), *s.shadowVars);
    }
    if (s.settled) {
        EXPECT_EQ(out.settledGone, s.settled->second);
        EXPECT_EQ(out.settleLines, *s.settleLines);
    }
}

// The parameter as gtest prints it (test listings, failures): its name.
void PrintTo(const Sequence& seq, std::ostream* os) { *os << seq.name; }

class ExploreModel : public testing::TestWithParam<Sequence> {};

}  // namespace

TEST_P(ExploreModel, PredictsTheDocumentedOutcome) {
    const Sequence& seq = GetParam();
    SCOPED_TRACE(seq.source);
    Model model;
    for (size_t i = 0; i < seq.steps.size(); i++) {
        SCOPED_TRACE("step " + std::to_string(i + 1) + ": " + seq.steps[i].op.module);
        expectStep(model, seq.steps[i]);
    }
}

INSTANTIATE_TEST_SUITE_P(, ExploreModel, testing::ValuesIn(sequences()),
                         [](const testing::TestParamInfo<Sequence>& info) { return info.param.name; });

// The table says what the sources say: every patch patches something, the
// failing parameters are the ones the modules declare, the states' versions.
TEST(ExploreModelTable, MatchesTheModuleSources) {
    EXPECT_EQ(patchTable().size(), 46u);  // 16 named patches (one test-only) and 30 klp_rapid_*
    EXPECT_EQ(findPatch("klp_shadow2")->family, Family::Shadow);
    EXPECT_TRUE(findPatch("klp_shadow2")->cumulative);
    EXPECT_FALSE(findPatch("klp_shadow")->cumulative);
    const PatchSpec* v2 = findPatch("klp_state_v2");
    ASSERT_TRUE(v2);
    EXPECT_TRUE(v2->cumulative);
    ASSERT_EQ(v2->states.size(), 1u);
    EXPECT_EQ(v2->states[0].version, 2);
    EXPECT_EQ(v2->failingParams(), "fail_pre_patch=22");
    EXPECT_EQ(findPatch("klp_callbacks")->failingParams(), "pre_patch_ret=22");
    EXPECT_EQ(findPatch("klp_stack_a")->failingParams(), "");
    EXPECT_FALSE(findPatch("klp_replace_b")->patchesObject("klp_target"));
    EXPECT_EQ(findPatch("klp_callbacks_r")->objects(), (std::vector<std::string>{"vmlinux", "klp_target", "klp_target2"}));
    EXPECT_TRUE(findPatch("klp_state_none")->states.empty());
    EXPECT_FALSE(findPatch("klp_state_nc")->cumulative);
    EXPECT_EQ(findPatch("klp_rapid_n07")->cumulative, false);
    EXPECT_EQ(findPatch("klp_rapid_c15")->cumulative, true);
    EXPECT_FALSE(findPatch("klp_target"));
    EXPECT_TRUE(isTarget("klp_target2"));
}

// Random sequences (what the explorer will generate): every op gets an answer,
// a refusal always names its errno, and the observables stay consistent.
TEST(ExploreModelRandom, EveryOpGetsAConsistentOutcome) {
    std::vector<std::string> names = {"klp_target", "klp_target2"};
    for (const auto& p : patchTable())
        if (p.name.rfind("klp_rapid_", 0) != 0)
            names.push_back(p.name);
    const OpKind kinds[] = {OpKind::Load,    OpKind::LoadFailing, OpKind::Disable,      OpKind::Unload,
                            OpKind::Enable,  OpKind::Hold,        OpKind::Release,      OpKind::AddItem,
                            OpKind::ReadItems, OpKind::DestroyItems};
    std::mt19937 rng(7);
    int transitions = 0;
    for (int run = 0; run < 400; run++) {
        Model model;
        for (int i = 0; i < 40; i++) {
            Op op{kinds[rng() % 10], names[rng() % names.size()]};
            if (op.kind == OpKind::Hold || op.kind == OpKind::Release || op.kind >= OpKind::AddItem)
                op.module = "klp_target";  // the only module these act on
            Model before = model;
            Outcome out = model.apply(op);
            if (!out.hazard.empty()) {
                model = before;  // as the generator does: a hazard is never run
                continue;
            }
            EXPECT_EQ(out.accepted, out.errnoName.empty());
            for (const auto& [name, enabled] : model.sysfsPatches())
                EXPECT_TRUE(model.loaded(name)) << name << " in sysfs but not loaded";
            EXPECT_EQ(model.targetValue().empty(), !model.loaded("klp_target"));
            if (!model.transitionPatch().empty()) {
                transitions++;
                EXPECT_TRUE(model.held());
            }
            // Our state patches keep system-state.rst's rule: the loglevel is the
            // last carrier's, or the original once none is left.
            if (model.transitionPatch().empty()) {
                EXPECT_EQ(model.consoleLoglevel(), model.documentedLoglevel())
                    << "run " << run << " op " << i << ": " << static_cast<int>(op.kind) << " " << op.module;
            }
        }
    }
    EXPECT_GT(transitions, 20);  // the held kthread really keeps transitions running
}
