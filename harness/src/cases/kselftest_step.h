// The `kselftest` step: runs a kselftest-style script in the guest and judges it
// as kselftest's runner does (exit 0 PASS, 4 SKIP, anything else FAIL with the
// script's own expected-vs-result diff). The kernel's livepatch selftests run
// as generated cases made of this one step.
#pragma once
#include "cases/verbs.h"

namespace klp::cases {

StepOutcome runKselftest(const Step& s, StepContext& c);

}  // namespace klp::cases
