// Sharding a run's (case, arch, kernel) units: every unit in exactly one shard,
// in run order, balanced by recorded durations, the same split on every machine.
#include <gtest/gtest.h>

#include <algorithm>

#include "report/shard.h"
#include "util/error.h"

using namespace klp;
using report::WorkUnit;

namespace {

std::vector<WorkUnit> units(int n) {
    std::vector<WorkUnit> out;
    for (int i = 0; i < n; i++)
        out.push_back({"case-" + std::to_string(i), i % 2 ? "ppc64le" : "x86_64", i % 3 ? "own-6.12" : "debian-6.1"});
    return out;
}

// Deterministic pseudo-random durations (0.5 .. 300 s), for `known` of every 4 units.
std::map<std::string, double> durations(const std::vector<WorkUnit>& us, int known) {
    std::map<std::string, double> d;
    unsigned x = 12345;
    for (size_t i = 0; i < us.size(); i++) {
        x = x * 1103515245u + 12345u;
        if (static_cast<int>(i % 4) < known)
            d[report::unitKey(us[i])] = 0.5 + (x >> 8) % 3000 / 10.0;
    }
    return d;
}

// The weight shardUnits is documented to give each unit.
std::vector<double> weights(const std::vector<WorkUnit>& us, const std::map<std::string, double>& d) {
    std::vector<double> known, w;
    for (const auto& u : us)
        if (d.count(report::unitKey(u)))
            known.push_back(d.at(report::unitKey(u)));
    std::sort(known.begin(), known.end());
    size_t n = known.size();
    double median = n == 0 ? 1.0 : n % 2 ? known[n / 2] : (known[n / 2 - 1] + known[n / 2]) / 2;
    for (const auto& u : us)
        w.push_back(d.count(report::unitKey(u)) ? d.at(report::unitKey(u)) : median);
    return w;
}

std::vector<std::string> names(const std::vector<WorkUnit>& us) {
    std::vector<std::string> out;
    for (const auto& u : us)
        out.push_back(u.caseName);
    return out;
}

}  // namespace

TEST(Shard, EveryUnitInExactlyOneShardInRunOrderAndBalanced) {
    for (int size : {0, 1, 2, 5, 13, 40})
        for (int known : {0, 1, 3, 4})
            for (int n = 1; n <= 7; n++) {
                auto us = units(size);
                auto d = durations(us, known);
                auto w = weights(us, d);
                double total = 0, biggest = 0;
                for (double x : w) {
                    total += x;
                    biggest = std::max(biggest, x);
                }
                std::map<std::string, int> seen;
                for (int s = 1; s <= n; s++) {
                    auto part = report::shardUnits(us, s, n, d);
                    EXPECT_EQ(names(part), names(report::shardUnits(us, s, n, d))) << "not deterministic";
                    double load = 0;
                    long prev = -1;
                    for (const auto& u : part) {
                        seen[u.caseName]++;
                        long at = std::stol(u.caseName.substr(5));
                        EXPECT_GT(at, prev) << "out of run order in shard " << s;
                        prev = at;
                        load += w[at];
                    }
                    EXPECT_LE(load, total / n + biggest + 1e-9)
                        << "shard " << s << "/" << n << " of " << size << " units, " << known << "/4 known";
                }
                EXPECT_EQ(seen.size(), us.size());
                for (const auto& [name, times] : seen)
                    EXPECT_EQ(times, 1) << name;
            }
}

TEST(Shard, WithoutDurationsItIsRoundRobin) {
    auto us = units(7);
    EXPECT_EQ(names(report::shardUnits(us, 1, 3, {})), (std::vector<std::string>{"case-0", "case-3", "case-6"}));
    EXPECT_EQ(names(report::shardUnits(us, 3, 3, {})), (std::vector<std::string>{"case-2", "case-5"}));
    EXPECT_TRUE(report::shardUnits(units(2), 3, 3, {}).empty());
}

TEST(Shard, LongestFirstAndUnknownUnitsCountAsTheMedian) {
    std::vector<WorkUnit> us = {{"a", "x86_64", "k"}, {"b", "x86_64", "k"}, {"c", "x86_64", "k"},
                                {"d", "x86_64", "k"}, {"e", "x86_64", "k"}};
    // b is unknown: the median of 10, 1, 1, 9 is 5, so b is the third longest.
    std::map<std::string, double> d = {{"a|x86_64|k", 10}, {"c|x86_64|k", 1}, {"d|x86_64|k", 1}, {"e|x86_64|k", 9}};
    EXPECT_EQ(names(report::shardUnits(us, 1, 2, d)), (std::vector<std::string>{"a", "c", "d"}));
    EXPECT_EQ(names(report::shardUnits(us, 2, 2, d)), (std::vector<std::string>{"b", "e"}));
    // The same durations inserted in another order: the same split.
    std::map<std::string, double> reversed;
    for (auto it = d.rbegin(); it != d.rend(); ++it)
        reversed.insert(*it);
    EXPECT_EQ(names(report::shardUnits(us, 1, 2, reversed)), (std::vector<std::string>{"a", "c", "d"}));
}

TEST(Shard, DurationsFromAResultsDocument) {
    report::Json doc = {{"results",
                         {{{"case", "state/a"}, {"arch", "x86_64"}, {"kernel", "debian-6.1"}, {"seconds", 12.5}},
                          {{"case", "state/b"}, {"arch", "ppc64le"}, {"kernel", "own-6.1"}},
                          {{"case", "state/c"}, {"arch", "ppc64le"}, {"kernel", "own-6.1"}, {"seconds", 3.0}}}}};
    auto d = report::durationsFrom(doc);
    EXPECT_EQ(d, (std::map<std::string, double>{{"state/a|x86_64|debian-6.1", 12.5}, {"state/c|ppc64le|own-6.1", 3.0}}));
}

TEST(Shard, ParseShard) {
    auto s = report::parseShard("2/5");
    EXPECT_EQ(s.index, 2);
    EXPECT_EQ(s.count, 5);
    EXPECT_EQ(report::parseShard("1/1").count, 1);
    const std::pair<const char*, const char*> bad[] = {
        {"0/3", "the index runs from 1 to 3"}, {"4/3", "the index runs from 1 to 3"},
        {"-1/3", "the index runs from 1 to 3"}, {"1/0", "the count must be at least 1"},
        {"x", "expected INDEX/COUNT"}, {"", "expected INDEX/COUNT"}, {"1/", "expected INDEX/COUNT"},
        {"/2", "expected INDEX/COUNT"}, {" 1/2", "expected INDEX/COUNT"}, {"1/2 ", "expected INDEX/COUNT"},
        {"1//2", "expected INDEX/COUNT"}, {"1.5/2", "expected INDEX/COUNT"}, {"99999999999/2", "expected INDEX/COUNT"},
    };
    for (const auto& [text, why] : bad) {
        try {
            report::parseShard(text);
            ADD_FAILURE() << "accepted: '" << text << "'";
        } catch (const UsageError& e) {
            EXPECT_EQ(std::string(e.what()), std::string("--shard ") + text + ": " + why +
                                                 (std::string(why) == "expected INDEX/COUNT" ? ", e.g. 2/5 (the second of five shards)" : ""));
        }
    }
    EXPECT_THROW(report::shardUnits(units(3), 0, 2, {}), UsageError);
}
