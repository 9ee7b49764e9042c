/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-hotplug: rte_dev_probe() and rte_dev_remove() of many net_vhost
 * ports, round after round, checking that nothing leaks:
 *
 *   - file descriptors (the entries of /proc/self/fd),
 *   - rte_malloc memory (heap_allocsz_bytes/alloc_count of every socket),
 *   - socket files (each port's iface must be gone after its remove).
 *
 * Each round probes --ports ports (iface DIR/hpN.sock), sets each up and
 * starts it, optionally connects a vhost-user frontend to each socket
 * (--connect: one request answered, so the library holds a device for
 * each) and hangs up on all, then removes them: even ports straight with
 * rte_dev_remove(), odd ones with stop + close first. The state after
 * round 2 is the reference: round 1 starts the library's control thread
 * and fills EAL caches, and the library keeps its device slots for reuse
 * (at most one more than were ever in use at once, which round 2 reaches
 * as it does not hand the last freed vid out again at once). Every later
 * round must end in exactly that state. Prints one ROUND line per round and
 * RESULT pass | RESULT fail: reason; exit status 0 only on pass. The
 * rounds start when the file DIR/go appears (it is removed).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define HP_MAX_PORTS	64

struct hp {
	const char *dir;
	unsigned int ports;
	unsigned int rounds;
	unsigned int queues;
	bool connect;
	struct rte_mempool *mp;
};

struct snapshot {
	unsigned int fds;
	uint64_t heap_bytes;
	uint64_t heap_allocs;
};

static unsigned int
fd_count(void)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static void
snapshot_take(struct snapshot *s)
{
	struct rte_malloc_socket_stats st;
	unsigned int i;

	s->fds = fd_count();
	s->heap_bytes = 0;
	s->heap_allocs = 0;
	for (i = 0; i < rte_socket_count(); i++) {
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) < 0)
			continue;
		s->heap_bytes += st.heap_allocsz_bytes;
		s->heap_allocs += st.alloc_count;
	}
}

static void
sock_path(const struct hp *h, unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s/hp%u.sock", h->dir, i);
}

static bool
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Connect to a port's socket as a frontend would and ask for the features
 * (VHOST_USER_GET_FEATURES, version 1): once the reply is in, the library
 * holds a device for this connection. Returns the connected fd or -errno.
 */
static int
frontend_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint32_t req[3] = { 1, 0x1, 0 };	/* request, flags, size */
	uint8_t reply[12 + 8];
	size_t got = 0;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
		goto fail;
	while (got < sizeof(reply)) {
		n = read(fd, reply + got, sizeof(reply) - got);
		if (n <= 0)
			goto fail;
		got += n;
	}
	return fd;
fail:
	n = errno ? -errno : -EPROTO;
	close(fd);
	return (int)n;
}

static int
port_up(const struct hp *h, uint16_t port)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t q;
	int ret;

	/* Half the ports with Rx interrupts: their fds must go too. */
	conf.intr_conf.rxq = port & 1;
	ret = rte_eth_dev_configure(port, h->queues, h->queues, &conf);
	for (q = 0; ret == 0 && q < h->queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, 256, rte_socket_id(), NULL, h->mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, 256, rte_socket_id(), NULL);
	}
	return ret == 0 ? rte_eth_dev_start(port) : ret;
}

/* Probe, start (and poke) every port of one round. */
static int
round_add(const struct hp *h, unsigned int r)
{
	char name[32], args[PATH_MAX + 64], path[PATH_MAX];
	int conns[HP_MAX_PORTS];
	uint16_t port;
	unsigned int i;
	int ret;

	for (i = 0; i < h->ports; i++) {
		snprintf(name, sizeof(name), "net_vhost%u", i + 1);
		sock_path(h, i, path, sizeof(path));
		snprintf(args, sizeof(args), "%s,iface=%s,queues=%u", name, path, h->queues);
		ret = rte_dev_probe(args);
		if (ret < 0) {
			printf("RESULT fail: round %u: rte_dev_probe(%s): %s\n", r, args,
				strerror(-ret));
			return -1;
		}
		if (rte_eth_dev_get_port_by_name(name, &port) != 0 || port_up(h, port) != 0) {
			printf("RESULT fail: round %u: %s: no port or set-up failed\n", r, name);
			return -1;
		}
		if (!path_exists(path)) {
			printf("RESULT fail: round %u: %s: no socket %s\n", r, name, path);
			return -1;
		}
		if (h->connect) {
			ret = frontend_connect(path);
			if (ret < 0) {
				printf("RESULT fail: round %u: connect %s: %s\n", r, path,
					strerror(-ret));
				return -1;
			}
			conns[i] = ret;
		}
	}
	/* Every port has a live connection now: hang up on all. */
	for (i = 0; h->connect && i < h->ports; i++)
		close(conns[i]);
	return 0;
}

/* Remove every port of the round; their socket files must be gone. */
static int
round_remove(const struct hp *h, unsigned int r)
{
	char name[32], path[PATH_MAX];
	struct rte_eth_dev_info info;
	struct rte_device *dev;
	uint16_t port;
	unsigned int i;
	int ret;

	for (i = 0; i < h->ports; i++) {
		snprintf(name, sizeof(name), "net_vhost%u", i + 1);
		if (rte_eth_dev_get_port_by_name(name, &port) != 0 ||
		    rte_eth_dev_info_get(port, &info) != 0) {
			printf("RESULT fail: round %u: %s vanished\n", r, name);
			return -1;
		}
		dev = info.device;
		if (i & 1) {
			rte_eth_dev_stop(port);
			rte_eth_dev_close(port);
		}
		ret = rte_dev_remove(dev);
		if (ret < 0) {
			printf("RESULT fail: round %u: rte_dev_remove(%s): %s\n", r, name,
				strerror(-ret));
			return -1;
		}
		if (rte_eth_dev_get_port_by_name(name, &port) == 0) {
			printf("RESULT fail: round %u: %s still has port %u\n", r, name, port);
			return -1;
		}
		sock_path(h, i, path, sizeof(path));
		if (path_exists(path)) {
			printf("RESULT fail: round %u: %s left its socket %s\n", r, name, path);
			return -1;
		}
	}
	return 0;
}

static int
run(const struct hp *h)
{
	struct snapshot ref = { 0 }, now;
	unsigned int r;

	for (r = 1; r <= h->rounds; r++) {
		if (round_add(h, r) < 0 || round_remove(h, r) < 0)
			return 1;
		/* rte_dev_remove() unregistered every socket, which waits
		 * for the library's control thread to drop its connections. */
		snapshot_take(&now);
		printf("ROUND %u fds=%u heap_bytes=%" PRIu64 " heap_allocs=%" PRIu64
		       " ports=%u\n", r, now.fds, now.heap_bytes, now.heap_allocs,
		       rte_eth_dev_count_avail());
		if (r <= 2) {
			ref = now;
			continue;
		}
		if (now.fds != ref.fds || now.heap_bytes != ref.heap_bytes ||
		    now.heap_allocs != ref.heap_allocs) {
			printf("RESULT fail: round %u leaked: fds %u -> %u, heap %" PRIu64
			       " -> %" PRIu64 " bytes in %" PRIu64 " -> %" PRIu64 " allocations\n",
			       r, ref.fds, now.fds, ref.heap_bytes, now.heap_bytes,
			       ref.heap_allocs, now.heap_allocs);
			return 1;
		}
	}
	printf("RESULT pass\n");
	return 0;
}

/* Start when DIR/go exists: the caller inspects the process first. */
static int
go_wait(const struct hp *h)
{
	char path[PATH_MAX];
	unsigned int i;

	snprintf(path, sizeof(path), "%s/go", h->dir);
	for (i = 0; i < 6000; i++) {
		if (path_exists(path))
			return unlink(path);
		rte_delay_us_sleep(10 * 1000);
	}
	printf("RESULT fail: no %s within 60 s\n", path);
	return -1;
}

static int
parse_args(struct hp *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "ports", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "queues", required_argument, NULL, 'q' },
		{ "connect", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': h->dir = optarg; break;
		case 'p': h->ports = atoi(optarg); break;
		case 'r': h->rounds = atoi(optarg); break;
		case 'q': h->queues = atoi(optarg); break;
		case 'c': h->connect = true; break;
		default: return -1;
		}
	}
	if (h->dir == NULL || h->ports < 1 || h->ports > HP_MAX_PORTS ||
	    h->rounds < 3 || h->queues < 1) {
		fprintf(stderr, "usage: vhost-hotplug <EAL> -- --dir DIR [--ports N(1..%d)]"
			" [--rounds N(>=3)] [--queues N] [--connect]\n", HP_MAX_PORTS);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct hp h = { .ports = 8, .rounds = 20, .queues = 1 };
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		printf("RESULT fail: EAL init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_args(&h, argc - ret, argv + ret) < 0) {
		rte_eal_cleanup();
		return 2;
	}
	h.mp = rte_pktmbuf_pool_create("hp_pool", 4095, 256, 0,
			RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (h.mp == NULL) {
		printf("RESULT fail: mbuf pool\n");
		rte_eal_cleanup();
		return 1;
	}
	printf("READY ports=%u rounds=%u queues=%u connect=%d\n", h.ports, h.rounds,
		h.queues, h.connect);
	ret = go_wait(&h) < 0 ? 1 : run(&h);
	rte_eal_cleanup();
	return ret;
}
