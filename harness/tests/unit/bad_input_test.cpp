// Bad input, table-driven: every malformed case file, unknown name and bad
// kernel gives a one-line error naming the file and line (exit 2), before any
// guest boots; never a crash, a hang or a vacuous verdict later.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "temp_dir.h"
#include "util/files.h"
#include "util/process.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
struct BadCase {
    const char* name;
    std::string text;   // the case file
    const char* error;  // the message after "<file>:"
};

// gtest prints a parameter with this instead of its bytes.
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

const std::string head = "title: t\nseeds: [s]\n";

// Each text is a case file; `error` must follow "<file>:" in the one-line message.
std::vector<BadCase> badCases() {
    return {
        {"not_yaml", "title: [unclosed\n", "2: end of sequence flow not found"},
        {"tab_indent", head + "steps:\n\t- load: klp_basic\n", "4: illegal block entry"},
        {"not_a_mapping", "- load: klp_basic\n", "1: a case file is a mapping"},
        {"no_title", "seeds: [s]\nsteps:\n  - load: klp_basic\n", "1: the case has no title"},
        {"no_steps", head, "1: the case has no steps"},
        {"empty_steps", head + "steps: []\n", "3: 'steps' must be a non-empty list"},
        {"unknown_key", head + "stepz:\n  - load: klp_basic\n", "3: unknown key 'stepz'"},
        {"unknown_verb", head + "steps:\n  - lod: klp_basic\n", "4: step without a known verb"},
        {"two_verbs", head + "steps:\n  - load: klp_basic\n    unload: klp_basic\n", "5: one step has two verbs"},
        {"unknown_option", head + "steps:\n  - load: klp_basic\n    parms: x=1\n", "5: 'load' has no option 'parms'"},
        {"missing_option", head + "steps:\n  - write: /proc/x\n", "4: 'write' needs 'value'"},
        {"missing_arg", head + "steps:\n  - load:\n", "4: 'load' needs a module"},
        {"list_as_value", head + "steps:\n  - load: [a, b]\n", "4: 'load' must be a single value"},
        {"map_as_key", head + "steps:\n  - {[a]: 1}\n", "4: a key must be a plain word"},
        {"step_not_mapping", head + "steps:\n  - load klp_basic\n", "4: a step is a mapping"},
        {"unknown_module", head + "steps:\n  - load-fail: klp_typo\n    errno: ENOENT\n", "4: unknown module 'klp_typo'"},
        {"unknown_patch", head + "steps:\n  - disable: klp_basik\n", "4: unknown module 'klp_basik'"},
        {"unknown_errno", head + "steps:\n  - load-fail: klp_basic\n    errno: EWHAT\n", "5: unknown errno 'EWHAT'"},
        {"errno_number", head + "steps:\n  - load-fail: klp_basic\n    errno: 22\n", "5: unknown errno '22'"},
        {"unknown_arch_requires", head + "requires:\n  arch: x86-64\nsteps:\n  - load: klp_basic\n",
         "4: unknown arch 'x86-64' in 'requires: arch'"},
        {"unknown_arch_step", head + "steps:\n  - load: klp_basic\n    arch: ppc64\n", "5: unknown arch 'ppc64'"},
        {"bad_kernel_min", head + "requires:\n  kernel-min: six\nsteps:\n  - load: klp_basic\n",
         "4: kernel-min 'six' is not a version"},
        {"bad_step_kernel_min", head + "steps:\n  - load: klp_basic\n    kernel-min: 6\n", "5: kernel-min '6' is not"},
        {"unknown_requirement", head + "requires:\n  memory: 1\nsteps:\n  - load: klp_basic\n",
         "4: unknown requirement 'memory'"},
        {"unknown_kernel_feature", head + "requires:\n  kernel-has: [state-versions]\nsteps:\n  - load: klp_basic\n",
         "4: unknown kernel feature 'state-versions' (state-version, state-callbacks, object-callbacks)"},
        {"bad_regex", head + "steps:\n  - load: klp_basic\n    log:\n      - re: \"(unclosed\"\n", "6: bad regex"},
        {"bad_expect_re", head + "steps:\n  - run: \"true\"\n    expect-re: \"a{2,1}\"\n", "5: bad regex"},
        {"bad_expectation", head + "steps:\n  - load: klp_basic\n    log:\n      - maybe: x\n",
         "6: unknown log expectation 'maybe'"},
        {"bad_sleep", head + "steps:\n  - sleep: soon\n", "4: sleep takes a number"},
        // A value's error names the value's own line.
        {"bad_timeout", head + "steps:\n  - load: klp_basic\n    timeout: -1\n", "5: timeout must be a positive"},
        {"bad_exit", head + "steps:\n  - run: \"true\"\n    exit: zero\n", "5: exit must be a number"},
        {"exit_out_of_range", head + "steps:\n  - run: \"true\"\n    exit: 256\n", "5: exit must be 0..255 (got 256)"},
        {"bad_wait", head + "steps:\n  - disable: klp_basic\n    wait: never\n", "5: wait must be gone or none (got 'never')"},
        {"bad_boolean", head + "steps:\n  - expect-sysfs: /sys/x\n    absent: yes\n",
         "5: absent must be true or false (got 'yes')"},
        {"bad_signal", head + "steps:\n  - signal: SIGTERM\n    task: klp-spin\n", "4: unknown signal 'SIGTERM'"},
        {"task_name_too_long", head + "steps:\n  - expect-patch-state: klp_target_busy_x\n    value: \"0\"\n",
         "4: expect-patch-state takes a task name of 1 to 15 characters"},
        {"bad_patch_state", head + "steps:\n  - expect-patch-state: cat\n    value: \"2\"\n",
         "5: value must be -1, 0 or 1 (got '2')"},
        {"relative_path", head + "steps:\n  - read: proc/version\n", "4: read takes an absolute path in the guest"},
        {"bad_function", head + "steps:\n  - expect-blocked: klp_basic\n    task: cat\n    function: \"a b\"\n",
         "6: function must be a function name (got 'a b')"},
        {"unknown_crash_kind", head + "expect-crash: WARN\nsteps:\n  - load: klp_basic\n",
         "3: unknown crash kind 'WARN' in 'expect-crash' (stack-protector, panic, "},
        {"binary_garbage", std::string("\x00\xff\xfe title\x01: \x02\n", 12), ""},
        {"deep_nesting", head + "steps:\n  - load: " + std::string(5000, '[') + "\n", ""},
    };
}

ProcessResult cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"sh", "-c", "\"$@\" 2>&1", "sh", KLP_HARNESS_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, {}, std::chrono::seconds(60));
}

// One line, "klp-harness: error: <file>:<error>...", exit 2.
void expectOneLineError(const ProcessResult& r, const std::string& file, const std::string& error) {
    EXPECT_EQ(r.exitCode, 2) << r.output;
    ASSERT_FALSE(r.output.empty());
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "not one line:\n" << r.output;
    EXPECT_EQ(r.output.rfind("klp-harness: error: " + file + ":" + error, 0), 0u) << r.output;
}
}  // namespace

class BadCaseFile : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadCaseFile, ListAndRunGiveOneLineWithFileAndLine) {
    test::TempDir dir;
    fs::path file = dir.path / (std::string(GetParam().name) + ".yaml");
    writeFile(file, GetParam().text);
    expectOneLineError(cli({"list", file.string()}), file.string(), GetParam().error);
    // `run` checks the same before anything else: no kernel fetch, no boot.
    expectOneLineError(cli({"run", "--cache-dir", (dir.path / "cache").string(), "--kernel", "debian-6.1",
                            file.string()}),
                       file.string(), GetParam().error);
    EXPECT_FALSE(fs::exists(dir.path / "cache" / "kernels"));
}

INSTANTIATE_TEST_SUITE_P(Table, BadCaseFile, ::testing::ValuesIn(badCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(BadInput, HugeCaseFileIsRefusedByItsSize) {
    test::TempDir dir;
    fs::path file = dir.path / "huge.yaml";
    writeFile(file, head + "steps:\n" + std::string(2 << 20, '#'));
    expectOneLineError(cli({"list", file.string()}), file.string(), " 2097");
}

TEST(BadInput, ExpectSkipOfAnUnknownCase) {
    test::TempDir dir;
    writeFile(dir.path / "ok.yaml", head + "steps:\n  - load: klp_basic\n");
    auto r = cli({"run", "--cache-dir", (dir.path / "cache").string(), "--strict", "--expect-skip", "nope",
                  "--kernel", "debian-6.1", dir.path.string()});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("--expect-skip nope: no such case"), std::string::npos) << r.output;
}

TEST(BadInput, FilterThatMatchesNothing) {
    test::TempDir dir;
    writeFile(dir.path / "ok.yaml", head + "steps:\n  - load: klp_basic\n");
    auto r = cli({"run", "--cache-dir", (dir.path / "cache").string(), "--filter", "state/*", "--kernel",
                  "debian-6.1", dir.path.string()});
    EXPECT_EQ(r.exitCode, 2);
    EXPECT_NE(r.output.find("--filter matches no case"), std::string::npos) << r.output;
}

TEST(BadInput, KernelFileOfAnotherArchOrNoKernelAtAll) {
    test::TempDir dir;
    writeFile(dir.path / "not-a-kernel", "hello");
    auto r = cli({"exec", "--cache-dir", (dir.path / "cache").string(), "--kernel",
                  (dir.path / "not-a-kernel").string(), "--", "true"});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << r.output;
    EXPECT_NE(r.output.find((dir.path / "not-a-kernel").string()), std::string::npos) << r.output;
    r = cli({"exec", "--cache-dir", (dir.path / "cache").string(), "--kernel", dir.path.string(), "--", "true"});
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("a build tree without"), std::string::npos) << r.output;
}
