/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Frontends that attack the control thread: one that drips a message, one
 * that never reads its replies, one that reconnects at once. The library
 * has a single control thread for every socket: none of them may hold it,
 * and so the other sockets' frontends, for more than a bounded time.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/socket.h>

#include "unit.h"

#define DRIP_MS	300	/* per byte: under the socket's 1 s receive timeout */

/* Wait up to ms for the library to close the connection (replies we
 * never read may be queued: POLLIN says nothing). */
static bool
hung_up(int fd, unsigned int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		if (poll(&p, 1, 100) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			return true;
	}
	return false;
}

struct drip {
	struct fe_sim *s;
	size_t sent;		/* bytes the library took before it closed */
	size_t len;
};

static void *
drip_main(void *arg)
{
	struct {
		struct vhu_msg_hdr h;
		uint64_t f;
	} __attribute__((packed)) m = { { VHU_REQ_SET_FEATURES, VHU_MSG_VERSION, 8 }, 0 };
	struct drip *d = arg;
	const uint8_t *p = (const uint8_t *)&m;

	d->len = sizeof(m);
	for (d->sent = 0; d->sent < sizeof(m); d->sent++) {
		if (fe_send_raw(d->s, p + d->sent, 1, NULL, 0) < 0 ||
		    fe_peer_closed(d->s, DRIP_MS))
			break;
	}
	return NULL;
}

/*
 * A message dripped a byte every 300 ms: the library drops the connection
 * before the message is complete, and meanwhile another socket's frontend
 * completes a whole handshake (each of its replies waited for 3 s at most).
 */
static int
test_hostile_slow_drip(void)
{
	struct t t, other;
	struct drip d = { 0 };
	pthread_t th;
	bool started = false;

	t_init(&other, "s");
	if (t_start_raw(&t, 0) < 0)
		goto fail;
	d.s = &t.s;
	CHECK_EQ(pthread_create(&th, NULL, drip_main, &d), 0);
	started = true;
	usleep(2 * DRIP_MS * 1000);	/* the drip holds a message open */
	/* Registering resets the event counters: the other socket's turn. */
	CHECK_EQ(vhu_driver_register(other.path, 0, 1, &test_ops, &ctx_token), 0);
	other.registered = true;
	if (t_connect(&other, F_BASE, 1) < 0)
		FAIL("another socket's handshake failed during the drip");
	pthread_join(th, NULL);
	started = false;
	if (d.sent >= d.len)
		FAIL("all %zu bytes taken a byte per %u ms: connection kept", d.len, DRIP_MS);
	CHECK(fe_peer_closed(&t.s, 3000));
	t_end(&other);
	t_end(&t);
	return 0;
fail:
	if (started)
		pthread_join(th, NULL);
	t_end(&other);
	t_end(&t);
	return -1;
}

/* Requests whose replies are never read: dropped once the socket fills. */
static int
test_hostile_no_read(void)
{
	struct vhu_msg_hdr h = { VHU_REQ_GET_FEATURES, VHU_MSG_VERSION, 0 };
	uint64_t end;
	int rcvbuf = 4096, n = 0;
	struct t t;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	setsockopt(t.s.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fe_set_timeout(&t.s, 200);
	end = now_ms() + 20000;
	while (now_ms() < end && fe_send_raw(&t.s, &h, sizeof(h), NULL, 0) == 0)
		n++;
	CHECK(n > 0);
	if (!hung_up(t.s.fd, 20000))
		FAIL("%d requests, replies never read: connection kept", n);
	/* The socket serves the next frontend. */
	fe_sim_fini(&t.s);
	if (t_connect(&t, F_BASE, 1) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* Close and connect again at once, 50 times: never refused as a second
 * frontend while the first one's hang-up is still queued. */
static int
test_hostile_reconnect_at_once(void)
{
	struct t t;
	int i;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	for (i = 0; i < 50; i++) {
		fe_sim_fini(&t.s);
		if (t_connect(&t, F_BASE, 1) < 0)
			FAIL("reconnect %d refused", i);
	}
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static const struct unit_case hostile_cases[] = {
	{ "hostile_slow_drip", test_hostile_slow_drip },
	{ "hostile_no_read", test_hostile_no_read },
	{ "hostile_reconnect_at_once", test_hostile_reconnect_at_once },
};

UNIT_CASES(hostile_cases)
