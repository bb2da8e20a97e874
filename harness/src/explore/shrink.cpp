#include "explore/shrink.h"

#include <algorithm>

namespace klp::explore {

ShrinkResult shrink(const std::vector<Op>& ops, const BatchPredicate& stillFails, int maxTested) {
    ShrinkResult r;
    r.ops = ops;
    size_t n = 2;
    while (r.ops.size() >= 2) {
        n = std::min(n, r.ops.size());
        // Chunk k is [bounds[k], bounds[k+1]).
        std::vector<size_t> bounds;
        for (size_t k = 0; k <= n; k++)
            bounds.push_back(r.ops.size() * k / n);
        std::vector<std::vector<Op>> candidates;
        for (size_t k = 0; k < n; k++) {
            std::vector<Op> c(r.ops.begin(), r.ops.begin() + static_cast<std::ptrdiff_t>(bounds[k]));
            c.insert(c.end(), r.ops.begin() + static_cast<std::ptrdiff_t>(bounds[k + 1]), r.ops.end());
            candidates.push_back(std::move(c));
        }
        if (r.tested + static_cast<int>(candidates.size()) > maxTested) {
            r.budgetHit = true;
            break;
        }
        auto fails = stillFails(candidates);
        r.rounds++;
        r.tested += static_cast<int>(candidates.size());
        auto it = std::find(fails.begin(), fails.end(), true);
        if (it != fails.end()) {
            r.ops = candidates[static_cast<size_t>(it - fails.begin())];
            n = std::max<size_t>(n - 1, 2);
            continue;
        }
        if (n >= r.ops.size())
            break;  // single operations, none can go
        n = std::min(n * 2, r.ops.size());
    }
    // A single operation that fails may still fail on its own with none at all,
    // but an empty case proves nothing: one operation is the floor.
    return r;
}

ShrinkResult shrink(const std::vector<Op>& ops, const Predicate& stillFails, int maxTested) {
    return shrink(
        ops,
        BatchPredicate([&](const std::vector<std::vector<Op>>& cs) {
            std::vector<bool> out;
            for (const auto& c : cs) {
                out.push_back(stillFails(c));
                if (out.back())
                    break;  // one at a time: stop at the first that fails
            }
            out.resize(cs.size(), false);
            return out;
        }),
        maxTested);
}

}  // namespace klp::explore
