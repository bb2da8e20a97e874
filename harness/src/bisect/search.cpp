#include "bisect/search.h"

#include <algorithm>
#include <cmath>

namespace klp::bisect {

Outcome judge(int runs, int failures, bool untestable) {
    if (untestable || runs == 0)
        return Outcome::Skip;
    return failures > 0 ? Outcome::Bad : Outcome::Good;
}

int runsFor(double failRate, double confidence, int cap) {
    if (failRate >= 1.0)
        return 1;
    if (failRate <= 0.0)
        return cap;
    int n = int(std::ceil(std::log(1.0 - confidence) / std::log(1.0 - failRate)));
    return std::clamp(n, 1, cap);
}

Search::Search(int n) : good_(0), bad_(n - 1), skipped_(size_t(std::max(n, 0)), false) {}

std::optional<int> Search::next() const {
    const int mid = good_ + (bad_ - good_) / 2;
    std::optional<int> best;
    for (int v = good_ + 1; v < bad_; ++v)
        if (!skipped_[size_t(v)] && (!best || std::abs(v - mid) < std::abs(*best - mid)))
            best = v;
    return best;
}

void Search::record(int version, Outcome outcome) {
    if (version <= good_ || version >= bad_)
        return;  // outside what is left: nothing to learn
    if (outcome == Outcome::Good)
        good_ = version;
    else if (outcome == Outcome::Bad)
        bad_ = version;
    else
        skipped_[size_t(version)] = true;
}

std::vector<int> Search::undecided() const {
    std::vector<int> out;
    for (int v = good_ + 1; v < bad_; ++v)
        if (skipped_[size_t(v)])
            out.push_back(v);
    return out;
}

double confidence(double failRate, int runsPerStep, int goodVerdicts) {
    const double missed = std::pow(1.0 - std::clamp(failRate, 0.0, 1.0), runsPerStep);
    return std::pow(1.0 - missed, goodVerdicts);
}

}  // namespace klp::bisect
