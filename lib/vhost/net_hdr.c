/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Virtio-net header <-> mbuf offload conversion (virtio 1.2 5.1.6), the
 * slow paths behind net_hdr.h.
 *
 * UFO (gso_type UDP: one UDP datagram larger than the MTU, to be sent as
 * IP fragments) is RTE_MBUF_F_TX_UDP_SEG, which the mbuf API defines as
 * UDP fragmentation. Its pseudo-header sum keeps the L4 length both ways
 * (rte_ipv4_phdr_cksum() drops it for TCP_SEG only): nothing to adjust.
 * USO (GSO_UDP_L4, separate datagrams) has no mbuf flag and is not
 * offered.
 *
 * Guest Tx. The header is guest data: every field is checked against the
 * negotiated features and the packet, and a header we cannot honour drops
 * the packet. Delivering it without the offload is no option: a packet
 * with NEEDS_CSUM carries a partial checksum and would leave with a bad
 * one, a GSO packet is larger than the MTU. hdr_len is only a hint
 * (5.1.6.2.2: the device MUST NOT rely on it) and is not used. Unknown
 * flag bits are ignored (ibid.). Packet headers are read with
 * rte_pktmbuf_read(): bounded by the packet, whatever it claims.
 *
 * A valid NEEDS_CSUM that is not plain TCP or UDP right after the L3
 * header we parse (tunnels, IPv6 extension headers we do not walk, ...)
 * is completed in software here, so the packet goes on with a good
 * checksum and no offload flag.
 *
 * Guest Rx. Offload requests of the application's mbufs become the header
 * when the guest negotiated them; checksums it did not are computed in
 * software, TSO it did not is refused (the packet is dropped).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "net_hdr.h"

#define TCP_CSUM_OFF	offsetof(struct rte_tcp_hdr, cksum)
#define UDP_CSUM_OFF	offsetof(struct rte_udp_hdr, dgram_cksum)
#define IP4_CSUM_OFF	offsetof(struct rte_ipv4_hdr, hdr_checksum)
#define MAX_VLANS	2
#define MAX_IP6_EXT	4

/* ------------------------------------------------------------ features */

uint32_t
vhu_net_ol_flags(uint64_t f, uint64_t reg_flags)
{
	static const struct { uint8_t bit; uint32_t ol; } map[] = {
		{ VHU_VIRTIO_NET_F_CSUM, VHU_OL_HOST_CSUM },
		{ VHU_VIRTIO_NET_F_HOST_TSO4, VHU_OL_HOST_TSO4 },
		{ VHU_VIRTIO_NET_F_HOST_TSO6, VHU_OL_HOST_TSO6 },
		{ VHU_VIRTIO_NET_F_HOST_ECN, VHU_OL_HOST_ECN },
		{ VHU_VIRTIO_NET_F_GUEST_CSUM, VHU_OL_GUEST_CSUM },
		{ VHU_VIRTIO_NET_F_GUEST_TSO4, VHU_OL_GUEST_TSO4 },
		{ VHU_VIRTIO_NET_F_GUEST_TSO6, VHU_OL_GUEST_TSO6 },
		{ VHU_VIRTIO_NET_F_HOST_UFO, VHU_OL_HOST_UFO },
		{ VHU_VIRTIO_NET_F_GUEST_UFO, VHU_OL_GUEST_UFO },
	};
	uint32_t ol = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(map); i++)
		if (f & VHU_BIT(map[i].bit))
			ol |= map[i].ol;
	if (reg_flags & VHU_REG_LEGACY_OL_FLAGS)
		ol |= VHU_OL_LEGACY;
	return ol;
}

int
vhu_net_features_check(const struct vhu_dev *dev, uint64_t f)
{
	static const struct { uint8_t bit; uint64_t needs; const char *what; } deps[] = {
		{ VHU_VIRTIO_NET_F_HOST_TSO4, VHU_BIT(VHU_VIRTIO_NET_F_CSUM), "HOST_TSO4 without CSUM" },
		{ VHU_VIRTIO_NET_F_HOST_TSO6, VHU_BIT(VHU_VIRTIO_NET_F_CSUM), "HOST_TSO6 without CSUM" },
		{ VHU_VIRTIO_NET_F_HOST_ECN, VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO4) |
			VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO6), "HOST_ECN without HOST_TSO4/6" },
		{ VHU_VIRTIO_NET_F_GUEST_TSO4, VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM),
			"GUEST_TSO4 without GUEST_CSUM" },
		{ VHU_VIRTIO_NET_F_GUEST_TSO6, VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM),
			"GUEST_TSO6 without GUEST_CSUM" },
		{ VHU_VIRTIO_NET_F_HOST_UFO, VHU_BIT(VHU_VIRTIO_NET_F_CSUM), "HOST_UFO without CSUM" },
		{ VHU_VIRTIO_NET_F_GUEST_UFO, VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM),
			"GUEST_UFO without GUEST_CSUM" },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(deps); i++) {
		if ((f & VHU_BIT(deps[i].bit)) && !(f & deps[i].needs)) {
			VHU_LOG(ERR, "%s: SET_FEATURES: 0x%" PRIx64 ": %s (virtio 1.2 5.1.3.1)",
				dev->ifname, f, deps[i].what);
			return -EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- helpers */

/* What we found in a packet's headers. l4_len is 0 unless TCP or UDP. */
struct pkt_hdrs {
	uint16_t l2_len;
	uint16_t l3_len;
	uint16_t l4_len;
	uint8_t l4_proto;	/* IPPROTO_*; 0: no L4 header we can use */
	bool ipv4;
	bool ipv6;
	uint32_t ptype;
};

/* L2: Ethernet with up to two VLAN tags. Returns the L3 ethertype. */
static int
parse_l2(const struct rte_mbuf *m, struct pkt_hdrs *ph)
{
	struct rte_ether_hdr eh_buf;
	struct rte_vlan_hdr vh_buf;
	const struct rte_ether_hdr *eh;
	const struct rte_vlan_hdr *vh;
	uint16_t type;
	int i;

	eh = rte_pktmbuf_read(m, 0, sizeof(*eh), &eh_buf);
	if (eh == NULL)
		return -1;
	type = rte_be_to_cpu_16(eh->ether_type);
	ph->l2_len = sizeof(*eh);
	ph->ptype = RTE_PTYPE_L2_ETHER;
	for (i = 0; i < MAX_VLANS && (type == RTE_ETHER_TYPE_VLAN ||
				      type == RTE_ETHER_TYPE_QINQ); i++) {
		vh = rte_pktmbuf_read(m, ph->l2_len, sizeof(*vh), &vh_buf);
		if (vh == NULL)
			return -1;
		type = rte_be_to_cpu_16(vh->eth_proto);
		ph->l2_len += sizeof(*vh);
		ph->ptype = i == 0 ? RTE_PTYPE_L2_ETHER_VLAN : RTE_PTYPE_L2_ETHER_QINQ;
	}
	return type;
}

static int
parse_ipv4(const struct rte_mbuf *m, struct pkt_hdrs *ph)
{
	struct rte_ipv4_hdr buf;
	const struct rte_ipv4_hdr *ip;
	uint16_t ihl;

	ip = rte_pktmbuf_read(m, ph->l2_len, sizeof(*ip), &buf);
	if (ip == NULL || (ip->version_ihl >> 4) != 4)
		return -1;
	ihl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (ihl < sizeof(*ip) || (uint32_t)ph->l2_len + ihl > rte_pktmbuf_pkt_len(m))
		return -1;
	ph->ipv4 = true;
	ph->l3_len = ihl;
	ph->ptype |= ihl == sizeof(*ip) ? RTE_PTYPE_L3_IPV4 : RTE_PTYPE_L3_IPV4_EXT;
	/* A fragment after the first has no L4 header; the first's covers
	 * only part of the payload: neither can be offloaded. */
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK |
						     RTE_IPV4_HDR_MF_FLAG))
		return 0;
	ph->l4_proto = ip->next_proto_id;
	return 0;
}

/* IPv6 and the extension headers that may precede TCP/UDP. */
static int
parse_ipv6(const struct rte_mbuf *m, struct pkt_hdrs *ph)
{
	struct rte_ipv6_hdr buf;
	const struct rte_ipv6_hdr *ip;
	uint8_t ext_buf[2];
	const uint8_t *ext;
	uint8_t proto;
	uint32_t len;
	int i;

	ip = rte_pktmbuf_read(m, ph->l2_len, sizeof(*ip), &buf);
	if (ip == NULL || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return -1;
	ph->ipv6 = true;
	len = sizeof(*ip);
	proto = ip->proto;
	for (i = 0; i < MAX_IP6_EXT; i++) {
		if (proto != IPPROTO_HOPOPTS && proto != IPPROTO_ROUTING &&
		    proto != IPPROTO_DSTOPTS)
			break;
		ext = rte_pktmbuf_read(m, ph->l2_len + len, sizeof(ext_buf), ext_buf);
		if (ext == NULL)
			return -1;
		proto = ext[0];
		len += (ext[1] + 1u) * 8;
		if (len > UINT16_MAX)
			return -1;
	}
	if ((uint32_t)ph->l2_len + len > rte_pktmbuf_pkt_len(m))
		return -1;
	ph->l3_len = (uint16_t)len;
	/* Longer than mbuf l3_len holds: checksummed in software instead. */
	if (len >= 1u << RTE_MBUF_L3_LEN_BITS)
		proto = 0;
	ph->ptype |= len == sizeof(*ip) ? RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV6_EXT;
	/* Fragments and anything we did not walk: no usable L4. */
	ph->l4_proto = proto == IPPROTO_TCP || proto == IPPROTO_UDP ? proto : 0;
	return 0;
}

static void
parse_l4(const struct rte_mbuf *m, struct pkt_hdrs *ph)
{
	uint32_t off = (uint32_t)ph->l2_len + ph->l3_len;
	struct rte_tcp_hdr tbuf;
	const struct rte_tcp_hdr *th;
	uint16_t len;

	if (ph->l4_proto == IPPROTO_TCP) {
		th = rte_pktmbuf_read(m, off, sizeof(*th), &tbuf);
		if (th == NULL)
			goto none;
		len = (th->data_off >> 4) * 4;
		if (len < sizeof(*th) || off + len > rte_pktmbuf_pkt_len(m))
			goto none;
		ph->l4_len = len;
		ph->ptype |= RTE_PTYPE_L4_TCP;
	} else if (ph->l4_proto == IPPROTO_UDP) {
		if (off + sizeof(struct rte_udp_hdr) > rte_pktmbuf_pkt_len(m))
			goto none;
		ph->l4_len = sizeof(struct rte_udp_hdr);
		ph->ptype |= RTE_PTYPE_L4_UDP;
	} else {
		goto none;
	}
	return;
none:
	ph->l4_proto = 0;
	ph->l4_len = 0;
}

/* Parse Ethernet/VLAN, IPv4/IPv6, TCP/UDP. -1 if there is no IP packet. */
static int
parse_headers(const struct rte_mbuf *m, struct pkt_hdrs *ph)
{
	int type;

	memset(ph, 0, sizeof(*ph));
	type = parse_l2(m, ph);
	if (type == RTE_ETHER_TYPE_IPV4) {
		if (parse_ipv4(m, ph) < 0)
			return -1;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		if (parse_ipv6(m, ph) < 0)
			return -1;
	} else {
		return -1;
	}
	parse_l4(m, ph);
	return 0;
}

/* Store a 16-bit value at off (off + 2 <= pkt_len), across segments. */
static void
mbuf_store16(struct rte_mbuf *m, uint32_t off, uint16_t val)
{
	const uint8_t *src = (const uint8_t *)&val;
	unsigned int i;

	for (i = 0; i < 2; i++, off++) {
		struct rte_mbuf *s = m;
		uint32_t o = off;

		while (o >= s->data_len) {
			o -= s->data_len;
			s = s->next;
		}
		*rte_pktmbuf_mtod_offset(s, uint8_t *, o) = src[i];
	}
}

/* The internet checksum of bytes [start, pkt_len) of m, plus add (a
 * partial sum), folded and inverted; UDP's 0 is sent as 0xffff. */
static int
l4_csum(const struct rte_mbuf *m, uint32_t start, uint32_t add, bool udp, uint16_t *out)
{
	uint16_t raw;
	uint32_t sum;

	if (rte_raw_cksum_mbuf(m, start, rte_pktmbuf_pkt_len(m) - start, &raw) < 0)
		return -1;
	sum = (uint32_t)raw + add;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*out = (uint16_t)~sum;
	if (udp && *out == 0)
		*out = 0xffff;
	return 0;
}

static __rte_cold int
tx_bad(const char *what)
{
	VHU_LOG(DEBUG, "guest Tx virtio-net header: %s", what);
	return -EINVAL;
}

/* ------------------------------------------------------------ guest Tx */

/* Check gso_type and gso_size against the features. */
static int
tx_gso_check(uint32_t ol, uint8_t gso_type, uint16_t gso_size, bool needs_csum)
{
	uint8_t type = gso_type & ~VHU_NET_HDR_GSO_ECN;

	if (!needs_csum)	/* 5.1.6.2.1: GSO MUST come with NEEDS_CSUM */
		return tx_bad("GSO without NEEDS_CSUM");
	if ((gso_type & VHU_NET_HDR_GSO_ECN) && !(ol & VHU_OL_HOST_ECN))
		return tx_bad("GSO_ECN without HOST_ECN");
	if (type == VHU_NET_HDR_GSO_TCPV4) {
		if (!(ol & VHU_OL_HOST_TSO4))
			return tx_bad("GSO_TCPV4 without HOST_TSO4");
	} else if (type == VHU_NET_HDR_GSO_TCPV6) {
		if (!(ol & VHU_OL_HOST_TSO6))
			return tx_bad("GSO_TCPV6 without HOST_TSO6");
	} else if (type == VHU_NET_HDR_GSO_UDP) {
		if (!(ol & VHU_OL_HOST_UFO))
			return tx_bad("GSO_UDP without HOST_UFO");
		if (gso_type & VHU_NET_HDR_GSO_ECN)
			return tx_bad("GSO_ECN on UDP");
	} else {
		return tx_bad("unknown or not negotiated gso_type");
	}
	if (gso_size == 0)
		return tx_bad("GSO with gso_size 0");
	return 0;
}

/* Complete the checksum the guest left partial, in m itself. */
static int
tx_sw_csum(struct rte_mbuf *m, uint16_t start, uint16_t offset)
{
	uint16_t csum;

	if (l4_csum(m, start, 0, false, &csum) < 0)
		return tx_bad("cannot checksum the packet");
	mbuf_store16(m, (uint32_t)start + offset, csum);
	return 0;
}

/*
 * The guest's GSO partial sum includes the L4 length; a NIC's TSO wants it
 * without (mbuf API): take it out.
 */
static void
tx_tso_phdr_fix(struct rte_mbuf *m, uint16_t start)
{
	uint32_t off = (uint32_t)start + TCP_CSUM_OFF;
	uint16_t len = rte_cpu_to_be_16((uint16_t)(rte_pktmbuf_pkt_len(m) - start));
	uint16_t field;
	const void *p = rte_pktmbuf_read(m, off, sizeof(field), &field);
	uint32_t sum;

	if (p == NULL)
		return;		/* checked by the caller: cannot happen */
	memcpy(&field, p, sizeof(field));
	sum = (uint32_t)field + (uint16_t)~len;	/* one's complement minus */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	mbuf_store16(m, off, (uint16_t)sum);
}

int
vhu_tx_offload_slow(uint32_t ol, const struct vhu_net_hdr *hdr, struct rte_mbuf *m)
{
	/* The caller copied the header out of guest memory: these are ours. */
	const uint8_t flags = hdr->flags;
	const uint8_t gso_type = hdr->gso_type;
	const uint16_t gso_size = rte_le_to_cpu_16(hdr->gso_size);
	const uint16_t start = rte_le_to_cpu_16(hdr->csum_start);
	const uint16_t offset = rte_le_to_cpu_16(hdr->csum_offset);
	const uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
	const bool needs_csum = flags & VHU_NET_HDR_F_NEEDS_CSUM;
	const bool gso = gso_type != VHU_NET_HDR_GSO_NONE;
	struct pkt_hdrs ph;
	bool plain;		/* TCP or UDP right after L3, csum where it belongs */
	int ret;

	if (needs_csum && !(ol & VHU_OL_HOST_CSUM))
		return tx_bad("NEEDS_CSUM without VIRTIO_NET_F_CSUM");
	if (gso) {
		ret = tx_gso_check(ol, gso_type, gso_size, needs_csum);
		if (ret < 0)
			return ret;
	}
	if (!needs_csum)
		return 0;	/* only flag bits we do not know: ignored */
	if (start >= pkt_len || pkt_len - start < (uint32_t)offset + 2)
		return tx_bad("csum_start/csum_offset outside the packet");

	plain = parse_headers(m, &ph) == 0 && ph.l4_len != 0 &&
		start == ph.l2_len + ph.l3_len &&
		offset == (ph.l4_proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF);
	if (gso) {
		uint8_t type = gso_type & ~VHU_NET_HDR_GSO_ECN;

		if (type == VHU_NET_HDR_GSO_UDP) {
			if (!plain || ph.l4_proto != IPPROTO_UDP)
				return tx_bad("GSO_UDP packet is not UDP over IP");
		} else if (!plain || ph.l4_proto != IPPROTO_TCP ||
			   (type == VHU_NET_HDR_GSO_TCPV4 ? !ph.ipv4 : !ph.ipv6)) {
			return tx_bad("GSO packet is not TCP over the IP version of gso_type");
		}
	}
	if (!plain)
		return tx_sw_csum(m, start, offset);

	m->l2_len = ph.l2_len;
	m->l3_len = ph.l3_len;
	m->l4_len = ph.l4_len;
	m->packet_type = ph.ptype;
	if (ol & VHU_OL_LEGACY) {
		/* A request to the NIC the application forwards to. */
		m->ol_flags |= (ph.ipv4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6) |
			(ph.l4_proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM :
			 RTE_MBUF_F_TX_UDP_CKSUM);
		if (gso) {
			m->tso_segsz = gso_size;
			if (ph.l4_proto == IPPROTO_TCP) {
				m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
				tx_tso_phdr_fix(m, start);
			} else {
				m->ol_flags |= RTE_MBUF_F_TX_UDP_SEG;
			}
			/* Every segment or fragment needs its own IPv4
			 * header checksum: IP_CKSUM, field 0. */
			if (ph.ipv4) {
				m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
				mbuf_store16(m, ph.l2_len + IP4_CSUM_OFF, 0);
			}
		}
	} else {
		/* Data intact, checksum field not filled in (the mbuf API's
		 * meaning of L4_CKSUM_NONE); LRO: one packet of many. */
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
		if (gso) {
			m->ol_flags |= RTE_MBUF_F_RX_LRO;
			m->tso_segsz = gso_size;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ guest Rx */

static __rte_cold int
rx_bad(const char *what)
{
	VHU_LOG(DEBUG, "mbuf to guest: %s", what);
	return -EINVAL;
}

/* TX_IP_CKSUM: virtio has no IPv4 header checksum offload; compute it. */
static int
rx_ip_csum(const struct rte_mbuf *m, struct vhu_rx_hdr *rh)
{
	uint8_t buf[60];
	const uint8_t *ip;
	uint16_t l3 = m->l3_len;
	uint16_t sum;

	if (l3 < sizeof(struct rte_ipv4_hdr) || l3 > sizeof(buf))
		return rx_bad("IP_CKSUM with l3_len not an IPv4 header");
	ip = rte_pktmbuf_read(m, m->l2_len, l3, buf);
	if (ip == NULL)
		return rx_bad("IP_CKSUM: l2_len + l3_len past the packet");
	if (ip != buf)
		memcpy(buf, ip, l3);
	buf[IP4_CSUM_OFF] = 0;
	buf[IP4_CSUM_OFF + 1] = 0;
	sum = ~rte_raw_cksum(buf, l3);
	rh->fix[rh->nr_fix].off = (uint32_t)m->l2_len + IP4_CSUM_OFF;
	rh->fix[rh->nr_fix].val = sum;
	rh->nr_fix++;
	return 0;
}

/*
 * A TSO mbuf's checksum field holds the pseudo-header sum without the L4
 * length (mbuf API); a virtio packet's, GSO or not, with it (as Linux and
 * DPDK's virtio PMD fill it). Returns what to add to a TSO mbuf's field.
 */
static uint32_t
tso_len_adjust(const struct rte_mbuf *m, uint32_t start)
{
	return rte_cpu_to_be_16((uint16_t)(rte_pktmbuf_pkt_len(m) - start));
}

/*
 * UDP_SEG: a datagram whose payload is larger than tso_segsz goes as
 * gso_type UDP to a guest with GUEST_UFO; a smaller one as an ordinary
 * packet, as for TSO (Linux's virtio_net_hdr_to_skb() does not take a
 * packet that fits gso_size as GSO; older kernels drop it). The L4
 * checksum is whatever the L4 flags ask: UDP_SEG does not imply it.
 */
static int
rx_ufo(uint32_t ol, const struct rte_mbuf *m, struct vhu_rx_hdr *rh, uint32_t start)
{
	const uint32_t hdrs = start + sizeof(struct rte_udp_hdr);
	const uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_TX_L4_MASK;

	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)
		return rx_bad("both TCP_SEG and UDP_SEG");
	if (l4 != 0 && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return rx_bad("UDP_SEG with a checksum request other than UDP");
	if (m->tso_segsz == 0 || hdrs > pkt_len || hdrs > UINT16_MAX)
		return rx_bad("UDP_SEG with tso_segsz 0 or no room for a UDP header");
	if (pkt_len - hdrs <= m->tso_segsz)
		return 0;
	if (!(ol & VHU_OL_GUEST_UFO))
		return -ENOTSUP;	/* counted by the caller */
	rh->hdr.gso_type = VHU_NET_HDR_GSO_UDP;
	rh->hdr.gso_size = rte_cpu_to_le_16(m->tso_segsz);
	rh->hdr.hdr_len = rte_cpu_to_le_16((uint16_t)hdrs);
	return 0;
}

int
vhu_rx_offload_slow(uint32_t ol, const struct rte_mbuf *m, struct vhu_rx_hdr *rh)
{
	const uint64_t flags = m->ol_flags;
	const uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
	const uint32_t start = (uint32_t)m->l2_len + m->l3_len;
	uint64_t l4 = flags & RTE_MBUF_F_TX_L4_MASK;
	bool tso = flags & RTE_MBUF_F_TX_TCP_SEG;
	uint32_t csum_off, add = 0;
	uint16_t field, csum;
	int ret;

	if (flags & RTE_MBUF_F_TX_UDP_SEG) {
		ret = rx_ufo(ol, m, rh, start);
		if (ret < 0)
			return ret;
	}
	if (flags & RTE_MBUF_F_TX_IP_CKSUM) {
		ret = rx_ip_csum(m, rh);
		if (ret < 0)
			return ret;
	}
	if (tso)
		l4 = RTE_MBUF_F_TX_TCP_CKSUM;	/* TCP_SEG implies it */
	if (l4 == 0)
		return 0;
	if (l4 == RTE_MBUF_F_TX_SCTP_CKSUM)
		return rx_bad("SCTP checksum offload is not supported");
	csum_off = l4 == RTE_MBUF_F_TX_TCP_CKSUM ? TCP_CSUM_OFF : UDP_CSUM_OFF;
	if (start + csum_off + 2 > pkt_len)
		return rx_bad("L4 checksum field past the packet");

	if (tso) {
		uint32_t hdrs = start + m->l4_len;

		if (m->tso_segsz == 0 || m->l4_len < sizeof(struct rte_tcp_hdr) ||
		    hdrs > pkt_len || hdrs > UINT16_MAX)
			return rx_bad("TCP_SEG with tso_segsz 0 or bad l4_len");
		/* virtio (like Linux) wants the length in a GSO packet's
		 * partial sum too: 5.1.6.2 leaves it to the driver's stack. */
		add = tso_len_adjust(m, start);
		if (pkt_len - hdrs > m->tso_segsz) {
			uint32_t need = flags & RTE_MBUF_F_TX_IPV6 ?
				VHU_OL_GUEST_TSO6 : VHU_OL_GUEST_TSO4;

			if (!(ol & need))
				return -ENOTSUP;	/* counted by the caller */
			rh->hdr.gso_type = need == VHU_OL_GUEST_TSO6 ?
				VHU_NET_HDR_GSO_TCPV6 : VHU_NET_HDR_GSO_TCPV4;
			rh->hdr.gso_size = rte_cpu_to_le_16(m->tso_segsz);
			rh->hdr.hdr_len = rte_cpu_to_le_16((uint16_t)hdrs);
		}
		/* else one segment: an ordinary packet. */
	}

	if (ol & VHU_OL_GUEST_CSUM) {
		rh->hdr.flags = VHU_NET_HDR_F_NEEDS_CSUM;
		rh->hdr.csum_start = rte_cpu_to_le_16((uint16_t)start);
		rh->hdr.csum_offset = rte_cpu_to_le_16((uint16_t)csum_off);
		if (add == 0)
			return 0;
		/* The partial sum the guest gets must include the length. */
		{
			const void *p = rte_pktmbuf_read(m, start + csum_off, 2, &field);
			uint32_t sum;

			if (p == NULL)
				return rx_bad("cannot read the checksum field");
			memcpy(&field, p, 2);	/* may be unaligned */
			sum = (uint32_t)field + add;
			sum = (sum & 0xffff) + (sum >> 16);
			sum = (sum & 0xffff) + (sum >> 16);
			csum = (uint16_t)sum;
		}
	} else {
		/* The field holds the pseudo-header sum: summing from start
		 * over it gives the full checksum. */
		if (l4_csum(m, start, add, l4 == RTE_MBUF_F_TX_UDP_CKSUM, &csum) < 0)
			return rx_bad("cannot checksum the packet");
	}
	rh->fix[rh->nr_fix].off = start + csum_off;
	rh->fix[rh->nr_fix].val = csum;
	rh->nr_fix++;
	return 0;
}
