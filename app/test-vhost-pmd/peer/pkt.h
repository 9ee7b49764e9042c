/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Test packets of vhost-peer: an Ethernet header (ethertype 0x88b5), a
 * header {magic, seq, len}, then payload bytes that are a function of
 * (seq, offset), so a receiver can check every byte of every packet.
 */
#ifndef PEER_PKT_H
#define PEER_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define PKT_ETHERTYPE	0x88b5
#define PKT_MAGIC_DATA	0x56485550u	/* "VHUP": counted test traffic */
#define PKT_MAGIC_FILL	0x46494c4cu	/* "FILL": filler, verified, not counted */
#define PKT_MAX_FRAME	16384u
#define PKT_MAX_SEGS	64u

struct pkt_hdr {
	rte_be32_t magic;
	rte_be32_t seq;
	rte_be32_t len;	/* the whole frame, Ethernet header included */
} __rte_packed;

#define PKT_MIN_FRAME	(RTE_ETHER_HDR_LEN + sizeof(struct pkt_hdr))

/* The Ethernet addresses of the frames sent, and of those expected
 * (pkt_check()); both default to 02:00:00:00:00:01 -> 02:00:00:00:00:02. */
struct pkt_addrs {
	struct rte_ether_addr src;
	struct rte_ether_addr dst;
};
extern struct pkt_addrs pkt_tx_addrs;
extern struct pkt_addrs pkt_rx_addrs;

/* Destination addresses mixed by seq: unicast, multicast, broadcast
 * (see pkt.c); sender and receiver must agree. */
extern bool pkt_dst_mix;

/* What pkt_check() found in a good packet. */
struct pkt_info {
	uint32_t magic;
	uint32_t seq;
	uint32_t len;
};

/*
 * A packet of len bytes in at least nsegs segments (more if a segment's
 * data room is too small). NULL if the pool is empty or len is invalid.
 */
struct rte_mbuf *pkt_build(struct rte_mempool *mp, uint32_t magic,
		uint32_t seq, uint32_t len, unsigned int nsegs);

/*
 * Check the chain (segment lengths add up), the headers and every byte.
 * Returns 0 and fills info, or -1 with a reason in why.
 */
int pkt_check(const struct rte_mbuf *m, struct pkt_info *info,
		char *why, size_t why_len);

#endif /* PEER_PKT_H */
