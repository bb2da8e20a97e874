// One parallel slot of a run: it keeps a booted guest and hands it out pristine
// for every case, by reverting it in place to the snapshot taken right after its
// boot where the arch allows that (x86_64: ~0.4 s), else by booting cold.
#pragma once
#include <memory>
#include <string>
#include <thread>

#include "testbed/pool.h"
#include "testbed/testbed.h"

namespace klp::testbed {

class Slot : public Pool {
public:
    // `coldBoot`: never revert (every case boots its own guest).
    Slot(Testbed& bed, bool coldBoot);
    ~Slot();

    // A guest of `cfg` in the state right after its boot, SSH connected, its
    // wall clock set from the host's and host entropy mixed into its RNG (a
    // reverted guest's RNG state is the snapshot's). `setup`: a guest shell
    // line run in the same round trip. Throws if no guest comes up.
    Guest& acquire(const GuestConfig& cfg, const std::string& setup = {});
    Lease lease(const GuestConfig& cfg, const std::string& setup) override {
        Guest& g = acquire(cfg, setup);
        return {g.ssh(), g.vm(), g.consoleOffset()};
    }
    // The case is done with the guest. A guest that still runs is kept for the
    // next acquire() to revert (unless coldBoot); one that stopped is dropped.
    void release() override;
    const Pristine& last() const override { return last_; }
    // The guest the slot holds: the last acquire()'s (after release(), one kept
    // to revert, or nullptr).
    Guest* current() { return guest_.get(); }
    Testbed& testbed() { return bed_; }

private:
    bool revertInPlace(std::string& note);
    void freshen(const std::string& setup);
    void bootCold(const GuestConfig& cfg, std::string& note);
    void drop();  // destroys guest_ in the background
    std::thread reaper_;
    Testbed& bed_;
    bool coldBoot_;
    std::unique_ptr<Guest> guest_;
    std::string key_;          // config of guest_
    bool snapshotted_ = false; // guest_ holds a snapshot to revert to
    Pristine last_;
    std::string timing_;  // of the last revert
};

}  // namespace klp::testbed
