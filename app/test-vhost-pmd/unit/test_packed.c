/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Packed virtqueues (VIRTIO_F_RING_PACKED): enqueue and dequeue with bytes
 * checked, mergeable or not, chains, indirect tables, many laps over small
 * rings (also of sizes that are not a power of two), IN_ORDER, event
 * suppression, hostile descriptors, GET/SET_VRING_BASE across a wrap.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "unit.h"

#define FP_BASE		(F_BASE | F_PACKED)
#define FP_MRG		(F_MRG | F_PACKED)
#define FP_EVENT	(FP_BASE | VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX))
#define FP_IN_ORDER	(FP_MRG | VHU_BIT(VHU_VIRTIO_F_IN_ORDER))

static int
pt_start(struct t *t, uint64_t features, uint16_t ring_size)
{
	if (t_register(t, 0) < 0)
		return -1;
	if (t_connect_sized(t, features, 1, ring_size) < 0)
		return -1;
	CHECK(fe_is_packed(&t->s));
	CHECK(vhu_get_negotiated_features(t->vid) & F_PACKED);
	return 0;
fail:
	return -1;
}

/* A packet of len bytes in segments of at most 2000 (mbufs hold 2048). */
static struct rte_mbuf *
mk_big(uint32_t len, unsigned int seed)
{
	uint16_t segs[8];
	int n = 0;

	while (len && n < 7) {
		segs[n] = len > 2000 ? 2000 : len;
		len -= segs[n++];
	}
	segs[n] = 0;
	return mk_pkt(segs, seed);
}

/* Post n Rx buffers of len bytes as one chain (indirect if asked). */
static int
post_rx_chain(struct t *t, int n, uint32_t len, bool indirect)
{
	struct fe_buf b[FE_MAX_SEGS];
	int i;

	for (i = 0; i < n; i++) {
		b[i].gpa = fe_alloc(&t->s, len, 64);
		b[i].len = len;
		if (b[i].gpa == 0)
			return -1;
		memset(fe_ptr(&t->s, b[i].gpa), 0xee, len);
	}
	return fe_post(&t->s, FE_RX_VQ, b, n, true, indirect);
}

/* ------------------------------------------------------------ handshake */

static int
test_packed_handshake(void)
{
	struct t t;

	if (pt_start(&t, FP_BASE, RING_SIZE) < 0)
		goto fail;
	CHECK(ev_wait(&ev.vring_on[1], 1, 1000));
	/* We poll: the device event area tells the driver not to kick. */
	CHECK_EQ(t.s.vq[FE_RX_VQ].device_event->flags, VHU_RING_EVENT_F_DISABLE);
	CHECK_EQ(t.s.vq[FE_TX_VQ].device_event->flags, VHU_RING_EVENT_F_DISABLE);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* -------------------------------------------------------------- enqueue */

/* 64, 1518, a 3-segment packet and 9000 bytes; chains and indirect. */
static int
enq_sizes(uint64_t features)
{
	static const uint16_t seg3[] = { 100, 1000, 400, 0 };
	struct rte_mbuf *p[6] = { 0 };
	bool mrg = features & VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	struct t t;
	int i;

	if (pt_start(&t, features, RING_SIZE) < 0)
		goto fail;
	CHECK_EQ(t.hdr_len, 12);
	p[0] = mk_pkt1(64, 1);
	p[1] = mk_pkt1(1518, 2);
	p[2] = mk_pkt(seg3, 3);
	p[3] = mk_big(9000, 4);
	p[4] = mk_pkt1(1518, 5);
	p[5] = mk_pkt1(1000, 6);
	for (i = 0; i < 6; i++)
		CHECK(p[i] != NULL);
	for (i = 0; i < 3; i++)
		CHECK(post_rx_chain(&t, 1, 2048, false) >= 0);
	/* 9000: one chain of five 2048-byte buffers, or (mergeable) five
	 * single buffers. */
	if (mrg) {
		for (i = 0; i < 5; i++)
			CHECK(post_rx_chain(&t, 1, 2048, false) >= 0);
	} else {
		CHECK(post_rx_chain(&t, 5, 2048, false) >= 0);
	}
	CHECK(post_rx_chain(&t, 3, 600, false) >= 0);	/* a chain */
	CHECK(post_rx_chain(&t, 3, 400, true) >= 0);	/* indirect */
	fe_calls(&t.s, FE_RX_VQ);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 6), 6);
	CHECK(fe_calls(&t.s, FE_RX_VQ) >= 1);
	for (i = 0; i < 6; i++) {
		if (rx_check(&t, p[i], i == 3 && mrg ? 5 : 1) < 0)
			FAIL("packet %d", i);
		/* Rx used descriptors say their length is valid. */
		CHECK(t.s.vq[FE_RX_VQ].last_used_flags & VHU_DESC_F_WRITE);
	}
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	/* Nothing posted: nothing sent, no call. */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 3), 0);
	CHECK_EQ(fe_calls(&t.s, FE_RX_VQ), 0);
	free_pkts(p, 6);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 6);
	t_end(&t);
	return -1;
}

static int test_packed_enq(void) { return enq_sizes(FP_BASE); }
static int test_packed_enq_mrg(void) { return enq_sizes(FP_MRG); }

/* Mergeable over small buffers: exact used lengths; too few: wait. */
static int
test_packed_enq_mrg_small(void)
{
	struct rte_mbuf *p[2] = { 0 };
	struct t t;
	int i, heads[8];

	if (pt_start(&t, FP_MRG, RING_SIZE) < 0)
		goto fail;
	p[0] = mk_pkt1(1518, 7);
	p[1] = mk_pkt1(1518, 8);
	CHECK(p[0] && p[1]);
	for (i = 0; i < 8; i++)
		CHECK((heads[i] = post_rx_chain(&t, 1, 256, false)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 2), 1);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 6);
	/* 1530 bytes: five full 256-byte buffers and 250 in a sixth. */
	for (i = 0; i < 6; i++) {
		struct vhu_pdesc *d = &t.s.vq[FE_RX_VQ].pdesc[i];

		CHECK_EQ(d->id, heads[i]);
		CHECK_EQ(d->len, i < 5 ? 256 : 250);
	}
	if (rx_check(&t, p[0], 6) < 0)
		goto fail;
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[1], 1), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	for (i = 0; i < 4; i++)
		CHECK(post_rx_chain(&t, 1, 256, false) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[1], 1), 1);
	if (rx_check(&t, p[1], 6) < 0)
		goto fail;
	free_pkts(p, 2);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 2);
	t_end(&t);
	return -1;
}

/* -------------------------------------------------------------- dequeue */

static int
deq_layouts(uint64_t features)
{
	static const uint32_t hdr_apart[] = { 12, 0 };
	static const uint32_t three[] = { 12, 100, 0 };
	static const uint32_t mixed[] = { 5, 300, 1, 0 };
	static const struct {
		uint32_t len;
		const uint32_t *pieces;
		bool indirect;
	} pk[] = {
		{ 64, NULL, false }, { 1518, hdr_apart, false }, { 1518, three, false },
		{ 9000, mixed, false }, { 64, hdr_apart, true }, { 9000, three, true },
		{ 60000, NULL, false },
	};
	struct rte_mbuf *rx[RTE_DIM(pk)] = { 0 };
	unsigned int i;
	struct t t;
	int heads[RTE_DIM(pk)];

	if (pt_start(&t, features, RING_SIZE) < 0)
		goto fail;
	for (i = 0; i < RTE_DIM(pk); i++)
		CHECK((heads[i] = tx_post(&t, pk[i].len, 20 + i, pk[i].pieces,
					  pk[i].indirect)) >= 0);
	/* DPDK's virtio driver leaves WRITE on entries of its Tx indirect
	 * tables: taken all the same. */
	{
		struct fe_vq *vq = &t.s.vq[FE_TX_VQ];
		struct vhu_pdesc *tab = fe_ptr(&t.s,
			vq->pdesc[fe_chain_slot(&t.s, FE_TX_VQ, heads[4], 0)].addr);

		tab[0].flags |= VHU_DESC_F_WRITE;
	}
	fe_calls(&t.s, FE_TX_VQ);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, RTE_DIM(pk)), RTE_DIM(pk));
	CHECK(fe_calls(&t.s, FE_TX_VQ) >= 1);
	for (i = 0; i < RTE_DIM(pk); i++) {
		if (tx_check(rx[i], pk[i].len, 20 + i, 0) < 0)
			FAIL("packet %u", i);
		if (used_pop_check(&t, FE_TX_VQ, heads[i], 0) < 0)
			FAIL("used descriptor %u", i);
	}
	CHECK(rx[3]->nb_segs > 1);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 0);
	free_pkts(rx, RTE_DIM(pk));
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, RTE_DIM(pk));
	t_end(&t);
	return -1;
}

static int test_packed_deq(void) { return deq_layouts(FP_BASE); }
static int test_packed_deq_mrg(void) { return deq_layouts(FP_MRG); }

/* --------------------------------------------------------------- laps */

/*
 * Many laps over a small ring: each round two mergeable Rx chains of nd
 * descriptors and a Tx chain of three, so chains straddle the end of the
 * ring and both wrap counters flip many times.
 */
static int
laps(uint16_t size, int rounds)
{
	int nd = size >= 7 ? 3 : size >= 4 ? 2 : 1, round, i;
	struct rte_mbuf *p = NULL, *rx[1] = { 0 };
	static const uint32_t three[] = { 12, 100, 0 };
	struct fe_buf b[2][3];
	uint32_t base, want;
	struct t t;
	int head[2];

	if (pt_start(&t, FP_MRG, size) < 0)
		goto fail;
	for (i = 0; i < 2 * nd; i++) {
		b[i / nd][i % nd].gpa = fe_alloc(&t.s, 400, 64);
		b[i / nd][i % nd].len = 400;
		CHECK(b[i / nd][i % nd].gpa != 0);
	}
	for (round = 0; round < rounds; round++) {
		uint32_t len = 2 * 400 * nd - 12 - 50;

		p = mk_big(len, round);
		CHECK(p != NULL);
		for (i = 0; i < 2; i++)
			CHECK((head[i] = fe_post(&t.s, FE_RX_VQ, b[i], nd, true, false)) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		if (rx_check(&t, p, 2) < 0)
			FAIL("size %u round %d: Rx", size, round);
		rte_pktmbuf_free(p);
		p = NULL;
		CHECK(tx_post(&t, 300, round, size >= 3 ? three : NULL, false) >= 0);
		CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
		if (tx_check(rx[0], 300, round, 0) < 0)
			FAIL("size %u round %d: Tx", size, round);
		free_pkts(rx, 1);
		CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);
	}
	/* The backend stopped exactly where the driver is. */
	for (i = 0; i < 2; i++) {
		struct fe_vq *vq = &t.s.vq[i];

		want = vq->avail_idx | (uint32_t)vq->avail_wrap << 15;
		CHECK_EQ(fe_get_vring_base(&t.s, i, &base), 0);
		CHECK_EQ(base, want | want << 16);
	}
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

static int test_packed_laps8(void) { return laps(8, 60); }
static int test_packed_laps7(void) { return laps(7, 60); }
static int test_packed_laps3(void) { return laps(3, 60); }

/* A ring of 1000 entries (not a power of two) carries traffic over a wrap. */
static int
test_packed_size1000(void)
{
	struct rte_mbuf *p = NULL, *rx[1] = { 0 };
	struct fe_buf b;
	struct t t;
	int round;

	if (pt_start(&t, FP_BASE, 1000) < 0)
		goto fail;
	b.gpa = fe_alloc(&t.s, 2048, 64);
	b.len = 2048;
	CHECK(b.gpa != 0);
	for (round = 0; round < 1100; round++) {
		p = mk_pkt1(100 + round % 1400, round);
		CHECK(p != NULL);
		CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		if (rx_check(&t, p, 1) < 0)
			FAIL("round %d", round);
		rte_pktmbuf_free(p);
		p = NULL;
	}
	CHECK_EQ(t.s.vq[FE_RX_VQ].avail_wrap, 0);	/* one wrap behind us */
	CHECK(tx_post(&t, 200, 3, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
	if (tx_check(rx[0], 200, 3, 1) < 0)
		goto fail;
	free_pkts(rx, 1);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

/* Sizes: any up to 32768 for packed rings, powers of two for split. */
static int
test_packed_ring_sizes(void)
{
	struct t t;

	if (pt_start(&t, FP_BASE, RING_SIZE) < 0)
		goto fail;
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 32769), -EIO);
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 0), -EIO);
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 32768), 0);
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 12345), 0);
	t_end(&t);
	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK(!(t.s.features & F_PACKED));
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 1000), -EIO);
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 512), 0);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ------------------------------------------------------------ IN_ORDER */

/* The n chains heads[] of one IN_ORDER Tx burst: one used descriptor, at
 * the first one's slot, names the last; the others' head slots still hold
 * the flags the driver wrote. */
static int
tx_batch_check(struct t *t, const int *heads, int n)
{
	struct fe_vq *vq = &t->s.vq[FE_TX_VQ];
	const struct vhu_pdesc *d = &vq->pdesc[fe_chain_slot(&t->s, FE_TX_VQ, heads[0], 0)];
	int i;

	CHECK_EQ(d->id, heads[n - 1]);
	CHECK_EQ(d->len, 0);
	CHECK(d->flags != vq->chains[heads[0]].head_flags);
	for (i = 1; i < n; i++) {
		d = &vq->pdesc[fe_chain_slot(&t->s, FE_TX_VQ, heads[i], 0)];
		CHECK_EQ(d->flags, vq->chains[heads[i]].head_flags);
	}
	return 0;
fail:
	return -1;
}

/* Tx chains come back in the order they were made available, a burst in
 * one used descriptor at its first chain's slot with the id of its last
 * chain (the other slots are left as the driver wrote them); Rx buffers one
 * used descriptor each, skipping the chain's slots. */
static int
test_packed_in_order(void)
{
	static const uint32_t pieces[4][4] = {
		{ 0 }, { 12, 0 }, { 12, 50, 0 }, { 3, 20, 30, 0 },
	};
	struct rte_mbuf *rx[3 + 8] = { 0 }, *p[4] = { 0 };
	struct t t;
	int i, heads[8];

	if (pt_start(&t, FP_IN_ORDER, 32) < 0)
		goto fail;
	CHECK(t.s.features & VHU_BIT(VHU_VIRTIO_F_IN_ORDER));
	for (i = 0; i < 8; i++)
		CHECK((heads[i] = tx_post(&t, 200 + i, 40 + i, pieces[i % 4], i == 5)) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 3), 3);
	CHECK_EQ(tx_batch_check(&t, heads, 3), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx + 3, 8), 5);
	CHECK_EQ(tx_batch_check(&t, heads + 3, 5), 0);
	for (i = 0; i < 8; i++) {
		if (tx_check(rx[i], 200 + i, 40 + i, 0) < 0)
			FAIL("packet %d", i);
		if (used_pop_check(&t, FE_TX_VQ, heads[i], 0) < 0)
			FAIL("used %d", i);
	}
	for (i = 0; i < 4; i++) {
		p[i] = mk_pkt1(300 + i, 50 + i);
		CHECK(p[i] != NULL);
		CHECK((heads[i] = post_rx_chain(&t, 1 + i % 2, 400, false)) >= 0);
	}
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 4), 4);
	for (i = 0; i < 4; i++) {
		struct fe_vq *vq = &t.s.vq[FE_RX_VQ];

		CHECK_EQ(vq->pdesc[vq->used_idx].id, heads[i]);
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("Rx %d", i);
	}
	free_pkts(rx, 8);
	free_pkts(p, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 8);
	free_pkts(p, 4);
	t_end(&t);
	return -1;
}

/* ---------------------------------------------------------- notifications */

/* One Rx packet into one new buffer; the number of calls it caused. */
static int
rx_one_calls(struct t *t, uint64_t *calls)
{
	struct rte_mbuf *p = mk_pkt1(100, 9);

	CHECK(p != NULL);
	CHECK(post_rx_chain(t, 1, 2048, false) >= 0);
	fe_calls(&t->s, FE_RX_VQ);
	CHECK_EQ(vhu_enqueue_burst(t->vid, 0, &p, 1), 1);
	*calls = fe_calls(&t->s, FE_RX_VQ);
	if (rx_check(t, p, 1) < 0)
		goto fail;
	rte_pktmbuf_free(p);
	return 0;
fail:
	rte_pktmbuf_free(p);
	return -1;
}

static int
tx_one_calls(struct t *t, uint64_t *calls)
{
	struct rte_mbuf *rx[1] = { 0 };

	CHECK(tx_post(t, 100, 9, NULL, false) >= 0);
	fe_calls(&t->s, FE_TX_VQ);
	CHECK_EQ(vhu_dequeue_burst(t->vid, 1, mp, rx, 1), 1);
	*calls = fe_calls(&t->s, FE_TX_VQ);
	CHECK_EQ(fe_used_pop(&t->s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);
	free_pkts(rx, 1);
	return 0;
fail:
	free_pkts(rx, 1);
	return -1;
}

/* Without EVENT_IDX: ENABLE calls, DISABLE does not, DESC (not allowed
 * without EVENT_IDX) calls rather than leave the guest asleep. */
static int
test_packed_events_flags(void)
{
	static const struct { uint16_t flags; bool call; } cases[] = {
		{ VHU_RING_EVENT_F_ENABLE, true }, { VHU_RING_EVENT_F_DISABLE, false },
		{ VHU_RING_EVENT_F_DESC, true }, { VHU_RING_EVENT_F_ENABLE, true },
	};
	uint64_t calls;
	unsigned int i;
	struct t t;
	int q;

	if (pt_start(&t, FP_BASE, RING_SIZE) < 0)
		goto fail;
	for (i = 0; i < RTE_DIM(cases); i++) {
		for (q = 0; q < 2; q++)
			fe_driver_event_set(&t.s, q, cases[i].flags, 0x8000);
		if (rx_one_calls(&t, &calls) < 0)
			goto fail;
		if ((calls != 0) != cases[i].call)
			FAIL("Rx, driver event flags %u: %" PRIu64 " calls", cases[i].flags, calls);
		if (tx_one_calls(&t, &calls) < 0)
			goto fail;
		if ((calls != 0) != cases[i].call)
			FAIL("Tx, driver event flags %u: %" PRIu64 " calls", cases[i].flags, calls);
	}
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* With EVENT_IDX, DESC: a call exactly when the used descriptor at the
 * driver's off_wrap (slot and wrap counter) is written, also one lap on. */
static int
test_packed_events_desc(void)
{
	uint64_t calls;
	struct t t;
	int i;

	if (pt_start(&t, FP_EVENT, 8) < 0)
		goto fail;
	CHECK(t.s.features & VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX));
	/* Slot 3 of the first lap (wrap 1). */
	fe_driver_event_set(&t.s, FE_RX_VQ, VHU_RING_EVENT_F_DESC, 0x8000 | 3);
	for (i = 0; i < 5; i++) {
		if (rx_one_calls(&t, &calls) < 0)
			goto fail;
		if ((calls != 0) != (i == 3))
			FAIL("slot %d: %" PRIu64 " calls", i, calls);
	}
	/* Slot 2 of the second lap (wrap 0): not before it. */
	fe_driver_event_set(&t.s, FE_RX_VQ, VHU_RING_EVENT_F_DESC, 2);
	for (i = 5; i < 8 + 5; i++) {
		if (rx_one_calls(&t, &calls) < 0)
			goto fail;
		if ((calls != 0) != (i == 8 + 2))
			FAIL("position %d: %" PRIu64 " calls", i, calls);
	}
	/* A burst that crosses the position calls once. */
	{
		struct rte_mbuf *p[3] = { mk_pkt1(64, 1), mk_pkt1(64, 2), mk_pkt1(64, 3) };

		for (i = 0; i < 3; i++)
			CHECK(p[i] != NULL && post_rx_chain(&t, 1, 2048, false) >= 0);
		/* Used slots 5, 6, 7 of lap 2: event at slot 6, wrap 0. */
		fe_driver_event_set(&t.s, FE_RX_VQ, VHU_RING_EVENT_F_DESC, 6);
		fe_calls(&t.s, FE_RX_VQ);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 3), 3);
		CHECK_EQ(fe_calls(&t.s, FE_RX_VQ), 1);
		for (i = 0; i < 3; i++)
			CHECK(rx_check(&t, p[i], 1) == 0);
		free_pkts(p, 3);
	}
	/* Tx follows the same rule: DISABLE there, no call. */
	fe_driver_event_set(&t.s, FE_TX_VQ, VHU_RING_EVENT_F_DISABLE, 0);
	if (tx_one_calls(&t, &calls) < 0)
		goto fail;
	CHECK_EQ(calls, 0);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ------------------------------------------------------------- hostile */

enum pbad {
	B_DIR,			/* read-only Rx buffer / writable Tx buffer */
	B_ZERO_LEN,
	B_ADDR_END,		/* buffer runs past the end of guest memory */
	B_ADDR_LOW,		/* buffer below guest memory */
	B_ADDR_WRAP,		/* addr + len wraps around 2^64 */
	B_IND_OUTSIDE,		/* indirect table outside guest memory */
	B_IND_LEN_ODD,
	B_IND_LEN_ZERO,
	B_IND_NESTED,		/* indirect inside indirect */
	B_IND_ENTRY_OUT,	/* an indirect entry outside guest memory */
	B_IND_ENTRY_DIR,	/* a read-only indirect Rx entry (Tx: WRITE ignored) */
	B_IND_IN_CHAIN,		/* an indirect descriptor after a direct one */
	B_MAX,
};

static const char *const pbad_name[B_MAX] = {
	"wrong direction", "zero length", "address past memory end",
	"address below memory", "address wraps", "indirect table outside memory",
	"indirect length not multiple of 16", "indirect length 0", "nested indirect",
	"indirect entry outside memory", "indirect entry of wrong direction",
	"indirect descriptor inside a chain",
};

/* Post a chain of three 16-byte buffers on q, broken in way c; returns its
 * buffer id. */
static int
post_bad(struct t *t, int q, enum pbad c)
{
	struct fe_vq *vq = &t->s.vq[q];
	bool rx = q == FE_RX_VQ;
	bool ind = c >= B_IND_OUTSIDE && c <= B_IND_ENTRY_DIR;
	struct vhu_pdesc *d, *head, *tab = NULL;
	struct fe_buf b[3];
	int id, i;

	for (i = 0; i < 3; i++)
		b[i] = (struct fe_buf){ fe_alloc(&t->s, 16, 16), 16 };
	id = fe_chain_add(&t->s, q, b, 3, rx, ind);
	if (id < 0)
		return -1;
	d = vq->pdesc;
	head = &d[fe_chain_slot(&t->s, q, id, 0)];
	if (ind)
		tab = fe_ptr(&t->s, head->addr);
	if (!ind)
		d = &d[fe_chain_slot(&t->s, q, id, 1)];	/* the second descriptor */
	switch (c) {
	case B_DIR:
		d->flags ^= VHU_DESC_F_WRITE;
		break;
	case B_ZERO_LEN:
		d->len = 0;
		break;
	case B_ADDR_END:
		d->addr = fe_gpa_end(&t->s) - 8;
		break;
	case B_ADDR_LOW:
		d->addr = 0x1000;
		break;
	case B_ADDR_WRAP:
		d->addr = UINT64_MAX - 7;
		break;
	case B_IND_OUTSIDE:
		head->addr = fe_gpa_end(&t->s) - 16;
		break;
	case B_IND_LEN_ODD:
		head->len = 40;
		break;
	case B_IND_LEN_ZERO:
		head->len = 0;
		break;
	case B_IND_NESTED:
		tab[1].flags |= VHU_DESC_F_INDIRECT;
		tab[1].addr = head->addr;
		tab[1].len = 48;
		break;
	case B_IND_ENTRY_OUT:
		tab[2].addr = fe_gpa_end(&t->s);
		break;
	case B_IND_ENTRY_DIR:
		tab[1].flags ^= VHU_DESC_F_WRITE;
		break;
	case B_IND_IN_CHAIN:
		d->flags |= VHU_DESC_F_INDIRECT;
		d->len = 48;
		break;
	default:
		break;
	}
	fe_avail_push(&t->s, q, id);
	return id;
}

/* A copy of guest memory, to prove a burst wrote nothing but the rings. */
static uint8_t *
snap(struct t *t)
{
	uint8_t *m = malloc(t->s.mem_size);

	if (m != NULL)
		memcpy(m, t->s.mem, t->s.mem_size);
	return m;
}

/* Guest memory as in m, but for the descriptor rings of both vrings
 * (where used descriptors go). m is updated. */
static bool
snap_same(struct t *t, uint8_t *m)
{
	uint64_t i;
	int q;

	for (q = 0; q < 2; q++) {
		const struct fe_vq *vq = &t->s.vq[q];
		uint64_t off = vq->desc_gpa - t->s.gpa_base;

		memcpy(m + off, t->s.mem + off, 16ULL * vq->size);
	}
	if (memcmp(m, t->s.mem, t->s.mem_size) == 0)
		return true;
	for (i = 0; m[i] == t->s.mem[i]; i++)
		;
	fprintf(stderr, "  guest byte at 0x%" PRIx64 " written\n", t->s.gpa_base + i);
	return false;
}

static int
hostile(uint64_t features, int q)
{
	struct rte_mbuf *p = mk_pkt1(1518, 3), *rx[1] = { 0 };
	uint8_t *m = NULL;
	struct t t;
	int c, id;

	if (pt_start(&t, features, 16) < 0)
		goto fail;
	CHECK(p != NULL);
	for (c = 0; c < B_MAX; c++) {
		if (c == B_IND_ENTRY_DIR && q == FE_TX_VQ)
			continue;	/* taken: see deq_layouts() */
		id = post_bad(&t, q, c);
		CHECK(id >= 0);
		free(m);
		m = snap(&t);
		CHECK(m != NULL);
		if (q == FE_RX_VQ) {
			if (vhu_enqueue_burst(t.vid, 0, &p, 1) != 0)
				FAIL("%s: packet sent", pbad_name[c]);
		} else if (vhu_dequeue_burst(t.vid, 1, mp, rx, 1) != 0) {
			FAIL("%s: packet taken", pbad_name[c]);
		}
		if (used_pop_check(&t, q, id, 0) < 0)
			FAIL("%s: chain not returned unused", pbad_name[c]);
		if (!snap_same(&t, m))
			FAIL("%s: guest memory written", pbad_name[c]);
		/* The rest of the ring keeps working. */
		if (q == FE_RX_VQ) {
			CHECK(post_rx_chain(&t, 1, 2048, false) >= 0);
			CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
			if (rx_check(&t, p, 1) < 0)
				FAIL("%s: next packet", pbad_name[c]);
		} else {
			CHECK(tx_post(&t, 700, c, NULL, false) >= 0);
			CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
			if (tx_check(rx[0], 700, c, 1) < 0)
				FAIL("%s: next packet", pbad_name[c]);
			free_pkts(rx, 1);
			CHECK_EQ(fe_used_pop(&t.s, q, &(uint32_t){0}, &(uint32_t){0}), 1);
		}
	}
	free(m);
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	free(m);
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

static int test_packed_hostile_rx(void) { return hostile(FP_BASE, FE_RX_VQ); }
static int test_packed_hostile_rx_mrg(void) { return hostile(FP_MRG, FE_RX_VQ); }
static int test_packed_hostile_tx(void) { return hostile(FP_BASE, FE_TX_VQ); }

/* Mergeable: the second chain of a packet is broken. Both come back
 * unused, the packet is not sent, later ones are. */
static int
test_packed_hostile_mrg_second(void)
{
	struct rte_mbuf *p = mk_pkt1(1518, 4);
	struct t t;
	int good, bad;

	if (pt_start(&t, FP_MRG, 16) < 0)
		goto fail;
	CHECK(p != NULL);
	CHECK((good = post_rx_chain(&t, 1, 256, false)) >= 0);
	CHECK((bad = post_bad(&t, FE_RX_VQ, B_ADDR_END)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	if (used_pop_check(&t, FE_RX_VQ, good, 0) < 0 ||
	    used_pop_check(&t, FE_RX_VQ, bad, 0) < 0)
		goto fail;
	CHECK(post_rx_chain(&t, 1, 2048, false) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 1) < 0)
		goto fail;
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	t_end(&t);
	return -1;
}

/*
 * A chain longer than the ring (NEXT on every descriptor, around the whole
 * ring of 16): walked one lap at most, returned unused as one chain of 16
 * slots, then the ring works again. Also a chain that stops being available
 * in the middle.
 */
static int
long_chain(int q)
{
	struct rte_mbuf *p = mk_pkt1(1000, 5), *rx[1] = { 0 };
	struct fe_buf b[16];
	uint8_t *m = NULL;
	struct t t;
	int i, id;

	if (pt_start(&t, FP_BASE, 16) < 0)
		goto fail;
	CHECK(p != NULL);
	/* Move off slot 0 first so the chain wraps. */
	CHECK(tx_post(&t, 100, 1, NULL, false) >= 0);
	if (q == FE_RX_VQ) {
		CHECK(post_rx_chain(&t, 1, 2048, false) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		CHECK(rx_check(&t, p, 1) == 0);
	}
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
	free_pkts(rx, 1);
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);

	for (i = 0; i < 16; i++)
		b[i] = (struct fe_buf){ fe_alloc(&t.s, 64, 64), 64 };
	id = fe_chain_add(&t.s, q, b, 16, q == FE_RX_VQ, false);
	CHECK(id >= 0);
	t.s.vq[q].pdesc[fe_chain_slot(&t.s, q, id, 15)].flags |= VHU_DESC_F_NEXT;
	fe_avail_push(&t.s, q, id);
	m = snap(&t);
	CHECK(m != NULL);
	if (q == FE_RX_VQ)
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	else
		CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 0);
	if (used_pop_check(&t, q, id, 0) < 0)
		goto fail;
	CHECK(snap_same(&t, m));
	CHECK_EQ(t.s.vq[q].nr_free, 16);
	/* The ring works again. */
	if (q == FE_RX_VQ) {
		CHECK(post_rx_chain(&t, 3, 512, false) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		CHECK(rx_check(&t, p, 1) == 0);
	} else {
		CHECK(tx_post(&t, 900, 7, (const uint32_t[]){ 12, 300, 0 }, false) >= 0);
		CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
		CHECK(tx_check(rx[0], 900, 7, 1) == 0);
		free_pkts(rx, 1);
		CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);
	}

	/* The second descriptor of a chain is not available (its flags are of
	 * the wrong lap): the chain ends there, it is returned unused. */
	for (i = 0; i < 3; i++)
		b[i] = (struct fe_buf){ fe_alloc(&t.s, 64, 64), 64 };
	id = fe_chain_add(&t.s, q, b, 3, q == FE_RX_VQ, false);
	CHECK(id >= 0);
	t.s.vq[q].pdesc[fe_chain_slot(&t.s, q, id, 1)].flags ^=
		VHU_DESC_F_AVAIL | VHU_DESC_F_USED;
	fe_avail_push(&t.s, q, id);
	free(m);
	m = snap(&t);
	CHECK(m != NULL);
	if (q == FE_RX_VQ)
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	else
		CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 0);
	{
		struct fe_vq *vq = &t.s.vq[q];
		struct vhu_pdesc *d = &vq->pdesc[vq->used_idx];

		CHECK_EQ(d->id, id);
		CHECK_EQ(d->len, 0);
		CHECK_EQ(d->flags & (VHU_DESC_F_AVAIL | VHU_DESC_F_USED),
			 vq->used_wrap ? VHU_DESC_F_AVAIL | VHU_DESC_F_USED : 0);
	}
	CHECK(snap_same(&t, m));
	free(m);
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	free(m);
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

static int test_packed_long_chain_rx(void) { return long_chain(FE_RX_VQ); }
static int test_packed_long_chain_tx(void) { return long_chain(FE_TX_VQ); }

/* The rings must lie in guest memory: a descriptor ring that runs past its
 * end keeps the device from starting. */
static int
test_packed_ring_outside(void)
{
	struct t t;
	struct vhu_vring_addr a;
	int ret;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	CHECK(fe_handshake(&t.s, FP_BASE, 2, 64) == 0);
	CHECK(ev_wait(&ev.new_dev, 1, 3000));
	/* Stop vring 0, point it past the end, restart it: no device. */
	CHECK(fe_get_vring_base(&t.s, 0, &(uint32_t){0}) == 0);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	memset(&a, 0, sizeof(a));
	a.index = 0;
	a.desc_user_addr = fe_gpa_to_uva(&t.s, fe_gpa_end(&t.s) - 16 * 32);
	a.avail_user_addr = fe_gpa_to_uva(&t.s, t.s.vq[0].avail_gpa);
	a.used_user_addr = fe_gpa_to_uva(&t.s, t.s.vq[0].used_gpa);
	ret = fe_send(&t.s, VHU_REQ_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
	CHECK_EQ(ret, 0);
	CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_BASE, 0, 0x80008000u), 0);
	CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_KICK, 0, t.s.vq[0].kickfd), 0);
	CHECK(!ev_wait(&ev.new_dev, 2, 300));
	/* Back in memory: it starts. */
	CHECK_EQ(fe_set_vring_addr(&t.s, 0), 0);
	CHECK(ev_wait(&ev.new_dev, 2, 3000));
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ---------------------------------------------------- GET/SET_VRING_BASE */

/* One Rx and one Tx packet, each through one slot of its ring. */
static int
one_each(struct t *t, unsigned int seed)
{
	return t_traffic(t, 300, seed, 400, seed, 3000);
}

/* Stop both vrings; check the base each reports. */
static int
stop_check(struct t *t, uint32_t want)
{
	uint32_t base;
	int q;

	for (q = 0; q < 2; q++) {
		CHECK_EQ(fe_get_vring_base(&t->s, q, &base), 0);
		CHECK_EQ(base, want);
	}
	return 0;
fail:
	return -1;
}

/* Resume both vrings at base (SET_VRING_BASE, then a kick fd restarts). */
static int
resume(struct t *t, uint32_t base)
{
	int q;

	for (q = 0; q < 2; q++) {
		CHECK_EQ(fe_set_vring_state(&t->s, VHU_REQ_SET_VRING_BASE, q, base), 0);
		CHECK_EQ(fe_set_vring_fd(&t->s, VHU_REQ_SET_VRING_KICK, q, t->s.vq[q].kickfd), 0);
	}
	return 0;
fail:
	return -1;
}

/*
 * Ring of 8: 11 packets each way put both rings at slot 3 of the second
 * lap (wrap counter 0): GET_VRING_BASE says 0x00030003. Resumed with that
 * (QEMU's both halves) and then with only the avail half (DPDK's
 * virtio_user), traffic goes on across the next wrap. A base outside the
 * ring keeps the device stopped.
 */
static int
test_packed_vring_base(void)
{
	struct t t;
	int i;

	if (pt_start(&t, FP_BASE, 8) < 0)
		goto fail;
	for (i = 0; i < 11; i++)
		if (one_each(&t, i) < 0)
			goto fail;
	if (stop_check(&t, 0x00030003) < 0)
		goto fail;
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	if (resume(&t, 0x00030003) < 0)
		goto fail;
	CHECK(ev_wait(&ev.new_dev, 2, 3000));
	for (i = 0; i < 7; i++)		/* to slot 2 of lap 3 (wrap 1) */
		if (one_each(&t, 20 + i) < 0)
			goto fail;
	if (stop_check(&t, 0x80028002) < 0)
		goto fail;
	CHECK(ev_wait(&ev.destroy_dev, 2, 3000));
	if (resume(&t, 0x8002) < 0)
		goto fail;
	CHECK(ev_wait(&ev.new_dev, 3, 3000));
	for (i = 0; i < 9; i++)
		if (one_each(&t, 40 + i) < 0)
			goto fail;
	if (stop_check(&t, 0x00030003) < 0)
		goto fail;
	CHECK(ev_wait(&ev.destroy_dev, 3, 3000));
	/* Slot 9 of a ring of 8: refused at start. */
	if (resume(&t, 0x0009) < 0)
		goto fail;
	CHECK(!ev_wait(&ev.new_dev, 4, 300));
	if (resume(&t, 0x00030003) < 0)
		goto fail;
	CHECK(ev_wait(&ev.new_dev, 4, 3000));
	if (one_each(&t, 60) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* ------------------------------------------- buffers of a packet together */

/*
 * A driver that sees the first used buffer of a packet takes num_buffers
 * buffers at once (virtio 1.2 5.1.6.4: the device uses them together;
 * DPDK's virtio and Linux drop the packet otherwise). A watcher thread on
 * the other CPU plays that driver while the backend enqueues, polling the
 * next used descriptor: the moment one is used, the descriptors of the rest
 * of its packet must be used too. Packets of 3 buffers start at every slot
 * modulo 4, so that a packet's buffers often straddle two cache lines of
 * the ring (our Rx holds the burst's first line back and writes the others
 * as it goes; a build that published each line once complete failed this
 * test in 30-45 of the 9600 packets).
 */
#define TG_BUF		512u
#define TG_PKT_LEN	1200u	/* + 12-byte header: 3 buffers of TG_BUF */
#define TG_PKTS		64	/* per lap: 192 of the 256 slots */
#define TG_LAPS		150

struct tg_watch {
	struct fe_sim *s;
	uint16_t slot;
	uint8_t wrap;
	int pkts;		/* to watch */
	int seen;
	int torn;		/* packets seen with a later buffer not yet used */
	int first_torn;		/* packet number of the first, -1 if none */
	int bad_num;		/* a num_buffers other than 3 (stops watching) */
};

static bool
tg_used(const struct vhu_pdesc *d, uint8_t wrap)
{
	return fe_pdesc_used(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE), wrap);
}

static void *
tg_watch(void *arg)
{
	struct tg_watch *w = arg;
	struct fe_vq *vq = &w->s->vq[FE_RX_VQ];
	uint64_t deadline = now_ms() + 10000;

	while (w->seen < w->pkts && now_ms() < deadline) {
		const struct vhu_pdesc *d = &vq->pdesc[w->slot];
		uint16_t more[2], slot = w->slot, n, i;
		uint8_t wrap = w->wrap;
		bool all = true;
		const uint8_t *hdr;

		if (!tg_used(d, wrap))
			continue;
		/* The rest of the packet, before anything slower. */
		for (i = 0; i < 2; i++) {
			if (++slot == vq->size) {
				slot = 0;
				wrap ^= 1;
			}
			more[i] = tg_used(&vq->pdesc[slot], wrap);
		}
		hdr = fe_ptr(w->s, vq->chains[d->id].buf[0].gpa);
		n = hdr[10] | hdr[11] << 8;
		if (n != 3) {
			w->bad_num = n;
			break;
		}
		all = more[0] && more[1];
		if (!all && w->torn++ == 0)
			w->first_torn = w->seen;
		w->seen++;
		for (i = 0; i < n; i++) {
			if (++w->slot == vq->size) {
				w->slot = 0;
				w->wrap ^= 1;
			}
		}
	}
	return NULL;
}

static int
test_packed_mrg_together(void)
{
	struct rte_mbuf *p[TG_PKTS] = { 0 };
	struct fe_buf bufs[3 * TG_PKTS];
	struct tg_watch w = { .first_torn = -1 };
	pthread_attr_t attr;
	cpu_set_t cpus;
	pthread_t th;
	struct t t;
	int lap, i, torn = 0, first_lap = -1, first_pkt = -1;
	bool attr_init = false;

	if (pt_start(&t, FP_MRG, RING_SIZE) < 0)
		goto fail;
	for (i = 0; i < 3 * TG_PKTS; i++) {
		bufs[i].gpa = fe_alloc(&t.s, TG_BUF, 64);
		bufs[i].len = TG_BUF;
		CHECK(bufs[i].gpa != 0);
	}
	w.s = &t.s;
	/* We run on CPU 0 (EAL); the watcher on the others. */
	CPU_ZERO(&cpus);
	for (i = 1; i < CPU_SETSIZE && i < sysconf(_SC_NPROCESSORS_ONLN); i++)
		CPU_SET(i, &cpus);
	CHECK(pthread_attr_init(&attr) == 0);
	attr_init = true;
	if (CPU_COUNT(&cpus) > 0)
		CHECK(pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus) == 0);
	for (lap = 0; lap < TG_LAPS; lap++) {
		for (i = 0; i < 3 * TG_PKTS; i++)
			CHECK(fe_post(&t.s, FE_RX_VQ, &bufs[i], 1, true, false) >= 0);
		for (i = 0; i < TG_PKTS; i++) {
			p[i] = mk_pkt1(TG_PKT_LEN, lap * TG_PKTS + i);
			CHECK(p[i] != NULL);
		}
		w.slot = t.s.vq[FE_RX_VQ].used_idx;
		w.wrap = t.s.vq[FE_RX_VQ].used_wrap;
		w.pkts = TG_PKTS;
		w.seen = w.torn = w.bad_num = 0;
		w.first_torn = -1;
		CHECK(pthread_create(&th, &attr, tg_watch, &w) == 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, TG_PKTS / 2), TG_PKTS / 2);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p + TG_PKTS / 2, TG_PKTS / 2), TG_PKTS / 2);
		pthread_join(th, NULL);
		CHECK_EQ(w.bad_num, 0);
		CHECK_EQ(w.seen, TG_PKTS);
		if (w.torn && torn == 0) {
			first_lap = lap;
			first_pkt = w.first_torn;
		}
		torn += w.torn;
		for (i = 0; i < TG_PKTS; i++)
			if (rx_check(&t, p[i], 3) < 0)
				FAIL("lap %d packet %d", lap, i);
		free_pkts(p, TG_PKTS);
	}
	if (torn)
		FAIL("%d of %d packets: first buffer used before the rest (first: lap %d packet %d)",
		     torn, TG_LAPS * TG_PKTS, first_lap, first_pkt);
	pthread_attr_destroy(&attr);
	t_end(&t);
	return 0;
fail:
	if (attr_init)
		pthread_attr_destroy(&attr);
	free_pkts(p, TG_PKTS);
	t_end(&t);
	return -1;
}

static const struct unit_case packed_cases[] = {
	{ "packed_handshake", test_packed_handshake },
	{ "packed_enq", test_packed_enq },
	{ "packed_enq_mrg", test_packed_enq_mrg },
	{ "packed_enq_mrg_small", test_packed_enq_mrg_small },
	{ "packed_mrg_together", test_packed_mrg_together },
	{ "packed_deq", test_packed_deq },
	{ "packed_deq_mrg", test_packed_deq_mrg },
	{ "packed_laps8", test_packed_laps8 },
	{ "packed_laps7", test_packed_laps7 },
	{ "packed_laps3", test_packed_laps3 },
	{ "packed_size1000", test_packed_size1000 },
	{ "packed_ring_sizes", test_packed_ring_sizes },
	{ "packed_in_order", test_packed_in_order },
	{ "packed_events_flags", test_packed_events_flags },
	{ "packed_events_desc", test_packed_events_desc },
	{ "packed_hostile_rx", test_packed_hostile_rx },
	{ "packed_hostile_rx_mrg", test_packed_hostile_rx_mrg },
	{ "packed_hostile_tx", test_packed_hostile_tx },
	{ "packed_hostile_mrg_second", test_packed_hostile_mrg_second },
	{ "packed_long_chain_rx", test_packed_long_chain_rx },
	{ "packed_long_chain_tx", test_packed_long_chain_tx },
	{ "packed_ring_outside", test_packed_ring_outside },
	{ "packed_vring_base", test_packed_vring_base },
};
UNIT_CASES(packed_cases);
