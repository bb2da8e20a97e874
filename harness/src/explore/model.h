// A reference model of the kernel's livepatch rules for our own guest modules
// (explore/patch_table.h): it predicts what each operation returns, which lines
// our modules log, and what a reader then sees, with no guest. The first stage
// of `klp-harness explore`: generated operation sequences become case files
// whose expectations come from here, and a guest that disagrees is a finding.
//
// A transition completes within the operation unless klp_target's busy kthread
// is held (Hold) in a function the transition changes (livepatch.rst §3, the
// stack check): then it stays in progress, other enables and disables are
// refused with EBUSY, a Disable (or Enable) of the transition patch reverses it,
// and Release lets it finish. Rules follow the kernel source
// (kernel/livepatch/*.c, kernel/module/main.c); each is noted where model.cpp
// applies it.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "explore/patch_table.h"

namespace klp::explore {

enum class OpKind {
    Load,          // insmod <module> (a target's name: as LoadTarget)
    LoadFailing,   // insmod <module> <PatchSpec::failingParams()>; a plain Load when it has none
    Disable,       // echo 0 > /sys/kernel/livepatch/<module>/enabled
    Unload,        // rmmod <module> (delete_module); a target's name: as UnloadTarget
    LoadTarget,    // insmod of a target module (klp_target, klp_target2); a patch's name: as Load
    UnloadTarget,  // rmmod of a target module; a patch's name: as Unload
    Enable,        // echo 1 > /sys/kernel/livepatch/<module>/enabled (reverses an unpatching transition)
    Hold,          // echo 1 > /sys/kernel/klp_target/hold: its kthread sleeps in klp_target_busy_sleep
    Release,       // echo 0 > /sys/kernel/klp_target/hold: the kthread runs on; a transition it blocked ends
    AddItem,       // echo 1 > /sys/kernel/klp_target/items: one more item (klp_target_item_created)
    DestroyItems,  // echo 0 > /sys/kernel/klp_target/items: every item goes (klp_target_item_destroying)
    ReadItems,     // cat /sys/kernel/klp_target/items: klp_target_item_describe per item (a shadow patch's
                   // allocates missing shadow variables: a read changes state, so it is an operation)
};

struct Op {
    OpKind kind;
    std::string module;
};

struct Outcome {
    bool accepted = true;
    std::string errnoName;               // "" when accepted, else glibc's name (strerrorname_np), as klp-syscall prints it
    std::vector<std::string> logLines;   // the lines our modules print during the op, in order (kernel's own lines left out)
    std::string hazard;                  // non-empty: a module callback reads or frees state data already freed
                                         // (what it prints and does is then not predictable), or the op
                                         // cannot be run as a step in this state (e.g. Hold without klp_target); why
    // A transition this op left running ends later, not within the op: after
    // Release. settled names the patch whose transition then ended ("" none),
    // settledGone whether it left klp_patches (unpatched), and settleLines
    // what our modules print as it ends (post_patch / post_unpatch).
    std::string settled;
    bool settledGone = false;
    std::vector<std::string> settleLines;
    std::string output;  // ReadItems: what the read returns (lines without the last newline)
};

// What /proc/cmdline reads while no patch replaces cmdline_proc_show: the boot
// command line, which the model does not know (a case matches it, e.g. "console=").
inline constexpr const char* kOriginalCmdline = "(boot command line)";
// What klp_target_value() returns unpatched (target_common.h).
inline constexpr const char* kOriginalValue = "original";

class Model {
public:
    // bootLoglevel: console_loglevel before any state patch changes it (4 under
    // the harness's "quiet" command line).
    explicit Model(int bootLoglevel = 4);

    // Applies op to the modelled system and returns what the kernel answers; any
    // op is accepted as input (a refusal is a prediction too).
    Outcome apply(const Op& op);

    // /proc/cmdline: the output of the top patch of cmdline_proc_show, else kOriginalCmdline.
    std::string cmdline() const;
    // /sys/kernel/<target>/value: "" if the target is not loaded, else the top
    // patch's output, else kOriginalValue.
    std::string targetValue(const std::string& target = "klp_target") const;
    // /sys/kernel/livepatch/<name> -> its `enabled`, in stacking order (oldest first).
    std::vector<std::pair<std::string, bool>> sysfsPatches() const;
    // The patch in transition ("" none) and whether it is patching (else unpatching).
    std::string transitionPatch() const;
    bool transitionPatching() const { return transitionPatching_; }
    // klp_target's busy kthread is held.
    bool held() const { return held_; }
    // console_loglevel as system-state.rst says it must be: the level set by the
    // last patch in klp_patches declaring the state, else the boot level. The
    // model's consoleLoglevel() follows what our modules' callbacks do; a
    // difference is a bug in them (the case checks this one).
    int documentedLoglevel() const;
    // The shadow variables of klp_target's items (shadow-vars.rst): item id -> value.
    const std::map<int, int>& shadows() const { return shadows_; }
    // klp_target's items, in list order.
    const std::vector<int>& items() const { return items_; }
    // Installed system states: id -> version of the last patch in stacking order declaring it.
    std::map<int, int> states() const;
    // console_loglevel (the first field of /proc/sys/kernel/printk).
    int consoleLoglevel() const { return loglevel_; }
    // The module is in /proc/modules (a patch module stays loaded after it is disabled or replaced).
    bool loaded(const std::string& module) const;

private:
    // A patch in klp_patches.
    struct Patch {
        const PatchSpec* spec;
        bool failing;         // loaded with failingParams(): its failObject's pre_patch fails (now or as it comes)
        int data = 0;         // state_common.h's state->data: a handle into data_, 0 = NULL
        bool counted = false;  // state_common.h's data_counted: it counted itself in the data's users
        bool enabled = true;  // patch->enabled (false while its unpatching transition runs)
    };
    struct StateData {
        int original;         // console_loglevel saved by the pre_patch that allocated it
        int users;            // loglevel_data.users
        std::string freedBy;  // "" while allocated
    };

    Outcome load(const PatchSpec& spec, bool failing);
    Outcome disable(const std::string& name);
    Outcome enable(const std::string& name);
    Outcome hold();
    Outcome release();
    Outcome addItem();
    Outcome readItems();
    // destroy_items(): each item through the top klp_target_item_destroying.
    void destroyItems(Outcome& out);
    // The shadow patch (Family::Shadow) whose item function runs, or nullptr.
    const PatchSpec* shadowTop(const char* function) const;
    Outcome unload(const std::string& name);
    Outcome loadTarget(const std::string& target);
    Outcome unloadTarget(const std::string& target);

    bool compatible(const PatchSpec& spec) const;
    // The held kthread's stack keeps patches_[at]'s transition from ending.
    bool blocks(size_t at, bool patching) const;
    // klp_complete_transition() for transition_ (the callbacks' lines into lines).
    void completeTransition(std::vector<std::string>& lines, Outcome& out);
    // Starts patches_[at]'s transition; it ends now unless the held kthread blocks it.
    void startTransition(size_t at, bool patching, Outcome& out);
    std::vector<std::string> loadedObjects(size_t at) const;
    int indexOf(const std::string& name) const;
    bool objectLoaded(const std::string& object) const;
    // What a reader runs: the index of the patch whose function is on top, -1 the original.
    int topPatch(const std::string& object, const std::string& function) const;
    const PatchedFunction* topFunction(const std::string& object, const std::string& function) const;
    // klp_get_prev_state(kStateId) while patches_[at] is in transition: the last patch before it declaring it.
    int prevStatePatch(size_t at) const;
    int prevVersion(int prevIndex) const;

    // Object callbacks of patches_[at]; pre_patch returns false when it fails (with kFailErrno).
    bool prePatch(size_t at, const std::string& object, const std::string& modState, Outcome& out);
    void postPatch(size_t at, const std::string& object, const std::string& modState, Outcome& out);
    void preUnpatch(size_t at, const std::string& object, const std::string& modState, Outcome& out);
    void postUnpatch(size_t at, const std::string& object, const std::string& modState, Outcome& out);

    int readOriginal(int handle, const std::string& reader, Outcome& out);
    void freeData(int handle, const std::string& by, Outcome& out);

    int bootLoglevel_;
    int loglevel_;
    std::vector<Patch> patches_;        // klp_patches, in stacking order
    int transition_ = -1;               // klp_transition_patch: an index into patches_, -1 none
    bool transitionPatching_ = false;   // klp_target_state == KLP_TRANSITION_PATCHED
    bool held_ = false;                 // klp_target's hold is 1
    // The patch whose klp_target_busy_sleep the held kthread sleeps in ("" the original).
    std::string sleepsIn_;
    std::vector<int> items_;             // klp_target's items, in list order
    int nextItemId_ = 1;                 // target_common.h next_item_id
    std::map<int, int> shadows_;         // item id -> shadow value (SHADOW_ID, shared by the shadow patches)
    std::map<std::string, int> nextValue_;  // shadow_common.h next_value, per loaded shadow patch module
    // Shadow variables left on items freed while no shadow patch was on top
    // (their obj pointer dangles): what later touches them is not predictable.
    bool danglingShadows_ = false;
    std::vector<std::string> modules_;  // loaded modules, in load order
    std::vector<StateData> data_;       // handle h is data_[h - 1]
};

}  // namespace klp::explore
