#include "image/klp_patch.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "image/recipe.h"
#include "image/suite.h"
#include "util/error.h"
#include "util/file_lock.h"
#include "util/files.h"
#include "util/process.h"
#include "util/progress.h"
#include "vm/arch.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

// The whole kernel once, then patched rebuilds: bounded like a kernel build.
constexpr auto kKlpBuildLimit = std::chrono::hours(3);

// `s` as one word for sh: in single quotes, each ' as '\''.
std::string quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

bool configHas(const fs::path& config, const std::string& line) {
    std::ifstream in(config);
    for (std::string l; std::getline(in, l);)
        if (l == line)
            return true;
    return false;
}

// The source tree klp-build runs in, for kernel `k` (images/klp-tree.sh).
fs::path klpTree(const KernelImage& k, Cache& cache) {
    const vm::ArchProfile& profile = vm::archProfile(k.arch);
    const Recipe recipe("klp-tree.sh", {{"KLP_KARCH", profile.kbuildArch}, {"KLP_CROSS_COMPILE", profile.crossCompile}});
    KeyHasher key;
    key.add("source", k.sourceSpec).addFile("config", k.config);
    recipe.addTo(key);
    const std::string label = k.name + "-" + k.arch + "_" + k.sourceSpec.substr(k.sourceSpec.find('=') + 1);
    return cache.get("klp-trees", label, key.hex(), [&](const fs::path& dir) {
        progress("preparing a source tree of " + k.name + " for klp-build (once per kernel)");
        std::vector<std::string> env;
        if (!k.suite.empty())
            env.push_back(Suite(k.suite, cache).aptConfigEnv());
        fs::path log = cache.dir() / "logs" / ("klp-tree-" + k.name + "-" + k.arch + ".log");
        fs::create_directories(log.parent_path());
        runChecked(recipe.command({dir.string(), k.sourceSpec, k.config.string()}, env), log,
                   [](std::string_view l) { progress(l); }, std::chrono::minutes(30));
    }) / "src";
}

// `patch --dry-run`'s first failure as "PATCH:LINE: what", or "" when it applies.
std::string applyFailure(const fs::path& tree, const fs::path& patch) {
    auto r = runMerged({"patch", "-p1", "--dry-run", "--batch", "--force", "-d", tree.string(), "-i",
                        fs::absolute(patch).string()},
                       std::chrono::minutes(2));
    if (r.exitCode == 0)
        return "";
    const std::string text = readFile(patch);
    std::istringstream in(r.output);
    static const std::regex checking(R"(^(?:checking|patching) file (\S+))"), hunk(R"(^Hunk #(\d+) FAILED at (\d+))"),
        missing(R"(^can't find file to patch)");
    std::string file;
    std::smatch m;
    for (std::string l; std::getline(in, l);) {
        if (std::regex_search(l, m, checking))
            file = m[1];
        else if (std::regex_search(l, m, hunk)) {
            int n = std::stoi(m[1]);
            return patch.string() + ":" + std::to_string(std::max(1, hunkLine(text, file, n))) + ": hunk " + m[1].str() +
                   " of " + file + " does not apply (at line " + m[2].str() + " of the kernel's " + file + ")";
        } else if (std::regex_search(l, missing))
            return patch.string() + ":1: a file it patches is not in the kernel's source" +
                   (file.empty() ? std::string() : " (" + file + ")");
    }
    return patch.string() + ": does not apply: " + r.output.substr(0, r.output.find('\n'));
}

// klp-build's reason for failing, from its log: its "error: klp-build: ..." line,
// else a compiler's "file:line: error:" line, else the log's last line.
std::string klpBuildFailure(const fs::path& log, const fs::path& patch) {
    const std::string patchPrefix = fs::absolute(patch).string() + ": ";
    std::ifstream in(log);
    std::string own, compiler, last;
    static const std::regex ccError(R"(^\S+:\d+:\d+: (fatal )?error: )");
    for (std::string l; std::getline(in, l);) {
        if (l.empty())
            continue;
        last = l;
        if (l.find("error: klp-build: ") != std::string::npos && own.empty())
            own = l.substr(l.find("klp-build: ") + 11);
        if (own.rfind(patchPrefix, 0) == 0)  // said once, by us
            own = own.substr(patchPrefix.size());
        else if (compiler.empty() && std::regex_search(l, ccError))
            compiler = l;
    }
    if (!compiler.empty())
        return "the patched kernel does not compile: " + compiler;
    if (!own.empty())
        return "klp-build refused it: " + own;
    return "klp-build failed: " + last;
}

}  // namespace

int hunkLine(const std::string& patchText, const std::string& file, int hunk) {
    std::istringstream in(patchText);
    int lineNo = 0, seen = 0;
    bool inFile = false;
    for (std::string l; std::getline(in, l);) {
        ++lineNo;
        if (l.rfind("+++ ", 0) == 0) {
            std::string path = l.substr(4);
            path = path.substr(0, path.find('\t'));
            if (path.find('/') != std::string::npos)
                path = path.substr(path.find('/') + 1);  // -p1
            inFile = path == file;
            seen = 0;
        } else if (inFile && l.rfind("@@ ", 0) == 0 && ++seen == hunk) {
            return lineNo;
        }
    }
    return 0;
}

namespace {
// The file klp-build writes in the tree's root (its set_module_name):
// livepatch-<stem>, alphanumerics, '_' and '-' only, 55 characters at most.
std::string klpBuildFileName(const fs::path& patch) {
    std::string n = "livepatch-" + patch.stem().string();
    for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
            c = '-';
    return n.substr(0, 55);
}
}  // namespace

std::string patchModuleName(const fs::path& patch) {
    std::string n = klpBuildFileName(patch);
    std::replace(n.begin(), n.end(), '-', '_');  // kbuild's KBUILD_MODNAME
    return n;
}

void checkPatchFile(const fs::path& patch) {
    std::error_code ec;
    if (!fs::is_regular_file(patch, ec))
        throw UsageError("--patch " + patch.string() + ": no such file");
    std::string text;
    try {
        text = readFile(patch);
    } catch (const std::exception&) {
        throw UsageError("--patch " + patch.string() + ": cannot read it");
    }
    if (text.find("\n+++ ") == std::string::npos && text.rfind("+++ ", 0) != 0)
        throw UsageError(patch.string() + ":1: not a unified diff (no '+++ ' file header)");
    if (text.find("\n@@ ") == std::string::npos)
        throw UsageError(patch.string() + ":1: a unified diff without hunks ('@@' lines)");
}

void checkPatchUsable(const KernelImage& k, const fs::path& patch) {
    checkPatchFile(patch);
    if (k.sourceSpec.empty())
        throw UsageError("--patch " + patch.string() + ": kernel " + k.name +
                         " is not built from source here; --patch needs one whose entry has debian-source: and "
                         "klp-build: true (own-7.2)");
    if (!configHas(k.config, "CONFIG_KLP_BUILD=y"))
        throw UsageError("--patch " + patch.string() + ": not supported on " + k.arch + " by the kernel's klp-build (" +
                         k.name + " has no CONFIG_KLP_BUILD: it needs HAVE_KLP_BUILD, x86_64 only in 7.2)");
}

PatchModule patchModule(const KernelImage& k, const fs::path& patch, Cache& cache) {
    checkPatchUsable(k, patch);
    const fs::path tree = klpTree(k, cache);
    PatchModule pm;
    pm.name = patchModuleName(patch);
    KeyHasher key;
    key.add("tree", tree.parent_path().filename().string()).addFile("patch", patch).add("name", pm.name);
    const std::string label = pm.name + "_" + k.name + "-" + k.arch;
    fs::path log = cache.dir() / "logs" / (label + ".klp-build.log");
    fs::path entry;
    try {
        entry = cache.get("klp-patches", label, key.hex(), [&](const fs::path& dir) {
            // klp-build applies the patch in the tree while it builds: checks and
            // builds of other patches wait.
            FileLock lock(tree.parent_path() / "klp-build.lock");
            if (std::string why = applyFailure(tree, patch); !why.empty())
                throw UsageError(why);
            const bool origBuilt = fs::exists(tree / "klp-tmp" / "1-orig" / ".complete");
            progress("klp-build " + patch.filename().string() + " on " + k.name +
                     (origBuilt ? "" : " (the first patch of this kernel builds the whole kernel first: 10-15 min)"));
            fs::create_directories(log.parent_path());
            // klp-build names the module after the patch file and writes it in the tree's root.
            const fs::path made = tree / (klpBuildFileName(patch) + ".ko");
            fs::remove(made);
            // Through sh for its 2>&1: klp-build's errors and the compiler's go to stderr.
            std::string cmd = "cd " + quoted(tree.string()) + " && exec ./scripts/livepatch/klp-build -T -j" +
                              std::to_string(std::max(1u, std::thread::hardware_concurrency())) +
                              (origBuilt ? " -S 2 " : " ") + quoted(fs::absolute(patch).string()) + " 2>&1";
            bool ok = true;
            {
                // Its status lines are the progress; everything it says goes to the log.
                std::ofstream out(log, std::ios::trunc);
                try {
                    runChecked({"sh", "-c", cmd}, "/dev/null",
                               [&](std::string_view l) {
                                   out << l << "\n" << std::flush;
                                   progress("klp-build: " + std::string(l));
                               },
                               kKlpBuildLimit);
                } catch (const HarnessError&) {
                    ok = false;
                }
            }
            if (!ok || !fs::exists(made))
                throw UsageError(patch.string() + ": " + klpBuildFailure(log, patch) + " (log: " + log.string() + ")");
            fs::rename(made, dir / (pm.name + ".ko"));
        });
    } catch (const HarnessError& e) {
        throw UsageError(e.what());
    }
    pm.ko = entry / (pm.name + ".ko");
    return pm;
}

}  // namespace klp::image
