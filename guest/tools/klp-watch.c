// klp-watch: samples livepatch transitions in the guest and prints events, so the
// harness can tell when a transition started and ended, which tasks held it up,
// in which patched function, and for how long.
//
//   klp-watch [INTERVAL_MS]      (default 50)
//
// Output, one event a line, times in ms since klp-watch started:
//   <ms> start <patch> patching|unpatching
//   <ms> reverse <patch> patching|unpatching   the new direction
//   <ms> wait <pid> <comm> <function>   a task still not switched 1.2 s after the
//                                        start (the kernel retries about once a
//                                        second, so it held up at least one retry);
//                                        function: the first frame of its
//                                        /proc/<pid>/stack that the patch changes
//   <ms> switch <pid> <comm>            a reported task reached the target state
//   <ms> end <patch>
// The direction comes from the patch's `enabled`, read 300 ms in: the kernel
// sets it only after the transition has become visible.
// Only while a transition runs are tasks scanned; otherwise just the patches'
// transition files are read. Static, so it runs in the minimal guest.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS 4096
#define MAX_FUNCS 256

struct task {
    int pid;
    int reported;  // a `wait` line was printed
};

static struct task tasks[MAX_TASKS];
static int ntasks;
static char funcs[MAX_FUNCS][128];
static int nfuncs;

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int read_small(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    return (int)n;
}

// The patch in transition, if any (only one can be).
static int find_transition(char *patch, size_t len) {
    DIR *d = opendir("/sys/kernel/livepatch");
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], v[16];
        snprintf(path, sizeof path, "/sys/kernel/livepatch/%s/transition", e->d_name);
        if (read_small(path, v, sizeof v) > 0 && v[0] == '1') {
            snprintf(patch, len, "%s", e->d_name);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

// Function names the patch changes: /sys/kernel/livepatch/<p>/<object>/<func>,<sympos>.
static void load_funcs(const char *patch) {
    char path[512];
    nfuncs = 0;
    snprintf(path, sizeof path, "/sys/kernel/livepatch/%s", patch);
    DIR *p = opendir(path);
    if (!p)
        return;
    struct dirent *o;
    while ((o = readdir(p))) {
        char opath[1024];
        snprintf(opath, sizeof opath, "%s/%s", path, o->d_name);
        DIR *od = o->d_name[0] == '.' ? NULL : opendir(opath);
        if (!od)
            continue;
        struct dirent *f;
        while ((f = readdir(od)) && nfuncs < MAX_FUNCS) {
            char *comma = strchr(f->d_name, ',');
            if (!comma)
                continue;
            snprintf(funcs[nfuncs], sizeof funcs[0], "%.*s", (int)(comma - f->d_name), f->d_name);
            nfuncs++;
        }
        closedir(od);
    }
    closedir(p);
}

// The first stack frame in a patched function (its name before "+0x"), else "?".
static void blocking_function(int pid, char *out, size_t len) {
    char path[64], stack[8192];
    snprintf(out, len, "?");
    snprintf(path, sizeof path, "/proc/%d/stack", pid);
    if (read_small(path, stack, sizeof stack) <= 0)
        return;
    for (char *line = strtok(stack, "\n"); line; line = strtok(NULL, "\n")) {
        char *sym = strchr(line, ']');
        if (!sym)
            continue;
        sym++;
        while (*sym == ' ')
            sym++;
        size_t n = strcspn(sym, "+ ");
        for (int i = 0; i < nfuncs; i++)
            if (strlen(funcs[i]) == n && strncmp(sym, funcs[i], n) == 0) {
                snprintf(out, len, "%s", funcs[i]);
                return;
            }
    }
}

static struct task *task_of(int pid) {
    for (int i = 0; i < ntasks; i++)
        if (tasks[i].pid == pid)
            return &tasks[i];
    if (ntasks == MAX_TASKS)
        return NULL;
    tasks[ntasks] = (struct task){pid, 0};
    return &tasks[ntasks++];
}

static void scan_tasks(long t, long since_start, int target) {
    DIR *d = opendir("/proc");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0 || pid == getpid())
            continue;
        char path[64], v[16], comm[64];
        snprintf(path, sizeof path, "/proc/%d/patch_state", pid);
        if (read_small(path, v, sizeof v) <= 0)
            continue;
        int state = atoi(v);
        struct task *tk = task_of(pid);
        if (!tk)
            continue;
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
        if (read_small(path, comm, sizeof comm) < 0)
            snprintf(comm, sizeof comm, "?");
        if (state != target && state != -1 && since_start >= 1200 && !tk->reported) {
            char fn[128];
            blocking_function(pid, fn, sizeof fn);
            printf("%ld wait %d %s %s\n", t, pid, comm, fn);
            tk->reported = 1;
        } else if (tk->reported == 1 && (state == target || state == -1)) {
            printf("%ld switch %d %s\n", t, pid, comm);
            tk->reported = 2;
        }
    }
    closedir(d);
    fflush(stdout);
}

static int read_enabled(const char *patch, int fallback) {
    char path[512], v[16];
    snprintf(path, sizeof path, "/sys/kernel/livepatch/%s/enabled", patch);
    return read_small(path, v, sizeof v) > 0 ? v[0] == '1' : fallback;
}

int main(int argc, char **argv) {
    int interval = argc > 1 ? atoi(argv[1]) : 50;
    if (interval <= 0)
        interval = 50;
    long t0 = now_ms(), start = 0, since = 0;  // since: start or the last reversal
    char patch[256] = "", cur[256];
    int target = 1, announced = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (;;) {
        long t = now_ms() - t0;
        int running = find_transition(cur, sizeof cur);
        if (patch[0] && (!running || strcmp(cur, patch) != 0)) {
            if (!announced)  // ended within 300 ms: a vanished patch was being removed
                printf("%ld start %s %s\n", start, patch, read_enabled(patch, 0) ? "patching" : "unpatching");
            printf("%ld end %s\n", t, patch);
            patch[0] = 0;
        }
        if (running && !patch[0]) {
            snprintf(patch, sizeof patch, "%s", cur);
            load_funcs(patch);
            ntasks = 0;
            start = since = t;
            announced = 0;
        }
        if (running && !announced && t - start >= 300) {
            target = read_enabled(patch, 1);
            printf("%ld start %s %s\n", start, patch, target ? "patching" : "unpatching");
            announced = 1;
        } else if (running && announced && read_enabled(patch, target) != target) {
            target = !target;
            printf("%ld reverse %s %s\n", t, patch, target ? "patching" : "unpatching");
            for (int i = 0; i < ntasks; i++)
                tasks[i].reported = 0;
            since = t;
        }
        if (running && announced)
            scan_tasks(t, t - since, target);
        usleep((useconds_t)interval * 1000);
    }
}
