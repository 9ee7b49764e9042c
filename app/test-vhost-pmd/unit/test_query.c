/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Unit cases of the vring queries (query.c: pending count, kick fd, guest
 * kicks on/off) and of the dequeue buffer modes (VHU_REG_LINEAR_BUF,
 * VHU_REG_EXTBUF in tx_copy()).
 */
#include <errno.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>

#include "unit.h"

#define F_EVIDX	VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX)

/* Wait until the control path has set the guest's Tx vring flags up. */
static bool
flags_wait(struct t *t, uint16_t want)
{
	uint64_t end = now_ms() + 3000;

	while (__atomic_load_n(&t->s.vq[FE_TX_VQ].used->flags, __ATOMIC_ACQUIRE) != want)
		if (now_ms() > end)
			return false;
	return true;
}

static int
test_q_avail_count(void)
{
	struct rte_mbuf *rx[4] = { 0 };
	struct t t;
	int i;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK_EQ(vhu_vring_avail_count(t.vid, 1), 0);
	for (i = 0; i < 3; i++)
		CHECK(tx_post(&t, 100 + i, i, NULL, false) >= 0);
	CHECK_EQ(vhu_vring_avail_count(t.vid, 1), 3);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 2), 2);
	CHECK_EQ(vhu_vring_avail_count(t.vid, 1), 1);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx + 2, 2), 1);
	CHECK_EQ(vhu_vring_avail_count(t.vid, 1), 0);
	CHECK_EQ(vhu_vring_avail_count(t.vid, 7), -ENODEV);	/* not set up */
	CHECK_EQ(vhu_vring_avail_count(VHU_MAX_DEVICES, 1), -ENODEV);
	free_pkts(rx, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 4);
	t_end(&t);
	return -1;
}

/* Without EVENT_IDX: VRING_USED_F_NO_NOTIFY off while kicks are wanted. */
static int
test_q_notify_flags(void)
{
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK(flags_wait(&t, VHU_USED_F_NO_NOTIFY));
	CHECK_EQ(vhu_vring_notify(t.vid, 1, 1), 0);	/* nothing pending */
	CHECK_EQ(t.s.vq[FE_TX_VQ].used->flags, 0);
	CHECK(tx_post(&t, 64, 1, NULL, false) >= 0);
	CHECK_EQ(vhu_vring_notify(t.vid, 1, 1), 1);	/* pending: do not sleep */
	CHECK_EQ(vhu_vring_notify(t.vid, 1, 0), 0);
	CHECK_EQ(t.s.vq[FE_TX_VQ].used->flags, VHU_USED_F_NO_NOTIFY);
	CHECK_EQ(vhu_vring_notify(VHU_MAX_DEVICES, 1, 1), -ENODEV);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* With EVENT_IDX: avail_event at the next entry while kicks are wanted,
 * also after bursts; one behind (no kick) once they are off. */
static int
test_q_notify_event_idx(void)
{
	struct rte_mbuf *rx[2] = { 0 };
	struct t t;

	if (t_start(&t, F_BASE | F_EVIDX, 1) < 0)
		goto fail;
	CHECK(flags_wait(&t, 0));
	CHECK_EQ(vhu_vring_notify(t.vid, 1, 1), 0);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 0);
	CHECK(tx_post(&t, 64, 1, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 1);
	CHECK_EQ(vhu_vring_notify(t.vid, 1, 0), 0);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 0);
	CHECK(tx_post(&t, 64, 2, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx + 1, 1), 1);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 1);	/* last - 1: no kick */
	free_pkts(rx, 2);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 2);
	t_end(&t);
	return -1;
}

/* The dup is the same eventfd: a frontend kick makes it readable, and it
 * outlives the library's copy. */
static int
test_q_kickfd(void)
{
	struct pollfd p = { .events = POLLIN };
	eventfd_t v = 0;
	struct t t;

	p.fd = -1;
	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	p.fd = vhu_vring_kickfd_dup(t.vid, 1);
	CHECK(p.fd >= 0);
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(eventfd_write(t.s.vq[FE_TX_VQ].kickfd, 3), 0);
	CHECK_EQ(poll(&p, 1, 1000), 1);
	CHECK_EQ(eventfd_read(p.fd, &v), 0);
	CHECK_EQ(v, 3);
	CHECK_EQ(vhu_vring_kickfd_dup(t.vid, 7), -ENOENT);
	CHECK_EQ(vhu_vring_kickfd_dup(t.vid, VHU_MAX_VRINGS), -EINVAL);
	t_end(&t);
	close(p.fd);
	return 0;
fail:
	t_end(&t);
	if (p.fd >= 0)
		close(p.fd);
	return -1;
}

static int
test_q_register_flags(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/flags%d", tmpdir, sock_seq++);
	CHECK_EQ(vhu_driver_register(path, VHU_REG_LINEAR_BUF | VHU_REG_EXTBUF, 1,
			&test_ops, &ctx_token), -EINVAL);
	CHECK_EQ(vhu_driver_register(path, 1ULL << 40, 1, &test_ops, &ctx_token), -EINVAL);
	CHECK_EQ(access(path, F_OK), -1);
	return 0;
fail:
	return -1;
}

/* Linear: one that does not fit an mbuf (2048 bytes of room) is dropped,
 * returned to the guest and counted; the next one fits and arrives. */
static int
test_q_linear(void)
{
	struct rte_mbuf *rx[2] = { 0 };
	uint64_t drops;
	struct t t;

	if (t_register(&t, VHU_REG_LINEAR_BUF) < 0 || t_connect(&t, F_BASE, 1) < 0)
		goto fail;
	drops = vhu_vring_drops(t.vid, 1);
	CHECK(tx_post(&t, 3000, 1, NULL, false) >= 0);
	CHECK(tx_post(&t, 2048, 2, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 2), 1);
	if (tx_check(rx[0], 2048, 2, 1) < 0)
		goto fail;
	CHECK_EQ(vhu_vring_drops(t.vid, 1) - drops, 1);
	CHECK_EQ(vhu_vring_counters_ref(t.vid, 1)->drops, vhu_vring_drops(t.vid, 1));
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 2);
	CHECK_EQ(vhu_vring_avail_count(t.vid, 1), 0);
	free_pkts(rx, 2);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 2);
	t_end(&t);
	return -1;
}

/* Ext: big packets in one segment with an external buffer (freed with the
 * mbuf: ASan sees a leak otherwise); small ones as usual. */
static int
test_q_extbuf(void)
{
	static const uint32_t pieces[] = { 12, 1000, 7000, 0 };
	struct rte_mbuf *rx[3] = { 0 };
	struct t t;

	if (t_register(&t, VHU_REG_EXTBUF) < 0 || t_connect(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK(tx_post(&t, 9000, 1, pieces, false) >= 0);
	CHECK(tx_post(&t, 500, 2, NULL, false) >= 0);
	CHECK(tx_post(&t, 60000, 3, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 3), 3);
	if (tx_check(rx[0], 9000, 1, 1) < 0 || tx_check(rx[1], 500, 2, 1) < 0 ||
	    tx_check(rx[2], 60000, 3, 1) < 0)
		goto fail;
	CHECK(RTE_MBUF_HAS_EXTBUF(rx[0]));
	CHECK(!RTE_MBUF_HAS_EXTBUF(rx[1]));
	CHECK(RTE_MBUF_HAS_EXTBUF(rx[2]));
	CHECK_EQ(vhu_vring_drops(t.vid, 1), 0);
	free_pkts(rx, 3);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 3);
	t_end(&t);
	return -1;
}

/* Every signal of the guest's call eventfd is counted, on its vring. */
static int
test_q_guest_calls(void)
{
	struct rte_mbuf *p = NULL, *rx[2] = { 0 };
	struct vhu_vring_counters c;
	struct vhu_vring_stats st;
	uint64_t calls = 0;
	struct t t;
	int i;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	fe_calls(&t.s, FE_RX_VQ);
	fe_calls(&t.s, FE_TX_VQ);
	for (i = 0; i < 3; i++) {
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
		CHECK((p = mk_pkt1(100, i)) != NULL);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		rte_pktmbuf_free(p);
		p = NULL;
		calls += fe_calls(&t.s, FE_RX_VQ);
	}
	CHECK_EQ(calls, 3);
	CHECK_EQ(vhu_get_vring_stats(t.vid, 0, &st), 0);
	CHECK_EQ(st.guest_calls, 3);
	vhu_vring_counters(t.vid, 0, &c);
	CHECK_EQ(c.calls, 3);
	CHECK_EQ(c.drops, 0);
	CHECK(tx_post(&t, 200, 9, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 2), 1);
	/* Nothing to return: no call. */
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx + 1, 1), 0);
	CHECK_EQ(fe_calls(&t.s, FE_TX_VQ), 1);
	vhu_vring_counters(t.vid, 1, &c);
	CHECK_EQ(c.calls, 1);
	/* The in-place view the PMD reads per burst: the same numbers. */
	CHECK_EQ(vhu_vring_counters_ref(t.vid, 0)->calls, 3);
	CHECK_EQ(vhu_vring_counters_ref(t.vid, 1)->calls, 1);
	CHECK_EQ(vhu_vring_counters_ref(t.vid, 1)->drops, 0);
	vhu_vring_counters(VHU_MAX_DEVICES, 1, &c);
	CHECK_EQ(c.calls, 0);
	CHECK_EQ(vhu_vring_counters_ref(VHU_MAX_DEVICES, 1)->calls, 0);
	free_pkts(rx, 2);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 2);
	t_end(&t);
	return -1;
}

static const struct unit_case query_cases[] = {
	{ "q_avail_count", test_q_avail_count },
	{ "q_notify_flags", test_q_notify_flags },
	{ "q_notify_event_idx", test_q_notify_event_idx },
	{ "q_kickfd", test_q_kickfd },
	{ "q_register_flags", test_q_register_flags },
	{ "q_linear", test_q_linear },
	{ "q_extbuf", test_q_extbuf },
	{ "q_guest_calls", test_q_guest_calls },
};
UNIT_CASES(query_cases);
