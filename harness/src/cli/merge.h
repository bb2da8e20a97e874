// `klp-harness merge --out OUT DIR...`: the shard runs of one matrix (`run
// --shard I/N` on several machines) joined into one run dir, as if one run had
// done them all: results.json, the logs, and every report rendered anew.
#pragma once
#include <string>
#include <vector>

namespace klp::cli {

// Reads each DIR/results.json, refuses a (case, arch, kernel) that two dirs both
// ran (UsageError naming both), and writes OUT: the joined kernels and results,
// each result's logs linked (or copied across filesystems) at the same relative
// paths, results.json and the reports. Results are in matrix order: by their
// "order" key when every result has one, else by (arch, kernel) group in order of
// first appearance across the dirs, then case name. Returns the exit code (0).
int mergeRuns(const std::vector<std::string>& dirs, const std::string& out);

}  // namespace klp::cli
