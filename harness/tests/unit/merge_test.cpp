// `merge`: two shard runs of one matrix (fixtures/shards/1 and 2, split
// round-robin from fixtures/repeat-run) give back the unsharded run.
#include <gtest/gtest.h>

#include <tuple>

#include "cli/merge.h"
#include "report/results.h"
#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
const fs::path fixtures = KLP_FIXTURES;
const std::string shard1 = (fixtures / "shards/1").string(), shard2 = (fixtures / "shards/2").string();

using Unit = std::tuple<std::string, std::string, std::string, std::string>;  // case, arch, kernel, verdict
std::vector<Unit> units(const report::Json& doc) {
    std::vector<Unit> out;
    for (const auto& r : doc["results"])
        out.emplace_back(r["case"], r["arch"], r["kernel"], r["verdict"]);
    return out;
}

// A copy of a shard whose results lost a key (or whose run did).
std::string without(const test::TempDir& tmp, const std::string& shard, const std::string& name,
                    const std::string& resultKey, const std::string& runKey = "") {
    fs::path dir = tmp.path / name;
    fs::create_directories(dir);
    auto doc = report::readResults(shard);
    for (auto& r : doc["results"])
        r.erase(resultKey);
    if (!runKey.empty())
        doc["run"].erase(runKey);
    writeFile(dir / "results.json", doc.dump());
    return dir.string();
}
}  // namespace

TEST(Merge, TwoShardsGiveTheUnshardedRun) {
    test::TempDir tmp;
    fs::path out = tmp.path / "merged";
    testing::internal::CaptureStdout();
    EXPECT_EQ(cli::mergeRuns({shard1, shard2}, out.string()), 0);
    EXPECT_NE(testing::internal::GetCapturedStdout().find("merged 6 results from 2 runs"), std::string::npos);
    auto merged = report::readResults(out), whole = report::readResults(fixtures / "repeat-run");
    EXPECT_EQ(units(merged), units(whole));  // the same results, in the unsharded run's order
    EXPECT_EQ(merged["kernels"].size(), 2u);
    EXPECT_EQ(merged["kernels"][0]["name"], "debian-6.12");  // the first shard's kernels first
    const auto& run = merged["run"];
    EXPECT_EQ(run["merged_from"], (report::Json{shard1, shard2}));
    EXPECT_EQ(run["host"], "nightly-1");
    EXPECT_EQ(run["started"], "2025-11-24T01:59:58Z");   // the earliest shard's start
    EXPECT_EQ(run["finished"], "2025-11-24T02:05:12Z");  // the latest shard's end
    EXPECT_FALSE(run.contains("shard")) << "the merged run is no shard";
    for (const char* f : {"results.ktap", "junit.xml", "report.html"})
        EXPECT_TRUE(fs::exists(out / f)) << f;
    // Each result's logs, at the same relative paths: the case dir, and the attempts' dirs.
    std::string s = "state/new-state-allowed/x86_64_debian-6.12/";
    std::string t = "transition/stack-check-blocks-until-release/x86_64_debian-6.12/";
    EXPECT_EQ(readFile(out / (s + "kernel.log")), readFile(fixtures / "shards/1" / (s + "kernel.log")));
    for (const std::string& f : {s + "steps.log", s + "attempt-1/steps.log", t + "attempt-2/kernel.log", t + "attempt-4/steps.log"})
        EXPECT_TRUE(fs::is_regular_file(out / f)) << f;
}

TEST(Merge, WithoutOrderKeysByGroupThenCaseName) {
    test::TempDir tmp;
    std::string a = without(tmp, shard1, "a", "order"), b = without(tmp, shard2, "b", "order", "finished");
    testing::internal::CaptureStdout();
    cli::mergeRuns({a, b}, (tmp.path / "m").string());
    testing::internal::GetCapturedStdout();
    auto merged = report::readResults(tmp.path / "m");
    std::vector<std::string> got;
    for (const auto& r : merged["results"])
        got.push_back(std::string(r["arch"]) + " " + std::string(r["case"]));
    EXPECT_EQ(got, (std::vector<std::string>{"x86_64 faults/panic", "x86_64 state/new-state-allowed",
                                             "x86_64 transition/stack-check-blocks-until-release", "ppc64le faults/panic",
                                             "ppc64le state/new-state-allowed",
                                             "ppc64le transition/stack-check-blocks-until-release"}));
    EXPECT_FALSE(merged["run"].contains("finished")) << "a shard was interrupted: so is the merged run";
}

TEST(Merge, OverlappingShardsAreRefusedNamingBoth) {
    test::TempDir tmp;
    std::string copy = without(tmp, shard1, "copy", "nothing");
    try {
        cli::mergeRuns({shard1, shard2, copy}, (tmp.path / "m").string());
        ADD_FAILURE() << "merged overlapping shards";
    } catch (const UsageError& e) {
        std::string msg = e.what();
        EXPECT_EQ(msg, "merge: x86_64/debian-6.12 state/new-state-allowed is in both " + shard1 + " and " + copy +
                           " (shards of one run never overlap)");
    }
    EXPECT_FALSE(fs::exists(tmp.path / "m" / "results.json"));
    EXPECT_THROW(cli::mergeRuns({shard1, copy}, copy), UsageError) << "--out is one of the inputs";
}

TEST(Merge, FromTheCommandLine) {
    test::TempDir tmp;
    auto r = runProcess({KLP_HARNESS_BIN, "merge", "--out", (tmp.path / "m").string(), shard1, shard2});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_EQ(report::readResults(tmp.path / "m")["results"].size(), 6u);
    r = runProcess({"sh", "-c", std::string(KLP_HARNESS_BIN) + " merge --out " + (tmp.path / "n").string() + " " +
                                    shard1 + " " + shard1 + " 2>&1"});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_EQ(r.output.rfind("klp-harness: error: merge: ", 0), 0u) << r.output;
}
