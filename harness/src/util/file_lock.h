// An exclusive flock(2) on a file, held for the object's lifetime: one process
// (and one thread) at a time in what it guards, e.g. `apt-get update` of a suite
// or klp-build in a source tree. Blocks until it gets the lock.
#pragma once
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>

#include "util/error.h"

namespace klp {

class FileLock {
public:
    explicit FileLock(const std::filesystem::path& file) : fd_(open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
        if (fd_ < 0 || flock(fd_, LOCK_EX) != 0) {
            if (fd_ >= 0)
                close(fd_);
            throw HarnessError("cannot lock " + file.string());
        }
    }
    ~FileLock() { close(fd_); }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_;
};

}  // namespace klp
