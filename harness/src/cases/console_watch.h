// Watches a guest's console while a case runs, so a dead kernel ends the case at
// once instead of after every step's timeout: on a fatal crash report (panic,
// oops, RCU stall, soft lockup, ...) it lets the report finish printing, then
// destroys the guest, which makes the step's SSH call fail straight away. It also
// notices a guest that vanished (QEMU killed from outside).
#pragma once
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "check/crash.h"
#include "vm/vm.h"

namespace klp::cases {

class ConsoleWatch {
public:
    // Starts watching `instance`'s console from byte `offset` on.
    ConsoleWatch(vm::Instance& instance, std::uintmax_t offset);
    ~ConsoleWatch();  // stops watching (does not destroy the guest)

    // Stops the watching thread; afterwards the getters are final.
    void stop();

    // The fatal crash that made it destroy the guest, if any.
    std::optional<check::Crash> crash() const;
    // True when the guest stopped although neither we nor a crash stopped it.
    bool vanished() const { return vanished_; }

    // After the guest stopped answering: waits up to `grace` for libvirt to see
    // its QEMU gone (SSH notices first), and records that it vanished if so.
    bool checkVanished(std::chrono::milliseconds grace);

private:
    void watch();

    vm::Instance& instance_;
    std::uintmax_t offset_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> vanished_{false};
    mutable std::mutex mutex_;
    std::optional<check::Crash> crash_;
    std::thread thread_;
};

}  // namespace klp::cases
