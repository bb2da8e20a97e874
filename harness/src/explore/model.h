// A reference model of the kernel's livepatch rules for our own guest modules
// (explore/patch_table.h): it predicts what each operation returns, which lines
// our modules log, and what a reader then sees, with no guest. The first stage
// of `klp-harness explore`: generated operation sequences become case files
// whose expectations come from here, and a guest that disagrees is a finding.
//
// Every operation completes synchronously: transitions are assumed to finish
// (no task blocks them), so no state is ever mid-transition and a transition in
// progress (EBUSY from __klp_enable_patch/__klp_disable_patch) never arises.
// Rules follow the kernel source (kernel/livepatch/*.c, kernel/module/main.c);
// each is noted where model.cpp applies it.
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
                                         // (what it prints and does is then not predictable); why
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
    // Installed system states: id -> version of the last patch in stacking order declaring it.
    std::map<int, int> states() const;
    // console_loglevel (the first field of /proc/sys/kernel/printk).
    int consoleLoglevel() const { return loglevel_; }
    // The module is in /proc/modules (a patch module stays loaded after it is disabled or replaced).
    bool loaded(const std::string& module) const;

private:
    // A patch in klp_patches (enabled: the model has no transitions).
    struct Patch {
        const PatchSpec* spec;
        bool failing;       // loaded with failingParams(): its failObject's pre_patch fails (now or as it comes)
        int data;           // state_common.h's state->data: a handle into data_, 0 = NULL
    };
    struct StateData {
        int original;       // console_loglevel saved by the pre_patch that allocated it
        std::string freedBy;  // "" while allocated
    };

    Outcome load(const PatchSpec& spec, bool failing);
    Outcome disable(const std::string& name);
    Outcome unload(const std::string& name);
    Outcome loadTarget(const std::string& target);
    Outcome unloadTarget(const std::string& target);

    bool compatible(const PatchSpec& spec) const;
    int indexOf(const std::string& name) const;
    bool objectLoaded(const std::string& object) const;
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

    int loglevel_;
    std::vector<Patch> patches_;        // klp_patches, in stacking order
    std::vector<std::string> modules_;  // loaded modules, in load order
    std::vector<StateData> data_;       // handle h is data_[h - 1]
};

}  // namespace klp::explore
