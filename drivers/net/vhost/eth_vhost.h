/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Private state of the net_vhost PMD, shared by its source files.
 *
 * Threads
 * -------
 * - Application threads: ethdev ops (configure, start, stop, close, queue
 *   setup, stats) and the public rte_eth_vhost_* functions.
 * - Application lcores: the rx/tx bursts, one lcore per queue.
 * - The library's control thread: new_device/destroy_device/
 *   vring_state_changed.
 * Control state (attach state, started, the queue tables, per-vring enable
 * state) is changed under pmd_internal.lock by the first and third. The
 * bursts take no lock: each queue has an allow_queuing/while_queuing pair
 * (see eth_vhost_queue_enter()), and queue fields the burst reads are only
 * written while the burst is kept out.
 */
#ifndef ETH_VHOST_H
#define ETH_VHOST_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/un.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_pause.h>
#include <rte_spinlock.h>
#include <rte_branch_prediction.h>
#include <ethdev_driver.h>

#include "vhu.h"
#include "rte_eth_vhost.h"

#define ETH_VHOST_INTERNAL __attribute__((visibility("hidden")))

extern int eth_vhost_logtype;
#define VHOST_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, eth_vhost_logtype, \
		"net_vhost: " fmt "\n", ##__VA_ARGS__)

#define ETH_VHOST_MAX_QUEUES	VHU_MAX_QUEUE_PAIRS
#define ETH_VHOST_IFACE_SIZE	sizeof(((struct sockaddr_un *)0)->sun_path)
#define ETH_VHOST_EVENT_RING_SIZE 1024

/* ----------------------------------------------------------------- devargs */

struct eth_vhost_args {
	char iface[ETH_VHOST_IFACE_SIZE];
	uint16_t queues;
	bool client;
	bool tso;		/* offer TSO features to the guest */
	bool legacy_ol_flags;	/* guest Tx offloads as RTE_MBUF_F_TX_* */
	bool linear_buf;	/* never chain on dequeue: drop what does not fit */
	bool ext_buf;		/* external buffer instead of a chain */
	bool iommu;		/* offer VIRTIO_F_ACCESS_PLATFORM (a vIOMMU guest) */
	bool postcopy;		/* offer PROTOCOL_F_PAGEFAULT (postcopy migration) */
};

/* Parse a net_vhost devargs string. 0, or -EINVAL after logging which key
 * is wrong and why. */
ETH_VHOST_INTERNAL int eth_vhost_args_parse(const char *name, const char *args,
		struct eth_vhost_args *out);

/* ------------------------------------------------------------------ events */

/* Queue state changes waiting for rte_eth_vhost_get_queue_event(). */
struct eth_vhost_events {
	rte_spinlock_t lock;
	uint32_t head;		/* next to pop */
	uint32_t count;
	bool overflow;		/* dropping since the FIFO was last not full */
	uint64_t dropped;	/* events dropped, ever */
	struct rte_eth_vhost_queue_event ring[ETH_VHOST_EVENT_RING_SIZE];
};

ETH_VHOST_INTERNAL void eth_vhost_events_init(struct eth_vhost_events *ev);
ETH_VHOST_INTERNAL void eth_vhost_events_push(struct eth_vhost_events *ev,
		uint16_t queue_id, bool rx, bool enable);
/* The oldest event into *out: 0, or -1 if there is none. */
ETH_VHOST_INTERNAL int eth_vhost_events_pop(struct eth_vhost_events *ev,
		struct rte_eth_vhost_queue_event *out);

/* ------------------------------------------------------------------ queues */

/* Frame size buckets of the xstats (frame without CRC, as in the mbuf). */
enum eth_vhost_size_bucket {
	SIZE_UNDERSIZE,		/* < 64 */
	SIZE_64,
	SIZE_65_127,
	SIZE_128_255,
	SIZE_256_511,
	SIZE_512_1023,
	SIZE_1024_1518,
	SIZE_1519_MAX,
	SIZE_BUCKETS,
};

/* Per-queue counters. Written by the queue's burst only (one lcore), read
 * by stats/xstats on other threads: whole-word relaxed stores, no atomics. */
struct eth_vhost_qstats {
	uint64_t pkts;			/* good packets */
	uint64_t bytes;			/* good bytes */
	uint64_t missed;		/* tx: not taken (guest ring full, no guest) */
	uint64_t errors;		/* dropped by the library (vhu_vring_drops());
					 * tx also: VLAN insertion impossible */
	uint64_t notifications;		/* guest called (its call eventfd) */
	uint64_t multicast;		/* broadcast not included */
	uint64_t broadcast;
	uint64_t size[SIZE_BUCKETS];
};

#define ETH_VHOST_QSTATS_WORDS (sizeof(struct eth_vhost_qstats) / sizeof(uint64_t))

struct eth_vhost_queue {
	/* Read by every burst. */
	uint32_t allow_queuing;		/* control path: bursts may enter */
	uint32_t while_queuing;		/* data path: a burst is inside */
	int vid;			/* written only while bursts are out */
	uint16_t vring;
	uint16_t port;
	struct rte_mempool *mb_pool;	/* rx only */
	bool rx_sw_csum;		/* rx: complete guest partial checksums */
	uint8_t sw_tso;			/* tx: ETH_VHOST_SW_TSO4/6, tso.c */
	bool vlan_strip;		/* rx: RTE_ETH_RX_OFFLOAD_VLAN_STRIP */
	const struct vhu_vring_counters *lib_ctr; /* the vring's, in the library */
	uint64_t lib_drops_seen;	/* library drop counter last read */
	uint64_t lib_calls_seen;	/* library guest call counter last read */

	bool tx_tso;			/* tx: the application enabled TCP_TSO */

	/* Written by the burst only; read by stats_get. */
	struct eth_vhost_qstats st;

	/* Control path: counter values at the last stats_reset. */
	struct eth_vhost_qstats base __rte_cache_aligned;
} __rte_cache_aligned;

/* ------------------------------------------------------------- tso.c */

/* The guest cannot take TSO packets over IPv4 (IPv6): segment them here. */
#define ETH_VHOST_SW_TSO4 1
#define ETH_VHOST_SW_TSO6 2

/* Must the burst segment m itself (sw_tso of its queue)? A packet whose
 * payload fits one segment goes as it is: an ordinary packet. */
static inline bool
eth_vhost_sw_tso_wanted(uint8_t sw_tso, const struct rte_mbuf *m)
{
	if (likely(!(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)))
		return false;
	if (!(sw_tso & (m->ol_flags & RTE_MBUF_F_TX_IPV6 ? ETH_VHOST_SW_TSO6 :
			ETH_VHOST_SW_TSO4)))
		return false;
	return m->tso_segsz != 0 && rte_pktmbuf_pkt_len(m) >
		(uint32_t)m->l2_len + m->l3_len + m->l4_len + m->tso_segsz;
}

/* Segments of TSO packet m, or -EINVAL if it cannot be segmented. */
ETH_VHOST_INTERNAL int eth_vhost_tso_count(const struct rte_mbuf *m);
/* Segments first..first+n-1 (of total) of m into out; returns how many
 * were made: fewer when m's pool runs out. */
ETH_VHOST_INTERNAL uint16_t eth_vhost_tso_segments(const struct rte_mbuf *m,
		uint32_t first, uint16_t n, uint32_t total, struct rte_mbuf **out);

/*
 * A burst enters a queue with eth_vhost_queue_enter() and leaves with
 * eth_vhost_queue_leave(); the control path keeps bursts out with
 * eth_vhost_queue_block(). while_queuing is set before allow_queuing is
 * re-read and allow_queuing cleared before while_queuing is read, with
 * asymmetric fences between (vhu.h), so at least one side sees the other.
 */
static inline bool
eth_vhost_queue_enter(struct eth_vhost_queue *q)
{
	/* Cheap early exit while no guest is attached: no barrier. */
	if (unlikely(!__atomic_load_n(&q->allow_queuing, __ATOMIC_RELAXED)))
		return false;
	__atomic_store_n(&q->while_queuing, 1, __ATOMIC_RELAXED);
	vhu_fence_light();
	if (likely(__atomic_load_n(&q->allow_queuing, __ATOMIC_ACQUIRE)))
		return true;
	__atomic_store_n(&q->while_queuing, 0, __ATOMIC_RELEASE);
	return false;
}

static inline void
eth_vhost_queue_leave(struct eth_vhost_queue *q)
{
	__atomic_store_n(&q->while_queuing, 0, __ATOMIC_RELEASE);
}

/* Control path, in three steps for closing many queues with one heavy
 * fence: shut each, vhu_fence_heavy(), wait for each. */
static inline void
eth_vhost_queue_shut(struct eth_vhost_queue *q)
{
	__atomic_store_n(&q->allow_queuing, 0, __ATOMIC_RELAXED);
}

static inline void
eth_vhost_queue_wait(struct eth_vhost_queue *q)
{
	while (__atomic_load_n(&q->while_queuing, __ATOMIC_ACQUIRE))
		rte_pause();
}

/* Control path: no burst enters q after this returns, none is inside. */
static inline void
eth_vhost_queue_block(struct eth_vhost_queue *q)
{
	eth_vhost_queue_shut(q);
	vhu_fence_heavy();
	eth_vhost_queue_wait(q);
}

/* Control path: let bursts in (after vid and vring are set). */
static inline void
eth_vhost_queue_allow(struct eth_vhost_queue *q)
{
	__atomic_store_n(&q->allow_queuing, 1, __ATOMIC_RELEASE);
}

/* Data-path counter update: single writer, whole-word stores so that
 * stats_get on another thread never reads a torn value. */
static inline void
eth_vhost_counter_add(uint64_t *counter, uint64_t n)
{
	__atomic_store_n(counter, *counter + n, __ATOMIC_RELAXED);
}

ETH_VHOST_INTERNAL uint16_t eth_vhost_rx_burst(void *rxq,
		struct rte_mbuf **pkts, uint16_t nb_pkts);
/* Rx, for an application that did not enable Rx checksum offload: give a
 * packet with RTE_MBUF_F_RX_L4_CKSUM_NONE its full checksum (rxtx.c). */
ETH_VHOST_INTERNAL void eth_vhost_rx_sw_csum(struct rte_mbuf *m);
ETH_VHOST_INTERNAL uint16_t eth_vhost_tx_burst(void *txq,
		struct rte_mbuf **pkts, uint16_t nb_pkts);

/* rarp.c: the RARP frame announcing mac (from mp), and putting one at
 * pkts[0] when the frontend asked for it (returns 1, else 0). Cold. */
ETH_VHOST_INTERNAL struct rte_mbuf *eth_vhost_rarp_build(struct rte_mempool *mp,
		const uint8_t mac[6]);
ETH_VHOST_INTERNAL uint16_t eth_vhost_rarp_inject(struct eth_vhost_queue *q,
		struct rte_mbuf **pkts, uint16_t nb_pkts) __rte_cold;

/* -------------------------------------------------------------------- port */

struct pmd_internal {
	pthread_mutex_t lock;		/* control state below */
	struct eth_vhost_args args;
	bool registered;		/* vhu_driver_register() succeeded */
	bool started;
	bool attached;
	int vid;			/* -1 while no guest is attached */

	struct eth_vhost_queue *rxqs[ETH_VHOST_MAX_QUEUES];
	struct eth_vhost_queue *txqs[ETH_VHOST_MAX_QUEUES];
	/* Last state reported to the application for each vring. */
	bool vring_enabled[2 * ETH_VHOST_MAX_QUEUES];

	struct eth_vhost_events events;

	/* Rx interrupts (intr.c): per Rx queue proxy epoll and kick fd. */
	struct eth_vhost_rxintr {
		int epfd;	/* the queue's interrupt fd; -1: none */
		int kickfd;	/* our dup of the guest's kick fd; -1: none */
	} rxintr[ETH_VHOST_MAX_QUEUES];
	uint16_t nb_intr;	/* Rx queues with a proxy */
	bool vlan_strip;	/* RTE_ETH_RX_OFFLOAD_VLAN_STRIP configured */
};

/* intr.c. Called with internal->lock held, except the two ops. */
ETH_VHOST_INTERNAL int eth_vhost_intr_install(struct rte_eth_dev *dev);
ETH_VHOST_INTERNAL void eth_vhost_intr_uninstall(struct rte_eth_dev *dev);
ETH_VHOST_INTERNAL void eth_vhost_intr_kickfd_update(struct pmd_internal *internal,
		uint16_t qid, int vid, bool enabled);
ETH_VHOST_INTERNAL int eth_vhost_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid);
ETH_VHOST_INTERNAL int eth_vhost_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid);

/* stats.c: ethdev stats and xstats ops. */
ETH_VHOST_INTERNAL int eth_vhost_stats_get(struct rte_eth_dev *dev,
		struct rte_eth_stats *stats);
ETH_VHOST_INTERNAL int eth_vhost_stats_reset(struct rte_eth_dev *dev);
ETH_VHOST_INTERNAL int eth_vhost_xstats_get_names(struct rte_eth_dev *dev,
		struct rte_eth_xstat_name *names, unsigned int limit);
ETH_VHOST_INTERNAL int eth_vhost_xstats_get(struct rte_eth_dev *dev,
		struct rte_eth_xstat *xstats, unsigned int limit);
ETH_VHOST_INTERNAL int eth_vhost_xstats_reset(struct rte_eth_dev *dev);

/* The private data of port_id if it is a net_vhost port, else NULL. */
ETH_VHOST_INTERNAL struct pmd_internal *eth_vhost_internal_get(uint16_t port_id);

#endif /* ETH_VHOST_H */
