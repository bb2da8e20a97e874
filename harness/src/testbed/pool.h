// What running a unit of work needs of the testbed: one pristine guest at a time,
// reachable through a guest::Connection, its console watched through its
// vm::Instance. A Slot is the real one; unit tests script one from recorded
// guest output.
#pragma once
#include <cstdint>
#include <string>

#include "guest/connection.h"
#include "vm/vm.h"

namespace klp::testbed {

struct GuestConfig;

// How the last acquire got its guest, for reports.
struct Pristine {
    std::string method;  // "revert" or "cold-boot"
    double seconds = 0;  // until SSH answered
    std::string note;    // where a revert's time went, or why there was none
};

// A guest handed out by a Pool: valid until the pool's next release().
struct Lease {
    guest::Connection& connection;
    vm::Instance& instance;          // running(), destroy(), the console log's path
    std::uintmax_t consoleOffset;    // where this guest's current life starts in its console log
};

class Pool {
public:
    virtual ~Pool() = default;
    // A guest of `cfg` in the state right after its boot, connected; `setup`: a
    // guest shell line run first. Throws if no guest comes up.
    virtual Lease lease(const GuestConfig& cfg, const std::string& setup) = 0;
    // The work is done with the guest (the pool keeps or drops it).
    virtual void release() = 0;
    // How the last lease() got its guest.
    virtual const Pristine& last() const = 0;
};

}  // namespace klp::testbed
