// An operation sequence as an ordinary case file (cases/README.md): each
// operation a step whose answer (and the lines our modules log) the reference
// model predicts, followed by what a reader must then see. Pure: text out.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "explore/model.h"

namespace klp::explore {

struct CaseHeader {
    std::string title;                 // "" : made from the operations
    std::vector<std::string> comments;  // "# " lines at the top of the file
    std::string seedNote;              // in `seeds:`, e.g. "klp-harness explore --seed 1 sequence 3"
    std::string rule;                  // "" or the rule the case shows broken: its first `seeds:` entry
};

struct GeneratedCase {
    std::string yaml;
    std::map<int, int> lineOp;  // a step's first line in `yaml` (1-based) -> index of its operation in the sequence
    std::vector<std::string> kernelHas;
};

// The case for `ops`, predicted with a fresh Model (bootLoglevel 4). An
// operation whose outcome is a hazard is left out (callers normally pass
// withoutHazards(ops), so none is): its step would expect nothing knowable.
//
// Per operation: an accepted load `load: M` (a target too; `load-nowait: M`
// when the held kthread keeps its transition running), refused `load-fail: M`
// + `errno:`; LoadFailing adds `params:`; an accepted disable / enable
// `disable: P` (`wait: none` while its transition stays in progress) /
// `enable: P`, a refused one `write: /sys/kernel/livepatch/P/enabled` "0"/"1"
// + `errno:`; unload `unload: M` or `unload-fail: M` + `errno:`; `hold:` /
// `release:` (a release that ends a transition is followed by a wait for its
// end: `wait-transition`, or a `run` until the patch's dir is gone, with the
// lines its end logs); items `write: .../items` "1" or "0", `read:
// .../items` with the expected output; each with `log:` the lines our modules
// print, in order. Then: /proc/cmdline (the top patch's output, or
// `expect-re: "console="` for the boot command line), each target touched so
// far (its value, or its sysfs dir absent), the console loglevel once a state
// patch was touched (the documented one, outside transitions), and each patch
// touched so far (`enabled` 1 or 0 and `transition` 1 while in transition, or
// its dir absent). A case never ends with the kthread held: a `release:` closes it.
GeneratedCase toCase(const std::vector<Op>& ops, const CaseHeader& header);

// A YAML double-quoted scalar.
std::string yamlQuote(const std::string& s);

}  // namespace klp::explore
