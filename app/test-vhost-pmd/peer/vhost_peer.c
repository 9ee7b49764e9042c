/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-peer: a small DPDK application that drives port 0 (our net_vhost or
 * a virtio_user peer) for the interop tests. It sends numbered packets whose
 * every byte is known (see pkt.h), checks every byte of what it receives,
 * prints link and queue state events, and says what it saw as key=value
 * lines:
 *
 *   READY port=0 driver=net_vhost name=net_vhost0
 *   EVENT LSC up | EVENT QUEUE rxq=0 enable=1    (--events)
 *   LINK up | LINK down                          (link state, polled)
 *   IDLE bursts=1000 link=down                   (--burst-anytime)
 *   PROGRESS rx_ok=N | PROGRESS stale=N          (--progress N)
 *   DONE                                         (all sent and received)
 *   TX sent=N bytes=B filler=F echoed=E dropped=D
 *   RX ok=N bad=0 dup=0 missing=0 bytes=B filler=F
 *   STATS ipackets=.. opackets=.. ibytes=.. obytes=.. ...  (--stats)
 *   QSTATS q=0 ipackets=.. ibytes=.. opackets=.. obytes=..  (--stats, each queue)
 *   XSTAT name=value                             (--xstats, one per xstat)
 *   INTR sleeps=N wakeups=W timeouts=T           (--intr)
 *   RESULT pass | RESULT fail: reason
 *   OTHER port=N name=.. ipackets=.. opackets=.. imissed=.. oerrors=..
 *         echoed=.. dropped=..          (--echo-others: at SIGUSR1 and the end)
 *   MALLOC heap_alloc=.. heap_free=.. allocs=..   (rte_malloc, with OTHER)
 *
 * With several ports (--vdev given more than once), --port NAME picks the one
 * driven (default: the first) and --echo-others starts every other port and
 * echoes what it receives back on it (one queue, no retry: what the guest
 * has no room for is dropped and counted), so one process can host hostile
 * frontends on some ports while checked traffic flows on another. SIGUSR2
 * stops new data: only what was sent so far is expected back (--rx).
 *
 * Exit status 0 only if everything expected was sent and received intact.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_interrupts.h>

#include "rte_eth_vhost.h"
#include "pkt.h"

#define PEER_BURST		32
#define PEER_FILL_BURST		8
#define PEER_MAX_LIST		16
#define PEER_NB_MBUF		8191
#define PEER_NB_DESC		512
#define PEER_MAX_REPORTS	10	/* bad/dup packets described one by one */
#define PEER_IDLE_MILESTONE	1000	/* bursts with the link down */
#define PEER_LINK_POLL_MS	10
#define PEER_MAX_QUEUES		RTE_ETHDEV_QUEUE_STAT_CNTRS
#define PEER_IDLE_BEFORE_SLEEP	64	/* empty loops before arming Rx interrupts */
#define PEER_SLEEP_MS		60000	/* epoll bound: a kick or a signal ends it first */

#define EV_LINK_UP		(1u << 8)

/* A port of --echo-others. */
struct other_port {
	uint16_t port;
	uint64_t echoed;
	uint64_t dropped;
};

typedef __typeof__(&rte_eth_vhost_get_queue_event) get_queue_event_t;

enum pend_kind { PEND_DATA, PEND_ECHO, PEND_FILL };

struct peer {
	/* options */
	uint64_t tx_n;
	uint64_t rx_n;
	uint32_t sizes[PEER_MAX_LIST];
	unsigned int nsizes;
	uint32_t segs[PEER_MAX_LIST];
	unsigned int nsegs;
	unsigned int timeout_s;
	unsigned int linger_ms;
	unsigned int idle_us;
	uint64_t progress;
	bool events;
	bool wait_link;
	bool stats;
	bool burst_anytime;
	bool hold;
	bool echo;
	bool xstats;
	bool wait_peer;			/* send data only after receiving a packet */
	const char *rx_gate;		/* no rx_burst until this file exists */
	const char *tx_gate;		/* no data sent until this file exists */
	bool peer_seen;
	bool intr;			/* sleep on Rx interrupts when idle */
	bool vlan;			/* tx: insert vlan_tx_tci; rx: expect vlan_tci stripped */
	uint16_t vlan_tci;
	uint16_t vlan_tx_tci;		/* --tx-vlan, else vlan_tci */
	bool vlan_tx_set;
	uint32_t tx_base;		/* first sequence number sent */
	uint32_t rx_base;		/* first sequence number expected */
	uint32_t rx_max_size;		/* sizes above it are not expected (0: all) */
	uint64_t pace_n;		/* pause pace_ms after every pace_n packets */
	unsigned int pace_ms;
	uint16_t nb_queues;
	const char *port_name;
	bool echo_others;
	uint64_t pps;

	/* port */
	uint16_t port;
	uint16_t next_rxq;		/* polled round robin */
	uint16_t next_txq;		/* new data/filler batches, round robin */
	struct rte_mempool *mp;
	struct rte_ring *event_ring;
	get_queue_event_t get_queue_event;
	uint64_t queue_callbacks;	/* QUEUE_STATE callbacks */
	uint64_t queue_events;		/* events rte_eth_vhost_get_queue_event gave */
	bool link_up;
	uint64_t next_link_poll;

	/* packets waiting for tx_burst to take them */
	struct rte_mbuf *pend[PEER_BURST];
	uint32_t pend_len[PEER_BURST];
	unsigned int npend;
	unsigned int pend_off;
	enum pend_kind pend_kind;
	uint16_t pend_q;		/* Tx queue of the pending batch */

	/* what was sent */
	uint64_t tx_seq;
	uint64_t tx_sent;
	uint64_t tx_bytes;
	uint64_t filler_seq;
	uint64_t filler_sent;
	uint64_t echoed;
	uint64_t dropped;

	/* what was received */
	uint8_t *seen;
	uint64_t rx_ok;
	uint64_t rx_bad;
	uint64_t rx_dup;
	uint64_t rx_bytes;
	uint64_t rx_filler;
	uint64_t rx_stale;		/* intact, below --rx-base */
	uint64_t rx_stale_bytes;
	uint64_t rx_multiseg;		/* received in more than one segment */
	uint64_t rx_extbuf;		/* received in an external buffer */
	uint64_t rx_expected;		/* packets --rx expects (see --rx-max-size) */

	uint64_t pace_until;		/* no data sent before this tsc */
	uint64_t idle_loops;
	uint64_t sleeps, wakeups, timeouts;

	uint64_t idle_bursts;
	bool done;

	/* --echo-others, --pps */
	struct other_port *others;
	uint16_t nb_others;
	uint64_t start_cycles;
};

static volatile sig_atomic_t quit;
static volatile sig_atomic_t dump_others;	/* SIGUSR1 */
static volatile sig_atomic_t finish;		/* SIGUSR2 */

static void
on_signal(int sig __rte_unused)
{
	quit = 1;
}

static void
on_usr(int sig)
{
	if (sig == SIGUSR1)
		dump_others = 1;
	else
		finish = 1;
}

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- [options]\n"
	       "  --tx N            send N numbered packets\n"
	       "  --rx N            expect N numbered packets, each intact, once\n"
	       "  --sizes L         frame sizes cycled by seq (default 64)\n"
	       "  --segs L          segment counts cycled per round of sizes (default 1)\n"
	       "  --echo            send every good packet received back\n"
	       "  --timeout S       give up after S seconds (default 30)\n"
	       "  --hold            after DONE, run until SIGINT/SIGTERM or timeout\n"
	       "  --linger MS       after DONE, keep receiving MS ms (default 100)\n"
	       "  --progress N      print PROGRESS every N good packets received\n"
	       "  --events          print LSC and QUEUE_STATE events\n"
	       "  --wait-link       send only while the link is up\n"
	       "  --burst-anytime   keep calling rx/tx bursts, with filler packets\n"
	       "  --stats           print the port's counters at the end\n"
	       "  --queues N        use N Rx/Tx queue pairs (default 1): data sent\n"
	       "                    round robin per burst, echoes on their Rx queue\n"
	       "  --xstats          print every extended statistic at the end\n"
	       "  --dst-mix         seq%%4==1: multicast, ==2: broadcast destination\n"
	       "  --tx-gate FILE    send no data until FILE exists (the script\n"
	       "                    creates it once the peer's port has started)\n"
	       "  --rx-gate FILE    no Rx burst until FILE exists; then print\n"
	       "                    RXCOUNT q=Q n=N (rte_eth_rx_queue_count) per queue\n"
	       "  --wait-peer       send only once a packet came from the peer (a\n"
	       "                    virtio port discards what arrives while it starts)\n"
	       "  --intr            when idle, sleep on Rx queue interrupts\n"
	       "  --vlan TCI        tx: VLAN insert offload; rx: VLAN strip, expect TCI\n"
	       "  --tx-vlan TCI     with --vlan: insert TCI instead (rx still expects --vlan's)\n"
	       "  --mac SRC,DST     Ethernet addresses of the frames sent\n"
	       "  --rx-mac SRC,DST  those expected on the frames received\n"
	       "                    (both default 02:00:00:00:00:01,02:00:00:00:00:02)\n"
	       "  --tx-base S       first sequence number sent (default 0)\n"
	       "  --rx-base S       first sequence number expected; older intact\n"
	       "                    packets count as stale\n"
	       "  --rx-max-size L   do not expect the packets of sizes above L\n"
	       "  --pace N,MS       pause MS ms after every N data packets sent\n"
	       "  --port NAME       drive the port of that device name (default: the first)\n"
	       "  --echo-others     start every other port too, echo what it receives\n"
	       "  --pps N           send at most N numbered packets per second\n",
	       prog);
}

/* ----------------------------------------------------------- options */

static int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || *v > max)
		return -1;
	return 0;
}

static int
parse_list(const char *s, uint32_t *out, unsigned int *n, uint32_t min,
		uint32_t max)
{
	char buf[256], *tok, *save;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (*n == PEER_MAX_LIST || parse_u64(tok, max, &v) < 0 ||
		    v < min)
			return -1;
		out[(*n)++] = v;
	}
	return *n > 0 ? 0 : -1;
}

/* "SRC,DST": two Ethernet addresses. */
static int
parse_addrs(const char *s, struct pkt_addrs *a)
{
	char buf[2 * RTE_ETHER_ADDR_FMT_SIZE], *comma;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (comma == NULL)
		return -1;
	*comma = '\0';
	if (rte_ether_unformat_addr(buf, &a->src) < 0 ||
	    rte_ether_unformat_addr(comma + 1, &a->dst) < 0)
		return -1;
	return 0;
}

static int
parse_args(struct peer *p, int argc, char **argv)
{
	enum { O_TX = 256, O_RX, O_SIZES, O_SEGS, O_ECHO, O_TIMEOUT, O_HOLD,
	       O_LINGER, O_PROGRESS, O_EVENTS, O_WAIT_LINK, O_ANYTIME, O_STATS, O_QUEUES,
	       O_XSTATS, O_DST_MIX, O_WAIT_PEER, O_RX_GATE, O_INTR, O_VLAN, O_TX_BASE, O_RX_BASE, O_RX_MAX, O_PACE,
	       O_TX_GATE, O_PORT, O_ECHO_OTHERS, O_PPS, O_TX_VLAN, O_MAC, O_RX_MAC, O_HELP };
	static const struct option longopts[] = {
		{ "tx", required_argument, NULL, O_TX },
		{ "rx", required_argument, NULL, O_RX },
		{ "sizes", required_argument, NULL, O_SIZES },
		{ "segs", required_argument, NULL, O_SEGS },
		{ "echo", no_argument, NULL, O_ECHO },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "hold", no_argument, NULL, O_HOLD },
		{ "linger", required_argument, NULL, O_LINGER },
		{ "progress", required_argument, NULL, O_PROGRESS },
		{ "events", no_argument, NULL, O_EVENTS },
		{ "wait-link", no_argument, NULL, O_WAIT_LINK },
		{ "burst-anytime", no_argument, NULL, O_ANYTIME },
		{ "stats", no_argument, NULL, O_STATS },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "xstats", no_argument, NULL, O_XSTATS },
		{ "dst-mix", no_argument, NULL, O_DST_MIX },
		{ "wait-peer", no_argument, NULL, O_WAIT_PEER },
		{ "rx-gate", required_argument, NULL, O_RX_GATE },
		{ "tx-gate", required_argument, NULL, O_TX_GATE },
		{ "intr", no_argument, NULL, O_INTR },
		{ "vlan", required_argument, NULL, O_VLAN },
		{ "tx-base", required_argument, NULL, O_TX_BASE },
		{ "rx-base", required_argument, NULL, O_RX_BASE },
		{ "rx-max-size", required_argument, NULL, O_RX_MAX },
		{ "pace", required_argument, NULL, O_PACE },
		{ "port", required_argument, NULL, O_PORT },
		{ "echo-others", no_argument, NULL, O_ECHO_OTHERS },
		{ "pps", required_argument, NULL, O_PPS },
		{ "tx-vlan", required_argument, NULL, O_TX_VLAN },
		{ "mac", required_argument, NULL, O_MAC },
		{ "rx-mac", required_argument, NULL, O_RX_MAC },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt, bad = 0;

	optind = 1;
	while (!bad && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case O_TX:
			bad = parse_u64(optarg, UINT32_MAX, &p->tx_n);
			break;
		case O_RX:
			bad = parse_u64(optarg, UINT32_MAX, &p->rx_n);
			break;
		case O_SIZES:
			bad = parse_list(optarg, p->sizes, &p->nsizes,
					PKT_MIN_FRAME, PKT_MAX_FRAME);
			break;
		case O_SEGS:
			bad = parse_list(optarg, p->segs, &p->nsegs, 1,
					PKT_MAX_SEGS);
			break;
		case O_TIMEOUT:
			bad = parse_u64(optarg, 3600, &v);
			p->timeout_s = v;
			break;
		case O_LINGER:
			bad = parse_u64(optarg, 60000, &v);
			p->linger_ms = v;
			break;
		case O_PROGRESS:
			bad = parse_u64(optarg, UINT32_MAX, &p->progress);
			break;
		case O_ECHO: p->echo = true; break;
		case O_HOLD: p->hold = true; break;
		case O_EVENTS: p->events = true; break;
		case O_WAIT_LINK: p->wait_link = true; break;
		case O_ANYTIME: p->burst_anytime = true; break;
		case O_STATS: p->stats = true; break;
		case O_QUEUES:
			bad = parse_u64(optarg, PEER_MAX_QUEUES, &v) < 0 || v == 0 ? -1 : 0;
			p->nb_queues = v;
			break;
		case O_XSTATS: p->xstats = true; break;
		case O_DST_MIX: pkt_dst_mix = true; break;
		case O_WAIT_PEER: p->wait_peer = true; break;
		case O_RX_GATE: p->rx_gate = optarg; break;
		case O_TX_GATE: p->tx_gate = optarg; break;
		case O_INTR: p->intr = true; break;
		case O_VLAN:
			bad = parse_u64(optarg, 0xffff, &v);
			p->vlan = true;
			p->vlan_tci = v;
			break;
		case O_TX_BASE:
			bad = parse_u64(optarg, UINT32_MAX / 2, &v);
			p->tx_base = v;
			break;
		case O_RX_BASE:
			bad = parse_u64(optarg, UINT32_MAX / 2, &v);
			p->rx_base = v;
			break;
		case O_RX_MAX:
			bad = parse_u64(optarg, PKT_MAX_FRAME, &v);
			p->rx_max_size = v;
			break;
		case O_PACE: {
			uint32_t l[PEER_MAX_LIST];
			unsigned int n;

			bad = parse_list(optarg, l, &n, 1, UINT32_MAX);
			if (!bad && n != 2)
				bad = -1;
			p->pace_n = l[0];
			p->pace_ms = l[1];
			break;
		}
		case O_PORT: p->port_name = optarg; break;
		case O_ECHO_OTHERS: p->echo_others = true; break;
		case O_PPS:
			bad = parse_u64(optarg, UINT32_MAX, &p->pps) < 0 || p->pps == 0 ? -1 : 0;
			break;
		case O_TX_VLAN:
			bad = parse_u64(optarg, 0xffff, &v);
			p->vlan_tx_set = true;
			p->vlan_tx_tci = v;
			break;
		case O_MAC: bad = parse_addrs(optarg, &pkt_tx_addrs); break;
		case O_RX_MAC: bad = parse_addrs(optarg, &pkt_rx_addrs); break;
		case O_HELP: usage(argv[0]); exit(0);
		default: bad = -1; break;
		}
		if (bad)
			fprintf(stderr, "vhost-peer: bad option %s %s\n",
				argv[optind - 1], optarg ? optarg : "");
	}
	if (!bad && optind < argc) {
		fprintf(stderr, "vhost-peer: unexpected argument %s\n", argv[optind]);
		bad = -1;
	}
	if (!bad && p->vlan_tx_set && !p->vlan) {
		fprintf(stderr, "vhost-peer: --tx-vlan needs --vlan\n");
		bad = -1;
	}
	if (!p->vlan_tx_set)
		p->vlan_tx_tci = p->vlan_tci;
	if (!bad && p->echo && p->tx_n) {
		fprintf(stderr, "vhost-peer: --echo and --tx exclude each other\n");
		bad = -1;
	}
	if (bad)
		usage(argv[0]);
	return bad ? -1 : 0;
}

static uint32_t
size_of(const struct peer *p, uint64_t seq)
{
	return p->nsizes ? p->sizes[seq % p->nsizes] : 64;
}

static unsigned int
segs_of(const struct peer *p, uint64_t seq)
{
	unsigned int round = p->nsizes ? seq / p->nsizes : seq;

	return p->nsegs ? p->segs[round % p->nsegs] : 1;
}

static uint32_t
max_frame(const struct peer *p)
{
	uint32_t max = RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN;
	unsigned int i;

	for (i = 0; i < p->nsizes; i++)
		max = RTE_MAX(max, p->sizes[i]);
	return max;
}

/* ------------------------------------------------------------ events */

struct find_lib {
	char path[PATH_MAX];
};

static int
find_vhost_lib(struct dl_phdr_info *info, size_t size __rte_unused, void *arg)
{
	struct find_lib *f = arg;
	const char *base = strrchr(info->dlpi_name, '/');

	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, "librte_net_vhost.so", 19) != 0)
		return 0;
	snprintf(f->path, sizeof(f->path), "%s", info->dlpi_name);
	return 1;
}

/*
 * EAL dlopen()s plugins RTLD_LOCAL, so RTLD_DEFAULT does not see their
 * symbols: find the loaded net_vhost library and ask it.
 */
static get_queue_event_t
lookup_get_queue_event(void)
{
	const char *name = "rte_eth_vhost_get_queue_event";
	struct find_lib f = { .path = "" };
	void *sym, *h;

	sym = dlsym(RTLD_DEFAULT, name);
	if (sym == NULL && dl_iterate_phdr(find_vhost_lib, &f) != 0) {
		h = dlopen(f.path, RTLD_NOW | RTLD_NOLOAD);
		if (h != NULL)
			sym = dlsym(h, name);
	}
	printf("VHOST_API %s %s\n", sym ? "found" : "none",
		f.path[0] ? f.path : "(global)");
	return (get_queue_event_t)sym;
}

static int
on_event(uint16_t port, enum rte_eth_event_type type, void *arg,
		void *ret_param __rte_unused)
{
	struct rte_ring *ring = arg;
	struct rte_eth_link link;
	uintptr_t ev = type;

	if (type == RTE_ETH_EVENT_INTR_LSC &&
	    rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
		ev |= EV_LINK_UP;
	if (rte_ring_enqueue(ring, (void *)ev) < 0)
		printf("EVENT LOST\n");
	return 0;
}

static int
events_init(struct peer *p)
{
	p->event_ring = rte_ring_create("peer_events", 1024, rte_socket_id(),
			RING_F_SC_DEQ);
	if (p->event_ring == NULL)
		return -1;
	p->get_queue_event = lookup_get_queue_event();
	if (rte_eth_dev_callback_register(p->port, RTE_ETH_EVENT_INTR_LSC,
			on_event, p->event_ring) < 0 ||
	    rte_eth_dev_callback_register(p->port, RTE_ETH_EVENT_QUEUE_STATE,
			on_event, p->event_ring) < 0)
		return -1;
	return 0;
}

static void
print_queue_events(struct peer *p)
{
	struct rte_eth_vhost_queue_event qe;

	p->queue_callbacks++;
	if (p->get_queue_event == NULL) {
		printf("EVENT QUEUE (no rte_eth_vhost_get_queue_event)\n");
		return;
	}
	while (p->get_queue_event(p->port, &qe) >= 0) {
		p->queue_events++;
		printf("EVENT QUEUE %cxq=%u enable=%d\n", qe.rx ? 'r' : 't',
			qe.queue_id, qe.enable);
	}
}

/* Print the events the callback queued, in order, from the main loop. */
static void
events_poll(struct peer *p)
{
	void *obj;
	uintptr_t ev;

	if (p->event_ring == NULL)
		return;
	while (rte_ring_dequeue(p->event_ring, &obj) == 0) {
		ev = (uintptr_t)obj;
		if ((ev & 0xff) == RTE_ETH_EVENT_INTR_LSC)
			printf("EVENT LSC %s\n", ev & EV_LINK_UP ? "up" : "down");
		else
			print_queue_events(p);
	}
}

static void
events_fini(struct peer *p)
{
	if (p->event_ring == NULL)
		return;
	rte_eth_dev_callback_unregister(p->port, RTE_ETH_EVENT_INTR_LSC,
			on_event, p->event_ring);
	rte_eth_dev_callback_unregister(p->port, RTE_ETH_EVENT_QUEUE_STATE,
			on_event, p->event_ring);
	events_poll(p);
	printf("EVENTS queue_callbacks=%" PRIu64 " queue_events=%" PRIu64 "\n",
		p->queue_callbacks, p->queue_events);
}

/* -------------------------------------------------------------- port */

static int
port_setup_one(struct peer *p, uint16_t port, uint16_t nb_queues, bool events,
		const char *tag)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = PEER_NB_DESC, nb_txd = PEER_NB_DESC;
	uint32_t mtu;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret < 0)
		return ret;
	if (*info.dev_flags & RTE_ETH_DEV_INTR_LSC)
		conf.intr_conf.lsc = 1;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (p->vlan) {
		if (!(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP) ||
		    !(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT)) {
			printf("RESULT fail: port has no VLAN strip/insert offload\n");
			return -ENOTSUP;
		}
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	}
	if (p->intr)
		conf.intr_conf.rxq = 1;
	mtu = max_frame(p) - RTE_ETHER_HDR_LEN;
	conf.rxmode.mtu = RTE_MAX(RTE_MIN(mtu, (uint32_t)info.max_mtu),
			(uint32_t)info.min_mtu);

	ret = rte_eth_dev_configure(port, nb_queues, nb_queues, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	for (q = 0; ret == 0 && q < nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd,
				rte_eth_dev_socket_id(port), NULL, p->mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, nb_txd,
					rte_eth_dev_socket_id(port), NULL);
	}
	if (ret == 0 && events)
		ret = events_init(p);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	for (q = 0; ret == 0 && p->intr && port == p->port && q < nb_queues; q++)
		ret = rte_eth_dev_rx_intr_ctl_q(port, q, RTE_EPOLL_PER_THREAD,
				RTE_INTR_EVENT_ADD, (void *)(uintptr_t)q);
	if (ret == 0)
		printf("%s port=%u driver=%s name=%s mtu=%u\n", tag, port,
			info.driver_name, rte_dev_name(info.device),
			conf.rxmode.mtu);
	return ret;
}

static int
port_setup(struct peer *p)
{
	return port_setup_one(p, p->port, p->nb_queues, p->events, "READY");
}

/* --echo-others: start every port but the driven one. */
static int
others_setup(struct peer *p)
{
	uint16_t port;

	p->others = calloc(RTE_MAX_ETHPORTS, sizeof(*p->others));
	if (p->others == NULL)
		return -ENOMEM;
	RTE_ETH_FOREACH_DEV(port) {
		if (port == p->port)
			continue;
		if (port_setup_one(p, port, 1, false, "OTHER-READY") < 0) {
			printf("RESULT fail: port %u set-up failed\n", port);
			return -1;
		}
		p->others[p->nb_others++].port = port;
	}
	return 0;
}

/* Echo what each other port received back on it; drop what does not fit. */
static unsigned int
others_step(struct peer *p)
{
	struct rte_mbuf *pkts[PEER_BURST];
	unsigned int work = 0;
	uint16_t i, n, k;

	for (i = 0; i < p->nb_others; i++) {
		struct other_port *o = &p->others[i];

		n = rte_eth_rx_burst(o->port, 0, pkts, PEER_BURST);
		if (n == 0)
			continue;
		k = rte_eth_tx_burst(o->port, 0, pkts, n);
		o->echoed += k;
		o->dropped += n - k;
		if (k < n)
			rte_pktmbuf_free_bulk(pkts + k, n - k);
		work += n;
	}
	return work;
}

static void
others_print(const struct peer *p)
{
	struct rte_eth_stats st;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t i;

	for (i = 0; i < p->nb_others; i++) {
		const struct other_port *o = &p->others[i];

		if (rte_eth_stats_get(o->port, &st) < 0 ||
		    rte_eth_dev_get_name_by_port(o->port, name) < 0)
			continue;
		printf("OTHER port=%u name=%s ipackets=%" PRIu64 " opackets=%" PRIu64
		       " imissed=%" PRIu64 " oerrors=%" PRIu64 " echoed=%" PRIu64
		       " dropped=%" PRIu64 "\n", o->port, name, st.ipackets,
		       st.opackets, st.imissed, st.oerrors, o->echoed, o->dropped);
	}
	{
		struct rte_malloc_socket_stats ms;

		if (rte_malloc_get_socket_stats(rte_socket_id(), &ms) == 0)
			printf("MALLOC heap_alloc=%zu heap_free=%zu allocs=%u\n",
			       ms.heap_allocsz_bytes, ms.heap_freesz_bytes, ms.alloc_count);
	}
	printf("OTHERS-END\n");
}

static void
others_fini(struct peer *p)
{
	uint16_t i;

	for (i = 0; i < p->nb_others; i++) {
		rte_eth_dev_stop(p->others[i].port);
		rte_eth_dev_close(p->others[i].port);
	}
	free(p->others);
}

/* Read the link state now; print it when it changed. */
static bool
link_check(struct peer *p)
{
	struct rte_eth_link link;
	bool up;

	if (rte_eth_link_get_nowait(p->port, &link) < 0)
		return p->link_up;
	up = link.link_status == RTE_ETH_LINK_UP;
	if (up != p->link_up) {
		printf("LINK %s\n", up ? "up" : "down");
		p->link_up = up;
		p->idle_bursts = 0;
	}
	return up;
}

static void
link_poll(struct peer *p, uint64_t now)
{
	if (now < p->next_link_poll)
		return;
	p->next_link_poll = now + rte_get_timer_hz() * PEER_LINK_POLL_MS / 1000;
	link_check(p);
}

static void
print_xstats(const struct peer *p)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, i;

	n = rte_eth_xstats_get_names(p->port, NULL, 0);
	if (n > 0) {
		names = calloc(n, sizeof(*names));
		vals = calloc(n, sizeof(*vals));
	}
	if (n <= 0 || names == NULL || vals == NULL ||
	    rte_eth_xstats_get_names(p->port, names, n) != n ||
	    rte_eth_xstats_get(p->port, vals, n) != n) {
		printf("XSTATS unavailable\n");
	} else {
		for (i = 0; i < n; i++)
			printf("XSTAT %s=%" PRIu64 "\n", names[vals[i].id].name,
				vals[i].value);
		/* And what a reset leaves: every counter at 0. */
		if (rte_eth_xstats_reset(p->port) == 0 &&
		    rte_eth_xstats_get(p->port, vals, n) == n) {
			int nonzero = 0;

			for (i = 0; i < n; i++)
				nonzero += vals[i].value != 0;
			printf("XRESET nonzero=%d\n", nonzero);
		}
	}
	free(names);
	free(vals);
}

static void
print_stats(const struct peer *p)
{
	struct rte_eth_stats s;
	uint16_t q;

	if (rte_eth_stats_get(p->port, &s) < 0) {
		printf("STATS unavailable\n");
		return;
	}
	printf("STATS ipackets=%" PRIu64 " opackets=%" PRIu64
	       " ibytes=%" PRIu64 " obytes=%" PRIu64 " imissed=%" PRIu64
	       " ierrors=%" PRIu64 " oerrors=%" PRIu64 " rx_nombuf=%" PRIu64 "\n",
	       s.ipackets, s.opackets, s.ibytes, s.obytes, s.imissed,
	       s.ierrors, s.oerrors, s.rx_nombuf);
	for (q = 0; q < p->nb_queues; q++)
		printf("QSTATS q=%u ipackets=%" PRIu64 " ibytes=%" PRIu64
		       " opackets=%" PRIu64 " obytes=%" PRIu64 "\n", q,
		       s.q_ipackets[q], s.q_ibytes[q], s.q_opackets[q], s.q_obytes[q]);
}

/* ------------------------------------------------------------ receive */

/* Account one received packet; true if it is to be echoed. */
static bool
rx_one(struct peer *p, const struct rte_mbuf *m)
{
	struct pkt_info info;
	char why[128];

	if (pkt_check(m, &info, why, sizeof(why)) < 0)
		goto bad;
	p->peer_seen = true;
	if (p->vlan && (!(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) ||
			m->vlan_tci != p->vlan_tci)) {
		snprintf(why, sizeof(why), "seq %u: VLAN %s (tci %u), want tci %u stripped",
			info.seq, m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED ?
			"stripped" : "not stripped", m->vlan_tci, p->vlan_tci);
		goto bad;
	}
	if (m->nb_segs > 1)
		p->rx_multiseg++;
	if (RTE_MBUF_HAS_EXTBUF(m))
		p->rx_extbuf++;
	if (info.magic == PKT_MAGIC_FILL) {
		p->rx_filler++;
		return false;
	}
	if (info.seq < p->rx_base) {
		p->rx_stale++;
		p->rx_stale_bytes += info.len;
		if (p->progress && p->rx_stale % p->progress == 0)
			printf("PROGRESS stale=%" PRIu64 "\n", p->rx_stale);
		return false;
	}
	info.seq -= p->rx_base;
	if (p->rx_n) {
		if (info.seq >= p->rx_n) {
			snprintf(why, sizeof(why), "seq %u beyond --rx", info.seq);
			goto bad;
		}
		if (p->nsizes && info.len != size_of(p, info.seq)) {
			snprintf(why, sizeof(why), "seq %u has %u bytes, want %u",
				info.seq, info.len, size_of(p, info.seq));
			goto bad;
		}
		if (p->seen[info.seq]) {
			if (p->rx_dup++ < PEER_MAX_REPORTS)
				printf("DUP seq %u\n", info.seq);
			return false;
		}
		p->seen[info.seq] = 1;
	}
	p->rx_ok++;
	p->rx_bytes += info.len;
	if (p->progress && p->rx_ok % p->progress == 0)
		printf("PROGRESS rx_ok=%" PRIu64 "\n", p->rx_ok);
	return p->echo;
bad:
	if (p->rx_bad++ < PEER_MAX_REPORTS)
		printf("BAD %s\n", why);
	return false;
}

/* Once the gate file exists: say how many packets wait in each Rx queue,
 * then receive as usual. */
static bool
rx_gate_open(struct peer *p)
{
	uint16_t q;

	if (access(p->rx_gate, F_OK) != 0)
		return false;
	for (q = 0; q < p->nb_queues; q++)
		printf("RXCOUNT q=%u n=%d\n", q, rte_eth_rx_queue_count(p->port, q));
	p->rx_gate = NULL;
	return true;
}

static unsigned int
rx_step(struct peer *p)
{
	struct rte_mbuf *pkts[PEER_BURST];
	uint16_t q = p->next_rxq;
	unsigned int i, n;

	if (p->echo && p->npend)
		return 0;	/* send the echoes back first */
	if (p->rx_gate != NULL && !rx_gate_open(p))
		return 0;
	p->next_rxq = (q + 1) % p->nb_queues;
	n = rte_eth_rx_burst(p->port, q, pkts, PEER_BURST);
	for (i = 0; i < n; i++) {
		if (rx_one(p, pkts[i])) {
			p->pend_kind = PEND_ECHO;
			p->pend_q = q;
			p->pend_len[p->npend] = pkts[i]->pkt_len;
			p->pend[p->npend++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return n;
}

/* ----------------------------------------------------------- transmit */

static void
refill_data(struct peer *p)
{
	struct rte_mbuf *m;
	uint32_t len;

	uint64_t limit = p->tx_n;

	if (p->pps) {
		uint64_t hz = rte_get_timer_hz();
		uint64_t elapsed = rte_get_timer_cycles() - p->start_cycles;

		limit = RTE_MIN(limit, 1 + elapsed / hz * p->pps +
				(elapsed % hz) * p->pps / hz);
	}
	p->pend_kind = PEND_DATA;
	if (p->pace_n && rte_get_timer_cycles() < p->pace_until)
		return;
	while (p->npend < PEER_BURST && p->tx_seq < limit) {
		len = size_of(p, p->tx_seq);
		m = pkt_build(p->mp, PKT_MAGIC_DATA, p->tx_base + p->tx_seq, len,
				segs_of(p, p->tx_seq));
		if (m == NULL)
			break;	/* pool empty: the ring still holds mbufs */
		if (p->vlan) {
			m->ol_flags |= RTE_MBUF_F_TX_VLAN;
			m->vlan_tci = p->vlan_tx_tci;
		}
		p->pend_len[p->npend] = len;
		p->pend[p->npend++] = m;
		p->tx_seq++;
		if (p->pace_n && p->tx_seq % p->pace_n == 0) {
			p->pace_until = rte_get_timer_cycles() +
				rte_get_timer_hz() * p->pace_ms / 1000;
			break;
		}
	}
}

static void
refill_filler(struct peer *p)
{
	struct rte_mbuf *m;

	p->pend_kind = PEND_FILL;
	while (p->npend < PEER_FILL_BURST) {
		m = pkt_build(p->mp, PKT_MAGIC_FILL, p->filler_seq++, 64, 1);
		if (m == NULL)
			break;
		p->pend_len[p->npend] = 64;
		p->pend[p->npend++] = m;
	}
}

/* The tx gate is open once its file exists (looked up until then). */
static bool
tx_gate_open(struct peer *p)
{
	if (p->tx_gate == NULL)
		return true;
	if (access(p->tx_gate, F_OK) != 0)
		return false;
	p->tx_gate = NULL;
	return true;
}

static void
refill(struct peer *p)
{
	bool may_send = (p->link_up || !p->wait_link || p->burst_anytime) &&
		(p->peer_seen || !p->wait_peer) && tx_gate_open(p);

	p->pend_q = p->next_txq;
	p->next_txq = (p->next_txq + 1) % p->nb_queues;
	if (may_send && p->tx_seq < p->tx_n) {
		refill_data(p);
		/* Some PMDs (virtio) insert the VLAN tag in tx_prepare. */
		if (p->vlan && p->npend &&
		    rte_eth_tx_prepare(p->port, p->pend_q, p->pend, p->npend) != p->npend)
			printf("TX prepare failed: %s\n", rte_strerror(rte_errno));
	}
	else if (p->burst_anytime)
		refill_filler(p);
}

static void
tx_account(struct peer *p, unsigned int from, unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		switch (p->pend_kind) {
		case PEND_DATA:
			p->tx_sent++;
			p->tx_bytes += p->pend_len[i];
			break;
		case PEND_ECHO:
			p->echoed++;
			break;
		case PEND_FILL:
			p->filler_sent++;
			break;
		}
	}
}

/* Fillers are never retried; echoes are dropped once the link is down;
 * test data is retried until sent (or the timeout). */
static bool
pend_droppable(struct peer *p)
{
	return p->pend_kind == PEND_FILL ||
		(p->pend_kind == PEND_ECHO && !link_check(p));
}

/* Returns how many packets other than fillers were sent. */
static unsigned int
tx_step(struct peer *p)
{
	unsigned int k, left;

	if (p->npend == 0)
		refill(p);
	if (p->npend == 0)
		return 0;
	left = p->npend - p->pend_off;
	/* Lengths are read before: sent mbufs belong to the driver. */
	k = rte_eth_tx_burst(p->port, p->pend_q, p->pend + p->pend_off, left);
	tx_account(p, p->pend_off, p->pend_off + k);
	p->pend_off += k;
	if (k < left && pend_droppable(p)) {
		if (p->pend_kind == PEND_ECHO)
			p->dropped += left - k;
		rte_pktmbuf_free_bulk(p->pend + p->pend_off, left - k);
		p->pend_off = p->npend;
	}
	if (p->pend_off == p->npend)
		p->npend = p->pend_off = 0;
	return p->pend_kind == PEND_FILL ? 0 : k;
}

static void
pend_free(struct peer *p)
{
	rte_pktmbuf_free_bulk(p->pend + p->pend_off, p->npend - p->pend_off);
	p->npend = p->pend_off = 0;
}

/* -------------------------------------------------------------- main */

static bool
work_done(const struct peer *p)
{
	return p->tx_sent == p->tx_n && p->rx_ok >= p->rx_expected;
}

static void
idle_burst_count(struct peer *p)
{
	if (!p->burst_anytime || p->link_up)
		return;
	if (++p->idle_bursts == PEER_IDLE_MILESTONE)
		printf("IDLE bursts=%u link=down\n", PEER_IDLE_MILESTONE);
}

/* Arm every Rx queue's interrupt, sleep until the guest kicks one (or a
 * bound, for quit and the deadline), disarm. */
static void
intr_sleep(struct peer *p)
{
	struct rte_epoll_event ev[PEER_MAX_QUEUES];
	uint16_t q;
	int n;

	for (q = 0; q < p->nb_queues; q++)
		rte_eth_dev_rx_intr_enable(p->port, q);
	p->sleeps++;
	n = rte_epoll_wait_interruptible(RTE_EPOLL_PER_THREAD, ev, p->nb_queues,
			PEER_SLEEP_MS);
	if (n > 0)
		p->wakeups++;
	else if (n == 0)
		p->timeouts++;
	for (q = 0; q < p->nb_queues; q++)
		rte_eth_dev_rx_intr_disable(p->port, q);
}

/* Is the packet of (relative) sequence number seq expected at all? */
static bool
rx_expects(const struct peer *p, uint64_t seq)
{
	return p->rx_max_size == 0 || size_of(p, seq) <= p->rx_max_size;
}

/* How many of the first rx_n sequence numbers --rx expects. */
static uint64_t
rx_expected_count(const struct peer *p)
{
	uint64_t seq, n = 0;

	for (seq = 0; seq < p->rx_n; seq++)
		n += rx_expects(p, seq);
	return n;
}

static void
run(struct peer *p)
{
	uint64_t hz = rte_get_timer_hz(), now, deadline, linger_end = 0;
	unsigned int work;

	p->start_cycles = rte_get_timer_cycles();
	deadline = p->start_cycles + p->timeout_s * hz;
	while (!quit) {
		now = rte_get_timer_cycles();
		if (now >= deadline) {
			if (!p->done)
				printf("TIMEOUT after %u s\n", p->timeout_s);
			break;
		}
		events_poll(p);
		link_poll(p, now);
		if (finish) {
			/* SIGUSR2: no new data, expect back only what was sent. */
			finish = 0;
			p->tx_n = p->tx_seq;
			p->rx_n = RTE_MIN(p->rx_n, p->tx_seq);
			p->rx_expected = rx_expected_count(p);
			printf("FINISH tx=%" PRIu64 "\n", p->tx_n);
		}
		if (dump_others) {
			dump_others = 0;
			others_print(p);
		}
		work = rx_step(p);
		work += tx_step(p);
		work += others_step(p);
		idle_burst_count(p);
		if (!p->done && work_done(p)) {
			printf("DONE\n");
			p->done = true;
			linger_end = now + hz * p->linger_ms / 1000;
		}
		if (p->done && !p->hold && now >= linger_end)
			break;
		if (work == 0 && p->intr && ++p->idle_loops >= PEER_IDLE_BEFORE_SLEEP &&
		    p->npend == 0 && p->tx_seq == p->tx_n) {
			intr_sleep(p);
			p->idle_loops = 0;
		} else if (work == 0) {
			rte_delay_us_sleep(p->idle_us);
		} else {
			p->idle_loops = 0;
		}
	}
}


/* Print the first ranges of sequence numbers expected but not received. */
static void
report_missing(const struct peer *p)
{
	uint64_t seq, first;
	unsigned int ranges = 0;

	for (seq = 0; seq < p->rx_n && ranges < PEER_MAX_REPORTS; seq++) {
		if (p->seen[seq] || !rx_expects(p, seq))
			continue;
		first = seq;
		while (seq + 1 < p->rx_n && !p->seen[seq + 1] && rx_expects(p, seq + 1))
			seq++;
		printf("MISSING seq %" PRIu64 "..%" PRIu64 "\n", first, seq);
		ranges++;
	}
}

/* Print what happened; 0 if it is what was asked for. */
static int
report(const struct peer *p)
{
	uint64_t missing = p->rx_expected > p->rx_ok ? p->rx_expected - p->rx_ok : 0;
	const char *why = NULL;

	printf("TX sent=%" PRIu64 " bytes=%" PRIu64 " filler=%" PRIu64
	       " echoed=%" PRIu64 " dropped=%" PRIu64 "\n",
	       p->tx_sent, p->tx_bytes, p->filler_sent, p->echoed, p->dropped);
	printf("RX ok=%" PRIu64 " bad=%" PRIu64 " dup=%" PRIu64
	       " missing=%" PRIu64 " bytes=%" PRIu64 " filler=%" PRIu64
	       " stale=%" PRIu64 " stale_bytes=%" PRIu64 " multiseg=%" PRIu64
	       " extbuf=%" PRIu64 "\n",
	       p->rx_ok, p->rx_bad, p->rx_dup, missing, p->rx_bytes,
	       p->rx_filler, p->rx_stale, p->rx_stale_bytes, p->rx_multiseg,
	       p->rx_extbuf);
	if (missing)
		report_missing(p);
	if (p->stats)
		print_stats(p);
	if (p->xstats)
		print_xstats(p);
	if (p->intr)
		printf("INTR sleeps=%" PRIu64 " wakeups=%" PRIu64 " timeouts=%" PRIu64 "\n",
			p->sleeps, p->wakeups, p->timeouts);
	if (p->tx_sent != p->tx_n)
		why = "not everything was sent";
	else if (missing)
		why = "packets missing";
	else if (p->rx_bad || p->rx_dup)
		why = "bad or duplicate packets";
	if (why)
		printf("RESULT fail: %s\n", why);
	else
		printf("RESULT pass\n");
	return why ? 1 : 0;
}

static int
peer_init(struct peer *p)
{
	if (rte_eth_dev_count_avail() == 0) {
		printf("RESULT fail: no port\n");
		return -1;
	}
	p->port = rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER);
	if (p->port_name != NULL &&
	    rte_eth_dev_get_port_by_name(p->port_name, &p->port) != 0) {
		printf("RESULT fail: no port %s\n", p->port_name);
		return -1;
	}
	p->mp = rte_pktmbuf_pool_create("peer_pool", PEER_NB_MBUF, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (p->mp == NULL) {
		printf("RESULT fail: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (p->rx_n) {
		p->seen = calloc(p->rx_n, 1);
		if (p->seen == NULL)
			return -1;
		p->rx_expected = rx_expected_count(p);
	}
	/* Others first: the driven port's READY comes last. */
	if (p->echo_others && others_setup(p) < 0)
		return -1;
	if (port_setup(p) < 0) {
		printf("RESULT fail: port %u set-up failed\n", p->port);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct peer peer = { .timeout_s = 30, .linger_ms = 100, .idle_us = 100,
			     .nb_queues = 1 };
	struct peer *p = &peer;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		printf("RESULT fail: EAL init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (parse_args(p, argc, argv) < 0) {
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_usr);
	signal(SIGUSR2, on_usr);
	/* virtio_user writes to a socket the vhost side may have closed. */
	signal(SIGPIPE, SIG_IGN);

	if (peer_init(p) < 0) {
		rte_eal_cleanup();
		return 1;
	}
	run(p);
	pend_free(p);
	events_poll(p);
	ret = report(p);
	if (p->nb_others)
		others_print(p);
	events_fini(p);
	others_fini(p);
	rte_eth_dev_stop(p->port);
	rte_eth_dev_close(p->port);
	free(p->seen);
	rte_eal_cleanup();
	return ret;
}
