#include "image/git_tree.h"

#include <sstream>

#include "util/error.h"
#include "util/process.h"

namespace klp::image {
namespace fs = std::filesystem;

namespace {

ProcessResult git(const fs::path& repo, std::vector<std::string> args) {
    requireTool("git", "git");
    args.insert(args.begin(), {"git", "-C", repo.string()});
    return runMerged(args, std::chrono::minutes(10));
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

std::string resolveCommit(const fs::path& repo, const std::string& rev, const std::string& who) {
    if (!fs::is_directory(repo))
        throw UsageError(who + ": git repository " + repo.string() + ": no such directory");
    if (git(repo, {"rev-parse", "--git-dir"}).exitCode != 0)
        throw UsageError(who + ": " + repo.string() + " is not a git repository");
    auto r = git(repo, {"rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"});
    if (r.exitCode != 0)
        throw UsageError(who + ": " + repo.string() + " has no commit '" + rev + "'");
    return firstLine(r.output);
}

std::vector<std::string> commitRange(const fs::path& repo, const std::string& good, const std::string& bad,
                                     const std::string& who) {
    const std::string g = resolveCommit(repo, good, who), b = resolveCommit(repo, bad, who);
    if (git(repo, {"merge-base", "--is-ancestor", g, b}).exitCode != 0 || g == b)
        throw UsageError(who + ": --good " + good + " is not an older ancestor of --bad " + bad);
    auto r = git(repo, {"rev-list", "--reverse", "--ancestry-path", g + ".." + b});
    if (r.exitCode != 0)
        throw HarnessError(who + ": git rev-list failed: " + firstLine(r.output));
    std::vector<std::string> out = {g};
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.push_back(line);
    return out;
}

std::vector<std::string> recentCommits(const fs::path& repo, const std::string& rev, int n) {
    auto r = git(repo, {"log", "--format=%H  %s", "-n", std::to_string(n), "--end-of-options", rev});
    if (r.exitCode != 0)
        throw UsageError(repo.string() + ": git log " + rev + " failed: " + firstLine(r.output));
    std::vector<std::string> out;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            out.push_back(line);
    return out;
}

void checkoutIn(const fs::path& workspace, const fs::path& repo, const std::string& commit) {
    if (!fs::exists(workspace / ".git")) {
        fs::remove_all(workspace);
        fs::create_directories(workspace.parent_path());
        runChecked({"git", "clone", "--quiet", "--shared", "--no-checkout", fs::absolute(repo).string(),
                    workspace.string()});
    }
    // A commit made in repo after the clone is there too: --shared reads repo's objects.
    runChecked({"git", "-C", workspace.string(), "-c", "advice.detachedHead=false", "checkout", "--quiet",
                "--detach", "--force", commit});
}

}  // namespace klp::image
