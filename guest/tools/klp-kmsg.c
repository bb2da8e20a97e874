// klp-kmsg: the guest's kernel log by the kernel's record sequence numbers, so
// the harness reads exactly what the kernel printed during a step however much
// it printed (counting `dmesg` lines fails once the ring buffer wraps).
//
//   klp-kmsg follow FILE   appends every /dev/kmsg record to FILE as the kernel
//                          prints it (the header "PRI,SEQ,TS,FLAGS[,...];" and
//                          its text, one line each; dictionary lines dropped),
//                          from the oldest record the ring still holds; runs
//                          until killed. Records the ring overwrote before they
//                          were read show as a gap in the sequence numbers.
//   klp-kmsg mark FILE     prints a marker record into the kernel log, waits
//                          (10 s at most) until `follow` wrote it to FILE, and
//                          prints its sequence number: everything the kernel
//                          printed before it is in FILE by then.
// Static, so it runs in the minimal guest.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RECORD_MAX 8192  // /dev/kmsg returns one record per read, at most this long

static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int follow(const char *path) {
    int kmsg = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
    int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (kmsg < 0 || out < 0) {
        perror("klp-kmsg follow");
        return 1;
    }
    static char rec[RECORD_MAX + 1];
    for (;;) {
        ssize_t n = read(kmsg, rec, RECORD_MAX);
        if (n < 0) {
            if (errno == EPIPE || errno == EINTR)
                continue;  // overwritten before we read them: the next read goes on after the gap
            perror("klp-kmsg follow: read");
            return 1;
        }
        // The record's first line only: dictionary lines (" KEY=value") follow it.
        char *nl = memchr(rec, '\n', (size_t)n);
        size_t len = nl ? (size_t)(nl - rec) + 1 : (size_t)n;
        if (!nl)
            rec[len++] = '\n';
        if (write_all(out, rec, len) < 0) {
            perror("klp-kmsg follow: write");
            return 1;
        }
    }
}

// The sequence number of the record in `line` ("PRI,SEQ,...;text") whose text
// is `text`, or -1.
static long long marker_seq(const char *line, const char *text) {
    const char *semi = strchr(line, ';');
    if (!semi || strncmp(semi + 1, text, strlen(text)) != 0 || semi[1 + strlen(text)] != '\n')
        return -1;
    const char *comma = strchr(line, ',');
    return comma && comma < semi ? atoll(comma + 1) : -1;
}

static int mark(const char *path) {
    char text[96];
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    snprintf(text, sizeof text, "klp-harness: mark %d.%ld.%ld", (int)getpid(), (long)now.tv_sec, now.tv_nsec);
    // The marker lands after everything `follow` has written so far: read on
    // from the file's end as it is now (the daemon appends whole records).
    FILE *f = fopen(path, "r");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        return 1;
    }
    // One write() a record (dprintf would lseek the fd, which /dev/kmsg refuses).
    char record[sizeof text + 1];
    int len = snprintf(record, sizeof record, "%s\n", text);
    int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (kmsg < 0 || write_all(kmsg, record, (size_t)len) < 0) {
        perror("klp-kmsg mark");
        return 1;
    }
    close(kmsg);
    static char line[RECORD_MAX + 2];
    for (int waited = 0; waited < 10000; waited += 10) {
        while (fgets(line, sizeof line, f)) {
            long long seq = marker_seq(line, text);
            if (seq >= 0) {
                printf("%lld\n", seq);
                return 0;
            }
        }
        clearerr(f);  // at the end for now: `follow` appends more
        usleep(10000);
    }
    fprintf(stderr, "klp-kmsg mark: the marker did not reach %s within 10 s (is `klp-kmsg follow` running?)\n", path);
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "follow") == 0)
        return follow(argv[2]);
    if (argc == 3 && strcmp(argv[1], "mark") == 0)
        return mark(argv[2]);
    fprintf(stderr, "usage: klp-kmsg follow FILE | klp-kmsg mark FILE\n");
    return 2;
}
