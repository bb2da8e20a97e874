// The step verbs: each one's options, documentation and how it runs in a guest.
#pragma once
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cases/case_file.h"
#include "guest/ssh_session.h"

namespace klp::cases {

struct StepContext {
    guest::SshSession& ssh;
    std::chrono::seconds timeout;  // the step's timeout (option `timeout`, else the verb's default)
};

// What a step did: ok, or a failure message (the kernel did not do what the case expects).
struct StepOutcome {
    bool ok = true;
    std::string message;
    std::vector<std::pair<std::string, bool>> subtests;  // ktap: (description, ok)
    bool stuck = false;  // it waited out its timeout (a transition that never ends): dump the tasks
};

struct Verb {
    std::string name;
    std::string argName;                 // what the verb's value is ("module", "path", ...)
    std::set<std::string> required;      // options that must be present
    std::set<std::string> optional;      // other allowed options
    int defaultTimeout = 60;             // seconds
    std::string doc;                     // one line for `list --verbs` and the README
    std::function<StepOutcome(const Step&, StepContext&)> run;
};

const std::vector<Verb>& verbs();
const Verb* findVerb(const std::string& name);

// Options every step accepts besides its verb's own.
const std::set<std::string>& commonOptions();

// The errno name steps compare with the kernel's answer: "EINVAL" -> "EINVAL",
// aliases ("EWOULDBLOCK") -> their glibc name. UsageError for an unknown name.
std::string canonicalErrno(const std::string& name);

// "6.12.117+deb12-cloud-amd64" >= "6.12"? (major.minor comparison)
bool kernelAtLeast(const std::string& release, const std::string& min);

}  // namespace klp::cases
