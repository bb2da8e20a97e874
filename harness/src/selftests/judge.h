// Judging one of the kernel's livepatch selftest scripts from what it printed:
// pure (no guest), so it is tested on recorded output.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "cases/verdict.h"

namespace klp::selftests {

// One "TEST: <name> ... ok" line of a script (functions.sh's start_test and
// check_result).
struct ScriptTest {
    std::string name;
    bool ok = false;
    int line = 0;         // 1-based, in the script's output
    std::string message;  // what followed "... " when it is not "ok"
};

struct Judgement {
    cases::Verdict verdict = cases::Verdict::Fail;
    std::string reason;  // one line: why not PASS
    std::string detail;  // the script's own expected-vs-result diff, or its last lines
    std::vector<ScriptTest> tests;
};

// kselftest's verdicts: exit 0 PASS, 4 SKIP, anything else FAIL, with the first
// differing lines of the script's own diff (or its ERROR line) as the reason.
// `output` is stdout and stderr in the order they came.
Judgement judgeScript(int exitCode, std::string_view output);

// The scripts a selftest Makefile runs (TEST_PROGS, in order).
std::vector<std::string> testProgs(std::string_view makefile);

}  // namespace klp::selftests
