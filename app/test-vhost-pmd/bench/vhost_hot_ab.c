/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-hot-ab: what a burst of our library costs against DPDK's librte_vhost
 * (Debian's, the one its net_vhost runs on) when everything is in one
 * core's cache: the instructions, not the cross-core misses.
 *
 * Why: in the two-process benchmark the figures follow where the hypervisor
 * put the two vCPUs. With them on distant cores the misses on the lines both
 * sides write dominate; on near ones what is left is the work per packet,
 * and there a driver can lose what it wins on distant cores. Here one thread
 * is both the guest (the unit tests' frontend simulator, fe_sim.c) and the
 * backend, so nothing crosses cores, and the two libraries run in one
 * process, their rounds interleaved (A B, B A, ...): this shared host's
 * load swings hit both alike.
 *
 * Each library gets its own socket and device with the same features: the
 * frontend posts 32 buffers (Rx: 2048-byte writable ones; Tx: 64-byte
 * frames after the vnet header), the backend takes them in one call
 * (enqueue of 32 64-byte mbufs, or dequeue into mbufs of a pool with a
 * cache), the frontend reaps the used ring. Only the backend's call is
 * timed (TSC). Calls from the guest are off (NO_INTERRUPT / event flags
 * DISABLE), as a polling driver sets them.
 *
 * usage: vhost-hot-ab [--list | CASE]   (env VHOST_HOT_ITER: bursts per round)
 * Output per case: "HOT <case> ours=<cyc/pkt> dpdk=<cyc/pkt> dpdk/ours=<r>",
 * medians of 9 rounds; the ratio is the median of the rounds' own ratios.
 */
#include <inttypes.h>

#include <rte_cycles.h>
#include <rte_vhost.h>

#include "unit.h"

#define F_IO		VHU_BIT(VHU_VIRTIO_F_IN_ORDER)
#define HOT_BUFS	256
#define HOT_BURST	32
#define HOT_ROUNDS	9
#define HOT_PKT_LEN	64

static int dpdk_vid = -1;	/* written by DPDK's vhost-events thread */

static int
dpdk_new_device(int vid)
{
	__atomic_store_n(&dpdk_vid, vid, __ATOMIC_RELEASE);
	return 0;
}

static void
dpdk_destroy_device(int vid)
{
	RTE_SET_USED(vid);
}

static const struct rte_vhost_device_ops dpdk_ops = {
	.new_device = dpdk_new_device,
	.destroy_device = dpdk_destroy_device,
};

/* One library's device and the guest buffers its rounds post. */
struct hot_dev {
	struct t t;
	bool dpdk;
	int vid;
	unsigned int slot;
	uint64_t gpa[HOT_BUFS];
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* DPDK's librte_vhost on a socket of its own, the same frontend. */
static int
hot_connect_dpdk(struct hot_dev *h, uint64_t features)
{
	unsigned int ms;

	t_init(&h->t, "dpdk");
	CHECK_EQ(rte_vhost_driver_register(h->t.path, 0), 0);
	CHECK_EQ(rte_vhost_driver_callback_register(h->t.path, &dpdk_ops), 0);
	CHECK_EQ(rte_vhost_driver_start(h->t.path), 0);
	__atomic_store_n(&dpdk_vid, -1, __ATOMIC_RELAXED);
	if (t_open(&h->t, 1) < 0)
		return -1;
	CHECK_EQ(fe_handshake(&h->t.s, features, 2, RING_SIZE), 0);
	for (ms = 0; ms < 3000 && __atomic_load_n(&dpdk_vid, __ATOMIC_ACQUIRE) < 0; ms++)
		rte_delay_ms(1);
	h->vid = __atomic_load_n(&dpdk_vid, __ATOMIC_ACQUIRE);
	if (h->vid < 0)
		FAIL("DPDK's vhost never brought the device up");
	h->t.mrg = h->t.s.features & VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	h->t.hdr_len = h->t.mrg || (h->t.s.features & VHU_BIT(VHU_VIRTIO_F_VERSION_1)) ? 12 : 10;
	return 0;
fail:
	return -1;
}

static int
hot_setup(struct hot_dev *h, uint64_t features, bool dpdk)
{
	unsigned int i;

	h->dpdk = dpdk;
	h->slot = 0;
	if (dpdk) {
		if (hot_connect_dpdk(h, features) < 0)
			return -1;
	} else {
		if (t_register(&h->t, 0) < 0 ||
		    t_connect_sized(&h->t, features, 1, RING_SIZE) < 0)
			return -1;
		h->vid = h->t.vid;
	}
	CHECK_EQ(h->t.s.features, features);
	/* A polling guest: no call wanted. */
	for (i = 0; i < 2; i++) {
		if (h->t.s.vq[i].packed)
			h->t.s.vq[i].driver_event->flags = VHU_RING_EVENT_F_DISABLE;
		else
			h->t.s.vq[i].avail->flags = VHU_AVAIL_F_NO_INTERRUPT;
	}
	for (i = 0; i < HOT_BUFS; i++) {
		uint8_t *p;

		h->gpa[i] = fe_alloc(&h->t.s, 2048, 64);
		CHECK(h->gpa[i] != 0);
		p = fe_ptr(&h->t.s, h->gpa[i]);
		memset(p, 0, 2048);
		p[h->t.hdr_len] = 0x02;	/* a unicast destination MAC */
	}
	return 0;
fail:
	return -1;
}

static void
hot_teardown(struct hot_dev *h)
{
	if (h->dpdk) {
		fe_sim_fini(&h->t.s);
		rte_vhost_driver_unregister(h->t.path);
	} else {
		t_end(&h->t);
	}
}

/* iter bursts: post, one timed backend call, reap. *cycles: the calls'. */
static int
hot_round(struct hot_dev *h, bool enq, unsigned int iter, struct rte_mbuf **pkts,
	  struct rte_mempool *pool, uint64_t *cycles)
{
	int q = enq ? FE_RX_VQ : FE_TX_VQ;
	uint64_t sum = 0;
	unsigned int k, j;
	uint32_t id, len;

	for (k = 0; k < iter; k++) {
		uint64_t t0;
		uint16_t n;

		for (j = 0; j < HOT_BURST; j++) {
			struct fe_buf b = {
				.gpa = h->gpa[(h->slot + j) % HOT_BUFS],
				.len = enq ? 2048 : HOT_PKT_LEN + h->t.hdr_len,
			};

			CHECK(fe_post(&h->t.s, q, &b, 1, enq, false) >= 0);
		}
		h->slot += HOT_BURST;
		t0 = rte_rdtsc_precise();
		if (h->dpdk)
			n = enq ? rte_vhost_enqueue_burst(h->vid, 0, pkts, HOT_BURST) :
				  rte_vhost_dequeue_burst(h->vid, 1, pool, pkts, HOT_BURST);
		else
			n = enq ? vhu_enqueue_burst(h->vid, 0, pkts, HOT_BURST) :
				  vhu_dequeue_burst(h->vid, 1, pool, pkts, HOT_BURST);
		sum += rte_rdtsc_precise() - t0;
		CHECK_EQ(n, HOT_BURST);
		if (!enq) {
			CHECK_EQ(rte_pktmbuf_pkt_len(pkts[0]), HOT_PKT_LEN);
			rte_pktmbuf_free_bulk(pkts, n);
		}
		/* IN_ORDER Tx returns the burst with one used entry. */
		for (j = 0; j < HOT_BURST; j++) {
			int got = fe_used_pop(&h->t.s, q, &id, &len);

			CHECK(got >= 0);
			if (got == 0)
				break;
		}
		CHECK(j != 0);
	}
	*cycles = sum;
	return 0;
fail:
	return -1;
}

static double
cyc_per_pkt(uint64_t cycles, unsigned int iter)
{
	return (double)cycles / iter / HOT_BURST;
}

static int
hot_case(uint64_t features, bool enq, const char *name)
{
	static struct rte_mempool *pool;
	struct rte_mbuf *pkts[HOT_BURST] = { NULL };
	uint64_t cyc[2][HOT_ROUNDS], ratio[HOT_ROUNDS];
	struct hot_dev *h[2] = { NULL, NULL };
	const char *it = getenv("VHOST_HOT_ITER");
	unsigned int iter = it != NULL ? (unsigned int)atoi(it) : 5000;
	int i, r, ret = -1;

	CHECK(iter > 0);
	/* Dequeue allocates from a pool with a per-lcore cache, as a PMD's. */
	if (pool == NULL)
		pool = rte_pktmbuf_pool_create("hot", 4095, 256, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	CHECK(pool != NULL);
	for (i = 0; i < 2; i++) {
		h[i] = calloc(1, sizeof(*h[i]));
		CHECK(h[i] != NULL);
		CHECK(hot_setup(h[i], features, i == 1) == 0);
	}
	if (enq)
		for (i = 0; i < HOT_BURST; i++)
			CHECK((pkts[i] = mk_pkt1(HOT_PKT_LEN, i)) != NULL);
	for (r = 0; r < HOT_ROUNDS; r++) {
		int first = r & 1;

		CHECK(hot_round(h[first], enq, iter, pkts, pool, &cyc[first][r]) == 0);
		CHECK(hot_round(h[!first], enq, iter, pkts, pool, &cyc[!first][r]) == 0);
		ratio[r] = cyc[1][r] * 1000 / cyc[0][r];
	}
	for (i = 0; i < 2; i++)
		qsort(cyc[i], HOT_ROUNDS, sizeof(cyc[i][0]), cmp_u64);
	qsort(ratio, HOT_ROUNDS, sizeof(ratio[0]), cmp_u64);
	printf("HOT %s ours=%.2f dpdk=%.2f dpdk/ours=%.3f\n", name,
	       cyc_per_pkt(cyc[0][HOT_ROUNDS / 2], iter),
	       cyc_per_pkt(cyc[1][HOT_ROUNDS / 2], iter), ratio[HOT_ROUNDS / 2] / 1000.0);
	ret = 0;
fail:
	if (enq)
		free_pkts(pkts, HOT_BURST);
	for (i = 0; i < 2; i++) {
		if (h[i] != NULL)
			hot_teardown(h[i]);
		free(h[i]);
	}
	return ret;
}

static int enq_split(void) { return hot_case(F_BASE, true, "enq-split"); }
static int enq_split_mrg(void) { return hot_case(F_MRG, true, "enq-split-mrg"); }
static int enq_split_mrg_io(void) { return hot_case(F_MRG | F_IO, true, "enq-split-mrg-io"); }
static int enq_packed(void) { return hot_case(F_BASE | F_PACKED, true, "enq-packed"); }
static int enq_packed_mrg_io(void)
{
	return hot_case(F_MRG | F_PACKED | F_IO, true, "enq-packed-mrg-io");
}
static int deq_split(void) { return hot_case(F_BASE, false, "deq-split"); }
static int deq_split_io(void) { return hot_case(F_BASE | F_IO, false, "deq-split-io"); }
static int deq_packed(void) { return hot_case(F_BASE | F_PACKED, false, "deq-packed"); }
static int deq_packed_io(void) { return hot_case(F_BASE | F_PACKED | F_IO, false, "deq-packed-io"); }

static const struct unit_case hot_cases[] = {
	{ "enq-split", enq_split },
	{ "enq-split-mrg", enq_split_mrg },
	{ "enq-split-mrg-io", enq_split_mrg_io },
	{ "enq-packed", enq_packed },
	{ "enq-packed-mrg-io", enq_packed_mrg_io },
	{ "deq-split", deq_split },
	{ "deq-split-io", deq_split_io },
	{ "deq-packed", deq_packed },
	{ "deq-packed-io", deq_packed_io },
};
UNIT_CASES(hot_cases);
