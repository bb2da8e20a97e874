#include "util/run_dir.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/files.h"

namespace klp {
namespace fs = std::filesystem;

namespace {
// libvirt's embedded driver may still be writing under the dir as it goes
// (logs, status files), so a single remove_all can race it: retry briefly.
void removeTree(const fs::path& dir) {
    for (int i = 0; i < 20; i++) {
        std::error_code ec;
        fs::remove_all(dir, ec);
        if (!fs::exists(dir, ec))
            return;
        usleep(50000);
    }
}

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

RunDir::RunDir(const fs::path& base, std::function<void(const fs::path&)> sweep)
    : sweep_(std::move(sweep)) {
    std::error_code ec;
    fs::create_directories(base, ec);
    for (const auto& entry : fs::directory_iterator(base, ec)) {
        if (!entry.is_directory() || entry.path().filename().string().rfind("r", 0) != 0)
            continue;
        if (ownerAlive(entry.path()))
            continue;
        if (sweep_)
            sweep_(entry.path());
        removeTree(entry.path());
    }
    static std::atomic<int> counter{0};
    path_ = base / ("r" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_, ec);
    if (!fs::create_directories(path_, ec))
        throw HarnessError("cannot create run directory " + path_.string() + ": " + ec.message());
    writeFile(path_ / "owner.pid", std::to_string(getpid()));
}

RunDir::~RunDir() {
    if (sweep_)
        sweep_(path_);
    removeTree(path_);
}

std::shared_ptr<RunDir> RunDir::forProcess(std::function<void(const fs::path&)> sweep) {
    static std::mutex m;
    static std::shared_ptr<RunDir> dir;  // destroyed (swept, removed) at exit
    std::lock_guard lock(m);
    if (!dir) {
        dir = std::make_shared<RunDir>(defaultBase(), std::move(sweep));
        registerCleanup([d = dir.get()] {  // on SIGINT/SIGTERM: exit() is not called
            if (d->sweep_)
                d->sweep_(d->path_);
            removeTree(d->path_);
        });
    }
    return dir;
}

}  // namespace klp
