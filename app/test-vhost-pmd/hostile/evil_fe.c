/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * evil_fe: a malicious vhost-user frontend. It connects to the socket of a
 * running net_vhost port (whose host application echoes what the port
 * receives, e.g. vhost-peer --echo-others) and plays one case of abuse:
 * broken framing, bad fds, bad memory tables, bad rings and descriptors,
 * bad virtio-net headers, messages out of order or repeated, a frontend
 * that does not read or that drips its bytes. It speaks the protocol with
 * the unit tests' frontend simulator (unit/fe_sim.c).
 *
 * Each case checks what the backend must do (refuse with a nack, or drop
 * the connection, within a bounded time; skip broken chains and keep
 * serving good ones), then, unless --no-recover, connects again as a
 * well-behaved frontend and checks that echoed packets come back intact.
 *
 *   evil_fe --sock PATH --case NAME      play one case; exit 0 if it held
 *   evil_fe --list                       the case names, one a line
 *   evil_fe --sock PATH --case cycles --count N     N handshakes
 *   evil_fe --sock PATH --case traffic --seconds S  echo traffic for S s
 *   evil_fe --sock PATH --case hold --seconds S     a started device for S s
 *
 * Output: "CASE name: ok ..." or "CASE name: FAIL why"; "RECOVER ok".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "fe_sim.h"

#define MEM_SIZE	(8u << 20)
#define RING		256
#define WAIT_MS		20000	/* generous: the machine is shared */
#define REPLY_MS	15000	/* for a reply or an ack */
#define CLOSE_WAIT_MS	15000

#define F_BASE	(VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES) | \
		 VHU_BIT(VHU_VIRTIO_F_ANY_LAYOUT) | VHU_BIT(VHU_VIRTIO_RING_F_INDIRECT_DESC))
#define F_OFFLOADS (VHU_BIT(VHU_VIRTIO_NET_F_CSUM) | VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO4) | \
		    VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO6) | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM) | \
		    VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF))

static const char *sock_path;
static unsigned long opt_count = 1000;
static unsigned long opt_seconds = 10;
static char fail_why[256];

/* Record why a case failed; returns -1 for "return fail(...)". */
static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	char why[sizeof(fail_why)];	/* fmt's arguments may be fail_why */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memcpy(fail_why, why, sizeof(why));
	return -1;
}

#define TRY(expr) do { int _r = (expr); if (_r < 0) \
	return fail("%s:%d: %s: %d (%s)", __func__, __LINE__, #expr, _r, strerror(-_r)); \
} while (0)
#define EXPECT(cond, ...) do { if (!(cond)) return fail(__VA_ARGS__); } while (0)

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- frontend */

struct evil {
	struct fe_sim s;
	uint16_t hdr_len;
	uint64_t brk0;		/* bump allocator after the rings */
	uint32_t seq;		/* echo packets sent so far */
};

static int
ev_open(struct evil *e, int nregions)
{
	int ret;

	memset(e, 0, sizeof(*e));
	ret = fe_sim_init(&e->s, MEM_SIZE, nregions);
	if (ret < 0)
		return ret;
	fe_set_timeout(&e->s, REPLY_MS);
	ret = fe_connect(&e->s, sock_path);
	if (ret < 0)
		fe_sim_fini(&e->s);
	return ret;
}

static void
ev_close(struct evil *e)
{
	fe_sim_fini(&e->s);
}

/* Full handshake with both vrings of the first queue pair. */
static int
ev_start(struct evil *e, uint64_t want)
{
	int ret = fe_handshake(&e->s, want, 2, RING);

	if (ret < 0)
		return ret;
	e->hdr_len = e->s.features & (VHU_BIT(VHU_VIRTIO_F_VERSION_1) |
				      VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF)) ? 12 : 10;
	e->brk0 = e->s.brk;
	return 0;
}

static int send_acked(struct evil *e, uint32_t req, const void *p, uint32_t size,
		      const int *fds, int n);

/* Features, protocol features (REPLY_ACK) and owner: for raw requests. */
static int
ev_negotiate(struct evil *e)
{
	uint64_t f;
	int ret;

	ret = fe_get_u64(&e->s, VHU_REQ_GET_FEATURES, &f);
	if (ret == 0)
		ret = fe_set_u64(&e->s, VHU_REQ_SET_FEATURES, f & F_BASE);
	if (ret == 0)
		ret = fe_set_u64(&e->s, VHU_REQ_SET_PROTOCOL_FEATURES,
				 VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK));
	if (ret == 0)
		e->s.reply_ack = true;
	if (ret == 0)
		ret = send_acked(e, VHU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	return ret;
}

static bool
closed(struct evil *e)
{
	return fe_peer_closed(&e->s, CLOSE_WAIT_MS);
}

/* The backend refused the last request: a nack, or it dropped us. */
static bool
refused(struct evil *e, int ret)
{
	return ret == -EIO || (ret < 0 && closed(e));
}

/* Send a raw request asking for an ack; 0 acked, -EIO nacked, or -errno. */
static int
send_acked(struct evil *e, uint32_t req, const void *p, uint32_t size, const int *fds, int n)
{
	uint64_t ack = 0;
	int ret;

	ret = fe_send(&e->s, req, VHU_MSG_NEED_REPLY, p, size, fds, n);
	if (ret < 0)
		return ret;
	ret = fe_recv(&e->s, req, &ack, sizeof(ack));
	if (ret < 0)
		return ret;
	return ret == sizeof(ack) && ack == 0 ? 0 : -EIO;
}

/* The connection still answers (GET_FEATURES) or was closed: no hang. */
static bool
answers_or_closed(struct evil *e)
{
	uint64_t f;

	return fe_get_u64(&e->s, VHU_REQ_GET_FEATURES, &f) == 0 || closed(e);
}

static void
kick(struct evil *e, int q)
{
	if (e->s.vq[q].kickfd >= 0)
		eventfd_write(e->s.vq[q].kickfd, 1);
}

/* ------------------------------------------------------------ traffic */

static uint8_t
pat(uint32_t k, uint32_t j)
{
	return (uint8_t)(k * 131 + j * 7 + (j >> 8));
}

static uint32_t
pkt_len(uint32_t k)
{
	return 60 + (k * 37) % 1455;
}

/* Drain the Tx used ring; returns entries popped. */
static int
tx_reap(struct evil *e)
{
	uint32_t id, len;
	int n = 0;

	while (fe_used_pop(&e->s, FE_TX_VQ, &id, &len) == 1)
		n++;
	return n;
}

/*
 * Send n packets on the Tx ring and expect them back, echoed by the host,
 * in order and intact on the Rx ring. Rx buffers of 2048 bytes are posted
 * first. Returns 0, or -1 with fail_why set.
 */
static int
echo_check(struct evil *e, int n)
{
	int rx_heads[RING], i, got = 0, reaped = 0;
	uint8_t frame[2048], buf[2048 + 12];
	uint32_t first = e->seq, id, len;
	uint64_t end;

	if (n > RING / 2)
		n = RING / 2;
	e->s.brk = e->brk0;	/* every earlier chain is back: reuse memory */
	for (i = 0; i < n; i++) {
		rx_heads[i] = fe_post_rx(&e->s, 2048);
		EXPECT(rx_heads[i] >= 0, "cannot post Rx buffer %d", i);
	}
	kick(e, FE_RX_VQ);
	for (i = 0; i < n; i++) {
		uint32_t k = first + i, l = pkt_len(k), j;

		for (j = 0; j < l; j++)
			frame[j] = pat(k, j);
		EXPECT(fe_post_tx(&e->s, frame, l, e->hdr_len, NULL, i % 3 == 2) >= 0,
		       "cannot post Tx packet %d", i);
	}
	e->seq += n;
	kick(e, FE_TX_VQ);
	end = now_ms() + WAIT_MS;
	while ((got < n || reaped < n) && now_ms() < end) {
		reaped += tx_reap(e);
		if (fe_used_pop(&e->s, FE_RX_VQ, &id, &len) != 1) {
			usleep(1000);
			continue;
		}
		{
			uint32_t k = first + got, l = pkt_len(k), j;

			EXPECT(id < RING, "Rx used id %u out of range", id);
			EXPECT(len == e->hdr_len + l, "echo %u: %u bytes, want %u", k, len,
			       e->hdr_len + l);
			fe_chain_read(&e->s, FE_RX_VQ, id, buf, len);
			for (j = 0; j < l; j++)
				EXPECT(buf[e->hdr_len + j] == pat(k, j),
				       "echo %u: byte %u is 0x%02x, want 0x%02x", k, j,
				       buf[e->hdr_len + j], pat(k, j));
		}
		got++;
	}
	EXPECT(got == n && reaped == n, "echo: %d of %d packets back, %d of %d Tx returned",
	       got, n, reaped, n);
	return 0;
}

/* A fresh, well-behaved frontend gets a working port. */
static int
recover(void)
{
	struct evil e;
	int ret = -1, tries;

	/* The backend may still be closing the previous connection. */
	for (tries = 0; tries < 50; tries++) {
		if (ev_open(&e, 1) < 0)
			return fail("recover: cannot connect");
		if (ev_start(&e, F_BASE) == 0)
			break;
		ev_close(&e);
		usleep(100 * 1000);
	}
	if (tries == 50)
		return fail("recover: handshake refused 50 times");
	ret = echo_check(&e, 64);
	ev_close(&e);
	if (ret == 0)
		printf("RECOVER ok\n");
	return ret;
}

/* ---------------------------------------------------------- framing */

static int
c_trunc_header(void)
{
	struct vhu_msg_hdr h = { VHU_REQ_GET_FEATURES, VHU_MSG_VERSION, 0 };
	struct evil e;

	TRY(ev_open(&e, 1));
	/* Half a header, then silence: dropped by the receive timeout. */
	TRY(fe_send_raw(&e.s, &h, 6, NULL, 0));
	EXPECT(closed(&e), "half a header: connection kept");
	ev_close(&e);
	/* Half a header, then close. */
	TRY(ev_open(&e, 1));
	TRY(fe_send_raw(&e.s, &h, 6, NULL, 0));
	ev_close(&e);
	return 0;
}

static int
c_trunc_payload(void)
{
	struct vhu_msg_hdr h = { VHU_REQ_SET_FEATURES, VHU_MSG_VERSION, 8 };
	uint32_t half = 0;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(fe_send_raw(&e.s, &h, sizeof(h), NULL, 0));
	TRY(fe_send_raw(&e.s, &half, sizeof(half), NULL, 0));
	EXPECT(closed(&e), "half a payload: connection kept");
	ev_close(&e);
	return 0;
}

static int
c_oversize(void)
{
	static const uint32_t sizes[] = { 257, 4096, 0x10000, 0xffffffff };
	uint8_t junk[512] = { 0 };
	unsigned int i;
	struct evil e;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct vhu_msg_hdr h = { VHU_REQ_SET_MEM_TABLE, VHU_MSG_VERSION, sizes[i] };

		TRY(ev_open(&e, 1));
		TRY(fe_send_raw(&e.s, &h, sizeof(h), NULL, 0));
		fe_send_raw(&e.s, junk, sizeof(junk), NULL, 0);
		EXPECT(closed(&e), "payload of %u bytes: connection kept", sizes[i]);
		ev_close(&e);
	}
	return 0;
}

static int
c_wrong_size(void)
{
	static const struct { uint32_t req, size; } bad[] = {
		{ VHU_REQ_SET_FEATURES, 4 }, { VHU_REQ_SET_FEATURES, 16 },
		{ VHU_REQ_GET_FEATURES, 8 }, { VHU_REQ_SET_VRING_NUM, 4 },
		{ VHU_REQ_SET_VRING_ADDR, 8 }, { VHU_REQ_GET_VRING_BASE, 0 },
		{ VHU_REQ_SET_VRING_KICK, 4 }, { VHU_REQ_SET_MEM_TABLE, 8 },
		{ VHU_REQ_SET_MEM_TABLE, 8 + 31 }, { VHU_REQ_SET_PROTOCOL_FEATURES, 0 },
	};
	uint8_t junk[256] = { 0 };
	unsigned int i;
	struct evil e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TRY(ev_open(&e, 1));
		TRY(fe_send(&e.s, bad[i].req, 0, junk, bad[i].size, NULL, 0));
		EXPECT(closed(&e), "request %u with %u bytes: connection kept", bad[i].req,
		       bad[i].size);
		ev_close(&e);
	}
	return 0;
}

static int
c_bad_version(void)
{
	static const uint32_t flags[] = { 0, 0x2, 0x3, 0xffffffff };
	unsigned int i;
	struct evil e;

	for (i = 0; i < 4; i++) {
		struct vhu_msg_hdr h = { VHU_REQ_GET_FEATURES, flags[i], 0 };

		TRY(ev_open(&e, 1));
		TRY(fe_send_raw(&e.s, &h, sizeof(h), NULL, 0));
		EXPECT(closed(&e), "flags 0x%x: connection kept", flags[i]);
		ev_close(&e);
	}
	return 0;
}

static int
c_unknown_request(void)
{
	static const uint32_t reqs[] = { 0, 39, 40, 41, 100, 0x7777, 0x10000, 0xffffffff };
	uint64_t payload = 0;
	unsigned int i;
	struct evil e;
	int ret;

	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		ret = send_acked(&e, reqs[i], &payload, sizeof(payload), NULL, 0);
		EXPECT(ret != 0, "unknown request %u acknowledged", reqs[i]);
		if (ret != -EIO) {	/* refused by closing */
			ev_close(&e);
			TRY(ev_open(&e, 1));
			TRY(ev_negotiate(&e));
		}
	}
	/* Refused requests we know, with and without an answer expected. */
	ret = send_acked(&e, VHU_REQ_SET_LOG_BASE, &payload, sizeof(payload), NULL, 0);
	EXPECT(refused(&e, ret), "SET_LOG_BASE accepted");
	ev_close(&e);
	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	/* A refused request with a reply of its own: a reply without payload
	 * (every frontend takes it as a failure), the connection kept. */
	TRY(fe_send(&e.s, VHU_REQ_GET_CONFIG, 0, &payload, sizeof(payload), NULL, 0));
	EXPECT(fe_recv(&e.s, VHU_REQ_GET_CONFIG, &payload, sizeof(payload)) == 0,
	       "GET_CONFIG: no empty failure reply");
	EXPECT(fe_get_u64(&e.s, VHU_REQ_GET_FEATURES, &payload) == 0,
	       "GET_CONFIG: connection not kept after the refusal");
	ev_close(&e);
	return 0;
}

/* ---------------------------------------------------------------- fds */

static struct vhu_mem_table_desc
one_region(struct evil *e)
{
	struct vhu_mem_table_desc m;

	memset(&m, 0, sizeof(m));
	m.nregions = 1;
	m.regions[0] = (struct vhu_mem_region_desc){
		.guest_phys_addr = e->s.gpa_base, .memory_size = MEM_SIZE,
		.userspace_addr = e->s.uva_base, .mmap_offset = 0,
	};
	return m;
}

static int
c_fds_unexpected(void)
{
	uint64_t f = 0;
	int fds[3];
	struct evil e;
	int ret;

	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	fds[0] = fds[1] = fds[2] = e.s.memfd;
	/* fds on requests that take none: refused, the fds closed. */
	ret = send_acked(&e, VHU_REQ_SET_FEATURES, &f, sizeof(f), fds, 3);
	EXPECT(refused(&e, ret), "SET_FEATURES with 3 fds accepted");
	if (ret == -EIO) {	/* nacked: still open */
		ret = send_acked(&e, VHU_REQ_SET_VRING_NUM,
				 &(struct vhu_vring_state){ 0, RING }, 8, fds, 1);
		EXPECT(refused(&e, ret), "SET_VRING_NUM with an fd accepted");
	}
	ev_close(&e);
	return 0;
}

static int
c_too_many_fds(void)
{
	struct vhu_mem_table_desc m;
	int fds[16], i;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	m = one_region(&e);
	for (i = 0; i < 16; i++)
		fds[i] = e.s.memfd;
	TRY(fe_send(&e.s, VHU_REQ_SET_MEM_TABLE, VHU_MSG_NEED_REPLY, &m, 8 + 32, fds, 16));
	EXPECT(closed(&e), "16 fds: connection kept");
	ev_close(&e);
	return 0;
}

static int
c_bad_fds(void)
{
	struct vhu_mem_table_desc m;
	int pipefd[2], efd, fds[2], ret;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	m = one_region(&e);
	TRY(pipe2(pipefd, O_CLOEXEC));
	efd = eventfd(0, EFD_CLOEXEC);
	EXPECT(efd >= 0, "eventfd");
	/* Memory that cannot be mapped: an eventfd, a pipe, a socket. */
	ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, &m, 8 + 32, &efd, 1);
	EXPECT(refused(&e, ret), "eventfd as guest memory accepted");
	if (ret == -EIO) {	/* nacked: still open */
		ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, &m, 8 + 32, &pipefd[0], 1);
		EXPECT(refused(&e, ret), "pipe as guest memory accepted");
	}
	if (ret == -EIO) {	/* nacked: still open */
		ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, &m, 8 + 32, &e.s.fd, 1);
		EXPECT(refused(&e, ret), "socket as guest memory accepted");
	}
	ev_close(&e);
	/* A read-only file as guest memory (/dev/zero read-only: EACCES). */
	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	fds[0] = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	EXPECT(fds[0] >= 0, "open");
	ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, &m, 8 + 32, fds, 1);
	EXPECT(refused(&e, ret), "a read-only procfs file as guest memory accepted");
	close(fds[0]);
	/* An eventfd as kick and call fd is fine; a pipe is not ours to judge,
	 * but a vring fd with NOFD set and an fd attached is refused. */
	if (ret == -EIO) {	/* nacked: still open */
		uint64_t idx = 0 | VHU_VRING_NOFD;

		ret = send_acked(&e, VHU_REQ_SET_VRING_KICK, &idx, 8, &efd, 1);
		EXPECT(refused(&e, ret), "SET_VRING_KICK with NOFD and an fd accepted");
	}
	ev_close(&e);
	close(pipefd[0]);
	close(pipefd[1]);
	close(efd);
	return 0;
}

static int
c_missing_fds(void)
{
	struct vhu_mem_table_desc m;
	uint64_t idx = 0;
	struct evil e;
	int ret;

	TRY(ev_open(&e, 2));
	TRY(ev_negotiate(&e));
	m = one_region(&e);
	ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, &m, 8 + 32, NULL, 0);
	EXPECT(refused(&e, ret), "SET_MEM_TABLE without fd accepted");
	if (ret == -EIO) {	/* nacked: still open */
		m.nregions = 2;
		m.regions[0].memory_size = MEM_SIZE / 2;
		m.regions[1] = m.regions[0];
		m.regions[1].guest_phys_addr += MEM_SIZE / 2;
		m.regions[1].userspace_addr += 0x40000000ULL + MEM_SIZE / 2;
		m.regions[1].mmap_offset = MEM_SIZE / 2;
		ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, &m, 8 + 64, &e.s.memfd, 1);
		EXPECT(refused(&e, ret), "2 regions with 1 fd accepted");
	}
	if (ret == -EIO) {	/* nacked: still open */
		ret = send_acked(&e, VHU_REQ_SET_VRING_KICK, &idx, 8, NULL, 0);
		EXPECT(refused(&e, ret), "SET_VRING_KICK without fd and without NOFD accepted");
	}
	ev_close(&e);
	return 0;
}

/* ------------------------------------------------------- memory table */

static int
mem_table_refused(struct vhu_mem_table_desc *m, int nregions, const char *what)
{
	int fds[VHU_MAX_MEM_REGIONS], i, ret;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	for (i = 0; i < VHU_MAX_MEM_REGIONS; i++)
		fds[i] = e.s.memfd;
	ret = send_acked(&e, VHU_REQ_SET_MEM_TABLE, m, 8 + 32 * nregions, fds, nregions);
	ev_close(&e);
	EXPECT(ret != 0, "%s: accepted", what);
	return 0;
}

static int
c_nine_regions(void)
{
	struct {
		struct vhu_mem_table_desc m;
		struct vhu_mem_region_desc extra;
	} __attribute__((packed)) big;
	struct evil e;
	int fds[9], i;

	/* nregions 9 in a table of 8 regions, then a 9-region payload. */
	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	memset(&big, 0, sizeof(big));
	big.m = one_region(&e);
	big.m.nregions = 9;
	for (i = 0; i < 9; i++)
		fds[i] = e.s.memfd;
	TRY(fe_send(&e.s, VHU_REQ_SET_MEM_TABLE, VHU_MSG_NEED_REPLY, &big.m,
		    8 + 32 * 8, fds, 8));
	EXPECT(closed(&e), "nregions 9: connection kept");
	ev_close(&e);
	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	{
		struct vhu_msg_hdr h = { VHU_REQ_SET_MEM_TABLE, VHU_MSG_VERSION, 8 + 32 * 9 };
		uint8_t wire[sizeof(h) + sizeof(big)];

		memcpy(wire, &h, sizeof(h));
		memcpy(wire + sizeof(h), &big, sizeof(big));
		TRY(fe_send_raw(&e.s, wire, sizeof(wire), fds, 8));
	}
	EXPECT(closed(&e), "9-region payload: connection kept");
	ev_close(&e);
	return 0;
}

static int
c_bad_regions(void)
{
	struct vhu_mem_table_desc m;
	struct evil e;

	/* Only for the addresses fe_sim uses. */
	TRY(ev_open(&e, 1));
	m = one_region(&e);
	ev_close(&e);
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].memory_size = 0;
		if (mem_table_refused(&t, 1, "size 0") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.nregions = 2;
		t.regions[1] = t.regions[0];
		t.regions[1].guest_phys_addr += MEM_SIZE / 2;	/* overlaps */
		t.regions[1].userspace_addr += 0x40000000ULL;
		if (mem_table_refused(&t, 2, "overlapping regions") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].guest_phys_addr = UINT64_MAX - 4096;	/* gpa wraps */
		if (mem_table_refused(&t, 1, "gpa + size wraps") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].userspace_addr = UINT64_MAX - 4096;
		if (mem_table_refused(&t, 1, "uva + size wraps") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].mmap_offset = UINT64_MAX - 4096;
		if (mem_table_refused(&t, 1, "offset + size wraps") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].mmap_offset = MEM_SIZE;	/* past the end of the file */
		if (mem_table_refused(&t, 1, "mmap offset past the file") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].memory_size = 2ULL * MEM_SIZE;	/* larger than the file */
		if (mem_table_refused(&t, 1, "region larger than the file") < 0)
			return -1;
	}
	{
		struct vhu_mem_table_desc t = m;

		t.regions[0].memory_size = 1ULL << 46;	/* 64 TB */
		if (mem_table_refused(&t, 1, "64 TB region") < 0)
			return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- rings */

/* Negotiate and map memory; rings are the case's to set up. */
static int
ev_mem(struct evil *e)
{
	TRY(ev_negotiate(e));
	TRY(fe_set_mem_table(&e->s));
	return 0;
}

static int
c_ring_sizes(void)
{
	static const uint32_t bad[] = { 0, 3, 100, 255, 0x8001, 0xffff, 0x10000, 0x20000,
					0xffffffff };
	unsigned int i;
	struct evil e;
	int ret;

	TRY(ev_open(&e, 1));
	TRY(ev_mem(&e));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = fe_set_vring_state(&e.s, VHU_REQ_SET_VRING_NUM, 0, bad[i]);
		EXPECT(refused(&e, ret), "ring size %u accepted", bad[i]);
		if (ret != -EIO) {	/* refused by closing */
			ev_close(&e);
			TRY(ev_open(&e, 1));
			TRY(ev_mem(&e));
		}
	}
	/* Size 1 and 32768 are legal: rings that small or that large work, or
	 * are refused, but never harm (32768 does not fit our memory: the
	 * addresses are refused or the ring never starts). */
	ret = fe_set_vring_state(&e.s, VHU_REQ_SET_VRING_NUM, 0, 32768);
	EXPECT(ret == 0 || refused(&e, ret), "ring size 32768: %d", ret);
	EXPECT(answers_or_closed(&e), "no answer after ring size 32768");
	ev_close(&e);
	/* A working device on rings of 1 entry (fe_sim keeps 1 chain). */
	TRY(ev_open(&e, 1));
	ret = fe_handshake(&e.s, F_BASE, 2, 1);
	EXPECT(ret == 0 || refused(&e, ret), "rings of 1 entry: %d", ret);
	ev_close(&e);
	return 0;
}

static int
c_vring_index(void)
{
	static const uint32_t idx[] = { 2, 2 * 128, 0xffff, 0x10000, 0x10001, 0xffffffff };
	static const uint32_t reqs[] = { VHU_REQ_SET_VRING_NUM, VHU_REQ_SET_VRING_BASE,
					 VHU_REQ_SET_VRING_ENABLE };
	unsigned int i, r;
	struct evil e;
	int ret;

	TRY(ev_open(&e, 1));
	TRY(ev_mem(&e));
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		for (r = 0; r < 3; r++) {
			ret = fe_set_vring_state(&e.s, reqs[r], idx[i], 1);
			EXPECT(refused(&e, ret), "request %u on vring 0x%x accepted", reqs[r],
			       idx[i]);
			if (ret != -EIO) {	/* refused by closing */
				ev_close(&e);
				TRY(ev_open(&e, 1));
				TRY(ev_mem(&e));
			}
		}
		{
			struct vhu_vring_addr a = { .index = idx[i] };

			ret = send_acked(&e, VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
			EXPECT(refused(&e, ret), "SET_VRING_ADDR on vring 0x%x accepted", idx[i]);
		}
		if (ret != -EIO) {	/* refused by closing */
			ev_close(&e);
			TRY(ev_open(&e, 1));
			TRY(ev_mem(&e));
		}
		{
			uint64_t u = idx[i];
			int efd = eventfd(0, EFD_CLOEXEC);

			ret = send_acked(&e, VHU_REQ_SET_VRING_CALL, &u, 8, &efd, 1);
			close(efd);
			EXPECT(refused(&e, ret), "SET_VRING_CALL on vring 0x%x accepted", idx[i]);
		}
		if (ret != -EIO) {	/* refused by closing */
			ev_close(&e);
			TRY(ev_open(&e, 1));
			TRY(ev_mem(&e));
		}
	}
	/* GET_VRING_BASE refused: a reply without payload (a failure to any
	 * frontend), and the connection goes on serving. */
	{
		struct vhu_vring_state st = { .index = 0x10000 };
		uint64_t f;

		TRY(fe_send(&e.s, VHU_REQ_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0));
		EXPECT(fe_recv(&e.s, VHU_REQ_GET_VRING_BASE, &st, sizeof(st)) == 0,
		       "GET_VRING_BASE on vring 0x10000: no empty failure reply");
		EXPECT(fe_get_u64(&e.s, VHU_REQ_GET_FEATURES, &f) == 0,
		       "GET_VRING_BASE on vring 0x10000: connection not kept");
	}
	ev_close(&e);
	return 0;
}

static int
c_ring_addr(void)
{
	struct evil e;
	int round;

	for (round = 0; round < 4; round++) {
		struct vhu_vring_addr a;
		int ret;

		TRY(ev_open(&e, 1));
		TRY(ev_mem(&e));
		TRY(fe_set_vring_state(&e.s, VHU_REQ_SET_VRING_NUM, 0, RING));
		TRY(fe_set_vring_state(&e.s, VHU_REQ_SET_VRING_BASE, 0, 0));
		a = (struct vhu_vring_addr){ .index = 0,
			.desc_user_addr = e.s.uva_base, .avail_user_addr = e.s.uva_base + 8192,
			.used_user_addr = e.s.uva_base + 16384 };
		switch (round) {
		case 0:	/* desc table outside every region */
			a.desc_user_addr = 0x1000;
			break;
		case 1:	/* used ring straddling the end of memory */
			a.used_user_addr = e.s.uva_base + MEM_SIZE - 64;
			break;
		case 2:	/* avail ring address that wraps */
			a.avail_user_addr = UINT64_MAX - 16;
			break;
		case 3:	/* misaligned desc table */
			a.desc_user_addr = e.s.uva_base + 3;
			break;
		}
		/* Refused now, or kept until the ring starts and refused then:
		 * either way the ring must never run on them. */
		ret = send_acked(&e, VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
		EXPECT(ret == 0 || refused(&e, ret), "ring addresses of round %d: %d", round, ret);
		/* Try to start it anyway: kick and call fds. */
		if (!fe_peer_closed(&e.s, 10)) {
			int efd = eventfd(0, EFD_CLOEXEC);

			fe_set_vring_fd(&e.s, VHU_REQ_SET_VRING_KICK, 0, efd);
			eventfd_write(efd, 1);
			close(efd);
		}
		EXPECT(answers_or_closed(&e), "no answer after bad ring addresses");
		ev_close(&e);
	}
	/* A running device whose Tx ring moves outside memory: the ring
	 * stops, nothing is read from there, the connection may stay. */
	{
		struct vhu_vring_addr a;
		uint8_t f[100] = { 0 };
		int ret;

		TRY(ev_open(&e, 1));
		TRY(ev_start(&e, F_BASE));
		if (echo_check(&e, 4) < 0)
			return -1;
		fe_post_tx(&e.s, f, sizeof(f), e.hdr_len, NULL, false);
		a = (struct vhu_vring_addr){ .index = FE_TX_VQ,
			.desc_user_addr = 0x1000, .avail_user_addr = 0x2000,
			.used_user_addr = 0x3000 };
		ret = send_acked(&e, VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
		EXPECT(ret == 0 || refused(&e, ret), "moving a running ring: %d", ret);
		kick(&e, FE_TX_VQ);
		EXPECT(answers_or_closed(&e), "no answer after moving a running ring");
		ev_close(&e);
	}
	return 0;
}

/* ------------------------------------------------------- descriptors */

enum chain_bad {
	B_LOOP, B_LOOP_EMPTY, B_RING_CYCLE, B_NEXT_RANGE, B_ADDR_END, B_ADDR_LOW,
	B_ADDR_WRAP, B_ZERO_LEN, B_ALL_ZERO, B_IND_OUTSIDE, B_IND_LEN_ODD, B_IND_LEN_ZERO,
	B_IND_NESTED, B_IND_LOOP, B_IND_ENTRY_OUTSIDE, B_IND_HUGE, B_HEAD_RANGE, B_MAX,
};

static const char *const chain_bad_name[B_MAX] = {
	"loop", "loop of empty descriptors", "chain longer than the ring",
	"next out of range", "buffer past memory end", "buffer below memory",
	"address wraps", "zero-length buffer in chain", "all buffers zero-length",
	"indirect table outside memory", "indirect length odd", "indirect length 0",
	"nested indirect", "loop in indirect table", "indirect entry outside memory",
	"indirect table longer than the ring", "head out of range",
};

/* Post a 3-descriptor chain on q broken in way b (Tx: a real packet). */
static int
post_bad(struct evil *e, int q, enum chain_bad b)
{
	struct fe_vq *vq = &e->s.vq[q];
	bool rx = q == FE_RX_VQ;
	bool ind = b >= B_IND_OUTSIDE && b <= B_IND_HUGE;
	struct fe_buf bufs[3];
	struct vhu_desc *d = vq->desc, *tab = NULL;
	int head, i, n = 3;

	for (i = 0; i < 3; i++) {
		bufs[i] = (struct fe_buf){ fe_alloc(&e->s, 64, 16), 64 };
		memset(fe_ptr(&e->s, bufs[i].gpa), 0, 64);
	}
	if (b == B_HEAD_RANGE) {
		vq->avail->ring[vq->avail_idx & (vq->size - 1)] = 0xfff0;
		vq->avail_idx++;
		__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
		return 0;
	}
	if (b == B_RING_CYCLE)
		n = 1;
	head = fe_chain_add(&e->s, q, bufs, n, rx, ind);
	if (head < 0)
		return -1;
	if (ind)
		tab = fe_ptr(&e->s, d[head].addr);
	switch (b) {
	case B_LOOP_EMPTY:
		d[head].len = d[d[head].next].len = d[d[d[head].next].next].len = 0;
		/* fall through */
	case B_LOOP:
		d[d[d[head].next].next].flags |= VHU_DESC_F_NEXT;
		d[d[d[head].next].next].next = head;
		break;
	case B_RING_CYCLE:
		/* Every descriptor chained, the last back to the first. The
		 * ring's own chains are lost: it is rebuilt afterwards. */
		for (i = 0; i < vq->size; i++) {
			d[i].addr = bufs[0].gpa;
			d[i].len = 1;
			d[i].flags = VHU_DESC_F_NEXT | (rx ? VHU_DESC_F_WRITE : 0);
			d[i].next = (i + 1) & (vq->size - 1);
		}
		break;
	case B_NEXT_RANGE:
		d[head].next = vq->size + 1;
		break;
	case B_ADDR_END:
		d[d[head].next].addr = fe_gpa_end(&e->s) - 8;
		break;
	case B_ADDR_LOW:
		d[d[head].next].addr = 0x1000;
		break;
	case B_ADDR_WRAP:
		d[d[head].next].addr = UINT64_MAX - 7;
		break;
	case B_ZERO_LEN:
		d[d[head].next].len = 0;
		break;
	case B_ALL_ZERO:
		d[head].len = d[d[head].next].len = d[d[d[head].next].next].len = 0;
		break;
	case B_IND_OUTSIDE:
		d[head].addr = fe_gpa_end(&e->s) - 16;
		break;
	case B_IND_LEN_ODD:
		d[head].len = 40;
		break;
	case B_IND_LEN_ZERO:
		d[head].len = 0;
		break;
	case B_IND_NESTED:
		tab[1].flags |= VHU_DESC_F_INDIRECT;
		tab[1].addr = d[head].addr;
		tab[1].len = 48;
		break;
	case B_IND_LOOP:
		tab[2].flags |= VHU_DESC_F_NEXT;
		tab[2].next = 0;
		break;
	case B_IND_ENTRY_OUTSIDE:
		tab[1].addr = fe_gpa_end(&e->s) + 4096;
		break;
	case B_IND_HUGE: {
		/* A table of 4 * ring size entries, each chained to the next. */
		uint32_t m = 4 * vq->size, k;
		uint64_t t = fe_alloc(&e->s, 16ULL * m, 16);

		if (t == 0)
			return -1;
		tab = fe_ptr(&e->s, t);
		for (k = 0; k < m; k++)
			tab[k] = (struct vhu_desc){ .addr = bufs[0].gpa, .len = 8,
				.flags = (k + 1 < m ? VHU_DESC_F_NEXT : 0) |
					 (rx ? VHU_DESC_F_WRITE : 0),
				.next = k + 1 };
		d[head].addr = t;
		d[head].len = 16 * m;
		break;
	}
	default:
		break;
	}
	fe_avail_push(&e->s, q, head);
	return head;
}

/* A device whose rings broke in way b still echoes good packets. */
static int
descriptors(enum chain_bad b)
{
	struct evil e;
	int q, i;

	for (q = FE_RX_VQ; q <= FE_TX_VQ; q++) {
		TRY(ev_open(&e, 1));
		TRY(ev_start(&e, F_BASE));
		/* Good traffic first, then the broken chain among good ones. */
		if (echo_check(&e, 8) < 0)
			return fail("%s: before: %s", chain_bad_name[b], fail_why);
		if (q == FE_TX_VQ) {
			uint8_t f[100] = { 0 };

			fe_post_tx(&e.s, f, sizeof(f), e.hdr_len, NULL, false);
		}
		EXPECT(post_bad(&e, q, b) >= 0, "%s: cannot post", chain_bad_name[b]);
		kick(&e, q);
		if (q == FE_RX_VQ) {
			/* A packet for the host to put in the broken Rx chain. */
			uint8_t f[100] = { 0 };

			fe_post_tx(&e.s, f, sizeof(f), e.hdr_len, NULL, false);
			kick(&e, FE_TX_VQ);
		}
		/* Let the host walk it; then the ring state is rebuilt if the
		 * case destroyed it, else traffic continues on the same rings
		 * (an Rx chain with no room at all included: it is returned
		 * unused, split.c). */
		usleep(200 * 1000);
		if (b == B_RING_CYCLE || b == B_HEAD_RANGE || b == B_NEXT_RANGE) {
			ev_close(&e);
			continue;
		}
		/* Drain what came back of the abuse (dropped chains, the extra
		 * packet in the first Rx buffer free or dropped). */
		for (i = 0; i < 20 && (tx_reap(&e), 1); i++) {
			uint32_t id, len;

			while (fe_used_pop(&e.s, FE_RX_VQ, &id, &len) == 1)
				;
			usleep(10 * 1000);
		}
		if (echo_check(&e, 16) < 0)
			return fail("%s on %s ring: after: %s", chain_bad_name[b],
				    q == FE_RX_VQ ? "Rx" : "Tx", fail_why);
		EXPECT(!fe_peer_closed(&e.s, 10), "%s: connection dropped", chain_bad_name[b]);
		ev_close(&e);
	}
	return 0;
}

#define DESC_CASE(fn, b) static int fn(void) { return descriptors(b); }
DESC_CASE(c_desc_loop, B_LOOP)
DESC_CASE(c_desc_loop_empty, B_LOOP_EMPTY)
DESC_CASE(c_desc_ring_cycle, B_RING_CYCLE)
DESC_CASE(c_desc_next_range, B_NEXT_RANGE)
DESC_CASE(c_desc_addr_end, B_ADDR_END)
DESC_CASE(c_desc_addr_low, B_ADDR_LOW)
DESC_CASE(c_desc_addr_wrap, B_ADDR_WRAP)
DESC_CASE(c_desc_zero_len, B_ZERO_LEN)
DESC_CASE(c_desc_all_zero, B_ALL_ZERO)
DESC_CASE(c_ind_outside, B_IND_OUTSIDE)
DESC_CASE(c_ind_len_odd, B_IND_LEN_ODD)
DESC_CASE(c_ind_len_zero, B_IND_LEN_ZERO)
DESC_CASE(c_ind_nested, B_IND_NESTED)
DESC_CASE(c_ind_loop, B_IND_LOOP)
DESC_CASE(c_ind_entry_outside, B_IND_ENTRY_OUTSIDE)
DESC_CASE(c_ind_huge, B_IND_HUGE)
DESC_CASE(c_head_range, B_HEAD_RANGE)

/*
 * The file behind the guest memory shrinks to nothing after the memory
 * table was accepted: the host's next poll of the rings raises SIGBUS
 * (guard.c). The host drops us; we touch our own mapping no more either.
 */
static int
c_mem_shrink(void)
{
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	if (echo_check(&e, 8) < 0)
		return fail("before: %s", fail_why);
	EXPECT(ftruncate(e.s.memfd, 0) == 0, "ftruncate: %s", strerror(errno));
	kick(&e, FE_TX_VQ);
	EXPECT(closed(&e), "the host kept a frontend whose memory is gone");
	ev_close(&e);
	return 0;
}

/* avail->idx far ahead of what the ring holds. */
static int
c_avail_jump(void)
{
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	e.s.vq[FE_TX_VQ].avail->idx = e.s.vq[FE_TX_VQ].avail_idx + 0x8000;
	e.s.vq[FE_RX_VQ].avail->idx = e.s.vq[FE_RX_VQ].avail_idx + RING + 1;
	kick(&e, FE_TX_VQ);
	usleep(200 * 1000);
	EXPECT(tx_reap(&e) == 0, "avail jump: Tx entries consumed");
	e.s.vq[FE_TX_VQ].avail->idx = e.s.vq[FE_TX_VQ].avail_idx;
	e.s.vq[FE_RX_VQ].avail->idx = e.s.vq[FE_RX_VQ].avail_idx;
	if (echo_check(&e, 16) < 0)
		return fail("after the guest fixed its index: %s", fail_why);
	ev_close(&e);
	return 0;
}

/* Virtio-net headers with every field wrong, offloads negotiated. */
static int
c_vnet_hdr(void)
{
	static const struct vhu_net_hdr_mrg {
		uint8_t flags, gso_type;
		uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
	} __attribute__((packed)) bad[] = {
		{ 0xff, 0xff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff },
		{ 1, 0, 0, 0, 0xfff0, 0xfff0, 0 },	/* NEEDS_CSUM past the end */
		{ 1, 0, 0, 0, 10, 0xffff, 0 },
		{ 0, 1, 0xffff, 0, 0, 0, 0 },		/* TCPv4 GSO, no size */
		{ 0, 1, 54, 1, 34, 16, 0 },		/* gso_size 1 */
		{ 0, 4, 0, 0, 0, 0, 0 },		/* TCPv6 on a short frame */
		{ 0, 3, 0, 1400, 0, 0, 0 },		/* UFO, not negotiated */
		{ 0, 0x80, 0, 0, 0, 0, 0 },		/* ECN alone */
		{ 2, 0, 0, 0, 0, 0, 7 },		/* DATA_VALID, num_buffers */
	};
	uint8_t stream[12 + 200];
	struct evil e;
	unsigned int i, sent = 0;
	uint64_t end;
	int back = 0;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE | F_OFFLOADS));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t frame[200];
		uint32_t j;

		for (j = 0; j < sizeof(frame); j++)
			frame[j] = (uint8_t)j;
		frame[12] = 0x08;	/* IPv4 */
		frame[13] = 0x00;
		memcpy(stream, &bad[i], e.hdr_len);
		memcpy(stream + e.hdr_len, frame, sizeof(frame));
		/* fe_post_tx writes a zero header: post the bytes ourselves. */
		{
			struct fe_buf b = { fe_alloc(&e.s, sizeof(stream), 8),
					    e.hdr_len + sizeof(frame) };

			EXPECT(b.gpa != 0, "alloc");
			memcpy(fe_ptr(&e.s, b.gpa), stream, b.len);
			EXPECT(fe_post(&e.s, FE_TX_VQ, &b, 1, false, false) >= 0, "post");
			sent++;
		}
	}
	/* No Rx buffers: most of these are dropped by the backend (invalid
	 * header), an echo of the others is dropped by the host for want of
	 * buffers. Buffers posted now and left unused would overlap the
	 * memory echo_check() reuses. */
	kick(&e, FE_TX_VQ);
	end = now_ms() + WAIT_MS;
	while (back < (int)sent && now_ms() < end) {
		back += tx_reap(&e);
		usleep(1000);
	}
	EXPECT(back == (int)sent, "bad headers: %d of %u Tx chains returned", back, sent);
	usleep(100 * 1000);
	printf("vnet-hdr: %u packets with bad headers consumed\n", sent);
	if (echo_check(&e, 16) < 0)
		return fail("after bad headers: %s", fail_why);
	ev_close(&e);
	return 0;
}

/* ------------------------------------------------------ order, repeats */

static int
c_out_of_order(void)
{
	struct evil e;
	uint64_t f;
	int ret;

	/* Vrings, kicks and calls before any memory table. */
	TRY(ev_open(&e, 1));
	TRY(ev_negotiate(&e));
	ret = fe_vq_setup(&e.s, 0, RING);
	if (ret == 0)
		ret = fe_vq_setup(&e.s, 1, RING);
	kick(&e, 0);
	kick(&e, 1);
	EXPECT(answers_or_closed(&e), "no answer after rings before memory");
	ev_close(&e);
	/* Memory table, vrings and kicks before SET_FEATURES. */
	TRY(ev_open(&e, 1));
	fe_set_mem_table(&e.s);
	fe_vq_setup(&e.s, 0, RING);
	fe_vq_setup(&e.s, 1, RING);
	kick(&e, 1);
	EXPECT(answers_or_closed(&e), "no answer after rings before features");
	ev_close(&e);
	/* Features changed after the device started: refused or restarted,
	 * never applied under the data path. */
	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	if (echo_check(&e, 8) < 0)
		return -1;
	TRY(fe_get_u64(&e.s, VHU_REQ_GET_FEATURES, &f));
	ret = fe_set_u64(&e.s, VHU_REQ_SET_FEATURES, f & (F_BASE | F_OFFLOADS));
	EXPECT(ret == 0 || refused(&e, ret), "features while running: %d", ret);
	EXPECT(answers_or_closed(&e), "no answer after features while running");
	ret = fe_set_u64(&e.s, VHU_REQ_SET_PROTOCOL_FEATURES, 0);
	EXPECT(answers_or_closed(&e), "no answer after protocol features while running");
	ev_close(&e);
	/* SET_OWNER twice, RESET_OWNER mid-traffic, then a full restart. */
	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	ret = send_acked(&e, VHU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	EXPECT(answers_or_closed(&e), "no answer after a second SET_OWNER");
	if (!fe_peer_closed(&e.s, 10)) {
		ret = send_acked(&e, VHU_REQ_RESET_OWNER, NULL, 0, NULL, 0);
		kick(&e, 1);
		EXPECT(answers_or_closed(&e), "no answer after RESET_OWNER");
	}
	ev_close(&e);
	return 0;
}

static int
c_repeat(void)
{
	struct evil e;
	int i, efd;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	/* A new memory table 50 times, each in a fresh memfd: the old one
	 * must be unmapped and its fd closed every time (the host's fd count
	 * is checked by the script). */
	for (i = 0; i < 50; i++) {
		TRY(fe_sim_remap(&e.s));
		TRY(fe_set_mem_table(&e.s));
	}
	for (i = 0; i < 50; i++) {
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		TRY(fe_set_vring_fd(&e.s, VHU_REQ_SET_VRING_KICK, i & 1, efd));
		close(e.s.vq[i & 1].kickfd);
		e.s.vq[i & 1].kickfd = efd;
		efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		TRY(fe_set_vring_fd(&e.s, VHU_REQ_SET_VRING_CALL, i & 1, efd));
		close(e.s.vq[i & 1].callfd);
		e.s.vq[i & 1].callfd = efd;
	}
	/* SET_VRING_NUM on a running ring: refused or ring restarted. */
	for (i = 0; i < 20; i++) {
		int ret = fe_set_vring_state(&e.s, VHU_REQ_SET_VRING_NUM, i & 1, RING);

		EXPECT(ret == 0 || refused(&e, ret), "SET_VRING_NUM again: %d", ret);
		if (fe_peer_closed(&e.s, 1))
			break;
	}
	ev_close(&e);
	/* After all that, a clean device on the same connection sequence. */
	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	for (i = 0; i < 20; i++) {
		TRY(fe_sim_remap(&e.s));
		TRY(fe_set_mem_table(&e.s));
		if (echo_check(&e, 4) < 0)
			return fail("after memory table %d: %s", i, fail_why);
	}
	ev_close(&e);
	return 0;
}

/* ------------------------------------------------- stalled frontends */

/* Ask for replies and never read them: the backend must drop us rather
 * than block its control thread on a full socket. */
static int
c_no_read(void)
{
	struct vhu_msg_hdr h = { VHU_REQ_GET_FEATURES, VHU_MSG_VERSION, 0 };
	uint64_t end = now_ms() + 60000;
	int sndbuf = 4096, n = 0;
	struct evil e;

	TRY(ev_open(&e, 1));
	setsockopt(e.s.fd, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
	fe_set_timeout(&e.s, 200);
	while (now_ms() < end) {
		if (fe_send_raw(&e.s, &h, sizeof(h), NULL, 0) < 0)
			break;	/* dropped (EPIPE/ECONNRESET) or our buffer full */
		n++;
	}
	/* Wait for the close, reading nothing but the end. */
	{
		struct pollfd p = { .fd = e.s.fd, .events = POLLRDHUP };

		while (now_ms() < end) {
			if (poll(&p, 1, 100) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
				break;
		}
		EXPECT(p.revents & (POLLRDHUP | POLLHUP | POLLERR),
		       "no-read: not dropped within 60 s (%d requests sent)", n);
	}
	printf("no-read: dropped after %d unread requests\n", n);
	ev_close(&e);
	return 0;
}

/* A message dripped one byte at a time, slower than the backend waits for
 * a whole message: it must give up rather than wait for every byte. */
static int
c_slow_drip(void)
{
	struct {
		struct vhu_msg_hdr h;
		uint64_t f;
	} __attribute__((packed)) m = { { VHU_REQ_SET_FEATURES, VHU_MSG_VERSION, 8 }, 0 };
	const uint8_t *p = (const uint8_t *)&m;
	struct evil e;
	size_t i;

	TRY(ev_open(&e, 1));
	for (i = 0; i < sizeof(m); i++) {
		if (fe_send_raw(&e.s, p + i, 1, NULL, 0) < 0 || fe_peer_closed(&e.s, 400))
			break;
	}
	EXPECT(i < sizeof(m), "slow drip: all %zu bytes taken over %zu ms, connection kept",
	       sizeof(m), sizeof(m) * 400);
	printf("slow-drip: dropped after %zu of %zu bytes\n", i + 1, sizeof(m));
	ev_close(&e);
	return 0;
}

/* A guest that never takes what it is given: its Rx ring stays full. */
static int
c_rx_full(void)
{
	uint8_t frame[200] = { 0 };
	int i, back = 0, rx_done = 0;
	uint32_t id, len;
	uint64_t end;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	for (i = 0; i < 4; i++)
		fe_post_rx(&e.s, 2048);
	/* 400 packets for the host to echo into 4 buffers, in rounds. */
	end = now_ms() + WAIT_MS * 3;
	for (i = 0; i < 400 && now_ms() < end; ) {
		while (i < 400 && fe_post_tx(&e.s, frame, sizeof(frame), e.hdr_len, NULL,
					     false) >= 0)
			i++;
		kick(&e, FE_TX_VQ);
		back += tx_reap(&e);
		usleep(1000);
		if (e.s.brk > MEM_SIZE / 2)
			e.s.brk = e.brk0 + 4 * 2048;	/* Tx buffers are reused */
	}
	while (back < 400 && now_ms() < end) {
		back += tx_reap(&e);
		usleep(1000);
	}
	EXPECT(back == 400, "rx-full: %d of 400 Tx packets taken", back);
	while (fe_used_pop(&e.s, FE_RX_VQ, &id, &len) == 1)
		rx_done++;
	EXPECT(rx_done <= 4, "rx-full: %d Rx buffers used, 4 posted", rx_done);
	printf("rx-full: 400 packets sent, %d echoes fit, the rest dropped by the host\n",
	       rx_done);
	ev_close(&e);
	return 0;
}

/* ------------------------------------------------------- robustness */

static int
c_cycles(void)
{
	unsigned long i;
	struct evil e;

	for (i = 0; i < opt_count; i++) {
		TRY(ev_open(&e, 1));
		if (ev_start(&e, F_BASE) < 0) {
			ev_close(&e);
			return fail("cycle %lu: handshake failed", i);
		}
		/* Every tenth cycle also passes traffic. */
		if (i % 10 == 0 && echo_check(&e, 4) < 0)
			return fail("cycle %lu: %s", i, fail_why);
		ev_close(&e);
	}
	printf("cycles: %lu connect/handshake/disconnect cycles\n", opt_count);
	return 0;
}

static int
c_traffic(void)
{
	uint64_t end = now_ms() + opt_seconds * 1000;
	unsigned long rounds = 0;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	while (now_ms() < end) {
		if (echo_check(&e, 32) < 0)
			return fail("round %lu: %s", rounds, fail_why);
		rounds++;
		usleep(20 * 1000);
	}
	printf("traffic: %lu rounds of 32 echoed packets\n", rounds);
	ev_close(&e);
	return 0;
}

/* Connect, handshake, hold the connection --seconds (or until killed). */
static int
c_hold(void)
{
	uint64_t end = now_ms() + opt_seconds * 1000;
	struct evil e;

	TRY(ev_open(&e, 1));
	TRY(ev_start(&e, F_BASE));
	printf("HOLDING\n");
	fflush(stdout);
	while (now_ms() < end)
		usleep(100 * 1000);
	EXPECT(!fe_peer_closed(&e.s, 1), "hold: the backend dropped a good frontend");
	ev_close(&e);
	return 0;
}

/* ---------------------------------------------------------------- main */

struct evil_case {
	const char *name;
	int (*fn)(void);
	bool listed;	/* part of the hostile suite (--list) */
};

static const struct evil_case cases[] = {
	{ "trunc-header", c_trunc_header, true },
	{ "trunc-payload", c_trunc_payload, true },
	{ "oversize", c_oversize, true },
	{ "wrong-size", c_wrong_size, true },
	{ "bad-version", c_bad_version, true },
	{ "unknown-request", c_unknown_request, true },
	{ "fds-unexpected", c_fds_unexpected, true },
	{ "too-many-fds", c_too_many_fds, true },
	{ "bad-fds", c_bad_fds, true },
	{ "missing-fds", c_missing_fds, true },
	{ "nine-regions", c_nine_regions, true },
	{ "bad-regions", c_bad_regions, true },
	{ "ring-sizes", c_ring_sizes, true },
	{ "vring-index", c_vring_index, true },
	{ "ring-addr", c_ring_addr, true },
	{ "desc-loop", c_desc_loop, true },
	{ "desc-loop-empty", c_desc_loop_empty, true },
	{ "desc-ring-cycle", c_desc_ring_cycle, true },
	{ "desc-next-range", c_desc_next_range, true },
	{ "desc-addr-end", c_desc_addr_end, true },
	{ "desc-addr-low", c_desc_addr_low, true },
	{ "desc-addr-wrap", c_desc_addr_wrap, true },
	{ "desc-zero-len", c_desc_zero_len, true },
	{ "desc-all-zero", c_desc_all_zero, true },
	{ "ind-outside", c_ind_outside, true },
	{ "ind-len-odd", c_ind_len_odd, true },
	{ "ind-len-zero", c_ind_len_zero, true },
	{ "ind-nested", c_ind_nested, true },
	{ "ind-loop", c_ind_loop, true },
	{ "ind-entry-outside", c_ind_entry_outside, true },
	{ "ind-huge", c_ind_huge, true },
	{ "head-range", c_head_range, true },
	{ "avail-jump", c_avail_jump, true },
	{ "mem-shrink", c_mem_shrink, true },
	{ "vnet-hdr", c_vnet_hdr, true },
	{ "out-of-order", c_out_of_order, true },
	{ "repeat", c_repeat, true },
	{ "no-read", c_no_read, true },
	{ "slow-drip", c_slow_drip, true },
	{ "rx-full", c_rx_full, true },
	{ "cycles", c_cycles, false },
	{ "traffic", c_traffic, false },
	{ "hold", c_hold, false },
};

static void
usage(void)
{
	fprintf(stderr, "usage: evil_fe --list | --sock PATH --case NAME [--count N] "
		"[--seconds S] [--no-recover]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sock", required_argument, NULL, 's' },
		{ "case", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "no-recover", no_argument, NULL, 'R' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	bool recover_after = true;
	unsigned int i;
	int opt, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock_path = optarg; break;
		case 'c': name = optarg; break;
		case 'n': opt_count = strtoul(optarg, NULL, 0); break;
		case 't': opt_seconds = strtoul(optarg, NULL, 0); break;
		case 'R': recover_after = false; break;
		case 'l':
			for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
				if (cases[i].listed)
					printf("%s\n", cases[i].name);
			return 0;
		default: usage();
		}
	}
	if (sock_path == NULL || name == NULL)
		usage();
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(cases[i].name, name) == 0)
			break;
	if (i == sizeof(cases) / sizeof(cases[0])) {
		fprintf(stderr, "evil_fe: no case %s\n", name);
		return 2;
	}
	ret = cases[i].fn();
	if (ret == 0 && recover_after && cases[i].fn != c_hold)
		ret = recover();
	if (ret == 0)
		printf("CASE %s: ok\n", name);
	else
		printf("CASE %s: FAIL %s\n", name, fail_why);
	return ret == 0 ? 0 : 1;
}
