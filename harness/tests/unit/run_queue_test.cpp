// The run's work list: every attempt handed out once, reverts preferred over
// boots, --until-fail stopping a unit at its first failure, units finishing in
// any order while callers wait for them in order.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "cli/run_queue.h"

using namespace klp::cli;

TEST(RunQueue, HandsOutEveryAttemptOnceInOrder) {
    RunQueue q({{0, 1, false}, {0, 3, false}, {1, 1, false}});
    std::vector<std::pair<size_t, int>> got;
    while (auto t = q.next(std::nullopt)) {
        got.push_back({t->unit, t->attempt});
        q.done(*t, true);
    }
    EXPECT_EQ(got, (std::vector<std::pair<size_t, int>>{{0, 0}, {1, 0}, {1, 1}, {1, 2}, {2, 0}}));
    for (size_t u = 0; u < 3; u++)
        EXPECT_TRUE(q.unitFinished(u));
}

TEST(RunQueue, PrefersAnUnstartedUnitOfTheSlotsOwnConfig) {
    // A slot holding a guest of config 1 takes unit 2 (config 1) before unit 0
    // (config 0), which would need a boot; a slot with no guest takes the first.
    RunQueue q({{0, 1, false}, {0, 1, false}, {1, 1, false}});
    auto a = q.next(std::size_t{1});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->unit, 2u);
    auto b = q.next(std::nullopt);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->unit, 0u);
    // Nothing of config 1 is left: the first open unit, whatever its config.
    auto c = q.next(std::size_t{1});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->unit, 1u);
    EXPECT_FALSE(q.next(std::size_t{1}));
}

TEST(RunQueue, UntilFailStopsHandingOutAfterAFailure) {
    RunQueue q({{0, 100, true}});
    for (int i = 0; i < 3; i++) {
        auto t = q.next(std::nullopt);
        ASSERT_TRUE(t);
        EXPECT_EQ(t->attempt, i);
        q.done(*t, i < 2);  // the third attempt fails
    }
    EXPECT_FALSE(q.next(std::nullopt));
    EXPECT_TRUE(q.unitFinished(0));
}

TEST(RunQueue, AUnitWithAnAttemptStillRunningIsNotFinished) {
    RunQueue q({{0, 2, true}});
    auto a = q.next(std::nullopt), b = q.next(std::nullopt);
    ASSERT_TRUE(a && b);
    q.done(*a, false);  // a failure: no more attempts, but b still runs
    EXPECT_FALSE(q.next(std::nullopt));
    EXPECT_FALSE(q.unitFinished(0));
    q.done(*b, true);
    EXPECT_TRUE(q.unitFinished(0));
}

TEST(RunQueue, WaitersSeeUnitsFinishedByOtherThreadsInAnyOrder) {
    RunQueue q({{0, 1, false}, {0, 1, false}, {0, 1, false}, {0, 1, false}});
    std::vector<Ticket> tickets;
    while (auto t = q.next(std::nullopt))
        tickets.push_back(*t);
    std::thread worker([&] {
        for (auto it = tickets.rbegin(); it != tickets.rend(); ++it)  // last unit first
            q.done(*it, true);
    });
    for (size_t u = 0; u < tickets.size(); u++)
        q.waitUnit(u);
    worker.join();
    auto c = q.counts();
    EXPECT_EQ(c.finished, 4u);
    EXPECT_EQ(c.running + c.left, 0u);
}
