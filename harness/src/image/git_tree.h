// A user's kernel as a git repository (a kernel entry's git:, or --kernel
// tree:PATH): revisions resolved to commits, the commits between two of them, and
// one checkout per repository and arch inside the cache where each commit is
// built in place, so that the next commit of a bisect builds incrementally.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace klp::image {

// The full commit id `rev` names in `repo`. UsageError naming `who` (the kernel
// entry) when repo is not a git repository or has no such revision.
std::string resolveCommit(const std::filesystem::path& repo, const std::string& rev, const std::string& who);

// The commits from `good` to `bad`, oldest first, both included: the ancestry
// path between them (git rev-list --ancestry-path), what a bisect steps through.
// UsageError when good is not an ancestor of bad.
std::vector<std::string> commitRange(const std::filesystem::path& repo, const std::string& good,
                                     const std::string& bad, const std::string& who);

// "COMMIT  SUBJECT" for the newest `n` commits reachable from `rev`, newest first.
std::vector<std::string> recentCommits(const std::filesystem::path& repo, const std::string& rev, int n);

// `commit` checked out (detached, forced) in `workspace`, a shared clone of `repo`
// made on first use (its objects stay in repo: cheap, and repo is never written).
// The caller holds a lock on the workspace. Build output (ignored files) is kept.
void checkoutIn(const std::filesystem::path& workspace, const std::filesystem::path& repo, const std::string& commit);

}  // namespace klp::image
