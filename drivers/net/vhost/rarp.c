/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The RARP announcement after a live migration. A frontend whose guest
 * cannot announce itself (no VIRTIO_NET_F_GUEST_ANNOUNCE) sends SEND_RARP
 * with the guest's MAC; we then hand the application, at the head of the
 * next Rx burst, a broadcast RARP frame from that MAC, as if the guest had
 * sent it, so that switches learn where the guest now is (as DPDK's vhost
 * does). The Rx burst only tests vhu_rarp_pending(): everything here is
 * cold.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "eth_vhost.h"

/* Minimum Ethernet frame without the FCS; the padding is zero. */
#define RARP_FRAME_LEN	60

struct rte_mbuf *
eth_vhost_rarp_build(struct rte_mempool *mp, const uint8_t mac[RTE_ETHER_ADDR_LEN])
{
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;
	uint8_t *p;

	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, RARP_FRAME_LEN);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, RARP_FRAME_LEN);
	eth = (struct rte_ether_hdr *)p;
	memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	memcpy(&eth->src_addr, mac, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_RARP);

	/* RFC 903: a reverse request about ourselves, addresses unknown. */
	arp = (struct rte_arp_hdr *)(eth + 1);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REVREQUEST);
	memcpy(&arp->arp_data.arp_sha, mac, RTE_ETHER_ADDR_LEN);
	memcpy(&arp->arp_data.arp_tha, mac, RTE_ETHER_ADDR_LEN);
	return m;
}

uint16_t
eth_vhost_rarp_inject(struct eth_vhost_queue *q, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	uint8_t mac[RTE_ETHER_ADDR_LEN];
	struct rte_mbuf *m;

	/* Leave the request for a burst that has room. */
	if (nb_pkts == 0 || vhu_get_rarp_mac(q->vid, mac) != 1)
		return 0;
	m = eth_vhost_rarp_build(q->mb_pool, mac);
	if (m == NULL) {
		VHOST_LOG(ERR, "port %u: no mbuf for the RARP announcement of "
			"%02x:%02x:%02x:%02x:%02x:%02x", q->port,
			mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		return 0;
	}
	VHOST_LOG(INFO, "port %u: RARP announcement for %02x:%02x:%02x:%02x:%02x:%02x",
		q->port, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	pkts[0] = m;
	return 1;
}
