// Bisection over an ordered list of kernel versions (oldest first), as git bisect
// does over commits, with what a flaky livepatch case needs on top: how many runs
// make a "good" believable, and how sure the answer is. Pure: the runs are the
// caller's (cli/bisect.cpp); unit-tested with recorded outcomes.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace klp::bisect {

enum class Outcome { Good, Bad, Skip };

// One version's runs: `failures` of `runs` did not PASS; no verdict (the kernel
// did not build or boot, or the case SKIPped) is a Skip.
Outcome judge(int runs, int failures, bool untestable);

// Runs a step needs so that a bad version shows a failure with probability
// `confidence`, when it fails a run with probability `failRate` (estimated on
// the known-bad version): 1 for a case that always fails there, at most `cap`.
int runsFor(double failRate, double confidence = 0.95, int cap = 10);

class Search {
public:
    // Versions 0 .. n-1: 0 is good (trusted, as git bisect trusts it), n-1 is bad
    // (the caller runs it first, for the failure rate).
    explicit Search(int n);

    // The version to run next, or nullopt when the boundary is found or only
    // untestable versions are left between good and bad. The midpoint of what
    // is left, or the testable version nearest to it.
    std::optional<int> next() const;
    void record(int version, Outcome outcome);

    int lastGood() const { return good_; }
    int firstBad() const { return bad_; }
    // Untestable versions between lastGood and firstBad: the first bad one may be
    // any of them or firstBad (git bisect's "only skipped commits left").
    std::vector<int> undecided() const;

private:
    int good_, bad_;
    std::vector<bool> skipped_;
};

// How sure the answer is: each version judged good might be a bad one whose
// runs all passed by chance, (1 - failRate)^runs each; bad is certain.
double confidence(double failRate, int runsPerStep, int goodVerdicts);

}  // namespace klp::bisect
