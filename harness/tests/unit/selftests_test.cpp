// Judging the kernel's livepatch selftest scripts from their output: a passing
// run recorded from debian-6.12, and a failing one in the exact form
// functions.sh's check_result prints (no kernel here fails one for real).
#include <gtest/gtest.h>

#include "selftests/judge.h"
#include "util/files.h"

using namespace klp;
using klp::cases::Verdict;

namespace {
std::string fixture(const std::string& name) { return readFile(std::string(KLP_FIXTURES) + "/selftests/" + name); }
}  // namespace

TEST(SelftestJudge, ExitZeroPassesWithEachTest) {
    auto j = selftests::judgeScript(0, fixture("test-livepatch-pass.txt"));
    EXPECT_EQ(j.verdict, Verdict::Pass);
    EXPECT_EQ(j.reason, "");
    ASSERT_EQ(j.tests.size(), 3u);
    EXPECT_EQ(j.tests[0].name, "basic function patching");
    EXPECT_TRUE(j.tests[0].ok);
    EXPECT_EQ(j.tests[0].line, 1);
    EXPECT_EQ(j.tests[2].name, "atomic replace livepatch");
}

TEST(SelftestJudge, DiffGivesTheFirstDifferingLines) {
    auto j = selftests::judgeScript(1, fixture("test-fail-diff.txt"));
    EXPECT_EQ(j.verdict, Verdict::Fail);
    EXPECT_EQ(j.reason, "TEST: multiple target modules: expected \"test_klp_callbacks_busy: busymod_work_func exit\", "
                        "got \"% insmod test_modules/test_klp_callbacks_demo.ko\"");
    EXPECT_NE(j.detail.find("--- expected"), std::string::npos);
    EXPECT_EQ(j.detail.find("ERROR: livepatch kselftest"), std::string::npos);  // the diff only
}

TEST(SelftestJudge, ExtraAndMissingLines) {
    std::string head = "TEST: x ... not ok\n\n--- expected\n+++ result\n@@ -1,2 +1,2 @@\n a\n";
    auto j = selftests::judgeScript(1, head + "+livepatch: extra\n b\n\nERROR: livepatch kselftest(s) failed\n");
    EXPECT_EQ(j.reason, "TEST: x: unexpected \"livepatch: extra\" before \"b\"");
    j = selftests::judgeScript(1, head + "-b\n\nERROR: livepatch kselftest(s) failed\n");
    EXPECT_EQ(j.reason, "TEST: x: missing \"b\" at the end");
}

TEST(SelftestJudge, ScriptThatDiesNamesItsError) {
    // die() before check_result: no diff, the ERROR line says why.
    std::string out = "TEST: busy target module ... ERROR: failed to stall transition\n";
    auto j = selftests::judgeScript(1, out);
    EXPECT_EQ(j.verdict, Verdict::Fail);
    EXPECT_EQ(j.reason, "TEST: busy target module: ERROR: failed to stall transition");
    ASSERT_EQ(j.tests.size(), 1u);
    EXPECT_FALSE(j.tests[0].ok);
}

TEST(SelftestJudge, ExitFourIsKselftestSkip) {
    auto j = selftests::judgeScript(4, "SKIP: failed to set kernel.ftrace_enabled = 1\n");
    EXPECT_EQ(j.verdict, Verdict::Skip);
    EXPECT_EQ(j.reason, "SKIP: failed to set kernel.ftrace_enabled = 1");
    j = selftests::judgeScript(4, "skip all tests: KDIR (/lib/modules/x/build) not available to compile modules.\n");
    EXPECT_EQ(j.verdict, Verdict::Skip);
    EXPECT_EQ(j.reason.rfind("skip all tests: KDIR", 0), 0u);
}

TEST(SelftestJudge, OtherExitCodesFailWithoutOutput) {
    auto j = selftests::judgeScript(127, "");
    EXPECT_EQ(j.verdict, Verdict::Fail);
    EXPECT_EQ(j.reason, "exit code 127");
}

TEST(SelftestJudge, TestProgsFromTheMakefile) {
    std::string mk = "# SPDX\nTEST_GEN_FILES := test_klp-call_getpid\nTEST_PROGS_EXTENDED := functions.sh\n"
                     "TEST_PROGS := \\\n\ttest-livepatch.sh \\\n\ttest-callbacks.sh \\\n\ttest-syscall.sh\n\n"
                     "TEST_FILES := settings\ninclude ../lib.mk\n";
    EXPECT_EQ(selftests::testProgs(mk),
              (std::vector<std::string>{"test-livepatch.sh", "test-callbacks.sh", "test-syscall.sh"}));
    EXPECT_TRUE(selftests::testProgs("TEST_FILES := settings\n").empty());
}
