/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * A frontend that shrinks the file behind its guest memory after the
 * memory table was accepted (guard.c). The library's next touch of the
 * rings raises SIGBUS: the process must live on, the frontend be dropped,
 * and the next frontend be served. A SIGBUS anywhere else must still end
 * the process.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "unit.h"

#define CLOSE_MS	5000

/* Both vrings, both directions, after the memory is gone. */
static int
guard_shrunk_memory(void)
{
	struct rte_mbuf *rx[8] = { 0 }, *p = mk_pkt1(100, 7);
	int destroyed, vid;
	struct t t;

	CHECK(p != NULL);
	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	/* Counted after t_start(): t_register() resets the counters. */
	destroyed = ev_get(&ev.destroy_dev);
	if (t_traffic(&t, 80, 1, 90, 2, 2000) < 0)
		goto fail;
	/* Buffers the library would take next, then the memory goes. */
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK(tx_post(&t, 70, 3, NULL, false) >= 0);
	vid = t.vid;
	CHECK(ftruncate(t.s.memfd, 0) == 0);
	/* From here on the test must not touch t.s.mem either. */
	CHECK_EQ(vhu_dequeue_burst(vid, 1, mp, rx, RTE_DIM(rx)), 0);
	CHECK_EQ(vhu_enqueue_burst(vid, 0, &p, 1), 0);
	CHECK(fe_peer_closed(&t.s, CLOSE_MS));
	CHECK(ev_wait(&ev.destroy_dev, destroyed + 1, CLOSE_MS));
	/* The vid is gone: bursts on it take nothing and touch nothing. */
	CHECK_EQ(vhu_dequeue_burst(vid, 1, mp, rx, RTE_DIM(rx)), 0);
	fe_sim_fini(&t.s);

	/* The same socket serves the next frontend. */
	if (t_connect(&t, F_BASE, 1) < 0)
		goto fail;
	if (t_traffic(&t, 81, 4, 91, 5, 2000) < 0)
		goto fail;
	t_end(&t);
	rte_pktmbuf_free(p);
	return 0;
fail:
	t_end(&t);
	rte_pktmbuf_free(p);
	return -1;
}

/* A page past the end of a file that is not guest memory: the guard must
 * pass the SIGBUS on (here: the default action) instead of swallowing it. */
static int
guard_other_sigbus(void)
{
	uint64_t deadline = now_ms() + CLOSE_MS;
	int status = 0;
	pid_t pid, w;

	/* The guard is installed with the control thread: a socket. */
	struct t t;

	if (t_register(&t, 0) < 0)
		goto fail;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int fd = memfd_create("not_guest", 0);
		volatile uint8_t *m;

		if (fd < 0 || ftruncate(fd, 4096) < 0)
			_exit(2);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED || ftruncate(fd, 0) < 0)
			_exit(2);
		m[0] = 1;
		_exit(0);	/* the fault was swallowed */
	}
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
		usleep(10 * 1000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		FAIL("the child hangs in its SIGBUS");
	}
	CHECK_EQ(w, pid);
#ifdef __SANITIZE_ADDRESS__
	/* ASan was there before us: it reports the fault and exits. */
	CHECK(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
				      WEXITSTATUS(status) != 2));
#else
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGBUS);
#endif
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static const struct unit_case guard_cases[] = {
	{ "guard_shrunk_memory", guard_shrunk_memory },
	{ "guard_other_sigbus", guard_other_sigbus },
};
UNIT_CASES(guard_cases)
