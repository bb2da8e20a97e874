#include "util/run_dir.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "util/error.h"
#include "util/files.h"

namespace klp {
namespace fs = std::filesystem;

namespace {
bool ownerAlive(const fs::path& dir) {
    try {
        pid_t pid = std::stoi(readFile(dir / "owner.pid"));
        return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
    } catch (...) {
        return false;  // no owner file: a half-made dir of a killed run
    }
}
}  // namespace

fs::path RunDir::defaultBase() {
    const char* env = getenv("KLP_HARNESS_RUNDIR");
    return env && *env ? fs::path(env) : fs::path("/tmp/klp-harness");
}

RunDir::RunDir(const fs::path& base, const std::function<void(const fs::path&)>& sweep) {
    std::error_code ec;
    fs::create_directories(base, ec);
    for (const auto& entry : fs::directory_iterator(base, ec)) {
        if (!entry.is_directory() || entry.path().filename().string().rfind("r", 0) != 0)
            continue;
        if (ownerAlive(entry.path()))
            continue;
        if (sweep)
            sweep(entry.path());
        fs::remove_all(entry.path(), ec);
    }
    static std::atomic<int> counter{0};
    path_ = base / ("r" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_, ec);
    if (!fs::create_directories(path_, ec))
        throw HarnessError("cannot create run directory " + path_.string() + ": " + ec.message());
    writeFile(path_ / "owner.pid", std::to_string(getpid()));
}

RunDir::~RunDir() {
    if (keep_)
        return;
    std::error_code ec;
    fs::remove_all(path_, ec);
}

}  // namespace klp
