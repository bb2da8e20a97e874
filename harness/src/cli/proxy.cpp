#include "cli/proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace klp::cli {

static bool copy(int from, int to) {
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, static_cast<size_t>(n - off));
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

int proxy(const std::filesystem::path& socketPath) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socketPath.c_str(), sizeof addr.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::fprintf(stderr, "klp-harness proxy: cannot connect to %s: %s\n", socketPath.c_str(),
                     std::strerror(errno));
        return 2;
    }
    pollfd fds[2] = {{0, POLLIN, 0}, {fd, POLLIN, 0}};
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            return 2;
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            if (!copy(0, fd)) {
                shutdown(fd, SHUT_WR);
                fds[0].fd = -1;
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            if (!copy(fd, 1))
                return 0;
        }
    }
}

}  // namespace klp::cli
