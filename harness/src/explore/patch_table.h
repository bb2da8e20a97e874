// Our guest modules (guest/modules/) as data, for the reference model
// (explore/model.h): what each livepatch patches and what a reader then sees,
// the system states it declares, which callbacks it has and the exact lines
// they log, and the parameter that makes its pre_patch fail. Pure: no guest.
#pragma once
#include <string>
#include <vector>

namespace klp::explore {

// The body a module is built from: it decides its callbacks and log formats.
enum class Family {
    Replace,      // replace_common.h (klp_replace_*, klp_stack_*, klp_rapid_*): no callbacks
    Basic,        // klp_basic.c: no callbacks
    Callbacks,    // callbacks_common.h: pre/post (un)patch on every object, one line each
    SystemState,  // state_common.h: state 1 callbacks on vmlinux, a pre_patch on klp_target
    Shadow,       // shadow_common.h: a shadow variable per klp_target item; post_patch/post_unpatch on klp_target
};

inline constexpr const char* kVmlinux = "vmlinux";
// The state id state_common.h's callbacks manage (its STATE_ID).
inline constexpr int kStateId = 1;

// One function a patch replaces and what the observable reader then shows.
struct PatchedFunction {
    std::string object;    // kVmlinux or a target module
    std::string function;  // "cmdline_proc_show" (/proc/cmdline), "klp_target_value" (/sys/kernel/<target>/value)
    std::string output;    // what that file reads while this patch is on top ("" for an unobservable function)
};

struct StateSpec {
    int id = 0;
    int version = 0;
};

struct PatchSpec {
    std::string name;  // module name = patch name = /sys/kernel/livepatch/<name>
    Family family = Family::Replace;
    bool cumulative = false;                  // .replace = true
    std::vector<PatchedFunction> functions;   // in klp_object order, then klp_func order
    std::vector<StateSpec> states;            // .states
    int stateLoglevel = 0;                    // SystemState: console_loglevel its post_patch sets
    std::string failParam;                    // module parameter making a pre_patch fail ("" none)
    std::string failObject;                   // the object whose pre_patch it fails
    std::vector<std::string> kernelHas;       // features a case needs for it (`requires: kernel-has:`)

    // Objects in klp_object order (each listed once).
    std::vector<std::string> objects() const;
    bool patchesObject(const std::string& object) const;
    // What `function` of `object` returns under this patch; nullptr if it does not patch it.
    const PatchedFunction* find(const std::string& object, const std::string& function) const;
    // insmod parameters that make pre_patch fail with kFailErrno ("" when it has none).
    std::string failingParams() const;
};

// The errno a failing pre_patch is asked for (EINVAL), and its name.
inline constexpr int kFailErrno = 22;
inline constexpr const char* kFailErrnoName = "EINVAL";

// Target modules (target_common.h): loaded by name, value "original" until patched.
struct TargetSpec {
    std::string name;  // /sys/kernel/<name>/value
};

const std::vector<PatchSpec>& patchTable();
const std::vector<TargetSpec>& targetTable();
const PatchSpec* findPatch(const std::string& name);  // nullptr: not a livepatch of ours
bool isTarget(const std::string& name);

// The lines our modules print (pr_info formats copied from the sources).
namespace lines {
std::string enabling(const PatchSpec& p);                                  // module_init, before klp_enable_patch
std::string unloaded(const std::string& module);                            // module_exit (patches and targets)
std::string targetLoaded(const std::string& target, const std::string& value);  // target_init
// callbacks_common.h: modState is "vmlinux", "live", "coming" or "going".
std::string objectCallback(const PatchSpec& p, const char* callback, const std::string& object,
                           const std::string& modState);
std::string objectPrePatchFailing(const PatchSpec& p, const std::string& object, const std::string& modState,
                                  int err);
// state_common.h: LOG(cb, fmt) prints "<patch>: <cb>: state 1 version <v>: <fmt>"
// (version 0 for a patch without the state), one function per format it logs.
std::string stateAllocated(const PatchSpec& p, int original);                  // pre_patch
std::string stateReusing(const PatchSpec& p, int prevVersion, int original);    // pre_patch
std::string stateTargetOk(const PatchSpec& p);                                  // pre_patch, klp_target
std::string stateTargetFailing(const PatchSpec& p, int err);                    // pre_patch, klp_target
std::string stateTookOver(const PatchSpec& p, int prevVersion);                 // post_patch
std::string stateSharing(const PatchSpec& p, int prevVersion);                  // post_patch
std::string stateLoglevelSet(const PatchSpec& p, int from, int to);             // post_patch
std::string stateLoglevelStays(const PatchSpec& p, int level, int prevVersion);  // pre_unpatch
std::string stateLoglevelStaysAbove(const PatchSpec& p, int level);              // pre_unpatch
std::string stateLoglevelRestored(const PatchSpec& p, int from, int to);        // pre_unpatch
std::string stateDataStays(const PatchSpec& p, int prevVersion);                // post_unpatch
std::string stateDataStaysAbove(const PatchSpec& p);                           // post_unpatch
std::string stateFreeingOurs(const PatchSpec& p, int prevVersion);              // post_unpatch
std::string stateFreeing(const PatchSpec& p);                                   // post_unpatch
// shadow_common.h (a shadow's value: the patch module's next_value, from 100).
std::string shadowCtor(const PatchSpec& p, int item, int value);
std::string shadowDtor(const PatchSpec& p, int item, int value);
std::string shadowDtorAnyItem(const PatchSpec& p);  // "<patch>: shadow dtor: item" (free_all: hash order)
std::string shadowPostPatch(const PatchSpec& p);
std::string shadowPostUnpatch(const PatchSpec& p);
}  // namespace lines

}  // namespace klp::explore
