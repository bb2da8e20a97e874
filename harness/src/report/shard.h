// Splitting a run's matrix over several machines (`run --shard I/N`), balanced
// by the durations a previous run recorded, and deterministic: every shard
// computes the same split on its own, with nothing shared but the inputs.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "report/results.h"

namespace klp::report {

// One case on one (arch, kernel): what a guest runs.
struct WorkUnit {
    std::string caseName, arch, kernel;
};

// "case|arch|kernel": how durations are keyed.
std::string unitKey(const WorkUnit& u);

// Seconds per unit ("case|arch|kernel") from a results.json document.
std::map<std::string, double> durationsFrom(const Json& resultsDoc);

// Deterministic split of `units` (in run order) into `count` shards; returns the
// units of shard `index` (1-based), in their original order. Longest first, each
// onto the least-loaded shard (ties: the lower shard number, then the earlier
// unit). A unit without a known duration counts as the median of the known ones,
// or 1.0 when none is known (then the split is round-robin). Throws UsageError
// for an index outside 1..count.
std::vector<WorkUnit> shardUnits(const std::vector<WorkUnit>& units, int index, int count,
                                 const std::map<std::string, double>& durations);

struct ShardSpec {
    int index = 1, count = 1;
};
// "2/5" -> {2, 5}. Throws UsageError naming the text for anything else (0/3,
// 4/3, x, 1/0, " 1/2").
ShardSpec parseShard(const std::string& text);

}  // namespace klp::report
