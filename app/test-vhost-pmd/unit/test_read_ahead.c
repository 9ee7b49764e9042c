/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The read-ahead of both ring walkers (virtq.h, vhu_ahead): split.c and
 * packed.c read chains of one descriptor ahead of their use and top the
 * read-ahead up when half of it is left: Tx keeps 32 (VHU_AHEAD_TX), Rx 24
 * for small packets and 8 for big ones (rx_ahead_depth()). Over a ring of
 * 64, laps of 48: full bursts, chains that stop the read ahead in its
 * middle (two pieces, a buffer outside guest memory, a buffer too small
 * for its packet) or in a top-up, Rx bursts that switch from small to big
 * packets and back, the read ahead crossing the end of the ring. Every
 * packet's bytes and every used entry in order.
 */
#include <string.h>

#include "unit.h"

#define RA_RING		64
#define RA_LAP		48	/* chains per lap: Tx, one top-up of 16; Rx, two of 12 */

static int
ra_start(struct t *t, uint64_t features)
{
	if (t_register(t, 0) < 0)
		return -1;
	if (t_connect_sized(t, features, 1, RA_RING) < 0)
		return -1;
	CHECK_EQ(fe_is_packed(&t->s), !!(features & F_PACKED));
	return 0;
fail:
	return -1;
}

/* Point the first descriptor of posted chain id of q outside guest memory. */
static void
chain_break(struct t *t, int q, uint16_t id)
{
	struct fe_vq *vq = &t->s.vq[q];
	uint16_t slot = fe_chain_slot(&t->s, q, id, 0);
	uint64_t addr = fe_gpa_end(&t->s) - 8;

	if (vq->packed)
		vq->pdesc[slot].addr = addr;
	else
		vq->desc[slot].addr = addr;
}

/* Tx: in each lap a chain of two pieces and one outside guest memory
 * (returned unused); the others taken, in order. Odd laps have both in the
 * top-up (chains 32-47, read at the 17th). */
static int
read_ahead_tx(uint64_t features)
{
	static const uint32_t hdr_apart[] = { 12, 0 };
	struct rte_mbuf *rx[RA_LAP] = { 0 };
	int heads[RA_LAP], round, i, got;
	struct t t;

	if (ra_start(&t, features) < 0)
		goto fail;
	for (round = 0; round < 6; round++) {
		int bad = round % 2 ? 34 + round % 4 : 3 + round % 5;
		int chain = round % 2 ? 42 : 9;

		for (i = 0; i < RA_LAP; i++)
			CHECK((heads[i] = tx_post(&t, 60 + i, 10 * round + i,
						  i == chain ? hdr_apart : NULL, false)) >= 0);
		chain_break(&t, FE_TX_VQ, heads[bad]);
		got = vhu_dequeue_burst(t.vid, 1, mp, rx, RTE_DIM(rx));
		if (got != RA_LAP - 1)
			FAIL("round %d: %d packets taken, %d expected", round, got, RA_LAP - 1);
		for (i = 0; i < RA_LAP; i++) {
			int k = i - (i > bad);

			if (i != bad && tx_check(rx[k], 60 + i, 10 * round + i, 0) < 0)
				FAIL("round %d: packet %d", round, i);
			if (used_pop_check(&t, FE_TX_VQ, heads[i], 0) < 0)
				FAIL("round %d: used entry %d", round, i);
		}
		free_pkts(rx, got);
		memset(rx, 0, sizeof(rx));
	}
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, RTE_DIM(rx));
	t_end(&t);
	return -1;
}

/*
 * Rx, mergeable, three kinds of lap (round % 3). 0: a buffer too small for
 * its packet early (the read ahead is dropped, the packet takes two
 * buffers) and one outside guest memory after it. 1: the one outside guest
 * memory is read by the first top-up (packets 12-23 in flight, 24-35 read).
 * 2: packets 10-19 are big (the depth drops to 8, then comes back), and
 * the one outside is read by a later top-up. The bad buffer is returned
 * unused and ends the burst; the buffers after it take the next packets.
 */
static int
read_ahead_rx(uint64_t features)
{
	struct rte_mbuf *p[RA_LAP] = { 0 };
	int ids[RA_LAP], round, i, bad, small, before, after;
	struct t t;

	if (ra_start(&t, features) < 0)
		goto fail;
	for (round = 0; round < 6; round++) {
		int kind = round % 3;

		bad = kind == 0 ? 8 + round % 3 : kind == 1 ? 28 + round % 5 : 40 + round % 3;
		small = kind == 0 ? 2 + round % 4 : -1;
		for (i = 0; i < RA_LAP; i++) {
			struct fe_buf b = { .len = i == small ? 100 : 2048 };
			bool big = kind == 2 && i >= 10 && i < 20;

			b.gpa = fe_alloc(&t.s, b.len, 64);
			CHECK(b.gpa != 0);
			CHECK((ids[i] = fe_post(&t.s, FE_RX_VQ, &b, 1, true, false)) >= 0);
			if (i == bad)
				chain_break(&t, FE_RX_VQ, ids[i]);
			p[i] = mk_pkt1(i == small || big ? 1000 : 60 + 4 * i, 100 * round + i);
			CHECK(p[i] != NULL);
		}
		before = bad - (small >= 0);
		after = RA_LAP - 1 - bad;
		if (vhu_enqueue_burst(t.vid, 0, p, RA_LAP) != before)
			FAIL("round %d: packets sent, %d expected", round, before);
		for (i = 0; i < before; i++)
			if (rx_check(&t, p[i], i == small ? 2 : 1) < 0)
				FAIL("round %d: packet %d", round, i);
		if (used_pop_check(&t, FE_RX_VQ, ids[bad], 0) < 0)
			FAIL("round %d: the bad buffer", round);
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p[before], RA_LAP - before), after);
		for (i = before; i < before + after; i++)
			if (rx_check(&t, p[i], 1) < 0)
				FAIL("round %d: packet %d after the bad buffer", round, i);
		CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
		free_pkts(p, RA_LAP);
		memset(p, 0, sizeof(p));
	}
	t_end(&t);
	return 0;
fail:
	free_pkts(p, RA_LAP);
	t_end(&t);
	return -1;
}

#define SZ_MAX		130
#define SZ_BURST	10

/*
 * Every packet length from 1 to SZ_MAX bytes both ways, in bursts of
 * SZ_BURST one-piece chains (the read-ahead's copies, pkt_copy() in
 * virtq.h): the bytes of each packet, and on Rx the guest's bytes right
 * after it untouched.
 */
static int
read_ahead_sizes(uint64_t features)
{
	struct rte_mbuf *p[SZ_BURST] = { 0 };
	uint8_t after[16];
	int ids[SZ_BURST], n = 0, i, k;
	uint32_t len;
	struct t t;

	if (ra_start(&t, features) < 0)
		goto fail;
	for (len = 1; len <= SZ_MAX; len += SZ_BURST) {
		for (i = 0; i < SZ_BURST; i++) {
			CHECK((ids[i] = fe_post_rx(&t.s, 2048)) >= 0);
			CHECK((p[i] = mk_pkt1(len + i, len + i)) != NULL);
		}
		CHECK_EQ(vhu_enqueue_burst(t.vid, 0, p, SZ_BURST), SZ_BURST);
		for (i = 0; i < SZ_BURST; i++) {
			uint32_t end = t.hdr_len + len + i;
			uint8_t buf[12 + SZ_MAX + SZ_BURST + sizeof(after)];

			if (rx_check(&t, p[i], 1) < 0)
				FAIL("Rx of %u bytes", len + i);
			CHECK_EQ(fe_chain_read(&t.s, FE_RX_VQ, ids[i], buf, end + sizeof(after)),
				 end + sizeof(after));
			memset(after, 0xee, sizeof(after));
			if (memcmp(buf + end, after, sizeof(after)) != 0)
				FAIL("Rx of %u bytes: written past it", len + i);
		}
		free_pkts(p, SZ_BURST);
		for (i = 0; i < SZ_BURST; i++)
			CHECK(tx_post(&t, len + i, len + i, NULL, false) >= 0);
		n = vhu_dequeue_burst(t.vid, 1, mp, p, SZ_BURST);
		CHECK_EQ(n, SZ_BURST);
		for (k = 0; k < n; k++)
			if (tx_check(p[k], len + k, len + k, 1) < 0)
				FAIL("Tx of %u bytes", len + k);
		free_pkts(p, n);
		n = 0;
		CHECK_EQ(used_pending(&t, FE_TX_VQ), SZ_BURST);
		for (i = 0; i < SZ_BURST; i++) {
			uint32_t id, ulen;

			CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &id, &ulen), 1);
		}
	}
	t_end(&t);
	return 0;
fail:
	free_pkts(p, n ? n : SZ_BURST);
	t_end(&t);
	return -1;
}

static int test_read_ahead_sizes_split(void) { return read_ahead_sizes(F_BASE); }
static int test_read_ahead_sizes_packed(void) { return read_ahead_sizes(F_BASE | F_PACKED); }

static int test_read_ahead_tx_split(void) { return read_ahead_tx(F_BASE); }
static int test_read_ahead_tx_packed(void) { return read_ahead_tx(F_BASE | F_PACKED); }
static int test_read_ahead_rx_split(void) { return read_ahead_rx(F_MRG); }
static int test_read_ahead_rx_packed(void) { return read_ahead_rx(F_MRG | F_PACKED); }

static const struct unit_case read_ahead_cases[] = {
	{ "read_ahead_tx_split", test_read_ahead_tx_split },
	{ "read_ahead_tx_packed", test_read_ahead_tx_packed },
	{ "read_ahead_rx_split", test_read_ahead_rx_split },
	{ "read_ahead_rx_packed", test_read_ahead_rx_packed },
	{ "read_ahead_sizes_split", test_read_ahead_sizes_split },
	{ "read_ahead_sizes_packed", test_read_ahead_sizes_packed },
};
UNIT_CASES(read_ahead_cases);
