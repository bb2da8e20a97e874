// What running work needs of a guest: run a command, copy a file in. The SSH
// session is the real one; unit tests script one from recorded guest output.
#pragma once
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

namespace klp::guest {

struct ExecResult {
    int exitCode = -1;  // -1: no exit status (killed, timed out)
    std::string out;
    std::string err;
    bool timedOut = false;
};

class Connection {
public:
    virtual ~Connection() = default;
    // Runs `command` with /bin/sh in the guest. On timeout timedOut is set (the
    // guest process may live on). Throws HarnessError when the guest cannot be
    // reached any more.
    virtual ExecResult exec(const std::string& command, std::chrono::milliseconds timeout,
                            std::string_view input = {}) = 0;
    // Copies the host file `local` to `remotePath` in the guest. Throws HarnessError.
    virtual void push(const std::filesystem::path& local, const std::string& remotePath) = 0;
    // Copies the guest file `remotePath` to the host file `local`, a chunk at a
    // time (a huge file never sits in memory). Throws HarnessError.
    virtual void pull(const std::string& remotePath, const std::filesystem::path& local) = 0;
};

}  // namespace klp::guest
