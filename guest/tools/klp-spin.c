// klp-spin: user tasks that keep entering a patched kernel path, for
// kernel-exit switching and SIGSTOP/SIGCONT scenarios (livepatch.rst §3).
//
//   klp-spin N [FILE]
//
// Starts N child processes that read FILE (default /sys/kernel/klp_target/value,
// whose show function calls the patched klp_target_value) in a loop, prints their
// pids on one line, and waits. Each child exits when its parent goes (SIGTERM the
// parent, or kill the children). Static, so it runs in the minimal guest.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void spin(const char *path) {
    char buf[256];
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            perror(path);
            _exit(1);
        }
        while (read(fd, buf, sizeof buf) > 0) {
        }
        close(fd);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: klp-spin N [FILE]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    const char *path = argc > 2 ? argv[2] : "/sys/kernel/klp_target/value";
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0)
            spin(path);
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        printf("%s%d", i ? " " : "", pid);
    }
    printf("\n");
    fflush(stdout);
    while (wait(NULL) > 0) {
    }
    return 0;
}
