// The step verbs as one typed table. A row says what the verb's value and each
// option is (a kind whose validator runs when the case is loaded, so a typo is a
// file:line error, never a vacuous verdict), documents the verb and runs it.
// The parser, the run plan, `list --verbs` and the table in cases/README.md
// (`list --verbs --markdown`) all read this table: adding a verb is adding a row
// and its run function in verbs.cpp.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cases/case_file.h"
#include "guest/connection.h"

namespace klp::cases {

// The guest's whole kernel log, one /dev/kmsg record a line, kept by
// `klp-kmsg follow` (guest/tools/klp-kmsg.c) from the start of every case.
inline constexpr const char* kKernelLogFile = "/tmp/klp-kmsg.log";

struct StepContext {
    guest::Connection& guest;
    std::chrono::seconds timeout;  // the step's timeout (stepTimeout)
};

// What a step did: ok, or a failure message (the kernel did not do what the case expects).
struct StepOutcome {
    bool ok = true;
    std::string message;
    std::vector<std::pair<std::string, bool>> subtests;  // ktap: (description, ok)
    bool stuck = false;  // it waited out its timeout (a transition that never ends): dump the tasks
    bool skip = false;   // not applicable here (kselftest's exit 4): the message says why
    std::string output;  // what the step printed, for steps.log ("" for most verbs)
};

// What kind of value a verb's argument or an option holds. Each kind has a
// validator (it fills the typed fields of Value) and a name for the docs.
enum class Kind {
    None,           // the verb takes no value
    Module,         // a module's name (ours or a --module's), or a path in the guest
    Livepatch,      // a livepatch module's name (its directory under /sys/kernel/livepatch)
    Path,           // an absolute path in the guest
    Task,           // a task name as /proc/<pid>/comm shows it (the kernel keeps 15 characters)
    Signal,         // a signal name as `kill -NAME` takes it: TERM, STOP, CONT, ...
    Command,        // a guest shell command
    Text,           // any text
    Symbol,         // a kernel function's name
    Seconds,        // a number of seconds (fractions allowed) in [lo, hi]: Value::seconds
    Integer,        // a whole number in [lo, hi]: Value::number
    Errno,          // an errno name (EINVAL): Value::errnoName, aliases resolved by canonicalErrno
    Arches,         // an arch or a comma separated list of them: Value::arches
    KernelVersion,  // major.minor, e.g. 6.12
    Regex,          // RE2 syntax, checked by compiling it
    Word,           // one of `words`
    Boolean,        // true or false: Value::flag
};

struct ValueSpec {
    Kind kind = Kind::None;
    double lo = 0, hi = 0;           // Seconds, Integer
    std::vector<std::string> words;  // Word
    // For the docs: "module", "0..255", "`none` or `gone`", ...
    std::string describe() const;
};

// One option of a verb (or of every verb, commonOptions).
struct Option {
    std::string name;
    ValueSpec value;
    std::string def;        // the default, checked like a written value ("": none)
    bool required = false;  // the step must give it
    std::string doc;        // one line
};

struct Verb {
    std::string name;
    // The verb's own value ("- load: klp_basic"): its name is the placeholder the
    // docs show (`<module>`); a Kind::None arg means the verb takes none. Without
    // `required` the step may leave it empty (then `def`, when there is one).
    Option arg;
    std::vector<Option> options;  // its own; commonOptions() come on top
    int defaultTimeout = 60;      // seconds
    std::string doc;              // one line for `list --verbs` and the README
    std::function<StepOutcome(const Step&, StepContext&)> run;
    // The step acts on a livepatch's sysfs dir, so a --module that is no livepatch
    // cannot be its value (cli/run_plan.cpp refuses it before booting).
    bool needsLivepatch() const { return arg.value.kind == Kind::Livepatch; }
    // Its own options, then the common ones, `timeout` defaulting to defaultTimeout.
    std::vector<Option> allOptions() const;
};

const std::vector<Verb>& verbs();
const Verb* findVerb(const std::string& name);

// Options every step takes besides its verb's own (and `log`): timeout, kernel-min, arch, comment.
const std::vector<Option>& commonOptions();

// Checks `text` as a value of `spec` and reads it: the Value the steps use. Throws
// std::invalid_argument with the problem ("exit must be a number") naming the
// value `subject` ("exit", or for a verb's own value the verb). `names` checks
// module names (nullptr: any name).
Value parseValue(const ValueSpec& spec, const std::string& text, const std::string& subject, bool isArg,
                 const CaseNames* names);

// Checks a step against its verb's row and reads it, as the parser and makeStep
// do: s.arg (the verb's value as written, "" when left out) and `texts` (its
// options as written) in; s.arg's default, s.argValue and s.opts (with the
// options' defaults) out. A problem goes to `bad`, which must throw: `key` names
// the option that is wrong, the verb's name its value, "" the step as a whole.
void readStep(const Verb& v, Step& s, const std::map<std::string, std::string>& texts, const CaseNames* names,
              const std::function<void(const std::string& key, const std::string& what)>& bad);

// A step made in code (a generated case), checked by its verb's row as the
// parser checks a written one: UsageError "what" on a bad value.
Step makeStep(const std::string& verb, const std::string& arg, const std::map<std::string, std::string>& options);

// The step's timeout: its `timeout` option (whole seconds, rounded up), else its verb's default.
std::chrono::seconds stepTimeout(const Step& s);

// Why the step does not run on this arch and kernel ("only on ppc64le", "needs
// kernel 6.12"); empty when it runs.
std::string stepSkipReason(const Step& s, const std::string& arch, const std::string& kernelRelease);

// `list --verbs`: a line per verb, an indented line per option.
std::string verbsText();
// `list --verbs --markdown`: the tables in cases/README.md.
std::string verbsMarkdown();

// The errno name steps compare with the kernel's answer: "EINVAL" -> "EINVAL",
// aliases ("EWOULDBLOCK") -> their glibc name. UsageError for an unknown name.
std::string canonicalErrno(const std::string& name);

// "6.12.117+deb12-cloud-amd64" >= "6.12"? (major.minor comparison)
bool kernelAtLeast(const std::string& release, const std::string& min);

}  // namespace klp::cases
