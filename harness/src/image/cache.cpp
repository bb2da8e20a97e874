#include "image/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/files.h"
#include "util/progress.h"

namespace klp::image {
namespace fs = std::filesystem;

Cache::Cache(fs::path dir) : dir_(std::move(dir)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec)
        throw UsageError("cannot create cache dir " + dir_.string() + ": " + ec.message());
}

fs::path Cache::entryDir(const std::string& kind, const std::string& label,
                         const std::string& key) const {
    return dir_ / kind / (label + "-" + key.substr(0, 12));
}

namespace {
// Another klp-harness may be building this entry (a kernel: up to its recipe's
// 3 h limit). Wait for it, saying so, but not forever.
void waitForLock(int fd, const fs::path& entry) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto said = start;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            throw HarnessError("cannot lock " + entry.string() + ".lock: " + std::strerror(errno));
        if (Clock::now() - start > kCacheLockWait)
            throw TimeoutError("another klp-harness has held " + entry.string() + ".lock for over " +
                               std::to_string(kCacheLockWait.count() / 60) + " min; giving up");
        if (Clock::now() - said > std::chrono::seconds(30) || said == start) {
            progress("waiting for another klp-harness that is building " + entry.filename().string());
            said = Clock::now();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}
}  // namespace

fs::path Cache::get(const std::string& kind, const std::string& label, const std::string& key,
                    const std::function<void(const fs::path&)>& build) {
    fs::path entry = entryDir(kind, label, key);
    if (fs::exists(entry / "done"))
        return entry;
    fs::create_directories(entry.parent_path());
    fs::path lockPath = entry;
    lockPath += ".lock";
    int lock = open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (lock < 0)
        throw HarnessError("cannot open " + lockPath.string() + ": " + std::strerror(errno));
    struct Unlock {
        int fd;
        ~Unlock() { close(fd); }
    } unlock{lock};
    waitForLock(lock, entry);
    if (fs::exists(entry / "done"))  // built by someone else while we waited
        return entry;
    fs::remove_all(entry);
    fs::create_directories(entry);
    // Ctrl-C mid-build: the half-built entry goes too (the next run would redo it anyway).
    CleanupGuard removeOnSignal([entry] {
        std::error_code ec;
        fs::remove_all(entry, ec);
    });
    try {
        build(entry);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(entry, ec);
        throw;
    }
    writeFile(entry / "key.txt", key + "\n");
    writeFile(entry / "done", "");
    return entry;
}

}  // namespace klp::image
