// The one way a unit of work becomes a verdict. Every kind of work — case
// files, the kernel's selftest scripts, generated sequences — arrives as
// cases::Case in a RunPlan; the executor gets the kernels and modules, spreads
// the units over parallel guests and libvirt hosts, repeats them, folds the
// attempts (FLAKY), prints a verdict line per unit with its repro command, and
// writes results.json and every report.
#pragma once
#include "cli/run_cases.h"
#include "cli/run_plan.h"
#include "report/results.h"

namespace klp::cli {

// Runs `plan` (made by planRun, or by another kind of work with planUnits) as
// `a` says: jobs, hosts, repeat, until-fail, cold boot, strict, out, cache and
// machine. `meta`: what the kind of work adds to results.json's run metadata.
// Exit code: 0 all PASS/SKIP, 1 any FAIL/ERROR/FLAKY (with strict: any
// unexpected verdict), 2 a MISS. Throws UsageError for bad --host values and
// for kernels or modules that cannot be had (before any case runs).
int execute(RunPlan& plan, const RunArgs& a, const report::Json& meta = report::Json::object());

}  // namespace klp::cli
