/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-ol-peer: the offload interop test application. Port 0 is our
 * net_vhost or a virtio_user peer.
 *
 *   --send N: N TCP/UDP over IPv4/IPv6 packets (cycled by seq) asking the
 *             port for checksums (--mode csum) or TCP segmentation
 *             (--mode tso, --segsz S) through mbuf Tx offload flags, with
 *             rte_eth_tx_prepare() as an application must; --mode ufo:
 *             UDP/IPv4 datagrams 10.0.0.1:1234 -> 10.0.0.2:5678 (MAC
 *             02:02:02:02:02:02) with RTE_MBUF_F_TX_UDP_SEG and UDP_CKSUM;
 *             --dump FILE: the payloads of the N packets, in order;
 *             --start-on-rx: only once a packet came (the receiver's
 *             "ready");
 *   --recv N: receive N and check every one: payload bytes, and checksums:
 *             a packet flagged RTE_MBUF_F_RX_L4_CKSUM_NONE has its partial
 *             sum completed here first, then the IPv4 header and L4
 *             checksums must verify. RX_LRO packets must carry tso_segsz S;
 *             TX_TCP_SEG ones (legacy flags) a pseudo-header sum without
 *             the length, as a NIC's TSO wants it. --segmented SENT: the
 *             TSO packets (SENT of them) arrive as a NIC's segments, each
 *             checked (check_segment()); N counts segments.
 *
 * Prints READY, DONE, "TX sent= missed=" (tx_burst refusals, retried),
 * "RX ok= bad= lro= tso= csum_none= csum_good= segs=",
 * "STATS ...", RESULT pass|fail. Exit status 0 only on pass.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define BURST		32
#define NB_MBUF		8191
#define MAX_REPORTS	10

struct opts {
	uint64_t send, recv;
	bool sender, receiver;
	bool tso, ufo;
	const char *dump;
	uint16_t segsz;
	uint32_t payload;
	bool rx_csum, lro;
	bool expect_lro, expect_tso;
	bool segmented;		/* --segmented SENT: TSO packets arrive cut */
	uint64_t send_total;	/* SENT: how many TSO packets the sender sent */
	unsigned int timeout_s;
	bool hold;
	bool start_on_rx;
};

struct counts {
	uint64_t ok, bad, lro, tso, csum_none, csum_good, segs;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig __rte_unused)
{
	quit = 1;
}

/* Packet kind by seq: csum mode cycles TCPv4, UDPv4, TCPv6, UDPv6; tso
 * mode TCPv4, TCPv6; ufo mode UDPv4 only. */
static void
kind_of(const struct opts *o, uint64_t seq, bool *v6, bool *udp)
{
	unsigned int k = o->ufo ? 1 : o->tso ? (seq % 2) * 2 : seq % 4;

	*v6 = k >= 2;
	*udp = k & 1;
}

static uint8_t
pat(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 13 + i * 7 + (i >> 8));
}

/* Packet seq's payload: its seq, then the pattern. */
static void
fill_payload(uint8_t *pl, uint64_t seq, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		pl[i] = pat(seq, i);
	pl[0] = seq >> 24;
	pl[1] = seq >> 16;
	pl[2] = seq >> 8;
	pl[3] = seq;
}

/* --dump: what a receiver of all N packets' payloads gets. */
static int
dump_payloads(const struct opts *o)
{
	static uint8_t pl[16384];
	FILE *f = fopen(o->dump, "w");
	uint64_t seq;

	if (f == NULL)
		return -1;
	for (seq = 0; seq < o->send; seq++) {
		fill_payload(pl, seq, o->payload);
		if (fwrite(pl, 1, o->payload, f) != o->payload) {
			fclose(f);
			return -1;
		}
	}
	return fclose(f);
}

/* ------------------------------------------------------------- sending */

static int
put_bytes(struct rte_mempool *mp, struct rte_mbuf **head, const uint8_t *b, uint32_t len)
{
	uint32_t off = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t n;

		if (m == NULL)
			return -1;
		n = RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, n), b + off, n);
		off += n;
		if (*head == NULL)
			*head = m;
		else if (rte_pktmbuf_chain(*head, m) < 0)
			return -1;
	}
	return 0;
}

static struct rte_mbuf *
build(const struct opts *o, struct rte_mempool *mp, uint64_t seq, bool hw_ip)
{
	static uint8_t b[16384];
	struct rte_ether_hdr *eh = (void *)b;
	struct rte_mbuf *m = NULL;
	uint32_t l3, l4, i, len;
	uint64_t flags;
	bool v6, udp;
	uint8_t *pl;

	kind_of(o, seq, &v6, &udp);
	l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	l4 = udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
	len = RTE_ETHER_HDR_LEN + l3 + l4 + o->payload;
	memset(b, 0, RTE_ETHER_HDR_LEN + l3 + l4);
	memset(&eh->dst_addr, 0x02, 6);	/* the guest's MAC of guest/udp-ufo */
	memset(&eh->src_addr, 0x04, 6);
	eh->ether_type = rte_cpu_to_be_16(v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	flags = v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4;
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(eh + 1);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(l4 + o->payload);
		ip->proto = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->hop_limits = 64;
		for (i = 0; i < 16; i++) {
			ip->src_addr[i] = 0x20 + i;
			ip->dst_addr[i] = 0x40 + i;
		}
	} else {
		struct rte_ipv4_hdr *ip = (void *)(eh + 1);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16(l3 + l4 + o->payload);
		ip->packet_id = rte_cpu_to_be_16((uint16_t)seq);
		ip->time_to_live = 64;
		ip->next_proto_id = udp ? IPPROTO_UDP : IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 1));
		ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(10, 0, 0, 2));
		if (hw_ip)
			flags |= RTE_MBUF_F_TX_IP_CKSUM;
		else
			ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (udp) {
		struct rte_udp_hdr *uh = (void *)(b + RTE_ETHER_HDR_LEN + l3);

		uh->src_port = rte_cpu_to_be_16(1234);
		uh->dst_port = rte_cpu_to_be_16(5678);
		uh->dgram_len = rte_cpu_to_be_16(l4 + o->payload);
		flags |= RTE_MBUF_F_TX_UDP_CKSUM;
		if (o->ufo)
			flags |= RTE_MBUF_F_TX_UDP_SEG;
	} else {
		struct rte_tcp_hdr *th = (void *)(b + RTE_ETHER_HDR_LEN + l3);

		th->src_port = rte_cpu_to_be_16(1234);
		th->dst_port = rte_cpu_to_be_16(80);
		th->sent_seq = rte_cpu_to_be_32((uint32_t)seq * 100000);
		th->data_off = 5 << 4;
		th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		th->rx_win = rte_cpu_to_be_16(8192);
		flags |= o->tso ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_TCP_CKSUM;
	}
	pl = b + RTE_ETHER_HDR_LEN + l3 + l4;
	fill_payload(pl, seq, o->payload);
	if (put_bytes(mp, &m, b, len) < 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = l3;
	m->l4_len = l4;
	m->ol_flags = flags;
	if (o->tso || o->ufo)
		m->tso_segsz = o->segsz;
	/* The pseudo-header sum (without the length for TSO, with it for
	 * UFO), as the mbuf API asks; tx_prepare may redo it its way. */
	{
		void *iph = rte_pktmbuf_mtod_offset(m, void *, RTE_ETHER_HDR_LEN);
		uint16_t *field = rte_pktmbuf_mtod_offset(m, uint16_t *,
			RTE_ETHER_HDR_LEN + l3 + (udp ? 6 : 16));

		*field = v6 ? rte_ipv6_phdr_cksum(iph, flags) : rte_ipv4_phdr_cksum(iph, flags);
	}
	return m;
}

/* ----------------------------------------------------------- receiving */

/* Complete a partial L4 sum in our copy b (the field holds the
 * pseudo-header sum). */
static void
complete(uint8_t *b, uint32_t len, uint32_t l4off, bool udp)
{
	uint16_t csum = ~rte_raw_cksum(b + l4off, len - l4off);

	if (udp && csum == 0)
		csum = 0xffff;
	memcpy(b + l4off + (udp ? 6 : 16), &csum, 2);
}

/*
 * --segmented: a segment that our port cut from a TSO packet. Its TCP
 * sequence number says which packet (seq * 100000, as build() numbers
 * them) and where in its payload; its bytes, length, IPv4 ID (the
 * packet's plus the segment's index), PSH (last segment only) and
 * IP version must be that packet's, and no segment may come twice. *seqp:
 * the packet's number, for the caller's messages.
 */
static int
check_segment(const struct opts *o, const uint8_t *b, uint32_t l3, bool is_udp,
	      uint32_t l4off, uint32_t plen, uint32_t *seqp, char *why, size_t wl)
{
	static uint8_t seen[1 << 16];
	const struct rte_tcp_hdr *th = (const void *)(b + l4off);
	const uint8_t *pl = b + l4off + sizeof(*th);
	uint32_t tseq = rte_be_to_cpu_32(th->sent_seq), seq = tseq / 100000;
	uint32_t off = tseq % 100000, k = off / o->segsz, i, want;
	bool v6, udp, last;

	if (is_udp) {
		snprintf(why, wl, "UDP among segments");
		return -1;
	}
	*seqp = seq;
	kind_of(o, seq, &v6, &udp);
	if (seq >= o->send_total || off % o->segsz || off >= o->payload ||
	    v6 != (l3 == sizeof(struct rte_ipv6_hdr))) {
		snprintf(why, wl, "TCP seq %u: no such segment", tseq);
		return -1;
	}
	want = RTE_MIN((uint32_t)o->segsz, o->payload - off);
	last = off + want == o->payload;
	if (plen != want) {
		snprintf(why, wl, "seq %u segment %u: %u bytes, want %u", seq, k, plen, want);
		return -1;
	}
	for (i = 0; i < plen; i++) {
		uint32_t at = off + i;
		uint8_t w = at < 4 ? (uint8_t)(seq >> (24 - 8 * at)) : pat(seq, at);

		if (pl[i] != w) {
			snprintf(why, wl, "seq %u segment %u: payload byte %u", seq, k, at);
			return -1;
		}
	}
	if (!v6 && rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)(b + RTE_ETHER_HDR_LEN))->packet_id) !=
	    (uint16_t)(seq + k)) {
		snprintf(why, wl, "seq %u segment %u: IPv4 ID", seq, k);
		return -1;
	}
	if (!!(th->tcp_flags & RTE_TCP_PSH_FLAG) != last || !(th->tcp_flags & RTE_TCP_ACK_FLAG)) {
		snprintf(why, wl, "seq %u segment %u: TCP flags 0x%x", seq, k, th->tcp_flags);
		return -1;
	}
	if (seq * 64 + k >= sizeof(seen) || k >= 64 || seen[seq * 64 + k]++) {
		snprintf(why, wl, "seq %u segment %u: twice (or out of range)", seq, k);
		return -1;
	}
	return 0;
}

static int
check(const struct opts *o, struct rte_mbuf *m, struct counts *c, char *why, size_t wl)
{
	static uint8_t b[70000];
	const struct rte_ether_hdr *eh;
	uint32_t l3, l4, l4off, i, seq, plen;
	uint64_t f = m->ol_flags;
	bool v6, udp, kv6, kudp;
	const uint8_t *pl;
	uint16_t field;

	if (m->pkt_len > sizeof(b) || m->pkt_len < RTE_ETHER_HDR_LEN + 20 + 8) {
		snprintf(why, wl, "length %u", m->pkt_len);
		return -1;
	}
	{
		const void *d = rte_pktmbuf_read(m, 0, m->pkt_len, b);

		if (d == NULL) {
			snprintf(why, wl, "segments do not add up");
			return -1;
		}
		if (d != b)
			memcpy(b, d, m->pkt_len);
	}
	eh = (const void *)b;
	v6 = eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	l3 = v6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	udp = (v6 ? b[RTE_ETHER_HDR_LEN + 6] : b[RTE_ETHER_HDR_LEN + 9]) == IPPROTO_UDP;
	l4 = udp ? sizeof(struct rte_udp_hdr) : sizeof(struct rte_tcp_hdr);
	l4off = RTE_ETHER_HDR_LEN + l3;
	pl = b + l4off + l4;
	plen = m->pkt_len - l4off - l4;
	if (o->segmented) {
		if (check_segment(o, b, l3, udp, l4off, plen, &seq, why, wl) < 0)
			return -1;
		c->segs++;
	} else {
		seq = (uint32_t)pl[0] << 24 | pl[1] << 16 | pl[2] << 8 | pl[3];
		kind_of(o, seq, &kv6, &kudp);
		if (seq >= o->recv || kv6 != v6 || kudp != udp || plen != o->payload) {
			snprintf(why, wl, "seq %u v6 %d udp %d payload %u: not what was sent",
				 seq, v6, udp, plen);
			return -1;
		}
		for (i = 4; i < plen; i++)
			if (pl[i] != pat(seq, i)) {
				snprintf(why, wl, "seq %u payload byte %u", seq, i);
				return -1;
			}
	}
	/* Legacy TSO: IP_CKSUM with the field zeroed for the NIC. */
	if (!v6 && (f & RTE_MBUF_F_TX_IP_CKSUM)) {
		if (!(f & RTE_MBUF_F_TX_TCP_SEG) ||
		    ((const struct rte_ipv4_hdr *)(b + RTE_ETHER_HDR_LEN))->hdr_checksum != 0) {
			snprintf(why, wl, "seq %u: IP_CKSUM without TSO or a field not 0", seq);
			return -1;
		}
	} else if (!v6 && rte_ipv4_cksum((const void *)(b + RTE_ETHER_HDR_LEN)) != 0) {
		snprintf(why, wl, "seq %u: bad IPv4 header checksum", seq);
		return -1;
	}
	if (f & RTE_MBUF_F_RX_LRO) {
		c->lro++;
		if (m->tso_segsz != o->segsz) {
			snprintf(why, wl, "seq %u: LRO tso_segsz %u, want %u", seq,
				 m->tso_segsz, o->segsz);
			return -1;
		}
		c->segs += (plen + o->segsz - 1) / o->segsz;
	} else if (o->expect_lro) {
		snprintf(why, wl, "seq %u: no RX_LRO", seq);
		return -1;
	}
	if (f & RTE_MBUF_F_TX_TCP_SEG) {
		/* Legacy flags: ready for a NIC's TSO. */
		void *iph = b + RTE_ETHER_HDR_LEN;

		c->tso++;
		memcpy(&field, b + l4off + 16, 2);
		if (udp || m->tso_segsz != o->segsz || m->l2_len != RTE_ETHER_HDR_LEN ||
		    m->l3_len != l3 || m->l4_len != l4 ||
		    field != (v6 ? rte_ipv6_phdr_cksum(iph, f) : rte_ipv4_phdr_cksum(iph, f))) {
			snprintf(why, wl, "seq %u: TX_TCP_SEG with segsz %u l2/3/4 %u/%u/%u or "
				 "a pseudo-header sum a NIC cannot use", seq, m->tso_segsz,
				 m->l2_len, m->l3_len, m->l4_len);
			return -1;
		}
		c->segs += (plen + o->segsz - 1) / o->segsz;
		c->ok++;
		return 0;
	} else if (o->expect_tso) {
		snprintf(why, wl, "seq %u: no TX_TCP_SEG", seq);
		return -1;
	}
	if (f & (RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM)) {
		/* Legacy: the partial sum, as a NIC wants it. */
		c->csum_none++;
		complete(b, m->pkt_len, l4off, udp);
	} else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE) {
		c->csum_none++;
		complete(b, m->pkt_len, l4off, udp);
	} else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		c->csum_good++;
	} else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		snprintf(why, wl, "seq %u: RX_L4_CKSUM_BAD", seq);
		return -1;
	}
	if ((v6 ? rte_ipv6_udptcp_cksum_verify((const void *)(b + RTE_ETHER_HDR_LEN), b + l4off) :
	     rte_ipv4_udptcp_cksum_verify((const void *)(b + RTE_ETHER_HDR_LEN), b + l4off)) != 0) {
		snprintf(why, wl, "seq %u: bad %s checksum (flags 0x%" PRIx64 ")", seq,
			 udp ? "UDP" : "TCP", f);
		return -1;
	}
	c->ok++;
	return 0;
}

/* ---------------------------------------------------------------- port */

static int
port_setup(const struct opts *o, uint16_t port, struct rte_mempool *mp, bool *hw_ip)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint64_t want_tx = 0, want_rx = 0;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return ret;
	if (o->sender)
		want_tx = o->tso ? RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM :
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (o->rx_csum)
		want_rx |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (o->lro)
		want_rx |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
	printf("CAPA rx=0x%" PRIx64 " tx=0x%" PRIx64 "\n", info.rx_offload_capa,
	       info.tx_offload_capa);
	if ((info.tx_offload_capa & want_tx) != want_tx ||
	    (info.rx_offload_capa & want_rx) != want_rx) {
		printf("RESULT fail: port lacks offloads rx 0x%" PRIx64 " tx 0x%" PRIx64 "\n",
		       want_rx & ~info.rx_offload_capa, want_tx & ~info.tx_offload_capa);
		return -1;
	}
	*hw_ip = o->sender && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	if (*hw_ip)
		want_tx |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	want_tx |= info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	want_rx |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
	conf.txmode.offloads = want_tx;
	conf.rxmode.offloads = want_rx;
	conf.rxmode.mtu = 1500;
	if (o->lro) {
		uint32_t overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu ?
			info.max_rx_pktlen - info.max_mtu : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;

		conf.rxmode.max_lro_pkt_size = info.max_lro_pkt_size ? info.max_lro_pkt_size :
			conf.rxmode.mtu + overhead;
	}
	ret = rte_eth_dev_configure(port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL, mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret == 0)
		printf("READY port=%u driver=%s name=%s\n", port, info.driver_name,
		       rte_dev_name(info.device));
	return ret;
}

static bool
link_up(uint16_t port)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status;
}

static void
print_stats(uint16_t port)
{
	struct rte_eth_stats s;

	if (rte_eth_stats_get(port, &s) < 0)
		return;
	printf("STATS ipackets=%" PRIu64 " opackets=%" PRIu64 " ierrors=%" PRIu64
	       " oerrors=%" PRIu64 "\n", s.ipackets, s.opackets, s.ierrors, s.oerrors);
}

static int
parse(struct opts *o, int argc, char **argv)
{
	enum { O_SEND = 256, O_RECV, O_MODE, O_SEGSZ, O_PAYLOAD, O_RXCSUM, O_LRO,
	       O_EXPECT_LRO, O_EXPECT_TSO, O_TIMEOUT, O_HOLD, O_SEGMENTED, O_DUMP,
	       O_START_ON_RX };
	static const struct option lo[] = {
		{ "send", required_argument, NULL, O_SEND },
		{ "recv", required_argument, NULL, O_RECV },
		{ "mode", required_argument, NULL, O_MODE },
		{ "segsz", required_argument, NULL, O_SEGSZ },
		{ "payload", required_argument, NULL, O_PAYLOAD },
		{ "rx-csum", no_argument, NULL, O_RXCSUM },
		{ "lro", no_argument, NULL, O_LRO },
		{ "expect-lro", no_argument, NULL, O_EXPECT_LRO },
		{ "expect-tso", no_argument, NULL, O_EXPECT_TSO },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "hold", no_argument, NULL, O_HOLD },
		{ "segmented", required_argument, NULL, O_SEGMENTED },
		{ "dump", required_argument, NULL, O_DUMP },
		{ "start-on-rx", no_argument, NULL, O_START_ON_RX },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case O_SEND: o->send = strtoull(optarg, NULL, 0); o->sender = true; break;
		case O_RECV: o->recv = strtoull(optarg, NULL, 0); o->receiver = true; break;
		case O_MODE:
			if (strcmp(optarg, "tso") == 0)
				o->tso = true;
			else if (strcmp(optarg, "ufo") == 0)
				o->ufo = true;
			else if (strcmp(optarg, "csum") != 0)
				return -1;
			break;
		case O_SEGSZ: o->segsz = strtoul(optarg, NULL, 0); break;
		case O_PAYLOAD: o->payload = strtoul(optarg, NULL, 0); break;
		case O_RXCSUM: o->rx_csum = true; break;
		case O_LRO: o->lro = true; break;
		case O_EXPECT_LRO: o->expect_lro = true; break;
		case O_EXPECT_TSO: o->expect_tso = true; break;
		case O_TIMEOUT: o->timeout_s = strtoul(optarg, NULL, 0); break;
		case O_HOLD: o->hold = true; break;
		case O_DUMP: o->dump = optarg; break;
		case O_START_ON_RX: o->start_on_rx = true; break;
		case O_SEGMENTED:
			o->segmented = true;
			o->send_total = strtoull(optarg, NULL, 0);
			break;
		default: return -1;
		}
	}
	if (o->payload < 4 || o->payload > 16000 || o->segsz == 0 || o->sender == o->receiver)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { .segsz = 800, .payload = 1000, .timeout_s = 60 };
	struct counts c = { 0 };
	struct rte_mbuf *pkts[BURST];
	struct rte_mempool *mp;
	uint64_t sent = 0, missed = 0, deadline, hz;
	uint16_t port = 0, n, i;
	bool hw_ip, done = false, rx_seen = false;
	char why[160];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		printf("RESULT fail: EAL init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse(&o, argc - ret, argv + ret) < 0) {
		fprintf(stderr, "usage: vhost-ol-peer <EAL> -- --send N|--recv N "
			"[--mode csum|tso|ufo] [--segsz S] [--payload L] [--rx-csum] [--lro] "
			"[--expect-lro] [--expect-tso] [--segmented SENT] [--dump FILE] "
			"[--start-on-rx] [--timeout S] [--hold]\n");
		return 2;
	}
	if (o.dump != NULL && dump_payloads(&o) < 0) {
		printf("RESULT fail: cannot write %s\n", o.dump);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	mp = rte_pktmbuf_pool_create("ol_pool", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (mp == NULL || rte_eth_dev_count_avail() == 0 ||
	    port_setup(&o, port, mp, &hw_ip) < 0) {
		printf("RESULT fail: set-up\n");
		return 1;
	}
	hz = rte_get_timer_hz();
	deadline = rte_get_timer_cycles() + o.timeout_s * hz;
	while (!quit && rte_get_timer_cycles() < deadline) {
		if (o.send && sent < o.send && link_up(port) && (rx_seen || !o.start_on_rx)) {
			n = 0;
			while (n < BURST && sent + n < o.send) {
				pkts[n] = build(&o, mp, sent + n, hw_ip);
				if (pkts[n] == NULL)
					break;
				n++;
			}
			i = rte_eth_tx_prepare(port, 0, pkts, n);
			if (i != n) {
				printf("RESULT fail: tx_prepare: %s\n", rte_strerror(rte_errno));
				rte_pktmbuf_free_bulk(pkts, n);
				break;
			}
			i = rte_eth_tx_burst(port, 0, pkts, n);
			rte_pktmbuf_free_bulk(pkts + i, n - i);	/* rebuilt next time */
			sent += i;
			missed += n - i;
		}
		n = rte_eth_rx_burst(port, 0, pkts, BURST);
		rx_seen |= n > 0;
		for (i = 0; i < n; i++) {
			if (o.receiver && check(&o, pkts[i], &c, why, sizeof(why)) < 0 &&
			    c.bad++ < MAX_REPORTS)
				printf("BAD %s\n", why);
			rte_pktmbuf_free(pkts[i]);
		}
		if (!done && sent == o.send && c.ok + c.bad >= o.recv) {
			printf("DONE\n");
			done = true;
			if (!o.hold)
				break;
		}
		if (n == 0)
			rte_delay_us_sleep(50);
	}
	printf("TX sent=%" PRIu64 " missed=%" PRIu64 "\n", sent, missed);
	printf("RX ok=%" PRIu64 " bad=%" PRIu64 " lro=%" PRIu64 " tso=%" PRIu64
	       " csum_none=%" PRIu64 " csum_good=%" PRIu64 " segs=%" PRIu64 "\n",
	       c.ok, c.bad, c.lro, c.tso, c.csum_none, c.csum_good, c.segs);
	print_stats(port);
	ret = sent == o.send && c.ok == o.recv && c.bad == 0 ? 0 : 1;
	printf("RESULT %s\n", ret == 0 ? "pass" : "fail");
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	return ret;
}
