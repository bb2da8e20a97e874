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

Model::Model(int bootLoglevel) : bootLoglevel_(bootLoglevel), loglevel_(bootLoglevel) {}

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
    case OpKind::Enable:
        return enable(op.module);
    case OpKind::Hold:
    case OpKind::Release:
        if (op.module != "klp_target") {
            Outcome out;
            out.hazard = "only klp_target has a busy kthread to hold";
            return out;
        }
        return op.kind == OpKind::Hold ? hold() : release();
    case OpKind::AddItem:
    case OpKind::DestroyItems:
    case OpKind::ReadItems: {
        Outcome out;
        if (op.module != "klp_target" || !loaded("klp_target")) {
            out.hazard = "items need klp_target loaded";
            return out;
        }
        if (op.kind == OpKind::AddItem)
            return addItem();
        if (op.kind == OpKind::ReadItems)
            return readItems();
        destroyItems(out);
        return out;
    }
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

    // core.c klp_enable_patch() -> __klp_enable_patch(): one transition at a
    // time; refused before any callback runs, the patch leaves klp_patches again.
    if (transition_ >= 0)
        return refused("EBUSY", std::move(out));

    // core.c klp_init_patch(): the patch joins klp_patches (list_add_tail) before
    // __klp_enable_patch(), so klp_get_prev_state() sees it as the transition patch.
    patches_.push_back({&spec, failing});
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
    // The module's init returns once the transition started (finit_module
    // does not wait for it): the patch is enabled, maybe still in transition.
    modules_.push_back(spec.name);
    if (spec.family == Family::Shadow)
        nextValue_[spec.name] = 100;  // a static of the module: fresh with each load
    startTransition(at, true, out);
    return out;
}

void Model::startTransition(size_t at, bool patching, Outcome& out) {
    transition_ = static_cast<int>(at);
    transitionPatching_ = patching;
    patches_[at].enabled = patching;
    // transition.c klp_try_complete_transition(): every task not sleeping in a
    // function the transition changes switches now; a held kthread does not.
    if (!blocks(at, patching))
        completeTransition(out.logLines, out);
}

// livepatch.rst §3; transition.c klp_check_stack_func(): patching checks the
// function each klp_func replaces (the previous entry on its func_stack, else
// the original), unpatching checks the patch's own new function. The held
// kthread sleeps in sleepsIn_'s klp_target_busy_sleep: the top entry when it
// was held (no transition changing that function can end while it is held).
bool Model::blocks(size_t at, bool patching) const {
    if (!held_ || !loaded("klp_target"))
        return false;
    const PatchSpec& s = *patches_[at].spec;
    bool has = s.find("klp_target", "klp_target_busy_sleep") != nullptr;
    if (!patching)
        return has && sleepsIn_ == s.name;
    if (has)
        return true;
    // core.c klp_add_nops(): a replace patch gets a nop for each function of the
    // patches it replaces that it lacks; the nop's old function is theirs.
    if (!s.cumulative)
        return false;
    for (size_t i = 0; i < at; i++)
        if (patches_[i].spec->find("klp_target", "klp_target_busy_sleep"))
            return true;
    return false;
}

// transition.c klp_complete_transition() and klp_try_complete_transition().
void Model::completeTransition(std::vector<std::string>& lines, Outcome& out) {
    size_t at = static_cast<size_t>(transition_);
    Outcome cb;  // callbacks log into it; hazards go to out
    if (transitionPatching_) {
        // For a replace patch, klp_unpatch_replaced_patches() first (no callbacks
        // of theirs: cumulative-patches.rst "Limitations", only the new patch's
        // callbacks run), then post_patch per loaded object. The replaced patches
        // are still in klp_patches here, so klp_get_prev_state() in post_patch
        // finds them.
        for (const auto& o : loadedObjects(at))
            postPatch(at, o, liveState(o), cb);
        // livepatch.rst §5.3, cumulative-patches.rst "Usage"; then
        // klp_free_replaced_patches_async(): every patch below leaves klp_patches
        // and sysfs; the dropped functions' nops are discarded (klp_discard_nops),
        // so they run the original again. Their modules stay loaded, no longer
        // pinned (klp_free_patch_finish: module_put).
        if (patches_[at].spec->cumulative) {
            patches_.erase(patches_.begin(), patches_.begin() + static_cast<std::ptrdiff_t>(at));
            at = 0;
        }
    } else {
        // post_unpatch per loaded object (callbacks.rst §2, §3); then
        // klp_free_patch_async(): out of klp_patches and sysfs; the module stays
        // loaded, unpinned.
        for (const auto& o : loadedObjects(at))
            postUnpatch(at, o, liveState(o), cb);
        patches_.erase(patches_.begin() + static_cast<std::ptrdiff_t>(at));
    }
    transition_ = -1;
    lines.insert(lines.end(), cb.logLines.begin(), cb.logLines.end());
    if (out.hazard.empty())
        out.hazard = cb.hazard;
}

std::vector<std::string> Model::loadedObjects(size_t at) const {
    std::vector<std::string> objs;
    for (const auto& o : patches_[at].spec->objects())
        if (objectLoaded(o))
            objs.push_back(o);
    return objs;
}

Outcome Model::disable(const std::string& name) {
    int at = indexOf(name);
    // livepatch.rst §5.4 ("Third, the sysfs interface is destroyed"): only patches
    // in klp_patches have /sys/kernel/livepatch/<name>; a disabled or replaced one
    // is gone, and writing to the missing `enabled` fails to open -> ENOENT.
    if (at < 0)
        return refused("ENOENT");
    // core.c enabled_store(): "already in requested state" -> EINVAL (an
    // unpatching transition still runs).
    if (!patches_[at].enabled)
        return refused("EINVAL");
    // livepatch.rst §3: writing 0 mid-transition reverses it (enabled_store() ->
    // transition.c klp_reverse_transition(): no callbacks). The tasks that kept
    // the old functions are already where the transition now goes.
    if (at == transition_) {
        transitionPatching_ = false;
        patches_[at].enabled = false;
        Outcome out;
        completeTransition(out.logLines, out);
        return out;
    }
    // __klp_disable_patch(): one transition at a time.
    if (transition_ >= 0)
        return refused("EBUSY");
    // __klp_disable_patch(): since 5.1 there is no stacking-order check (older
    // kernels refused a patch under an enabled one with EBUSY), so any enabled
    // patch may go; the ones above stay on top. pre_unpatch per patched
    // (loaded) object, then the transition; post_unpatch as it ends.
    Outcome out;
    for (const auto& o : loadedObjects(static_cast<size_t>(at)))
        preUnpatch(static_cast<size_t>(at), o, liveState(o), out);
    startTransition(static_cast<size_t>(at), false, out);
    return out;
}

Outcome Model::enable(const std::string& name) {
    int at = indexOf(name);
    if (at < 0)
        return refused("ENOENT");  // as for disable
    // core.c enabled_store(): "already in requested state" -> EINVAL; writing 1
    // re-enables nothing else ("Do not allow to re-enable a disabled patch").
    if (patches_[at].enabled || at != transition_)
        return refused("EINVAL");
    // Reverses the unpatching transition: the patch is enabled again, its
    // post_patch runs as it ends (pre_unpatch already ran, no pre_patch).
    transitionPatching_ = true;
    patches_[at].enabled = true;
    Outcome out;
    completeTransition(out.logLines, out);
    return out;
}

// target_common.h hold_store(). A step must see the kthread asleep, so hold is
// only generated with klp_target loaded, not yet held, and no transition running.
Outcome Model::hold() {
    Outcome out;
    if (!loaded("klp_target") || held_ || transition_ >= 0) {
        out.hazard = "hold needs klp_target loaded, not held, and no transition running";
        return out;
    }
    held_ = true;
    int top = topPatch("klp_target", "klp_target_busy_sleep");
    sleepsIn_ = top >= 0 ? patches_[static_cast<size_t>(top)].spec->name : "";
    out.logLines.push_back("klp_target: hold=1");
    return out;
}

Outcome Model::release() {
    Outcome out;
    if (!held_) {
        out.hazard = "release needs klp_target held";
        return out;
    }
    held_ = false;
    out.logLines.push_back("klp_target: hold=0");
    // The transition it blocked ends at the next klp_transition_work_fn() retry.
    if (transition_ >= 0) {
        out.settled = patches_[static_cast<size_t>(transition_)].spec->name;
        out.settledGone = !transitionPatching_;
        completeTransition(out.settleLines, out);
    }
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
    // post_patch unless it is the transition patch (its post_patch or
    // post_unpatch runs as the transition ends). A reload is patched again so.
    for (size_t i = 0; i < patches_.size(); i++) {
        if (!patches_[i].spec->patchesObject(target))
            continue;
        if (!prePatch(i, target, "coming", out)) {
            // callbacks.rst §3 ("refuse to load a module"); klp_module_coming() err ->
            // klp_cleanup_module_patches_limited(mod, patch): the patches before this
            // one unpatch the module again, pre_unpatch (not the transition patch)
            // and post_unpatch; none after it ran. The loader fails with the
            // callback's errno; the module's init never ran.
            for (size_t j = 0; j < i; j++)
                if (patches_[j].spec->patchesObject(target)) {
                    if (static_cast<int>(j) != transition_)
                        preUnpatch(j, target, "coming", out);
                    postUnpatch(j, target, "coming", out);
                }
            return refused(kFailErrnoName, std::move(out));
        }
        if (static_cast<int>(i) != transition_)
            postPatch(i, target, "coming", out);
    }
    modules_.push_back(target);
    out.logLines.push_back(lines::targetLoaded(target, targetValue(target)));  // its init sees the patched value
    return out;
}

Outcome Model::unloadTarget(const std::string& target) {
    if (!loaded(target))
        return refused("ENOENT");
    Outcome out;
    // The held kthread exits with its module: what that does to a transition it
    // blocks is not modelled, so such an unload is never generated.
    if (target == "klp_target" && held_ && transition_ >= 0) {
        out.hazard = "unloading klp_target while its held kthread blocks a transition";
        return out;
    }
    // core.c klp_find_object_module(): no reference is taken on a patched module,
    // so nothing pins a target. delete_module() runs mod->exit() first, then
    // klp_module_going() -> klp_cleanup_module_patches_limited(mod, NULL): per
    // patch in order, pre_unpatch (not for the transition patch) and
    // post_unpatch of that object [going] (callbacks.rst §3: a target's
    // callbacks run as it is unloaded).
    if (target == "klp_target")
        destroyItems(out);  // target_exit(), before its last line
    out.logLines.push_back(lines::unloaded(target));
    for (size_t i = 0; i < patches_.size(); i++)
        if (patches_[i].spec->patchesObject(target)) {
            if (static_cast<int>(i) != transition_)
                preUnpatch(i, target, "going", out);
            postUnpatch(i, target, "going", out);
        }
    modules_.erase(std::find(modules_.begin(), modules_.end(), target));
    if (target == "klp_target") {
        held_ = false;  // a reload starts with hold=0
        nextItemId_ = 1;  // and with item ids from 1
    }
    return out;
}

// shadow-vars.rst with shadow_common.h: a new item gets its shadow variable
// from the shadow patch on top (klp_shadow_alloc, the ctor logs).
Outcome Model::addItem() {
    Outcome out;
    int id = nextItemId_++;
    items_.push_back(id);
    if (const PatchSpec* top = shadowTop("klp_target_item_created")) {
        if (danglingShadows_)
            out.hazard = "a new item may get the address of a freed one that still has a shadow variable";
        int value = nextValue_[top->name]++;
        shadows_[id] = value;
        out.logLines.push_back(lines::shadowCtor(*top, id, value));
    }
    return out;
}

// One describe line per item; a shadow patch gives an item without a shadow
// one now (klp_shadow_get_or_alloc), so a read is an operation of its own.
Outcome Model::readItems() {
    Outcome out;
    for (int id : items_) {
        std::string line = "item " + std::to_string(id);
        if (const PatchSpec* top = shadowTop("klp_target_item_describe")) {
            if (danglingShadows_)
                out.hazard = "a shadow lookup may find the variable of a freed item at the same address";
            auto it = shadows_.find(id);
            if (it == shadows_.end()) {
                int value = nextValue_[top->name]++;
                it = shadows_.emplace(id, value).first;
                out.logLines.push_back(lines::shadowCtor(*top, id, value));
            }
            line += " shadow " + std::to_string(it->second) + " (" + top->name + ")";
        }
        out.output += (out.output.empty() ? "" : "\n") + line;
    }
    return out;
}

void Model::destroyItems(Outcome& out) {
    const PatchSpec* top = shadowTop("klp_target_item_destroying");
    for (int id : items_) {
        auto it = shadows_.find(id);
        if (it == shadows_.end())
            continue;
        if (top)
            out.logLines.push_back(lines::shadowDtor(*top, id, it->second));  // klp_shadow_free()
        else
            danglingShadows_ = true;  // the original destroys the item, its shadow stays behind
        shadows_.erase(it);
    }
    items_.clear();
}

const PatchSpec* Model::shadowTop(const char* function) const {
    int top = topPatch("klp_target", function);
    if (top < 0)
        return nullptr;
    const PatchSpec* s = patches_[static_cast<size_t>(top)].spec;
    return s->family == Family::Shadow ? s : nullptr;
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
    data_.push_back({loglevel_, 1, ""});
    p.data = static_cast<int>(data_.size());
    p.counted = true;
    out.logLines.push_back(lines::stateAllocated(s, loglevel_));
    return true;
}

void Model::postPatch(size_t at, const std::string& object, const std::string& modState, Outcome& out) {
    Patch& p = patches_[at];
    const PatchSpec& s = *p.spec;
    if (s.family == Family::Callbacks)
        out.logLines.push_back(lines::objectCallback(s, "post_patch", object, modState));
    if (s.family == Family::Shadow && object == "klp_target")
        out.logLines.push_back(lines::shadowPostPatch(s));
    if (s.family != Family::SystemState || object != kVmlinux || s.states.empty())
        return;
    // state_post_patch(): a cumulative patch takes the data over from the patch it
    // replaces (and is its only user), a non-cumulative one shares it (one more
    // user); then it sets its loglevel.
    int prev = prevStatePatch(at);
    if (prev >= 0 && patches_[prev].data == p.data) {
        if (!p.data) {
            out.hazard = s.name + " post_patch dereferences NULL state data";
        } else if (s.cumulative) {
            patches_[prev].data = 0;
            data_[p.data - 1].users = 1;
            out.logLines.push_back(lines::stateTookOver(s, prevVersion(prev)));
        } else {
            // Once: a disable reversed mid-transition runs post_patch again.
            if (!p.counted)
                data_[p.data - 1].users++;
            out.logLines.push_back(lines::stateSharing(s, prevVersion(prev)));
        }
        p.counted = true;
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
    // state_pre_unpatch(): a patch below, or (sharing the data) above, still
    // carries the state: leave the loglevel; else restore the original.
    int prev = prevStatePatch(at);
    if (prev >= 0) {
        out.logLines.push_back(lines::stateLoglevelStays(s, loglevel_, prevVersion(prev)));
        return;
    }
    int original = readOriginal(p.data, s.name, out);
    if (p.data && data_[p.data - 1].users > 1) {
        out.logLines.push_back(lines::stateLoglevelStaysAbove(s, loglevel_));
        return;
    }
    out.logLines.push_back(lines::stateLoglevelRestored(s, loglevel_, original));
    loglevel_ = original;
}

void Model::postUnpatch(size_t at, const std::string& object, const std::string& modState, Outcome& out) {
    Patch& p = patches_[at];
    const PatchSpec& s = *p.spec;
    if (s.family == Family::Callbacks)
        out.logLines.push_back(lines::objectCallback(s, "post_unpatch", object, modState));
    if (s.family == Family::Shadow && object == "klp_target") {
        // shadow-vars.rst: klp_shadow_free_all() with the dtor, every shadow of
        // the id whichever patch made it; the hash's order, so no item ids.
        out.logLines.push_back(lines::shadowPostUnpatch(s));
        if (danglingShadows_)
            out.hazard = s.name + " frees shadow variables of items already freed (the dtor reads them)";
        for (size_t i = 0; i < shadows_.size(); i++)
            out.logLines.push_back(lines::shadowDtorAnyItem(s));
        shadows_.clear();
    }
    if (s.family != Family::SystemState || object != kVmlinux || s.states.empty())
        return;
    // state_post_unpatch() (system-state.rst §4: tell revert from disable by
    // klp_get_prev_state()): it counts itself out; borrowed data stays with the
    // patch below, data a patch above still uses stays with it; else free it.
    if (p.data && p.counted) {
        if (!data_[p.data - 1].freedBy.empty())
            out.hazard = s.name + " counts itself out of state data freed by " + data_[p.data - 1].freedBy;
        data_[p.data - 1].users--;
    }
    p.counted = false;
    int prev = prevStatePatch(at);
    if (prev >= 0 && patches_[prev].data == p.data) {
        out.logLines.push_back(lines::stateDataStays(s, prevVersion(prev)));
        p.data = 0;
        return;
    }
    if (prev < 0 && p.data && data_[p.data - 1].users > 0) {
        out.logLines.push_back(lines::stateDataStaysAbove(s));
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
// the order in which patches below were disabled. Mid-transition a reader (a
// new task, forked from switched ones) already sees where the transition goes:
// a patch being unpatched is skipped, a replace patch being applied hides the
// patches below it (its nops run the original).
int Model::topPatch(const std::string& object, const std::string& function) const {
    for (size_t i = patches_.size(); i-- > 0;) {
        bool inTransition = static_cast<int>(i) == transition_;
        if (inTransition && !transitionPatching_)
            continue;
        if (patches_[i].spec->find(object, function))
            return static_cast<int>(i);
        if (inTransition && patches_[i].spec->cumulative)
            return -1;
    }
    return -1;
}

const PatchedFunction* Model::topFunction(const std::string& object, const std::string& function) const {
    int top = topPatch(object, function);
    return top < 0 ? nullptr : patches_[static_cast<size_t>(top)].spec->find(object, function);
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
        out.emplace_back(p.spec->name, p.enabled);
    return out;
}

std::string Model::transitionPatch() const {
    return transition_ < 0 ? "" : patches_[static_cast<size_t>(transition_)].spec->name;
}

int Model::documentedLoglevel() const {
    for (auto it = patches_.rbegin(); it != patches_.rend(); ++it)
        for (const auto& st : it->spec->states)
            if (st.id == kStateId)
                return it->spec->stateLoglevel;
    return bootLoglevel_;
}

std::map<int, int> Model::states() const {
    std::map<int, int> out;
    for (const auto& p : patches_)
        for (const auto& st : p.spec->states)
            out[st.id] = st.version;
    return out;
}

}  // namespace klp::explore
