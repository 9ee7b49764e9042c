/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Data path: port Rx queue i reads the guest's transmit vring 2*i+1, port
 * Tx queue i fills the guest's receive vring 2*i. Safe to call at any time:
 * a queue the control path has not opened (no guest, port stopped, guest
 * reconfiguring or gone) just returns 0.
 *
 * Counters are summed per burst in locals and stored once per burst (see
 * struct eth_vhost_qstats): no atomic read-modify-write, no shared line.
 */
#include <rte_ip.h>
#include <rte_mbuf_ptype.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_ether.h>

#include "eth_vhost.h"

/* Bound each library call so that a large application burst does not
 * depend on how many packets the library handles in one go. */
#define ETH_VHOST_MAX_BURST 32

static __rte_always_inline unsigned int
size_bucket(uint32_t len)
{
	if (len < 64)
		return SIZE_UNDERSIZE;
	if (len == 64)
		return SIZE_64;
	if (len < 1024)		/* 65..127 -> 2, ..., 512..1023 -> 5 */
		return 32 - __builtin_clz(len) - 5;
	return len <= 1518 ? SIZE_1024_1518 : SIZE_1519_MAX;
}

/* The counters every burst moves, summed in registers and stored once. */
struct burst_sum {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t missed;
	uint64_t errors;
	uint64_t notifications;
};

/* Account one good packet: bytes in b, its size bucket and destination
 * class straight in the queue's counters (one of each per packet: summing
 * them locally would cost a zeroed array per burst). */
static __rte_always_inline void
burst_count(struct eth_vhost_qstats *st, struct burst_sum *b, const struct rte_mbuf *m)
{
	const struct rte_ether_addr *dst;

	b->bytes += m->pkt_len;
	eth_vhost_counter_add(&st->size[size_bucket(m->pkt_len)], 1);
	if (unlikely(m->data_len < RTE_ETHER_ADDR_LEN))
		return;
	dst = rte_pktmbuf_mtod(m, const struct rte_ether_addr *);
	if (unlikely(rte_is_multicast_ether_addr(dst))) {
		if (rte_is_broadcast_ether_addr(dst))
			eth_vhost_counter_add(&st->broadcast, 1);
		else
			eth_vhost_counter_add(&st->multicast, 1);
	}
}

static __rte_always_inline void
burst_commit(struct eth_vhost_qstats *st, const struct burst_sum *b)
{
	if (b->pkts) {
		eth_vhost_counter_add(&st->pkts, b->pkts);
		eth_vhost_counter_add(&st->bytes, b->bytes);
	}
	if (unlikely(b->missed))
		eth_vhost_counter_add(&st->missed, b->missed);
	if (unlikely(b->errors))
		eth_vhost_counter_add(&st->errors, b->errors);
	if (b->notifications)
		eth_vhost_counter_add(&st->notifications, b->notifications);
}

/* What the library counted on this queue's vring since the last look:
 * drops (linear-buffer and bad guest Tx headers on an Rx queue, offloads
 * the guest cannot take on a Tx queue; errors of the queue either way) and
 * guest notifications. */
static __rte_always_inline void
lib_counters(struct eth_vhost_queue *q, struct burst_sum *b)
{
	uint64_t drops = __atomic_load_n(&q->lib_ctr->drops, __ATOMIC_RELAXED);
	uint64_t calls = __atomic_load_n(&q->lib_ctr->calls, __ATOMIC_RELAXED);

	b->errors += drops - q->lib_drops_seen;
	b->notifications += calls - q->lib_calls_seen;
	q->lib_drops_seen = drops;
	q->lib_calls_seen = calls;
}

uint16_t
eth_vhost_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct eth_vhost_queue *q = rxq;
	struct burst_sum b = { 0 };
	uint16_t nb_rx = 0;
	uint16_t i;

	if (unlikely(!eth_vhost_queue_enter(q)))
		return 0;
	/* A RARP announcement goes first, ahead of the guest's packets. */
	if (unlikely(vhu_rarp_pending(q->vid)))
		nb_rx = eth_vhost_rarp_inject(q, pkts, nb_pkts);

	while (nb_rx < nb_pkts) {
		uint16_t want = RTE_MIN(nb_pkts - nb_rx, ETH_VHOST_MAX_BURST);
		uint16_t got;

		got = vhu_dequeue_burst(q->vid, q->vring, q->mb_pool,
				&pkts[nb_rx], want);
		nb_rx += got;
		if (got < want)
			break;
	}
	lib_counters(q, &b);
	eth_vhost_queue_leave(q);

	for (i = 0; i < nb_rx; i++) {
		struct rte_mbuf *m = pkts[i];

		m->port = q->port;
		/* Before the VLAN strip: l2_len covers the tag. */
		if (unlikely(q->rx_sw_csum) &&
		    (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
		    RTE_MBUF_F_RX_L4_CKSUM_NONE)
			eth_vhost_rx_sw_csum(m);
		/* No tag: a no-op. Too short for one: not looked at. */
		if (q->vlan_strip && m->data_len >= RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr))
			rte_vlan_strip(m);
		burst_count(&q->st, &b, m);
	}
	b.pkts = nb_rx;
	burst_commit(&q->st, &b);
	return nb_rx;
}

/*
 * The library marks a packet whose checksum the guest left for us with
 * RTE_MBUF_F_RX_L4_CKSUM_NONE, l2_len/l3_len and packet_type (TCP or UDP,
 * all inside the packet: checked there). Fill it in, then the checksum is
 * good.
 */
void
eth_vhost_rx_sw_csum(struct rte_mbuf *m)
{
	uint32_t start = (uint32_t)m->l2_len + m->l3_len;
	bool udp = (m->packet_type & RTE_PTYPE_L4_MASK) == RTE_PTYPE_L4_UDP;
	uint32_t off = start + (udp ? offsetof(struct rte_udp_hdr, dgram_cksum) :
				offsetof(struct rte_tcp_hdr, cksum));
	struct rte_mbuf *seg = m;
	uint16_t raw, csum;
	uint8_t *p;
	int i;

	if (rte_raw_cksum_mbuf(m, start, m->pkt_len - start, &raw) < 0 ||
	    off + 2 > m->pkt_len)
		return;
	csum = (uint16_t)~raw;
	if (udp && csum == 0)
		csum = 0xffff;
	for (i = 0; i < 2; i++, off++) {
		while (off >= seg->data_len) {
			off -= seg->data_len;
			seg = seg->next;
		}
		p = rte_pktmbuf_mtod_offset(seg, uint8_t *, off);
		*p = ((const uint8_t *)&csum)[i];
	}
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) |
		RTE_MBUF_F_RX_L4_CKSUM_GOOD;
}

/*
 * Insert the VLAN tag of every packet that asks for it (RTE_MBUF_F_TX_VLAN)
 * among pkts[0..n). Returns how many from the start are ready to go; the
 * one after them, if any, cannot take a tag (shared or no headroom).
 */
static __rte_always_inline uint16_t
tx_vlan_insert(struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		if (unlikely(pkts[i]->ol_flags & RTE_MBUF_F_TX_VLAN) &&
		    rte_vlan_insert(&pkts[i]) < 0)
			break;
	return i;
}

/*
 * Packets pkts[0..n) to the guest as they are. Returns how many were taken
 * (sent, or dropped for a tag that cannot go in, and freed); the guest's
 * ring is full if fewer.
 */
static __rte_always_inline uint16_t
tx_run(struct eth_vhost_queue *q, struct rte_mbuf **pkts, uint16_t n, struct burst_sum *b)
{
	uint16_t nb_tx = 0, i;

	while (nb_tx < n) {
		uint16_t want = RTE_MIN(n - nb_tx, ETH_VHOST_MAX_BURST);
		uint16_t ready = tx_vlan_insert(&pkts[nb_tx], want);
		uint16_t sent;

		if (unlikely(ready == 0)) {
			/* Taken and dropped: the tag cannot go in. */
			rte_pktmbuf_free(pkts[nb_tx++]);
			b->errors++;
			continue;
		}
		sent = vhu_enqueue_burst(q->vid, q->vring, &pkts[nb_tx], ready);
		for (i = 0; i < sent; i++)
			burst_count(&q->st, b, pkts[nb_tx + i]);
		rte_pktmbuf_free_bulk(&pkts[nb_tx], sent);
		nb_tx += sent;
		b->pkts += sent;
		if (sent < ready)
			break;
	}
	return nb_tx;
}

/*
 * A TSO packet the guest cannot take whole goes as its segments (tso.c),
 * counted as packets. Returns false if it stays with the caller: the guest
 * had no room for the first segment (or no mbuf was left for it). Once one
 * went, the packet is taken: segments the ring has no room for then are
 * dropped and counted as errors.
 */
static bool
tx_sw_tso(struct eth_vhost_queue *q, struct rte_mbuf *m, struct burst_sum *b)
{
	struct rte_mbuf *segs[ETH_VHOST_MAX_BURST];
	int total = eth_vhost_tso_count(m);
	uint32_t k = 0;

	if (total < 0) {
		rte_pktmbuf_free(m);
		b->errors++;
		return true;
	}
	while (k < (uint32_t)total) {
		uint16_t want = RTE_MIN((uint32_t)total - k, (uint32_t)ETH_VHOST_MAX_BURST);
		uint16_t made = eth_vhost_tso_segments(m, k, want, total, segs);
		uint16_t sent = tx_run(q, segs, made, b);

		rte_pktmbuf_free_bulk(&segs[sent], made - sent);
		if (k == 0 && sent == 0)
			return false;
		k += sent;
		if (sent < want) {
			b->errors += total - k;
			break;
		}
	}
	rte_pktmbuf_free(m);
	return true;
}

/* tx_run() for a queue whose guest lacks GUEST_TSO4 or GUEST_TSO6. */
static uint16_t
tx_run_sw_tso(struct eth_vhost_queue *q, struct rte_mbuf **pkts, uint16_t n,
	      struct burst_sum *b)
{
	uint16_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && !eth_vhost_sw_tso_wanted(q->sw_tso, pkts[j]); j++)
			;
		if (j > i) {
			i += tx_run(q, &pkts[i], j - i, b);
			if (i < j)
				break;
		}
		if (i == n || !tx_sw_tso(q, pkts[i], b))
			break;
		i++;
	}
	return i;
}

uint16_t
eth_vhost_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct eth_vhost_queue *q = txq;
	struct burst_sum b = { 0 };
	uint16_t nb_tx = 0;

	if (likely(eth_vhost_queue_enter(q))) {
		if (likely(q->sw_tso == 0))
			nb_tx = tx_run(q, pkts, nb_pkts, &b);
		else
			nb_tx = tx_run_sw_tso(q, pkts, nb_pkts, &b);
		lib_counters(q, &b);
		eth_vhost_queue_leave(q);
	}

	/* The rest stay with the caller, as ethdev requires, and count as
	 * missed. */
	b.missed = nb_pkts - nb_tx;
	burst_commit(&q->st, &b);
	return nb_tx;
}
