#include "selftests/cases.h"

#include <fnmatch.h>

#include <filesystem>

#include "cases/verbs.h"

namespace klp::selftests {
namespace fs = std::filesystem;

namespace {
std::string stem(const std::string& script) { return fs::path(script).stem().string(); }
}  // namespace

bool scriptSelected(const std::string& script, const std::vector<std::string>& globs) {
    if (globs.empty())
        return true;
    for (const auto& g : globs)
        for (const std::string& name : {"selftests/" + stem(script), stem(script), script})
            if (fnmatch(g.c_str(), name.c_str(), 0) == 0)
                return true;
    return false;
}

std::vector<cases::Case> scriptCases(const Payload& p, const Source& src, const std::vector<std::string>& scripts,
                                     int timeoutSeconds, const std::string& repro) {
    std::vector<cases::Case> out;
    for (const auto& script : scripts) {
        cases::Case c;
        c.file = src.tree / "tools/testing/selftests/livepatch" / script;
        c.name = "selftests/" + stem(script);
        c.title = "tools/testing/selftests/livepatch/" + script;
        c.seeds = {"kernel selftest (" + src.origin + ")"};
        // The scripts compare the kernel log's livepatch lines: no transition
        // debug lines of ours among them.
        c.observe = false;
        c.repro = repro + " --filter " + c.name;
        // has_kdir (newer functions.sh) wants a kbuild dir to exist only to be
        // sure the modules could be built: they were, on the host, and are here.
        std::string command = std::string("cd ") + kGuestDir + " && " +
                              (p.layout == "test_modules" ? std::string("KDIR=") + kGuestDir + "/test_modules " : "") +
                              "./" + script + " 2>&1";
        cases::Step s = cases::makeStep("kselftest", command, {{"timeout", std::to_string(timeoutSeconds)}});
        c.steps.push_back(std::move(s));
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace klp::selftests
