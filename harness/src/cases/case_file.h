// Case files: one YAML scenario under cases/<topic>/, read like an upstream
// selftest script. The format is documented in cases/README.md.
#pragma once
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "check/expect.h"

namespace klp::cases {

// A step's value (its verb's own or an option's) as the parser checked it: the
// text and what its kind (cases/verbs.h) reads from it, parsed once, when the
// case is loaded.
struct Value {
    Value() = default;
    // Text alone, typed fields unset: what code that builds a step used to
    // assign (opts["timeout"] = "600"). cases::makeStep checks and reads it instead.
    Value(std::string text) : text(std::move(text)) {}  // NOLINT(google-explicit-constructor)
    std::string text;                 // as written, ${vars} expanded: what messages show
    double seconds = 0;               // Kind::Seconds
    long number = 0;                  // Kind::Integer
    bool flag = false;                // Kind::Boolean
    std::string errnoName;            // Kind::Errno: glibc's name (aliases resolved)
    std::vector<std::string> arches;  // Kind::Arches
};

struct Step {
    std::string verb;                      // "load", "disable", ...
    std::string arg;                       // the verb's own value as written (its default when left out)
    Value argValue;                        // the same, read by its kind
    // Its options, checked and read by its verb's row; options with a default
    // (timeout among them) are always here.
    std::map<std::string, Value> opts;
    std::vector<check::Expectation> log;   // kernel log lines this step must print
    int line = 0;                          // in the case file
    bool has(const std::string& key) const { return opts.count(key) != 0; }
    // An option the verb's row guarantees (required, or with a default). A key
    // it does not is a bug in a run function: std::out_of_range.
    const Value& at(const std::string& key) const { return opts.at(key); }
    // The option's text, or `def` without it.
    std::string opt(const std::string& key, const std::string& def = "") const {
        auto it = opts.find(key);
        return it == opts.end() ? def : it->second.text;
    }
};

// The arches a step's `arch:` option names ("ppc64le" or "x86_64, ppc64le");
// empty: the step runs on every arch.
std::vector<std::string> stepArches(const Step& s);

// A host file a case pushes into the guest before its steps (`files:`).
struct CaseFile {
    std::filesystem::path host;  // resolved against the case file's folder
    std::string guest;           // absolute path in the guest
    int line = 0;
};

struct Case {
    std::filesystem::path file;
    std::string name;                  // path under the cases root, without .yaml
    std::string title;
    std::vector<std::string> seeds;    // seed sections it proves
    std::vector<std::string> arches;   // empty: every arch
    std::string kernelMin;             // e.g. "6.12": SKIP on older kernels
    std::vector<std::string> kernelHas;  // image/kernel_features.h names: SKIP on kernels without
    std::string expectCrash;           // a crash kind the case provokes on purpose
    std::string compare;               // the scenario it shares with cases for other APIs
    // `machine:` (cpus 1..64, memory 128..65536 MiB): what the case needs of its
    // guest, over the run's --cpus/--memory. 0: the run's.
    int cpus = 0, memory = 0;
    std::vector<Step> steps;
    std::vector<check::Expectation> log;  // over the whole case's kernel log
    std::vector<CaseFile> files;
    std::map<std::string, std::string> vars;  // `vars:` as resolved (defaults, then --var)
    // Generated work (a kernel selftest script, ...) sets these; case files keep the defaults.
    bool observe = true;  // livepatch dynamic debug and klp-watch in the guest (they add kernel log lines)
    std::string repro;    // the command that re-runs this case ("": `repro` with its file)
};

// What a case may name besides the fixed vocabulary (verbs, arches, errno
// names): checked when it is loaded, so a typo is a file:line error, never a
// vacuous verdict or a SKIP forever.
struct CaseNames {
    std::set<std::string> modules;  // module (and patch) names steps may use
    // `run --var NAME=VALUE`: a value for the `vars:` of every case declaring NAME.
    std::map<std::string, std::string> vars;
    // `list`: a var with no value reads "<NAME>" instead of being an error.
    bool unsetVarsOk = false;
};

// Our catalog's modules (guest/modules/Kbuild).
CaseNames ourCaseNames();

// Parses one case file. Any problem is a UsageError "<file>:<line>: <what>".
// Module names are checked against `names` when given (a step may also name a
// guest path with a '/', which is not checked).
Case parseCase(const std::filesystem::path& file, const std::string& name, const CaseNames* names = nullptr);

// The same for text already read; `file` names it in messages.
Case parseCaseText(const std::string& text, const std::filesystem::path& file, const std::string& name,
                   const CaseNames* names = nullptr);

// Every *.yaml under each path (a file or a folder, recursively), sorted by name.
// Names are relative to the folder given (or the file's own folder).
std::vector<Case> loadCases(const std::vector<std::string>& paths, const CaseNames& names = ourCaseNames());

}  // namespace klp::cases
