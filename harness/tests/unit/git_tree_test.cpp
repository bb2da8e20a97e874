// image/git_tree: revisions, the commit range a bisect walks and the checkout,
// on a small repository made here with the host's git.
#include "image/git_tree.h"

#include <gtest/gtest.h>

#include "temp_dir.h"
#include "util/error.h"
#include "util/files.h"
#include "util/process.h"

namespace klp {
namespace {
namespace fs = std::filesystem;

class GitTree : public ::testing::Test {
protected:
    test::TempDir tmp;
    fs::path repo;
    std::vector<std::string> commits;  // oldest first

    void SetUp() override {
        if (findOnPath("git").empty())
            GTEST_SKIP() << "git is not installed";
        repo = tmp.path / "repo";
        fs::create_directories(repo);
        git({"init", "-q"});
        for (int i = 1; i <= 4; ++i) {
            writeFile(repo / "file", "version " + std::to_string(i) + "\n");
            git({"add", "file"});
            git({"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "commit " + std::to_string(i)});
            commits.push_back(git({"rev-parse", "HEAD"}).substr(0, 40));
        }
        git({"tag", "first", commits.front()});
    }
    std::string git(std::vector<std::string> args) {
        args.insert(args.begin(), {"git", "-C", repo.string()});
        return runChecked(args);
    }
};

TEST_F(GitTree, RevisionsResolveToCommits) {
    EXPECT_EQ(image::resolveCommit(repo, "HEAD", "k"), commits.back());
    EXPECT_EQ(image::resolveCommit(repo, "first", "k"), commits.front());
    EXPECT_EQ(image::resolveCommit(repo, commits[1].substr(0, 12), "k"), commits[1]);
    EXPECT_THROW(image::resolveCommit(repo, "no-such-rev", "k"), UsageError);
    EXPECT_THROW(image::resolveCommit(tmp.path / "none", "HEAD", "k"), UsageError);
    fs::create_directories(tmp.path / "plain");
    try {
        image::resolveCommit(tmp.path / "plain", "HEAD", "kernel 'x'");
        FAIL() << "a plain directory is no repository";
    } catch (const UsageError& e) {
        EXPECT_EQ(std::string(e.what()), "kernel 'x': " + (tmp.path / "plain").string() + " is not a git repository");
    }
}

TEST_F(GitTree, TheRangeRunsOldestFirstFromGoodToBad) {
    EXPECT_EQ(image::commitRange(repo, "first", "HEAD", "k"), commits);
    EXPECT_EQ(image::commitRange(repo, commits[1], commits[2], "k"),
              (std::vector<std::string>{commits[1], commits[2]}));
    EXPECT_THROW(image::commitRange(repo, "HEAD", "first", "k"), UsageError);  // bad before good
    EXPECT_THROW(image::commitRange(repo, "HEAD", "HEAD", "k"), UsageError);
}

TEST_F(GitTree, RecentCommitsNewestFirst) {
    auto lines = image::recentCommits(repo, "HEAD", 2);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], commits[3] + "  commit 4");
    EXPECT_EQ(lines[1], commits[2] + "  commit 3");
}

TEST_F(GitTree, TheCheckoutFollowsTheCommitAndKeepsBuildOutput) {
    const fs::path ws = tmp.path / "ws";
    image::checkoutIn(ws, repo, commits[0]);
    EXPECT_EQ(readFile(ws / "file"), "version 1\n");
    writeFile(ws / "built.o", "output");  // untracked: a build's
    image::checkoutIn(ws, repo, commits[2]);
    EXPECT_EQ(readFile(ws / "file"), "version 3\n");
    EXPECT_TRUE(fs::exists(ws / "built.o"));
    // A commit made after the clone is there at once (the clone shares repo's objects).
    writeFile(repo / "file", "version 5\n");
    git({"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-a", "-m", "commit 5"});
    image::checkoutIn(ws, repo, git({"rev-parse", "HEAD"}).substr(0, 40));
    EXPECT_EQ(readFile(ws / "file"), "version 5\n");
}

}  // namespace
}  // namespace klp
