// One SSH session per guest over its virtio-serial unix socket (libssh); commands
// and SFTP transfers are channels of that session.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "guest/connection.h"

namespace klp::guest {

class SshSession : public Connection {
public:
    // Connects through `socket` and authenticates as root with `privateKey`.
    // Retries until `timeout`; between tries calls `alive`, which should throw if
    // the guest can no longer answer (it stopped, it panicked). One try waits at
    // most `attemptTimeout` for the handshake, then a new connection sends a new
    // banner (a guest just reverted may have lost the first one).
    static std::unique_ptr<SshSession> connect(const std::filesystem::path& socket,
                                               const std::filesystem::path& privateKey,
                                               std::chrono::milliseconds timeout,
                                               const std::function<void()>& alive,
                                               std::chrono::milliseconds attemptTimeout = std::chrono::hours(1));
    ~SshSession() override;

    // Runs `command` with /bin/sh in the guest. On timeout the channel is closed
    // and timedOut is set (the guest process may live on).
    ExecResult exec(const std::string& command, std::chrono::milliseconds timeout,
                    std::string_view input = {}) override;

    // Writes `data` to `remotePath` over SFTP with `mode`.
    void pushData(std::string_view data, const std::string& remotePath, int mode = 0644);
    void push(const std::filesystem::path& local, const std::string& remotePath) override;
    void pull(const std::string& remotePath, const std::filesystem::path& local) override;

    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

private:
    SshSession() = default;
    void* session_ = nullptr;  // ssh_session
    int fd_ = -1;              // libssh does not close an fd it was given
};

}  // namespace klp::guest
