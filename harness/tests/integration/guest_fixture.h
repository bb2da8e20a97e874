// A booted Debian guest with our modules in /lib/klp, and the small verbs the
// module tests use (after the kernel selftests' load_lp / disable_lp).
#pragma once
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "testbed/testbed.h"
#include "util/error.h"

namespace klp::test {

using namespace std::chrono_literals;

// A test parameter "ARCH/KERNEL" ("ppc64le/own-6.1"); a plain name is x86_64.
inline std::string archOf(const std::string& target) {
    auto slash = target.find('/');
    return slash == std::string::npos ? "x86_64" : target.substr(0, slash);
}
inline std::string kernelOf(const std::string& target) { return target.substr(target.find('/') + 1); }

// The kernels every integration test runs on, per arch.
inline auto x86Kernels() { return ::testing::Values("x86_64/debian-6.1", "x86_64/debian-6.12"); }
inline auto ppc64leKernels() { return ::testing::Values("ppc64le/own-6.1", "ppc64le/own-6.12"); }

struct GuestFixture {
    testbed::Testbed bed{testbed::Options{}};
    image::KernelImage kernel;
    image::ModuleSet modules;
    std::unique_ptr<testbed::Guest> guest;

    explicit GuestFixture(const std::string& target) {
        kernel = bed.kernel(kernelOf(target), archOf(target));
        modules = bed.modules(kernel);
        guest = bed.boot({.kernel = kernel, .modules = &modules});
        // Transition debug lines ("is sleeping on function ...") need dynamic debug.
        sh("echo 'file kernel/livepatch/* +p' > /proc/dynamic_debug/control");
    }

    // Runs a command; a guest that no longer answers ends the test at once
    // (instead of every later step waiting out its own timeout).
    guest::ExecResult run(const std::string& cmd) {
        auto r = guest->ssh().exec(cmd, 120s);
        if (r.timedOut)
            throw HarnessError("guest command timed out: " + cmd + " (console: " +
                               guest->consoleLog().string() + ")");
        return r;
    }

    // Runs a command that must succeed; returns stdout.
    std::string sh(const std::string& cmd) {
        auto r = run(cmd);
        EXPECT_EQ(r.exitCode, 0) << cmd << "\nstdout: " << r.out << "\nstderr: " << r.err;
        return r.out;
    }

    // Runs a command that must fail; returns stdout+stderr.
    std::string shFails(const std::string& cmd) {
        auto r = run(cmd);
        EXPECT_NE(r.exitCode, 0) << cmd << " succeeded:\n" << r.out;
        return r.out + r.err;
    }

    // Polls `cmd` until its stdout is `want`: transitions are asynchronous.
    bool waitFor(const std::string& cmd, const std::string& want, std::chrono::seconds timeout = 60s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (run(cmd).out == want)
                return true;
            std::this_thread::sleep_for(300ms);
        }
        return false;
    }

    // insmod a patch and wait for its transition to finish.
    void loadLp(const std::string& mod, const std::string& params = "") {
        sh("insmod /lib/klp/" + mod + ".ko " + params);
        EXPECT_TRUE(waitFor("cat /sys/kernel/livepatch/" + mod + "/transition", "0\n")) << mod;
    }
    void loadMod(const std::string& mod, const std::string& params = "") {
        sh("insmod /lib/klp/" + mod + ".ko " + params);
    }
    // Disable a patch and wait until its sysfs dir is gone (then it can be removed).
    void disableLp(const std::string& mod) {
        sh("echo 0 > /sys/kernel/livepatch/" + mod + "/enabled");
        EXPECT_TRUE(waitFor("test -e /sys/kernel/livepatch/" + mod + " && echo present", "")) << mod;
    }
    void unloadMod(const std::string& mod) { sh("rmmod " + mod); }

    std::string loglevel() { return sh("cut -f1 /proc/sys/kernel/printk"); }
    std::string value(const std::string& target = "klp_target") { return sh("cat /sys/kernel/" + target + "/value"); }
    bool logHas(const std::string& needle) { return sh("dmesg").find(needle) != std::string::npos; }
};

inline std::string paramName(const ::testing::TestParamInfo<std::string>& info) {
    std::string n = info.param;
    for (char& c : n)
        if (c == '.' || c == '-' || c == '/')
            c = '_';
    return n;
}

}  // namespace klp::test
