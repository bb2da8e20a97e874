// Delta debugging (Zeller's ddmin) over an operation sequence: the shortest
// sub-sequence found that still fails the same way. Pure: the caller's
// predicate runs the candidates (in explore: a normal run of their cases).
#pragma once
#include <functional>
#include <vector>

#include "explore/model.h"

namespace klp::explore {

// Answers, for each candidate, whether it still fails the same way. Given all
// the candidates of one round at once, so a caller can run them as one batch.
using BatchPredicate = std::function<std::vector<bool>(const std::vector<std::vector<Op>>&)>;
using Predicate = std::function<bool(const std::vector<Op>&)>;

struct ShrinkResult {
    std::vector<Op> ops;  // the smallest failing sequence found (the input when nothing smaller fails)
    int rounds = 0;       // predicate calls (batches)
    int tested = 0;       // candidates tested
    bool budgetHit = false;  // stopped by maxTested before reaching 1-minimality
};

// ddmin: split into n chunks, try each complement (the sequence without one
// chunk); the first that fails becomes the sequence (n - 1 chunks), else n
// doubles; ends when the chunks are single operations and no one can go (no
// single operation can be dropped: 1-minimal). At most `maxTested` candidates.
ShrinkResult shrink(const std::vector<Op>& ops, const BatchPredicate& stillFails, int maxTested = 64);
// The same with a one-candidate predicate.
ShrinkResult shrink(const std::vector<Op>& ops, const Predicate& stillFails, int maxTested = 64);

}  // namespace klp::explore
