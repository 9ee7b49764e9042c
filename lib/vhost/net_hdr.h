/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Checksum, TSO and UFO offloads through the virtio-net header (virtio 1.2
 * 5.1.6), for both ring layouts:
 *
 *   guest Tx: vhu_tx_offload(dev->net_ol, &hdr, m) after the packet is in m;
 *   guest Rx: vhu_rx_offload(dev->net_ol, m, &rh) before buffers are taken,
 *             then rx_copy() (virtq.h) writes rh.hdr and rh's fix-ups.
 *
 * The inline parts are the no-offload fast path; net_hdr.c does the rest.
 */
#ifndef VHU_NET_HDR_H
#define VHU_NET_HDR_H

#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "vhu_dev.h"

/* dev->net_ol: what the negotiated features let the data path do. */
#define VHU_OL_HOST_CSUM	(1u << 0)	/* VIRTIO_NET_F_CSUM: guest may send NEEDS_CSUM */
#define VHU_OL_HOST_TSO4	(1u << 1)
#define VHU_OL_HOST_TSO6	(1u << 2)
#define VHU_OL_HOST_ECN		(1u << 3)
#define VHU_OL_GUEST_CSUM	(1u << 4)	/* we may send NEEDS_CSUM */
#define VHU_OL_GUEST_TSO4	(1u << 5)
#define VHU_OL_GUEST_TSO6	(1u << 6)
#define VHU_OL_LEGACY		(1u << 7)	/* VHU_REG_LEGACY_OL_FLAGS */
#define VHU_OL_HOST_UFO		(1u << 8)	/* guest may send GSO_UDP */
#define VHU_OL_GUEST_UFO	(1u << 9)	/* we may send GSO_UDP */

/* Control path: dev->net_ol for negotiated features f on a socket with
 * VHU_REG_* flags. */
VHU_INTERNAL uint32_t vhu_net_ol_flags(uint64_t f, uint64_t reg_flags);
/* Control path: refuse (logged, -EINVAL) offload features whose
 * dependencies (virtio 1.2 5.1.3.1) are missing. */
VHU_INTERNAL int vhu_net_features_check(const struct vhu_dev *dev, uint64_t f);

/* ------------------------------------------------------------ guest Tx */

VHU_INTERNAL int vhu_tx_offload_slow(uint32_t ol, const struct vhu_net_hdr *hdr,
		struct rte_mbuf *m);

/*
 * Turn the virtio-net header the guest sent with m (already copied into a
 * local by the caller, so it is read once) into m's offload fields.
 * Returns 0, or a negative errno for an invalid header: the caller drops
 * the packet and counts it (vring stats tx_bad_hdr).
 */
static __rte_always_inline int
vhu_tx_offload(uint32_t ol, const struct vhu_net_hdr *hdr, struct rte_mbuf *m)
{
	if (likely(hdr->flags == 0 && hdr->gso_type == VHU_NET_HDR_GSO_NONE))
		return 0;
	return vhu_tx_offload_slow(ol, hdr, m);
}

/* ------------------------------------------------------------ guest Rx */

/* The header of one packet to the guest, and up to two checksums computed
 * in software that replace bytes of its copy (IPv4 header, L4). */
struct vhu_rx_hdr {
	struct vhu_net_hdr hdr;
	uint8_t nr_fix;
	struct {
		uint32_t off;		/* in the packet (after the vnet header) */
		uint16_t val;		/* stored as is (network byte order) */
	} fix[2];
};

#define VHU_RX_OL_MASK (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | \
			RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IP_CKSUM)

VHU_INTERNAL int vhu_rx_offload_slow(uint32_t ol, const struct rte_mbuf *m,
		struct vhu_rx_hdr *rh);

/*
 * Build rh for m from its offload requests. Returns 0, or a negative errno
 * if m cannot go to this guest (a TSO or UFO packet it did not negotiate,
 * SCTP, lengths outside the packet): the caller takes it out of
 * the burst without copying and counts it (vring stats rx_ol_dropped).
 */
static __rte_always_inline int
vhu_rx_offload(uint32_t ol, const struct rte_mbuf *m, struct vhu_rx_hdr *rh)
{
	memset(&rh->hdr, 0, sizeof(rh->hdr));
	rh->nr_fix = 0;
	if (likely(!(m->ol_flags & VHU_RX_OL_MASK)))
		return 0;
	return vhu_rx_offload_slow(ol, m, rh);
}

#endif /* VHU_NET_HDR_H */
