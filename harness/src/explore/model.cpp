// The reference model's rules. Each names the document section and the kernel
// function it comes from; where they disagree the source wins (see model.h).
#include "explore/model.h"

#include <algorithm>
#include <cstddef>

namespace klp::explore {

namespace {

Outcome refused(const char* errnoName, Outcome out = {}) {
    out.accepted = false;
    out.errnoName = errnoName;
    return out;
}

// callbacks_common.h mod_state(): vmlinux has no module; a target already there is live.
std::string liveState(const std::string& object) { return object == kVmlinux ? "vmlinux" : "live"; }

}  // namespace

Model::Model(int bootLoglevel) : loglevel_(bootLoglevel) {}

Outcome Model::apply(const Op& op) {
    // The kinds say what the generator meant; the kernel only sees a module name.
    bool failing = op.kind == OpKind::LoadFailing;
    switch (op.kind) {
    case OpKind::Load:
    case OpKind::LoadFailing:
    case OpKind::LoadTarget:
        if (isTarget(op.module))
            return loadTarget(op.module);
        if (const PatchSpec* spec = findPatch(op.module))
            return load(*spec, failing && !spec->failParam.empty());
        return refused("ENOENT");  // no such .ko: opening it fails before finit_module
    case OpKind::Disable:
        return disable(op.module);
    case OpKind::Unload:
    case OpKind::UnloadTarget:
        return isTarget(op.module) ? unloadTarget(op.module) : unload(op.module);
    }
    return refused("ENOENT");
}

Outcome Model::load(const PatchSpec& spec, bool failing) {
    // kernel/module/main.c module_patient_check_exists(): a live module of the
    // same name -> EEXIST, before its init (and so livepatch) runs. A replaced or
    // disabled patch's module is still loaded, so this holds for it too.
    if (loaded(spec.name))
        return refused("EEXIST");
    Outcome out;
    out.logLines.push_back(lines::enabling(spec));  // module_init logs, then calls klp_enable_patch()

    // system-state.rst §2; core.c klp_enable_patch() -> state.c klp_is_patch_compatible(),
    // before any object is touched or callback runs -> EINVAL.
    if (!compatible(spec))
        return refused("EINVAL", std::move(out));

    // core.c klp_init_patch(): the patch joins klp_patches (list_add_tail) before
    // __klp_enable_patch(), so klp_get_prev_state() sees it as the transition patch.
    patches_.push_back({&spec, failing, 0});
    size_t at = patches_.size() - 1;
    std::vector<std::string> prePatched;
    // core.c __klp_enable_patch(): per loaded object in klp_object order, pre_patch
    // then klp_patch_object(); objects of targets not loaded wait for klp_module_coming().
    for (const auto& obj : spec.objects()) {
        if (!objectLoaded(obj))
            continue;
        if (!prePatch(at, obj, liveState(obj), out)) {
            // callbacks.rst §3 ("only the post-unpatch callback"); core.c
            // __klp_enable_patch() err -> transition.c klp_cancel_transition() ->
            // klp_complete_transition(UNPATCHED): post_unpatch for each loaded object
            // whose pre_patch succeeded (core.h post_unpatch_enabled), none for the
            // failing one; no post_patch. klp_enable_patch() returns the error: the
            // module's init fails and the loader frees it, sysfs dir and all.
            for (const auto& o : prePatched)
                postUnpatch(at, o, liveState(o), out);
            patches_.pop_back();
            return refused(kFailErrnoName, std::move(out));
        }
        prePatched.push_back(obj);
    }
    // transition.c klp_complete_transition(PATCHED): for a replace patch,
    // klp_unpatch_replaced_patches() first (no callbacks of theirs:
    // cumulative-patches.rst "Limitations", only the new patch's callbacks run),
    // then post_patch per loaded object. The replaced patches are still in
    // klp_patches here, so klp_get_prev_state() in post_patch finds them.
    for (const auto& o : prePatched)
        postPatch(at, o, liveState(o), out);
    // livepatch.rst §5.3, cumulative-patches.rst "Usage"; transition.c
    // klp_try_complete_transition() -> core.c klp_free_replaced_patches_async():
    // every patch below leaves klp_patches and sysfs; the dropped functions' nops
    // are discarded (klp_discard_nops), so they run the original again. Their
    // modules stay loaded, no longer pinned (klp_free_patch_finish: module_put).
    if (spec.cumulative)
        patches_.erase(patches_.begin(), patches_.begin() + static_cast<std::ptrdiff_t>(at));
    modules_.push_back(spec.name);
    return out;
}

Outcome Model::disable(const std::string& name) {
    int at = indexOf(name);
    // livepatch.rst §5.4 ("Third, the sysfs interface is destroyed"): only patches
    // in klp_patches have /sys/kernel/livepatch/<name>; a disabled or replaced one
    // is gone, and writing to the missing `enabled` fails to open -> ENOENT.
    if (at < 0)
        return refused("ENOENT");
    // core.c enabled_store() -> __klp_disable_patch(): since 5.1 there is no
    // stacking-order check (older kernels refused a patch under an enabled one
    // with EBUSY), so any enabled patch may go; the ones above stay on top.
    // pre_unpatch per patched (loaded) object, then klp_complete_transition
    // (UNPATCHED): post_unpatch per loaded object (callbacks.rst §2, §3).
    std::vector<std::string> objs;
    for (const auto& o : patches_[at].spec->objects())
        if (objectLoaded(o))
            objs.push_back(o);
    Outcome out;
    for (const auto& o : objs)
        preUnpatch(at, o, liveState(o), out);
    for (const auto& o : objs)
        postUnpatch(at, o, liveState(o), out);
    // transition.c klp_try_complete_transition() -> klp_free_patch_async(): out of
    // klp_patches and sysfs; the module stays loaded, unpinned.
    patches_.erase(patches_.begin() + at);
    return out;
}

Outcome Model::unload(const std::string& name) {
    // kernel/module/main.c delete_module(): find_module() fails -> ENOENT.
    if (!loaded(name))
        return refused("ENOENT");
    // livepatch.rst §5.5; core.c klp_enable_patch() holds try_module_get(patch->mod)
    // until the patch is freed (klp_free_patch_finish), so while it is in
    // klp_patches delete_module() -> try_stop_module() -> -EWOULDBLOCK (== EAGAIN).
    if (indexOf(name) >= 0)
        return refused("EAGAIN");
    Outcome out;
    out.logLines.push_back(lines::unloaded(name));  // module_exit
    modules_.erase(std::find(modules_.begin(), modules_.end(), name));
    return out;
}

Outcome Model::loadTarget(const std::string& target) {
    if (loaded(target))
        return refused("EEXIST");  // module_patient_check_exists(), as for a patch
    Outcome out;
    // callbacks.rst §3 (a module loaded after the patch); core.c klp_module_coming(),
    // called from prepare_coming_module() before the module's init: per patch in
    // klp_patches order with an object for it, pre_patch, klp_patch_object(),
    // post_patch (the patch is not in transition). A reload is patched again so.
    for (size_t i = 0; i < patches_.size(); i++) {
        if (!patches_[i].spec->patchesObject(target))
            continue;
        if (!prePatch(i, target, "coming", out)) {
            // callbacks.rst §3 ("refuse to load a module"); klp_module_coming() err ->
            // klp_cleanup_module_patches_limited(mod, patch): the patches before this
            // one unpatch the module again, pre_unpatch and post_unpatch; none after it
            // ran. The loader fails with the callback's errno; the module's init never ran.
            for (size_t j = 0; j < i; j++)
                if (patches_[j].spec->patchesObject(target)) {
                    preUnpatch(j, target, "coming", out);
                    postUnpatch(j, target, "coming", out);
                }
            return refused(kFailErrnoName, std::move(out));
        }
        postPatch(i, target, "coming", out);
    }
    modules_.push_back(target);
    out.logLines.push_back(lines::targetLoaded(target, targetValue(target)));  // its init sees the patched value
    return out;
}

Outcome Model::unloadTarget(const std::string& target) {
    if (!loaded(target))
        return refused("ENOENT");
    // core.c klp_find_object_module(): no reference is taken on a patched module,
    // so nothing pins a target. delete_module() runs mod->exit() first, then
    // klp_module_going() -> klp_cleanup_module_patches_limited(mod, NULL): per
    // patch in order, pre_unpatch and post_unpatch of that object [going]
    // (callbacks.rst §3: a target's callbacks run as it is unloaded).
    Outcome out;
    out.logLines.push_back(lines::unloaded(target));
    for (size_t i = 0; i < patches_.size(); i++)
        if (patches_[i].spec->patchesObject(target)) {
            preUnpatch(i, target, "going", out);
            postUnpatch(i, target, "going", out);
        }
    modules_.erase(std::find(modules_.begin(), modules_.end(), target));
    return out;
}

// system-state.rst §2; state.c klp_is_state_compatible() for every state of every
// patch in klp_patches: a patch declaring the state needs version >= the installed
// one (cumulative or not); a cumulative patch must declare every installed state;
// a non-cumulative one without the state is fine.
bool Model::compatible(const PatchSpec& spec) const {
    for (const auto& p : patches_)
        for (const auto& old : p.spec->states) {
            auto it = std::find_if(spec.states.begin(), spec.states.end(),
                                   [&](const StateSpec& s) { return s.id == old.id; });
            if (it == spec.states.end() ? spec.cumulative : it->version < old.version)
                return false;
        }
    return true;
}

// pre_patch of one object. False: it failed with kFailErrno (its parameter set).
bool Model::prePatch(size_t at, const std::string& object, const std::string& modState, Outcome& out) {
    Patch& p = patches_[at];
    const PatchSpec& s = *p.spec;
    bool fails = p.failing && s.failObject == object;
    if (s.family == Family::Callbacks) {
        out.logLines.push_back(fails ? lines::objectPrePatchFailing(s, object, modState, kFailErrno)
                                     : lines::objectCallback(s, "pre_patch", object, modState));
        return !fails;
    }
    if (s.family != Family::SystemState)
        return true;
    if (object == "klp_target") {  // target_pre_patch()
        out.logLines.push_back(fails ? lines::stateTargetFailing(s, kFailErrno) : lines::stateTargetOk(s));
        return !fails;
    }
    if (object != kVmlinux || s.states.empty())
        return true;
    // state_pre_patch(): reuse an installed patch's data (system-state.rst §4), else allocate.
    int prev = prevStatePatch(at);
    if (prev >= 0 && patches_[prev].data) {
        p.data = patches_[prev].data;
        out.logLines.push_back(lines::stateReusing(s, prevVersion(prev), readOriginal(p.data, s.name, out)));
        return true;
    }
    data_.push_back({loglevel_, ""});
    p.data = static_cast<int>(data_.size());
    out.logLines.push_back(lines::stateAllocated(s, loglevel_));
    return true;
}

void Model::postPatch(size_t at, const std::string& object, const std::string& modState, Outcome& out) {
    Patch& p = patches_[at];
    const PatchSpec& s = *p.spec;
    if (s.family == Family::Callbacks)
        out.logLines.push_back(lines::objectCallback(s, "post_patch", object, modState));
    if (s.family != Family::SystemState || object != kVmlinux || s.states.empty())
        return;
    // state_post_patch(): a cumulative patch takes the data over from the patch it
    // replaces, a non-cumulative one shares it; then it sets its loglevel.
    int prev = prevStatePatch(at);
    if (prev >= 0 && patches_[prev].data == p.data) {
        if (s.cumulative) {
            patches_[prev].data = 0;
            out.logLines.push_back(lines::stateTookOver(s, prevVersion(prev)));
        } else {
            out.logLines.push_back(lines::stateSharing(s, prevVersion(prev)));
        }
    }
    out.logLines.push_back(lines::stateLoglevelSet(s, loglevel_, s.stateLoglevel));
    loglevel_ = s.stateLoglevel;
}

void Model::preUnpatch(size_t at, const std::string& object, const std::string& modState, Outcome& out) {
    Patch& p = patches_[at];
    const PatchSpec& s = *p.spec;
    if (s.family == Family::Callbacks)
        out.logLines.push_back(lines::objectCallback(s, "pre_unpatch", object, modState));
    if (s.family != Family::SystemState || object != kVmlinux || s.states.empty())
        return;
    // state_pre_unpatch(): a patch below still carries the state: leave the loglevel.
    int prev = prevStatePatch(at);
    if (prev >= 0) {
        out.logLines.push_back(lines::stateLoglevelStays(s, loglevel_, prevVersion(prev)));
        return;
    }
    int original = readOriginal(p.data, s.name, out);
    out.logLines.push_back(lines::stateLoglevelRestored(s, loglevel_, original));
    loglevel_ = original;
}

void Model::postUnpatch(size_t at, const std::string& object, const std::string& modState, Outcome& out) {
    Patch& p = patches_[at];
    const PatchSpec& s = *p.spec;
    if (s.family == Family::Callbacks)
        out.logLines.push_back(lines::objectCallback(s, "post_unpatch", object, modState));
    if (s.family != Family::SystemState || object != kVmlinux || s.states.empty())
        return;
    // state_post_unpatch() (system-state.rst §4: tell revert from disable by
    // klp_get_prev_state()): borrowed data stays with the patch below; else free it.
    int prev = prevStatePatch(at);
    if (prev >= 0 && patches_[prev].data == p.data) {
        out.logLines.push_back(lines::stateDataStays(s, prevVersion(prev)));
        p.data = 0;
        return;
    }
    out.logLines.push_back(prev >= 0 ? lines::stateFreeingOurs(s, prevVersion(prev)) : lines::stateFreeing(s));
    freeData(p.data, s.name, out);
    p.data = 0;
}

// state.c klp_get_prev_state(): the last patch before the transition patch in
// klp_patches that declares the state.
int Model::prevStatePatch(size_t at) const {
    int last = -1;
    for (size_t i = 0; i < at; i++)
        for (const auto& st : patches_[i].spec->states)
            if (st.id == kStateId)
                last = static_cast<int>(i);
    return last;
}

int Model::prevVersion(int prevIndex) const {
    for (const auto& st : patches_[prevIndex].spec->states)
        if (st.id == kStateId)
            return st.version;
    return 0;
}

// A callback dereferencing state->data: freed (or NULL) data makes the outcome
// unpredictable; the model goes on with the value it last had.
int Model::readOriginal(int handle, const std::string& reader, Outcome& out) {
    if (!handle) {
        out.hazard = reader + " dereferences NULL state data";
        return loglevel_;
    }
    const StateData& d = data_[handle - 1];
    if (!d.freedBy.empty())
        out.hazard = reader + " reads state data freed by " + d.freedBy + " (use after free)";
    return d.original;
}

void Model::freeData(int handle, const std::string& by, Outcome& out) {
    if (!handle)
        return;  // kfree(NULL)
    StateData& d = data_[handle - 1];
    if (!d.freedBy.empty())
        out.hazard = by + " frees state data already freed by " + d.freedBy + " (double free)";
    else
        d.freedBy = by;
}

int Model::indexOf(const std::string& name) const {
    for (size_t i = 0; i < patches_.size(); i++)
        if (patches_[i].spec->name == name)
            return static_cast<int>(i);
    return -1;
}

bool Model::objectLoaded(const std::string& object) const { return object == kVmlinux || loaded(object); }

bool Model::loaded(const std::string& module) const {
    return std::find(modules_.begin(), modules_.end(), module) != modules_.end();
}

// livepatch.rst §5.2 footnote (func_stack); patch.c klp_patch_func() adds each
// patch's func at the head of the function's func_stack and klp_ftrace_handler()
// runs the first entry: the last patch in klp_patches patching it wins, whatever
// the order in which patches below were disabled.
const PatchedFunction* Model::topFunction(const std::string& object, const std::string& function) const {
    for (auto it = patches_.rbegin(); it != patches_.rend(); ++it)
        if (const PatchedFunction* f = it->spec->find(object, function))
            return f;
    return nullptr;
}

std::string Model::cmdline() const {
    const PatchedFunction* f = topFunction(kVmlinux, "cmdline_proc_show");
    return f ? f->output : kOriginalCmdline;
}

std::string Model::targetValue(const std::string& target) const {
    if (!loaded(target))
        return "";
    const PatchedFunction* f = topFunction(target, "klp_target_value");
    return f ? f->output : kOriginalValue;
}

std::vector<std::pair<std::string, bool>> Model::sysfsPatches() const {
    std::vector<std::pair<std::string, bool>> out;
    for (const auto& p : patches_)
        out.emplace_back(p.spec->name, true);  // no transitions: every listed patch is enabled
    return out;
}

std::map<int, int> Model::states() const {
    std::map<int, int> out;
    for (const auto& p : patches_)
        for (const auto& st : p.spec->states)
            out[st.id] = st.version;
    return out;
}

}  // namespace klp::explore
