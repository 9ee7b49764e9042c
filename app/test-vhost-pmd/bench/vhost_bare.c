/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-bare: the bare per-packet cost of a vhost backend on a split ring,
 * in TSC cycles (the clock testpmd's --record-core-cycles counts in), as a
 * floor under the cycles per packet that ./run bench measures:
 *
 *   ring      read one avail entry and its descriptor into locals, write one
 *             used element; avail/used indexes loaded/stored once per burst
 *             of 32, like a PMD burst
 *   copy64    rte_memcpy() of 64 bytes from a "guest" buffer into an
 *   copy1518  "mbuf" (1518 bytes), buffers cycled like a ring and a pool
 *
 * Two settings:
 *   hot    one thread, rings and buffers in its cache: the arithmetic floor
 *   cross  a frontend thread on the other CPU posts the avail entries and
 *          reaps the used ones, as virtio_user does: ring cache lines move
 *          between the cores as in the real benchmark
 *
 * It leaves out what any real driver adds (mbuf alloc/free, virtio-net
 * header, address translation, checks), so the gap between it and a driver
 * is the headroom of that driver's software, not of the hardware.
 *
 * usage: vhost-bare [-c BACKEND_CPU] [-p FRONTEND_CPU] [-n PACKETS]
 * Each figure is the least of 5 runs of PACKETS/5 packets.
 * Output: one line per figure, "BARE setting=S op=O cycles=C".
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_memcpy.h>

#define RING_SIZE	256
#define RING_MASK	(RING_SIZE - 1)
#define BURST		32
#define BUF_SIZE	2048
#define POOL_SIZE	1024	/* "mbufs": more than a ring, like a mempool */
#define REPEAT		5

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct used_elem {
	uint32_t id;
	uint32_t len;
};

/* Each part on its own cache lines, as in a real split ring. */
struct ring {
	struct desc desc[RING_SIZE] __attribute__((aligned(64)));
	struct {
		uint16_t flags;
		uint16_t idx;
		uint16_t ring[RING_SIZE];
	} avail __attribute__((aligned(64)));
	struct {
		uint16_t flags;
		uint16_t idx;
		struct used_elem ring[RING_SIZE];
	} used __attribute__((aligned(64)));
	/* Backend-private. */
	uint16_t last_avail __attribute__((aligned(64)));
	uint16_t used_idx;
	/* Frontend-private. */
	uint16_t fe_avail __attribute__((aligned(64)));
	uint16_t fe_used;
	uint32_t pkt_len;
	volatile bool stop;
};

struct bench {
	struct ring *r;
	uint8_t *guest;		/* RING_SIZE buffers the descriptors point to */
	uint8_t *pool;		/* POOL_SIZE destination buffers */
	unsigned int pool_next;
	uint32_t copy_len;	/* 0: ring only */
	uint64_t packets;
	uint64_t busy;		/* cycles of polls that found work */
};

/*
 * One backend poll: what every vhost dequeue does at least. Returns the
 * number of descriptors handled.
 */
static inline unsigned int
backend_poll(struct bench *b)
{
	struct ring *r = b->r;
	uint16_t avail_idx = __atomic_load_n(&r->avail.idx, __ATOMIC_ACQUIRE);
	uint16_t n = (uint16_t)(avail_idx - r->last_avail);
	unsigned int i;

	if (n > BURST)
		n = BURST;
	for (i = 0; i < n; i++) {
		uint16_t head = r->avail.ring[(r->last_avail + i) & RING_MASK];
		struct desc d = r->desc[head & RING_MASK];
		uint32_t len = d.len;

		if (b->copy_len) {
			uint8_t *dst = b->pool + (size_t)b->pool_next * BUF_SIZE;

			b->pool_next = (b->pool_next + 1) % POOL_SIZE;
			if (len > b->copy_len)
				len = b->copy_len;
			rte_memcpy(dst, b->guest + d.addr, len);
		}
		r->used.ring[(r->used_idx + i) & RING_MASK] =
			(struct used_elem){ .id = head, .len = len };
	}
	r->last_avail += n;
	r->used_idx += n;
	__atomic_store_n(&r->used.idx, r->used_idx, __ATOMIC_RELEASE);
	return n;
}

/* The frontend: refill the avail ring, reap the used ring. */
static inline void
frontend_step(struct ring *r)
{
	uint16_t used = __atomic_load_n(&r->used.idx, __ATOMIC_ACQUIRE);
	volatile uint32_t sink = 0;

	while (r->fe_used != used) {
		sink += r->used.ring[r->fe_used & RING_MASK].id;
		r->fe_used++;
	}
	(void)sink;
	while ((uint16_t)(r->fe_avail - r->fe_used) <= RING_SIZE - BURST) {
		unsigned int i;

		for (i = 0; i < BURST; i++) {
			uint16_t slot = (r->fe_avail + i) & RING_MASK;

			/* A driver rewrites the descriptor it posts. */
			*(volatile uint32_t *)&r->desc[slot].len = r->pkt_len;
			r->avail.ring[slot] = slot;
		}
		r->fe_avail += BURST;
		__atomic_store_n(&r->avail.idx, r->fe_avail, __ATOMIC_RELEASE);
	}
}

static int
pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
frontend_thread(void *arg)
{
	struct ring *r = arg;

	while (!r->stop)
		frontend_step(r);
	return NULL;
}

static void
ring_init(struct bench *b, uint32_t pkt_len)
{
	struct ring *r = b->r;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->pkt_len = pkt_len;
	for (i = 0; i < RING_SIZE; i++)
		r->desc[i] = (struct desc){ .addr = (uint64_t)i * BUF_SIZE,
					    .len = pkt_len };
	b->pool_next = 0;
	b->packets = 0;
	b->busy = 0;
}

/* One thread: frontend work between the timed backend polls. */
static double
run_hot(struct bench *b, uint64_t packets)
{
	while (b->packets < packets) {
		uint64_t t0;
		unsigned int n;

		frontend_step(b->r);
		t0 = rte_rdtsc();
		n = backend_poll(b);
		b->busy += rte_rdtsc() - t0;
		b->packets += n;
	}
	return (double)b->busy / b->packets;
}

/* Frontend on another CPU; busy cycles counted like testpmd does. */
static double
run_cross(struct bench *b, uint64_t packets, unsigned int fe_cpu)
{
	pthread_t fe;
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(fe_cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	ret = pthread_create(&fe, &attr, frontend_thread, b->r);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		fprintf(stderr, "vhost-bare: pthread_create: %s\n", strerror(ret));
		exit(1);
	}
	while (b->packets < packets) {
		uint64_t t0 = rte_rdtsc();
		unsigned int n = backend_poll(b);

		if (n == 0)
			continue;
		b->busy += rte_rdtsc() - t0;
		b->packets += n;
	}
	b->r->stop = true;
	pthread_join(fe, NULL);
	return (double)b->busy / b->packets;
}

/* TSC ticks per second, against CLOCK_MONOTONIC (no EAL here). */
static double
tsc_hz(void)
{
	struct timespec a, z;
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = rte_rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &z);
	while ((z.tv_sec - a.tv_sec) * 1000000000L + (z.tv_nsec - a.tv_nsec) < 100000000L);
	t1 = rte_rdtsc();
	return (t1 - t0) / ((z.tv_sec - a.tv_sec) + (z.tv_nsec - a.tv_nsec) / 1e9);
}

static void *
xmalloc(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, size) != 0) {
		fprintf(stderr, "vhost-bare: out of memory\n");
		exit(1);
	}
	memset(p, 0x5a, size);
	return p;
}

int
main(int argc, char **argv)
{
	static const struct { const char *name; uint32_t len; } ops[] = {
		{ "ring", 0 }, { "copy64", 64 }, { "copy1518", 1518 },
	};
	unsigned int be_cpu = 1, fe_cpu = 0, i;
	uint64_t packets = 20000000;
	struct bench b;
	double ring_hot = 0, ring_cross = 0;
	int opt;

	while ((opt = getopt(argc, argv, "c:p:n:")) != -1) {
		switch (opt) {
		case 'c': be_cpu = strtoul(optarg, NULL, 0); break;
		case 'p': fe_cpu = strtoul(optarg, NULL, 0); break;
		case 'n': packets = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [-c BACKEND_CPU] [-p FRONTEND_CPU] [-n PACKETS]\n",
				argv[0]);
			return 2;
		}
	}
	if (pin(be_cpu) != 0) {
		fprintf(stderr, "vhost-bare: cannot pin to CPU %u\n", be_cpu);
		return 1;
	}
	b.r = xmalloc(sizeof(*b.r));
	b.guest = xmalloc((size_t)RING_SIZE * BUF_SIZE);
	b.pool = xmalloc((size_t)POOL_SIZE * BUF_SIZE);

	/*
	 * "ring" is measured alone; a copy figure is the difference between
	 * ring+copy and ring, so each op is reported on its own.
	 */
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		double hot = 1e30, cross = 1e30, c;
		unsigned int rep;

		/*
		 * The least of REPEAT runs: other jobs on this machine only
		 * ever add cycles, and a floor is what we are after.
		 */
		b.copy_len = ops[i].len;
		for (rep = 0; rep < REPEAT; rep++) {
			ring_init(&b, ops[i].len ? ops[i].len : 64);
			c = run_hot(&b, packets / REPEAT);
			hot = c < hot ? c : hot;
			ring_init(&b, ops[i].len ? ops[i].len : 64);
			c = run_cross(&b, packets / REPEAT, fe_cpu);
			cross = c < cross ? c : cross;
		}
		if (i == 0) {
			ring_hot = hot;
			ring_cross = cross;
		} else {
			hot -= ring_hot;
			cross -= ring_cross;
		}
		printf("BARE setting=hot op=%s cycles=%.1f\n", ops[i].name, hot);
		printf("BARE setting=cross op=%s cycles=%.1f\n", ops[i].name, cross);
	}
	printf("BARE tsc_mhz=%.0f\n", tsc_hz() / 1e6);
	return 0;
}
