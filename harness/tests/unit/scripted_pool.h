// A testbed::Pool whose one guest is a ScriptedGuest (recorded answers, see
// scripted_guest.h) with a recorded console log: for running cases::runCase
// without booting.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "scripted_guest.h"
#include "testbed/pool.h"
#include "testbed/slot.h"
#include "vm/arch.h"

namespace klp::test {

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
    ScriptedPool(ScriptedGuest& conn, const std::filesystem::path& console) : conn_(conn), instance_(console) {}
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
    ScriptedGuest& conn_;
    RecordedInstance instance_;
    testbed::Pristine last_{"revert", 0.4, ""};
};

}  // namespace klp::test
