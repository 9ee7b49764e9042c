/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-switch: a learning switch between the guests of net_vhost ports and
 * one uplink port, after DPDK's classic vhost-switch sample (examples/vhost),
 * with the classification its VMDQ pools did done in software.
 *
 * - Each net_vhost port is a VM port with its own VLAN, --vlan-base plus
 *   its index among the VM ports (1000, 1001, ... as in the sample).
 * - A VM port learns its guest's MAC address from the source of the first
 *   frame the guest sends from a unicast address, and forgets it when its link
 *   goes down (the next guest may have another address). An address
 *   another VM port owns is refused: that port's frames are dropped until
 *   it sends from an address of its own.
 * - A frame from a guest goes to the VM port that owns its destination,
 *   else to the uplink with the port's VLAN tag inserted. Broadcast and
 *   multicast go to every other VM port and to the uplink.
 * - A frame from the uplink must carry the VLAN of a VM port (untagged ones
 *   and unknown VLANs are dropped, as VMDQ's filters drop them); it goes,
 *   untagged, to that port if its destination is the port's address,
 *   broadcast or multicast. --no-vlan: no tags either way, the destination
 *   address alone picks the VM port.
 *
 * One lcore polls every port. What a guest's ring has no room for is
 * retried for --retry-us microseconds, then dropped and counted. It prints:
 *
 *   READY ports=N uplink=NAME|none
 *   LINK port=NAME up|down                  (polled every 100 ms)
 *   LEARN port=NAME mac=M vlan=V|none | UNLEARN port=NAME mac=M
 *   REFUSE port=NAME mac=M owner=NAME       (once per address and port)
 *   PORT name=NAME role=vm|uplink rx=.. to_vm=.. to_uplink=.. flooded=..
 *        drop_nodest=.. drop_full=.. drop_vlan=..   (SIGUSR1 and the end)
 *   MBUFS in_use=N                          (the end, every port closed)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define SW_MAX_PORTS	RTE_MAX_ETHPORTS
#define SW_BURST	32
#define SW_NB_MBUF	16383
#define SW_NB_DESC	1024
#define SW_LINK_POLL_MS	100

struct sw_counters {
	uint64_t rx;		/* frames received */
	uint64_t to_vm;		/* unicast to a VM port */
	uint64_t to_uplink;	/* unicast to the uplink */
	uint64_t flooded;	/* broadcast/multicast, sent to all */
	uint64_t drop_nodest;	/* nowhere to go (unknown, hairpin, refused source) */
	uint64_t drop_full;	/* the destination had no room */
	uint64_t drop_vlan;	/* uplink: untagged or no VM port's VLAN */
};

struct sw_port {
	uint16_t port_id;
	bool uplink;
	bool learned;
	bool link_up;
	uint16_t vlan;
	struct rte_ether_addr mac;
	struct rte_ether_addr refused;	/* last address refused (REFUSE once) */
	char name[RTE_ETH_NAME_MAX_LEN];
	struct sw_counters c;
	/* Frames queued for this port in the current round. */
	uint16_t nb_out;
	struct rte_mbuf *out[SW_BURST * 4];
};

struct sw {
	struct sw_port ports[SW_MAX_PORTS];
	uint16_t nb_ports;
	int uplink;			/* index in ports[], or -1 */
	bool vlan;
	uint16_t vlan_base;
	uint64_t retry_cycles;
	struct rte_mempool *mp;
};

static volatile sig_atomic_t sw_quit;
static volatile sig_atomic_t sw_dump;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		sw_dump = 1;
	else
		sw_quit = 1;
}

/* Lower case, as ip(8) and QEMU print them. */
static void
mac_str(const struct rte_ether_addr *a, char *buf)
{
	const uint8_t *b = a->addr_bytes;

	snprintf(buf, RTE_ETHER_ADDR_FMT_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5]);
}

static void
counters_print(const struct sw *s)
{
	uint16_t i;

	for (i = 0; i < s->nb_ports; i++) {
		const struct sw_port *p = &s->ports[i];

		printf("PORT name=%s role=%s rx=%" PRIu64 " to_vm=%" PRIu64
		       " to_uplink=%" PRIu64 " flooded=%" PRIu64 " drop_nodest=%" PRIu64
		       " drop_full=%" PRIu64 " drop_vlan=%" PRIu64 "\n",
		       p->name, p->uplink ? "uplink" : "vm", p->c.rx, p->c.to_vm,
		       p->c.to_uplink, p->c.flooded, p->c.drop_nodest, p->c.drop_full,
		       p->c.drop_vlan);
	}
	fflush(stdout);
}

/* ------------------------------------------------------------ learning */

static struct sw_port *
vm_by_mac(struct sw *s, const struct rte_ether_addr *mac)
{
	uint16_t i;

	for (i = 0; i < s->nb_ports; i++) {
		struct sw_port *p = &s->ports[i];

		if (!p->uplink && p->learned && rte_is_same_ether_addr(&p->mac, mac))
			return p;
	}
	return NULL;
}

static struct sw_port *
vm_by_vlan(struct sw *s, uint16_t vlan)
{
	uint16_t i;

	for (i = 0; i < s->nb_ports; i++)
		if (!s->ports[i].uplink && s->ports[i].vlan == vlan)
			return &s->ports[i];
	return NULL;
}

/*
 * Learn the guest's address from its frame's source. false: the source is
 * another port's (or not a unicast address) and the frame must not pass.
 */
static bool
vm_learn(struct sw *s, struct sw_port *p, const struct rte_ether_addr *src)
{
	struct sw_port *owner;
	char m[RTE_ETHER_ADDR_FMT_SIZE];

	if (p->learned)
		return true;
	if (!rte_is_valid_assigned_ether_addr(src))
		return false;
	owner = vm_by_mac(s, src);
	if (owner != NULL) {
		if (!rte_is_same_ether_addr(&p->refused, src)) {
			p->refused = *src;
			mac_str(src, m);
			printf("REFUSE port=%s mac=%s owner=%s\n", p->name, m, owner->name);
			fflush(stdout);
		}
		return false;
	}
	p->mac = *src;
	p->learned = true;
	mac_str(src, m);
	if (s->vlan)
		printf("LEARN port=%s mac=%s vlan=%u\n", p->name, m, p->vlan);
	else
		printf("LEARN port=%s mac=%s vlan=none\n", p->name, m);
	fflush(stdout);
	return true;
}

/* Track links; forget a guest whose link went down: the next may have another MAC. */
static void
links_poll(struct sw *s)
{
	char m[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_eth_link link;
	uint16_t i;

	for (i = 0; i < s->nb_ports; i++) {
		struct sw_port *p = &s->ports[i];

		if (rte_eth_link_get_nowait(p->port_id, &link) < 0)
			continue;
		if (p->link_up != (link.link_status == RTE_ETH_LINK_UP)) {
			p->link_up = !p->link_up;
			printf("LINK port=%s %s\n", p->name, p->link_up ? "up" : "down");
			fflush(stdout);
		}
		if (p->link_up || p->uplink || !p->learned)
			continue;
		p->learned = false;
		memset(&p->refused, 0, sizeof(p->refused));
		mac_str(&p->mac, m);
		printf("UNLEARN port=%s mac=%s\n", p->name, m);
		fflush(stdout);
	}
}

/* ------------------------------------------------------------- output */

/* Send what is queued for dst; retry a full ring for retry_cycles. */
static void
out_flush(struct sw *s, struct sw_port *dst)
{
	uint16_t sent = 0, n = dst->nb_out;
	uint64_t deadline = 0;

	while (sent < n) {
		sent += rte_eth_tx_burst(dst->port_id, 0, dst->out + sent, n - sent);
		if (sent == n || sw_quit)
			break;
		if (deadline == 0)
			deadline = rte_get_tsc_cycles() + s->retry_cycles;
		else if (rte_get_tsc_cycles() >= deadline)
			break;
		rte_pause();
	}
	if (sent < n) {
		dst->c.drop_full += n - sent;
		rte_pktmbuf_free_bulk(dst->out + sent, n - sent);
	}
	dst->nb_out = 0;
}

/* Queue m for dst, making room first: out[] holds at most a round's worth. */
static void
out_put(struct sw *s, struct sw_port *dst, struct rte_mbuf *m)
{
	if (dst->nb_out == RTE_DIM(dst->out))
		out_flush(s, dst);
	dst->out[dst->nb_out++] = m;
}

/* rte_vlan_insert() writes into the frame's first segment. */
static bool
vlan_insertable(const struct rte_mbuf *m)
{
	return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 &&
	       rte_pktmbuf_headroom(m) >= sizeof(struct rte_vlan_hdr);
}

/*
 * The frame for the uplink, tagged unless --no-vlan. With copy, m stays
 * the caller's and a copy goes out. Without, m itself goes, or a copy (m
 * freed) when m cannot take the tag in place (shared, or an external buffer
 * of ext-buffer=1). NULL (counted as full) if no mbuf.
 */
static struct rte_mbuf *
uplink_frame(struct sw *s, struct sw_port *src, struct rte_mbuf *m, bool copy)
{
	struct rte_mbuf *c = m;

	if (copy || (s->vlan && !vlan_insertable(m))) {
		c = rte_pktmbuf_copy(m, s->mp, 0, UINT32_MAX);
		if (!copy)
			rte_pktmbuf_free(m);
		if (c == NULL)
			return NULL;
	}
	if (s->vlan) {
		c->vlan_tci = src->vlan;
		if (rte_vlan_insert(&c) < 0) {
			rte_pktmbuf_free(c);
			return NULL;
		}
	}
	return c;
}

/* ------------------------------------------------------------ routing */

/*
 * Queue m for every VM port with a link but except (the sender, or NULL).
 * Our net_vhost copies into the guest and frees: they share m, every
 * segment of it; the caller still holds its own reference.
 */
static void
flood_vms(struct sw *s, struct rte_mbuf *m, const struct sw_port *except)
{
	uint16_t i;

	for (i = 0; i < s->nb_ports; i++) {
		struct sw_port *d = &s->ports[i];

		if (d == except || d->uplink || !d->link_up)
			continue;
		rte_pktmbuf_refcnt_update(m, 1);
		out_put(s, d, m);
	}
}

/* Broadcast/multicast from a guest: every other VM port with a link, and the uplink. */
static void
vm_flood(struct sw *s, struct sw_port *src, struct rte_mbuf *m)
{
	struct sw_port *up = s->uplink >= 0 ? &s->ports[s->uplink] : NULL;

	flood_vms(s, m, src);
	if (up != NULL) {
		struct rte_mbuf *c = uplink_frame(s, src, m, true);

		if (c != NULL)
			out_put(s, up, c);
		else
			up->c.drop_full++;
	}
	src->c.flooded++;
	rte_pktmbuf_free(m);
}

static void
from_vm(struct sw *s, struct sw_port *src, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct sw_port *dst;

	if (m->data_len < RTE_ETHER_HDR_LEN || !vm_learn(s, src, &eth->src_addr)) {
		src->c.drop_nodest++;
		rte_pktmbuf_free(m);
		return;
	}
	if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
		vm_flood(s, src, m);
		return;
	}
	dst = vm_by_mac(s, &eth->dst_addr);
	if (dst != NULL && dst != src) {
		src->c.to_vm++;
		out_put(s, dst, m);
		return;
	}
	if (dst == NULL && s->uplink >= 0) {
		m = uplink_frame(s, src, m, false);
		if (m == NULL) {
			s->ports[s->uplink].c.drop_full++;
			return;
		}
		src->c.to_uplink++;
		out_put(s, &s->ports[s->uplink], m);
		return;
	}
	src->c.drop_nodest++;	/* to itself, or no uplink */
	rte_pktmbuf_free(m);
}

/*
 * Take the VLAN tag off a frame from the uplink (or the one the port
 * stripped); the VM port of that VLAN, or NULL.
 */
static struct sw_port *
uplink_untag(struct sw *s, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (!(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) &&
	    (m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr) ||
	     eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) ||
	     rte_vlan_strip(m) < 0))
		return NULL;
	/* The guest gets the frame as sent, without the tag. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	return vm_by_vlan(s, m->vlan_tci & RTE_VLAN_ID_MASK);
}

static void
from_uplink(struct sw *s, struct sw_port *up, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	struct sw_port *vm = NULL;

	if (s->vlan) {
		vm = uplink_untag(s, m);
		if (vm == NULL) {
			up->c.drop_vlan++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	if (m->data_len < RTE_ETHER_HDR_LEN)
		goto nodest;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
		up->c.flooded++;
		if (vm != NULL) {
			out_put(s, vm, m);	/* the only member of its VLAN */
			return;
		}
		flood_vms(s, m, NULL);	/* --no-vlan: every VM port */
		rte_pktmbuf_free(m);
		return;
	}
	if (vm == NULL)
		vm = vm_by_mac(s, &eth->dst_addr);
	else if (!vm->learned || !rte_is_same_ether_addr(&vm->mac, &eth->dst_addr))
		vm = NULL;
	if (vm == NULL)
		goto nodest;
	up->c.to_vm++;
	out_put(s, vm, m);
	return;
nodest:
	up->c.drop_nodest++;
	rte_pktmbuf_free(m);
}

static void
port_poll(struct sw *s, struct sw_port *p)
{
	struct rte_mbuf *pkts[SW_BURST];
	uint16_t n, i;

	n = rte_eth_rx_burst(p->port_id, 0, pkts, SW_BURST);
	p->c.rx += n;
	for (i = 0; i < n; i++) {
		if (p->uplink)
			from_uplink(s, p, pkts[i]);
		else
			from_vm(s, p, pkts[i]);
	}
}

static void
switch_loop(struct sw *s)
{
	uint64_t link_period = rte_get_tsc_hz() * SW_LINK_POLL_MS / 1000;
	uint64_t next_link = 0;
	uint16_t i;

	while (!sw_quit) {
		if (rte_get_tsc_cycles() >= next_link) {
			links_poll(s);
			next_link = rte_get_tsc_cycles() + link_period;
		}
		for (i = 0; i < s->nb_ports; i++)
			port_poll(s, &s->ports[i]);
		for (i = 0; i < s->nb_ports; i++)
			if (s->ports[i].nb_out != 0)
				out_flush(s, &s->ports[i]);
		if (sw_dump) {
			sw_dump = 0;
			counters_print(s);
		}
	}
}

/* -------------------------------------------------------------- setup */

static int
port_setup(struct sw *s, struct sw_port *p)
{
	struct rte_eth_conf conf = { 0 };
	int ret;

	ret = rte_eth_dev_configure(p->port_id, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(p->port_id, 0, SW_NB_DESC,
					     rte_eth_dev_socket_id(p->port_id), NULL, s->mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(p->port_id, 0, SW_NB_DESC,
					     rte_eth_dev_socket_id(p->port_id), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(p->port_id);
	/* Frames for the guests' addresses, not the port's own. */
	if (ret == 0)
		ret = rte_eth_promiscuous_enable(p->port_id);
	if (ret < 0)
		fprintf(stderr, "vhost-switch: port %s: setup failed: %s\n",
			p->name, rte_strerror(-ret));
	return ret;
}

/* Sort the ports into VM ports (net_vhost) and the uplink. */
static int
ports_init(struct sw *s, const char *uplink)
{
	struct rte_eth_dev_info info;
	uint16_t pid, nvm = 0;
	int ret;

	s->uplink = -1;
	RTE_ETH_FOREACH_DEV(pid) {
		struct sw_port *p = &s->ports[s->nb_ports];

		p->port_id = pid;
		ret = rte_eth_dev_get_name_by_port(pid, p->name);
		if (ret == 0)
			ret = rte_eth_dev_info_get(pid, &info);
		if (ret < 0)
			return ret;
		if (uplink != NULL && strcmp(p->name, uplink) == 0) {
			p->uplink = true;
			s->uplink = s->nb_ports;
		} else if (strcmp(info.driver_name, "net_vhost") == 0) {
			p->vlan = s->vlan_base + nvm++;
			if (s->vlan && p->vlan > RTE_ETHER_MAX_VLAN_ID) {
				fprintf(stderr, "vhost-switch: port %s: VLAN %u is over %u"
					" (--vlan-base)\n", p->name, p->vlan,
					RTE_ETHER_MAX_VLAN_ID);
				return -EINVAL;
			}
		} else {
			fprintf(stderr, "vhost-switch: port %s (driver %s) is not a net_vhost"
				" port; name it with --uplink to use it as the uplink\n",
				p->name, info.driver_name);
			return -EINVAL;
		}
		s->nb_ports++;
	}
	if (uplink != NULL && s->uplink < 0) {
		fprintf(stderr, "vhost-switch: --uplink %s: no such port\n", uplink);
		return -ENODEV;
	}
	if (nvm == 0) {
		fprintf(stderr, "vhost-switch: no net_vhost port (--vdev net_vhostN,iface=...)\n");
		return -ENODEV;
	}
	return 0;
}

static void
usage(const char *prog)
{
	printf("usage: %s <EAL args> -- [options]\n"
	       "  --uplink NAME     the port (device name) that leads to the network\n"
	       "  --vlan-base V     VLAN of the first VM port (default 1000)\n"
	       "  --no-vlan         no VLAN tags: the destination MAC alone decides\n"
	       "  --retry-us US     retry a full guest ring this long (default 15)\n",
	       prog);
}

static int
parse_u32(const char *arg, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(arg, &end, 10);
	if (errno != 0 || *arg == '\0' || *end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

static int
parse_args(struct sw *s, int argc, char **argv, const char **uplink)
{
	enum { O_UPLINK = 256, O_VLAN_BASE, O_NO_VLAN, O_RETRY, O_HELP };
	static const struct option opts[] = {
		{ "uplink", required_argument, NULL, O_UPLINK },
		{ "vlan-base", required_argument, NULL, O_VLAN_BASE },
		{ "no-vlan", no_argument, NULL, O_NO_VLAN },
		{ "retry-us", required_argument, NULL, O_RETRY },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v, retry_us = 15;
	int o, li = 0;

	s->vlan = true;
	s->vlan_base = 1000;
	while ((o = getopt_long(argc, argv, "", opts, &li)) != -1) {
		switch (o) {
		case O_UPLINK: *uplink = optarg; break;
		case O_NO_VLAN: s->vlan = false; break;
		case O_VLAN_BASE:
			if (parse_u32(optarg, RTE_ETHER_MAX_VLAN_ID, &v) < 0 || v == 0)
				goto bad;
			s->vlan_base = v;
			break;
		case O_RETRY:
			if (parse_u32(optarg, 10 * 1000 * 1000, &retry_us) < 0)
				goto bad;
			break;
		case O_HELP: usage(argv[0]); exit(0);
		default: goto bad_usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vhost-switch: unexpected argument %s\n", argv[optind]);
		goto bad_usage;
	}
	s->retry_cycles = rte_get_tsc_hz() * retry_us / 1000000;
	return 0;
bad:
	/* (opts[li], not argv: "--opt=V" and "--opt V" end in different words) */
	fprintf(stderr, "vhost-switch: bad value for --%s: %s\n", opts[li].name, optarg);
bad_usage:
	usage(argv[0]);
	return -1;
}

int
main(int argc, char **argv)
{
	static struct sw s;
	const char *uplink = NULL;
	uint16_t i;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "vhost-switch: EAL init failed\n");
		return 1;
	}
	argc -= ret;
	argv += ret;
	if (parse_args(&s, argc, argv, &uplink) < 0 || ports_init(&s, uplink) < 0)
		goto fail;
	s.mp = rte_pktmbuf_pool_create("sw_pool", SW_NB_MBUF, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (s.mp == NULL) {
		fprintf(stderr, "vhost-switch: no mbuf pool: %s\n", rte_strerror(rte_errno));
		goto fail;
	}
	for (i = 0; i < s.nb_ports; i++)
		if (port_setup(&s, &s.ports[i]) < 0)
			goto fail;
	printf("READY ports=%u uplink=%s\n", s.nb_ports, uplink != NULL ? uplink : "none");
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	switch_loop(&s);
	counters_print(&s);
	for (i = 0; i < s.nb_ports; i++) {
		rte_eth_dev_stop(s.ports[i].port_id);
		rte_eth_dev_close(s.ports[i].port_id);
	}
	/* Every port is closed: an mbuf still out is a leak (a flood's refcount). */
	printf("MBUFS in_use=%u\n", rte_mempool_in_use_count(s.mp));
	fflush(stdout);
	rte_eal_cleanup();
	return 0;
fail:
	rte_eal_cleanup();
	return 1;
}
