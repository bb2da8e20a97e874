// Our module catalog, built for each kernel: every patch module is a livepatch.
// (What the modules do in a guest is proven by the YAML cases under cases/ and
// harness/tests/cases/, run by the catalog.* and cli.* tests: one home per scenario.)
#include <gtest/gtest.h>

#include "guest_fixture.h"
#include "testbed/testbed.h"
#include "util/process.h"

using namespace klp;

class Modules : public ::testing::TestWithParam<std::string> {};

TEST_P(Modules, EveryPatchSaysLivepatchYes) {
    testbed::Testbed bed{testbed::Options{}};
    auto set = bed.modules(bed.kernel(test::kernelOf(GetParam()), test::archOf(GetParam())));
    int patches = 0;
    for (const auto& ko : set.modules) {
        std::string name = ko.stem();
        auto info = runProcess({"modinfo", "-F", "livepatch", ko.string()});
        bool isPatch = name != "klp_target" && name != "klp_target2" && name != "klp_elf_target" && name != "klp_fault" &&
                       name != "klp_shadow_api";
        EXPECT_EQ(info.output, isPatch ? "Y\n" : "") << name;
        patches += isPatch;
    }
    EXPECT_GE(patches, 16);
}

INSTANTIATE_TEST_SUITE_P(X86, Modules, test::x86Kernels(), test::paramName);
INSTANTIATE_TEST_SUITE_P(Ppc64le, Modules, test::ppc64leKernels(), test::paramName);
