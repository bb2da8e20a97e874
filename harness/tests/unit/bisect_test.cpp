// Bisection over versions (bisect/search.h) with recorded outcomes, flaky ones too.
#include "bisect/search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

using namespace klp;
using bisect::Outcome;

namespace {
// Drives a Search over n versions where `truth(v)` says how version v behaves;
// returns the versions it ran.
std::vector<int> drive(bisect::Search& s, const std::function<Outcome(int)>& truth) {
    std::vector<int> ran;
    while (auto v = s.next()) {
        ran.push_back(*v);
        s.record(*v, truth(*v));
        if (ran.size() > 100)
            break;
    }
    return ran;
}
}  // namespace

TEST(Bisect, FindsEveryBoundaryInLogSteps) {
    for (int n = 2; n <= 40; ++n)
        for (int boundary = 1; boundary < n; ++boundary) {
            bisect::Search s(n);
            auto ran = drive(s, [&](int v) { return v >= boundary ? Outcome::Bad : Outcome::Good; });
            EXPECT_EQ(s.firstBad(), boundary) << n;
            EXPECT_EQ(s.lastGood(), boundary - 1) << n;
            EXPECT_LE(double(ran.size()), std::ceil(std::log2(double(n - 1))) + 0.001) << n << " " << boundary;
        }
}

// The 11 Debian 6.1 versions, the ABI 52 one (index 5) the first bad: with the
// bad end run first and the good end only when the answer rests on it, bisect
// stays within log2(n) + 2 runs.
TEST(Bisect, ElevenDebianVersions) {
    bisect::Search s(11);
    auto ran = drive(s, [](int v) { return v >= 5 ? Outcome::Bad : Outcome::Good; });
    EXPECT_EQ(s.firstBad(), 5);
    EXPECT_LE(double(ran.size() + 1), std::log2(11.0) + 2);
}

TEST(Bisect, UntestableVersionsLeaveTheAnswerOpenAsGitBisectDoes) {
    bisect::Search s(8);  // 3 and 4 do not build; 4 is the true first bad
    auto ran = drive(s, [](int v) { return v == 3 || v == 4 ? Outcome::Skip : v >= 4 ? Outcome::Bad : Outcome::Good; });
    EXPECT_EQ(s.lastGood(), 2);
    EXPECT_EQ(s.firstBad(), 5);
    EXPECT_EQ(s.undecided(), (std::vector<int>{3, 4}));
}

TEST(Bisect, AVersionIsBadOnAnyFailureAndUntestableWithoutVerdicts) {
    EXPECT_EQ(bisect::judge(3, 0, false), Outcome::Good);
    EXPECT_EQ(bisect::judge(3, 1, false), Outcome::Bad);  // a flaky failure is a failure
    EXPECT_EQ(bisect::judge(0, 0, false), Outcome::Skip);  // every run MISS or SKIP
    EXPECT_EQ(bisect::judge(2, 0, true), Outcome::Skip);
}

// Recorded: a case failing 1 of 3 runs on the bad version needs 8 runs a step
// for a 95% sure "good"; one failing always needs 1.
TEST(Bisect, RunsAndConfidenceFromTheFailureRate) {
    EXPECT_EQ(bisect::runsFor(1.0), 1);
    EXPECT_EQ(bisect::runsFor(1.0 / 3), 8);
    EXPECT_EQ(bisect::runsFor(2.0 / 3), 3);
    EXPECT_EQ(bisect::runsFor(0.01), 10);  // capped
    EXPECT_DOUBLE_EQ(bisect::confidence(1.0, 1, 4), 1.0);
    const double c = bisect::confidence(1.0 / 3, 8, 3);
    EXPECT_NEAR(c, std::pow(1 - std::pow(2.0 / 3, 8), 3), 1e-12);
    EXPECT_GT(c, 0.85);
    EXPECT_LT(c, 0.95);
}
