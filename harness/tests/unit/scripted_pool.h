// A testbed::Pool whose one guest answers from a script of recorded outputs:
// for running cases::runCase without booting. Each command the runner sends is
// matched, in order, against the next expected one (a substring of it); an
// unexpected command is a test failure, so the test also pins what the runner
// asks of the guest. The console is a recorded console log.
#pragma once
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "guest/connection.h"
#include "testbed/pool.h"
#include "testbed/slot.h"
#include "vm/arch.h"

namespace klp::test {

// What a scripted guest answers to one command (or, with `lost`, how it fails).
struct Answer {
    std::string expect;  // a substring of the command
    guest::ExecResult result;
    bool lost = false;  // the connection breaks instead (the guest went away)
};

inline Answer answer(std::string expect, std::string out = "", int exitCode = 0) {
    return {std::move(expect), {exitCode, std::move(out), "", false}, false};
}

class ScriptedConnection : public guest::Connection {
public:
    std::deque<Answer> script;
    std::vector<std::string> sent;

    guest::ExecResult exec(const std::string& command, std::chrono::milliseconds, std::string_view) override {
        sent.push_back(command);
        if (script.empty()) {
            ADD_FAILURE() << "unexpected guest command (script is over): " << command;
            throw std::runtime_error("script is over");
        }
        Answer a = script.front();
        script.pop_front();
        EXPECT_NE(command.find(a.expect), std::string::npos) << "expected a command with '" << a.expect
                                                             << "', got: " << command;
        if (a.lost)
            throw std::runtime_error("SSH: connection to the guest lost");
        return a.result;
    }
    void push(const std::filesystem::path& local, const std::string& remote) override {
        sent.push_back("push " + local.string() + " " + remote);
    }
};

// A guest that "runs" until destroy(), its console a recorded file.
class RecordedInstance : public vm::Instance {
public:
    explicit RecordedInstance(std::filesystem::path console) {
        spec_.consoleLog = std::move(console);
        spec_.arch = &vm::archProfile("x86_64");
    }
    const vm::MachineSpec& spec() const override { return spec_; }
    bool running() override { return running_; }
    void destroy() override { running_ = false; }
    void snapshot() override {}
    void revert() override {}
    void openGdbStub(const std::filesystem::path&) override {}

private:
    vm::MachineSpec spec_;
    std::atomic<bool> running_{true};
};

class ScriptedPool : public testbed::Pool {
public:
    ScriptedPool(ScriptedConnection& conn, const std::filesystem::path& console) : conn_(conn), instance_(console) {}
    testbed::Lease lease(const testbed::GuestConfig&, const std::string& setup) override {
        setups.push_back(setup);
        leased++;
        return {conn_, instance_, 0};
    }
    void release() override { released++; }
    const testbed::Pristine& last() const override { return last_; }

    std::vector<std::string> setups;
    int leased = 0, released = 0;

private:
    ScriptedConnection& conn_;
    RecordedInstance instance_;
    testbed::Pristine last_{"revert", 0.4, ""};
};

}  // namespace klp::test
