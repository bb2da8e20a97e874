#include "image/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/files.h"

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

fs::path Cache::get(const std::string& kind, const std::string& label, const std::string& key,
                    const std::function<void(const fs::path&)>& build) {
    fs::path entry = entryDir(kind, label, key);
    if (fs::exists(entry / "done"))
        return entry;
    fs::create_directories(entry.parent_path());
    fs::path lockPath = entry;
    lockPath += ".lock";
    int lock = open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || flock(lock, LOCK_EX) != 0)
        throw HarnessError("cannot lock " + lockPath.string());
    struct Unlock {
        int fd;
        ~Unlock() { close(fd); }
    } unlock{lock};
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
