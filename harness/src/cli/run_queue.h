// The work list of a run: units (one case on one guest config), each run one or
// more times ("attempts"), handed out to parallel slots and finished in any
// order. Pure bookkeeping, no guests: unit-tested on its own.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

namespace klp::cli {

struct QueueUnit {
    size_t config = 0;     // guest config; slots keep a guest per config
    int attempts = 1;      // runs wanted; with untilFail the most allowed
    bool untilFail = false;  // stop handing out attempts after a non-PASS
};

struct Ticket {
    size_t unit;
    int attempt;  // 0-based
};

class RunQueue {
public:
    explicit RunQueue(std::vector<QueueUnit> units);

    // The next attempt for a slot whose guest has `config` (nullopt: it has
    // none): the first unit in order with attempts left, preferring units of
    // the slot's config among the units not yet started, so reverts beat boots.
    // Empty once nothing is left to hand out.
    std::optional<Ticket> next(std::optional<size_t> config);
    // An attempt ended.
    void done(const Ticket& t, bool pass);
    // Blocks until unit `u` has no attempt left to hand out or running.
    void waitUnit(size_t u);
    bool unitFinished(size_t u);
    struct Counts {
        size_t finished = 0, running = 0, left = 0;  // units
    };
    Counts counts();

private:
    bool finishedLocked(size_t u) const;
    struct State {
        QueueUnit spec;
        int handedOut = 0, ended = 0;
        bool failed = false;
    };
    std::vector<State> units_;
    std::mutex mutex_;
    std::condition_variable changed_;
};

}  // namespace klp::cli
