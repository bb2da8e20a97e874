#include "guest/ssh_session.h"

#include <fstream>

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "util/unix_socket.h"
#include "util/error.h"
#include "util/files.h"

namespace klp::guest {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

int connectUnix(const fs::path& path) {
    sockaddr_un addr = unixAddress(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

ssh_session sess(void* p) { return static_cast<ssh_session>(p); }

}  // namespace

std::unique_ptr<SshSession> SshSession::connect(const fs::path& socket, const fs::path& privateKey,
                                                std::chrono::milliseconds timeout,
                                                const std::function<void()>& alive,
                                                std::chrono::milliseconds attemptTimeout) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(privateKey.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
        throw HarnessError("cannot read SSH key " + privateKey.string());
    const auto deadline = Clock::now() + timeout;
    std::string lastProblem = "no answer";
    auto lastAliveCheck = Clock::now();
    while (Clock::now() < deadline) {
        alive();
        int fd = connectUnix(socket);
        if (fd < 0) {
            lastProblem = "cannot connect to " + socket.string();
            std::this_thread::sleep_for(100ms);
            continue;
        }
        ssh_session s = ssh_new();
        int verbosity = SSH_LOG_NOLOG;
        ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
        ssh_options_set(s, SSH_OPTIONS_FD, &fd);
        ssh_options_set(s, SSH_OPTIONS_HOST, "klp-guest");
        ssh_options_set(s, SSH_OPTIONS_USER, "root");
        ssh_set_blocking(s, 0);
        int rc;
        const auto attemptEnd = std::min(deadline, Clock::now() + attemptTimeout);
        // Non-blocking handshake so a guest that dies while booting is noticed.
        while ((rc = ssh_connect(s)) == SSH_AGAIN && Clock::now() < attemptEnd) {
            pollfd p{fd, POLLIN, 0};
            poll(&p, 1, 100);
            if (Clock::now() - lastAliveCheck > 500ms) {
                lastAliveCheck = Clock::now();
                try {
                    alive();
                } catch (...) {
                    ssh_free(s);
                    close(fd);
                    ssh_key_free(key);
                    throw;
                }
            }
        }
        if (rc == SSH_OK) {
            ssh_set_blocking(s, 1);
            long t = 60;  // seconds: a loaded TCG guest can be slow to answer
            ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &t);
            if (ssh_userauth_publickey(s, nullptr, key) != SSH_AUTH_SUCCESS) {
                std::string msg = ssh_get_error(s);
                ssh_disconnect(s);
                ssh_free(s);
                close(fd);
                ssh_key_free(key);
                throw HarnessError("SSH: guest refused the harness key: " + msg);
            }
            ssh_key_free(key);
            auto session = std::unique_ptr<SshSession>(new SshSession());
            session->session_ = s;
            session->fd_ = fd;
            return session;
        }
        lastProblem = rc == SSH_AGAIN ? "no SSH banner from the guest" : ssh_get_error(s);
        ssh_free(s);
        close(fd);
        std::this_thread::sleep_for(200ms);
    }
    ssh_key_free(key);
    throw TimeoutError("SSH: guest not reachable within " + std::to_string(timeout.count() / 1000) +
                       " s (" + lastProblem + ")");
}

SshSession::~SshSession() {
    if (session_) {
        ssh_disconnect(sess(session_));
        ssh_free(sess(session_));
    }
    if (fd_ >= 0)
        close(fd_);
}

namespace {
// A command as an error message names it: its first line, cut short.
std::string brief(const std::string& command) {
    size_t start = command.find_first_not_of(" \n");
    std::string line = start == std::string::npos ? "" : command.substr(start, command.find('\n', start) - start);
    return line.size() > 60 || command.find('\n', start) != std::string::npos ? line.substr(0, 60) + " ..." : line;
}
}  // namespace

ExecResult SshSession::exec(const std::string& command, std::chrono::milliseconds timeout,
                            std::string_view input) {
    ssh_session s = sess(session_);
    ssh_channel ch = ssh_channel_new(s);
    if (!ch || ssh_channel_open_session(ch) != SSH_OK ||
        ssh_channel_request_exec(ch, command.c_str()) != SSH_OK) {
        std::string msg = ssh_get_error(s);
        if (ch)
            ssh_channel_free(ch);
        throw HarnessError("SSH: cannot run '" + brief(command) + "': " + msg);
    }
    if (!input.empty() &&
        ssh_channel_write(ch, input.data(), static_cast<uint32_t>(input.size())) == SSH_ERROR) {
        ssh_channel_free(ch);
        throw HarnessError(std::string("SSH: writing stdin failed: ") + ssh_get_error(s));
    }
    ssh_channel_send_eof(ch);  // commands that read stdin must not wait forever

    ExecResult r;
    const auto deadline = Clock::now() + timeout;
    // While a command is quiet, an SSH_MSG_IGNORE now and then proves the
    // session's server is still there: should it have died (killed in the
    // guest), the relay hands these bytes to a fresh server, whose banner
    // breaks this session at once instead of after the whole timeout.
    constexpr auto kProbeEvery = std::chrono::seconds(5);
    auto nextProbe = Clock::now() + kProbeEvery;
    char buf[16384];
    for (;;) {
        int n = ssh_channel_read_timeout(ch, buf, sizeof buf, 0, 100);
        if (n > 0) {
            r.out.append(buf, static_cast<size_t>(n));
            nextProbe = Clock::now() + kProbeEvery;
        } else if (n == 0 && Clock::now() > nextProbe) {
            if (ssh_send_ignore(s, "klp-harness") != SSH_OK) {
                ssh_channel_free(ch);
                throw HarnessError(std::string("SSH: connection to the guest lost: ") + ssh_get_error(s));
            }
            nextProbe = Clock::now() + kProbeEvery;
        }
        int m;
        while ((m = ssh_channel_read_nonblocking(ch, buf, sizeof buf, 1)) > 0)
            r.err.append(buf, static_cast<size_t>(m));
        if (n == SSH_ERROR || m == SSH_ERROR) {
            ssh_channel_free(ch);
            throw HarnessError(std::string("SSH: connection to the guest lost: ") + ssh_get_error(s));
        }
        if (n == 0 && ssh_channel_is_eof(ch))
            break;
        if (Clock::now() > deadline) {
            r.timedOut = true;
            break;
        }
    }
    if (!r.timedOut)
        r.exitCode = ssh_channel_get_exit_status(ch);
    ssh_channel_close(ch);
    ssh_channel_free(ch);
    return r;
}

namespace {
// One SFTP subsystem channel of a session, for one transfer.
class Sftp {
public:
    explicit Sftp(ssh_session s) : s_(s), sftp_(sftp_new(s)) {
        if (!sftp_ || sftp_init(sftp_) != SSH_OK) {
            std::string msg = ssh_get_error(s);
            if (sftp_)
                sftp_free(sftp_);
            throw HarnessError("SFTP: cannot start (is sftp-server in the guest?): " + msg);
        }
    }
    ~Sftp() {
        if (done_) {
            // Let sftp-server exit and its channel close before freeing: otherwise
            // dropbear may close the session's next channel at once (seen with 0.2-0.4 s transfers).
            ssh_channel_send_eof(sftp_->channel);
            ssh_channel_get_exit_status(sftp_->channel);
        }
        sftp_free(sftp_);
    }
    sftp_session get() { return sftp_; }
    [[noreturn]] void fail(const std::string& what, const std::string& path) {
        throw HarnessError("SFTP: " + what + " " + path + ": " + ssh_get_error(s_) + " (sftp error " +
                           std::to_string(sftp_get_error(sftp_)) + ")");
    }
    void done() { done_ = true; }

private:
    ssh_session s_;
    sftp_session sftp_;
    bool done_ = false;
};
}  // namespace

void SshSession::pushData(std::string_view data, const std::string& remotePath, int mode) {
    Sftp sftp(sess(session_));
    sftp_file f = sftp_open(sftp.get(), remotePath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, static_cast<mode_t>(mode));
    if (!f)
        sftp.fail("cannot open", remotePath);
    for (size_t off = 0; off < data.size();) {
        size_t chunk = std::min<size_t>(32768, data.size() - off);
        ssize_t w = sftp_write(f, data.data() + off, chunk);
        if (w <= 0) {
            sftp_close(f);
            sftp.fail("write failed on", remotePath);
        }
        off += static_cast<size_t>(w);
    }
    if (sftp_close(f) != SSH_NO_ERROR)
        sftp.fail("close failed on", remotePath);
    sftp.done();
}

void SshSession::pull(const std::string& remotePath, const std::filesystem::path& local) {
    Sftp sftp(sess(session_));
    sftp_file f = sftp_open(sftp.get(), remotePath.c_str(), O_RDONLY, 0);
    if (!f)
        sftp.fail("cannot open", remotePath);
    std::ofstream out(local, std::ios::binary | std::ios::trunc);
    char buf[32768];
    for (;;) {  // chunk by chunk: a huge file never sits in memory
        ssize_t n = sftp_read(f, buf, sizeof buf);
        if (n < 0) {
            sftp_close(f);
            sftp.fail("read failed on", remotePath);
        }
        if (n == 0)
            break;
        out.write(buf, n);
    }
    sftp_close(f);
    if (!out.flush())
        throw HarnessError("cannot write " + local.string());
    sftp.done();
}

void SshSession::push(const fs::path& local, const std::string& remotePath) {
    auto perms = fs::status(local).permissions();
    pushData(readFile(local), remotePath, static_cast<int>(perms) & 0777);
}

}  // namespace klp::guest
