// A run as KCIDB I/O data (the Linux kernel CI results database's submission
// format, schema v4.5 of kernelci/kcidb-io), rendered from results.json alone:
// one checkout per kernel, one build per (arch, kernel), one test per result.
#pragma once
#include <filesystem>
#include <string>

#include "report/results.h"

namespace klp::report {

constexpr int kKcidbMajor = 4, kKcidbMinor = 5;

struct KcidbOptions {
    // The CI system's name, first part of every id. KCIDB origins match [a-z0-9_]+
    // (no '-'), hence not "klp-harness".
    std::string origin = "klp_harness";
    // The URL the run's output dir is published under (logs are then
    // <logBase>/<path in results.json>); "" leaves log URLs out, since a local path
    // is no URL a KCIDB reader could fetch.
    std::string logBase;
};

// Throws UsageError for an origin KCIDB refuses or a log base that is no URL.
Json toKcidb(const Json& doc, const KcidbOptions& options);

// toKcidb of <runDir>/results.json, written (atomically) to `file`; returns the
// number of tests written.
size_t writeKcidb(const std::filesystem::path& runDir, const std::filesystem::path& file, const KcidbOptions& options);

}  // namespace klp::report
