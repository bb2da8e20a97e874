// Case file parsing: a good file becomes steps; a bad one is one line naming file:line.
#include <gtest/gtest.h>

#include <filesystem>

#include "cases/case_file.h"
#include "cases/verbs.h"
#include "util/error.h"
#include "temp_dir.h"
#include "util/files.h"

using namespace klp;
namespace fs = std::filesystem;

namespace {
struct CaseDir {
    test::TempDir tmp;
    const fs::path& dir = tmp.path;
    fs::path write(const std::string& name, const std::string& text) {
        writeFile(dir / name, text);
        return dir / name;
    }
    std::string error(const std::string& text) {
        try {
            cases::parseCase(write("c.yaml", text), "c");
        } catch (const UsageError& e) {
            return e.what();
        }
        return "no error";
    }
};
}  // namespace

TEST(CaseFile, ParsesStepsOptionsAndExpectations) {
    CaseDir d;
    auto c = cases::parseCase(d.write("c.yaml",
                                      "title: t\n"
                                      "seeds: [\"system-state.rst §2\"]\n"
                                      "requires:\n  kernel-min: \"6.12\"\n"
                                      "steps:\n"
                                      "  - load: klp_target\n"
                                      "    params: hold=1\n"
                                      "  - disable: klp_busy\n"
                                      "    log:\n"
                                      "      - \"reversing transition\"\n"
                                      "      - re: \"v\\\\d\"\n"
                                      "      - not: Oops\n"
                                      "  - hold:\n"
                                      "log:\n  - not-re: \"BUG\"\n"),
                              "c");
    EXPECT_EQ(c.title, "t");
    ASSERT_EQ(c.seeds.size(), 1u);
    EXPECT_EQ(c.kernelMin, "6.12");
    ASSERT_EQ(c.steps.size(), 3u);
    EXPECT_EQ(c.steps[0].verb, "load");
    EXPECT_EQ(c.steps[0].arg, "klp_target");
    EXPECT_EQ(c.steps[0].opt("params"), "hold=1");
    EXPECT_EQ(c.steps[0].line, 6);
    ASSERT_EQ(c.steps[1].log.size(), 3u);
    EXPECT_EQ(c.steps[1].log[1].kind, check::Expectation::Regex);
    EXPECT_EQ(c.steps[1].log[1].text, "v\\d");
    EXPECT_EQ(c.steps[1].log[2].kind, check::Expectation::NotContains);
    EXPECT_EQ(c.steps[1].log[0].sourceLine, 10);
    EXPECT_EQ(c.steps[2].verb, "hold");
    EXPECT_TRUE(cases::stepArches(c.steps[2]).empty());
    ASSERT_EQ(c.log.size(), 1u);
    EXPECT_EQ(c.log[0].kind, check::Expectation::NotRegex);
}

TEST(CaseFile, ErrorsNameFileAndLine) {
    CaseDir d;
    std::string file = (d.dir / "c.yaml").string();
    EXPECT_EQ(d.error("title: t\nsteps:\n  - lod: x\n").rfind(file + ":3: step without a known verb", 0), 0u);
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: x\n    parms: y\n"),
              file + ":4: 'load' has no option 'parms' (allowed: params, arch, comment, kernel-min, timeout, log)");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: x\n    arch: ppc64\n"),
              file + ":4: unknown arch 'ppc64' in 'arch' (x86_64, ppc64le)");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: x\n    arch: \",\"\n"), file + ":4: 'arch' names no arch (x86_64, ppc64le)");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load-fail: x\n"), file + ":3: 'load-fail' needs 'errno'");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load:\n"), file + ":3: 'load' needs a module ('- load: <module>')");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: x\n    log:\n      - re: \"(\"\n").rfind(file + ":5: bad regex", 0), 0u);
    EXPECT_EQ(d.error("title: t\nstep:\n  - load: x\n").rfind(file + ":2: unknown key 'step'", 0), 0u);
    EXPECT_EQ(d.error("steps:\n  - load: x\n"), file + ":1: the case has no title");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: [x\n").rfind(file + ":", 0), 0u);
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: x\n    timeout: soon\n"),
              file + ":4: timeout must be a positive number of seconds");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - load: x\n    unload: y\n").rfind(file + ":4: one step has two verbs", 0), 0u);
}

TEST(CaseFile, StepArchesAreAListOrOne) {
    CaseDir d;
    auto c = cases::parseCase(d.write("c.yaml", "title: t\nsteps:\n"
                                                "  - hold:\n    arch: ppc64le\n"
                                                "  - hold:\n    arch: x86_64, ppc64le\n"),
                              "c");
    EXPECT_EQ(cases::stepArches(c.steps[0]), std::vector<std::string>{"ppc64le"});
    EXPECT_EQ(cases::stepArches(c.steps[1]), (std::vector<std::string>{"x86_64", "ppc64le"}));
}

TEST(CaseFile, MachineSetsCpusAndMemoryOrLeavesTheRuns) {
    CaseDir d;
    auto both = cases::parseCase(d.write("c.yaml", "title: t\nmachine: {cpus: 2, memory: 256}\nsteps:\n  - hold:\n"), "c");
    EXPECT_EQ(both.cpus, 2);
    EXPECT_EQ(both.memory, 256);
    auto one = cases::parseCase(d.write("c.yaml", "title: t\nmachine:\n  cpus: 64\nsteps:\n  - hold:\n"), "c");
    EXPECT_EQ(one.cpus, 64);
    EXPECT_EQ(one.memory, 0);  // the run's --memory
    auto none = cases::parseCase(d.write("c.yaml", "title: t\nsteps:\n  - hold:\n"), "c");
    EXPECT_EQ(none.cpus, 0);
    EXPECT_EQ(none.memory, 0);
}

TEST(CaseFile, MachineErrorsNameFileAndLine) {
    CaseDir d;
    std::string file = (d.dir / "c.yaml").string();
    const std::string steps = "steps:\n  - hold:\n";
    EXPECT_EQ(d.error("title: t\nmachine:\n  cpus: 0\n" + steps), file + ":3: 'cpus' must be 1..64 (got 0)");
    EXPECT_EQ(d.error("title: t\nmachine:\n  cpus: 65\n" + steps), file + ":3: 'cpus' must be 1..64 (got 65)");
    EXPECT_EQ(d.error("title: t\nmachine:\n  memory: 127\n" + steps), file + ":3: 'memory' must be 128..65536 (got 127)");
    EXPECT_EQ(d.error("title: t\nmachine:\n  memory: 65537\n" + steps),
              file + ":3: 'memory' must be 128..65536 (got 65537)");
    EXPECT_EQ(d.error("title: t\nmachine:\n  cpus: two\n" + steps), file + ":3: 'cpus' must be a whole number");
    EXPECT_EQ(d.error("title: t\nmachine:\n  cpus: 1.5\n" + steps), file + ":3: 'cpus' must be a whole number");
    EXPECT_EQ(d.error("title: t\nmachine:\n  memory: [256]\n" + steps), file + ":3: 'memory' must be a whole number");
    EXPECT_EQ(d.error("title: t\nmachine:\n  cpus: 2\n  disk: 1\n" + steps),
              file + ":4: unknown machine key 'disk' (cpus, memory)");
    EXPECT_EQ(d.error("title: t\nmachine: 2\n" + steps), file + ":2: 'machine' takes cpus: and/or memory: (MiB)");
    EXPECT_EQ(d.error("title: t\nmachine:\n" + steps), file + ":2: 'machine' takes cpus: and/or memory: (MiB)");
}

TEST(CaseFile, VarsExpandEverywhereAndRunVarsWin) {
    CaseDir d;
    d.write("blob.txt", "x");
    auto file = d.write("c.yaml",
                        "title: patch ${PATCH}\n"
                        "vars:\n  PATCH: klp_basic\n  WHERE: /tmp/w\n"
                        "files:\n  blob.txt: ${WHERE}/blob.txt\n"
                        "steps:\n"
                        "  - load: ${PATCH}\n"
                        "    log:\n      - \"'${PATCH}': patching complete\"\n"
                        "  - run: echo $${HOME} ${WHERE}\n"
                        "    expect: ${WHERE}\n");
    auto c = cases::parseCase(file, "c", nullptr);
    EXPECT_EQ(c.title, "patch klp_basic");
    EXPECT_EQ(c.steps[0].arg, "klp_basic");
    EXPECT_EQ(c.steps[0].log[0].text, "'klp_basic': patching complete");
    EXPECT_EQ(c.steps[1].arg, "echo ${HOME} /tmp/w");  // $${ is the shell's own ${
    EXPECT_EQ(c.steps[1].opt("expect"), "/tmp/w");
    ASSERT_EQ(c.files.size(), 1u);
    EXPECT_EQ(c.files[0].host, d.dir / "blob.txt");
    EXPECT_EQ(c.files[0].guest, "/tmp/w/blob.txt");
    EXPECT_EQ(c.files[0].line, 6);

    cases::CaseNames names = cases::ourCaseNames();
    names.vars["PATCH"] = "klp_stack_a";  // run --var PATCH=klp_stack_a
    auto over = cases::parseCase(file, "c", &names);
    EXPECT_EQ(over.steps[0].arg, "klp_stack_a");
    EXPECT_EQ(over.vars.at("PATCH"), "klp_stack_a");
    EXPECT_EQ(over.vars.at("WHERE"), "/tmp/w");
}

TEST(CaseFile, VarsAndFilesErrorsNameFileAndLine) {
    CaseDir d;
    std::string file = (d.dir / "c.yaml").string();
    EXPECT_EQ(d.error("title: t\nsteps:\n  - run: echo ${NOPE}\n"),
              file + ":3: unknown variable ${NOPE} (the case declares no vars:; $${ for a literal ${)");
    EXPECT_EQ(d.error("title: t\nvars:\n  A: 1\nsteps:\n  - run: echo ${B}\n"),
              file + ":5: unknown variable ${B} (vars: A; $${ for a literal ${)");
    EXPECT_EQ(d.error("title: t\nsteps:\n  - run: echo ${1x}\n"),
              file + ":3: bad variable reference '${1x}' (use ${NAME}; $${ for a literal ${)");
    EXPECT_EQ(d.error("title: t\nvars:\n  PATCH: ~\nsteps:\n  - load: ${PATCH}\n"),
              file + ":3: variable PATCH has no value: give run --var PATCH=VALUE");
    EXPECT_EQ(d.error("title: t\nvars:\n  bad-name: 1\nsteps:\n  - hold:\n"),
              file + ":3: variable name 'bad-name' is not a NAME (letters, digits, _)");
    EXPECT_EQ(d.error("title: t\nvars: [A]\nsteps:\n  - hold:\n"),
              file + ":2: 'vars' maps NAME: default value (~ for none: then run --var NAME=VALUE gives it)");
    EXPECT_EQ(d.error("title: t\nfiles:\n  missing.bin: /tmp/m\nsteps:\n  - hold:\n"),
              file + ":3: files: no such host file 'missing.bin' (" + (d.dir / "missing.bin").string() + ")");
    d.write("here.bin", "x");
    EXPECT_EQ(d.error("title: t\nfiles:\n  here.bin: tmp/m\nsteps:\n  - hold:\n"),
              file + ":3: files: the guest path 'tmp/m' must be absolute");
    // A var with no value is listed (klp-harness list) as <NAME>.
    cases::CaseNames listing = cases::ourCaseNames();
    listing.unsetVarsOk = true;
    auto c = cases::parseCase(d.write("l.yaml", "title: t\nvars:\n  PATCH: ~\nsteps:\n  - load: ${PATCH}\n"), "l",
                              &listing);
    EXPECT_EQ(c.steps[0].arg, "<PATCH>");
}

TEST(CaseFile, LoadsFoldersSortedAndNamedFromTheCasesRoot) {
    CaseDir d;
    fs::create_directories(d.dir / "cases" / "b");
    fs::create_directories(d.dir / "cases" / "a");
    d.write("cases/b/two.yaml", "title: two\nsteps:\n  - load: klp_basic\n");
    d.write("cases/a/one.yaml", "title: one\nsteps:\n  - load: klp_basic\n");
    d.write("cases/a/notes.txt", "not a case");
    auto all = cases::loadCases({(d.dir / "cases" / "a").string(), (d.dir / "cases").string()});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].name, "a/one");
    EXPECT_EQ(all[1].name, "a/one");
    EXPECT_EQ(all[2].name, "b/two");
    EXPECT_THROW(cases::loadCases({(d.dir / "nope").string()}), UsageError);
}

TEST(CaseFile, TheProjectCatalogParses) {
    auto all = cases::loadCases({std::string(KLP_SOURCE_DIR) + "/cases"});
    EXPECT_GE(all.size(), 25u);
    for (const auto& c : all)
        EXPECT_FALSE(c.seeds.empty()) << c.name << " names no seed section";
}

TEST(Verbs, KernelVersionComparison) {
    EXPECT_TRUE(cases::kernelAtLeast("6.12.117+deb12-cloud-amd64", "6.12"));
    EXPECT_FALSE(cases::kernelAtLeast("6.1.0-56-cloud-amd64", "6.12"));
    EXPECT_TRUE(cases::kernelAtLeast("6.1.0-56-cloud-amd64", "6.1"));
    EXPECT_TRUE(cases::kernelAtLeast("7.0.1", "6.14"));
}
