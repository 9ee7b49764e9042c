/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The library's core cases: handshake, split-ring enqueue and dequeue,
 * hostile rings, notifications, lifecycle, malformed messages.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_errno.h>

#include "unit.h"

/* ------------------------------------------------------------- handshake */

static int
test_handshake(void)
{
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK_EQ(ev_get(&ev.new_dev), 1);
	CHECK(ev_wait(&ev.vring_on[0], 1, 1000));
	CHECK(ev_wait(&ev.vring_on[1], 1, 1000));
	CHECK_EQ(vhu_get_negotiated_features(t.vid), t.s.features);
	CHECK(vhu_get_vring_num(t.vid) >= 2);
	CHECK(ev.ctx == &ctx_token);
	CHECK(vhu_get_ctx(t.vid) == &ctx_token);
	t_end(&t);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* -------------------------------------------------------------- enqueue */

/* 64, 1518 and a 3-segment packet into 2 KB buffers. */
static int
enq_sizes(uint64_t features, uint16_t want_hdr)
{
	static const uint16_t seg3[] = { 100, 1000, 400, 0 };
	struct rte_mbuf *p[3] = { 0 };
	struct t t;
	int i;

	if (t_start(&t, features, 1) < 0)
		goto fail;
	CHECK_EQ(t.hdr_len, want_hdr);
	p[0] = mk_pkt1(64, 1);
	p[1] = mk_pkt1(1518, 2);
	p[2] = mk_pkt(seg3, 3);
	CHECK(p[0] && p[1] && p[2]);
	CHECK_EQ(p[2]->nb_segs, 3);
	for (i = 0; i < 3; i++)
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
	fe_calls(&t.s, FE_RX_VQ);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 3), 3);
	CHECK(fe_calls(&t.s, FE_RX_VQ) >= 1);
	for (i = 0; i < 3; i++)
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("packet %d", i);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	/* Nothing posted: nothing sent, no call. */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 3), 0);
	CHECK_EQ(fe_calls(&t.s, FE_RX_VQ), 0);
	free_pkts(p, 3);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 3);
	t_end(&t);
	return -1;
}

static int test_enq_hdr10(void) { return enq_sizes(F_LEGACY, 10); }
static int test_enq_hdr12(void) { return enq_sizes(F_BASE, 12); }
static int test_enq_mrg(void) { return enq_sizes(F_MRG, 12); }

/* A mergeable packet over several small buffers; then too few buffers. */
static int
test_enq_mrg_small_bufs(void)
{
	struct rte_mbuf *p[2] = { 0 };
	struct t t;
	int i, heads[8];

	if (t_start(&t, F_MRG, 1) < 0)
		goto fail;
	p[0] = mk_pkt1(1518, 7);
	p[1] = mk_pkt1(1518, 8);
	CHECK(p[0] && p[1]);
	for (i = 0; i < 8; i++)
		CHECK((heads[i] = fe_post_rx(&t.s, 256)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 2), 1);
	/* 1530 bytes: five full 256-byte buffers and 250 in a sixth. */
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 6);
	for (i = 0; i < 6; i++) {
		struct vhu_used_elem *e = &t.s.vq[FE_RX_VQ].used->ring[i];

		CHECK_EQ(e->id, heads[i]);
		CHECK_EQ(e->len, i < 5 ? 256 : 250);
	}
	if (rx_check(&t, p[0], 6) < 0)
		goto fail;
	/* Two buffers left: the next packet waits, nothing consumed. */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[1], 1), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	for (i = 0; i < 4; i++)
		CHECK(fe_post_rx(&t.s, 256) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[1], 1), 1);
	/* It starts in the two buffers left over. */
	CHECK_EQ(t.s.vq[FE_RX_VQ].used->ring[6].id, heads[6]);
	CHECK_EQ(t.s.vq[FE_RX_VQ].used->ring[7].id, heads[7]);
	if (rx_check(&t, p[1], 6) < 0)
		goto fail;
	/* A packet bigger than one 4 KB chain, with a header split. */
	{
		static const uint16_t segs[] = { 2000, 2000, 2000, 0 };
		struct fe_buf b[2];
		struct rte_mbuf *big = mk_pkt(segs, 9);

		CHECK(big != NULL);
		b[0].gpa = fe_alloc(&t.s, 5, 8);
		b[0].len = 5;
		b[1].gpa = fe_alloc(&t.s, 4091, 8);
		b[1].len = 4091;
		CHECK(fe_post(&t.s, FE_RX_VQ, b, 2, true, false) >= 0);
		b[0].gpa = fe_alloc(&t.s, 4096, 8);
		b[0].len = 4096;
		CHECK(fe_post(&t.s, FE_RX_VQ, b, 1, true, true) >= 0);
		if (vhu_enqueue_burst(t.vid, 0, &big, 1) != 1) {
			rte_pktmbuf_free(big);
			FAIL("6000-byte packet not sent");
		}
		i = rx_check(&t, big, 2);
		rte_pktmbuf_free(big);
		if (i < 0)
			goto fail;
	}
	free_pkts(p, 2);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 2);
	t_end(&t);
	return -1;
}

/* Non-mergeable Rx buffers made of several descriptors, direct and
 * indirect, the header split over descriptors. */
static int
test_enq_rx_chains(void)
{
	struct rte_mbuf *p[3] = { 0 };
	struct fe_buf b[3];
	struct t t;
	int i;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	/* Header alone, then data in two. */
	b[0] = (struct fe_buf){ fe_alloc(&t.s, 12, 8), 12 };
	b[1] = (struct fe_buf){ fe_alloc(&t.s, 100, 8), 100 };
	b[2] = (struct fe_buf){ fe_alloc(&t.s, 2000, 8), 2000 };
	CHECK(fe_post(&t.s, FE_RX_VQ, b, 3, true, false) >= 0);
	/* Indirect, header split 6 + 6. */
	b[0] = (struct fe_buf){ fe_alloc(&t.s, 6, 8), 6 };
	b[1] = (struct fe_buf){ fe_alloc(&t.s, 6, 8), 6 };
	b[2] = (struct fe_buf){ fe_alloc(&t.s, 1518, 8), 1518 };
	CHECK(fe_post(&t.s, FE_RX_VQ, b, 3, true, true) >= 0);
	/* Exactly the size needed. */
	b[0] = (struct fe_buf){ fe_alloc(&t.s, 76, 8), 76 };
	CHECK(fe_post(&t.s, FE_RX_VQ, b, 1, true, true) >= 0);
	p[0] = mk_pkt1(1000, 11);
	p[1] = mk_pkt1(1518, 12);
	p[2] = mk_pkt1(64, 13);
	CHECK(p[0] && p[1] && p[2]);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 3), 3);
	for (i = 0; i < 3; i++)
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("packet %d", i);
	free_pkts(p, 3);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 3);
	t_end(&t);
	return -1;
}

/* Non-mergeable: a packet that can never fit the chain stops the burst
 * and leaves the buffer for a smaller packet. */
static int
test_enq_too_small(void)
{
	struct rte_mbuf *p[2] = { 0 };
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	p[0] = mk_pkt1(1518, 1);
	p[1] = mk_pkt1(64, 2);
	CHECK(p[0] && p[1]);
	CHECK(fe_post_rx(&t.s, 200) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 2), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[1], 1), 1);
	if (rx_check(&t, p[1], 1) < 0)
		goto fail;
	free_pkts(p, 2);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 2);
	t_end(&t);
	return -1;
}

/* Guest Rx ring short of buffers: partial enqueue, the rest after the
 * guest posts more. */
static int
test_enq_ring_full(void)
{
	struct rte_mbuf *p[8] = { 0 };
	struct t t;
	int i;

	if (t_start(&t, F_MRG, 1) < 0)
		goto fail;
	for (i = 0; i < 8; i++)
		CHECK((p[i] = mk_pkt1(200 + i * 100, 20 + i)) != NULL);
	for (i = 0; i < 4; i++)
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 8), 4);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[4], 4), 0);
	for (i = 0; i < 4; i++)
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("packet %d", i);
	for (i = 0; i < 4; i++)
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[4], 4), 4);
	for (i = 4; i < 8; i++)
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("packet %d", i);
	/* Fill the whole ring, wrap around it a few times. */
	for (i = 0; i < 3 * RING_SIZE; i++) {
		CHECK(fe_post_rx(&t.s, 1024) >= 0);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[i & 7], 1), 1);
		if (rx_check(&t, p[i & 7], 1) < 0)
			FAIL("packet %d", i);
		t.s.brk -= 1024;	/* reuse the buffer memory */
	}
	free_pkts(p, 8);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 8);
	t_end(&t);
	return -1;
}

/* Guest memory in two regions: buffers spanning the boundary (contiguous in
 * guest physical space, not in the backend's). */
static int
test_span_regions(void)
{
	static const uint32_t pieces[] = { 12, 3000, 0 };
	struct rte_mbuf *p = NULL, *rx[1] = { 0 };
	struct t t;
	uint64_t half = MEM_SIZE / 2;

	if (t_start(&t, F_BASE, 2) < 0)
		goto fail;
	t.s.brk = half - 1000;
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	p = mk_pkt1(1800, 5);
	CHECK(p != NULL);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 1) < 0)
		goto fail;

	t.s.brk = half - 777;
	CHECK(tx_post(&t, 3000, 6, pieces, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
	if (tx_check(rx[0], 3000, 6, 0) < 0)
		goto fail;
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

/* Guest memory in two regions, a burst's buffers alternating between them:
 * the read-ahead's region hint misses on every one. */
#define ALT_N	16

static int
alt_regions(uint64_t ring)
{
	static const uint32_t whole[] = { 0 };
	struct rte_mbuf *p[ALT_N] = { 0 }, *rx[ALT_N] = { 0 };
	uint64_t half = MEM_SIZE / 2, at[2] = { half - ALT_N * 4096, half + 4096 };
	int heads[ALT_N], i;
	struct t t;

	if (t_start(&t, F_BASE | ring, 2) < 0)
		goto fail;
	for (i = 0; i < ALT_N; i++) {
		t.s.brk = at[i & 1];
		at[i & 1] += 4096;
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
		CHECK((p[i] = mk_pkt1(100 + i, 70 + i)) != NULL);
	}
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, ALT_N), ALT_N);
	for (i = 0; i < ALT_N; i++)
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("Rx packet %d", i);
	for (i = 0; i < ALT_N; i++) {
		t.s.brk = at[i & 1];
		at[i & 1] += 4096;
		CHECK((heads[i] = tx_post(&t, 200 + i, 90 + i, whole, false)) >= 0);
	}
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, ALT_N), ALT_N);
	for (i = 0; i < ALT_N; i++) {
		if (tx_check(rx[i], 200 + i, 90 + i, 1) < 0)
			FAIL("Tx packet %d", i);
		if (used_pop_check(&t, FE_TX_VQ, heads[i], 0) < 0)
			FAIL("Tx used %d", i);
	}
	free_pkts(p, ALT_N);
	free_pkts(rx, ALT_N);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, ALT_N);
	free_pkts(rx, ALT_N);
	t_end(&t);
	return -1;
}

static int test_alt_regions(void) { return alt_regions(0); }
static int test_alt_regions_packed(void) { return alt_regions(F_PACKED); }

/*
 * Rx buffers that already hold the vnet header we are to write, all but
 * one byte (we store each part of the header only where the buffer's
 * differs: rx_hdr_write()). Every byte must come out right, whichever is
 * stale; the last buffer has none stale. One burst, so the read-ahead
 * runs take them.
 */
#define STALE_MAX	13

static int
rx_hdr_stale(uint64_t features)
{
	struct rte_mbuf *p = NULL, *burst[STALE_MAX];
	uint32_t b, n;
	struct t t;

	if (t_start(&t, features, 1) < 0)
		goto fail;
	CHECK((p = mk_pkt1(100, 7)) != NULL);
	n = t.hdr_len + 1;
	CHECK(n <= STALE_MAX);
	for (b = 0; b < n; b++) {
		struct fe_buf buf = { .gpa = fe_alloc(&t.s, 2048, 64), .len = 2048 };
		uint8_t *h;

		CHECK(buf.gpa != 0);
		h = fe_ptr(&t.s, buf.gpa);
		memset(h, 0, t.hdr_len);
		if (t.hdr_len >= 12)
			h[10] = 1;	/* num_buffers */
		if (b < t.hdr_len)
			h[b] ^= 0x5a;
		CHECK(fe_post(&t.s, FE_RX_VQ, &buf, 1, true, false) >= 0);
		burst[b] = p;
	}
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, burst, n), n);
	for (b = 0; b < n; b++)
		if (rx_check(&t, p, 1) < 0)
			FAIL("stale header byte %u", b);
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	t_end(&t);
	return -1;
}

static int test_rx_hdr_stale(void) { return rx_hdr_stale(F_MRG); }
static int test_rx_hdr_stale_packed(void) { return rx_hdr_stale(F_MRG | F_PACKED); }
static int test_rx_hdr_stale_legacy(void) { return rx_hdr_stale(F_LEGACY); }

/* -------------------------------------------------------------- dequeue */

static int
test_deq_layouts(void)
{
	static const uint32_t whole[] = { 0 };
	static const uint32_t hdr_alone[] = { 12, 0 };
	static const uint32_t three[] = { 12, 500, 500, 0 };
	static const uint32_t hdr_split[] = { 5, 7, 0 };
	static const uint32_t hdr_data[] = { 20, 0 };
	static const struct {
		uint32_t len;
		const uint32_t *pieces;
		bool indirect;
	} c[] = {
		{ 64, whole, false },
		{ 1518, hdr_alone, false },
		{ 1518, three, false },
		{ 1000, hdr_split, false },
		{ 700, hdr_data, true },
		{ 1518, three, true },
		{ 60, hdr_split, true },
	};
	struct rte_mbuf *rx[16] = { 0 };
	int heads[RTE_DIM(c)];
	unsigned int i;
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	for (i = 0; i < RTE_DIM(c); i++)
		CHECK((heads[i] = tx_post(&t, c[i].len, 40 + i, c[i].pieces, c[i].indirect)) >= 0);
	fe_calls(&t.s, FE_TX_VQ);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 16), RTE_DIM(c));
	CHECK(fe_calls(&t.s, FE_TX_VQ) >= 1);
	for (i = 0; i < RTE_DIM(c); i++) {
		if (tx_check(rx[i], c[i].len, 40 + i, 1) < 0)
			FAIL("packet %u", i);
		if (used_pop_check(&t, FE_TX_VQ, heads[i], 0) < 0)
			goto fail;
	}
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx + 8, 8), 0);
	free_pkts(rx, 16);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 16);
	t_end(&t);
	return -1;
}

/* Packets larger than an mbuf: multi-segment mbufs; the 64 KB cap. */
static int
test_deq_multiseg(void)
{
	static const uint32_t split[] = { 12, 4000, 5000, 0 };
	static const uint32_t ind[] = { 3, 9, 1, 2047, 4000, 0 };
	struct rte_mbuf *rx[8] = { 0 };
	uint32_t room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	uint32_t id, len;
	struct t t;
	int i;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK(tx_post(&t, 9000, 1, split, false) >= 0);
	CHECK(tx_post(&t, 6000, 2, ind, true) >= 0);
	CHECK(tx_post(&t, room, 3, NULL, false) >= 0);
	CHECK(tx_post(&t, room + 1, 4, NULL, false) >= 0);
	CHECK(tx_post(&t, 65536, 5, NULL, false) >= 0);
	CHECK(tx_post(&t, 65537, 6, NULL, false) >= 0);	/* too big: dropped */
	CHECK(tx_post(&t, 100, 7, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 8), 6);
	if (tx_check(rx[0], 9000, 1, (9000 + room - 1) / room) < 0 ||
	    tx_check(rx[1], 6000, 2, (6000 + room - 1) / room) < 0 ||
	    tx_check(rx[2], room, 3, 1) < 0 ||
	    tx_check(rx[3], room + 1, 4, 2) < 0 ||
	    tx_check(rx[4], 65536, 5, (65536 + room - 1) / room) < 0 ||
	    tx_check(rx[5], 100, 7, 1) < 0)
		goto fail;
	for (i = 0; i < 7; i++) {
		CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &len), 1);
		CHECK_EQ(len, 0);
	}
	free_pkts(rx, 8);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 8);
	t_end(&t);
	return -1;
}

/* A chain no longer than the vnet header is dropped, the next one taken. */
static int
test_deq_short(void)
{
	static const uint32_t p6[] = { 6, 0 };
	struct rte_mbuf *rx[4] = { 0 };
	struct fe_buf b;
	uint32_t id, len;
	struct t t;
	int bad, bad2;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK((bad = tx_post(&t, 0, 0, p6, false)) >= 0);	/* 12-byte header only */
	b = (struct fe_buf){ fe_alloc(&t.s, 12, 8), 0 };
	CHECK((bad2 = fe_post(&t.s, FE_TX_VQ, &b, 1, false, false)) >= 0);	/* empty */
	CHECK(tx_post(&t, 1, 9, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 1);
	if (tx_check(rx[0], 1, 9, 1) < 0)
		goto fail;
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 3);
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &len), 1);
	CHECK_EQ(id, bad);
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &len), 1);
	CHECK_EQ(id, bad2);
	free_pkts(rx, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 4);
	t_end(&t);
	return -1;
}

/* Out of mbufs: stop without consuming the chain. A pool short of a whole
 * burst still serves the chains there are mbufs for. */
static int
deq_no_mbufs(uint64_t features)
{
	struct rte_mempool *small;
	struct rte_mbuf *rx[4] = { 0 }, *hold[4] = { 0 };
	char name[32];
	struct t t;
	int n;

	snprintf(name, sizeof(name), "small%d", sock_seq);
	small = rte_pktmbuf_pool_create(name, 4, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (small == NULL) {
		fprintf(stderr, "  pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (t_start(&t, features, 1) < 0)
		goto fail;
	CHECK(tx_post(&t, 100, 1, NULL, false) >= 0);
	CHECK(tx_post(&t, 3000, 2, NULL, false) >= 0);	/* needs 2 mbufs */
	CHECK(tx_post(&t, 200, 3, NULL, false) >= 0);
	CHECK_EQ(rte_pktmbuf_alloc_bulk(small, hold, 3), 0);	/* 1 left */
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, small, rx, 3), 0);	/* bulk fails */
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, small, rx, 1), 1);
	if (tx_check(rx[0], 100, 1, 1) < 0)
		goto fail;
	rte_pktmbuf_free(rx[0]);
	rx[0] = NULL;
	/* One mbuf free, the 3000-byte packet needs two. */
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, small, rx, 1), 0);
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 1);
	CHECK_EQ(rte_mempool_avail_count(small), 1);
	free_pkts(hold, 3);
	n = vhu_dequeue_burst(t.vid, 1, small, rx, 1);
	CHECK_EQ(n, 1);
	if (tx_check(rx[0], 3000, 2, 2) < 0)
		goto fail;
	free_pkts(rx, 4);
	CHECK_EQ(rte_pktmbuf_alloc_bulk(small, hold, 2), 0);	/* 2 left */
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, small, rx, 4), 1);
	if (tx_check(rx[0], 200, 3, 1) < 0)
		goto fail;
	free_pkts(rx, 4);
	free_pkts(hold, 4);
	CHECK_EQ(rte_mempool_avail_count(small), 4);
	t_end(&t);
	rte_mempool_free(small);
	return 0;
fail:
	free_pkts(rx, 4);
	free_pkts(hold, 4);
	t_end(&t);
	rte_mempool_free(small);
	return -1;
}

static int
test_deq_no_mbufs(void)
{
	return deq_no_mbufs(F_BASE);
}

static int
test_packed_deq_no_mbufs(void)
{
	return deq_no_mbufs(F_BASE | VHU_BIT(VHU_VIRTIO_F_RING_PACKED));
}

/* -------------------------------------------------------------- hostile */

#define CANARY_LEN (256u << 10)

/* Fill the guest memory the next buffers come from with a canary. */
static uint64_t
canary_start(struct t *t)
{
	uint64_t from = t->s.brk;

	memset(t->s.mem + from, 0x5a, RTE_MIN(CANARY_LEN, t->s.mem_size - from));
	return from;
}

/* That memory is unchanged except [skip_gpa, skip_gpa + skip_len). */
static bool
canary_intact(struct t *t, uint64_t from, uint64_t skip_gpa, uint64_t skip_len)
{
	uint64_t i, s = skip_gpa - t->s.gpa_base;
	uint64_t end = RTE_MIN(from + CANARY_LEN, t->s.mem_size);

	for (i = from; i < end; i++) {
		if (skip_len && i >= s && i < s + skip_len)
			continue;
		if (t->s.mem[i] != 0x5a) {
			fprintf(stderr, "  guest byte at offset 0x%" PRIx64 " changed\n", i);
			return false;
		}
	}
	return true;
}

enum corruption {
	C_LOOP,			/* last descriptor points back at the head */
	C_LOOP_EMPTY,		/* the same with zero-length descriptors */
	C_RING_CYCLE,		/* a chain through every descriptor and around */
	C_NEXT_RANGE,		/* next >= ring size */
	C_ADDR_END,		/* buffer runs past the end of guest memory */
	C_ADDR_LOW,		/* buffer below guest memory */
	C_ADDR_WRAP,		/* addr + len wraps around 2^64 */
	C_IND_OUTSIDE,		/* indirect table outside guest memory */
	C_IND_LEN_ODD,		/* indirect table length not a multiple of 16 */
	C_IND_LEN_ZERO,
	C_IND_NESTED,		/* indirect inside indirect */
	C_IND_NEXT,		/* INDIRECT together with NEXT */
	C_IND_LOOP,		/* loop inside an indirect table */
	C_IND_NEXT_RANGE,	/* next past the indirect table */
	C_BAD_DIR,		/* read-only Rx buffer / writable Tx buffer */
	C_HEAD_RANGE,		/* avail ring entry >= ring size */
	C_MAX,
};

static const char *const corruption_name[C_MAX] = {
	"loop", "loop of empty descriptors", "ring cycle", "next out of range", "address past memory end",
	"address below memory", "address wraps", "indirect table outside memory",
	"indirect length not multiple of 16", "indirect length 0", "nested indirect",
	"indirect with next", "loop in indirect table", "next past indirect table",
	"wrong direction", "head out of range",
};

/* Post a chain on q (3 small descriptors) broken in way c; returns the
 * head the backend sees. *table: the indirect table's address, if any. */
static int
post_broken(struct t *t, int q, enum corruption c, uint64_t *table)
{
	struct fe_vq *vq = &t->s.vq[q];
	bool rx = q == FE_RX_VQ, ind = c >= C_IND_OUTSIDE && c <= C_IND_NEXT_RANGE;
	struct fe_buf b[3];
	struct vhu_desc *d, *tab;
	int head, i;

	for (i = 0; i < 3; i++)
		b[i] = (struct fe_buf){ fe_alloc(&t->s, 16, 16), 16 };
	*table = 0;
	if (c == C_HEAD_RANGE) {
		vq->avail->ring[vq->avail_idx & (vq->size - 1)] = vq->size + 5;
		vq->avail_idx++;
		__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
		return vq->size + 5;
	}
	head = fe_chain_add(&t->s, q, b, c == C_RING_CYCLE ? 1 : 3, rx, ind);
	if (head < 0)
		return -1;
	d = vq->desc;
	tab = ind ? fe_ptr(&t->s, d[head].addr) : NULL;
	*table = ind ? d[head].addr : 0;
	switch (c) {
	case C_LOOP_EMPTY:
		d[head].len = d[d[head].next].len = d[d[d[head].next].next].len = 0;
		/* fall through */
	case C_LOOP:
		d[d[d[head].next].next].flags |= VHU_DESC_F_NEXT;
		d[d[d[head].next].next].next = head;
		break;
	case C_RING_CYCLE:
		for (i = 0; i < vq->size; i++) {
			d[i].addr = b[0].gpa;
			d[i].len = 1;
			d[i].flags = VHU_DESC_F_NEXT | (rx ? VHU_DESC_F_WRITE : 0);
			d[i].next = (i + 1) & (vq->size - 1);
		}
		break;
	case C_NEXT_RANGE:
		d[head].next = vq->size;
		break;
	case C_ADDR_END:
		d[d[head].next].addr = fe_gpa_end(&t->s) - 8;
		break;
	case C_ADDR_LOW:
		d[d[head].next].addr = 0x1000;
		break;
	case C_ADDR_WRAP:
		d[d[head].next].addr = UINT64_MAX - 7;
		break;
	case C_IND_OUTSIDE:
		d[head].addr = fe_gpa_end(&t->s) - 16;
		break;
	case C_IND_LEN_ODD:
		d[head].len = 40;
		break;
	case C_IND_LEN_ZERO:
		d[head].len = 0;
		break;
	case C_IND_NESTED:
		tab[1].flags |= VHU_DESC_F_INDIRECT;
		tab[1].addr = d[head].addr;
		tab[1].len = 48;
		break;
	case C_IND_NEXT:
		d[head].flags |= VHU_DESC_F_NEXT;
		break;
	case C_IND_LOOP:
		tab[2].flags |= VHU_DESC_F_NEXT;
		tab[2].next = 0;
		break;
	case C_IND_NEXT_RANGE:
		tab[1].next = 3;
		break;
	case C_BAD_DIR:
		d[d[head].next].flags ^= VHU_DESC_F_WRITE;
		break;
	default:
		break;
	}
	fe_avail_push(&t->s, q, head);
	return head;
}

/* Every corruption on the Rx ring: the chain comes back unused, nothing is
 * sent, nothing written; a good buffer afterwards works. */
static int
test_hostile_rx(void)
{
	struct rte_mbuf *p = NULL;
	uint64_t from, table;
	struct t t;
	int c, head;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	p = mk_pkt1(1518, 3);
	CHECK(p != NULL);
	for (c = 0; c < C_MAX; c++) {
		if (c == C_RING_CYCLE)
			continue;	/* it needs a ring of its own: below */
		from = canary_start(&t);
		head = post_broken(&t, FE_RX_VQ, c, &table);
		CHECK(head >= 0);
		if (vhu_enqueue_burst(t.vid, 0, &p, 1) != 0)
			FAIL("%s: packet sent", corruption_name[c]);
		if (used_pop_check(&t, FE_RX_VQ, head, 0) < 0)
			FAIL("%s: chain not returned unused", corruption_name[c]);
		if (!canary_intact(&t, from, table, 48))
			FAIL("%s: guest memory written", corruption_name[c]);
	}
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 1) < 0)
		goto fail;
	/* The whole ring as one cycle (the ring's own state is lost). */
	from = canary_start(&t);
	head = post_broken(&t, FE_RX_VQ, C_RING_CYCLE, &table);
	CHECK(head >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	if (used_pop_check(&t, FE_RX_VQ, head, 0) < 0)
		FAIL("ring cycle: chain not returned unused");
	CHECK(canary_intact(&t, from, 0, 0));
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	t_end(&t);
	return -1;
}

/* Mergeable: a packet's second chain is broken. Both chains come back
 * unused, the packet is not sent, later packets are. */
static int
test_hostile_rx_mrg(void)
{
	struct rte_mbuf *p = NULL;
	uint64_t table;
	struct t t;
	int good, bad;

	if (t_start(&t, F_MRG, 1) < 0)
		goto fail;
	p = mk_pkt1(1518, 4);
	CHECK(p != NULL);
	CHECK((good = fe_post_rx(&t.s, 1024)) >= 0);
	CHECK((bad = post_broken(&t, FE_RX_VQ, C_ADDR_END, &table)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	if (used_pop_check(&t, FE_RX_VQ, good, 0) < 0 ||
	    used_pop_check(&t, FE_RX_VQ, bad, 0) < 0)
		goto fail;
	CHECK(fe_post_rx(&t.s, 1024) >= 0);
	CHECK(fe_post_rx(&t.s, 1024) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 2) < 0)
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
 * Rx chains with no room at all (one or two descriptors of length 0): no
 * packet can ever use one. Each comes back unused (length 0) and the packet
 * goes into the next buffer, alone (num_buffers 1 when mergeable), instead
 * of the guest's ring stopping for good (split.c). Packed rings refuse
 * every empty descriptor anyway (packed.c, buf_take()): the same outcome.
 */
static int
rx_no_room(uint64_t features)
{
	struct rte_mbuf *p = NULL;
	struct fe_buf z[2];
	int empty, good, n;
	struct t t;

	if (t_start(&t, features, 1) < 0)
		goto fail;
	CHECK_EQ(fe_is_packed(&t.s), !!(features & VHU_BIT(VHU_VIRTIO_F_RING_PACKED)));
	p = mk_pkt1(1000, 5);
	CHECK(p != NULL);
	for (n = 1; n <= 2; n++) {
		z[0].gpa = z[1].gpa = fe_alloc(&t.s, 64, 64);
		z[0].len = z[1].len = 0;
		CHECK((empty = fe_post(&t.s, FE_RX_VQ, z, n, true, false)) >= 0);
		CHECK((good = fe_post_rx(&t.s, 2048)) >= 0);
		/* The burst that finds it returns it and stops there. */
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
		if (used_pop_check(&t, FE_RX_VQ, empty, 0) < 0)
			FAIL("%d empty descriptors: chain not returned unused", n);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
		if (rx_check(&t, p, 1) < 0)
			FAIL("%d empty descriptors: the packet after it", n);
	}
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	t_end(&t);
	return -1;
}

static int test_rx_no_room(void) { return rx_no_room(F_BASE); }
static int test_rx_no_room_mrg(void) { return rx_no_room(F_MRG); }
static int test_rx_no_room_packed(void)
{
	return rx_no_room(F_BASE | VHU_BIT(VHU_VIRTIO_F_RING_PACKED));
}
static int test_rx_no_room_packed_mrg(void)
{
	return rx_no_room(F_MRG | VHU_BIT(VHU_VIRTIO_F_RING_PACKED));
}

/* Every corruption on the Tx ring, all posted at once between good
 * packets: each broken chain is dropped, the good ones come through. */
static int
test_hostile_tx(void)
{
	struct rte_mbuf *rx[C_MAX + 4] = { 0 };
	int heads[C_MAX], good[2];
	uint64_t table;
	uint32_t id, len;
	struct t t;
	int c, n;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK((good[0] = tx_post(&t, 300, 1, NULL, false)) >= 0);
	for (c = 0; c < C_MAX; c++)
		if (c != C_RING_CYCLE)
			CHECK((heads[c] = post_broken(&t, FE_TX_VQ, c, &table)) >= 0);
	CHECK((good[1] = tx_post(&t, 400, 2, NULL, true)) >= 0);
	n = vhu_dequeue_burst(t.vid, 1, mp, rx, RTE_DIM(rx));
	CHECK_EQ(n, 2);
	if (tx_check(rx[0], 300, 1, 1) < 0 || tx_check(rx[1], 400, 2, 1) < 0)
		goto fail;
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &len), 1);
	CHECK_EQ(id, good[0]);
	for (c = 0; c < C_MAX; c++) {
		if (c == C_RING_CYCLE)
			continue;
		CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &len), 1);
		if (id != (uint32_t)heads[c] || len != 0)
			FAIL("%s: used id %u len %u", corruption_name[c], id, len);
	}
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &len), 1);
	CHECK_EQ(id, good[1]);
	free_pkts(rx, n);
	n = 0;
	CHECK((heads[0] = post_broken(&t, FE_TX_VQ, C_RING_CYCLE, &table)) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 0);
	if (used_pop_check(&t, FE_TX_VQ, heads[0], 0) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, RTE_DIM(rx));
	t_end(&t);
	return -1;
}

/* avail->idx jumping by more than the ring size: nothing consumed. */
static int
test_hostile_avail_jump(void)
{
	struct rte_mbuf *p = NULL, *rx[4] = { 0 };
	struct fe_vq *rq, *tq;
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	rq = &t.s.vq[FE_RX_VQ];
	tq = &t.s.vq[FE_TX_VQ];
	p = mk_pkt1(100, 1);
	CHECK(p != NULL);
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK(tx_post(&t, 100, 2, NULL, false) >= 0);
	rq->avail->idx = rq->avail_idx + RING_SIZE;
	tq->avail->idx = tq->avail_idx + 0x8000;
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 0);
	/* The guest fixes its index: traffic resumes. */
	rq->avail->idx = rq->avail_idx;
	tq->avail->idx = tq->avail_idx;
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 1) < 0)
		goto fail;
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 1);
	if (tx_check(rx[0], 100, 2, 1) < 0)
		goto fail;
	rte_pktmbuf_free(p);
	free_pkts(rx, 4);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 4);
	t_end(&t);
	return -1;
}

/* Bursts on the wrong vring or vid return 0; notification suppression. */
static int
test_burst_args(void)
{
	struct rte_mbuf *p = NULL, *rx[2] = { 0 };
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	p = mk_pkt1(100, 1);
	CHECK(p != NULL);
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK(tx_post(&t, 100, 2, NULL, false) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 1, &p, 1), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 2, &p, 1), 0);	/* not set up */
	CHECK_EQ(vhu_enqueue_burst(t.vid, VHU_MAX_VRINGS, &p, 1), 0);
	CHECK_EQ(vhu_enqueue_burst(-1, 0, &p, 1), 0);
	CHECK_EQ(vhu_enqueue_burst(VHU_MAX_DEVICES, 0, &p, 1), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 0, mp, rx, 2), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, VHU_MAX_VRINGS + 1, mp, rx, 2), 0);
	CHECK_EQ(vhu_dequeue_burst(-5, 1, mp, rx, 2), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 0), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 0);
	/* The guest asks for no interrupts: used entries, no call. */
	fe_calls(&t.s, FE_RX_VQ);
	fe_calls(&t.s, FE_TX_VQ);
	t.s.vq[FE_RX_VQ].avail->flags = VHU_AVAIL_F_NO_INTERRUPT;
	t.s.vq[FE_TX_VQ].avail->flags = VHU_AVAIL_F_NO_INTERRUPT;
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 2), 1);
	CHECK_EQ(fe_calls(&t.s, FE_RX_VQ), 0);
	CHECK_EQ(fe_calls(&t.s, FE_TX_VQ), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 1);
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 1);
	rte_pktmbuf_free(p);
	free_pkts(rx, 2);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 2);
	t_end(&t);
	return -1;
}

/* ------------------------------------------------------------ lifecycle */

/* Send one packet each way and check it. */
static int
traffic_ok(struct t *t, unsigned int seed)
{
	return t_traffic(t, 500, seed, 600, seed + 1, 2000);
}

/* Bursts on vid return 0 (device stopped). */
static int
bursts_dead(struct t *t)
{
	struct rte_mbuf *p = mk_pkt1(64, 1), *rx[1] = { 0 };

	CHECK(p != NULL);
	CHECK_EQ(vhu_enqueue_burst(t->vid, 0, &p, 1), 0);
	CHECK_EQ(vhu_dequeue_burst(t->vid, 1, mp, rx, 1), 0);
	rte_pktmbuf_free(p);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	return -1;
}

static int
test_get_vring_base(void)
{
	uint32_t base;
	struct t t;
	int i;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	for (i = 0; i < 3; i++)
		if (traffic_ok(&t, 10 + i) < 0)
			goto fail;
	/* Something left in the Rx ring: the base says where we stopped. */
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK(tx_post(&t, 100, 1, NULL, false) >= 0);
	CHECK_EQ(fe_get_vring_base(&t.s, FE_RX_VQ, &base), 0);
	CHECK_EQ(base, 3);
	CHECK(ev_wait(&ev.destroy_dev, 1, 2000));
	if (bursts_dead(&t) < 0)
		goto fail;
	CHECK_EQ(fe_get_vring_base(&t.s, FE_TX_VQ, &base), 0);
	CHECK_EQ(base, 3);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_disconnect(void)
{
	struct t t;

	if (t_start(&t, F_MRG, 1) < 0)
		goto fail;
	if (traffic_ok(&t, 1) < 0)
		goto fail;
	fe_sim_fini(&t.s);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	if (bursts_dead(&t) < 0)
		goto fail;
	/* The socket still serves: a new frontend gets a new device. */
	if (t_connect(&t, F_BASE, 2) < 0)
		goto fail;
	CHECK_EQ(ev_get(&ev.new_dev), 2);
	if (traffic_ok(&t, 2) < 0)
		goto fail;
	t_end(&t);
	CHECK(ev_wait(&ev.destroy_dev, 2, 3000));
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_unregister_running(void)
{
	struct t t;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	CHECK_EQ(vhu_driver_unregister(t.path), 0);
	t.registered = false;
	CHECK(ev_wait(&ev.destroy_dev, 1, 1000));
	if (bursts_dead(&t) < 0)
		goto fail;
	CHECK(fe_peer_closed(&t.s, 3000));
	CHECK(access(t.path, F_OK) != 0);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_mem_table_replace(void)
{
	struct t t;
	uint64_t end;

	if (t_start(&t, F_MRG, 2) < 0)
		goto fail;
	if (traffic_ok(&t, 1) < 0)
		goto fail;
	/* Leave a posted Rx buffer across the swap. */
	CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK_EQ(fe_sim_remap(&t.s), 0);
	CHECK_EQ(fe_set_mem_table(&t.s), 0);
	/* A reconfiguring library may restart the device: follow its vid. */
	end = now_ms() + 500;
	while (now_ms() < end && ev_get(&ev.destroy_dev) > ev_get(&ev.new_dev) - 1)
		usleep(1000);
	t.vid = ev_get(&ev.vid);
	{
		struct rte_mbuf *p = mk_pkt1(1000, 77);
		uint64_t stop = now_ms() + 2000;
		int n;

		CHECK(p != NULL);
		while ((n = vhu_enqueue_burst(t.vid, 0, &p, 1)) == 0 && now_ms() < stop)
			usleep(1000);
		if (n != 1 || rx_check(&t, p, 1) < 0) {
			rte_pktmbuf_free(p);
			FAIL("packet into the buffer posted before the swap");
		}
		rte_pktmbuf_free(p);
	}
	if (traffic_ok(&t, 2) < 0 || traffic_ok(&t, 3) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_client_mode(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = -1;
	struct t t;

	memset(&t, 0, sizeof(t));
	t.s.fd = t.s.memfd = -1;
	memset(&ev, 0, sizeof(ev));
	snprintf(t.path, sizeof(t.path), "%s/c%d", tmpdir, sock_seq++);
	strcpy(sun.sun_path, t.path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK(listen(lfd, 1) == 0);
	CHECK_EQ(vhu_driver_register(t.path, VHU_REG_CLIENT, 1, &test_ops, &ctx_token), 0);
	t.registered = true;
	CHECK_EQ(fe_sim_init(&t.s, MEM_SIZE, 1), 0);
	CHECK_EQ(fe_accept(&t.s, lfd), 0);
	CHECK_EQ(fe_handshake(&t.s, F_MRG, 2, RING_SIZE), 0);
	if (t_wait_up(&t, 1) < 0)
		goto fail;
	if (traffic_ok(&t, 5) < 0)
		goto fail;
	/* The frontend goes away: the library reconnects. */
	fe_sim_fini(&t.s);
	CHECK(ev_wait(&ev.destroy_dev, 1, 3000));
	CHECK_EQ(fe_sim_init(&t.s, MEM_SIZE, 1), 0);
	CHECK_EQ(fe_accept(&t.s, lfd), 0);
	CHECK_EQ(fe_handshake(&t.s, F_BASE, 2, RING_SIZE), 0);
	if (t_wait_up(&t, 2) < 0)
		goto fail;
	if (traffic_ok(&t, 6) < 0)
		goto fail;
	t_end(&t);
	close(lfd);
	unlink(sun.sun_path);
	return 0;
fail:
	t_end(&t);
	if (lfd >= 0)
		close(lfd);
	unlink(sun.sun_path);
	return -1;
}

/* ------------------------------------------------------------ malformed */

/* The library refused the last request: a nack, or the connection closed. */
static bool
refused(int ret, struct fe_sim *s)
{
	if (ret == 0)
		return false;
	return ret == -EIO || fe_peer_closed(s, 3000);
}

/* After abuse: a fresh frontend still gets a working device. */
static int
still_serves(struct t *t)
{
	fe_sim_fini(&t->s);
	if (t_connect(t, F_BASE, 1) < 0)
		return -1;
	return traffic_ok(t, 9);
}

static int
test_bad_size(void)
{
	struct vhu_msg_hdr h = { VHU_REQ_SET_FEATURES, VHU_MSG_VERSION, 0x10000 };
	uint8_t junk[64] = { 0 };
	struct t t;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	CHECK_EQ(fe_send_raw(&t.s, &h, sizeof(h), NULL, 0), 0);
	fe_send_raw(&t.s, junk, sizeof(junk), NULL, 0);
	CHECK(fe_peer_closed(&t.s, 3000));
	/* A size that does not match the request. */
	if (t_reopen(&t) < 0)
		goto fail;
	h.size = 3;
	CHECK_EQ(fe_send_raw(&t.s, &h, sizeof(h), NULL, 0), 0);
	fe_send_raw(&t.s, junk, 3, NULL, 0);
	{
		uint64_t f;
		int ret = fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f);

		/* Either dropped, or ignored and still answering. */
		CHECK(ret == 0 || fe_peer_closed(&t.s, 3000));
	}
	/* Wrong version bits. */
	if (t_reopen(&t) < 0)
		goto fail;
	h = (struct vhu_msg_hdr){ VHU_REQ_GET_FEATURES, 0x2, 0 };
	CHECK_EQ(fe_send_raw(&t.s, &h, sizeof(h), NULL, 0), 0);
	CHECK(fe_peer_closed(&t.s, 3000));
	if (still_serves(&t) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_bad_mem_table(void)
{
	struct vhu_mem_table_desc m;
	struct t t;
	int ret, fds[3];
	uint64_t f;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	if (t_base_features(&t, true) < 0)
		goto fail;
	memset(&m, 0, sizeof(m));
	m.nregions = 1;
	m.regions[0] = (struct vhu_mem_region_desc){
		.guest_phys_addr = t.s.gpa_base, .memory_size = MEM_SIZE,
		.userspace_addr = t.s.uva_base, .mmap_offset = 0,
	};
	fds[0] = fds[1] = fds[2] = t.s.memfd;
	/* No fd. */
	ret = fe_send(&t.s, VHU_REQ_SET_MEM_TABLE, VHU_MSG_NEED_REPLY, &m, 8 + 32, NULL, 0);
	CHECK_EQ(ret, 0);
	ret = fe_recv(&t.s, VHU_REQ_SET_MEM_TABLE, &f, sizeof(f));
	CHECK(refused(ret == 8 && f != 0 ? -EIO : ret < 0 ? ret : 0, &t.s));
	if (!fe_peer_closed(&t.s, 100)) {
		/* Three fds for one region. */
		ret = fe_send(&t.s, VHU_REQ_SET_MEM_TABLE, VHU_MSG_NEED_REPLY, &m, 8 + 32, fds, 3);
		CHECK_EQ(ret, 0);
		ret = fe_recv(&t.s, VHU_REQ_SET_MEM_TABLE, &f, sizeof(f));
		CHECK(refused(ret == 8 && f != 0 ? -EIO : ret < 0 ? ret : 0, &t.s));
	}
	/* nregions above the maximum. */
	if (t_reopen(&t) < 0)
		goto fail;
	m.nregions = VHU_MAX_MEM_REGIONS + 1;
	fds[0] = t.s.memfd;
	ret = fe_send(&t.s, VHU_REQ_SET_MEM_TABLE, 0, &m, 8 + 32, fds, 1);
	CHECK_EQ(ret, 0);
	CHECK(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f) == 0 || fe_peer_closed(&t.s, 3000));
	/* A region bigger than the file. */
	if (t_reopen(&t) < 0)
		goto fail;
	if (t_base_features(&t, true) < 0)
		goto fail;
	m.nregions = 1;
	m.regions[0].memory_size = 1ULL << 40;
	fds[0] = t.s.memfd;
	ret = fe_send(&t.s, VHU_REQ_SET_MEM_TABLE, VHU_MSG_NEED_REPLY, &m, 8 + 32, fds, 1);
	CHECK_EQ(ret, 0);
	ret = fe_recv(&t.s, VHU_REQ_SET_MEM_TABLE, &f, sizeof(f));
	CHECK(refused(ret == 8 && f != 0 ? -EIO : ret < 0 ? ret : 0, &t.s));
	if (still_serves(&t) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_bad_vring_index(void)
{
	static const uint32_t reqs[] = {
		VHU_REQ_SET_VRING_NUM, VHU_REQ_SET_VRING_BASE, VHU_REQ_SET_VRING_ENABLE,
	};
	struct vhu_vring_addr a;
	unsigned int i;
	struct t t;
	uint32_t base;
	int ret;

	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	for (i = 0; i < RTE_DIM(reqs); i++) {
		ret = fe_set_vring_state(&t.s, reqs[i], 0x10000, 1);
		if (!refused(ret, &t.s))
			FAIL("request %u with vring 0x10000: %d", reqs[i], ret);
		if (fe_peer_closed(&t.s, 100))
			goto reconnect;
		ret = fe_set_vring_state(&t.s, reqs[i], VHU_MAX_VRINGS, 1);
		if (!refused(ret, &t.s))
			FAIL("request %u with vring %u: %d", reqs[i], VHU_MAX_VRINGS, ret);
		if (fe_peer_closed(&t.s, 100))
			goto reconnect;
	}
	memset(&a, 0, sizeof(a));
	a.index = 0x10000;
	ret = fe_send(&t.s, VHU_REQ_SET_VRING_ADDR, VHU_MSG_NEED_REPLY, &a, sizeof(a), NULL, 0);
	CHECK_EQ(ret, 0);
	{
		uint64_t ack;

		ret = fe_recv(&t.s, VHU_REQ_SET_VRING_ADDR, &ack, sizeof(ack));
		CHECK(refused(ret == 8 && ack != 0 ? -EIO : ret < 0 ? ret : 0, &t.s));
	}
	if (fe_peer_closed(&t.s, 100))
		goto reconnect;
	/* GET_VRING_BASE refused: an empty reply rather than leave the
	 * frontend waiting; the connection stays. */
	fe_set_timeout(&t.s, 3000);
	ret = fe_get_vring_base(&t.s, 0x10000, &base);
	CHECK_EQ(ret, -EPROTO);
	{
		uint64_t f;

		CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f), 0);
	}
reconnect:
	if (still_serves(&t) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static int
test_bad_requests(void)
{
	uint64_t f = 0;
	struct t t;
	int ret;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	/* Unknown request, request 0, fds on a request that takes none. */
	ret = fe_send(&t.s, 0x7777, 0, NULL, 0, NULL, 0);
	CHECK_EQ(ret, 0);
	if (!fe_peer_closed(&t.s, 100)) {
		ret = fe_send(&t.s, VHU_REQ_SET_FEATURES, 0, &f, 8, &t.s.memfd, 1);
		CHECK_EQ(ret, 0);
		CHECK(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f) == 0 || fe_peer_closed(&t.s, 3000));
	}
	/* Rings before any memory table: no crash, no device. */
	if (t_reopen(&t) < 0)
		goto fail;
	if (t_base_features(&t, false) < 0)
		goto fail;
	ret = fe_vq_setup(&t.s, 0, RING_SIZE);
	if (ret == 0)
		ret = fe_vq_setup(&t.s, 1, RING_SIZE);
	usleep(100 * 1000);
	CHECK_EQ(ev_get(&ev.new_dev), 0);
	/* A ring size that is not a power of two, then one too big. */
	if (t_reopen(&t) < 0)
		goto fail;
	if (t_base_features(&t, true) < 0)
		goto fail;
	ret = fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 100);
	CHECK(refused(ret, &t.s));
	if (!fe_peer_closed(&t.s, 100)) {
		ret = fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, 0, 65536);
		CHECK(refused(ret, &t.s));
	}
	if (still_serves(&t) < 0)
		goto fail;
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* -------------------------------------------------------- notifications */

#define F_EVENT_IDX	VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX)
#define F_IN_ORDER	VHU_BIT(VHU_VIRTIO_F_IN_ORDER)

static uint16_t
used_flags(struct t *t, int q)
{
	return __atomic_load_n(&t->s.vq[q].used->flags, __ATOMIC_ACQUIRE);
}

/* One Rx packet of 100 bytes into a fresh buffer; calls seen for it. */
static int
rx_one_call(struct t *t, struct rte_mbuf *p, uint64_t *calls)
{
	CHECK(fe_post_rx(&t->s, 2048) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t->vid, 0, &p, 1), 1);
	*calls = fe_calls(&t->s, FE_RX_VQ);
	return rx_check(t, p, 1);
fail:
	return -1;
}

/*
 * EVENT_IDX: the guest is called only when the used index crosses its
 * used_event, whatever avail->flags says; avail_event follows what the
 * backend consumed, one behind, so that the guest never kicks a polling
 * backend; used->flags stays 0.
 */
static int
test_event_idx(void)
{
	struct rte_mbuf *p[4] = { 0 }, *rx[4] = { 0 };
	uint64_t calls;
	struct t t;
	int i;

	if (t_start(&t, F_MRG | F_EVENT_IDX, 1) < 0)
		goto fail;
	CHECK(t.s.features & F_EVENT_IDX);
	CHECK_EQ(vhu_get_negotiated_features(t.vid) & F_EVENT_IDX, F_EVENT_IDX);
	CHECK_EQ(used_flags(&t, FE_RX_VQ), 0);
	CHECK_EQ(used_flags(&t, FE_TX_VQ), 0);
	for (i = 0; i < 4; i++)
		CHECK((p[i] = mk_pkt1(100, 40 + i)) != NULL);
	fe_calls(&t.s, FE_RX_VQ);

	/* Rx: "call me once used entry 1 is there". */
	fe_used_event_set(&t.s, FE_RX_VQ, 1);
	CHECK_EQ(rx_one_call(&t, p[0], &calls), 0);
	CHECK_EQ(calls, 0);			/* used idx 0 -> 1 */
	CHECK_EQ(fe_avail_event(&t.s, FE_RX_VQ), 0);
	CHECK_EQ(rx_one_call(&t, p[1], &calls), 0);
	CHECK_EQ(calls, 1);			/* 1 -> 2 crosses entry 1 */
	CHECK_EQ(fe_avail_event(&t.s, FE_RX_VQ), 1);
	CHECK_EQ(rx_one_call(&t, p[2], &calls), 0);
	CHECK_EQ(calls, 0);			/* 2 -> 3: already past */
	/* Several entries in one burst, the event in the middle of them; the
	 * interrupt flag is ignored with EVENT_IDX. */
	t.s.vq[FE_RX_VQ].avail->flags = VHU_AVAIL_F_NO_INTERRUPT;
	fe_used_event_set(&t.s, FE_RX_VQ, 4);
	for (i = 0; i < 3; i++)
		CHECK(fe_post_rx(&t.s, 2048) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 3), 3);	/* 3 -> 6 */
	CHECK_EQ(fe_calls(&t.s, FE_RX_VQ), 1);
	CHECK_EQ(fe_avail_event(&t.s, FE_RX_VQ), 5);
	for (i = 0; i < 3; i++)
		if (rx_check(&t, p[i], 1) < 0)
			FAIL("packet %d", i);

	/* Tx: the same on the other vring. */
	fe_calls(&t.s, FE_TX_VQ);
	fe_used_event_set(&t.s, FE_TX_VQ, 0);
	CHECK(tx_post(&t, 100, 50, NULL, false) >= 0);
	CHECK(tx_post(&t, 200, 51, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 2);	/* 0 -> 2 */
	CHECK_EQ(fe_calls(&t.s, FE_TX_VQ), 1);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 1);
	CHECK(tx_post(&t, 300, 52, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, &rx[2], 2), 1);	/* 2 -> 3 */
	CHECK_EQ(fe_calls(&t.s, FE_TX_VQ), 0);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 2);
	CHECK_EQ(tx_check(rx[0], 100, 50, 1), 0);
	CHECK_EQ(tx_check(rx[1], 200, 51, 1), 0);
	CHECK_EQ(tx_check(rx[2], 300, 52, 1), 0);
	CHECK_EQ(used_flags(&t, FE_RX_VQ), 0);
	CHECK_EQ(used_flags(&t, FE_TX_VQ), 0);
	free_pkts(p, 4);
	free_pkts(rx, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 4);
	free_pkts(rx, 4);
	t_end(&t);
	return -1;
}

/*
 * Without EVENT_IDX the backend sets VRING_USED_F_NO_NOTIFY on every vring
 * when it starts (it polls) and leaves avail_event alone; renegotiating
 * with EVENT_IDX clears the flag (the spec wants 0 then), and back.
 */
static int
test_no_notify(void)
{
	struct rte_mbuf *p = NULL, *rx[1] = { 0 };
	uint64_t calls;
	struct t t;

	if (t_start(&t, F_MRG, 1) < 0)
		goto fail;
	CHECK_EQ(t.s.features & F_EVENT_IDX, 0);
	CHECK_EQ(used_flags(&t, FE_RX_VQ), VHU_USED_F_NO_NOTIFY);
	CHECK_EQ(used_flags(&t, FE_TX_VQ), VHU_USED_F_NO_NOTIFY);
	CHECK((p = mk_pkt1(100, 60)) != NULL);
	fe_calls(&t.s, FE_RX_VQ);
	CHECK_EQ(rx_one_call(&t, p, &calls), 0);
	CHECK_EQ(calls, 1);
	CHECK(tx_post(&t, 100, 61, NULL, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 1), 1);
	CHECK_EQ(tx_check(rx[0], 100, 61, 1), 0);
	CHECK_EQ(fe_avail_event(&t.s, FE_RX_VQ), 0);
	CHECK_EQ(fe_avail_event(&t.s, FE_TX_VQ), 0);

	t.s.features = F_MRG | F_EVENT_IDX;
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, t.s.features), 0);
	CHECK_EQ(vhu_get_negotiated_features(t.vid) & F_EVENT_IDX, F_EVENT_IDX);
	CHECK_EQ(used_flags(&t, FE_RX_VQ), 0);
	CHECK_EQ(used_flags(&t, FE_TX_VQ), 0);
	t.s.features = F_MRG;
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, t.s.features), 0);
	CHECK_EQ(used_flags(&t, FE_RX_VQ), VHU_USED_F_NO_NOTIFY);
	CHECK_EQ(used_flags(&t, FE_TX_VQ), VHU_USED_F_NO_NOTIFY);
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

/* Build, without publishing, an Rx chain of one len-byte buffer. */
static int
rx_chain_add(struct t *t, uint32_t len)
{
	struct fe_buf b = { fe_alloc(&t->s, len, 64), len };

	return b.gpa ? fe_chain_add(&t->s, FE_RX_VQ, &b, 1, true, false) : -1;
}

/* Build, without publishing, a Tx chain: header, len bytes of pattern seed. */
static int
tx_chain_add(struct t *t, uint32_t len, unsigned int seed)
{
	struct fe_buf b = { fe_alloc(&t->s, t->hdr_len + len, 64), t->hdr_len + len };
	uint8_t *d;

	if (b.gpa == 0)
		return -1;
	d = fe_ptr(&t->s, b.gpa);
	memset(d, 0, t->hdr_len);
	pat_fill(d + t->hdr_len, len, seed);
	return fe_chain_add(&t->s, FE_TX_VQ, &b, 1, false, false);
}

/* The id of the k-th used entry of q not yet popped. */
static uint32_t
used_peek_id(struct t *t, int q, uint16_t k)
{
	struct fe_vq *vq = &t->s.vq[q];

	return vq->used->ring[(uint16_t)(vq->used_idx + k) & (vq->size - 1)].id;
}

/* An id no chain has, in the used entry k after the driver's position. */
#define USED_MARK 0xbeef

static void
used_entry_mark(struct t *t, int q, uint16_t k)
{
	struct fe_vq *vq = &t->s.vq[q];

	vq->used->ring[(uint16_t)(vq->used_idx + k) & (vq->size - 1)].id = USED_MARK;
}

/*
 * VIRTIO_F_IN_ORDER: buffers are used in the order they were made
 * available, also when heads are not in table order, when a mergeable
 * packet spans several chains and when a broken chain sits in between.
 */
static int
test_in_order(void)
{
	struct rte_mbuf *p[3] = { 0 }, *rx[8] = { 0 };
	static const unsigned int tx_order[] = { 2, 0, 3, 1 };
	int h[5], bad, i;
	struct fe_buf oob;
	struct t t;

	if (t_start(&t, F_MRG | F_IN_ORDER, 1) < 0)
		goto fail;
	CHECK(t.s.features & F_IN_ORDER);
	oob = (struct fe_buf){ fe_gpa_end(&t.s) - 8, 512 };

	/* Rx: avail order 3, 0, broken, 4, 1, 2; two 900-byte packets over
	 * two 512-byte buffers each, one of 100 bytes. */
	CHECK((p[0] = mk_pkt1(900, 70)) && (p[1] = mk_pkt1(900, 71)) &&
	      (p[2] = mk_pkt1(100, 72)));
	for (i = 0; i < 5; i++)
		CHECK((h[i] = rx_chain_add(&t, 512)) >= 0);
	CHECK((bad = fe_chain_add(&t.s, FE_RX_VQ, &oob, 1, true, false)) >= 0);
	fe_avail_push(&t.s, FE_RX_VQ, h[3]);
	fe_avail_push(&t.s, FE_RX_VQ, h[0]);
	fe_avail_push(&t.s, FE_RX_VQ, bad);
	fe_avail_push(&t.s, FE_RX_VQ, h[4]);
	fe_avail_push(&t.s, FE_RX_VQ, h[1]);
	fe_avail_push(&t.s, FE_RX_VQ, h[2]);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, 2), 1);	/* stops at the broken one */
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 3);
	CHECK_EQ(used_peek_id(&t, FE_RX_VQ, 0), h[3]);
	CHECK_EQ(used_peek_id(&t, FE_RX_VQ, 1), h[0]);
	CHECK_EQ(used_peek_id(&t, FE_RX_VQ, 2), bad);
	if (rx_check(&t, p[0], 2) < 0 || used_pop_check(&t, FE_RX_VQ, bad, 0) < 0)
		goto fail;
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[1], 2), 2);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 3);
	CHECK_EQ(used_peek_id(&t, FE_RX_VQ, 0), h[4]);
	CHECK_EQ(used_peek_id(&t, FE_RX_VQ, 1), h[1]);
	CHECK_EQ(used_peek_id(&t, FE_RX_VQ, 2), h[2]);
	if (rx_check(&t, p[1], 2) < 0 || rx_check(&t, p[2], 1) < 0)
		goto fail;

	/* Tx: packets 0..3 built in order, made available as 2, 0, broken,
	 * 3, 1: received in that order, and the burst returned with one used
	 * entry, at its first position, naming its last chain (the others are
	 * not written: marked here beforehand). */
	for (i = 0; i < 4; i++)
		CHECK((h[i] = tx_chain_add(&t, 100 + 10 * i, 80 + i)) >= 0);
	CHECK((bad = fe_chain_add(&t.s, FE_TX_VQ, &oob, 1, false, false)) >= 0);
	for (i = 0; i < 5; i++)
		used_entry_mark(&t, FE_TX_VQ, i);
	fe_avail_push(&t.s, FE_TX_VQ, h[2]);
	fe_avail_push(&t.s, FE_TX_VQ, h[0]);
	fe_avail_push(&t.s, FE_TX_VQ, bad);
	fe_avail_push(&t.s, FE_TX_VQ, h[3]);
	fe_avail_push(&t.s, FE_TX_VQ, h[1]);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 8), 4);
	CHECK_EQ(used_pending(&t, FE_TX_VQ), 5);
	CHECK_EQ(used_peek_id(&t, FE_TX_VQ, 0), h[1]);
	for (i = 1; i < 5; i++)
		CHECK_EQ(used_peek_id(&t, FE_TX_VQ, i), USED_MARK);
	for (i = 0; i < 4; i++)
		if (tx_check(rx[i], 100 + 10 * tx_order[i], 80 + tx_order[i], 1) < 0)
			FAIL("packet %d", i);
	/* The driver's view: every chain used, in avail order. */
	if (used_pop_check(&t, FE_TX_VQ, h[2], 0) < 0 ||
	    used_pop_check(&t, FE_TX_VQ, h[0], 0) < 0 ||
	    used_pop_check(&t, FE_TX_VQ, bad, 0) < 0 ||
	    used_pop_check(&t, FE_TX_VQ, h[3], 0) < 0 ||
	    used_pop_check(&t, FE_TX_VQ, h[1], 0) < 0)
		goto fail;
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 0);
	free_pkts(p, 3);
	free_pkts(rx, 8);
	t_end(&t);
	return 0;
fail:
	free_pkts(p, 3);
	free_pkts(rx, 8);
	t_end(&t);
	return -1;
}

/* ---------------------------------------------------------------- cases */

static const struct unit_case core_cases[] = {
	{ "handshake", test_handshake },
	{ "enq_hdr10", test_enq_hdr10 },
	{ "enq_hdr12", test_enq_hdr12 },
	{ "enq_mrg", test_enq_mrg },
	{ "enq_mrg_small_bufs", test_enq_mrg_small_bufs },
	{ "enq_rx_chains", test_enq_rx_chains },
	{ "enq_too_small", test_enq_too_small },
	{ "enq_ring_full", test_enq_ring_full },
	{ "span_regions", test_span_regions },
	{ "alt_regions", test_alt_regions },
	{ "alt_regions_packed", test_alt_regions_packed },
	{ "rx_hdr_stale", test_rx_hdr_stale },
	{ "rx_hdr_stale_packed", test_rx_hdr_stale_packed },
	{ "rx_hdr_stale_legacy", test_rx_hdr_stale_legacy },
	{ "deq_layouts", test_deq_layouts },
	{ "deq_multiseg", test_deq_multiseg },
	{ "deq_short", test_deq_short },
	{ "deq_no_mbufs", test_deq_no_mbufs },
	{ "packed_deq_no_mbufs", test_packed_deq_no_mbufs },
	{ "hostile_rx", test_hostile_rx },
	{ "hostile_rx_mrg", test_hostile_rx_mrg },
	{ "rx_no_room", test_rx_no_room },
	{ "rx_no_room_mrg", test_rx_no_room_mrg },
	{ "rx_no_room_packed", test_rx_no_room_packed },
	{ "rx_no_room_packed_mrg", test_rx_no_room_packed_mrg },
	{ "hostile_tx", test_hostile_tx },
	{ "hostile_avail_jump", test_hostile_avail_jump },
	{ "burst_args", test_burst_args },
	{ "event_idx", test_event_idx },
	{ "no_notify", test_no_notify },
	{ "in_order", test_in_order },
	{ "get_vring_base", test_get_vring_base },
	{ "disconnect", test_disconnect },
	{ "unregister_running", test_unregister_running },
	{ "mem_table_replace", test_mem_table_replace },
	{ "client_mode", test_client_mode },
	{ "bad_size", test_bad_size },
	{ "bad_mem_table", test_bad_mem_table },
	{ "bad_vring_index", test_bad_vring_index },
	{ "bad_requests", test_bad_requests },
};
UNIT_CASES(core_cases)
