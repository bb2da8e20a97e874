// SPDX-License-Identifier: GPL-2.0
/*
 * klp-syscall: one system call, and the kernel's own answer to it.
 *
 *   klp-syscall load FILE [PARAM=VALUE...]  finit_module (init_module where the
 *                                           kernel lacks it)
 *   klp-syscall unload NAME                 delete_module(NAME, O_NONBLOCK)
 *   klp-syscall write FILE VALUE            open(FILE, O_WRONLY) + one write of
 *                                           "VALUE\n" (what `echo VALUE > FILE` does)
 *
 * Prints "ok" (exit 0), or "errno <NAME> <number>: <text>" with the errno the
 * system call returned (exit 1). The harness judges load-fail/unload-fail steps
 * by that errno, never by a tool's message text (busybox insmod says
 * "No such file" for a missing .ko just as the kernel says ENOENT for a missing
 * symbol). Problems that are not the kernel's (a file that cannot be read) exit 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(long rc)
{
	if (rc == 0) {
		puts("ok");
		return 0;
	}
	int err = errno;
	const char *name = strerrorname_np(err);
	printf("errno %s %d: %s\n", name ? name : "?", err, strerror(err));
	return 1;
}

static int load(const char *file, int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *params = calloc(1, len);
	if (!params)
		return 2;
	for (int i = 0; i < argc; i++) {
		strcat(params, argv[i]);
		if (i + 1 < argc)
			strcat(params, " ");
	}
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "klp-syscall: cannot open %s: %s\n", file, strerror(errno));
		return 2;
	}
	long rc = syscall(SYS_finit_module, fd, params, 0);
	if (rc != 0 && errno == ENOSYS) {
		struct stat st;
		if (fstat(fd, &st) != 0)
			return 2;
		char *image = malloc(st.st_size);
		if (!image || read(fd, image, st.st_size) != st.st_size) {
			fprintf(stderr, "klp-syscall: cannot read %s\n", file);
			return 2;
		}
		rc = syscall(SYS_init_module, image, (unsigned long)st.st_size, params);
	}
	return report(rc);
}

static int write_value(const char *file, const char *value)
{
	size_t len = strlen(value);
	char *line = malloc(len + 2);
	if (!line)
		return 2;
	memcpy(line, value, len);
	line[len] = '\n';
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return report(-1);
	long rc = write(fd, line, len + 1);
	if (rc >= 0 && (size_t)rc != len + 1) {
		fprintf(stderr, "klp-syscall: short write to %s (%ld of %zu bytes)\n", file, rc, len + 1);
		return 2;
	}
	int err = errno;
	close(fd);
	errno = err;
	return report(rc < 0 ? -1 : 0);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "load") == 0)
		return load(argv[2], argc - 3, argv + 3);
	if (argc == 3 && strcmp(argv[1], "unload") == 0)
		return report(syscall(SYS_delete_module, argv[2], O_NONBLOCK));
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return write_value(argv[2], argv[3]);
	fprintf(stderr, "usage: klp-syscall load FILE [PARAM=VALUE...] | unload NAME | write FILE VALUE\n");
	return 2;
}
