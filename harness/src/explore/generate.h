// Random operation sequences over our guest modules, for `klp-harness explore`:
// pure and seeded (the same mt19937_64 state gives the same sequences), no guest.
#pragma once
#include <random>
#include <string>
#include <vector>

#include "explore/model.h"

namespace klp::explore {

// The modules explore draws from by default: one target and the livepatches
// whose rules the model covers (replace/stack, system states, object callbacks,
// shadow variables).
const std::vector<std::string>& defaultPool();

// `length` operations over `modules` (targets: LoadTarget/UnloadTarget, and
// Hold/Release for klp_target, its items too when a shadow patch is in the pool; patches: Load, LoadFailing where
// PatchSpec::failParam is set, Disable, Enable, Unload), loads weighted up so
// sequences reach states with several patches. An op the model calls a hazard
// is drawn again (so none is in the result). Throws
// std::invalid_argument for a name that is neither a target nor a patch of ours.
std::vector<Op> randomSequence(std::mt19937_64& rng, int length, const std::vector<std::string>& modules);

// The sequence without the operations whose Outcome.hazard is set (predicted
// in order with a fresh Model: a callback touching freed state data has no
// predictable outcome, so such an operation is never run).
std::vector<Op> withoutHazards(const std::vector<Op>& ops);

// "load klp_replace_a", "load-failing klp_callbacks", "disable klp_state_v1", "hold klp_target", ...
std::string opText(const Op& op);

}  // namespace klp::explore
