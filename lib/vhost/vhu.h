/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The vhost-user backend library ("vhu"): the API the net_vhost PMD uses.
 *
 * Threading contract
 * ------------------
 * - One control thread per process (started by the first
 *   vhu_driver_register()) owns every socket and runs every vhu_ops callback.
 * - vhu_enqueue_burst()/vhu_dequeue_burst() run on application lcores. Each
 *   vring has at most one data-path user at a time (one lcore per queue, as
 *   ethdev requires). They never block and never take a lock.
 * - Before the control thread changes anything the data path reads (memory
 *   table, ring addresses, ring enable, device teardown) it marks the vring
 *   not ready and waits until the data path has left it (see vhu_dev.h,
 *   vhu_vring_enter()/vhu_vring_quiesce()). A burst on a vring that is not
 *   ready returns 0.
 * - A vid stays a valid index forever; device structures are never freed
 *   while the library is loaded, only reused. A burst on a vid with no
 *   running device returns 0. destroy_device() is called before a vid is
 *   reused: callers that keep a vid must stop using it before returning from
 *   destroy_device().
 * - Callbacks must not call vhu_driver_unregister() (it waits for the control
 *   thread).
 */
#ifndef VHU_H
#define VHU_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#define VHU_API __attribute__((visibility("default")))

/*
 * Asymmetric fences (fence.c), for a data path / control path handshake
 * where each side stores its flag, then loads the other's: the data path
 * (every burst) calls vhu_fence_light() between the two, the control path
 * (rarely) vhu_fence_heavy(). Together they order both sides as a full
 * barrier on each would.
 */
extern VHU_API bool vhu_fence_asym;	/* membarrier() works: set before main() */
VHU_API void vhu_fence_heavy(void);

static inline void
vhu_fence_light(void)
{
	if (__builtin_expect(vhu_fence_asym, 1))
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#define VHU_MAX_QUEUE_PAIRS	128
#define VHU_MAX_VRINGS		(2 * VHU_MAX_QUEUE_PAIRS)
#define VHU_MAX_DEVICES		1024

/* Flags for vhu_driver_register(). */
#define VHU_REG_CLIENT		(1ULL << 0)	/* connect to the path, reconnect forever */
/* Offer checksum offload both ways (VIRTIO_NET_F_CSUM, GUEST_CSUM). */
#define VHU_REG_CSUM		(1ULL << 1)
/* Offer TSO and UFO both ways (HOST_TSO4/6, HOST_ECN, HOST_UFO, GUEST_TSO4/6,
 * GUEST_UFO); needs VHU_REG_CSUM. */
#define VHU_REG_TSO		(1ULL << 2)
/* Guest Tx offloads become RTE_MBUF_F_TX_* requests (DPDK's "legacy"
 * behaviour, for an application that forwards to a NIC) instead of
 * RTE_MBUF_F_RX_L4_CKSUM_NONE / RTE_MBUF_F_RX_LRO. */
#define VHU_REG_LEGACY_OL_FLAGS	(1ULL << 3)
/* Dequeue: a packet that does not fit one mbuf is dropped (and counted,
 * vhu_vring_drops()), never chained. */
#define VHU_REG_LINEAR_BUF	(1ULL << 4)
/* Dequeue: a packet that does not fit one mbuf gets an external buffer
 * (rte_pktmbuf_attach_extbuf) instead of a chain. */
#define VHU_REG_EXTBUF		(1ULL << 5)
/* Offer VIRTIO_F_ACCESS_PLATFORM: a guest device behind a vIOMMU, its
 * addresses translated through the frontend's IOTLB messages. */
#define VHU_REG_IOMMU		(1ULL << 6)
/* Offer VHOST_USER_PROTOCOL_F_PAGEFAULT: postcopy live migration, the
 * guest memory we touch before it arrived waiting for it (postcopy.c). */
#define VHU_REG_POSTCOPY	(1ULL << 7)
#define VHU_REG_ALL		(VHU_REG_CLIENT | VHU_REG_CSUM | VHU_REG_TSO | \
				 VHU_REG_LEGACY_OL_FLAGS | VHU_REG_LINEAR_BUF | VHU_REG_EXTBUF | \
				 VHU_REG_IOMMU | VHU_REG_POSTCOPY)

struct vhu_ops {
	/* The device is ready: the first queue pair can pass traffic. */
	int (*new_device)(int vid);
	/* The device stopped (frontend gone, reset, or reconfiguring). After
	 * this returns the caller must not start a new burst on vid. */
	void (*destroy_device)(int vid);
	/* A vring was enabled (1) or disabled (0) while the device runs; called
	 * for every enabled vring right after new_device(). */
	int (*vring_state_changed)(int vid, uint16_t vring, int enable);
};

/*
 * Start serving a vhost-user socket at path (server: create and listen;
 * client: connect, retry forever). ctx is handed back by vhu_get_ctx().
 * max_queue_pairs bounds what GET_QUEUE_NUM reports and what we accept.
 * Returns 0 or a negative errno.
 */
VHU_API int vhu_driver_register(const char *path, uint64_t flags,
		uint16_t max_queue_pairs, const struct vhu_ops *ops, void *ctx);

/* Stop serving path: close every connection on it (destroy_device() is
 * called for a running device), remove the socket file. 0 or -errno. */
VHU_API int vhu_driver_unregister(const char *path);

VHU_API void *vhu_get_ctx(int vid);
VHU_API int vhu_get_ifname(int vid, char *buf, size_t len);
VHU_API uint64_t vhu_get_negotiated_features(int vid);
VHU_API uint16_t vhu_get_vring_num(int vid);	/* vrings set up so far */

/* The MTU the frontend set with NET_SET_MTU (68..65535), -ENODATA if it set
 * none, -ENODEV if vid has no connection. */
VHU_API int vhu_get_mtu(int vid);

/*
 * The frontend asked (SEND_RARP, after a live migration) that we announce
 * the guest's MAC with a RARP frame. Returns 1 and the MAC once per
 * request, 0 when none is pending, -EINVAL for a bad vid or mac. Safe on
 * any thread; several queues polling the same vid get each request once.
 */
VHU_API int vhu_get_rarp_mac(int vid, uint8_t mac[6]);

/* The test the Rx path makes per burst: one load, no call. vid < VHU_MAX_DEVICES. */
extern uint64_t vhu_rarp_req[VHU_MAX_DEVICES] __attribute__((visibility("hidden")));

static inline int
vhu_rarp_pending(int vid)
{
	return __atomic_load_n(&vhu_rarp_req[vid], __ATOMIC_RELAXED) != 0;
}

/*
 * Copy pkts into the guest's receive vring (an even vring index). Returns how
 * many were taken: copied, or dropped because the guest cannot take their
 * offload requests (counted in vhu_vring_stats.rx_ol_dropped). The caller
 * still owns (and frees) every mbuf.
 *
 * Offloads (RTE_MBUF_F_TX_* with l2_len/l3_len/l4_len, tso_segsz) become the
 * virtio-net header when the guest negotiated them; otherwise L4 (and IPv4
 * header) checksums are computed in software into the guest's copy, and a
 * TSO packet larger than one segment is dropped.
 */
VHU_API uint16_t vhu_enqueue_burst(int vid, uint16_t vring,
		struct rte_mbuf **pkts, uint16_t count);

/*
 * Take up to count packets from the guest's transmit vring (an odd vring
 * index) into mbufs allocated from mp. Returns how many were stored in pkts.
 * pkts has room for count, as for rte_eth_rx_burst(): the entries after the
 * returned ones may be written too (mbufs allocated for the burst and freed
 * unused).
 * The virtio-net header's offload requests become mbuf offload flags (see
 * VHU_REG_LEGACY_OL_FLAGS); a packet with an invalid header is dropped and
 * counted in vhu_vring_stats.tx_bad_hdr.
 */
VHU_API uint16_t vhu_dequeue_burst(int vid, uint16_t vring,
		struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t count);

/* Per-vring error counters, since the device was created (a vid reused by
 * a new connection starts from 0). Written by the data path only. */
struct vhu_vring_stats {
	uint64_t tx_bad_hdr;	/* guest Tx packets dropped: invalid virtio-net header */
	uint64_t rx_ol_dropped;	/* packets not given to the guest: offload it cannot take */
	uint64_t guest_calls;	/* call eventfd signalled (the guest asked to be told) */
};

/* 0, or -EINVAL for an unknown vid or vring. Any thread; values may lag. */
VHU_API int vhu_get_vring_stats(int vid, uint16_t vring, struct vhu_vring_stats *st);
/*
 * Queue queries and guest notifications (query.c).
 *
 * vhu_vring_avail_count() and vhu_vring_notify() run on the lcore that
 * polls the vring (the data-path rule). vhu_vring_kickfd_dup() runs on the
 * control thread, from a vhu_ops callback, where the kick fd cannot change.
 */
/* Avail entries the guest posted that we have not consumed yet, or -errno
 * (-ENODEV: no such running vring). */
VHU_API int vhu_vring_avail_count(int vid, uint16_t vring);
/* A dup() of the vring's kick eventfd (the caller closes it), or -errno. */
VHU_API int vhu_vring_kickfd_dup(int vid, uint16_t vring);
/*
 * Ask the guest to kick (enable 1) or not to kick (0) when it posts avail
 * entries. Returns 1 if entries are already pending after enabling (the
 * caller must not wait for a kick), 0, or -errno.
 */
VHU_API int vhu_vring_notify(int vid, uint16_t vring, int enable);
/* Packets the library dropped on vring for this connection: dequeue
 * (VHU_REG_LINEAR_BUF: too big for one mbuf; extbuf allocation failure;
 * invalid virtio-net header) and enqueue (an offload the guest cannot
 * take). vhu_get_vring_stats() tells the last two apart. */
VHU_API uint64_t vhu_vring_drops(int vid, uint16_t vring);

/* What the PMD reads once per burst: vhu_vring_drops() and the guest
 * notifications (vhu_vring_stats.guest_calls) of the vring, 0 for none. */
struct vhu_vring_counters {
	uint64_t drops;
	uint64_t calls;
};
VHU_API void vhu_vring_counters(int vid, uint16_t vring, struct vhu_vring_counters *c);
/* The same counters in place, for a reader that looks on every burst:
 * never NULL, valid for the life of the process (vrings are never freed;
 * an unknown vid or vring gets zeros). Read each field as a whole word
 * (__atomic_load_n relaxed); a new connection on the vid restarts them. */
VHU_API const struct vhu_vring_counters *vhu_vring_counters_ref(int vid, uint16_t vring);

#endif /* VHU_H */
