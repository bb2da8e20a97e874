// SPDX-License-Identifier: GPL-2.0
/*
 * klp-stress: load for transitions to run under.
 *
 *   klp-stress getpid N   N processes calling syscall(SYS_getpid) in a loop; each
 *                         checks the answer against gettid() (equal for a
 *                         single-threaded process) and exits 3 on a wrong one, so a
 *                         broken replacement of getpid shows as a dead task
 *   klp-stress cpu N      N processes spinning in user space (a spin-wait loop,
 *                         see relax()), never entering the kernel by themselves:
 *                         they can switch patch state only when an interrupt
 *                         returns to user mode
 *   klp-stress mem MIB    one process that allocates MIB MiB, writes every page
 *                         (so it is really used: there is no swap) and keeps it;
 *                         its oom_score_adj is 1000 so an OOM kill takes it first,
 *                         never the SSH relay or dropbear
 *
 * Prints the children's pids on one line once every child is under way (the
 * hog after touching its memory), then waits. Children die with the parent
 * (SIGTERM it), and are killable by name (their comm stays klp-stress).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void ready(int fd)
{
	char c = 1;
	if (write(fd, &c, 1) != 1)
		_exit(1);
	close(fd);
}

// The spin-wait hint of the arch in every loop, as a user-space spinlock has:
// to the guest the task stays busy (running, no sleep, no extra system call),
// but QEMU's single-threaded TCG (x86_64 guests with several vCPUs) lets the
// next vCPU run at it. Without it a busy vCPU keeps its whole time slice
// (100 ms) and every IPI sent to it waits that long: a 6.12 transition starts
// by rewriting every cond_resched() call site, each with IPIs
// (sched_dynamic_klp_enable), and took 197 s instead of 2 s with both vCPUs
// spinning.
static inline void relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__powerpc64__)
	__asm__ volatile("or 27,27,27");  // "yield" priority hint
#endif
}

static void hammer_getpid(int fd)
{
	pid_t me = (pid_t)syscall(SYS_gettid);
	ready(fd);
	for (;;) {
		if ((pid_t)syscall(SYS_getpid) != me)
			_exit(3);
		relax();
	}
}

static void spin(int fd)
{
	ready(fd);
	for (;;)
		relax();
}

static void hog(int fd, long mib)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	if (f) {
		fputs("1000\n", f);
		fclose(f);
	}
	size_t len = (size_t)mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		_exit(1);
	}
	long page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < len; off += page)
		p[off] = 1;
	ready(fd);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	long n = argc == 3 ? atol(argv[2]) : 0;
	const char *mode = argc == 3 ? argv[1] : "";
	void (*body)(int) = NULL;
	if (!strcmp(mode, "getpid"))
		body = hammer_getpid;
	else if (!strcmp(mode, "cpu"))
		body = spin;
	else if (strcmp(mode, "mem"))
		n = 0;
	if (n < 1) {
		fprintf(stderr, "usage: klp-stress getpid N | cpu N | mem MIB\n");
		return 2;
	}
	int children = body ? (int)n : 1;
	int pipefd[2];
	if (pipe(pipefd)) {
		perror("pipe");
		return 1;
	}
	pid_t pids[children];
	for (int i = 0; i < children; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(pipefd[0]);
			if (body)
				body(pipefd[1]);
			else
				hog(pipefd[1], n);
		}
	}
	close(pipefd[1]);
	// One byte per child that got under way; EOF early means one died first.
	char c;
	for (int i = 0; i < children; i++)
		if (read(pipefd[0], &c, 1) != 1) {
			fprintf(stderr, "klp-stress: a child died before it was under way\n");
			return 1;
		}
	for (int i = 0; i < children; i++)
		printf("%s%d", i ? " " : "", pids[i]);
	printf("\n");
	fflush(stdout);
	while (wait(NULL) > 0) {
	}
	return 0;
}
