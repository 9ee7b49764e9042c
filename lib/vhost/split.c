/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Split virtqueue data path: vhu_split_enqueue() (host -> guest Rx vring)
 * and vhu_split_dequeue() (guest Tx vring -> host), called by
 * vhu_enqueue_burst()/vhu_dequeue_burst() (burst.c) on split rings.
 *
 * Both have the same shape, one avail entry (or, mergeable Rx, a few) at a
 * time: fetch the descriptor chain into a local vector of our pointers
 * (every descriptor read once, validated, translated), copy, queue the used
 * element; at the end of the burst publish used->idx once and notify.
 *
 * Guest memory is hostile and changes under our feet: every value read from
 * it is read once into a local and checked before it is used, and nothing
 * outside the memory table's regions is ever touched.
 */
#include <errno.h>
#include <stdalign.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "virtq.h"

/* Avail entries read ahead in one go: a burst of the PMD (rxtx.c). */
#define VHU_SPLIT_BATCH 32

/* Per-burst copy of the hot vring fields. */
struct vhu_ring {
	const struct vhu_mem *mem;	/* of the buffers, for the burst's access */
	const struct vhu_mem *tmem;	/* of indirect tables: we read them */
	const struct vhu_desc *desc;
	struct vhu_avail *avail;
	struct vhu_used *used;
	uint16_t size;
	uint16_t mask;
	uint16_t avail_idx;		/* snapshot of avail->idx */
	uint16_t last_avail_idx;
	uint16_t last_used_idx;
	uint16_t heads_pos;		/* avail position of heads[0] */
	uint16_t nheads;		/* entries in heads[] (see avail_head()) */
	uint16_t last_head;		/* Tx with IN_ORDER: the burst's last chain */
	uint16_t heads[VHU_SPLIT_BATCH];
};

/* Copy one descriptor out of guest memory, each field read exactly once. */
static __rte_always_inline void
desc_read(struct vhu_desc *dst, const struct vhu_desc *src)
{
	const volatile struct vhu_desc *s = src;

	dst->addr = s->addr;
	dst->len = s->len;
	dst->flags = s->flags;
	dst->next = s->next;
}

static __rte_always_inline uint16_t
avail_entry_read(const struct vhu_ring *r, uint16_t pos)
{
	return __atomic_load_n(&r->avail->ring[pos & r->mask], __ATOMIC_RELAXED);
}

/*
 * Read the first n (<= VHU_SPLIT_BATCH) new avail entries at once and start
 * fetching their descriptors: the frontend on another core has just written
 * them, each line is a cache miss, and one prefetch a packet ahead does
 * not hide it. Each entry is still read once: avail_head() serves it.
 */
static __rte_always_inline void
heads_load(struct vhu_ring *r, uint16_t n)
{
	uint16_t i;

	r->heads_pos = r->last_avail_idx;
	r->nheads = n;
	for (i = 0; i < n; i++) {
		r->heads[i] = avail_entry_read(r, r->heads_pos + i);
		rte_prefetch0(&r->desc[r->heads[i] & r->mask]);
	}
}

/*
 * Take the used ring lines the next n used entries go to (n >= 1) for
 * writing now: the guest's core read them last, and the stores into them
 * would otherwise wait for them at the end of the burst, where the fence of
 * ring_finish() waits for every store (perf: 10 % of a split dequeue on
 * that fence).
 */
static __rte_always_inline void
used_prefetch(const struct vhu_ring *r, uint16_t n)
{
	ring_prefetch_write(r->used->ring, sizeof(struct vhu_used_elem),
			    r->last_used_idx & r->mask, n, r->size);
}

/* The chain head at avail position pos (< avail_idx). */
static __rte_always_inline uint16_t
avail_head(const struct vhu_ring *r, uint16_t pos)
{
	uint16_t k = pos - r->heads_pos;

	if (likely(k < r->nheads))
		return r->heads[k];
	return avail_entry_read(r, pos);
}

static __rte_always_inline void
used_push(struct vhu_ring *r, uint16_t id, uint32_t len)
{
	struct vhu_used_elem *e = &r->used->ring[r->last_used_idx & r->mask];

	e->id = id;
	e->len = len;
	r->last_used_idx++;
}

/*
 * Return a Tx chain (used length 0). With IN_ORDER one used entry returns
 * the whole burst (virtio 1.2, split ring, "In-order use of descriptors"):
 * at the burst's first position, carrying the head of its last chain
 * (tx_batch_close()), and used->idx moves by the burst's size; the driver
 * walks its own chains up to that head. The lines of the other entries
 * stay with the driver's core. Rx cannot do this: each of its buffers has
 * its length.
 */
static __rte_always_inline void
tx_used(struct vhu_ring *r, uint16_t head, bool in_order)
{
	if (!in_order) {
		used_push(r, head, 0);
		return;
	}
	r->last_head = head;
	r->last_used_idx++;
}

static __rte_always_inline void
tx_batch_close(struct vhu_ring *r, const struct vhu_vring *vq, bool in_order)
{
	struct vhu_used_elem *e;

	if (in_order && r->last_used_idx != vq->last_used_idx) {
		e = &r->used->ring[vq->last_used_idx & r->mask];
		e->id = r->last_head;
		e->len = 0;
	}
}

/*
 * Walk the chain starting at head and append its buffers to v. write is
 * VHU_DESC_F_WRITE for Rx (all device-writable) or 0 for Tx (all readable).
 * Only the first want bytes are stored in v, but the whole chain is checked
 * (a guest must not get away with a loop because a packet was small). More
 * than max bytes is CHAIN_TOO_BIG. *got gets the chain's length.
 */
static __rte_always_inline int
chain_fetch(const struct vhu_ring *r, uint16_t head, uint16_t write,
	    struct vhu_iovec *v, uint64_t want, uint64_t max, uint64_t *got)
{
	const struct vhu_desc *table = r->desc;
	uint32_t nent = r->size;
	uint32_t left;
	uint64_t total = 0;
	struct vhu_desc d;
	int ret;

	*got = 0;
	if (unlikely(head >= nent))
		return CHAIN_BROKEN;
	desc_read(&d, &table[head]);

	if (d.flags & VHU_DESC_F_INDIRECT) {
		if (unlikely((d.flags & VHU_DESC_F_NEXT) || d.len == 0 ||
			     (d.len & (sizeof(d) - 1)) != 0 ||
			     d.len / sizeof(d) > VHU_MAX_RING_SIZE))
			return CHAIN_BROKEN;
		table = vhu_gpa_range_to_hva(r->tmem, d.addr, d.len);
		if (unlikely(table == NULL)) {
			const void *span;

			ret = vhu_indirect_span(r->tmem, d.addr, d.len, v, &span);
			if (ret < 0)
				return ret;
			table = span;
		}
		if (unlikely((uintptr_t)table & (alignof(struct vhu_desc) - 1)))
			return CHAIN_BROKEN;
		nent = d.len / sizeof(d);
		desc_read(&d, &table[0]);
	}

	/* A chain has at most nent descriptors: more means a loop. */
	for (left = nent; ; ) {
		if (unlikely((d.flags & (VHU_DESC_F_WRITE | VHU_DESC_F_INDIRECT)) != write))
			return CHAIN_BROKEN;
		ret = iov_add(r->mem, v, d.addr, d.len, total < want, ACCESS_OF(write));
		if (unlikely(ret < 0))
			return ret;
		total += d.len;
		*got = total;
		if (unlikely(total > max))
			return CHAIN_TOO_BIG;
		if (!(d.flags & VHU_DESC_F_NEXT))
			return 0;
		if (unlikely(--left == 0 || d.next >= nent))
			return CHAIN_BROKEN;
		desc_read(&d, &table[d.next]);
	}
}

/*
 * Read ahead (virtq.h) the chains after those pending from
 * r->last_avail_idx, up to depth pending in all and max for the rest of the
 * burst, that are one descriptor each, direction write, no NEXT or
 * INDIRECT, len in [min, max_len]. Stops at the first other one; the slow
 * path deals with it.
 */
static __rte_always_inline void
ahead_fill(const struct vhu_ring *r, uint16_t write, uint32_t min, uint32_t max_len,
	   uint16_t data, uint32_t depth, uint16_t max, struct vhu_ahead *a)
{
	const uint16_t mask = VHU_DESC_F_NEXT | VHU_DESC_F_INDIRECT | VHU_DESC_F_WRITE;
	uint16_t from = r->last_avail_idx + ahead_pending(a);
	uint32_t want = RTE_MIN(ahead_room(a, depth, max), (uint16_t)(r->avail_idx - from));
	const struct vhu_mem_region *hint = vhu_mem_hint(r->mem);
	uint32_t k;

	for (k = 0; k < want; k++) {
		uint16_t head = avail_head(r, from + k);
		struct vhu_desc d;

		if (unlikely(head >= r->size))
			break;
		desc_read(&d, &r->desc[head]);
		if ((d.flags & mask) != write ||
		    !ahead_take(r->mem, &hint, a, k, head, d.addr, d.len, min, max_len, write,
				data))
			break;
	}
	ahead_filled(a, k, want);
}

/*
 * Publish the used entries of a burst, then call the guest if it wants.
 * With EVENT_IDX the guest says so with used_event (after avail->ring[]),
 * and we tell it with avail_event (after used->ring[]) not to kick us: we
 * poll. avail_event is kept one behind what we consumed, so the guest's
 * avail index, never behind last_avail_idx, only crosses it after a full
 * wrap of the 16-bit index. Without EVENT_IDX the control path has set
 * VHU_USED_F_NO_NOTIFY once, and AVAIL_F_NO_INTERRUPT says "no call".
 */
static __rte_always_inline void
ring_finish(const struct vhu_dev *dev, struct vhu_vring *vq, struct vhu_ring *r)
{
	uint16_t old_used = vq->last_used_idx;
	uint16_t produced = r->last_used_idx - old_used;
	bool call;
	int callfd;

	vq->last_avail_idx = r->last_avail_idx;
	if (produced == 0)
		return;
	vq->last_used_idx = r->last_used_idx;
	__atomic_store_n(&r->used->idx, r->last_used_idx, __ATOMIC_RELEASE);

	/* The guest's wish must be read after it can see the new used->idx,
	 * or we may miss a change to "interrupt me" and the guest sleeps. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (dev->event_idx) {
		volatile uint16_t *avail_event =
			(volatile uint16_t *)&r->used->ring[r->size];
		uint16_t used_event = __atomic_load_n(&r->avail->ring[r->size],
						      __ATOMIC_RELAXED);

		*avail_event = (uint16_t)(r->last_avail_idx - !vq->guest_notify);
		call = vring_need_event(used_event, r->last_used_idx, old_used);
	} else {
		call = !(__atomic_load_n(&r->avail->flags, __ATOMIC_RELAXED) &
			 VHU_AVAIL_F_NO_INTERRUPT);
	}
	if (unlikely(dev->log_base != NULL))
		vhu_log_gpa(dev, vq->log_ring_gpa, vq->log_ring_len);
	callfd = vq->callfd;
	if (call && callfd >= 0) {
		eventfd_write(callfd, 1);
		vhu_stat_inc(&vq->ctr.calls);
	}
}

/*
 * Load the hot fields and the number of new avail entries. Returns -1 if
 * the ring is not usable (broken avail->idx: nothing is consumed).
 */
static __rte_always_inline int
ring_start(const struct vhu_dev *dev, const struct vhu_vring *vq,
	   struct vhu_ring *r, uint16_t vring, bool write)
{
	uint16_t entries;

	r->mem = vhu_dev_xlat(dev, write);
	r->tmem = vhu_dev_xlat(dev, false);
	r->desc = vq->desc;
	r->avail = vq->avail;
	r->used = vq->used;
	r->size = vq->size;
	r->mask = vq->size - 1;
	r->last_avail_idx = vq->last_avail_idx;
	r->last_used_idx = vq->last_used_idx;
	/* Set by the control path before the vring is ready; checked here
	 * once per burst because the copy code trusts them. burst.c read
	 * dev->packed before we entered the vring: check it again. */
	if (unlikely(r->mem == NULL || !vnet_hdr_len_ok(dev->vnet_hdr_len) || dev->packed))
		return -1;
	r->avail_idx = __atomic_load_n(&r->avail->idx, __ATOMIC_ACQUIRE);
	r->nheads = 0;
	entries = r->avail_idx - r->last_avail_idx;
	if (unlikely(entries > r->size)) {
		vhu_ring_error(dev->vid, vring, "avail index moved by more than the ring size");
		return -1;
	}
	return entries;
}

/* ------------------------------------------------------------------ Rx */

/* Guest buffers of one packet: its chains, and their pieces in v. */
struct vhu_rx_chains {
	uint16_t nr;
	uint16_t head[VHU_MAX_IOVS];
	uint64_t len[VHU_MAX_IOVS];	/* capacity collected per chain */
};

enum rx_result {
	RX_OK,
	RX_STOP,	/* not enough buffers now, or never: nothing consumed */
	RX_BROKEN,	/* a broken chain: its chains returned unused */
	RX_MISS,	/* an IOTLB miss (v says where): nothing consumed */
};

/*
 * Collect the guest buffers for need bytes from avail entries starting at
 * r->last_avail_idx: one chain, or as many as needed with mergeable buffers.
 */
static __rte_always_inline enum rx_result
rx_collect(struct vhu_ring *r, bool mrg, uint64_t need,
	   struct vhu_rx_chains *c, struct vhu_iovec *v, uint16_t *consumed)
{
	uint16_t pos = r->last_avail_idx;
	uint64_t cap = 0, got;
	int ret;

	c->nr = 0;
	v->nr = 0;
	do {
		if (pos == r->avail_idx || c->nr == VHU_MAX_IOVS)
			return RX_STOP;
		c->head[c->nr] = avail_head(r, pos);
		pos++;
		ret = chain_fetch(r, c->head[c->nr], VHU_DESC_F_WRITE, v,
				  need - cap, UINT64_MAX, &got);
		/* No room at all: no packet can ever use it. Waiting would
		 * stop the ring for good; return it like a broken one. */
		if (unlikely(ret == 0 && got == 0))
			ret = CHAIN_BROKEN;
		c->len[c->nr] = got;
		c->nr++;
		if (unlikely(ret == CHAIN_MISS))
			return RX_MISS;
		/* Too many pieces for this packet. Only the guest is to blame
		 * when its first chain alone has them: then it is broken. */
		if (unlikely(ret == CHAIN_NO_IOV && c->nr > 1))
			return RX_STOP;
		if (unlikely(ret < 0)) {
			*consumed = pos - r->last_avail_idx;
			return RX_BROKEN;
		}
		cap += got;
		if (!mrg && cap < need)
			return RX_STOP;	/* this chain can never hold it */
	} while (cap < need);

	*consumed = pos - r->last_avail_idx;
	return RX_OK;
}

/*
 * Copy pkts[*sent...] (up to count) into the next n read-ahead chains (one
 * descriptor each); their used elements go to the n used slots from
 * r->last_used_idx, none past the ring's end. A packet dropped for its
 * offloads takes no chain. false: stopped at pkts[*sent], too big for its
 * chain: the slow path takes it.
 */
static __rte_always_inline bool
rx_run(struct vhu_dev *dev, uint16_t vring, struct vhu_vring *vq, struct vhu_ring *r,
       struct vhu_ahead *a, uint32_t n, struct rte_mbuf **pkts, uint16_t count,
       uint16_t *sent, struct vhu_iovec *v, bool log)
{
	struct vhu_used_elem *e = &r->used->ring[r->last_used_idx & r->mask];
	enum ahead_rx res = AHEAD_RX_COPIED;
	uint16_t s = *sent;
	/* A packet takes one chain or none: j < n all along. */
	uint16_t end = s + RTE_MIN(n, (uint32_t)(count - s));
	uint32_t j = 0;

	while (s < end) {
		uint32_t len;
		uint16_t head;

		res = rx_ahead_copy(dev, vq, vring, a, pkts[s], v, log, &len, &head);
		if (unlikely(res == AHEAD_RX_TOO_BIG))
			break;
		s++;
		if (unlikely(res == AHEAD_RX_DROPPED))
			continue;
		e[j].id = head;
		e[j].len = len;
		j++;
	}
	r->last_used_idx += j;
	r->last_avail_idx += j;
	*sent = s;
	return res != AHEAD_RX_TOO_BIG;
}

/*
 * One packet the read-ahead does not take: its offloads, then guest buffers
 * by the full walk (rx_collect()). false: it stays with the caller (no
 * buffers now, or a broken chain, returned unused).
 */
static __rte_noinline bool
rx_one(struct vhu_dev *dev, uint16_t vring, struct vhu_vring *vq, struct vhu_ring *r,
       struct rte_mbuf *m, struct vhu_iovec *v, bool log)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	uint64_t left = (uint64_t)hdr_len + rte_pktmbuf_pkt_len(m);
	struct vhu_rx_chains chains;
	struct vhu_rx_hdr rh;
	enum rx_result res;
	uint16_t consumed, i;

	if (unlikely(!rx_offload_or_drop(vq, dev->vid, vring, dev->net_ol, m, &rh)))
		return true;	/* taken, not copied */
	res = rx_collect(r, dev->mrg_rxbuf, left, &chains, v, &consumed);
	if (unlikely(res != RX_OK)) {
		if (res == RX_MISS)
			vhu_iotlb_miss(dev, vring, v->miss_iova, v->miss_perm);
		if (res == RX_BROKEN) {
			vhu_ring_error(dev->vid, vring, "broken Rx descriptor chain");
			for (i = 0; i < chains.nr; i++)
				used_push(r, chains.head[i], 0);
			r->last_avail_idx += consumed;
		}
		return false;
	}
	rx_copy(v, m, &rh, hdr_len, chains.nr);
	if (log)
		vhu_log_iov(dev, v, left);
	for (i = 0; i < chains.nr; i++) {
		uint32_t n = RTE_MIN(left, chains.len[i]);

		used_push(r, chains.head[i], n);
		left -= n;
	}
	r->last_avail_idx += consumed;
	return true;
}

/*
 * The packets of an Rx burst into the ring r: runs of read-ahead chains,
 * and rx_one() for the rest. log: the dirty page log is on (log.c), every
 * buffer written is logged; a constant in both callers.
 */
static __rte_always_inline uint16_t
rx_burst(struct vhu_dev *dev, uint16_t vring, struct vhu_vring *vq, struct vhu_ring *r,
	 struct rte_mbuf **pkts, uint16_t count, bool log)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	struct vhu_ahead ah;
	struct vhu_iovec v;
	uint16_t sent = 0;

	ahead_init(&ah);
	while (sent < count) {
		uint32_t depth = rx_ahead_depth((uint64_t)hdr_len +
						rte_pktmbuf_pkt_len(pkts[sent]));
		uint32_t run;

		if (ahead_wants_fill(&ah, depth))
			ahead_fill(r, VHU_DESC_F_WRITE, 1, UINT32_MAX, hdr_len,
				   depth, count - sent, &ah);
		run = RTE_MIN(ahead_run(&ah, depth),
			      (uint32_t)(r->size - (r->last_used_idx & r->mask)));
		if (likely(run != 0) &&
		    likely(rx_run(dev, vring, vq, r, &ah, run, pkts, count, &sent, &v, log)))
			continue;
		ahead_stop(&ah);
		if (!rx_one(dev, vring, vq, r, pkts[sent], &v, log))
			break;
		sent++;
	}
	return sent;
}

uint16_t
vhu_split_enqueue(struct vhu_dev *dev, uint16_t vring, struct rte_mbuf **pkts, uint16_t count)
{
	struct vhu_vring *vq = &dev->vrings[vring];
	struct vhu_ring r;
	uint16_t sent;
	int entries;

	if (unlikely(!vhu_vring_enter(vq)))
		return 0;
	entries = ring_start(dev, vq, &r, vring, true);
	if (unlikely(entries <= 0)) {
		vhu_vring_leave(vq);
		return 0;
	}
	heads_load(&r, RTE_MIN((uint16_t)entries, RTE_MIN(count, VHU_SPLIT_BATCH)));
	used_prefetch(&r, RTE_MIN((uint16_t)entries, count));
	/* Read inside the vring: the control path changes it quiesced. */
	if (unlikely(dev->log_base != NULL))
		sent = rx_burst(dev, vring, vq, &r, pkts, count, true);
	else
		sent = rx_burst(dev, vring, vq, &r, pkts, count, false);
	ring_finish(dev, vq, &r);
	vhu_vring_leave(vq);
	return sent;
}

/* ------------------------------------------------------------------ Tx */

/*
 * Take the next n read-ahead chains (one descriptor each) into
 * pkts[*got...]; their used elements go to the n used slots from
 * r->last_used_idx, none past the ring's end. Returns how many were
 * consumed: fewer only when out of mbufs.
 */
static __rte_always_inline uint32_t
tx_run(const struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, struct vhu_ring *r,
       struct vhu_ahead *a, uint32_t n, struct rte_mbuf **pkts, uint16_t *got,
       const struct tx_pool *tp, bool in_order)
{
	struct vhu_used_elem *e = &r->used->ring[r->last_used_idx & r->mask];
	uint32_t ol = dev->net_ol;
	uint32_t j;

	for (j = 0; j < n; j++) {
		uint16_t head;
		enum tx_fill fill = tx_ahead_fill(dev, vq, vring, ol, a, pkts[*got], tp, &head);

		if (unlikely(fill == TX_FILL_NOMEM))
			break;
		*got += fill == TX_FILL_OK;
		if (in_order) {
			r->last_head = head;
		} else {
			e[j].id = head;
			e[j].len = 0;
		}
	}
	r->last_used_idx += j;
	r->last_avail_idx += j;
	return j;
}

/*
 * One chain the read-ahead does not take, by the full walk, into
 * pkts[*got]. false: out of mbufs (it stays for the next burst).
 */
static __rte_noinline bool
tx_one(struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, struct vhu_ring *r,
       struct rte_mbuf **pkts, uint16_t *got, const struct tx_pool *tp, bool in_order,
       struct vhu_iovec *v)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	uint16_t head = avail_head(r, r->last_avail_idx);
	enum tx_fill fill;
	uint64_t total;
	int ret;

	v->nr = 0;
	ret = chain_fetch(r, head, 0, v, UINT64_MAX, VHU_MAX_TX_PKT_LEN + hdr_len, &total);
	if (unlikely(ret == CHAIN_MISS)) {
		vhu_iotlb_miss(dev, vring, v->miss_iova, v->miss_perm);
		return false;	/* the chain waits for the answer */
	}
	if (unlikely(ret < 0 || total <= hdr_len)) {
		vhu_ring_error(dev->vid, vring, ret < 0 ? "broken or oversized Tx descriptor chain" :
			       "Tx descriptor chain with no payload after the vnet header");
		tx_used(r, head, in_order);
		r->last_avail_idx++;
		return true;
	}
	fill = tx_fill(dev, vq, vring, dev->net_ol, v, total, pkts[*got], tp);
	if (unlikely(fill == TX_FILL_NOMEM))
		return false;
	tx_used(r, head, in_order);
	r->last_avail_idx++;
	*got += fill == TX_FILL_OK;
	return true;
}

static __rte_always_inline uint16_t
split_dequeue(struct vhu_dev *dev, uint16_t vring, struct rte_mempool *mp,
	      struct rte_mbuf **pkts, uint16_t count, bool in_order)
{
	struct vhu_ahead ah;
	struct vhu_iovec v;
	struct vhu_vring *vq;
	struct tx_pool tp;
	struct vhu_ring r;
	uint16_t hdr_len, nb, got = 0, i;
	int entries;

	vq = &dev->vrings[vring];
	if (unlikely(!vhu_vring_enter(vq)))
		return 0;
	entries = ring_start(dev, vq, &r, vring, false);
	nb = RTE_MIN(count, (uint16_t)RTE_MAX(entries, 0));
	tx_pool_init(&tp, mp);
	if (nb == 0 || unlikely(tx_mbufs_get(&tp, pkts, nb) != 0)) {
		vhu_vring_leave(vq);
		return 0;
	}
	ahead_init(&ah);
	hdr_len = dev->vnet_hdr_len;
	r.last_head = 0;	/* read by tx_batch_close() only after a tx_used() */
	heads_load(&r, RTE_MIN(nb, VHU_SPLIT_BATCH));
	used_prefetch(&r, in_order ? 1 : nb);

	for (i = 0; i < nb;) {
		uint32_t run;

		if (ahead_wants_fill(&ah, VHU_AHEAD_TX))
			ahead_fill(&r, 0, hdr_len + 1u, VHU_MAX_TX_PKT_LEN + hdr_len,
				   hdr_len, VHU_AHEAD_TX, nb - i, &ah);
		run = RTE_MIN(ahead_run(&ah, VHU_AHEAD_TX),
			      (uint32_t)(r.size - (r.last_used_idx & r.mask)));
		if (likely(run != 0)) {
			uint32_t done = tx_run(dev, vq, vring, &r, &ah, run, pkts, &got, &tp,
					       in_order);

			i += done;
			if (unlikely(done < run))
				break;	/* out of mbufs */
			continue;
		}
		ahead_stop(&ah);
		if (!tx_one(dev, vq, vring, &r, pkts, &got, &tp, in_order, &v))
			break;
		i++;
	}

	if (got < nb)
		rte_pktmbuf_free_bulk(&pkts[got], nb - got);
	tx_batch_close(&r, vq, in_order);
	ring_finish(dev, vq, &r);
	vhu_vring_leave(vq);
	return got;
}

uint16_t
vhu_split_dequeue(struct vhu_dev *dev, uint16_t vring, struct rte_mempool *mp,
		  struct rte_mbuf **pkts, uint16_t count)
{
	if (dev->in_order)
		return split_dequeue(dev, vring, mp, pkts, count, true);
	return split_dequeue(dev, vring, mp, pkts, count, false);
}
