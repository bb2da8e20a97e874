#include "testbed/slot.h"

#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "util/error.h"
#include "util/files.h"
#include "util/progress.h"

namespace klp::testbed {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
// A reverted guest answers at once; a slow answer means it did not really wake.
constexpr std::chrono::seconds kRevertSshTimeout{20};
// Its relay may lose the first client's banner while it settles the hang-up it
// saw at the snapshot: a new connection (and banner) after this long.
constexpr std::chrono::milliseconds kRevertSshAttempt{2500};
// Lets the guest's relay see our client hang up before the snapshot, so every
// revert resumes a quiet relay.
constexpr std::chrono::milliseconds kSettleBeforeSnapshot{300};

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The guest's wall clock lags by the time since the snapshot, and every revert
// restores the same RNG state: set the one and stir host bytes into the other.
std::string freshenCommand() {
    unsigned char bytes[64];
    RAND_bytes(bytes, sizeof bytes);
    std::string hex;
    char b[3];
    for (unsigned char c : bytes) {
        std::snprintf(b, sizeof b, "%02x", c);
        hex += b;
    }
    auto now = std::chrono::system_clock::now().time_since_epoch();
    return "date -u -s @" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count()) +
           " >/dev/null && echo " + hex + " > /dev/urandom";
}
}  // namespace

Slot::Slot(Testbed& bed, bool coldBoot) : bed_(bed), coldBoot_(coldBoot) {}
Slot::~Slot() {
    guest_.reset();
    if (reaper_.joinable())
        reaper_.join();
}

void Slot::drop() {
    if (!guest_)
        return;
    // Destroying a QEMU takes up to ~1.5 s (ppc64le); the next guest need not wait.
    if (reaper_.joinable())
        reaper_.join();
    reaper_ = std::thread([g = std::move(guest_)]() mutable { g.reset(); });
}

Guest& Slot::acquire(const GuestConfig& cfg, const std::string& setup) {
    const auto start = Clock::now();
    std::string note;
    if (!coldBoot_ && guest_ && snapshotted_ && key_ == cfg.key() && revertInPlace(note)) {
        try {
            const auto t = Clock::now();
            freshen(setup);
            char buf[48];
            std::snprintf(buf, sizeof buf, ", setup %.2f s", since(t));
            last_ = {"revert", since(start), timing_ + buf};
            return *guest_;
        } catch (const std::exception& e) {
            note = std::string("reverted guest did not answer (") + e.what() + "); booted cold";
        }
    }
    bootCold(cfg, note);
    freshen(setup);
    last_ = {"cold-boot", since(start), note};
    return *guest_;
}

void Slot::freshen(const std::string& setup) {
    auto r = guest_->ssh().exec(freshenCommand() + (setup.empty() ? "" : "; " + setup), std::chrono::seconds(20));
    if (r.timedOut || r.exitCode != 0) {
        drop();  // never hand out a guest in doubt
        key_.clear();
        snapshotted_ = false;
        throw HarnessError("the guest failed its setup (clock, RNG): " + (r.timedOut ? "no answer" : r.err));
    }
}

bool Slot::revertInPlace(std::string& note) {
    try {
        if (!guest_->vm().running())
            throw HarnessError("its QEMU stopped");
        const auto t0 = Clock::now();
        guest_->disconnect();
        std::error_code ec;
        auto offset = fs::file_size(guest_->consoleLog(), ec);
        guest_->vm().revert();
        guest_->consoleOffset_ = ec ? 0 : offset;
        const auto t1 = Clock::now();
        guest_->connect(kRevertSshTimeout, kRevertSshAttempt);
        char buf[96];
        std::snprintf(buf, sizeof buf, "loadvm %.2f s, SSH %.2f s", std::chrono::duration<double>(t1 - t0).count(),
                      since(t1));
        timing_ = buf;
        return true;
    } catch (const std::exception& e) {
        // Never run a case on a guest of doubtful state: boot a new one.
        note = std::string("revert failed (") + e.what() + "); booted cold";
        progress(note);
        drop();
        return false;
    }
}

void Slot::bootCold(const GuestConfig& cfg, std::string& note) {
    drop();  // one guest per slot: the old one goes
    snapshotted_ = false;
    key_.clear();
    bool revertible = !coldBoot_;
    guest_ = bed_.boot(cfg, revertible);
    key_ = cfg.key();
    if (!revertible || !guest_->vm().spec().revertible)
        return;
    try {
        const auto t = Clock::now();
        guest_->disconnect();
        std::this_thread::sleep_for(kSettleBeforeSnapshot);
        guest_->vm().snapshot();
        guest_->connect(kRevertSshTimeout, kRevertSshAttempt);
        snapshotted_ = true;
        progress("snapshot of the booted " + cfg.kernel.name + " guest taken in " +
                 std::to_string(static_cast<int>(since(t) * 1000)) + " ms");
    } catch (const std::exception& e) {
        // This case still gets its fresh guest; later ones boot cold.
        note += std::string(note.empty() ? "" : "; ") + "no snapshot (" + e.what() + ")";
        progress(note);
        drop();
        guest_ = bed_.boot(cfg);
    }
}

void Slot::release() {
    if (!guest_)
        return;
    if (coldBoot_ || !snapshotted_ || !guest_->vm().running()) {
        drop();
        key_.clear();
        snapshotted_ = false;
    }
}

}  // namespace klp::testbed
