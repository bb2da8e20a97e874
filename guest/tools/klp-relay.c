// klp-relay: the guest end of the harness's SSH transport, and the guest's PID 1.
//
//   klp-relay PORT_NAME...
//
// For every named virtio-serial port (matched against /sys/class/virtio-ports/*/name)
// a child process relays bytes between the port and a `dropbear -i` session that it
// starts on demand. Virtio-serial has no connection boundaries, so a session ends when
// the host side disconnects (read returns 0 / POLLHUP) or when a fresh client banner
// ("SSH-2.0-") arrives on a port whose session already carried traffic.
// `dropbear -i` insists that stdin is a socket, hence the socketpair.
//
// As PID 1 it reaps every orphan and restarts a port server that dies.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 8
#define DROPBEAR "/usr/sbin/dropbear"
#define HOST_KEY "/etc/dropbear/dropbear_ed25519_host_key"

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void log_kmsg(const char *fmt, const char *arg) {
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    dprintf(fd, "klp-relay: ");
    dprintf(fd, fmt, arg);
    dprintf(fd, "\n");
    close(fd);
}

// Finds /dev/vportNpM whose sysfs name is `name`; 0 on success.
static int find_port(const char *name, char *dev, size_t devlen) {
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d)) && found) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], buf[256] = {0};
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
            buf[--n] = 0;
        if (n > 0 && strcmp(buf, name) == 0) {
            snprintf(dev, devlen, "/dev/%s", e->d_name);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = {fd, POLLOUT, 0};
                poll(&pfd, 1, 100);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

struct session {
    int sock;   // our end of the socketpair, -1 when idle
    pid_t pid;  // dropbear
    int used;   // carried client bytes already
};

static void session_start(struct session *s, const char *port_name) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(sv[1], 0);
        dup2(sv[1], 1);
        char logpath[256];
        snprintf(logpath, sizeof logpath, "/tmp/dropbear-%s.log", port_name);
        int lfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lfd >= 0)
            dup2(lfd, 2);
        signal(SIGCHLD, SIG_DFL); // ignored dispositions survive exec
        signal(SIGPIPE, SIG_DFL);
        setsid();
        // No -E: dropbear refuses stderr logging in inetd mode; its early errors
        // still reach the log file.
        execl(DROPBEAR, "dropbear", "-i", "-s", "-r", HOST_KEY, (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return;
    }
    s->sock = sv[0];
    s->pid = pid;
    s->used = 0;
}

static void session_end(struct session *s) {
    if (s->sock < 0)
        return;
    close(s->sock);
    kill(s->pid, SIGTERM);
    s->sock = -1;
    s->pid = 0;
    s->used = 0;
}

static int serve_port(const char *name) {
    char dev[300];
    for (int i = 0; find_port(name, dev, sizeof dev) != 0; i++) {
        if (i == 300) {
            log_kmsg("no virtio port named %s", name);
            return 1;
        }
        sleep_ms(100);
    }
    int port = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (port < 0) {
        log_kmsg("cannot open %s", dev);
        return 1;
    }
    signal(SIGCHLD, SIG_IGN); // dropbear sessions reap themselves
    signal(SIGPIPE, SIG_IGN);
    struct session s = {-1, 0, 0};
    static char buf[65536];
    for (;;) {
        struct pollfd pfd[2] = {{port, POLLIN, 0}, {s.sock, POLLIN, 0}};
        int n = poll(pfd, s.sock >= 0 ? 2 : 1, 1000);
        if (n < 0 && errno != EINTR)
            return 1;
        if (pfd[0].revents & POLLIN) {
            ssize_t r = read(port, buf, sizeof buf);
            if (r == 0) { // host disconnected
                session_end(&s);
                sleep_ms(50);
            } else if (r > 0) {
                if (s.sock >= 0 && s.used && r >= 8 && memcmp(buf, "SSH-2.0-", 8) == 0)
                    session_end(&s); // a new client reconnected without a visible hang-up
                if (s.sock < 0)
                    session_start(&s, name);
                if (s.sock >= 0) {
                    s.used = 1;
                    if (write_all(s.sock, buf, (size_t)r) < 0)
                        session_end(&s);
                }
            }
        } else if (pfd[0].revents & (POLLHUP | POLLERR)) {
            session_end(&s); // nobody on the host side
            sleep_ms(100);
        }
        if (s.sock >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(s.sock, buf, sizeof buf);
            if (r <= 0 || write_all(port, buf, (size_t)r) < 0)
                session_end(&s);
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc - 1 > MAX_PORTS) {
        fprintf(stderr, "usage: klp-relay PORT_NAME... (at most %d)\n", MAX_PORTS);
        return 2;
    }
    pid_t servers[MAX_PORTS] = {0};
    for (;;) {
        for (int i = 1; i < argc; i++) {
            if (servers[i - 1])
                continue;
            pid_t pid = fork();
            if (pid == 0)
                _exit(serve_port(argv[i]));
            servers[i - 1] = pid > 0 ? pid : 0;
        }
        int status;
        pid_t dead = wait(&status);
        if (dead < 0) {
            sleep_ms(1000);
            continue;
        }
        for (int i = 0; i < argc - 1; i++) {
            if (servers[i] == dead) {
                log_kmsg("port server for %s exited, restarting", argv[i + 1]);
                servers[i] = 0;
                sleep_ms(1000);
            }
        }
    }
}
