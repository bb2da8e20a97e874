#include "explore/generate.h"

#include <algorithm>
#include <stdexcept>

namespace klp::explore {

const std::vector<std::string>& defaultPool() {
    static const std::vector<std::string> pool = {"klp_target",   "klp_replace_a", "klp_replace_b", "klp_stack_a",
                                                  "klp_stack_b",  "klp_state_v1",  "klp_state_v2",  "klp_state_nc",
                                                  "klp_callbacks", "klp_shadow",   "klp_shadow2"};
    return pool;
}

namespace {

// A uniform integer in [0, n): by hand, so the numbers are the same with every
// standard library (std::uniform_int_distribution's algorithm is unspecified).
size_t below(std::mt19937_64& rng, size_t n) { return static_cast<size_t>(rng() % n); }

}  // namespace

namespace {

// What a sequence leans on, drawn once per sequence: held transitions or
// klp_target's items (shadow variables), so both get deep sequences.
enum class Focus { Transitions, Items };

// One operation, drawn blind: the model decides later whether it can run.
// items: a shadow patch is in the pool, so klp_target's items are worth making.
Op drawOp(std::mt19937_64& rng, const std::vector<std::string>& modules, bool busyTarget, bool items, Focus focus) {
    if (items && focus == Focus::Items && below(rng, 2) == 0) {  // half the ops on the items
        size_t r = below(rng, 10);
        return {r < 5 ? OpKind::AddItem : r < 8 ? OpKind::ReadItems : OpKind::DestroyItems, "klp_target"};
    }
    // One op in three goes to klp_target when it is in the pool: its load and
    // its held kthread are what most patch ops need to be interesting.
    std::string m = busyTarget && below(rng, 3) == 0 ? "klp_target" : modules[below(rng, modules.size())];
    size_t roll = below(rng, 100);
    if (isTarget(m)) {
        // klp_target's busy kthread can be held: what makes transitions stay in
        // progress (and so EBUSY, reversal and late callbacks) reachable.
        bool busy = m == "klp_target";
        OpKind kind = roll < (busy ? 35 : 60) ? OpKind::LoadTarget
                    : roll < (busy ? 40 : 100) ? OpKind::UnloadTarget
                    : roll < 85                 ? OpKind::Hold
                                                : OpKind::Release;
        return {kind, m};
    }
    const PatchSpec* spec = findPatch(m);
    OpKind kind;
    if (roll < 45)
        kind = OpKind::Load;
    else if (roll < 55)
        kind = spec->failParam.empty() ? OpKind::Load : OpKind::LoadFailing;
    else if (roll < 74)
        kind = OpKind::Disable;
    else if (roll < 80)
        kind = OpKind::Enable;
    else
        kind = OpKind::Unload;
    return {kind, m};
}

// Items need their target and a shadow patch to give them variables: an
// items sequence loads them early (op is replaced when one is missing).
void guideItems(std::mt19937_64& rng, const Model& model, const std::vector<std::string>& shadowPatches, Op& op) {
    bool shadowOn = false;
    for (const auto& [name, enabled] : model.sysfsPatches())
        shadowOn = shadowOn || findPatch(name)->family == Family::Shadow;
    std::vector<std::string> loadable;
    for (const auto& p : shadowPatches)
        if (!model.loaded(p))
            loadable.push_back(p);
    if (!model.loaded("klp_target"))
        op = {OpKind::LoadTarget, "klp_target"};
    else if (!shadowOn && !loadable.empty())
        op = {OpKind::Load, loadable[below(rng, loadable.size())]};
}

// While the kthread is held: a patch of the function it sleeps in is loaded or
// disabled (the transition stays in progress), and a running transition is
// reversed (Disable of a patching one, Enable of an unpatching one), released,
// or written the wrong way. Blind draws reach these too seldom.
void guideHeld(std::mt19937_64& rng, const Model& model, const std::vector<std::string>& modules, Op& op) {
    std::string running = model.transitionPatch();
    if (!running.empty()) {
        size_t r = below(rng, 3);
        if (r == 0)
            op = {OpKind::Release, "klp_target"};
        else
            op = {(r == 1) == model.transitionPatching() ? OpKind::Disable : OpKind::Enable, running};
        return;
    }
    std::vector<std::string> blockable;
    for (const auto& m : modules)
        if (const PatchSpec* p = findPatch(m); p && p->find("klp_target", "klp_target_busy_sleep"))
            blockable.push_back(m);
    // The patch the kthread sleeps in: the last listed one replacing the function.
    std::string sleepsIn;
    for (const auto& [name, enabled] : model.sysfsPatches())
        if (findPatch(name)->find("klp_target", "klp_target_busy_sleep"))
            sleepsIn = name;
    if (!sleepsIn.empty() && below(rng, 2) == 0)
        op = {OpKind::Disable, sleepsIn};
    else if (!blockable.empty())
        op = {OpKind::Load, blockable[below(rng, blockable.size())]};
}

}  // namespace

std::vector<Op> randomSequence(std::mt19937_64& rng, int length, const std::vector<std::string>& modules) {
    for (const auto& m : modules)
        if (!isTarget(m) && !findPatch(m))
            throw std::invalid_argument("explore: " + m + " is neither a target nor a livepatch of ours");
    std::vector<Op> out;
    if (modules.empty())
        return out;
    const bool busyTarget = std::find(modules.begin(), modules.end(), "klp_target") != modules.end();
    std::vector<std::string> shadowPatches;
    for (const auto& m : modules)
        if (const PatchSpec* p = findPatch(m); p && p->family == Family::Shadow)
            shadowPatches.push_back(m);
    const bool items = busyTarget && !shadowPatches.empty();
    const Focus focus = items && below(rng, 2) ? Focus::Items : Focus::Transitions;
    Model model;
    for (int i = 0; i < length; i++) {
        // A hazard (nothing predictable, or no step can run it) is drawn again,
        // so a sequence keeps its length (a pool with nothing runnable gives a
        // shorter one).
        for (int tries = 0; tries < 50; tries++) {
            Op op = drawOp(rng, modules, busyTarget, items, focus);
            if (focus == Focus::Items && below(rng, 2) == 0)
                guideItems(rng, model, shadowPatches, op);
            if (model.held() && below(rng, 10) < 7)
                guideHeld(rng, model, modules, op);
            // A load of what is loaded only says EEXIST: keep one in four.
            if ((op.kind == OpKind::Load || op.kind == OpKind::LoadTarget) && model.loaded(op.module) &&
                below(rng, 4) != 0)
                continue;
            Model trial = model;
            if (!trial.apply(op).hazard.empty())
                continue;
            model = std::move(trial);
            out.push_back(std::move(op));
            break;
        }
    }
    return out;
}

std::vector<Op> withoutHazards(const std::vector<Op>& ops) {
    Model model;
    std::vector<Op> out;
    for (const auto& op : ops) {
        Model trial = model;
        if (!trial.apply(op).hazard.empty())
            continue;
        model = std::move(trial);
        out.push_back(op);
    }
    return out;
}

std::string opText(const Op& op) {
    const char* verb = "load";
    switch (op.kind) {
    case OpKind::Load: verb = "load"; break;
    case OpKind::LoadFailing: verb = "load-failing"; break;
    case OpKind::Disable: verb = "disable"; break;
    case OpKind::Unload: verb = "unload"; break;
    case OpKind::LoadTarget: verb = "load-target"; break;
    case OpKind::UnloadTarget: verb = "unload-target"; break;
    case OpKind::Enable: verb = "enable"; break;
    case OpKind::Hold: verb = "hold"; break;
    case OpKind::Release: verb = "release"; break;
    case OpKind::AddItem: verb = "add-item"; break;
    case OpKind::DestroyItems: verb = "destroy-items"; break;
    case OpKind::ReadItems: verb = "read-items"; break;
    }
    return std::string(verb) + " " + op.module;
}

}  // namespace klp::explore
