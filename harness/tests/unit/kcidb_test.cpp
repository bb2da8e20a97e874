// The KCIDB export of a repeated two-arch run (fixtures/repeat-run): what each
// verdict becomes, the ids, the log URLs. That the output is valid against the
// published schema is checked by unit.kcidb_schema (kcidb_validate.sh).
#include <gtest/gtest.h>

#include <set>

#include "report/kcidb.h"
#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
const fs::path run = fs::path(KLP_FIXTURES) / "repeat-run";
const std::string base = "https://ci.example.org/klp/run-1";

report::Json doc() { return report::readResults(run); }
report::Json kcidb(const report::Json& d, const std::string& logBase = "") {
    report::KcidbOptions o;
    o.logBase = logBase;
    return report::toKcidb(d, o);
}
}  // namespace

TEST(Kcidb, OneCheckoutPerKernelOneBuildPerGroupOneTestPerResult) {
    auto k = kcidb(doc());
    EXPECT_EQ(k["version"], (report::Json{{"major", 4}, {"minor", 5}}));
    ASSERT_EQ(k["checkouts"].size(), 2u);
    ASSERT_EQ(k["builds"].size(), 2u);
    ASSERT_EQ(k["tests"].size(), 6u);
    EXPECT_EQ(k["checkouts"][0]["misc"]["kernel"], "debian-6.12");
    EXPECT_EQ(k["checkouts"][0]["start_time"], "2025-11-24T02:00:00Z");
    const auto& ppc = k["builds"][1];
    EXPECT_EQ(ppc["architecture"], "ppc64le");
    EXPECT_EQ(ppc["checkout_id"], k["checkouts"][1]["id"]);
    EXPECT_EQ(ppc["compiler"], "powerpc64le-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0");
    EXPECT_EQ(ppc["config_name"], "own-6.12 (images/config/*.config)");
    EXPECT_EQ(k["builds"][0]["config_name"], "debian-6.12");  // none recorded: the kernel's recipe
    for (const auto& t : k["tests"]) {
        EXPECT_EQ(t["origin"], "klp_harness");
        EXPECT_EQ(std::string(t["id"]).rfind("klp_harness:", 0), 0u);
        EXPECT_FALSE(t.contains("log_url")) << "no --kcidb-log-base: no URLs";
    }
    EXPECT_EQ(k["tests"][3]["build_id"], ppc["id"]);
}

TEST(Kcidb, VerdictsBecomeKcidbStatuses) {
    auto k = kcidb(doc());
    std::vector<std::string> statuses;
    for (const auto& t : k["tests"])
        statuses.push_back(t["status"]);
    // PASS, FLAKY, ERROR with a kernel crash | SKIP, FAIL, MISS.
    EXPECT_EQ(statuses, (std::vector<std::string>{"PASS", "FAIL", "FAIL", "SKIP", "FAIL", "MISS"}));
    const auto& flaky = k["tests"][1];
    EXPECT_EQ(flaky["path"], "livepatch.transition.stack-check-blocks-until-release");
    EXPECT_EQ(flaky["misc"]["verdict"], "FLAKY");
    EXPECT_EQ(flaky["misc"]["flaky"], true);
    EXPECT_EQ(flaky["misc"]["repeat"]["counts"]["FAIL"], 2);
    EXPECT_EQ(flaky["misc"]["attempts"].size(), 5u);
    EXPECT_EQ(flaky["duration"], 63.9);
    EXPECT_EQ(flaky["start_time"], "2025-11-24T02:00:47Z");
    EXPECT_EQ(std::string(flaky["log_excerpt"]).rfind("cases/transition/stack-check-blocks-until-release.yaml:18:", 0), 0u);
    EXPECT_EQ(k["tests"][2]["misc"]["crash"], "Kernel panic - not syncing: klp_fault: requested panic");
    EXPECT_FALSE(k["tests"][0].contains("log_excerpt"));

    auto d = doc();
    d["results"][2]["crash"] = "";  // an ERROR that is no kernel crash (the guest vanished)
    d["results"][0]["verdict"] = "WEIRD";
    auto k2 = kcidb(d);
    EXPECT_EQ(k2["tests"][2]["status"], "ERROR");
    EXPECT_EQ(k2["tests"][0]["status"], "MISS");
}

TEST(Kcidb, IdsAreStableForARunAndDifferBetweenRuns) {
    auto a = kcidb(doc()), b = kcidb(doc());
    EXPECT_EQ(a, b);
    auto later = doc();
    later["run"]["started"] = "2025-11-25T02:00:00Z";
    auto c = kcidb(later);
    EXPECT_NE(a["checkouts"][0]["id"], c["checkouts"][0]["id"]);
    EXPECT_NE(a["tests"][0]["id"], c["tests"][0]["id"]);
    std::set<std::string> ids;
    for (const auto& t : a["tests"])
        ids.insert(t["id"]);
    EXPECT_EQ(ids.size(), 6u);
}

TEST(Kcidb, LogUrlsUnderTheBase) {
    auto k = kcidb(doc(), base + "/");
    const auto& flaky = k["tests"][1];
    std::string dir = base + "/transition/stack-check-blocks-until-release/x86_64_debian-6.12/attempt-2/";
    EXPECT_EQ(flaky["log_url"], dir + "steps.log");
    ASSERT_EQ(flaky["output_files"].size(), 3u);
    EXPECT_EQ(flaky["output_files"][0], (report::Json{{"name", "kernel.log"}, {"url", dir + "kernel.log"}}));
    EXPECT_EQ(flaky["misc"]["attempts"][3]["logs_url"],
              base + "/transition/stack-check-blocks-until-release/x86_64_debian-6.12/attempt-4/");

    auto d = doc();
    d["results"][0]["logs"]["steps"] = "odd name/steps #1.log";
    d["results"][0]["case"] = "odd name/x+y";
    auto odd = kcidb(d, base)["tests"][0];
    EXPECT_EQ(odd["log_url"], base + "/odd%20name/steps%20%231.log");
    EXPECT_EQ(odd["path"], "livepatch.odd_name.x_y");
}

TEST(Kcidb, ExcerptIsBoundedInCharactersAndStaysUtf8) {
    auto d = doc();
    std::string e;
    for (int i = 0; i < 20000; i++)
        e += "\xc3\xa9";  // é: two bytes, one character
    d["results"][4]["detail"] = e;
    auto k = kcidb(d);
    std::string excerpt = k["tests"][4]["log_excerpt"];
    size_t chars = 0;
    for (unsigned char c : excerpt)
        chars += (c & 0xC0) != 0x80;
    EXPECT_EQ(chars, 16384u);
    EXPECT_NO_THROW(k.dump());  // a character cut in half would throw here
}

TEST(Kcidb, BadOriginOrLogBaseIsAUsageError) {
    report::KcidbOptions o;
    o.origin = "klp-harness";  // KCIDB origins have no '-'
    EXPECT_THROW(report::toKcidb(doc(), o), UsageError);
    o.origin = "klp_nightly";
    o.logBase = "ci.example.org/runs";
    EXPECT_THROW(report::toKcidb(doc(), o), UsageError);
}

TEST(Kcidb, ReportCommandWritesItOrSaysWhyNot) {
    test::TempDir tmp;
    fs::copy(run, tmp.path / "run", fs::copy_options::recursive);
    std::string bin = KLP_HARNESS_BIN, dir = (tmp.path / "run").string(), out = (tmp.path / "k.json").string();
    auto r = runProcess({"sh", "-c", bin + " report " + dir + " --kcidb " + out + " --kcidb-origin bad-origin 2>&1"});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_EQ(r.output, "klp-harness: error: --kcidb-origin 'bad-origin': a KCIDB origin is lower-case letters, "
                        "digits and '_'\n");
    EXPECT_FALSE(fs::exists(out));
    r = runProcess({"sh", "-c", bin + " report " + dir + " --kcidb " + out + " 2>&1"});
    EXPECT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find(out + ": 6 tests (KCIDB I/O v4.5)"), std::string::npos) << r.output;
    EXPECT_EQ(report::Json::parse(readFile(out))["tests"].size(), 6u);
}
