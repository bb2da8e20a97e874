// A guest::Connection for unit tests that replays recorded guest answers.
//
//   test::ScriptedGuest guest;
//   guest.expect("klp-syscall load /lib/klp/klp_basic.ko", test::said("ok\n"));
//   guest.expect(test::re("^cat /sys/kernel/livepatch/klp_basic/transition"), test::said("1\n"), test::kAnyTimes);
//
// Commands are answered in the order they were scripted: each one must match
// the next expectation (a substring of the command, or a regex with re()).
// Any other command fails the test (ADD_FAILURE) and gets exit 127, so a test
// also pins what the code under test asks of the guest. An expectation with
// kAnyTimes answers every following command it matches (a poll loop) and
// steps aside for the next one once a command does not match it. The
// destructor fails the test when a scripted command was never asked for.
// Answers should be shaped exactly as the real guest prints them (klp-syscall's
// "errno EINVAL 22: Invalid argument", /proc/<pid>/stack's "[<0>] f+0x1c/0x40").
#pragma once
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "guest/connection.h"

namespace klp::test {

// What a command must contain (or, made with re(), match).
struct CommandPattern {
    std::string text;
    bool regex = false;
    CommandPattern(const char* substring) : text(substring) {}          // NOLINT(google-explicit-constructor)
    CommandPattern(std::string substring) : text(std::move(substring)) {}  // NOLINT(google-explicit-constructor)
    bool matches(const std::string& command) const {
        return regex ? RE2::PartialMatch(command, RE2(text)) : command.find(text) != std::string::npos;
    }
};

inline CommandPattern re(std::string regex) {
    CommandPattern p(std::move(regex));
    p.regex = true;
    return p;
}

// A command's answer: stdout, exit code, stderr.
inline guest::ExecResult said(std::string out, int exitCode = 0, std::string err = "") {
    return {exitCode, std::move(out), std::move(err), false};
}
// A command that did not finish within its timeout.
inline guest::ExecResult timedOut() { return {-1, "", "", true}; }
// A command during which the connection broke (the guest went away): exec
// throws, as the SSH session does (exitCode -2 marks it; never a real one).
inline guest::ExecResult lost() { return {-2, "", "", false}; }

constexpr int kAnyTimes = -1;

class ScriptedGuest : public guest::Connection {
public:
    // The next command must match `pattern`; it gets `answer`. `times`: how many
    // commands in a row it answers (kAnyTimes: as many as match, at least one).
    ScriptedGuest& expect(CommandPattern pattern, guest::ExecResult answer, int times = 1) {
        script_.push_back({std::move(pattern), std::move(answer), times, 0});
        return *this;
    }

    // What pull() of the guest file `remote` gets (a recorded file's content).
    ScriptedGuest& file(std::string remote, std::string content) {
        files_[std::move(remote)] = std::move(content);
        return *this;
    }

    // Every command asked for, in order; pushes as "push LOCAL REMOTE", pulls as "pull REMOTE".
    const std::vector<std::string>& commands() const { return commands_; }

    guest::ExecResult exec(const std::string& command, std::chrono::milliseconds, std::string_view) override {
        commands_.push_back(command);
        // A repeating expectation that was used and does not match steps aside.
        while (!script_.empty() && script_.front().times == kAnyTimes && script_.front().used > 0 &&
               !script_.front().pattern.matches(command))
            script_.pop_front();
        if (script_.empty() || !script_.front().pattern.matches(command)) {
            ADD_FAILURE() << "unexpected guest command: " << command
                          << (script_.empty() ? "\n(the script is over)" : "\nexpected one with: " + script_.front().pattern.text);
            return said("", 127, "scripted guest: unexpected command");
        }
        Expected& e = script_.front();
        guest::ExecResult answer = e.answer;
        if (++e.used == e.times)
            script_.pop_front();
        if (answer.exitCode == lost().exitCode)
            throw std::runtime_error("SSH: connection to the guest lost: Socket error: disconnected");
        return answer;
    }

    void push(const std::filesystem::path& local, const std::string& remote) override {
        commands_.push_back("push " + local.string() + " " + remote);
    }

    void pull(const std::string& remote, const std::filesystem::path& local) override {
        commands_.push_back("pull " + remote);
        auto it = files_.find(remote);
        if (it == files_.end())
            throw std::runtime_error("SFTP: cannot open " + remote + ": no such file (not scripted)");
        std::ofstream(local, std::ios::binary) << it->second;
    }

    ~ScriptedGuest() override {
        for (const auto& e : script_)
            if (e.used == 0 || (e.times != kAnyTimes && e.used < e.times))
                ADD_FAILURE() << "scripted guest command never asked for: " << e.pattern.text;
    }

private:
    struct Expected {
        CommandPattern pattern;
        guest::ExecResult answer;
        int times;
        int used;
    };
    std::deque<Expected> script_;
    std::vector<std::string> commands_;
    std::map<std::string, std::string> files_;
};

}  // namespace klp::test
