/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Checksum, TSO and UFO offloads through the virtio-net header: feature
 * negotiation, guest Tx headers -> mbuf offload fields (both flag
 * conventions), hostile headers, mbuf offload requests -> guest Rx headers,
 * software checksums verified here with our own checksum code.
 */
#include <arpa/inet.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "eth_vhost.h"
#include "unit.h"

#define F_CSUM	(VHU_BIT(VHU_VIRTIO_NET_F_CSUM) | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM))
#define F_TSO	(VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO4) | VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO6) | \
		 VHU_BIT(VHU_VIRTIO_NET_F_HOST_ECN) | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO4) | \
		 VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO6))
#define F_UFO	(VHU_BIT(VHU_VIRTIO_NET_F_HOST_UFO) | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_UFO))
#define F_ALL	(F_BASE | F_CSUM | F_TSO | F_UFO)
#define REG_ALL	(VHU_REG_CSUM | VHU_REG_TSO)

#define MAX_PKT	9000

/* ----------------------------------------------------- packets, checksums */

struct pkt_spec {
	bool vlan;
	bool ipv6;
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP / other */
	uint32_t payload;
};

struct pkt {
	uint8_t b[MAX_PKT];
	uint32_t len;
	uint16_t l2, l3, l4;	/* header lengths */
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t
get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* One's complement sum of big-endian 16-bit words, not folded. */
static uint32_t
sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Pseudo-header sum of p's IP header for an L4 length of l4len (0: none,
 * as a TSO mbuf carries it). */
static uint32_t
phdr_sum(const struct pkt *p, uint32_t l4len)
{
	const uint8_t *ip = p->b + p->l2;
	uint32_t sum;

	if (p->l3 == 40)
		sum = sum16(ip + 8, 32, 0) + ip[6];
	else
		sum = sum16(ip + 12, 8, 0) + ip[9];
	return sum + l4len;
}

/* Does p (as the guest got it) carry correct L4 and IPv4 checksums? */
static bool
csums_ok(const uint8_t *b, const struct pkt *p)
{
	struct pkt q = *p;
	uint32_t l4len = p->len - p->l2 - p->l3;

	memcpy(q.b, b, p->len);
	if (p->l3 == 20 && fold(sum16(b + p->l2, 20, 0)) != 0xffff)
		return false;
	return fold(sum16(b + p->l2 + p->l3, l4len, phdr_sum(&q, l4len))) == 0xffff;
}

/* Ethernet [VLAN] IPv4/IPv6, TCP/UDP/other, payload pattern; checksums
 * left zero. */
static void
pkt_build(struct pkt *p, const struct pkt_spec *s, unsigned int seed)
{
	uint8_t *b = p->b, *ip, *l4;
	uint32_t l4hdr = s->proto == IPPROTO_TCP ? 20 : s->proto == IPPROTO_UDP ? 8 : 0;
	uint32_t l4len = l4hdr + s->payload, i;

	memset(p, 0, sizeof(*p));
	memset(b, 0x02, 6);
	memset(b + 6, 0x04, 6);
	p->l2 = 14;
	if (s->vlan) {
		put16(b + 12, 0x8100);
		put16(b + 14, 100);
		p->l2 = 18;
	}
	put16(b + p->l2 - 2, s->ipv6 ? 0x86dd : 0x0800);
	ip = b + p->l2;
	if (s->ipv6) {
		p->l3 = 40;
		ip[0] = 0x60;
		put16(ip + 4, l4len);
		ip[6] = s->proto;
		ip[7] = 64;
		for (i = 0; i < 32; i++)
			ip[8 + i] = 0x20 + i;
	} else {
		p->l3 = 20;
		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len);
		ip[8] = 64;
		ip[9] = s->proto;
		ip[12] = 10; ip[15] = 1;
		ip[16] = 10; ip[19] = 2;
	}
	l4 = ip + p->l3;
	p->l4 = l4hdr;
	if (s->proto == IPPROTO_TCP) {
		put16(l4, 1234);
		put16(l4 + 2, 80);
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		put16(l4 + 14, 8192);
	} else if (s->proto == IPPROTO_UDP) {
		put16(l4, 1234);
		put16(l4 + 2, 4789);
		put16(l4 + 4, l4len);
	}
	for (i = 0; i < s->payload; i++)
		l4[l4hdr + i] = pat(seed, i);
	p->len = p->l2 + p->l3 + l4len;
}

/* Fill p's L4 checksum field with the pseudo-header sum, as a sender that
 * asks for the checksum does (mbuf API and virtio alike). */
static void
pkt_phdr_csum(struct pkt *p, bool tso)
{
	uint32_t off = p->l2 + p->l3 + (p->l4 == 20 ? 16 : 6);

	put16(p->b + off, fold(phdr_sum(p, tso ? 0 : p->len - p->l2 - p->l3)));
}

/* ------------------------------------------------------------- guest Tx */

struct vnet {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

/* Post p with header h on the Tx vring, split in pieces (NULL: whole). */
static int
post_hdr(struct t *t, const struct pkt *p, const struct vnet *h, const uint32_t *pieces)
{
	static uint8_t stream[12 + MAX_PKT];
	struct vhu_net_hdr_mrg vh;

	memset(&vh, 0, sizeof(vh));
	vh.hdr.flags = h->flags;
	vh.hdr.gso_type = h->gso_type;
	vh.hdr.hdr_len = h->hdr_len;	/* little-endian host */
	vh.hdr.gso_size = h->gso_size;
	vh.hdr.csum_start = h->csum_start;
	vh.hdr.csum_offset = h->csum_offset;
	memcpy(stream, &vh, t->hdr_len);
	memcpy(stream + t->hdr_len, p->b, p->len);
	return fe_post_tx(&t->s, stream, t->hdr_len + p->len, 0, pieces, false);
}

/* Bring up a device on a socket registered with reg, negotiating want. */
static int
t_start_ol(struct t *t, uint64_t reg, uint64_t want)
{
	if (t_register(t, reg) < 0)
		return -1;
	return t_connect(t, want, 1);
}

static uint64_t
tx_bad(struct t *t)
{
	struct vhu_vring_stats st;

	if (vhu_get_vring_stats(t->vid, 1, &st) < 0)
		return UINT64_MAX;
	return st.tx_bad_hdr;
}

static uint64_t
rx_dropped(struct t *t)
{
	struct vhu_vring_stats st;

	if (vhu_get_vring_stats(t->vid, 0, &st) < 0)
		return UINT64_MAX;
	return st.rx_ol_dropped;
}

/* m holds exactly p's bytes. */
static int
same_bytes(const struct rte_mbuf *m, const struct pkt *p)
{
	static uint8_t buf[MAX_PKT];
	const uint8_t *d;

	CHECK_EQ(rte_pktmbuf_pkt_len(m), p->len);
	d = rte_pktmbuf_read(m, 0, p->len, buf);
	CHECK(d != NULL);
	CHECK(memcmp(d, p->b, p->len) == 0);
	return 0;
fail:
	return -1;
}

/* Offload requests of the guest -> mbuf fields, both conventions. */
static int
tx_one_case(bool legacy)
{
	static const struct pkt_spec s4 = { false, false, IPPROTO_TCP, 1000 };
	static const struct pkt_spec s6u = { true, true, IPPROTO_UDP, 300 };
	static const struct pkt_spec g4 = { false, false, IPPROTO_TCP, 4000 };
	static const struct pkt_spec g6 = { true, true, IPPROTO_TCP, 3000 };
	static const struct pkt_spec u4 = { false, false, IPPROTO_UDP, 4000 };
	static const struct pkt_spec u6 = { true, true, IPPROTO_UDP, 2000 };
	static const uint32_t split_hdr[] = { 12, 10, 30, 0 };	/* headers across pieces */
	struct rte_mbuf *rx[8] = { 0 };
	struct pkt p[7];
	struct vnet h[7];
	uint64_t want_csum = legacy ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_RX_L4_CKSUM_NONE;
	struct t t;
	int i;

	if (t_start_ol(&t, REG_ALL | (legacy ? VHU_REG_LEGACY_OL_FLAGS : 0), F_ALL) < 0)
		goto fail;
	CHECK_EQ(t.s.features & (F_CSUM | F_TSO | F_UFO), F_CSUM | F_TSO | F_UFO);
	pkt_build(&p[0], &s4, 1);	/* NEEDS_CSUM TCPv4 */
	h[0] = (struct vnet){ 1, 0, 0, 0, 34, 16 };
	pkt_build(&p[1], &s6u, 2);	/* NEEDS_CSUM UDP/IPv6 behind a VLAN tag */
	h[1] = (struct vnet){ 1, 0, 0, 0, 58, 6 };
	pkt_build(&p[2], &g4, 3);	/* GSO TCPv4 */
	put16(p[2].b + 14 + 10, 0xbeef);	/* legacy: zeroed for the NIC's TSO */
	h[2] = (struct vnet){ 1, VHU_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16 };
	pkt_build(&p[3], &g6, 4);	/* GSO TCPv6 + ECN, VLAN */
	h[3] = (struct vnet){ 1, VHU_NET_HDR_GSO_TCPV6 | VHU_NET_HDR_GSO_ECN, 78, 1000, 58, 16 };
	pkt_build(&p[4], &s4, 5);	/* no offload */
	h[4] = (struct vnet){ 0, 0, 0, 0, 0, 0 };
	pkt_build(&p[5], &u4, 6);	/* UFO IPv4 */
	put16(p[5].b + 14 + 10, 0xbeef);	/* legacy: zeroed, as for TSO */
	h[5] = (struct vnet){ 1, VHU_NET_HDR_GSO_UDP, 42, 1480, 34, 6 };
	pkt_build(&p[6], &u6, 7);	/* UFO IPv6, VLAN */
	h[6] = (struct vnet){ 1, VHU_NET_HDR_GSO_UDP, 66, 1400, 58, 6 };
	/* A guest's partial sums include the L4 length, GSO or not. */
	for (i = 0; i < 7; i++) {
		pkt_phdr_csum(&p[i], false);
		CHECK(post_hdr(&t, &p[i], &h[i], i == 3 || i == 6 ? split_hdr : NULL) >= 0);
	}
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 8), 7);
	/* For a NIC's TSO (legacy), the TCP GSO packets' sums lose the
	 * length; UFO's keep it (UDP_SEG's pseudo-header sum has it). */
	for (i = 2; legacy && i < 4; i++)
		pkt_phdr_csum(&p[i], true);
	if (legacy) {
		put16(p[2].b + 14 + 10, 0);
		put16(p[5].b + 14 + 10, 0);
	}
	for (i = 0; i < 7; i++)
		if (same_bytes(rx[i], &p[i]) < 0)
			FAIL("packet %d", i);

	CHECK_EQ(rx[0]->l2_len, 14);
	CHECK_EQ(rx[0]->l3_len, 20);
	CHECK_EQ(rx[0]->l4_len, 20);
	CHECK_EQ(rx[0]->ol_flags, want_csum | (legacy ? RTE_MBUF_F_TX_IPV4 : 0));

	CHECK_EQ(rx[1]->l2_len, 18);
	CHECK_EQ(rx[1]->l3_len, 40);
	CHECK_EQ(rx[1]->l4_len, 8);
	CHECK_EQ(rx[1]->ol_flags, legacy ? RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV6 :
		 RTE_MBUF_F_RX_L4_CKSUM_NONE);
	CHECK_EQ(rx[1]->packet_type & RTE_PTYPE_L4_MASK, RTE_PTYPE_L4_UDP);

	CHECK_EQ(rx[2]->l2_len + rx[2]->l3_len + rx[2]->l4_len, 54);
	CHECK_EQ(rx[2]->tso_segsz, 1448);
	CHECK_EQ(rx[2]->ol_flags, legacy ? RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM :
		 RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE);

	CHECK_EQ(rx[3]->l2_len, 18);
	CHECK_EQ(rx[3]->l3_len, 40);
	CHECK_EQ(rx[3]->l4_len, 20);
	CHECK_EQ(rx[3]->tso_segsz, 1000);
	CHECK_EQ(rx[3]->ol_flags, legacy ?
		 RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV6 :
		 RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE);

	CHECK_EQ(rx[4]->ol_flags, 0);

	for (i = 5; i < 7; i++) {
		CHECK_EQ(rx[i]->l2_len, p[i].l2);
		CHECK_EQ(rx[i]->l3_len, p[i].l3);
		CHECK_EQ(rx[i]->l4_len, 8);
		CHECK_EQ(rx[i]->tso_segsz, h[i].gso_size);
		CHECK_EQ(rx[i]->packet_type & RTE_PTYPE_L4_MASK, RTE_PTYPE_L4_UDP);
	}
	CHECK_EQ(rx[5]->ol_flags, legacy ? RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM |
		 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM :
		 RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE);
	CHECK_EQ(rx[6]->ol_flags, legacy ?
		 RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV6 :
		 RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE);
	CHECK_EQ(tx_bad(&t), 0);
	free_pkts(rx, 8);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 8);
	t_end(&t);
	return -1;
}

static int test_ol_tx_compliant(void) { return tx_one_case(false); }
static int test_ol_tx_legacy(void) { return tx_one_case(true); }

/*
 * NEEDS_CSUM we cannot offload (not TCP/UDP right after the L3 header:
 * here GRE) is completed in software: no flag, and
 * the checksum the guest asked for is right.
 */
static int
test_ol_tx_sw_csum(void)
{
	static const struct pkt_spec other = { false, false, 47, 200 };	/* GRE */
	static const uint32_t pieces[] = { 100, 50, 0 };
	struct rte_mbuf *rx[4] = { 0 };
	static uint8_t got[MAX_PKT];
	struct pkt p;
	struct vnet h;
	uint32_t start, off;
	struct t t;

	if (t_start_ol(&t, REG_ALL, F_ALL) < 0)
		goto fail;
	/* The guest checksums from the IP payload, field at offset 6. */
	pkt_build(&p, &other, 7);
	start = p.l2 + p.l3;
	off = 6;
	put16(p.b + start + off, 0x1234);	/* a partial sum the guest left */
	h = (struct vnet){ 1, 0, 0, 0, start, off };
	CHECK(post_hdr(&t, &p, &h, pieces) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 1);
	CHECK_EQ(rx[0]->ol_flags, 0);
	CHECK_EQ(rte_pktmbuf_pkt_len(rx[0]), p.len);
	{
		const void *d = rte_pktmbuf_read(rx[0], 0, p.len, got);

		CHECK(d != NULL);
		if (d != got)
			memcpy(got, d, p.len);
	}
	/* The partial sum the guest left in the field (standing for a
	 * pseudo-header) plus the range with the field filled in sums to
	 * 0xffff; the rest of the packet is untouched. */
	CHECK_EQ(fold(sum16(got + start, p.len - start, 0x1234)), 0xffff);
	CHECK(memcmp(got, p.b, start + off) == 0);
	CHECK(memcmp(got + start + off + 2, p.b + start + off + 2, p.len - start - off - 2) == 0);
	CHECK_EQ(tx_bad(&t), 0);
	free_pkts(rx, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 4);
	t_end(&t);
	return -1;
}

/*
 * Hostile headers: each is dropped (used entry returned, nothing
 * delivered, counted) or, hdr_len being only a hint, ignored; the good
 * packet after them comes through. Run under ASan too: no read outside
 * the packet whatever the offsets say.
 */
static int
test_ol_tx_hostile(void)
{
	static const struct pkt_spec s4 = { false, false, IPPROTO_TCP, 100 };
	static const struct pkt_spec u4 = { false, false, IPPROTO_UDP, 100 };
	static const struct pkt_spec tiny = { false, false, IPPROTO_TCP, 0 };
	struct {
		const struct pkt_spec *spec;
		struct vnet h;
		bool dropped;
	} c[] = {
		{ &s4, { 1, 0, 0, 0, 60000, 16 }, true },	/* csum_start past the end */
		{ &s4, { 1, 0, 0, 0, 34, 0xfff0 }, true },	/* csum_offset past the end */
		{ &s4, { 1, 0, 0, 0, 34, 119 }, true },		/* field 1 byte past the end */
		{ &s4, { 1, 0, 0, 0, 0xffff, 0xffff }, true },	/* wrap-around */
		{ &s4, { 1, VHU_NET_HDR_GSO_TCPV4, 54, 0, 34, 16 }, true },	/* gso_size 0 */
		{ &s4, { 1, 2, 54, 1000, 34, 16 }, true },	/* unknown gso_type */
		{ &s4, { 1, VHU_NET_HDR_GSO_UDP, 42, 1000, 34, 16 }, true },	/* UFO on TCP */
		{ &u4, { 1, VHU_NET_HDR_GSO_UDP | VHU_NET_HDR_GSO_ECN, 42, 50, 34, 6 }, true },
		{ &u4, { 0, VHU_NET_HDR_GSO_UDP, 42, 50, 0, 0 }, true },	/* no NEEDS_CSUM */
		{ &u4, { 1, VHU_NET_HDR_GSO_UDP, 42, 0, 34, 6 }, true },	/* gso_size 0 */
		{ &u4, { 1, VHU_NET_HDR_GSO_UDP, 42, 50, 34, 16 }, true },	/* not UDP's field */
		{ &u4, { 1, VHU_NET_HDR_GSO_UDP, 42, 50, 34, 6 }, false },	/* valid UFO */
		{ &s4, { 0, VHU_NET_HDR_GSO_TCPV4, 54, 1000, 0, 0 }, true },	/* GSO w/o NEEDS_CSUM */
		{ &s4, { 1, VHU_NET_HDR_GSO_TCPV6, 54, 1000, 34, 16 }, true },	/* v6 GSO on IPv4 */
		{ &u4, { 1, VHU_NET_HDR_GSO_TCPV4, 42, 1000, 34, 6 }, true },	/* TCP GSO on UDP */
		{ &s4, { 1, VHU_NET_HDR_GSO_ECN, 54, 1000, 34, 16 }, true },	/* ECN alone */
		{ &s4, { 1, 0, 0xffff, 0, 34, 16 }, false },	/* hdr_len huge: a hint */
		{ &s4, { 1 | 0x80, 0, 0, 0, 34, 16 }, false },	/* unknown flag bit: ignored */
		{ &s4, { VHU_NET_HDR_F_DATA_VALID, 0, 0, 0, 0xffff, 0xffff }, false },
		{ &tiny, { 1, 0, 0, 0, 34, 16 }, false },	/* field in the last 2 bytes */
		{ &tiny, { 1, VHU_NET_HDR_GSO_TCPV4, 54, 1, 34, 16 }, false },	/* 1-byte MSS */
	};
	struct rte_mbuf *rx[32] = { 0 };
	unsigned int i, ndrop = 0, nrx;

	RTE_BUILD_BUG_ON(RTE_DIM(c) + 1 > RTE_DIM(rx));
	struct pkt p;
	struct t t;

	if (t_start_ol(&t, REG_ALL, F_ALL) < 0)
		goto fail;
	for (i = 0; i < RTE_DIM(c); i++) {
		pkt_build(&p, c[i].spec, i);
		CHECK(post_hdr(&t, &p, &c[i].h, NULL) >= 0);
		ndrop += c[i].dropped;
	}
	pkt_build(&p, &s4, 99);
	CHECK(post_hdr(&t, &p, &(struct vnet){ 0 }, NULL) >= 0);
	nrx = RTE_DIM(c) + 1 - ndrop;
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 32), nrx);
	CHECK_EQ(used_pending(&t, FE_TX_VQ), RTE_DIM(c) + 1);
	CHECK_EQ(tx_bad(&t), ndrop);
	CHECK(same_bytes(rx[nrx - 1], &p) == 0);
	CHECK_EQ(rx[nrx - 1]->ol_flags, 0);
	free_pkts(rx, 32);
	/* The port keeps serving. */
	CHECK(post_hdr(&t, &p, &(struct vnet){ 0 }, NULL) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 32), 1);
	CHECK(same_bytes(rx[0], &p) == 0);
	free_pkts(rx, 32);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 32);
	t_end(&t);
	return -1;
}

/* Offload headers for features the guest did not negotiate are dropped:
 * NEEDS_CSUM without CSUM, GSO_TCPV4 without HOST_TSO4, GSO_UDP without
 * HOST_UFO. The same IPv4 packet with only NEEDS_CSUM (or no header if
 * good_flags is 0) goes through. */
static int
tx_not_negotiated(uint64_t want, uint8_t proto, const struct vnet *bad, uint64_t good_flags)
{
	const struct pkt_spec s4 = { false, false, proto, 100 };
	const struct vnet csum = { 1, 0, 0, 0, 34, proto == IPPROTO_TCP ? 16 : 6 };
	struct rte_mbuf *rx[4] = { 0 };
	struct pkt p;
	struct t t;

	if (t_start_ol(&t, REG_ALL, want) < 0)
		goto fail;
	CHECK_EQ(t.s.features, want);
	pkt_build(&p, &s4, 1);
	CHECK(post_hdr(&t, &p, bad, NULL) >= 0);
	CHECK(post_hdr(&t, &p, good_flags ? &csum : &(struct vnet){ 0 }, NULL) >= 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, rx, 4), 1);
	CHECK_EQ(tx_bad(&t), 1);
	CHECK_EQ(rx[0]->ol_flags, good_flags);
	CHECK(same_bytes(rx[0], &p) == 0);
	free_pkts(rx, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(rx, 4);
	t_end(&t);
	return -1;
}

static int
test_ol_tx_no_csum(void)
{
	return tx_not_negotiated(F_BASE, IPPROTO_TCP, &(struct vnet){ 1, 0, 0, 0, 34, 16 }, 0);
}

static int
test_ol_tx_no_tso4(void)
{
	return tx_not_negotiated(F_BASE | F_CSUM | VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO6),
				 IPPROTO_TCP, &(struct vnet){ 1, VHU_NET_HDR_GSO_TCPV4, 54, 50, 34, 16 },
				 RTE_MBUF_F_RX_L4_CKSUM_NONE);
}

static int
test_ol_tx_no_ufo(void)
{
	return tx_not_negotiated(F_BASE | F_CSUM | F_TSO | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_UFO),
				 IPPROTO_UDP, &(struct vnet){ 1, VHU_NET_HDR_GSO_UDP, 42, 50, 34, 6 },
				 RTE_MBUF_F_RX_L4_CKSUM_NONE);
}

/* -------------------------------------------------------------- guest Rx */

/* An mbuf holding p with the given offload requests: a first segment of
 * first bytes (0: as much as fits 1500), then 1500-byte segments. */
static struct rte_mbuf *
mk_ol(const struct pkt *p, uint64_t flags, uint16_t segsz, uint32_t first)
{
	struct rte_mbuf *m = NULL, *seg;
	uint32_t off = 0, n;

	while (off < p->len) {
		n = RTE_MIN(p->len - off, off == 0 && first ? first : 1500u);
		seg = rte_pktmbuf_alloc(mp);
		if (seg == NULL)
			goto fail;
		memcpy(rte_pktmbuf_append(seg, n), p->b + off, n);
		off += n;
		if (m == NULL)
			m = seg;
		else if (rte_pktmbuf_chain(m, seg) < 0)
			goto fail;
	}
	m->ol_flags = flags;
	m->l2_len = p->l2;
	m->l3_len = p->l3;
	m->l4_len = p->l4;
	m->tso_segsz = segsz;
	return m;
fail:
	rte_pktmbuf_free(m);
	return NULL;
}

/* Pop one packet of the Rx vring (one buffer: no mergeable buffers). */
static int
rx_get(struct t *t, struct vhu_net_hdr *hdr, uint8_t *data, uint32_t *len)
{
	static uint8_t buf[12 + MAX_PKT];
	uint32_t id, l;

	CHECK(!t->mrg);
	CHECK_EQ(fe_used_pop(&t->s, FE_RX_VQ, &id, &l), 1);
	CHECK(l >= t->hdr_len && l <= sizeof(buf));
	CHECK_EQ(fe_chain_read(&t->s, FE_RX_VQ, id, buf, l), l);
	memcpy(hdr, buf, sizeof(*hdr));
	*len = l - t->hdr_len;
	memcpy(data, buf + t->hdr_len, *len);
	return 0;
fail:
	return -1;
}

static int
post_rx_bufs(struct t *t, int n, uint16_t len)
{
	int i;

	for (i = 0; i < n; i++)
		if (fe_post_rx(&t->s, len) < 0)
			return -1;
	return 0;
}

/* A guest with GUEST_CSUM/GUEST_TSO4/6 gets the offloads in the header,
 * the bytes as they were. */
static int
test_ol_rx_hdr(void)
{
	static const struct pkt_spec s4 = { false, false, IPPROTO_TCP, 1000 };
	static const struct pkt_spec u6 = { true, true, IPPROTO_UDP, 500 };
	static const struct pkt_spec g4 = { false, false, IPPROTO_TCP, 8000 };
	static const struct pkt_spec g6 = { false, true, IPPROTO_TCP, 3000 };
	static uint8_t got[MAX_PKT];
	struct rte_mbuf *m[4] = { 0 };
	struct vhu_net_hdr h;
	struct pkt p[4];
	uint32_t len;
	struct t t;
	int i;

	if (t_start_ol(&t, REG_ALL, F_ALL) < 0)
		goto fail;
	CHECK(post_rx_bufs(&t, 4, 9100) == 0);
	pkt_build(&p[0], &s4, 1);
	pkt_phdr_csum(&p[0], false);
	pkt_build(&p[1], &u6, 2);
	pkt_phdr_csum(&p[1], false);
	pkt_build(&p[2], &g4, 3);
	pkt_phdr_csum(&p[2], true);
	pkt_build(&p[3], &g6, 4);
	pkt_phdr_csum(&p[3], true);
	m[0] = mk_ol(&p[0], RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4, 0, 0);
	m[1] = mk_ol(&p[1], RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_IPV6, 0, 40);
	m[2] = mk_ol(&p[2], RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4, 1460, 0);
	m[3] = mk_ol(&p[3], RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		     RTE_MBUF_F_TX_IPV6, 1000, 100);
	for (i = 0; i < 4; i++)
		CHECK(m[i] != NULL);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, m, 4), 4);

	/* The guest gets partial sums with the L4 length, GSO or not. */
	pkt_phdr_csum(&p[2], false);
	pkt_phdr_csum(&p[3], false);
	for (i = 0; i < 4; i++) {
		if (rx_get(&t, &h, got, &len) < 0)
			FAIL("packet %d", i);
		CHECK_EQ(len, p[i].len);
		if (memcmp(got, p[i].b, len) != 0)
			FAIL("packet %d: bytes differ", i);
		CHECK_EQ(h.flags, VHU_NET_HDR_F_NEEDS_CSUM);
		CHECK_EQ(h.csum_start, p[i].l2 + p[i].l3);
		CHECK_EQ(h.csum_offset, p[i].l4 == 20 ? 16 : 6);
		if (i < 2) {
			CHECK_EQ(h.gso_type, VHU_NET_HDR_GSO_NONE);
			CHECK_EQ(h.gso_size, 0);
		} else {
			CHECK_EQ(h.gso_type, i == 2 ? VHU_NET_HDR_GSO_TCPV4 : VHU_NET_HDR_GSO_TCPV6);
			CHECK_EQ(h.gso_size, i == 2 ? 1460 : 1000);
			CHECK_EQ(h.hdr_len, p[i].l2 + p[i].l3 + p[i].l4);
		}
	}
	CHECK_EQ(rx_dropped(&t), 0);
	free_pkts(m, 4);
	t_end(&t);
	return 0;
fail:
	free_pkts(m, 4);
	t_end(&t);
	return -1;
}

/*
 * RTE_MBUF_F_TX_UDP_SEG to a guest with GUEST_UFO: gso_type UDP, the
 * checksum as the L4 flags ask (UDP_SEG alone: none, the bytes as they
 * are), the pseudo-header sum as it was (it has the length); one whose
 * payload fits tso_segsz is an ordinary packet. Contradictory requests
 * are dropped and counted.
 */
static int
test_ol_rx_ufo(void)
{
	static const struct pkt_spec u4 = { false, false, IPPROTO_UDP, 5000 };
	static const struct pkt_spec u6 = { true, true, IPPROTO_UDP, 3000 };
	static const struct pkt_spec s4 = { false, false, IPPROTO_UDP, 1000 };
	static uint8_t got[MAX_PKT];
	struct rte_mbuf *m[5] = { 0 };
	struct vhu_net_hdr h;
	struct pkt p[3];
	uint32_t len;
	struct t t;
	int i;

	if (t_start_ol(&t, REG_ALL, F_ALL) < 0)
		goto fail;
	CHECK(post_rx_bufs(&t, 5, 9100) == 0);
	pkt_build(&p[0], &u4, 1);
	pkt_phdr_csum(&p[0], false);
	pkt_build(&p[1], &u6, 2);
	put16(p[1].b + p[1].l2 + p[1].l3 + 6, 0x1234);	/* "computed" by the sender */
	pkt_build(&p[2], &s4, 3);
	pkt_phdr_csum(&p[2], false);
	m[0] = mk_ol(&p[0], RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM |
		     RTE_MBUF_F_TX_IPV4, 1480, 0);
	m[1] = mk_ol(&p[1], RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IPV6, 1400, 60);
	m[2] = mk_ol(&p[2], RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM |
		     RTE_MBUF_F_TX_IPV4, 1000, 0);	/* 1000 payload bytes: one segment */
	m[3] = mk_ol(&p[0], RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
		     RTE_MBUF_F_TX_IPV4, 1480, 0);
	m[4] = mk_ol(&p[0], RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IPV4, 0, 0);
	for (i = 0; i < 5; i++)
		CHECK(m[i] != NULL);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, m, 5), 5);
	CHECK_EQ(rx_dropped(&t), 2);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 3);
	for (i = 0; i < 3; i++) {
		if (rx_get(&t, &h, got, &len) < 0)
			FAIL("packet %d", i);
		CHECK_EQ(len, p[i].len);
		if (memcmp(got, p[i].b, len) != 0)
			FAIL("packet %d: bytes differ", i);
		CHECK_EQ(h.flags, i == 1 ? 0 : VHU_NET_HDR_F_NEEDS_CSUM);
		if (i != 1) {
			CHECK_EQ(h.csum_start, p[i].l2 + p[i].l3);
			CHECK_EQ(h.csum_offset, 6);
		}
		CHECK_EQ(h.gso_type, i == 2 ? VHU_NET_HDR_GSO_NONE : VHU_NET_HDR_GSO_UDP);
		CHECK_EQ(h.gso_size, i == 0 ? 1480 : i == 1 ? 1400 : 0);
		CHECK_EQ(h.hdr_len, i == 2 ? 0 : p[i].l2 + p[i].l3 + 8);
	}
	free_pkts(m, 5);
	t_end(&t);
	return 0;
fail:
	free_pkts(m, 5);
	t_end(&t);
	return -1;
}

/*
 * A guest without GUEST_CSUM gets correct checksums (computed here from
 * the bytes it received, pseudo-header included) and a zero header; the
 * IPv4 header checksum is always done in software.
 */
static int
test_ol_rx_sw_csum(void)
{
	static const struct pkt_spec s[] = {
		{ false, false, IPPROTO_TCP, 1000 },
		{ true, false, IPPROTO_UDP, 333 },
		{ false, true, IPPROTO_TCP, 1501 },
		{ true, true, IPPROTO_UDP, 0 },
		{ false, false, IPPROTO_TCP, 900 },	/* TSO of one segment */
	};
	static uint8_t got[MAX_PKT];
	struct rte_mbuf *m[RTE_DIM(s)] = { 0 };
	struct vhu_net_hdr h, zero;
	struct pkt p[RTE_DIM(s)];
	unsigned int i;
	uint32_t len;
	struct t t;

	memset(&zero, 0, sizeof(zero));
	if (t_start_ol(&t, REG_ALL, F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_CSUM)) < 0)
		goto fail;
	CHECK(!(t.s.features & VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM)));
	CHECK(post_rx_bufs(&t, RTE_DIM(s), 4000) == 0);
	for (i = 0; i < RTE_DIM(s); i++) {
		uint64_t ip = s[i].ipv6 ? RTE_MBUF_F_TX_IPV6 :
			RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		uint64_t l4 = s[i].proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM :
			RTE_MBUF_F_TX_UDP_CKSUM;
		bool tso = i == 4;

		pkt_build(&p[i], &s[i], i);
		pkt_phdr_csum(&p[i], tso);
		m[i] = mk_ol(&p[i], ip | (tso ? RTE_MBUF_F_TX_TCP_SEG : l4), tso ? 1000 : 0,
			     i & 1 ? 30 : 0);
		CHECK(m[i] != NULL);
	}
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, m, RTE_DIM(s)), RTE_DIM(s));
	for (i = 0; i < RTE_DIM(s); i++) {
		uint32_t csum_at = p[i].l2 + p[i].l3 + (p[i].l4 == 20 ? 16 : 6);

		if (rx_get(&t, &h, got, &len) < 0)
			FAIL("packet %u", i);
		CHECK(memcmp(&h, &zero, sizeof(h)) == 0);
		CHECK_EQ(len, p[i].len);
		if (!csums_ok(got, &p[i]))
			FAIL("packet %u: bad checksum", i);
		/* Only the checksum fields changed. */
		CHECK(memcmp(got + csum_at + 2, p[i].b + csum_at + 2, len - csum_at - 2) == 0);
		CHECK(memcmp(got + p[i].l2 + 12, p[i].b + p[i].l2 + 12, p[i].l3 - 12) == 0);
	}
	CHECK_EQ(rx_dropped(&t), 0);
	free_pkts(m, RTE_DIM(s));
	t_end(&t);
	return 0;
fail:
	free_pkts(m, RTE_DIM(s));
	t_end(&t);
	return -1;
}

/* A TSO or UFO packet larger than a segment to a guest without GUEST_TSO
 * or GUEST_UFO is taken from the burst and dropped, counted; its
 * neighbours go through. So are requests the library cannot honour (SCTP,
 * a checksum field past the packet). */
static int
ol_rx_drop(uint64_t ring)
{
	static const struct pkt_spec g4 = { false, false, IPPROTO_TCP, 3000 };
	static const struct pkt_spec s4 = { false, false, IPPROTO_TCP, 10 };
	static const struct pkt_spec u4 = { false, false, IPPROTO_UDP, 3000 };
	static uint8_t got[MAX_PKT];
	struct rte_mbuf *m[6] = { 0 };
	struct vhu_net_hdr h;
	struct pkt big, small, ubig;
	uint32_t len;
	struct t t;

	if (t_start_ol(&t, REG_ALL, F_BASE | F_CSUM | ring) < 0)
		goto fail;
	CHECK(post_rx_bufs(&t, 6, 4000) == 0);
	pkt_build(&big, &g4, 1);
	pkt_phdr_csum(&big, true);
	pkt_build(&small, &s4, 2);
	pkt_build(&ubig, &u4, 3);
	m[0] = mk_ol(&big, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4, 1000, 0);
	m[1] = mk_ol(&small, 0, 0, 0);
	m[2] = mk_ol(&small, RTE_MBUF_F_TX_SCTP_CKSUM | RTE_MBUF_F_TX_IPV4, 0, 0);
	m[3] = mk_ol(&ubig, RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IPV4, 1000, 0);
	m[4] = mk_ol(&small, RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4, 0, 0);
	m[5] = mk_ol(&small, 0, 0, 0);
	CHECK(m[0] && m[1] && m[2] && m[3] && m[4] && m[5]);
	m[4]->l3_len = 200;	/* checksum field past the 64-byte packet */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, m, 6), 6);
	CHECK_EQ(rx_dropped(&t), 4);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 2);
	if (rx_get(&t, &h, got, &len) < 0 || rx_get(&t, &h, got, &len) < 0)
		goto fail;
	CHECK_EQ(len, small.len);
	CHECK(memcmp(got, small.b, len) == 0);
	free_pkts(m, 6);
	t_end(&t);
	return 0;
fail:
	free_pkts(m, 6);
	t_end(&t);
	return -1;
}

static int test_ol_rx_drop(void) { return ol_rx_drop(0); }
static int test_ol_rx_drop_packed(void) { return ol_rx_drop(F_PACKED); }

/* ------------------------------------------------------------ features */

/* Offload features are offered only on request, TSO and UFO only with
 * checksums, and a set missing a dependency is refused. */
static int
test_ol_features(void)
{
	uint64_t f;
	struct t t;
	int ret;

	if (t_start_raw(&t, 0) < 0)
		goto fail;
	CHECK(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f) == 0);
	CHECK_EQ(f & (F_CSUM | F_TSO | F_UFO), 0);
	t_end(&t);

	if (t_start_raw(&t, VHU_REG_CSUM) < 0)
		goto fail;
	CHECK(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f) == 0);
	CHECK_EQ(f & (F_CSUM | F_TSO | F_UFO), F_CSUM);
	t_end(&t);

	CHECK_EQ(vhu_driver_register("/tmp/vhu-unit-never", VHU_REG_TSO, 1, &test_ops, NULL),
		 -EINVAL);

	if (t_start_raw(&t, REG_ALL) < 0)
		goto fail;
	CHECK(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f) == 0);
	CHECK_EQ(f & (F_CSUM | F_TSO | F_UFO), F_CSUM | F_TSO | F_UFO);
	/* With REPLY_ACK unknown yet, a refusal shows as no ack: negotiate
	 * it first so fe_set_u64 reports the result. */
	t.s.features = F_BASE;
	CHECK(fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, F_BASE) == 0);
	CHECK(fe_set_u64(&t.s, VHU_REQ_SET_PROTOCOL_FEATURES,
			 VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK)) == 0);
	t.s.reply_ack = true;
	ret = fe_set_u64(&t.s, VHU_REQ_SET_FEATURES,
			 F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO4));
	CHECK(ret < 0);
	ret = fe_set_u64(&t.s, VHU_REQ_SET_FEATURES,
			 F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM) |
			 VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO6));
	CHECK_EQ(ret, 0);
	ret = fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO6));
	CHECK(ret < 0);
	ret = fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM) |
			 VHU_BIT(VHU_VIRTIO_NET_F_HOST_UFO));
	CHECK(ret < 0);
	ret = fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_CSUM) |
			 VHU_BIT(VHU_VIRTIO_NET_F_GUEST_UFO));
	CHECK(ret < 0);
	ret = fe_set_u64(&t.s, VHU_REQ_SET_FEATURES, F_BASE | F_CSUM | F_UFO);
	CHECK_EQ(ret, 0);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}


/* ------------------------------------------- the PMD's software TSO */

/*
 * Segment k (payload from off, len bytes) of the TSO packet p as a NIC
 * would put it on the wire, checksum fields left as they are.
 */
static void
seg_expect(const struct pkt *p, struct pkt *e, uint32_t k, uint32_t off, uint32_t len,
	   bool last)
{
	uint32_t hdrs = p->l2 + p->l3 + p->l4;
	uint8_t *ip, *th;
	uint32_t seq;

	*e = *p;
	memcpy(e->b + hdrs, p->b + hdrs + off, len);
	e->len = hdrs + len;
	ip = e->b + e->l2;
	th = ip + e->l3;
	if (e->l3 == 40) {
		put16(ip + 4, e->l4 + len);
	} else {
		put16(ip + 2, e->l3 + e->l4 + len);
		put16(ip + 4, get16(ip + 4) + k);
	}
	seq = (uint32_t)get16(th + 4) << 16 | get16(th + 6);
	seq += off;
	put16(th + 4, seq >> 16);
	put16(th + 6, seq & 0xffff);
	if (!last)
		th[13] &= ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	if (k != 0)
		th[13] &= ~RTE_TCP_CWR_FLAG;
}

/* The next guest packet is segment k of p (of n, mss bytes each). */
static int
seg_check(struct t *t, const struct pkt *p, uint32_t k, uint32_t n, uint32_t mss)
{
	static uint8_t got[MAX_PKT];
	uint32_t payload = p->len - p->l2 - p->l3 - p->l4, off = k * mss;
	uint32_t tcp_csum = p->l2 + p->l3 + 16, len;
	struct vhu_net_hdr h, zero;
	struct pkt e;

	memset(&zero, 0, sizeof(zero));
	seg_expect(p, &e, k, off, RTE_MIN(mss, payload - off), k + 1 == n);
	CHECK(rx_get(t, &h, got, &len) == 0);
	CHECK(memcmp(&h, &zero, sizeof(h)) == 0);	/* all done: no GSO, no NEEDS_CSUM */
	CHECK_EQ(len, e.len);
	CHECK(csums_ok(got, &e));
	/* Every other byte as expected: the IPv4 header checksum (10-11)
	 * and TCP's are checked above. */
	CHECK(memcmp(got, e.b, e.l2 + (e.l3 == 20 ? 10 : e.l3)) == 0);
	CHECK(memcmp(got + tcp_csum + 2, e.b + tcp_csum + 2, len - tcp_csum - 2) == 0);
	CHECK(memcmp(got + e.l2 + e.l3, e.b + e.l2 + e.l3, 16) == 0);
	return 0;
fail:
	return -1;
}

/*
 * The PMD's Tx burst to a guest without GUEST_TSO4/6 (only CSUM): a TSO
 * packet goes as the segments a NIC would send (IPv4 ID, total length,
 * sequence numbers, PSH/FIN on the last only, CWR on the first only,
 * checksums computed), its neighbours as they are. A packet held in a
 * chain whose first mbuf ends inside the headers is read right. Without
 * room for a first segment the packet stays with the caller; with room
 * for some, the rest are dropped and counted; from a pool too small for
 * its headers, or without an IP version flag, it is dropped and counted.
 */
static int
test_ol_pmd_sw_tso(void)
{
	static const struct pkt_spec g4 = { false, false, IPPROTO_TCP, 3000 };
	static const struct pkt_spec g6 = { true, true, IPPROTO_TCP, 2500 };
	static const struct pkt_spec s4 = { false, false, IPPROTO_TCP, 10 };
	static uint8_t got[MAX_PKT];
	struct rte_mbuf *m[4] = { 0 };
	struct eth_vhost_queue *q = NULL;
	struct rte_mempool *tiny = NULL;
	struct pkt big4, big6, small;
	struct vhu_net_hdr h;
	uint32_t len, k;
	struct t t;

	if (t_start_ol(&t, REG_ALL, F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_CSUM)) < 0)
		goto fail;
	q = pmd_queue_new(t.vid, 0);
	CHECK(q != NULL);
	q->sw_tso = ETH_VHOST_SW_TSO4 | ETH_VHOST_SW_TSO6;

	pkt_build(&big4, &g4, 1);
	big4.b[big4.l2 + big4.l3 + 13] |= RTE_TCP_FIN_FLAG | RTE_TCP_CWR_FLAG;
	put16(big4.b + big4.l2 + 4, 0xfffe);	/* the IPv4 ID wraps */
	pkt_phdr_csum(&big4, true);
	pkt_build(&big6, &g6, 2);
	pkt_phdr_csum(&big6, true);
	pkt_build(&small, &s4, 3);
	m[0] = mk_ol(&big4, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM,
		     1000, 30);
	m[1] = mk_ol(&small, 0, 0, 0);
	m[2] = mk_ol(&big6, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6, 1000, 0);
	m[3] = mk_ol(&small, 0, 0, 0);
	CHECK(m[0] && m[1] && m[2] && m[3]);
	CHECK(post_rx_bufs(&t, 8, 4000) == 0);
	CHECK_EQ(eth_vhost_tx_burst(q, m, 4), 4);
	memset(m, 0, sizeof(m));
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 8);
	for (k = 0; k < 3; k++)
		if (seg_check(&t, &big4, k, 3, 1000) < 0)
			FAIL("IPv4 segment %u", k);
	CHECK(rx_get(&t, &h, got, &len) == 0 && len == small.len && memcmp(got, small.b, len) == 0);
	for (k = 0; k < 3; k++)
		if (seg_check(&t, &big6, k, 3, 1000) < 0)
			FAIL("IPv6 segment %u", k);
	CHECK(rx_get(&t, &h, got, &len) == 0 && len == small.len);
	CHECK_EQ(q->st.pkts, 8);
	CHECK_EQ(q->st.errors, 0);
	CHECK_EQ(rx_dropped(&t), 0);

	/* No room: the packet stays with the caller. */
	m[0] = mk_ol(&big4, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4, 1000, 0);
	CHECK(m[0] != NULL);
	CHECK_EQ(eth_vhost_tx_burst(q, m, 1), 0);
	CHECK_EQ(rte_mbuf_refcnt_read(m[0]), 1);
	/* Room for two of three: taken, the third dropped and counted. */
	CHECK(post_rx_bufs(&t, 2, 4000) == 0);
	CHECK_EQ(eth_vhost_tx_burst(q, m, 1), 1);
	m[0] = NULL;
	for (k = 0; k < 2; k++)
		if (seg_check(&t, &big4, k, 3, 1000) < 0)
			FAIL("partial: segment %u", k);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(q->st.pkts, 10);
	CHECK_EQ(q->st.errors, 1);

	/* A packet whose pool cannot hold its headers in one mbuf: taken,
	 * dropped and counted (a caller would retry it for ever). */
	tiny = rte_pktmbuf_pool_create("tso_tiny", 63, 0, 0, RTE_PKTMBUF_HEADROOM + 32,
				       SOCKET_ID_ANY);
	CHECK(tiny != NULL);
	m[0] = rte_pktmbuf_alloc(tiny);
	m[1] = mk_ol(&big4, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4, 1000, 30);
	CHECK(m[0] && m[1]);
	memcpy(rte_pktmbuf_append(m[0], 30), big4.b, 30);
	rte_pktmbuf_adj(m[1], 30);	/* its first mbuf, now empty, stays first */
	CHECK_EQ(rte_pktmbuf_chain(m[0], m[1]), 0);
	m[1] = NULL;
	m[0]->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4;
	m[0]->l2_len = big4.l2;
	m[0]->l3_len = big4.l3;
	m[0]->l4_len = big4.l4;
	m[0]->tso_segsz = 1000;
	CHECK_EQ(rte_pktmbuf_pkt_len(m[0]), big4.len);
	CHECK(post_rx_bufs(&t, 4, 4000) == 0);
	CHECK_EQ(eth_vhost_tx_burst(q, m, 1), 1);
	m[0] = NULL;
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(q->st.errors, 2);
	CHECK_EQ(rte_mempool_in_use_count(tiny), 0);
	/* Neither TX_IPV4 nor TX_IPV6: not segmented, dropped and counted. */
	m[0] = mk_ol(&big4, RTE_MBUF_F_TX_TCP_SEG, 1000, 0);
	CHECK(m[0] != NULL);
	CHECK_EQ(eth_vhost_tx_burst(q, m, 1), 1);
	m[0] = NULL;
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(q->st.errors, 3);
	/* Every segment and the packets went back to the pool. */
	CHECK_EQ(rte_mempool_in_use_count(mp), 0);
	rte_mempool_free(tiny);
	rte_free(q);
	t_end(&t);
	return 0;
fail:
	free_pkts(m, 4);
	rte_mempool_free(tiny);
	rte_free(q);
	t_end(&t);
	return -1;
}

static const struct unit_case offload_cases[] = {
	{ "ol_features", test_ol_features },
	{ "ol_tx_compliant", test_ol_tx_compliant },
	{ "ol_tx_legacy", test_ol_tx_legacy },
	{ "ol_tx_sw_csum", test_ol_tx_sw_csum },
	{ "ol_tx_hostile", test_ol_tx_hostile },
	{ "ol_tx_no_csum", test_ol_tx_no_csum },
	{ "ol_tx_no_tso4", test_ol_tx_no_tso4 },
	{ "ol_tx_no_ufo", test_ol_tx_no_ufo },
	{ "ol_rx_hdr", test_ol_rx_hdr },
	{ "ol_rx_ufo", test_ol_rx_ufo },
	{ "ol_rx_sw_csum", test_ol_rx_sw_csum },
	{ "ol_rx_drop", test_ol_rx_drop },
	{ "ol_rx_drop_packed", test_ol_rx_drop_packed },
	{ "ol_pmd_sw_tso", test_ol_pmd_sw_tso },
};
UNIT_CASES(offload_cases)
