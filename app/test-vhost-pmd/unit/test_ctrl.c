/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The control plane: protocol features and the requests behind them
 * (NET_SET_MTU, SET/GET_STATUS, GET_MAX_MEM_SLOTS/ADD_MEM_REG/REM_MEM_REG,
 * SET_BACKEND_REQ_FD, SET_VRING_ERR, SEND_RARP with the PMD's RARP frame,
 * RESET_OWNER), refused and unknown requests, and the fds the library
 * keeps and closes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <rte_arp.h>
#include <rte_ether.h>

#include <rte_malloc.h>

#include "unit.h"
#include "vhu_dev.h"
#include "eth_vhost.h"

#define PF(f)	VHU_BIT(VHU_PROTOCOL_F_ ## f)

/* ------------------------------------------------------------- helpers */

static int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* The library closes fds on its own thread: wait for the count. */
static bool
fd_count_is(int want, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	int n;

	while ((n = fd_count()) != want) {
		if (now_ms() > end) {
			fprintf(stderr, "  %d fds open, expected %d\n", n, want);
			return false;
		}
		usleep(1000);
	}
	return true;
}

/* Connect t (registered) with extra protocol features; wait for the device
 * unless STATUS holds it back. */
static int
ctrl_connect(struct t *t, uint64_t features, uint64_t pf)
{
	int want_new = ev_get(&ev.new_dev) + 1;

	if (t_open(t, 1) < 0)
		goto fail;
	t->s.extra_protocol = pf;
	CHECK_EQ(fe_handshake(&t->s, features, 2, RING_SIZE), 0);
	CHECK_EQ(t->s.protocol_features & pf, pf);
	t->mrg = t->s.features & VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	t->hdr_len = 12;
	if (pf & PF(STATUS))
		return 0;
	return t_wait_up(t, want_new);
fail:
	return -1;
}

static int
ctrl_start(struct t *t, uint64_t pf)
{
	if (t_register(t, 0) < 0)
		return -1;
	return ctrl_connect(t, F_BASE, pf);
}

/* Register t, count our fds (the library's control thread and epoll fds
 * exist once a socket is registered), connect. */
static int
ctrl_start_counted(struct t *t, uint64_t pf, int *fds0)
{
	if (t_register(t, 0) < 0)
		return -1;
	*fds0 = fd_count();
	return ctrl_connect(t, F_BASE, pf);
}

/* One packet each way through the base region, checked byte for byte. */
static int
serves(struct t *t, unsigned int seed)
{
	return t_traffic(t, 300, seed, 400, seed + 1, 2000);
}

/* The ack of the last request: 0 accepted, -EIO refused. */
static int
set_u64(struct t *t, uint32_t req, uint64_t v)
{
	return fe_set_u64(&t->s, req, v);
}

/* A fd whose peer end sees the library close it: POLLHUP on *watch. */
static int
sock_pair(int *give, int *watch)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*give = sv[1];
	*watch = sv[0];
	return 0;
}

static bool
hung_up(int fd, unsigned int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLHUP);
}

/* ------------------------------------------------------------- features */

static int
test_ctrl_protocol_features(void)
{
	static const uint64_t want = PF(MQ) | PF(LOG_SHMFD) | PF(RARP) | PF(REPLY_ACK) |
		PF(NET_MTU) | PF(BACKEND_REQ) | PF(CONFIGURE_MEM_SLOTS) | PF(STATUS);
	uint64_t f, pf;
	struct t t;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f), 0);
	CHECK(f & VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES));
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, f & F_BASE), 0);
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_PROTOCOL_FEATURES, &pf), 0);
	/* Exactly what we implement: no CONFIG, INFLIGHT, PAGEFAULT, ... */
	CHECK_EQ(pf, want);
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_PROTOCOL_FEATURES, PF(REPLY_ACK)), 0);
	t.s.reply_ack = true;
	/* A bit we did not offer is refused and changes nothing. */
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_PROTOCOL_FEATURES, PF(REPLY_ACK) | PF(CONFIG)), -EIO);
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_PROTOCOL_FEATURES, want), 0);
	/* GET_QUEUE_NUM now that MQ is on: our one queue pair. */
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_QUEUE_NUM, &f), 0);
	CHECK_EQ(f, 1);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ------------------------------------------------------------------ MTU */

static int
test_ctrl_mtu(void)
{
	struct t t;
	int vid;

	if (ctrl_start(&t, PF(NET_MTU)) < 0)
		goto fail;
	CHECK_EQ(vhu_get_mtu(t.vid), -ENODATA);
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 67), -EIO);
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 65536), -EIO);
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 1ULL << 32 | 1500), -EIO);
	CHECK_EQ(vhu_get_mtu(t.vid), -ENODATA);
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 68), 0);
	CHECK_EQ(vhu_get_mtu(t.vid), 68);
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 65535), 0);
	CHECK_EQ(vhu_get_mtu(t.vid), 65535);
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 9000), 0);
	CHECK_EQ(vhu_get_mtu(t.vid), 9000);
	if (serves(&t, 1) < 0)
		goto fail;
	/* Gone with the connection. */
	vid = t.vid;
	fe_sim_fini(&t.s);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	{
		uint64_t end = now_ms() + 3000;

		while (vhu_get_mtu(vid) != -ENODEV && now_ms() < end)
			usleep(1000);
		CHECK_EQ(vhu_get_mtu(vid), -ENODEV);
	}
	/* Without NET_MTU negotiated: refused, nothing stored. */
	if (ctrl_connect(&t, F_BASE, 0) < 0)
		goto fail;
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 1500), -EIO);
	CHECK_EQ(vhu_get_mtu(t.vid), -ENODATA);
	if (serves(&t, 3) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* --------------------------------------------------------------- status */

static int
get_status(struct t *t, uint64_t *st)
{
	int ret = fe_call(&t->s, VHU_REQ_GET_STATUS, NULL, 0, st, sizeof(*st));

	return ret == sizeof(*st) ? 0 : -1;
}

static int
test_ctrl_status(void)
{
	const uint64_t ok = VHU_STATUS_ACKNOWLEDGE | VHU_STATUS_DRIVER |
		VHU_STATUS_FEATURES_OK | VHU_STATUS_DRIVER_OK;
	uint64_t st = 0xdead;
	uint32_t base;
	struct t t;

	if (ctrl_start(&t, PF(STATUS)) < 0)
		goto fail;
	CHECK_EQ(get_status(&t, &st), 0);
	CHECK_EQ(st, 0);
	/* Rings ready, but no DRIVER_OK yet: no device. */
	usleep(100 * 1000);
	CHECK_EQ(ev_get(&ev.new_dev), 0);
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, VHU_STATUS_ACKNOWLEDGE | VHU_STATUS_DRIVER |
			 VHU_STATUS_FEATURES_OK), 0);
	CHECK_EQ(get_status(&t, &st), 0);
	CHECK_EQ(st, VHU_STATUS_ACKNOWLEDGE | VHU_STATUS_DRIVER | VHU_STATUS_FEATURES_OK);
	usleep(50 * 1000);
	CHECK_EQ(ev_get(&ev.new_dev), 0);
	/* Not a status byte. */
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, 0x100 | ok), -EIO);
	CHECK_EQ(ev_get(&ev.new_dev), 0);
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, ok), 0);
	if (t_wait_up(&t, 1) < 0)
		goto fail;
	CHECK_EQ(get_status(&t, &st), 0);
	CHECK_EQ(st, ok);
	if (serves(&t, 5) < 0)
		goto fail;
	/* Reset: the device stops, the rings keep their state... */
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, 0), 0);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	CHECK_EQ(get_status(&t, &st), 0);
	CHECK_EQ(st, 0);
	{
		struct rte_mbuf *p = mk_pkt1(64, 1);

		CHECK(p != NULL);
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
		rte_pktmbuf_free(p);
	}
	/* ...and DRIVER_OK again starts it where it was. */
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, ok), 0);
	if (t_wait_up(&t, 2) < 0)
		goto fail;
	{
		struct rte_mbuf *p = mk_pkt1(200, 9);

		CHECK(p != NULL);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		if (rx_check(&t, p, 1) < 0) {
			rte_pktmbuf_free(p);
			goto fail;
		}
		rte_pktmbuf_free(p);
	}
	/* FAILED stops it too; GET_VRING_BASE after a reset, as QEMU 7.2
	 * sends them, reports where the rings are. */
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, ok | VHU_STATUS_FAILED), 0);
	CHECK(ev_wait(&ev.destroy_dev, 2, 3000));
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, 0), 0);
	CHECK_EQ(fe_get_vring_base(&t.s, 0, &base), 0);
	CHECK_EQ(base, 2);
	CHECK_EQ(fe_get_vring_base(&t.s, 1, &base), 0);
	CHECK_EQ(base, 1);
	/* Without STATUS negotiated both are refused. */
	fe_sim_fini(&t.s);
	if (ctrl_connect(&t, F_BASE, 0) < 0)
		goto fail;
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, 0), -EIO);
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_STATUS, NULL, 0, &st, sizeof(st)), 0);
	if (serves(&t, 7) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ------------------------------------------------------------ mem slots */

#define SLOT_SIZE	(64u << 10)
#define SLOT_GPA	0x200000000ULL	/* above the simulator's base region */
#define SLOT_UVA	0x7f0000000000ULL
#define NR_SLOTS	(VHU_MAX_MEM_SLOTS - 1)	/* with the base region: all */

/* Guest memory the simulator does not know: one memfd per slot. */
struct slots {
	uint8_t *map[NR_SLOTS + 1];
};

static uint64_t slot_gpa(int i) { return SLOT_GPA + (uint64_t)i * SLOT_SIZE; }
static uint64_t slot_uva(int i) { return SLOT_UVA + (uint64_t)i * 2 * SLOT_SIZE; }

static uint8_t *
slot_ptr(struct slots *sl, uint64_t gpa)
{
	uint64_t off = gpa - SLOT_GPA;

	return sl->map[off / SLOT_SIZE] + off % SLOT_SIZE;
}

/* Create slot i and send ADD_MEM_REG for it (adjacent gpas: slot i ends
 * where slot i + 1 starts). Returns the ack. */
static int
slot_add(struct t *t, struct slots *sl, int i)
{
	int fd = memfd_create("slot", MFD_CLOEXEC), ret;

	if (fd < 0 || ftruncate(fd, SLOT_SIZE) < 0)
		return -errno;
	sl->map[i] = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sl->map[i] == MAP_FAILED) {
		sl->map[i] = NULL;
		close(fd);
		return -ENOMEM;
	}
	memset(sl->map[i], 0xee, SLOT_SIZE);
	ret = fe_mem_reg(&t->s, VHU_REQ_ADD_MEM_REG, slot_gpa(i), SLOT_SIZE, slot_uva(i), 0, fd);
	close(fd);	/* the library has its own now, or none */
	return ret;
}

static int
slot_rem(struct t *t, int i)
{
	return fe_mem_reg(&t->s, VHU_REQ_REM_MEM_REG, slot_gpa(i), SLOT_SIZE, slot_uva(i), 0, -1);
}

static void
slots_free(struct slots *sl)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(sl->map); i++)
		if (sl->map[i] != NULL)
			munmap(sl->map[i], SLOT_SIZE);
	memset(sl, 0, sizeof(*sl));
}

/* An Rx packet into a buffer at gpa of len bytes (maybe across slots):
 * the vnet header and every byte as the library wrote them. */
static int
slot_rx(struct t *t, struct slots *sl, uint64_t gpa, uint32_t len, unsigned int seed)
{
	struct fe_buf b = { .gpa = gpa, .len = len };
	uint16_t segs[4] = { 0 };
	struct rte_mbuf *p;
	uint32_t id, ulen, i, left = len - 12;
	int head;

	/* Segments of at most 1500 bytes: an mbuf holds 2 KB. */
	for (i = 0; left > 0 && i < RTE_DIM(segs) - 1; i++) {
		segs[i] = RTE_MIN(left, 1500u);
		left -= segs[i];
	}
	p = left == 0 ? mk_pkt(segs, seed) : NULL;

	CHECK(p != NULL);
	CHECK((head = fe_post(&t->s, FE_RX_VQ, &b, 1, true, false)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t->vid, 0, &p, 1), 1);
	CHECK_EQ(fe_used_pop(&t->s, FE_RX_VQ, &id, &ulen), 1);
	CHECK_EQ(id, head);
	CHECK_EQ(ulen, len);
	for (i = 0; i < 10; i++)
		CHECK_EQ(*slot_ptr(sl, gpa + i), 0);
	CHECK_EQ(*slot_ptr(sl, gpa + 10), 1);	/* num_buffers */
	for (i = 0; i < len - 12; i++)
		if (*slot_ptr(sl, gpa + 12 + i) != pat(seed, i))
			FAIL("rx byte %u at gpa 0x%" PRIx64, i, gpa + 12 + i);
	rte_pktmbuf_free(p);
	return 0;
fail:
	rte_pktmbuf_free(p);
	return -1;
}

/* A Tx packet the guest wrote at gpa (len bytes after the header). */
static int
slot_tx(struct t *t, struct slots *sl, uint64_t gpa, uint32_t len, unsigned int seed)
{
	struct fe_buf b = { .gpa = gpa, .len = 12 + len };
	struct rte_mbuf *m[1] = { 0 };
	uint32_t i;

	for (i = 0; i < 12; i++)
		*slot_ptr(sl, gpa + i) = 0;
	for (i = 0; i < len; i++)
		*slot_ptr(sl, gpa + 12 + i) = pat(seed, i);
	CHECK(fe_post(&t->s, FE_TX_VQ, &b, 1, false, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t->vid, 1, mp, m, 1), 1);
	if (tx_check(m[0], len, seed, 0) < 0)
		goto fail;
	CHECK_EQ(fe_used_pop(&t->s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);
	free_pkts(m, 1);
	return 0;
fail:
	free_pkts(m, 1);
	return -1;
}

static int
test_ctrl_mem_slots(void)
{
	struct slots sl;
	uint64_t n = 0;
	int i, fds0, fds_up;
	struct t t;

	memset(&sl, 0, sizeof(sl));
	if (ctrl_start_counted(&t, PF(CONFIGURE_MEM_SLOTS), &fds0) < 0)
		goto fail;
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_MAX_MEM_SLOTS, NULL, 0, &n, sizeof(n)), 8);
	CHECK_EQ(n, VHU_MAX_MEM_SLOTS);
	fds_up = fd_count();
	/* Fill every slot while the device runs. */
	for (i = 0; i < NR_SLOTS; i++)
		if (slot_add(&t, &sl, i) != 0)
			FAIL("ADD_MEM_REG of slot %d refused", i);
	/* One more than we offer. */
	CHECK_EQ(slot_add(&t, &sl, NR_SLOTS), -EIO);
	CHECK(fd_count_is(fds_up + NR_SLOTS, 3000));
	/* Traffic through slots added later, within one and across two. */
	if (slot_rx(&t, &sl, slot_gpa(5) + 100, 1000, 11) < 0 ||
	    slot_rx(&t, &sl, slot_gpa(NR_SLOTS - 1) + SLOT_SIZE - 1500, 1500, 12) < 0 ||
	    slot_rx(&t, &sl, slot_gpa(40) + SLOT_SIZE - 700, 1400, 13) < 0 ||
	    slot_tx(&t, &sl, slot_gpa(0), 600, 14) < 0 ||
	    slot_tx(&t, &sl, slot_gpa(77) + SLOT_SIZE - 300, 900, 15) < 0)
		goto fail;
	if (serves(&t, 16) < 0)
		goto fail;

	/* Removing a region in use: its buffer is returned unused (len 0)
	 * and never written, the next buffer gets the packet. */
	{
		struct fe_buf b = { .gpa = slot_gpa(60), .len = 2048 };
		struct rte_mbuf *p = mk_pkt1(100, 17);
		uint32_t id, len;
		int head;

		CHECK(p != NULL);
		CHECK((head = fe_post(&t.s, FE_RX_VQ, &b, 1, true, false)) >= 0);
		if (slot_rem(&t, 60) != 0) {
			rte_pktmbuf_free(p);
			FAIL("REM_MEM_REG of slot 60 refused");
		}
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
		rte_pktmbuf_free(p);
		if (used_pop_check(&t, FE_RX_VQ, head, 0) < 0)
			goto fail;
		for (i = 0; i < 2048; i++)
			CHECK_EQ(sl.map[60][i], 0xee);
		/* A buffer across the hole is broken too. */
		b.gpa = slot_gpa(59) + SLOT_SIZE - 100;
		b.len = 400;
		p = mk_pkt1(200, 18);
		CHECK(p != NULL);
		CHECK((head = fe_post(&t.s, FE_RX_VQ, &b, 1, true, false)) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
		rte_pktmbuf_free(p);
		CHECK_EQ(fe_used_pop(&t.s, FE_RX_VQ, &id, &len), 1);
		CHECK_EQ(len, 0);
		if (serves(&t, 19) < 0)
			goto fail;
	}
	/* Refused: removing it again, an unknown region, a size that does
	 * not match, adding an overlap, adding without an fd. */
	CHECK_EQ(slot_rem(&t, 60), -EIO);
	CHECK_EQ(fe_mem_reg(&t.s, VHU_REQ_REM_MEM_REG, slot_gpa(61), SLOT_SIZE / 2,
			    slot_uva(61), 0, -1), -EIO);
	CHECK_EQ(fe_mem_reg(&t.s, VHU_REQ_ADD_MEM_REG, slot_gpa(61) + 4096, 4096,
			    slot_uva(61) + 4096, 0, t.s.memfd), -EIO);
	CHECK_EQ(fe_mem_reg(&t.s, VHU_REQ_ADD_MEM_REG, t.s.gpa_base + 4096, 4096,
			    0x10000000, 0, t.s.memfd), -EIO);
	CHECK_EQ(fe_mem_reg(&t.s, VHU_REQ_ADD_MEM_REG, slot_gpa(60), SLOT_SIZE,
			    slot_uva(60), 0, -1), -EIO);
	/* The hole can be filled again. */
	CHECK_EQ(fe_mem_reg(&t.s, VHU_REQ_ADD_MEM_REG, slot_gpa(60), SLOT_SIZE,
			    slot_uva(60), 0, t.s.memfd), 0);
	CHECK_EQ(slot_rem(&t, 60), 0);
	CHECK(fd_count_is(fds_up + NR_SLOTS - 1, 3000));
	/* The very same region again (QEMU adds every region once per queue
	 * pair): accepted, its fd closed, and it stays mapped until as many
	 * removals as additions. */
	CHECK_EQ(fe_mem_reg(&t.s, VHU_REQ_ADD_MEM_REG, slot_gpa(61), SLOT_SIZE,
			    slot_uva(61), 0, t.s.memfd), 0);
	CHECK(fd_count_is(fds_up + NR_SLOTS - 1, 3000));
	CHECK_EQ(slot_rem(&t, 61), 0);
	if (slot_rx(&t, &sl, slot_gpa(61) + 10, 500, 21) < 0)
		goto fail;

	/* Remove all but a few; the rest still carry traffic. REM_MEM_REG
	 * may come with an fd (old QEMU): closed unused. */
	for (i = 0; i < NR_SLOTS - 3; i++) {
		if (i == 60)
			continue;
		if (fe_mem_reg(&t.s, VHU_REQ_REM_MEM_REG, slot_gpa(i), SLOT_SIZE, slot_uva(i),
			       0, i == 7 ? t.s.memfd : -1) != 0)
			FAIL("REM_MEM_REG of slot %d refused", i);
	}
	CHECK(fd_count_is(fds_up + 3, 3000));
	if (slot_rx(&t, &sl, slot_gpa(NR_SLOTS - 3) + 10, 3000, 20) < 0 ||
	    slot_tx(&t, &sl, slot_gpa(NR_SLOTS - 2) + 5, 2000, 21) < 0 ||
	    serves(&t, 22) < 0)
		goto fail;
	/* The rest goes with the connection. */
	fe_sim_fini(&t.s);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	CHECK(fd_count_is(fds0, 3000));
	t_end(&t);
	slots_free(&sl);
	return 0;
fail:
	t_end(&t);
	slots_free(&sl);
	return -1;
}

/* SET_MEM_TABLE replaces slots added one by one; without the feature the
 * slot requests are refused. */
static int
test_ctrl_mem_slots_table(void)
{
	struct slots sl;
	uint64_t n;
	int i, fds_up;
	struct t t;

	memset(&sl, 0, sizeof(sl));
	if (ctrl_start(&t, PF(CONFIGURE_MEM_SLOTS)) < 0)
		goto fail;
	fds_up = fd_count();
	for (i = 0; i < 20; i++)
		CHECK_EQ(slot_add(&t, &sl, i), 0);
	CHECK(fd_count_is(fds_up + 20, 3000));
	CHECK_EQ(fe_set_mem_table(&t.s), 0);
	CHECK(fd_count_is(fds_up, 3000));
	if (serves(&t, 30) < 0)
		goto fail;
	{
		struct fe_buf b = { .gpa = slot_gpa(3), .len = 2048 };
		struct rte_mbuf *p = mk_pkt1(100, 31);
		uint32_t id, len;

		CHECK(p != NULL);
		CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
		rte_pktmbuf_free(p);
		CHECK_EQ(fe_used_pop(&t.s, FE_RX_VQ, &id, &len), 1);
		CHECK_EQ(len, 0);
	}
	fe_sim_fini(&t.s);
	if (ctrl_connect(&t, F_BASE, 0) < 0)
		goto fail;
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_MAX_MEM_SLOTS, NULL, 0, &n, sizeof(n)), 0);
	CHECK_EQ(slot_add(&t, &sl, 50), -EIO);
	if (serves(&t, 32) < 0)
		goto fail;
	t_end(&t);
	slots_free(&sl);
	return 0;
fail:
	t_end(&t);
	slots_free(&sl);
	return -1;
}

/* ---------------------------------------------------------- backend req */

static int
test_ctrl_backend_req(void)
{
	int give = -1, w1 = -1, w2 = -1, w3 = -1, fds0;
	struct t t;

	if (ctrl_start_counted(&t, PF(BACKEND_REQ), &fds0) < 0)
		goto fail;
	CHECK_EQ(sock_pair(&give, &w1), 0);
	CHECK_EQ(fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, &give, 1), 0);
	close(give);
	/* Kept: no hang-up on our end. */
	CHECK(!hung_up(w1, 100));
	/* Replaced: the first one is closed. */
	CHECK_EQ(sock_pair(&give, &w2), 0);
	CHECK_EQ(fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, &give, 1), 0);
	close(give);
	CHECK(hung_up(w1, 3000));
	CHECK(!hung_up(w2, 100));
	/* Refused: no fd, two fds, a payload. The current one stays. */
	CHECK_EQ(fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, NULL, 0), -EIO);
	CHECK_EQ(sock_pair(&give, &w3), 0);
	{
		int two[2] = { give, give };
		uint64_t junk = 0;

		CHECK_EQ(fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, two, 2), -EIO);
		if (!fe_peer_closed(&t.s, 50)) {
			int ret = fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, &junk,
					     sizeof(junk), &give, 1);
			/* A payload where none belongs: malformed, dropped. */
			CHECK(ret < 0 && fe_peer_closed(&t.s, 3000));
		}
	}
	close(give);
	/* Refused or dropped: the library kept none of give's copies. */
	CHECK(hung_up(w3, 3000));
	/* Teardown closes the one it kept. */
	fe_sim_fini(&t.s);
	CHECK(hung_up(w2, 3000));
	/* RESET_OWNER closes it too; without the feature it is refused. */
	if (ctrl_connect(&t, F_BASE, PF(BACKEND_REQ)) < 0)
		goto fail;
	close(w1);
	CHECK_EQ(sock_pair(&give, &w1), 0);
	CHECK_EQ(fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, &give, 1), 0);
	close(give);
	CHECK_EQ(fe_request(&t.s, VHU_REQ_RESET_OWNER, NULL, 0, NULL, 0), 0);
	CHECK(hung_up(w1, 3000));
	fe_sim_fini(&t.s);
	if (ctrl_connect(&t, F_BASE, 0) < 0)
		goto fail;
	close(w1);
	CHECK_EQ(sock_pair(&give, &w1), 0);
	CHECK_EQ(fe_request(&t.s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, &give, 1), -EIO);
	close(give);
	CHECK(hung_up(w1, 3000));
	if (serves(&t, 40) < 0)
		goto fail;
	fe_sim_fini(&t.s);
	close(w1);
	close(w2);
	close(w3);
	w1 = w2 = w3 = -1;
	CHECK(fd_count_is(fds0, 3000));
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	if (w1 >= 0)
		close(w1);
	if (w2 >= 0)
		close(w2);
	if (w3 >= 0)
		close(w3);
	return -1;
}

/* ------------------------------------------------------------ vring err */

/* Signal vring's error the way a ring walker does: inside the vring. */
static bool
ring_broken(int vid, uint16_t vring)
{
	struct vhu_dev *dev = vhu_dev_get(vid);
	struct vhu_vring *vq;

	if (dev == NULL)
		return false;
	vq = &dev->vrings[vring];
	if (!vhu_vring_enter(vq))
		return false;
	vhu_vring_signal_err(dev, vring);
	vhu_vring_leave(vq);
	return true;
}

/* 8 bytes of an eventfd write on a pipe, or -1. */
static int64_t
pipe_read(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	/* A pipe at EOF polls as POLLHUP only. */
	if (poll(&p, 1, 0) != 1 || !(p.revents & (POLLIN | POLLHUP)))
		return -1;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;	/* EOF: the write end was closed */
	return (int64_t)v;
}

static int
test_ctrl_vring_err(void)
{
	int p1[2] = { -1, -1 }, p2[2] = { -1, -1 }, efd = -1, fds0;
	eventfd_t v;
	struct t t;

	if (ctrl_start_counted(&t, 0, &fds0) < 0)
		goto fail;
	/* A pipe's write end as the error fd: its close is visible. */
	CHECK(pipe2(p1, O_CLOEXEC | O_NONBLOCK) == 0);
	CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_ERR, 1, p1[1]), 0);
	close(p1[1]);
	p1[1] = -1;
	/* The frontend's reconfiguration may leave the vring not ready for a
	 * moment: poll. */
	CHECK(ring_broken(t.vid, 1) || (usleep(100000), ring_broken(t.vid, 1)));
	CHECK_EQ(pipe_read(p1[0]), 1);
	/* Once per SET_VRING_ERR. */
	CHECK(ring_broken(t.vid, 1));
	CHECK_EQ(pipe_read(p1[0]), -1);
	/* Another vring without an error fd: nothing anywhere. */
	CHECK(ring_broken(t.vid, 0));
	CHECK_EQ(pipe_read(p1[0]), -1);
	/* Replaced by an eventfd: the pipe is closed, the eventfd signalled. */
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0);
	CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_ERR, 1, efd), 0);
	CHECK_EQ(pipe_read(p1[0]), 0);
	if (serves(&t, 50) < 0)
		goto fail;
	CHECK(ring_broken(t.vid, 1));
	CHECK_EQ(eventfd_read(efd, &v), 0);
	CHECK_EQ(v, 1);
	/* NOFD takes it away. */
	CHECK(pipe2(p2, O_CLOEXEC | O_NONBLOCK) == 0);
	CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_ERR, 0, p2[1]), 0);
	close(p2[1]);
	p2[1] = -1;
	CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_ERR, 0, -1), 0);
	CHECK_EQ(pipe_read(p2[0]), 0);
	/* Bad vring index: refused, fd not kept. */
	close(p2[0]);
	CHECK(pipe2(p2, O_CLOEXEC | O_NONBLOCK) == 0);
	CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_ERR, 7, p2[1]), -EIO);
	close(p2[1]);
	p2[1] = -1;
	CHECK_EQ(pipe_read(p2[0]), 0);
	if (serves(&t, 52) < 0)
		goto fail;
	fe_sim_fini(&t.s);
	close(p1[0]);
	close(p2[0]);
	close(efd);
	p1[0] = p2[0] = efd = -1;
	CHECK(fd_count_is(fds0, 3000));
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	if (p1[0] >= 0)
		close(p1[0]);
	if (p1[1] >= 0)
		close(p1[1]);
	if (p2[0] >= 0)
		close(p2[0]);
	if (p2[1] >= 0)
		close(p2[1]);
	if (efd >= 0)
		close(efd);
	return -1;
}

/* ----------------------------------------------------- the PMD's queues */

/* (unit.h) A queue of the PMD (rxtx.c) on vring of vid, open for bursts, as
 * queue_open() leaves it; rte_free() it. NULL without memory. */
struct eth_vhost_queue *
pmd_queue_new(int vid, uint16_t vring)
{
	struct eth_vhost_queue *q = rte_zmalloc("pmd_q", sizeof(*q), RTE_CACHE_LINE_SIZE);

	if (q == NULL)
		return NULL;
	q->vid = vid;
	q->vring = vring;
	q->lib_ctr = vhu_vring_counters_ref(vid, vring);
	eth_vhost_queue_allow(q);
	return q;
}

/* ----------------------------------------------------------------- RARP */

/* The PMD's log type, registered by eth_vhost.c in the plugin. */
int eth_vhost_logtype = RTE_LOGTYPE_USER1;

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static int
rarp_frame_ok(const struct rte_mbuf *m, const uint8_t *mac)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	static const uint8_t arp[] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x03 };
	unsigned int i;

	CHECK_EQ(rte_pktmbuf_pkt_len(m), 60);
	CHECK_EQ(m->nb_segs, 1);
	for (i = 0; i < 6; i++) {
		CHECK_EQ(p[i], 0xff);
		CHECK_EQ(p[6 + i], mac[i]);
		CHECK_EQ(p[22 + i], mac[i]);	/* sender hardware address */
		CHECK_EQ(p[32 + i], mac[i]);	/* target hardware address */
	}
	CHECK_EQ(p[12], 0x80);
	CHECK_EQ(p[13], 0x35);
	for (i = 0; i < sizeof(arp); i++)
		CHECK_EQ(p[14 + i], arp[i]);
	for (i = 28; i < 32; i++)
		CHECK_EQ(p[i], 0);		/* sender protocol address */
	for (i = 38; i < 60; i++)
		CHECK_EQ(p[i], 0);		/* target protocol address, padding */
	return 0;
fail:
	return -1;
}

static int
test_ctrl_rarp(void)
{
	uint8_t mac[6], mac2[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	struct rte_mbuf *pkts[8] = { 0 };
	struct eth_vhost_queue *q = NULL;
	uint64_t w = 0;
	struct t t;
	int n;

	if (ctrl_start(&t, PF(RARP)) < 0)
		goto fail;
	CHECK_EQ(vhu_get_rarp_mac(t.vid, mac), 0);
	CHECK(!vhu_rarp_pending(t.vid));
	memcpy(&w, guest_mac, 6);
	CHECK_EQ(set_u64(&t, VHU_REQ_SEND_RARP, w), 0);
	CHECK(vhu_rarp_pending(t.vid));
	CHECK_EQ(vhu_get_rarp_mac(t.vid, mac), 1);
	CHECK(memcmp(mac, guest_mac, 6) == 0);
	/* Once per request. */
	CHECK_EQ(vhu_get_rarp_mac(t.vid, mac), 0);
	CHECK(!vhu_rarp_pending(t.vid));
	CHECK_EQ(vhu_get_rarp_mac(-1, mac), -EINVAL);
	CHECK_EQ(vhu_get_rarp_mac(VHU_MAX_DEVICES, mac), -EINVAL);

	/* The PMD's Rx burst: the frame first, then the guest's packets. */
	q = pmd_queue_new(t.vid, 1);
	CHECK(q != NULL);
	q->port = 3;
	q->mb_pool = mp;
	CHECK(tx_post(&t, 100, 61, NULL, false) >= 0);
	CHECK_EQ(eth_vhost_rx_burst(q, pkts, 8), 1);
	if (tx_check(pkts[0], 100, 61, 1) < 0)
		goto fail;
	free_pkts(pkts, 1);
	memcpy(&w, mac2, 6);
	/* Two requests before the PMD looks: the newest MAC, one frame. */
	CHECK_EQ(set_u64(&t, VHU_REQ_SEND_RARP, 0x1122), 0);
	CHECK_EQ(set_u64(&t, VHU_REQ_SEND_RARP, w), 0);
	CHECK(tx_post(&t, 200, 62, NULL, false) >= 0);
	CHECK(tx_post(&t, 300, 63, NULL, false) >= 0);
	/* No room: the request waits. */
	CHECK_EQ(eth_vhost_rx_burst(q, pkts, 0), 0);
	CHECK(vhu_rarp_pending(t.vid));
	n = eth_vhost_rx_burst(q, pkts, 8);
	CHECK_EQ(n, 3);
	if (rarp_frame_ok(pkts[0], mac2) < 0)
		goto fail;
	CHECK_EQ(pkts[0]->port, 3);
	if (tx_check(pkts[1], 200, 62, 1) < 0 || tx_check(pkts[2], 300, 63, 1) < 0)
		goto fail;
	free_pkts(pkts, 3);
	CHECK_EQ(q->st.pkts, 4);
	CHECK(tx_post(&t, 100, 64, NULL, false) >= 0);
	CHECK_EQ(eth_vhost_rx_burst(q, pkts, 8), 1);
	if (tx_check(pkts[0], 100, 64, 1) < 0)
		goto fail;
	free_pkts(pkts, 1);
	/* A request left pending goes with the connection. */
	CHECK_EQ(set_u64(&t, VHU_REQ_SEND_RARP, w), 0);
	fe_sim_fini(&t.s);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	{
		uint64_t end = now_ms() + 3000;

		while (vhu_rarp_pending(t.vid) && now_ms() < end)
			usleep(1000);
		CHECK(!vhu_rarp_pending(t.vid));
	}
	/* Without RARP negotiated: refused. */
	if (ctrl_connect(&t, F_BASE, 0) < 0)
		goto fail;
	CHECK_EQ(set_u64(&t, VHU_REQ_SEND_RARP, w), -EIO);
	CHECK(!vhu_rarp_pending(t.vid));
	CHECK_EQ(vhu_get_rarp_mac(t.vid, mac), 0);
	rte_free(q);
	t_end(&t);
	return 0;
fail:
	free_pkts(pkts, 8);
	rte_free(q);
	t_end(&t);
	return -1;
}

/* ------------------------------------------------------ refused requests */

static int
nacked(struct t *t, uint32_t req, const void *payload, uint32_t size, const int *fds, int n)
{
	return fe_request(&t->s, req, payload, size, fds, n) == -EIO;
}

static int
test_ctrl_unknown(void)
{
	uint8_t buf[64] = { 0 };
	uint64_t v = 0;
	struct t t;
	int fds0, fds1, efd;

	if (ctrl_start_counted(&t, 0, &fds0) < 0)
		goto fail;
	fds1 = fd_count();
	/* Unknown codes, with and without a payload: nack, still serving. */
	CHECK(nacked(&t, 0x7777, NULL, 0, NULL, 0));
	CHECK(nacked(&t, 26, buf, 16, NULL, 0));
	CHECK(nacked(&t, VHU_REQ_MAX, buf, 8, NULL, 0));
	CHECK(nacked(&t, 0, NULL, 0, NULL, 0));
	if (serves(&t, 70) < 0)
		goto fail;
	/* Known but not supported, an fd with them closed unused. */
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	CHECK(nacked(&t, VHU_REQ_SET_LOG_FD, NULL, 0, &efd, 1));
	CHECK(nacked(&t, VHU_REQ_SET_INFLIGHT_FD, buf, 32, &efd, 1));
	CHECK(nacked(&t, VHU_REQ_SET_VRING_ENDIAN, buf, 8, NULL, 0));
	/* Postcopy without PAGEFAULT negotiated. */
	CHECK(nacked(&t, VHU_REQ_POSTCOPY_LISTEN, NULL, 0, NULL, 0));
	close(efd);
	CHECK(fd_count_is(fds1, 3000));
	/* Known with a reply of its own: an empty reply, still serving. */
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_CONFIG, buf, 12, buf, sizeof(buf)), 0);
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_INFLIGHT_FD, buf, 24, buf, sizeof(buf)), 0);
	/* Ours, but the protocol feature was not negotiated. */
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_STATUS, NULL, 0, &v, sizeof(v)), 0);
	CHECK_EQ(fe_call(&t.s, VHU_REQ_GET_MAX_MEM_SLOTS, NULL, 0, &v, sizeof(v)), 0);
	CHECK_EQ(fe_call(&t.s, VHU_REQ_POSTCOPY_ADVISE, NULL, 0, &v, sizeof(v)), 0);
	CHECK(nacked(&t, VHU_REQ_SEND_RARP, &v, 8, NULL, 0));
	/* Ours, but VIRTIO_F_ACCESS_PLATFORM was not negotiated. */
	CHECK(nacked(&t, VHU_REQ_IOTLB_MSG, buf, 32, NULL, 0));
	/* Without NEED_REPLY: no answer at all, and the connection stays. */
	CHECK_EQ(fe_send(&t.s, 0x7777, 0, NULL, 0, NULL, 0), 0);
	CHECK_EQ(fe_send(&t.s, VHU_REQ_SET_LOG_BASE, 0, buf, 16, NULL, 0), 0);
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &v), 0);
	if (serves(&t, 72) < 0)
		goto fail;
	CHECK_EQ(ev_get(&ev.destroy_dev), 0);
	fe_sim_fini(&t.s);
	CHECK(fd_count_is(fds0, 3000));
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ---------------------------------------------------------- reset owner */

static int
test_ctrl_reset_owner(void)
{
	uint64_t w = 0;
	struct t t;
	int fds1;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	t.s.extra_protocol = PF(NET_MTU) | PF(RARP) | PF(STATUS);
	/* Once it answers, the library has accepted the connection. */
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &w), 0);
	fds1 = fd_count();
	w = 0;
	CHECK_EQ(fe_handshake(&t.s, F_MRG, 2, RING_SIZE), 0);
	CHECK_EQ(set_u64(&t, VHU_REQ_SET_STATUS, VHU_STATUS_DRIVER_OK), 0);
	if (t_wait_up(&t, 1) < 0)
		goto fail;
	CHECK_EQ(set_u64(&t, VHU_REQ_NET_SET_MTU, 1500), 0);
	memcpy(&w, guest_mac, 6);
	CHECK_EQ(set_u64(&t, VHU_REQ_SEND_RARP, w), 0);
	if (serves(&t, 80) < 0)
		goto fail;
	CHECK_EQ(fe_request(&t.s, VHU_REQ_RESET_OWNER, NULL, 0, NULL, 0), 0);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	/* Everything forgotten: the library keeps only the connection (our
	 * 4 kick/call eventfds are still open on this side). */
	CHECK(fd_count_is(fds1 + 4, 3000));
	CHECK_EQ(vhu_get_negotiated_features(t.vid), 0);
	CHECK_EQ(vhu_get_vring_num(t.vid), 0);
	CHECK_EQ(vhu_get_mtu(t.vid), -ENODATA);
	CHECK(!vhu_rarp_pending(t.vid));
	{
		struct rte_mbuf *p = mk_pkt1(64, 1);

		CHECK(p != NULL);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
		rte_pktmbuf_free(p);
	}
	/* The same connection starts over, with other features. */
	t.s.extra_protocol = 0;
	t.s.reply_ack = false;
	t.s.brk = 0;
	CHECK_EQ(fe_handshake(&t.s, F_BASE, 2, RING_SIZE), 0);
	if (t_wait_up(&t, 2) < 0)
		goto fail;
	CHECK_EQ(vhu_get_negotiated_features(t.vid), t.s.features);
	if (serves(&t, 82) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static const struct unit_case ctrl_cases[] = {
	{ "ctrl_protocol_features", test_ctrl_protocol_features },
	{ "ctrl_mtu", test_ctrl_mtu },
	{ "ctrl_status", test_ctrl_status },
	{ "ctrl_mem_slots", test_ctrl_mem_slots },
	{ "ctrl_mem_slots_table", test_ctrl_mem_slots_table },
	{ "ctrl_backend_req", test_ctrl_backend_req },
	{ "ctrl_vring_err", test_ctrl_vring_err },
	{ "ctrl_rarp", test_ctrl_rarp },
	{ "ctrl_unknown", test_ctrl_unknown },
	{ "ctrl_reset_owner", test_ctrl_reset_owner },
};
UNIT_CASES(ctrl_cases)
