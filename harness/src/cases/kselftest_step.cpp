#include "cases/kselftest_step.h"

#include "selftests/judge.h"
#include "util/error.h"

namespace klp::cases {

StepOutcome runKselftest(const Step& s, StepContext& c) {
    auto r = c.guest.exec(s.arg, c.timeout);
    if (r.timedOut)  // an ERROR with the stuck-task dump, like any step that never returns
        throw TimeoutError("`" + s.arg + "` did not finish within " + std::to_string(c.timeout.count()) + " s");
    selftests::Judgement j = selftests::judgeScript(r.exitCode, r.out + r.err);
    StepOutcome o;
    o.output = r.out + r.err;
    for (const auto& t : j.tests)
        o.subtests.emplace_back(t.name, t.ok);
    if (j.verdict == Verdict::Skip) {
        o.skip = true;
        o.message = j.reason;
    } else if (j.verdict != Verdict::Pass) {
        o.ok = false;
        o.message = j.reason + (j.detail.empty() ? "" : "\n" + j.detail);
    }
    return o;
}

}  // namespace klp::cases
