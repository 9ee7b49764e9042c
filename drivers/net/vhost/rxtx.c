/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Data path: port Rx queue i reads the guest's transmit vring 2*i+1, port
 * Tx queue i fills the guest's receive vring 2*i. Safe to call at any time:
 * a queue the control path has not opened (no guest, port stopped, guest
 * reconfiguring or gone) just returns 0.
 */
#include <rte_ip.h>
#include <rte_mbuf_ptype.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "eth_vhost.h"

/* Bound each library call so that a large application burst does not
 * depend on how many packets the library handles in one go. */
#define ETH_VHOST_MAX_BURST 32

uint16_t
eth_vhost_rx_burst(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct eth_vhost_queue *q = rxq;
	uint16_t nb_rx = 0;
	uint64_t bytes = 0;
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
	eth_vhost_queue_leave(q);

	for (i = 0; i < nb_rx; i++) {
		pkts[i]->port = q->port;
		bytes += pkts[i]->pkt_len;
		if (unlikely(q->rx_sw_csum) &&
		    (pkts[i]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
		    RTE_MBUF_F_RX_L4_CKSUM_NONE)
			eth_vhost_rx_sw_csum(pkts[i]);
	}
	eth_vhost_counter_add(&q->pkts, nb_rx);
	eth_vhost_counter_add(&q->bytes, bytes);
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

uint16_t
eth_vhost_tx_burst(void *txq, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct eth_vhost_queue *q = txq;
	uint16_t nb_tx = 0;
	uint64_t bytes = 0;
	uint16_t i;

	if (likely(eth_vhost_queue_enter(q))) {
		while (nb_tx < nb_pkts) {
			uint16_t want = RTE_MIN(nb_pkts - nb_tx,
					ETH_VHOST_MAX_BURST);
			uint16_t sent;

			sent = vhu_enqueue_burst(q->vid, q->vring,
					&pkts[nb_tx], want);
			nb_tx += sent;
			if (sent < want)
				break;
		}
		eth_vhost_queue_leave(q);
	}

	/* The library copied these: they are ours to free. The rest stay
	 * with the caller, as ethdev requires, and count as missed. */
	for (i = 0; i < nb_tx; i++)
		bytes += pkts[i]->pkt_len;
	rte_pktmbuf_free_bulk(pkts, nb_tx);

	eth_vhost_counter_add(&q->pkts, nb_tx);
	eth_vhost_counter_add(&q->bytes, bytes);
	eth_vhost_counter_add(&q->missed, nb_pkts - nb_tx);
	return nb_tx;
}
