/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eventfd-link-test: the checks of kmod/eventfd_link, run as root in a
 * guest that loaded the module (guest/eventfd-link.sh). One line per check,
 * "ok NAME" or "FAIL NAME: why", then "N passed, N failed"; exit status 0
 * only if none failed.
 *
 * The copies are made by child processes from their parent (or the other
 * way round): each child closes the fds it inherited before it copies, so
 * what it uses can only have come through the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventfd_link.h"

#define NOBODY 65534

static int passed, failed;
static int dev = -1;

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
		passed++;
		return;
	}
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
}

/* A call that returned r (a new fd, 0, or -errno) failed with want. */
static void check_errno(const char *name, int r, int want)
{
	check(r == -want, name, "got %d (%s), want %s", r, r < 0 ? strerror(-r) : "success",
	      strerror(want));
}

/* EVENTFD_COPY2: the new fd, or -errno. */
static int copy2(pid_t pid, int fd, unsigned int flags)
{
	struct eventfd_copy2 req = { .fd = fd, .pid = pid, .flags = flags };
	int ret = ioctl(dev, EVENTFD_COPY2, &req);

	return ret < 0 ? -errno : ret;
}

/* EVENTFD_COPY: 0 or -errno. */
static int copy1(pid_t pid, int target_fd, int source_fd)
{
	struct eventfd_copy req = {
		.target_fd = target_fd, .source_fd = source_fd, .target_pid = pid,
	};

	return ioctl(dev, EVENTFD_COPY, &req) < 0 ? -errno : 0;
}

static bool efd_write(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v);
}

/* The counter of eventfd fd (which resets it), or 0 on error. */
static uint64_t efd_read(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* opendir()'s own */
}

/* Run fn(arg) in a child; its return value (0: as expected) is the status. */
static int in_child(int (*fn)(int), int arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fflush(stdout);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static bool drop_to_nobody(void)
{
	return setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
	       setresuid(NOBODY, NOBODY, NOBODY) == 0;
}

/* The child's side of "copy2 from the parent": steps numbered for FAIL. */
static int child_copy2(int efd)
{
	int nfd;

	close(efd);
	nfd = copy2(getppid(), efd, O_NONBLOCK | O_CLOEXEC);
	if (nfd < 0)
		return 1;
	if (!(fcntl(nfd, F_GETFD) & FD_CLOEXEC))
		return 2;
	if (!(fcntl(nfd, F_GETFL) & O_NONBLOCK))
		return 3;
	if (efd_read(nfd) != 7)		/* the parent's write */
		return 4;
	return efd_write(nfd, 5) ? 0 : 5;
}

static void test_copy2(void)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), st;

	efd_write(efd, 7);
	st = in_child(child_copy2, efd);
	check(st == 0 && efd_read(efd) == 5, "copy2-from-parent",
	      "child step %d (1 copy, 2 cloexec, 3 nonblock, 4 read, 5 write)", st);
	close(efd);
}

static void test_copy2_self(void)
{
	int efd = eventfd(0, 0), nfd = copy2(getpid(), efd, 0);

	check(nfd >= 0 && nfd != efd && !(fcntl(nfd, F_GETFD) & FD_CLOEXEC) &&
	      efd_write(nfd, 11) && efd_read(efd) == 11, "copy2-self-no-cloexec",
	      "fd %d from %d", nfd, efd);
	close(nfd);
	close(efd);
}

/* Legacy EVENTFD_COPY: a placeholder eventfd becomes the parent's. */
static int child_copy1(int efd)
{
	int placeholder;

	close(efd);
	placeholder = eventfd(0, EFD_CLOEXEC);
	if (placeholder < 0)
		return 1;
	if (copy1(getppid(), efd, placeholder))
		return 2;
	if (!(fcntl(placeholder, F_GETFL) & O_NONBLOCK))	/* the parent's file */
		return 3;
	if (!(fcntl(placeholder, F_GETFD) & FD_CLOEXEC))	/* the fd's own flag */
		return 5;
	return efd_write(placeholder, 3) ? 0 : 4;
}

static void test_copy1(void)
{
	int efd = eventfd(0, EFD_NONBLOCK), st = in_child(child_copy1, efd);

	check(st == 0 && efd_read(efd) == 3, "copy-legacy-replaces-fd",
	      "child step %d (1 eventfd, 2 copy, 3 file flags, 4 write, 5 cloexec)", st);
	close(efd);
}

static int exit_at_once(int unused)
{
	(void)unused;
	return 0;
}

static void test_errors(void)
{
	int efd = eventfd(0, EFD_NONBLOCK), blocking = eventfd(0, 0), p[2], r;
	struct eventfd_copy2 req = { .fd = efd, .pid = getpid() };
	pid_t gone;

	if (pipe(p))
		p[0] = p[1] = -1;
	gone = fork();
	if (gone == 0)
		_exit(exit_at_once(0));
	waitpid(gone, NULL, 0);

	check_errno("copy2-no-such-pid", copy2(gone, efd, 0), ESRCH);
	check_errno("copy2-fd-not-open", copy2(getpid(), 999, 0), EBADF);
	check_errno("copy2-not-an-eventfd", copy2(getpid(), p[0], 0), EINVAL);
	check_errno("copy2-bad-flags", copy2(getpid(), efd, O_APPEND), EINVAL);
	check_errno("copy2-nonblock-of-blocking-eventfd", copy2(getpid(), blocking, O_NONBLOCK),
		    EINVAL);
	check_errno("copy-legacy-source-not-open", copy1(getpid(), efd, 999), EBADF);
	check_errno("copy-legacy-not-an-eventfd", copy1(getpid(), p[1], blocking), EINVAL);
	r = ioctl(dev, EVENTFD_COPY2, (void *)8);
	check_errno("copy2-bad-pointer", r < 0 ? -errno : r, EFAULT);
	r = ioctl(dev, _IOW('D', 3, struct eventfd_copy2), &req);
	check_errno("unknown-ioctl", r < 0 ? -errno : r, ENOTTY);
	close(p[0]);
	close(p[1]);
	close(blocking);
	close(efd);
}

/* An unprivileged caller may not take a root process's eventfd. */
static int child_nobody_from_root(int efd)
{
	int r;

	close(efd);
	if (!drop_to_nobody())
		return 1;
	r = copy2(getppid(), efd, 0);
	return r == -EPERM ? 0 : r >= 0 ? 2 : 3;
}

/*
 * A nobody process A with an eventfd, and its child B (nobody too): B may
 * take A's eventfd only once A is dumpable (changing uid made it not).
 */
static int grandchild_copy(int efd)
{
	int nfd;

	close(efd);
	nfd = copy2(getppid(), efd, 0);
	if (nfd == -EPERM)
		return 10;
	if (nfd < 0)
		return 11;
	return efd_write(nfd, 9) ? 0 : 12;
}

static int child_same_user(int unused)
{
	int efd, st;

	(void)unused;
	if (!drop_to_nobody())
		return 1;
	efd = eventfd(0, EFD_NONBLOCK);
	if (in_child(grandchild_copy, efd) != 10)	/* not dumpable: EPERM */
		return 2;
	if (prctl(PR_SET_DUMPABLE, 1) != 0)
		return 3;
	st = in_child(grandchild_copy, efd);
	if (st != 0)
		return 20 + st;
	return efd_read(efd) == 9 ? 0 : 4;
}

/* Root takes the eventfd of a nobody process (CAP_SYS_PTRACE). */
static int child_nobody_target(int wfd)
{
	int efd, go = 0;

	if (!drop_to_nobody())
		return 1;
	efd = eventfd(0, EFD_NONBLOCK);
	if (write(wfd, &efd, sizeof(efd)) != sizeof(efd))
		return 2;
	/* Wait for the parent's write through its copy. */
	for (int i = 0; i < 5000 && !go; i++) {
		uint64_t v = efd_read(efd);

		go = v == 13;
		if (!go)
			usleep(1000);
	}
	return go ? 0 : 3;
}

static void test_permissions(void)
{
	int efd = eventfd(0, 0), st, p[2], tfd = -1, nfd = -1;
	pid_t pid;

	st = in_child(child_nobody_from_root, efd);
	check(st == 0, "nobody-from-root-refused", "child step %d (1 setuid, 2 copied, 3 other error)", st);
	close(efd);

	st = in_child(child_same_user, 0);
	check(st == 0, "same-user-needs-dumpable",
	      "child step %d (1 setuid, 2 not refused, 3 prctl, 4 value, 2x: grandchild)", st);

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(child_nobody_target(p[1]));
	}
	close(p[1]);
	if (read(p[0], &tfd, sizeof(tfd)) == sizeof(tfd))
		nfd = copy2(pid, tfd, 0);
	if (nfd >= 0)
		efd_write(nfd, 13);
	waitpid(pid, &st, 0);
	check(nfd >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "root-from-nobody",
	      "copy %d, child status %d", nfd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (nfd >= 0)
		close(nfd);
	close(p[0]);
}

/* Open files in the whole system (the first field of file-nr), or -1. */
static long files_in_use(void)
{
	FILE *f = fopen("/proc/sys/fs/file-nr", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * Every reference the module takes is dropped: ROUNDS copies of a new
 * eventfd, each closed with its original, leave the system's count of
 * open files as it was. (A leaked reference keeps its eventfd's file. The
 * count is per-CPU and read approximately: a margin well under ROUNDS.)
 */
static void test_no_file_leak(void)
{
	enum { ROUNDS = 2000, MARGIN = 256 };
	long before = files_in_use(), after;
	int errors = 0;

	for (int i = 0; i < ROUNDS; i++) {
		int efd = eventfd(0, EFD_NONBLOCK), nfd, placeholder;

		nfd = copy2(getpid(), efd, 0);
		errors += nfd < 0;
		close(nfd);
		placeholder = eventfd(0, 0);
		errors += copy1(getpid(), efd, placeholder) != 0;
		close(placeholder);
		errors += copy2(getpid(), efd, O_APPEND) != -EINVAL;
		close(efd);
	}
	after = files_in_use();
	check(errors == 0 && before >= 0 && after - before < MARGIN, "no-file-leaked",
	      "%d errors, %ld open files before, %ld after %d rounds", errors, before,
	      after, ROUNDS);
}

/*
 * EVENTFD_COPY while another thread keeps replacing and closing the same
 * fd: every call ends in 0, EBUSY (replaced meanwhile) or EBADF (closed),
 * the fd never points at a freed file, and no reference is left over.
 */
struct race {
	int src, other, rounds;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < r->rounds; i++) {
		if (i & 1)
			close(r->src);
		else
			dup2(r->other, r->src);
	}
	return NULL;
}

static void test_replace_race(void)
{
	enum { ROUNDS = 20000, MARGIN = 256 };
	int efd = eventfd(0, EFD_NONBLOCK), other = eventfd(0, EFD_NONBLOCK);
	struct race r = { .src = 900, .other = other, .rounds = ROUNDS };
	int ok = 0, busy = 0, badf = 0, bad = 0, rc;
	long before = files_in_use(), after;
	pthread_t t;
	uint64_t v;

	dup2(other, r.src);
	if (pthread_create(&t, NULL, race_thread, &r) != 0) {
		check(false, "copy-legacy-race", "pthread_create failed");
		return;
	}
	for (int i = 0; i < ROUNDS; i++) {
		rc = copy1(getpid(), efd, r.src);
		ok += rc == 0;
		busy += rc == -EBUSY;
		badf += rc == -EBADF;
		bad += rc != 0 && rc != -EBUSY && rc != -EBADF;
	}
	pthread_join(t, NULL);
	/* Whatever src is now (if open), it is one of the two live eventfds. */
	rc = fcntl(r.src, F_GETFD) < 0 ? 0 : efd_write(r.src, 1) ? 1 : -1;
	v = efd_read(efd) + efd_read(other);
	close(r.src);
	close(efd);
	close(other);
	after = files_in_use();
	check(bad == 0 && ok > 0 && rc >= 0 && v == (uint64_t)rc && after - before < MARGIN,
	      "copy-legacy-race", "%d ok, %d EBUSY, %d EBADF, %d other; src %d, value %llu;"
	      " %ld open files before, %ld after", ok, busy, badf, bad, rc,
	      (unsigned long long)v, before, after);
	printf("race: %d ok, %d EBUSY, %d EBADF\n", ok, busy, badf);
}

int main(void)
{
	int fds_before;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open("/dev/" EVENTFD_LINK_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("FAIL open /dev/%s: %s\n", EVENTFD_LINK_DEVICE, strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	fds_before = open_fds();
	test_copy2();
	test_copy2_self();
	test_copy1();
	test_errors();
	test_permissions();
	test_no_file_leak();
	test_replace_race();
	check(open_fds() == fds_before, "no-fd-left-open", "%d open, %d before", open_fds(),
	      fds_before);
	close(dev);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
