/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Build and check the test packets of vhost-peer.
 */
#include <stdio.h>
#include <string.h>

#include "pkt.h"

#define PKT_DEFAULT_SRC { .addr_bytes = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } }
#define PKT_DEFAULT_DST { .addr_bytes = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 } }

struct pkt_addrs pkt_tx_addrs = { PKT_DEFAULT_SRC, PKT_DEFAULT_DST };
struct pkt_addrs pkt_rx_addrs = { PKT_DEFAULT_SRC, PKT_DEFAULT_DST };

/* Payload byte at offset off (from the end of the headers) of packet seq. */
static inline uint8_t
payload_byte(uint32_t seq, uint32_t off)
{
	uint32_t x = seq * 2654435761u + off;

	return (uint8_t)(x ^ (x >> 8) ^ (x >> 16) ^ (x >> 24));
}

bool pkt_dst_mix;

static const struct rte_ether_addr pkt_dst_mcast = {
	.addr_bytes = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
static const struct rte_ether_addr pkt_dst_bcast = {
	.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

/* With pkt_dst_mix, seq % 4 == 1 goes to a multicast, == 2 to the
 * broadcast address; the others (and all without it) to a unicast one. */
static const struct rte_ether_addr *
pkt_dst_of(const struct pkt_addrs *a, uint32_t seq)
{
	if (pkt_dst_mix && seq % 4 == 1)
		return &pkt_dst_mcast;
	if (pkt_dst_mix && seq % 4 == 2)
		return &pkt_dst_bcast;
	return &a->dst;
}

/* The exact frame a sender of (magic, seq, len) puts on the wire. */
static void
frame_fill(uint8_t *buf, const struct pkt_addrs *a, uint32_t magic, uint32_t seq, uint32_t len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
	struct pkt_hdr *hdr = (struct pkt_hdr *)(eth + 1);
	uint8_t *payload = (uint8_t *)(hdr + 1);
	uint32_t off;

	rte_ether_addr_copy(pkt_dst_of(a, seq), &eth->dst_addr);
	rte_ether_addr_copy(&a->src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(PKT_ETHERTYPE);
	hdr->magic = rte_cpu_to_be_32(magic);
	hdr->seq = rte_cpu_to_be_32(seq);
	hdr->len = rte_cpu_to_be_32(len);
	for (off = 0; off < len - PKT_MIN_FRAME; off++)
		payload[off] = payload_byte(seq, off);
}

static void
chain_free(struct rte_mbuf *head)
{
	if (head != NULL)
		rte_pktmbuf_free(head);
}

struct rte_mbuf *
pkt_build(struct rte_mempool *mp, uint32_t magic, uint32_t seq,
		uint32_t len, unsigned int nsegs)
{
	uint8_t frame[PKT_MAX_FRAME];
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	uint32_t room, off = 0, seg_len;
	unsigned int i, need;

	if (len < PKT_MIN_FRAME || len > PKT_MAX_FRAME)
		return NULL;
	room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	need = (len + room - 1) / room;
	nsegs = RTE_MIN(RTE_MAX(nsegs, need), len);
	if (nsegs > PKT_MAX_SEGS)
		return NULL;

	frame_fill(frame, &pkt_tx_addrs, magic, seq, len);
	for (i = 0; i < nsegs; i++) {
		/* Split what is left evenly: no segment exceeds the room. */
		seg_len = (len - off + (nsegs - i) - 1) / (nsegs - i);
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL) {
			chain_free(head);
			return NULL;
		}
		memcpy(rte_pktmbuf_mtod(m, void *), frame + off, seg_len);
		m->data_len = seg_len;
		if (head == NULL)
			head = m;
		else
			tail->next = m;
		tail = m;
		off += seg_len;
	}
	head->nb_segs = nsegs;
	head->pkt_len = len;
	return head;
}

/* Copy the chain into buf; 0, or -1 with why if the chain is inconsistent. */
static int
chain_read(const struct rte_mbuf *m, uint8_t *buf, char *why, size_t why_len)
{
	const struct rte_mbuf *s;
	uint32_t sum = 0;
	unsigned int n = 0;

	if (m->pkt_len > PKT_MAX_FRAME) {
		snprintf(why, why_len, "pkt_len %u too long", m->pkt_len);
		return -1;
	}
	for (s = m; s != NULL; s = s->next) {
		if (++n > m->nb_segs || sum + s->data_len > m->pkt_len) {
			snprintf(why, why_len,
				"chain longer than nb_segs %u / pkt_len %u",
				m->nb_segs, m->pkt_len);
			return -1;
		}
		memcpy(buf + sum, rte_pktmbuf_mtod(s, const void *), s->data_len);
		sum += s->data_len;
	}
	if (n != m->nb_segs || sum != m->pkt_len) {
		snprintf(why, why_len,
			"%u segments of %u bytes, mbuf says %u of %u",
			n, sum, m->nb_segs, m->pkt_len);
		return -1;
	}
	return 0;
}

int
pkt_check(const struct rte_mbuf *m, struct pkt_info *info,
		char *why, size_t why_len)
{
	uint8_t got[PKT_MAX_FRAME], want[PKT_MAX_FRAME];
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)got;
	const struct pkt_hdr *hdr = (const struct pkt_hdr *)(eth + 1);
	uint32_t len = m->pkt_len, i;

	if (chain_read(m, got, why, why_len) < 0)
		return -1;
	if (len < PKT_MIN_FRAME) {
		snprintf(why, why_len, "runt of %u bytes", len);
		return -1;
	}
	if (eth->ether_type != rte_cpu_to_be_16(PKT_ETHERTYPE)) {
		snprintf(why, why_len, "ethertype 0x%04x",
			rte_be_to_cpu_16(eth->ether_type));
		return -1;
	}
	info->magic = rte_be_to_cpu_32(hdr->magic);
	info->seq = rte_be_to_cpu_32(hdr->seq);
	info->len = rte_be_to_cpu_32(hdr->len);
	if (info->magic != PKT_MAGIC_DATA && info->magic != PKT_MAGIC_FILL) {
		snprintf(why, why_len, "magic 0x%08x", info->magic);
		return -1;
	}
	if (info->len != len) {
		snprintf(why, why_len, "seq %u: header says %u bytes, got %u",
			info->seq, info->len, len);
		return -1;
	}
	frame_fill(want, &pkt_rx_addrs, info->magic, info->seq, len);
	for (i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			snprintf(why, why_len,
				"seq %u len %u: byte %u is 0x%02x, want 0x%02x",
				info->seq, len, i, got[i], want[i]);
			return -1;
		}
	}
	return 0;
}
