/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-ab: two vhost ports of different drivers served by one forwarding
 * loop on one core, taking turns (burst by burst, or in time slices), each
 * port's cycles counted apart. ./run bench runs it with our driver (the plugin built as "net_vhua",
 * meson.build of drivers/net/vhost) on one port and Debian's net_vhost on
 * the other, each with a virtio_user port of one peer testpmd.
 *
 * Why: on this machine's virtual CPUs the cost of a cross-core miss changes
 * 4x when the hypervisor moves a vCPU, every few seconds, and cycles per
 * packet with it. Separate runs of the two drivers draw different
 * placements; here both share every placement, every load spike and every
 * second, so their ratio holds from run to run where separate runs do not.
 *
 * usage: vhost-ab [EAL] -- --mode rx|tx|io [--secs N] [--warmup N]
 *                          [--txpkts LEN] [--queues Q] [--slice-ms N]
 *   rx  rte_eth_rx_burst, the mbufs freed (testpmd rxonly)
 *   tx  mbufs allocated, a UDP frame of LEN bytes written, rte_eth_tx_burst,
 *       refused ones freed (testpmd txonly)
 *   io  rx_burst then tx_burst of them on the same port (testpmd io, port
 *       topology loop)
 * A port's turn visits each of its queues once. Without --slice-ms every
 * round gives each port a turn, the order flipping every round; with it
 * one port takes turns alone for N ms, then the next (run_until()). Counted, per port (as testpmd --record-core-cycles): TSC cycles of
 * the turns that moved packets (tx: every turn) and the packets (received;
 * tx: sent). "drv" cycles are those inside the ethdev calls only, "all" add
 * the mbuf work of the loop. Counting starts --warmup seconds after every
 * link is up.
 *
 * Output: "READY port=P driver=D name=N" for each port, a "SEC" line a
 * second, then per port
 * "AB port=P driver=D pkts=N turns=T cpp_drv=X cpp_all=Y mpps=Z".
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
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define AB_BURST	32
#define AB_MAX_PORTS	4
#define AB_MAX_QUEUES	8
#define AB_NB_MBUF	16384
#define AB_MBUF_CACHE	250
#define AB_NB_DESC	1024
#define AB_LINK_WAIT_S	60

enum ab_mode { AB_RX, AB_TX, AB_IO };

struct ab_ctr {
	uint64_t pkts;
	uint64_t turns;
	uint64_t cyc_drv;
	uint64_t cyc_all;
};

struct ab_port {
	uint16_t id;
	char driver[32];
	struct ab_ctr ctr;
	uint64_t sec_pkts;	/* ctr.pkts at the last SEC line */
};

static volatile bool stop;
static enum ab_mode mode = AB_RX;
static unsigned int secs = 10, warmup = 1, queues = 1, slice_ms;
static uint16_t txpkts = 64;
static struct rte_mempool *pool;
static struct ab_port ports[AB_MAX_PORTS];
static uint16_t nb_ports;
/* The frame tx mode sends: Ethernet, IPv4, UDP, zero payload. */
static uint8_t frame_hdr[RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) +
			 sizeof(struct rte_udp_hdr)];

static void
on_signal(int sig)
{
	(void)sig;
	stop = true;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vhost-ab [EAL] -- --mode rx|tx|io [--secs N] [--warmup N] "
		"[--txpkts LEN] [--queues Q] [--slice-ms N]\n");
	exit(2);
}

static unsigned long
arg_num(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static void
parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "secs", required_argument, NULL, 's' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "txpkts", required_argument, NULL, 'l' },
		{ "queues", required_argument, NULL, 'q' },
		{ "slice-ms", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "rx") == 0)
				mode = AB_RX;
			else if (strcmp(optarg, "tx") == 0)
				mode = AB_TX;
			else if (strcmp(optarg, "io") == 0)
				mode = AB_IO;
			else
				usage();
			break;
		case 's': secs = arg_num(optarg, 1, 3600); break;
		case 'w': warmup = arg_num(optarg, 0, 60); break;
		case 'l': txpkts = arg_num(optarg, sizeof(frame_hdr), 1518); break;
		case 'q': queues = arg_num(optarg, 1, AB_MAX_QUEUES); break;
		case 't': slice_ms = arg_num(optarg, 0, 10000); break;
		default: usage();
		}
	}
}

static void
frame_hdr_init(void)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame_hdr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t l3 = txpkts - RTE_ETHER_HDR_LEN;

	memset(frame_hdr, 0, sizeof(frame_hdr));
	memset(&eth->dst_addr, 0x02, sizeof(eth->dst_addr));
	memset(&eth->src_addr, 0x04, sizeof(eth->src_addr));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16(l3);
	ip->src_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 1));
	ip->dst_addr = rte_cpu_to_be_32(RTE_IPV4(198, 18, 0, 2));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16(l3 - sizeof(*ip));
}

static int
port_setup(uint16_t id)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	struct ab_port *p = &ports[nb_ports];
	unsigned int q;
	int ret;

	ret = rte_eth_dev_info_get(id, &info);
	if (ret != 0)
		return ret;
	if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
		fprintf(stderr, "port %u: %u queues wanted, %u/%u possible\n", id, queues,
			info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	ret = rte_eth_dev_configure(id, queues, queues, &conf);
	for (q = 0; ret == 0 && q < queues; q++)
		ret = rte_eth_rx_queue_setup(id, q, AB_NB_DESC, rte_socket_id(), NULL, pool);
	for (q = 0; ret == 0 && q < queues; q++)
		ret = rte_eth_tx_queue_setup(id, q, AB_NB_DESC, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(id);
	if (ret != 0)
		return ret;
	p->id = id;
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	printf("READY port=%u driver=%s name=%s\n", id, info.driver_name,
	       rte_dev_name(info.device));
	nb_ports++;
	return 0;
}

static bool
links_up(void)
{
	struct rte_eth_link link;
	uint16_t i;

	for (i = 0; i < nb_ports; i++)
		if (rte_eth_link_get_nowait(ports[i].id, &link) != 0 ||
		    link.link_status != RTE_ETH_LINK_UP)
			return false;
	return true;
}

/* A turn that started at t0 moved n packets, drv cycles in ethdev calls. */
static __rte_always_inline void
ctr_add(struct ab_ctr *c, uint64_t drv, uint64_t t0, uint16_t n)
{
	c->cyc_drv += drv;
	c->cyc_all += rte_rdtsc() - t0;
	c->pkts += n;
	c->turns++;
}

static __rte_always_inline void
turn_rx(uint16_t port, uint16_t q, struct ab_ctr *c)
{
	struct rte_mbuf *pkts[AB_BURST];
	uint64_t t0 = rte_rdtsc(), t1;
	uint16_t n = rte_eth_rx_burst(port, q, pkts, AB_BURST);

	if (n == 0)
		return;
	t1 = rte_rdtsc();
	rte_pktmbuf_free_bulk(pkts, n);
	ctr_add(c, t1 - t0, t0, n);
}

static __rte_always_inline void
turn_tx(uint16_t port, uint16_t q, struct ab_ctr *c)
{
	struct rte_mbuf *pkts[AB_BURST];
	uint64_t t0 = rte_rdtsc(), t1, t2;
	uint16_t i, n;

	if (rte_pktmbuf_alloc_bulk(pool, pkts, AB_BURST) != 0)
		return;
	for (i = 0; i < AB_BURST; i++) {
		struct rte_mbuf *m = pkts[i];

		rte_memcpy(rte_pktmbuf_mtod(m, void *), frame_hdr, sizeof(frame_hdr));
		m->data_len = txpkts;
		m->pkt_len = txpkts;
	}
	t1 = rte_rdtsc();
	n = rte_eth_tx_burst(port, q, pkts, AB_BURST);
	t2 = rte_rdtsc();
	if (n < AB_BURST)
		rte_pktmbuf_free_bulk(&pkts[n], AB_BURST - n);
	ctr_add(c, t2 - t1, t0, n);
}

static __rte_always_inline void
turn_io(uint16_t port, uint16_t q, struct ab_ctr *c)
{
	struct rte_mbuf *pkts[AB_BURST];
	uint64_t t0 = rte_rdtsc(), t1;
	uint16_t n = rte_eth_rx_burst(port, q, pkts, AB_BURST), sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(port, q, pkts, n);
	t1 = rte_rdtsc();
	if (sent < n)
		rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
	ctr_add(c, t1 - t0, t0, n);
}

/* One turn of port p, counted in c. */
static void
turn(const struct ab_port *p, struct ab_ctr *c)
{
	uint16_t q;

	for (q = 0; q < queues; q++) {
		switch (mode) {
		case AB_RX: turn_rx(p->id, q, c); break;
		case AB_TX: turn_tx(p->id, q, c); break;
		case AB_IO: turn_io(p->id, q, c); break;
		}
	}
}

static void
counters_reset(void)
{
	uint16_t i;

	for (i = 0; i < nb_ports; i++) {
		memset(&ports[i].ctr, 0, sizeof(ports[i].ctr));
		ports[i].sec_pkts = 0;
	}
}

static void
sec_line(unsigned int sec)
{
	uint16_t i;

	printf("SEC %u", sec);
	for (i = 0; i < nb_ports; i++) {
		printf(" port%u_pps=%" PRIu64, ports[i].id, ports[i].ctr.pkts - ports[i].sec_pkts);
		ports[i].sec_pkts = ports[i].ctr.pkts;
	}
	printf("\n");
}

/*
 * Poll the ports until end_tsc (or a signal); count only with count set,
 * and print a SEC line each second then. Without --slice-ms every round
 * gives each port a turn, in an order that flips every round. With it,
 * only one port polls for slice_ms, then the next: each driver runs alone
 * as in a run of its own, and the slices alternate too fast for a vCPU move
 * to favour one. The first tenth of a slice is not counted: the port finds
 * the work that piled up while it was not polled.
 */
static void
run_until(uint64_t end_tsc, bool count)
{
	uint64_t hz = rte_get_tsc_hz(), now = rte_rdtsc(), next_sec = now + hz;
	uint64_t slice = slice_ms * hz / 1000, settle = slice / 10;
	uint64_t slice_start = now;
	unsigned int round = 0, sec = 0, active = 0;
	struct ab_ctr scratch;
	uint16_t i;

	while (!stop) {
		if (slice == 0) {
			for (i = 0; i < nb_ports; i++) {
				struct ab_port *p = &ports[(round & 1) ? nb_ports - 1 - i : i];

				turn(p, count ? &p->ctr : &scratch);
			}
		} else {
			struct ab_port *p = &ports[active];

			turn(p, count && now - slice_start >= settle ? &p->ctr : &scratch);
		}
		if ((++round & 63) != 0)
			continue;
		now = rte_rdtsc();
		if (now >= end_tsc)
			break;
		if (slice != 0 && now - slice_start >= slice) {
			slice_start = now;
			active = (active + 1) % nb_ports;
		}
		if (count && now >= next_sec) {
			next_sec += hz;
			sec_line(++sec);
		}
	}
}

static void
report(double elapsed_s)
{
	uint16_t i;

	for (i = 0; i < nb_ports; i++) {
		const struct ab_ctr *c = &ports[i].ctr;
		double n = c->pkts ? (double)c->pkts : 1.0;

		printf("AB port=%u driver=%s pkts=%" PRIu64 " turns=%" PRIu64
		       " cpp_drv=%.2f cpp_all=%.2f mpps=%.3f\n",
		       ports[i].id, ports[i].driver, c->pkts, c->turns, c->cyc_drv / n,
		       c->cyc_all / n, c->pkts / elapsed_s / 1e6);
	}
}

int
main(int argc, char **argv)
{
	uint64_t hz, t_start, deadline;
	uint16_t id;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "EAL init failed\n");
	parse_args(argc - ret, argv + ret);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	frame_hdr_init();

	pool = rte_pktmbuf_pool_create("ab_pool", AB_NB_MBUF, AB_MBUF_CACHE, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (pool == NULL)
		rte_exit(EXIT_FAILURE, "mbuf pool: %s\n", rte_strerror(rte_errno));
	RTE_ETH_FOREACH_DEV(id) {
		if (nb_ports == AB_MAX_PORTS)
			rte_exit(EXIT_FAILURE, "more than %d ports\n", AB_MAX_PORTS);
		ret = port_setup(id);
		if (ret != 0)
			rte_exit(EXIT_FAILURE, "port %u: %s\n", id, rte_strerror(-ret));
	}
	if (nb_ports == 0)
		rte_exit(EXIT_FAILURE, "no port\n");

	hz = rte_get_tsc_hz();
	/* The frontends connect; the loop runs (and is not counted) meanwhile,
	 * so that a driver sees the same polling as when counting. */
	deadline = rte_rdtsc() + AB_LINK_WAIT_S * hz;
	while (!stop && !links_up()) {
		if (rte_rdtsc() > deadline)
			rte_exit(EXIT_FAILURE, "links not up after %d s\n", AB_LINK_WAIT_S);
		run_until(rte_rdtsc() + hz / 100, false);
	}
	printf("LINKS up\n");
	run_until(rte_rdtsc() + warmup * hz, false);
	counters_reset();
	t_start = rte_rdtsc();
	run_until(t_start + secs * hz, true);
	report((double)(rte_rdtsc() - t_start) / hz);

	RTE_ETH_FOREACH_DEV(id) {
		rte_eth_dev_stop(id);
		rte_eth_dev_close(id);
	}
	rte_eal_cleanup();
	return 0;
}
