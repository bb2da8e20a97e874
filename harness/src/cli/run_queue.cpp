#include "cli/run_queue.h"

namespace klp::cli {

RunQueue::RunQueue(std::vector<QueueUnit> units) {
    for (auto& u : units)
        units_.push_back({u});
}

bool RunQueue::finishedLocked(size_t u) const {
    const State& s = units_[u];
    if (s.ended < s.handedOut)
        return false;  // an attempt still runs
    return s.handedOut >= s.spec.attempts || (s.spec.untilFail && s.failed);
}

std::optional<Ticket> RunQueue::next(std::optional<size_t> config) {
    std::lock_guard lock(mutex_);
    auto open = [&](const State& s) {
        return s.handedOut < s.spec.attempts && !(s.spec.untilFail && s.failed);
    };
    std::optional<size_t> pick;
    for (size_t i = 0; i < units_.size() && !pick; i++) {
        if (!open(units_[i]))
            continue;
        // The first open unit is taken unless it needs another guest and one of
        // ours waits further on (unstarted, so order on screen barely moves).
        if (!config || units_[i].spec.config == *config) {
            pick = i;
            break;
        }
        for (size_t j = i + 1; j < units_.size() && !pick; j++)
            if (units_[j].handedOut == 0 && units_[j].spec.config == *config && open(units_[j]))
                pick = j;
        if (!pick)
            pick = i;
    }
    if (!pick)
        return std::nullopt;
    return Ticket{*pick, units_[*pick].handedOut++};
}

void RunQueue::done(const Ticket& t, bool pass) {
    {
        std::lock_guard lock(mutex_);
        State& s = units_[t.unit];
        s.ended++;
        s.failed |= !pass;
    }
    changed_.notify_all();
}

void RunQueue::waitUnit(size_t u) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return finishedLocked(u); });
}

bool RunQueue::unitFinished(size_t u) {
    std::lock_guard lock(mutex_);
    return finishedLocked(u);
}

RunQueue::Counts RunQueue::counts() {
    std::lock_guard lock(mutex_);
    Counts c;
    for (size_t i = 0; i < units_.size(); i++) {
        if (finishedLocked(i))
            c.finished++;
        else if (units_[i].handedOut > units_[i].ended)
            c.running++;
        else
            c.left++;
    }
    return c;
}

}  // namespace klp::cli
