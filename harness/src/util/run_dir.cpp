#include "util/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/progress.h"

namespace klp {
namespace fs = std::filesystem;

namespace {
const char* kLock = "lock";

// libvirt's embedded driver may still be writing under the dir as it goes
// (logs, status files), so a single remove_all can race it: retry briefly.
void removeTree(const fs::path& dir) {
    for (int i = 0; i < 20; i++) {
        std::error_code ec;
        fs::remove_all(dir, ec);
        if (!fs::exists(fs::symlink_status(dir, ec)))
            return;
        usleep(50000);
    }
}

// Opens and locks dir/lock without waiting; -1 when another process holds it.
int tryLock(const fs::path& dir, bool create) {
    int fd = open((dir / kLock).c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// A dir of a killed run: its lock is free (locks die with their process, even
// on SIGKILL), or it never got one and is older than any start could take.
bool abandoned(const fs::path& dir, int* lockFd) {
    *lockFd = tryLock(dir, false);
    if (*lockFd >= 0)
        return true;
    std::error_code ec;
    if (fs::exists(dir / kLock, ec))
        return false;  // held: its run is alive
    auto age = fs::file_time_type::clock::now() - fs::last_write_time(dir, ec);
    return !ec && age > std::chrono::minutes(1);
}
}  // namespace

fs::path RunDir::defaultBase() {
    const char* env = getenv("KLP_HARNESS_RUNDIR");
    return env && *env ? fs::path(env) : fs::path("/tmp/klp-harness-" + std::to_string(geteuid()));
}

void RunDir::ensurePrivateDir(const fs::path& dir) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        std::error_code ec;
        fs::create_directories(dir, ec);  // a missing parent ($KLP_HARNESS_RUNDIR)
        if (ec || chmod(dir.c_str(), 0700) != 0)
            throw UsageError("cannot create " + dir.string() + ": " + (ec ? ec.message() : std::strerror(errno)));
    }
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0)
        throw UsageError("cannot use " + dir.string() + ": " + std::strerror(errno));
    std::string why;
    if (S_ISLNK(st.st_mode))
        why = "it is a symlink";
    else if (!S_ISDIR(st.st_mode))
        why = "it is not a directory";
    else if (st.st_uid != geteuid())
        why = "it belongs to uid " + std::to_string(st.st_uid);
    else if (st.st_mode & 077) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%o", st.st_mode & 0777);
        why = std::string("others may read or write it (mode ") + mode + ")";
    }
    if (!why.empty())
        throw UsageError("refusing to use " + dir.string() + ": " + why +
                         "; remove it or point $KLP_HARNESS_RUNDIR at a private directory");
}

RunDir::RunDir(const fs::path& base, SweepFn sweep) : sweep_(std::move(sweep)) {
    ensurePrivateDir(base);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
        std::string name = entry.path().filename().string();
        if (entry.is_symlink() || !entry.is_directory() || (name[0] != 'r' && name[0] != 'n'))
            continue;
        int fd = -1;
        if (!abandoned(entry.path(), &fd))
            continue;
        int killed = sweep_ ? sweep_(entry.path()) : 0;
        removeTree(entry.path());
        if (fd >= 0)
            close(fd);
        progress("removed " + entry.path().string() + ", left by a run that was killed" +
                 (killed ? " (killed its " + std::to_string(killed) + " QEMU process" + (killed > 1 ? "es)" : ")") : ""));
    }
    // Made and locked under a name the sweep leaves alone for a minute, then renamed.
    std::string tmpl = (base / ("n" + std::to_string(getpid()) + "-XXXXXX")).string();
    if (!mkdtemp(tmpl.data()))
        throw HarnessError("cannot create a run directory in " + base.string() + ": " + std::strerror(errno));
    lockFd_ = tryLock(tmpl, true);
    if (lockFd_ < 0)
        throw HarnessError("cannot lock run directory " + tmpl + ": " + std::strerror(errno));
    path_ = base / ("r" + fs::path(tmpl).filename().string().substr(1));
    if (rename(tmpl.c_str(), path_.c_str()) != 0)
        throw HarnessError("cannot create run directory " + path_.string() + ": " + std::strerror(errno));
}

RunDir::~RunDir() {
    if (sweep_)
        sweep_(path_);
    removeTree(path_);
    if (lockFd_ >= 0)
        close(lockFd_);
}

std::shared_ptr<RunDir> RunDir::forProcess(SweepFn sweep) {
    static std::mutex m;
    static std::shared_ptr<RunDir> dir;  // destroyed (swept, removed) at exit
    std::lock_guard lock(m);
    if (!dir) {
        dir = std::make_shared<RunDir>(defaultBase(), std::move(sweep));
        auto sweepAndRemove = [d = dir.get()] {  // on SIGINT/SIGTERM: exit() is not called
            // A second signal runs this (forced) while the first signal's cleanup
            // may still be in it: one sweep at a time, and the tree removed again
            // while libvirt's threads may still be writing into it as its QEMUs die.
            static std::timed_mutex sweeping;
            std::unique_lock lock(sweeping, std::chrono::seconds(2));
            if (lock.owns_lock() && d->sweep_)
                d->sweep_(d->path_);
            for (int i = 0; i < 10 && fs::exists(d->path_); i++) {
                removeTree(d->path_);
                if (fs::exists(d->path_))
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        };
        registerCleanup(sweepAndRemove);
        setForcedCleanup(sweepAndRemove);  // no libvirt in it: fine for a forced exit too
    }
    return dir;
}

}  // namespace klp
