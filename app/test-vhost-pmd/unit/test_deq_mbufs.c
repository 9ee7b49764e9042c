/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Unit cases of the mbufs a dequeue fills. The walkers take them raw from
 * the pool and set their fields as they fill them (tx_mbuf_init() in
 * virtq.h), so what a free mbuf still holds from its last user must not
 * show: every packet comes out as from rte_pktmbuf_alloc(), whatever the
 * pool (pinned external buffers included) and whatever happened to the
 * mbuf earlier in the burst (a dropped packet's, with a chain or an
 * external buffer).
 */
#include <inttypes.h>

#include <rte_malloc.h>

#include "unit.h"

#define POOL_N		16
#define DEQ_N		4

/* A Tx packet with a header that asks for a checksum the device did not
 * negotiate (VIRTIO_NET_F_CSUM): dropped, counted as tx_bad_hdr. */
static int
post_bad_hdr(struct t *t, uint32_t len, unsigned int seed)
{
	uint8_t *d = calloc(1, t->hdr_len + len);
	int head;

	if (d == NULL)
		return -1;
	d[0] = VHU_NET_HDR_F_NEEDS_CSUM;
	pat_fill(d + t->hdr_len, len, seed);
	head = fe_post_tx(&t->s, d, t->hdr_len + len, 0, NULL, false);
	free(d);
	return head;
}

/* Every mbuf of p dirtied in each field rte_pktmbuf_reset() sets but
 * next/nb_segs (which rte_pktmbuf_free() restores), then freed. */
static int
pool_dirty(struct rte_mempool *p)
{
	struct rte_mbuf *m[POOL_N];
	unsigned int i;

	CHECK_EQ(rte_mempool_avail_count(p), POOL_N);
	CHECK_EQ(rte_pktmbuf_alloc_bulk(p, m, POOL_N), 0);
	for (i = 0; i < POOL_N; i++) {
		m[i]->data_off = 5;
		m[i]->data_len = 77;
		m[i]->pkt_len = 77;
		m[i]->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_L4_CKSUM_BAD |
				  RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		m[i]->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP;
		m[i]->vlan_tci = 0x123;
		m[i]->vlan_tci_outer = 0x456;
		m[i]->tx_offload = UINT64_MAX;
		m[i]->port = 3;
	}
	free_pkts(m, POOL_N);
	return 0;
fail:
	return -1;
}

/* The mbuf API's invariants of a free mbuf hold for all of p's. */
static int
pool_check_free(struct rte_mempool *p)
{
	struct rte_mbuf *m[POOL_N];
	unsigned int i;

	CHECK_EQ(rte_mempool_get_bulk(p, (void **)m, POOL_N), 0);
	for (i = 0; i < POOL_N; i++) {
		if (m[i]->next != NULL || m[i]->nb_segs != 1 || rte_mbuf_refcnt_read(m[i]) != 1)
			FAIL("free mbuf %u: next %p nb_segs %u refcnt %u", i, (void *)m[i]->next,
			     m[i]->nb_segs, rte_mbuf_refcnt_read(m[i]));
	}
	rte_mempool_put_bulk(p, (void **)m, POOL_N);
	return 0;
fail:
	rte_mempool_put_bulk(p, (void **)m, POOL_N);
	return -1;
}

/* Each segment of m as rte_pktmbuf_alloc() gives it, but for the lengths,
 * with flags ol (RTE_MBUF_F_EXTERNAL for a pinned pool). */
static int
mbuf_fresh(const struct rte_mbuf *m, uint64_t ol)
{
	const struct rte_mbuf *s;

	CHECK_EQ(m->port, RTE_MBUF_PORT_INVALID);
	CHECK_EQ(m->ol_flags, ol);
	CHECK_EQ(m->packet_type, 0);
	CHECK_EQ(m->vlan_tci, 0);
	CHECK_EQ(m->vlan_tci_outer, 0);
	CHECK_EQ(m->tx_offload, 0);
	for (s = m; s != NULL; s = s->next) {
		CHECK_EQ(s->data_off, RTE_PKTMBUF_HEADROOM);
		CHECK_EQ(rte_mbuf_refcnt_read(s), 1);
		CHECK_EQ(s->ol_flags, ol);
		CHECK(s->pool == m->pool);
	}
	return 0;
fail:
	return -1;
}

/*
 * Dequeue from pool p (POOL_N mbufs), each dirtied by a previous user, a
 * burst of: 100 bytes, a bad header (dropped: its mbuf serves the next
 * packet), 3000 bytes (two segments), 60 bytes. Each comes out fresh.
 * Then a burst of one dropped two-segment packet: its mbuf goes back to
 * the pool as a free mbuf must be.
 */
static int
deq_from(struct t *t, struct rte_mempool *p, uint64_t ol)
{
	struct rte_mbuf *rx[DEQ_N] = { 0 };
	int n = 0;

	if (pool_dirty(p) < 0)
		goto fail;
	CHECK(tx_post(t, 100, 1, NULL, false) >= 0);
	CHECK(post_bad_hdr(t, 2500, 2) >= 0);
	CHECK(tx_post(t, 3000, 3, NULL, false) >= 0);
	CHECK(tx_post(t, 60, 4, NULL, false) >= 0);
	/* Past n, rx holds what the burst took and freed again. */
	n = vhu_dequeue_burst(t->vid, 1, p, rx, DEQ_N);
	CHECK_EQ(n, 3);
	if (tx_check(rx[0], 100, 1, 1) < 0 || tx_check(rx[1], 3000, 3, 2) < 0 ||
	    tx_check(rx[2], 60, 4, 1) < 0)
		goto fail;
	if (mbuf_fresh(rx[0], ol) < 0 || mbuf_fresh(rx[1], ol) < 0 || mbuf_fresh(rx[2], ol) < 0)
		goto fail;
	CHECK_EQ(vhu_vring_drops(t->vid, 1), 1);
	free_pkts(rx, n);
	CHECK(post_bad_hdr(t, 2500, 5) >= 0);
	n = vhu_dequeue_burst(t->vid, 1, p, rx, DEQ_N);
	CHECK_EQ(n, 0);
	CHECK_EQ(vhu_vring_drops(t->vid, 1), 2);
	CHECK_EQ(rte_mempool_avail_count(p), POOL_N);
	if (pool_check_free(p) < 0)
		goto fail;
	return 0;
fail:
	free_pkts(rx, n);
	return -1;
}

static int
deq_stale(uint64_t features)
{
	struct rte_mempool *p;
	char name[32];
	struct t t;
	int ret = -1;

	snprintf(name, sizeof(name), "stale%" PRIx64, features);
	p = rte_pktmbuf_pool_create(name, POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				    SOCKET_ID_ANY);
	CHECK(p != NULL);
	if (t_start(&t, features, 1) < 0)
		goto fail;
	ret = deq_from(&t, p, 0);
	t_end(&t);
fail:
	rte_mempool_free(p);
	return ret;
}

static int test_deq_stale(void) { return deq_stale(F_BASE); }
static int test_deq_stale_packed(void) { return deq_stale(F_BASE | F_PACKED); }

/* A pool of pinned external buffers: they stay, flag and all. */
static int
deq_pinned(uint64_t features)
{
	struct rte_pktmbuf_extmem ext = { .elt_size = RTE_MBUF_DEFAULT_BUF_SIZE };
	struct rte_mempool *p = NULL;
	char name[32];
	struct t t;
	int ret = -1;

	ext.buf_len = (size_t)POOL_N * ext.elt_size;
	ext.buf_ptr = rte_malloc(NULL, ext.buf_len, RTE_CACHE_LINE_SIZE);
	CHECK(ext.buf_ptr != NULL);
	ext.buf_iova = rte_malloc_virt2iova(ext.buf_ptr);
	snprintf(name, sizeof(name), "pinned%" PRIx64, features);
	p = rte_pktmbuf_pool_create_extbuf(name, POOL_N, 0, 0, ext.elt_size, SOCKET_ID_ANY,
					   &ext, 1);
	CHECK(p != NULL);
	if (t_start(&t, features, 1) < 0)
		goto fail;
	ret = deq_from(&t, p, RTE_MBUF_F_EXTERNAL);
	t_end(&t);
fail:
	rte_mempool_free(p);
	rte_free(ext.buf_ptr);
	return ret;
}

static int test_deq_pinned(void) { return deq_pinned(F_BASE); }
static int test_deq_pinned_packed(void) { return deq_pinned(F_BASE | F_PACKED); }

/*
 * External buffers (VHU_REG_EXTBUF): a big packet dropped for its header
 * after its mbuf got one. The mbuf takes the next packet in its own
 * buffer, the external one freed (else ASan sees it leak).
 */
static int
deq_extbuf_dropped(uint64_t features)
{
	struct rte_mbuf *rx[2] = { 0 };
	struct t t;
	int n = 0;

	if (t_register(&t, VHU_REG_EXTBUF) < 0 || t_connect(&t, features, 1) < 0)
		goto fail;
	CHECK(post_bad_hdr(&t, 9000, 1) >= 0);
	CHECK(tx_post(&t, 200, 2, NULL, false) >= 0);
	n = vhu_dequeue_burst(t.vid, 1, mp, rx, 2);
	CHECK_EQ(n, 1);
	if (tx_check(rx[0], 200, 2, 1) < 0 || mbuf_fresh(rx[0], 0) < 0)
		goto fail;
	CHECK(rx[0]->buf_addr == (char *)rx[0] + sizeof(*rx[0]) + rte_pktmbuf_priv_size(mp));
	CHECK_EQ(rx[0]->buf_len, rte_pktmbuf_data_room_size(mp));
	CHECK_EQ(vhu_vring_drops(t.vid, 1), 1);
	free_pkts(rx, n);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, n);
	t_end(&t);
	return -1;
}

static int test_deq_extbuf_dropped(void) { return deq_extbuf_dropped(F_BASE); }
static int test_deq_extbuf_dropped_packed(void) { return deq_extbuf_dropped(F_BASE | F_PACKED); }

static const struct unit_case deq_mbuf_cases[] = {
	{ "deq_stale", test_deq_stale },
	{ "deq_stale_packed", test_deq_stale_packed },
	{ "deq_pinned", test_deq_pinned },
	{ "deq_pinned_packed", test_deq_pinned_packed },
	{ "deq_extbuf_dropped", test_deq_extbuf_dropped },
	{ "deq_extbuf_dropped_packed", test_deq_extbuf_dropped_packed },
};
UNIT_CASES(deq_mbuf_cases);
