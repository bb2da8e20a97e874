// The verb table: typed values parsed once from each row, the row's defaults,
// what the run plan asks of a row, and the README's tables generated from it.
#include <gtest/gtest.h>

#include <algorithm>

#include "cases/case_file.h"
#include "cases/verbs.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;

namespace {
cases::Case parse(const std::string& text) {
    return cases::parseCaseText(text, "c.yaml", "c", nullptr);
}
}  // namespace

TEST(VerbTable, ValuesAreReadOnceByTheirKind) {
    auto c = parse("title: t\nsteps:\n"
                   "  - run: exit 3\n    exit: 3\n"
                   "  - sleep: 0.5\n"
                   "  - load-fail: klp_basic\n    errno: EWOULDBLOCK\n"
                   "  - expect-sysfs: /sys/x\n    absent: true\n    arch: x86_64, ppc64le\n    timeout: 1.5\n"
                   "  - hold:\n"
                   "  - load: klp_basic\n    kernel-min: \"6.12\"\n");
    EXPECT_EQ(c.steps[0].at("exit").number, 3);
    EXPECT_DOUBLE_EQ(c.steps[1].argValue.seconds, 0.5);
    EXPECT_EQ(c.steps[2].at("errno").errnoName, "EAGAIN");
    EXPECT_EQ(c.steps[2].at("errno").text, "EWOULDBLOCK");  // messages show it as written
    EXPECT_TRUE(c.steps[3].at("absent").flag);
    EXPECT_FALSE(c.steps[3].at("unreadable").flag);  // the row's default
    EXPECT_EQ(cases::stepArches(c.steps[3]), (std::vector<std::string>{"x86_64", "ppc64le"}));
    EXPECT_EQ(cases::stepTimeout(c.steps[3]), std::chrono::seconds(2));  // rounded up
    EXPECT_EQ(c.steps[4].arg, "klp_target");                              // hold's default target
    EXPECT_EQ(cases::stepTimeout(c.steps[5]), std::chrono::seconds(60));  // load's default
    EXPECT_EQ(c.steps[5].opt("timeout"), "60");                           // as the runner reads it today
    EXPECT_EQ(cases::stepSkipReason(c.steps[3], "x86_64", "6.1.0-25-cloud-amd64"), "");
    EXPECT_EQ(cases::stepSkipReason(c.steps[5], "x86_64", "6.1.0-25-cloud-amd64"), "needs kernel 6.12");
    EXPECT_EQ(cases::stepSkipReason(c.steps[5], "x86_64", "6.12.57+deb12-cloud-amd64"), "");
}

TEST(VerbTable, EveryDefaultIsAValueOfItsKind) {
    for (const auto& v : cases::verbs()) {
        for (const auto& o : v.allOptions()) {
            if (!o.def.empty()) {
                EXPECT_NO_THROW(cases::parseValue(o.value, o.def, o.name, false, nullptr)) << v.name << " " << o.name;
            }
        }
        if (!v.arg.def.empty()) {
            EXPECT_NO_THROW(cases::parseValue(v.arg.value, v.arg.def, v.name, true, nullptr)) << v.name;
        }
        EXPECT_FALSE(v.doc.empty()) << v.name;
        EXPECT_TRUE(v.run) << v.name;
    }
}

TEST(VerbTable, StepsMadeInCodeAreCheckedByTheirRow) {
    auto s = cases::makeStep("kselftest", "./test-state.sh", {{"timeout", "900"}});
    EXPECT_EQ(cases::stepTimeout(s), std::chrono::seconds(900));
    EXPECT_THROW(cases::makeStep("kselftest", "./x.sh", {{"timeout", "soon"}}), UsageError);
    EXPECT_THROW(cases::makeStep("load-fail", "klp_basic", {}), UsageError);  // errno is required
    EXPECT_THROW(cases::makeStep("lod", "klp_basic", {}), UsageError);
}

TEST(VerbTable, TheStepsThatNeedALivepatchAreThoseOnItsSysfsDir) {
    std::vector<std::string> need;
    for (const auto& v : cases::verbs())
        if (v.needsLivepatch())
            need.push_back(v.name);
    EXPECT_EQ(need, (std::vector<std::string>{"enable", "disable", "wait-transition", "force", "expect-blocked"}));
}

TEST(VerbTable, ExpectCrashNamesAKindTheClassifierReports) {
    EXPECT_EQ(parse("title: t\nexpect-crash: WARNING\nsteps:\n  - hold:\n").expectCrash, "WARNING");
    EXPECT_EQ(parse("title: t\nexpect-crash: general protection fault\nsteps:\n  - hold:\n").expectCrash,
              "general protection fault");
    EXPECT_THROW(parse("title: t\nexpect-crash: Oops\nsteps:\n  - hold:\n"), UsageError);
}

// cases/README.md holds `list --verbs --markdown` between its markers: a verb or
// option added to the table without the README fails here.
TEST(VerbTable, TheReadmeTablesAreTheGeneratedOnes) {
    std::string readme = readFile(std::string(KLP_SOURCE_DIR) + "/cases/README.md");
    const std::string begin = "<!-- generated: klp-harness list --verbs --markdown -->\n", end = "<!-- end of generated -->";
    auto from = readme.find(begin), to = readme.find(end);
    ASSERT_NE(from, std::string::npos);
    ASSERT_NE(to, std::string::npos);
    EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()), cases::verbsMarkdown())
        << "regenerate: klp-harness list --verbs --markdown, into cases/README.md between the markers";
}

TEST(VerbTable, ListVerbsMarkdownPrintsTheTables) {
    auto r = runProcess({KLP_HARNESS_BIN, "list", "--verbs", "--markdown"});
    EXPECT_EQ(r.exitCode, 0);
    EXPECT_EQ(r.output, cases::verbsMarkdown());
    auto text = runProcess({KLP_HARNESS_BIN, "list", "--verbs"});
    EXPECT_EQ(text.output, cases::verbsText());
    for (const auto& v : cases::verbs())
        EXPECT_NE(("\n" + text.output).find("\n" + v.name + " "), std::string::npos) << v.name;
}
