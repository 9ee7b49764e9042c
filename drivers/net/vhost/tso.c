/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Software TCP segmentation, for a guest that did not negotiate
 * GUEST_TSO4/GUEST_TSO6 while the application sends TSO packets
 * (RTE_MBUF_F_TX_TCP_SEG) through a port with the TCP_TSO Tx offload: each
 * becomes the packets a NIC's TSO would put on the wire. Slow path only
 * (rxtx.c calls it for such packets alone).
 *
 * A segment is a new mbuf from the packet's own pool: a copy of its
 * Ethernet, IP and TCP headers, then its share of the payload (in the
 * same mbuf when it fits, chained otherwise). IPv4 total length, ID (one
 * more per segment) and header checksum, IPv6 payload length, TCP
 * sequence number and flags (FIN and PSH on the last segment only, CWR on
 * the first only) are rewritten. The TCP checksum is left to the library
 * as RTE_MBUF_F_TX_TCP_CKSUM: NEEDS_CSUM for a guest with GUEST_CSUM,
 * computed in software otherwise.
 */
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "eth_vhost.h"

#define TCP_FLAGS_NOT_LAST (RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG)

static uint32_t
tso_hdrs(const struct rte_mbuf *m)
{
	return (uint32_t)m->l2_len + m->l3_len + m->l4_len;
}

int
eth_vhost_tso_count(const struct rte_mbuf *m)
{
	uint32_t hdrs = tso_hdrs(m), payload;

	/* No tunnels; IPv6 without extension headers (their length would
	 * be in payload_len and the pseudo-header's protocol elsewhere). */
	if ((m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) || m->tso_segsz == 0 ||
	    !(m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)) ||
	    m->l4_len < sizeof(struct rte_tcp_hdr) || m->l4_len > 60 ||
	    hdrs >= rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	if (m->ol_flags & RTE_MBUF_F_TX_IPV6 ? m->l3_len != sizeof(struct rte_ipv6_hdr) :
	    m->l3_len < sizeof(struct rte_ipv4_hdr))
		return -EINVAL;
	/* A pool whose buffers cannot hold the headers never will: drop,
	 * rather than leave the packet with a caller that would retry. */
	if (m->pool == NULL ||
	    rte_pktmbuf_data_room_size(m->pool) < RTE_PKTMBUF_HEADROOM + hdrs)
		return -EINVAL;
	payload = rte_pktmbuf_pkt_len(m) - hdrs;
	return (payload + m->tso_segsz - 1) / m->tso_segsz;
}

/* Bytes [off, off + len) of m into dst. */
static int
copy_out(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *dst)
{
	const void *src = rte_pktmbuf_read(m, off, len, dst);

	if (src == NULL)
		return -1;
	if (src != dst)
		rte_memcpy(dst, src, len);
	return 0;
}

/* The headers at h of segment k (payload from off, len bytes). */
static void
tso_fix_headers(const struct rte_mbuf *m, uint8_t *h, uint32_t k, uint32_t off,
		uint32_t len, bool last)
{
	uint8_t *l3 = h + m->l2_len;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(l3 + m->l3_len);

	th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + off);
	if (!last)
		th->tcp_flags &= ~TCP_FLAGS_NOT_LAST;
	if (k != 0)
		th->tcp_flags &= ~RTE_TCP_CWR_FLAG;
	if (m->ol_flags & RTE_MBUF_F_TX_IPV6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		ip->payload_len = rte_cpu_to_be_16((uint16_t)(m->l4_len + len));
		th->cksum = rte_ipv6_phdr_cksum(ip, 0);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->total_length = rte_cpu_to_be_16((uint16_t)(m->l3_len + m->l4_len + len));
		ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + k));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		/* With the length: a plain TX_TCP_CKSUM request. */
		th->cksum = rte_ipv4_phdr_cksum(ip, 0);
	}
}

/* Segment k of m (of total), or NULL without an mbuf for it. */
static struct rte_mbuf *
tso_segment(const struct rte_mbuf *m, uint32_t k, uint32_t total)
{
	uint32_t hdrs = tso_hdrs(m), mss = m->tso_segsz;
	uint32_t off = k * mss, len = RTE_MIN(mss, rte_pktmbuf_pkt_len(m) - hdrs - off);
	struct rte_mbuf *s = rte_pktmbuf_alloc(m->pool), *rest;
	uint32_t here;
	uint8_t *h;

	if (s == NULL)
		return NULL;
	if (rte_pktmbuf_tailroom(s) < hdrs)
		goto fail;
	h = (uint8_t *)rte_pktmbuf_append(s, (uint16_t)hdrs);
	if (copy_out(m, 0, hdrs, h) < 0)
		goto fail;
	here = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(s));
	if (here != 0 &&
	    copy_out(m, hdrs + off, here, rte_pktmbuf_append(s, (uint16_t)here)) < 0)
		goto fail;
	if (here < len) {
		rest = rte_pktmbuf_copy(m, m->pool, hdrs + off + here, len - here);
		if (rest == NULL)
			goto fail;
		if (rte_pktmbuf_chain(s, rest) < 0) {
			rte_pktmbuf_free(rest);
			goto fail;
		}
	}
	tso_fix_headers(m, h, k, off, len, k + 1 == total);
	s->l2_len = m->l2_len;
	s->l3_len = m->l3_len;
	s->l4_len = m->l4_len;
	s->vlan_tci = m->vlan_tci;
	s->vlan_tci_outer = m->vlan_tci_outer;
	s->ol_flags = (m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 |
				     RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_TX_QINQ)) |
		RTE_MBUF_F_TX_TCP_CKSUM;
	return s;
fail:
	rte_pktmbuf_free(s);
	return NULL;
}

uint16_t
eth_vhost_tso_segments(const struct rte_mbuf *m, uint32_t first, uint16_t n,
		       uint32_t total, struct rte_mbuf **out)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		out[i] = tso_segment(m, first + i, total);
		if (out[i] == NULL)
			break;
	}
	return i;
}
