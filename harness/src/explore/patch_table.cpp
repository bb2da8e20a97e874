// The module table: one entry per livepatch of guest/modules/, copied from its
// source (the file named beside each entry), and the pr_info formats they log.
#include "explore/patch_table.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace klp::explore {

namespace {

PatchedFunction cmdline(const std::string& output) { return {kVmlinux, "cmdline_proc_show", output}; }
PatchedFunction value(const std::string& target, const std::string& output) {
    return {target, "klp_target_value", output};
}

// replace_common.h: each function returns PATCH_NAME.
PatchSpec replaceFamily(const std::string& name, bool cumulative, bool vmlinux, bool target) {
    PatchSpec p;
    p.name = name;
    p.family = Family::Replace;
    p.cumulative = cumulative;
    if (vmlinux)
        p.functions.push_back(cmdline(name));
    if (target)
        p.functions.push_back(value("klp_target", name));
    return p;
}

// callbacks_common.h: objects vmlinux, klp_target, klp_target2, all returning
// PATCH_NAME; param pre_patch_ret fails vmlinux's pre_patch (module_pre_patch_ret,
// for target objects, is not modelled).
PatchSpec callbacksFamily(const std::string& name, bool cumulative) {
    PatchSpec p;
    p.name = name;
    p.family = Family::Callbacks;
    p.cumulative = cumulative;
    p.functions = {cmdline(name), value("klp_target", name), value("klp_target2", name)};
    p.failParam = "pre_patch_ret";
    p.failObject = kVmlinux;
    p.kernelHas = {"object-callbacks"};
    return p;
}

// state_common.h: vmlinux (cmdline_proc_show, state callbacks when STATE_VERSION),
// klp_target (klp_target_value, klp_target_busy_sleep; a pre_patch that fails with
// fail_pre_patch). All cumulative but klp_state_nc.
PatchSpec stateFamily(const std::string& name, int version, int loglevel, bool cumulative) {
    PatchSpec p;
    p.name = name;
    p.family = Family::SystemState;
    p.cumulative = cumulative;
    p.functions = {cmdline(name), value("klp_target", name), {"klp_target", "klp_target_busy_sleep", ""}};
    if (version)
        p.states = {{kStateId, version}};
    p.stateLoglevel = loglevel;
    p.failParam = "fail_pre_patch";
    p.failObject = "klp_target";
    p.kernelHas = {"state-version"};
    return p;
}

// shadow_common.h: klp_target's item hooks (created, describe, destroying) and
// object callbacks on klp_target.
PatchSpec shadowFamily(const std::string& name, bool cumulative) {
    PatchSpec p;
    p.name = name;
    p.family = Family::Shadow;
    p.cumulative = cumulative;
    for (const char* f : {"klp_target_item_created", "klp_target_item_describe", "klp_target_item_destroying"})
        p.functions.push_back({"klp_target", f, ""});
    p.kernelHas = {"object-callbacks"};
    return p;
}

std::vector<PatchSpec> makeTable() {
    std::vector<PatchSpec> t;
    // klp_basic.c
    PatchSpec basic;
    basic.name = "klp_basic";
    basic.family = Family::Basic;
    basic.functions = {cmdline("klp_basic: livepatched"), value("klp_target", "patched by klp_basic")};
    t.push_back(basic);
    t.push_back(replaceFamily("klp_replace_a", false, true, true));  // klp_replace_a.c
    t.push_back(replaceFamily("klp_replace_b", true, true, false));  // klp_replace_b.c
    t.push_back(replaceFamily("klp_stack_a", false, false, true));   // klp_stack_a.c
    t.push_back(replaceFamily("klp_stack_b", false, false, true));   // klp_stack_b.c
    for (const char* kind : {"c", "n"})                              // klp_rapid.c via Kbuild
        for (int i = 1; i <= 15; i++) {
            char name[32];
            std::snprintf(name, sizeof name, "klp_rapid_%s%02d", kind, i);
            t.push_back(replaceFamily(name, kind[0] == 'c', true, true));
        }
    t.push_back(callbacksFamily("klp_callbacks", false));    // klp_callbacks.c
    t.push_back(callbacksFamily("klp_callbacks_b", false));  // klp_callbacks_b.c
    t.push_back(callbacksFamily("klp_callbacks_r", true));   // klp_callbacks_r.c
    t.push_back(stateFamily("klp_state_v1", 1, 8, true));    // klp_state_v1.c
    t.push_back(stateFamily("klp_state_v1b", 1, 8, true));   // klp_state_v1b.c
    t.push_back(stateFamily("klp_state_v2", 2, 9, true));    // klp_state_v2.c
    t.push_back(stateFamily("klp_state_nc", 1, 8, false));   // klp_state_nc.c
    t.push_back(stateFamily("klp_state_none", 0, 0, true));  // klp_state_none.c
    // klp_state_planted.c: test-only, as klp_state_v1 says it is; its planted
    // defect (pre_unpatch does not restore) is what explore must find.
    t.push_back(stateFamily("klp_state_planted", 1, 8, true));
    t.push_back(shadowFamily("klp_shadow", false));  // klp_shadow.c
    t.push_back(shadowFamily("klp_shadow2", true));  // klp_shadow2.c
    return t;
}

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

}  // namespace

std::vector<std::string> PatchSpec::objects() const {
    std::vector<std::string> out;
    for (const auto& f : functions)
        if (std::find(out.begin(), out.end(), f.object) == out.end())
            out.push_back(f.object);
    return out;
}

bool PatchSpec::patchesObject(const std::string& object) const {
    return std::any_of(functions.begin(), functions.end(), [&](const auto& f) { return f.object == object; });
}

const PatchedFunction* PatchSpec::find(const std::string& object, const std::string& function) const {
    for (const auto& f : functions)
        if (f.object == object && f.function == function)
            return &f;
    return nullptr;
}

std::string PatchSpec::failingParams() const {
    return failParam.empty() ? "" : failParam + "=" + std::to_string(kFailErrno);
}

const std::vector<PatchSpec>& patchTable() {
    static const std::vector<PatchSpec> table = makeTable();
    return table;
}

const std::vector<TargetSpec>& targetTable() {
    static const std::vector<TargetSpec> table = {{"klp_target"}, {"klp_target2"}};  // target_common.h
    return table;
}

const PatchSpec* findPatch(const std::string& name) {
    for (const auto& p : patchTable())
        if (p.name == name)
            return &p;
    return nullptr;
}

bool isTarget(const std::string& name) {
    const auto& t = targetTable();
    return std::any_of(t.begin(), t.end(), [&](const TargetSpec& s) { return s.name == name; });
}

namespace lines {

std::string enabling(const PatchSpec& p) {
    const char* kind = p.cumulative ? "cumulative" : "non-cumulative";
    switch (p.family) {
    case Family::Basic:
        return "klp_basic: enabling";
    case Family::SystemState:
        return format("%s: enabling (%s, state %d version %d)", p.name.c_str(), kind, kStateId,
                      p.states.empty() ? 0 : p.states.front().version);
    case Family::Replace:
    case Family::Callbacks:
    case Family::Shadow:
        break;
    }
    return format("%s: enabling (%s)", p.name.c_str(), kind);
}

std::string unloaded(const std::string& module) { return format("%s: unloaded", module.c_str()); }

std::string targetLoaded(const std::string& target, const std::string& value) {
    return format("%s: loaded, value=%s hold=%d", target.c_str(), value.c_str(), 0);
}

std::string objectCallback(const PatchSpec& p, const char* callback, const std::string& object,
                           const std::string& modState) {
    return format("%s: %s: %s [%s]", p.name.c_str(), callback, object.c_str(), modState.c_str());
}

std::string objectPrePatchFailing(const PatchSpec& p, const std::string& object, const std::string& modState,
                                  int err) {
    return format("%s: pre_patch: %s [%s]: failing with -%d", p.name.c_str(), object.c_str(), modState.c_str(), err);
}

namespace {
// LOG(cb, fmt, ...) of state_common.h.
std::string stateLog(const PatchSpec& p, const char* cb, const std::string& text) {
    return format("%s: %s: state %d version %d: %s", p.name.c_str(), cb, kStateId,
                  p.states.empty() ? 0 : p.states.front().version, text.c_str());
}
}  // namespace

std::string stateAllocated(const PatchSpec& p, int original) {
    return stateLog(p, "pre_patch", format("allocated data (original loglevel %d)", original));
}
std::string stateReusing(const PatchSpec& p, int prevVersion, int original) {
    return stateLog(p, "pre_patch",
                    format("reusing data of installed version %d (original loglevel %d)", prevVersion, original));
}
std::string stateTargetOk(const PatchSpec& p) { return stateLog(p, "pre_patch", "klp_target: ok"); }
std::string stateTargetFailing(const PatchSpec& p, int err) {
    return stateLog(p, "pre_patch", format("klp_target: failing with -%d as asked", err));
}
std::string stateTookOver(const PatchSpec& p, int prevVersion) {
    return stateLog(p, "post_patch", format("took over data from version %d", prevVersion));
}
std::string stateSharing(const PatchSpec& p, int prevVersion) {
    return stateLog(p, "post_patch", format("sharing data with installed version %d", prevVersion));
}
std::string stateLoglevelSet(const PatchSpec& p, int from, int to) {
    return stateLog(p, "post_patch", format("loglevel %d -> %d", from, to));
}
std::string stateLoglevelStays(const PatchSpec& p, int level, int prevVersion) {
    return stateLog(p, "pre_unpatch", format("loglevel stays %d: version %d is still installed", level, prevVersion));
}
std::string stateLoglevelStaysAbove(const PatchSpec& p, int level) {
    return stateLog(p, "pre_unpatch", format("loglevel stays %d: a patch above still carries the state", level));
}
std::string stateLoglevelRestored(const PatchSpec& p, int from, int to) {
    return stateLog(p, "pre_unpatch", format("loglevel %d -> %d (original)", from, to));
}
std::string stateDataStays(const PatchSpec& p, int prevVersion) {
    return stateLog(p, "post_unpatch", format("data stays with installed version %d", prevVersion));
}
std::string stateDataStaysAbove(const PatchSpec& p) {
    return stateLog(p, "post_unpatch", "a patch above still uses the data: not freeing it");
}
std::string stateFreeingOurs(const PatchSpec& p, int prevVersion) {
    return stateLog(p, "post_unpatch", format("installed version %d keeps its state; freeing our data", prevVersion));
}
std::string stateFreeing(const PatchSpec& p) {
    return stateLog(p, "post_unpatch", "no patch keeps the state: freeing data");
}

std::string shadowCtor(const PatchSpec& p, int item, int value) {
    return format("%s: shadow ctor: item %d value %d", p.name.c_str(), item, value);
}
std::string shadowDtor(const PatchSpec& p, int item, int value) {
    return format("%s: shadow dtor: item %d value %d", p.name.c_str(), item, value);
}
std::string shadowDtorAnyItem(const PatchSpec& p) { return format("%s: shadow dtor: item", p.name.c_str()); }
std::string shadowPostPatch(const PatchSpec& p) {
    return format("%s: post_patch: klp_target: shadow variables in use", p.name.c_str());
}
std::string shadowPostUnpatch(const PatchSpec& p) {
    return format("%s: post_unpatch: klp_target: freeing all shadow variables", p.name.c_str());
}

}  // namespace lines

}  // namespace klp::explore
