/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Packed virtqueue data path (VIRTIO_F_RING_PACKED, virtio 1.2 2.8):
 * vhu_packed_enqueue() (host -> guest Rx vring) and vhu_packed_dequeue()
 * (guest Tx vring -> host), called by burst.c on packed rings.
 *
 * The same shape as split.c: fetch a chain into a local vector of our
 * pointers (every descriptor read once, validated, translated), copy, write
 * its used descriptor, and at the end of the burst call the guest if its
 * driver event area asks for it.
 *
 * One ring of descriptors serves both directions. The driver makes a
 * descriptor available by setting AVAIL to its wrap counter and USED to the
 * opposite; we return a chain with one used descriptor (AVAIL = USED = our
 * used wrap counter) at the slot of its first descriptor, carrying the
 * buffer id of its last one, and skip the chain's other slots (on Tx with
 * IN_ORDER, one used descriptor returns the whole burst). Every chain
 * is returned in the order it was made available, in the burst that
 * consumed it (broken ones included, with length 0): the used slot is then
 * always the avail slot of the chain, IN_ORDER holds, and nothing is ever
 * in flight between bursts (GET_VRING_BASE reports equal halves).
 *
 * A used descriptor's length, id and flags go out in one 8-byte store. The
 * burst's first one waits for the end of the burst, so that the driver,
 * which reads them in ring order, sees the burst at once: Tx holds that
 * descriptor back (used_write()), Rx the whole cache line it is in
 * (rx_used_put()).
 *
 * Most chains are one plain descriptor each: the read-ahead (virtq.h) finds
 * them, and they are taken in runs (rx_run(), tx_run()) that stop only at
 * the ring's end: one lap, one wrap counter, used slots in sequence. The
 * rest go one chain at a time through the full walk (rx_one(), tx_one()).
 *
 * Guest memory is hostile and changes under our feet: every value read from
 * it is read once into a local and checked before it is used, and nothing
 * outside the memory table's regions is ever touched. A chain is at most
 * one lap of the ring long.
 */
#include <errno.h>
#include <stdalign.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "virtq.h"

/* chain_fetch(): no available descriptor at the cursor. */
#define CHAIN_NONE	(-EAGAIN)
_Static_assert(CHAIN_NONE != CHAIN_MISS && CHAIN_NONE != CHAIN_BROKEN &&
	       CHAIN_NONE != CHAIN_TOO_BIG && CHAIN_NONE != CHAIN_NO_IOV,
	       "chain_fetch() results must differ");

/* Descriptors in a cache line. */
#define DESCS_PER_LINE	(RTE_CACHE_LINE_SIZE / sizeof(struct vhu_pdesc))
#define RX_PEND_MAX	DESCS_PER_LINE

/* A ring position: slot and the wrap counter of the lap it is in. */
struct pcur {
	uint16_t idx;
	uint8_t wrap;
};

/* Per-burst copy of the hot vring fields. */
struct vhu_pring {
	const struct vhu_mem *mem;	/* of the buffers, for the burst's access */
	const struct vhu_mem *tmem;	/* of indirect tables: we read them */
	struct vhu_pdesc *desc;
	const struct vhu_pevent *driver_event;
	uint16_t size;
	struct pcur avail;	/* next slot we read */
	struct pcur used;	/* next slot we write a used descriptor to */
	uint32_t produced;	/* slots returned in this burst */
	struct vhu_pdesc *first;	/* Tx: the burst's first used descriptor, */
	uint16_t first_id;	/* its id and flags, stored by ring_finish() */
	uint16_t first_flags;
	uint16_t last_id;	/* Tx with IN_ORDER: id of the burst's last chain */
	/* Rx: the used descriptors of the burst's first cache line of the
	 * ring, written at its end (rx_used_put(), rx_used_flush()). */
	uint8_t npend;
	uint8_t pend_room;	/* slots from the burst's first to its line's end */
	uint64_t pend_val[RX_PEND_MAX];
	struct vhu_pdesc *pend[RX_PEND_MAX];
};

/* One fetched chain. */
struct pchain {
	uint16_t id;		/* buffer id (of its last descriptor) */
	uint16_t slots;		/* ring descriptors it occupies */
	uint64_t len;		/* bytes of its buffers */
};

static __rte_always_inline void
cur_advance(struct pcur *c, uint16_t n, uint16_t size)
{
	uint32_t i = (uint32_t)c->idx + n;	/* n <= size: one lap at most */

	if (i >= size) {
		i -= size;
		c->wrap ^= 1;
	}
	c->idx = i;
}

/* Made available by the driver in the lap of wrap counter wrap. */
static __rte_always_inline bool
desc_is_avail(uint16_t flags, uint8_t wrap)
{
	uint16_t want = wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED;

	return (flags & (VHU_DESC_F_AVAIL | VHU_DESC_F_USED)) == want;
}

/* The flags decide whether the rest of a descriptor is valid: read them
 * first, with acquire, then the rest (desc_body()). */
static __rte_always_inline uint16_t
desc_flags(const struct vhu_pdesc *d)
{
	return __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
}

static __rte_always_inline void
desc_body(struct vhu_pdesc *dst, const struct vhu_pdesc *src)
{
	const volatile struct vhu_pdesc *s = src;

	dst->addr = s->addr;
	dst->len = s->len;
	dst->id = s->id;
}

/*
 * One buffer of a chain: direction write (VHU_DESC_F_WRITE for Rx, 0 for
 * Tx), not empty, in guest memory. Only the first want bytes of the chain
 * are stored in v; more than max bytes is CHAIN_TOO_BIG.
 */
static __rte_always_inline int
buf_take(const struct vhu_mem *mem, struct vhu_iovec *v, uint64_t addr, uint32_t len,
	 uint16_t flags, uint16_t write, uint64_t want, uint64_t max, uint64_t *total)
{
	int ret;

	if (unlikely((flags & (VHU_DESC_F_WRITE | VHU_DESC_F_INDIRECT)) != write || len == 0))
		return CHAIN_BROKEN;
	ret = iov_add(mem, v, addr, len, *total < want, ACCESS_OF(write));
	if (unlikely(ret < 0))
		return ret;
	*total += len;
	if (unlikely(*total > max))
		return CHAIN_TOO_BIG;
	return 0;
}

/*
 * An indirect table (virtio 1.2 2.8.11): len / 16 descriptors used in
 * sequence. Only WRITE counts in their flags (NEXT, AVAIL, USED and the id
 * are ignored, as the spec says; DPDK's driver sets them), but an indirect
 * descriptor inside the table is refused. For Tx, WRITE is ignored too:
 * DPDK's virtio driver (22.11) initialises its packed Tx tables with WRITE
 * and leaves it on the vnet header entry. Reading a buffer the guest marked
 * writable harms no one; Rx still needs WRITE on every entry. tmem
 * translates the table (we read it), mem its buffers.
 */
static __rte_noinline int
indirect_fetch(const struct vhu_mem *tmem, const struct vhu_mem *mem, uint64_t addr,
	       uint32_t len, uint16_t write, struct vhu_iovec *v, uint64_t want, uint64_t max,
	       uint64_t *total)
{
	const volatile struct vhu_pdesc *t;
	uint32_t n, i;
	int ret;

	if (unlikely(len == 0 || (len & (sizeof(struct vhu_pdesc) - 1)) != 0 ||
		     len / sizeof(struct vhu_pdesc) > VHU_MAX_RING_SIZE))
		return CHAIN_BROKEN;
	t = vhu_gpa_range_to_hva(tmem, addr, len);
	if (unlikely(t == NULL)) {
		const void *span;

		ret = vhu_indirect_span(tmem, addr, len, v, &span);
		if (ret < 0)
			return ret;
		t = span;
	}
	if (unlikely((uintptr_t)t & (alignof(struct vhu_pdesc) - 1)))
		return CHAIN_BROKEN;
	n = len / sizeof(struct vhu_pdesc);
	for (i = 0; i < n; i++) {
		uint64_t a = t[i].addr;
		uint32_t l = t[i].len;
		uint16_t f = t[i].flags & (write | VHU_DESC_F_INDIRECT);

		ret = buf_take(mem, v, a, l, f, write, want, max, total);
		if (unlikely(ret < 0))
			return ret;
	}
	return 0;
}

/*
 * Fetch the chain whose first descriptor is at cur: its buffers into v, its
 * id, slot count and length into c. CHAIN_NONE if that descriptor is not
 * available. On any other error the chain is still walked to its end
 * (while its descriptors are available, one lap at most), so that c says
 * what to return to the guest and the next chain starts where the driver
 * put it. An indirect descriptor must be a chain of its own.
 */
static __rte_always_inline int
chain_fetch(const struct vhu_pring *r, struct pcur cur, uint16_t write,
	    struct vhu_iovec *v, uint64_t want, uint64_t max, struct pchain *c)
{
	const struct vhu_pdesc *d = &r->desc[cur.idx];
	uint16_t flags = desc_flags(d);
	uint64_t total = 0;
	struct vhu_pdesc b;
	uint16_t n = 0;
	int ret = 0;

	if (!desc_is_avail(flags, cur.wrap))
		return CHAIN_NONE;
	for (;;) {
		desc_body(&b, d);
		n++;
		c->id = b.id;
		if (likely(ret == 0)) {
			if (unlikely(flags & VHU_DESC_F_INDIRECT))
				ret = n == 1 && !(flags & VHU_DESC_F_NEXT) ?
					indirect_fetch(r->tmem, r->mem, b.addr, b.len, write, v,
						       want, max, &total) :
					CHAIN_BROKEN;
			else
				ret = buf_take(r->mem, v, b.addr, b.len, flags, write,
					       want, max, &total);
		}
		if (!(flags & VHU_DESC_F_NEXT))
			break;
		if (unlikely(n == r->size)) {
			ret = CHAIN_BROKEN;	/* longer than the ring */
			break;
		}
		cur_advance(&cur, 1, r->size);
		d = &r->desc[cur.idx];
		flags = desc_flags(d);
		if (unlikely(!desc_is_avail(flags, cur.wrap))) {
			ret = CHAIN_BROKEN;	/* the driver publishes the head last */
			break;
		}
	}
	c->slots = n;
	c->len = total;
	return ret;
}

/*
 * Take for writing the descriptor lines of the n slots (1 <= n <= size)
 * from cur: they were made available, so the driver does not touch them
 * until it sees them used, and our used descriptors go there. Without it,
 * each line came to us shared when its descriptors were read and waited
 * for the driver's core again at our first store into it.
 */
static __rte_always_inline void
desc_prefetch_write(const struct vhu_pring *r, struct pcur cur, uint16_t n)
{
	ring_prefetch_write(r->desc, sizeof(struct vhu_pdesc), cur.idx, n, r->size);
}

/*
 * Read ahead (virtq.h) the chains after those pending from r->avail, up to
 * depth pending in all and max for the rest of the burst, that are one
 * available descriptor each, direction write, no NEXT or INDIRECT, len in
 * [min, max_len]. Stops at the first other one; the slow path deals with
 * it. With take_lines, the descriptor lines of what it read are taken for
 * writing: our used descriptors go there.
 */
static __rte_always_inline void
ahead_fill(const struct vhu_pring *r, uint16_t write, uint32_t min, uint32_t max_len,
	   uint16_t data, uint32_t depth, uint16_t max, struct vhu_ahead *a, bool take_lines)
{
	const uint16_t mask = VHU_DESC_F_AVAIL | VHU_DESC_F_USED | VHU_DESC_F_NEXT |
			      VHU_DESC_F_INDIRECT | VHU_DESC_F_WRITE;
	uint32_t pending = ahead_pending(a);
	uint32_t want = RTE_MIN(ahead_room(a, depth, max), r->size - pending);
	const struct vhu_mem_region *hint = vhu_mem_hint(r->mem);
	struct pcur from = r->avail, cur;
	uint32_t k = 0;

	cur_advance(&from, pending, r->size);
	cur = from;
	/* Up to the ring's end, then the next lap: one wrap counter each. */
	while (k < want) {
		const struct vhu_pdesc *d = &r->desc[cur.idx];
		uint16_t flags = write | (cur.wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED);
		uint32_t n = RTE_MIN(want - k, (uint32_t)(r->size - cur.idx));
		uint32_t j;

		for (j = 0; j < n; j++) {
			struct vhu_pdesc b;

			if ((desc_flags(&d[j]) & mask) != flags)
				break;
			desc_body(&b, &d[j]);
			if (!ahead_take(r->mem, &hint, a, k + j, b.id, b.addr, b.len, min,
					max_len, write, data))
				break;
		}
		k += j;
		if (j < n)
			break;
		cur_advance(&cur, n, r->size);
	}
	if (take_lines && k != 0)
		desc_prefetch_write(r, from, k);
	ahead_filled(a, k, want);
}

/* The flags of a used descriptor written now (write: VHU_DESC_F_WRITE for
 * Rx, 0 for Tx): AVAIL and USED both our used wrap counter. */
static __rte_always_inline uint16_t
used_flags(const struct vhu_pring *r, uint16_t write)
{
	return write | (r->used.wrap ? VHU_DESC_F_AVAIL | VHU_DESC_F_USED : 0);
}

/* len, id and flags of a descriptor: its second 8 bytes (little endian,
 * as the code everywhere assumes), stored at once. */
typedef uint64_t __attribute__((may_alias)) pdesc_tail_t;

static __rte_always_inline uint64_t
pdesc_tail(uint32_t len, uint16_t id, uint16_t flags)
{
	RTE_BUILD_BUG_ON(offsetof(struct vhu_pdesc, len) != 8 ||
			 offsetof(struct vhu_pdesc, id) != 12 ||
			 offsetof(struct vhu_pdesc, flags) != 14);
	return len | (uint64_t)id << 32 | (uint64_t)flags << 48;
}

/*
 * Return a Tx chain (used length 0): its used descriptor at our used slot,
 * then skip it. The burst's first one waits for ring_finish(): the driver
 * reads used descriptors in ring order, so it sees none of the burst until
 * then, and does not pull the lines we are writing back and forth
 * meanwhile.
 */
static __rte_always_inline void
used_write(struct vhu_pring *r, uint16_t id, uint16_t slots)
{
	struct vhu_pdesc *d = &r->desc[r->used.idx];
	uint16_t flags = used_flags(r, 0);

	if (r->produced == 0) {
		r->first = d;
		r->first_id = id;
		r->first_flags = flags;
	} else {
		__atomic_store_n((pdesc_tail_t *)&d->len, pdesc_tail(0, id, flags),
				 __ATOMIC_RELEASE);
	}
	cur_advance(&r->used, slots, r->size);
	r->produced += slots;
}

/*
 * Return a Tx chain (used length 0). With IN_ORDER one used descriptor
 * returns the whole burst (virtio 1.2, packed ring, "In-order use of
 * descriptors"): at the first chain's slot, carrying the buffer id of the
 * last one (tx_batch_close()); the driver walks its own chains up to that
 * id. The other slots are skipped unwritten, and their lines stay with the
 * driver's core. Rx cannot do this: each of its buffers has its length.
 */
static __rte_always_inline void
tx_used(struct vhu_pring *r, uint16_t id, uint16_t slots, bool in_order)
{
	if (in_order)
		r->last_id = id;
	if (!in_order || r->produced == 0) {
		used_write(r, id, slots);
		return;
	}
	cur_advance(&r->used, slots, r->size);
	r->produced += slots;
}

/* The one used descriptor of an IN_ORDER Tx burst gets the last chain's id
 * (written by ring_finish()). */
static __rte_always_inline void
tx_batch_close(struct vhu_pring *r, bool in_order)
{
	if (in_order && r->produced != 0)
		r->first_id = r->last_id;
}

/* Ring position -> 0 .. 2 * size - 1, counting laps of either wrap. */
static __rte_always_inline uint32_t
cur_linear(uint16_t idx, uint8_t wrap, uint16_t size)
{
	return idx + (wrap ? 0u : size);
}

/*
 * VHU_RING_EVENT_F_DESC: the driver wants a call once we return the used
 * descriptor at off_wrap, i.e. when that position lies in [old, new).
 * Positions counted modulo two laps: the wrap counter tells them apart.
 */
static __rte_always_inline bool
used_event_crossed(uint16_t size, uint16_t off_wrap, struct pcur old, struct pcur new)
{
	uint32_t s2 = 2u * size;
	uint32_t ev = cur_linear(off_wrap & VHU_PACKED_IDX_MASK,
				 off_wrap >> VHU_RING_EVENT_WRAP_SHIFT, size) % s2;
	uint32_t o = cur_linear(old.idx, old.wrap, size);
	uint32_t n = cur_linear(new.idx, new.wrap, size);

	return (n + s2 - ev - 1) % s2 < (n + s2 - o) % s2;
}

/*
 * Save the positions, then call the guest if its driver event area asks
 * for it: ENABLE always, DISABLE never, DESC (only with EVENT_IDX) when its
 * position was crossed. Anything else calls: a guest must not sleep on a
 * value it should not have written. Our device event area says DISABLE
 * (handlers.c): we poll, kicks are not wanted.
 */
static __rte_always_inline void
ring_finish(const struct vhu_dev *dev, struct vhu_vring *vq, struct vhu_pring *r)
{
	struct pcur old = { .idx = vq->last_used_idx, .wrap = vq->used_wrap };
	uint16_t flags, off_wrap;
	int callfd;

	vq->last_avail_idx = r->avail.idx;
	vq->avail_wrap = r->avail.wrap;
	if (r->produced == 0)
		return;
	vq->last_used_idx = r->used.idx;
	vq->used_wrap = r->used.wrap;
	if (r->first != NULL)	/* Tx */
		__atomic_store_n((pdesc_tail_t *)&r->first->len,
				 pdesc_tail(0, r->first_id, r->first_flags), __ATOMIC_RELEASE);
	if (unlikely(dev->log_base != NULL))
		vhu_log_gpa(dev, vq->log_ring_gpa, vq->log_ring_len);

	/* The used descriptors are out (release stores); the guest's wish
	 * must be read after they are visible, or we miss a change to "call
	 * me" and the guest sleeps. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = __atomic_load_n(&r->driver_event->flags, __ATOMIC_RELAXED);
	if (flags == VHU_RING_EVENT_F_DISABLE)
		return;
	if (flags == VHU_RING_EVENT_F_DESC && dev->event_idx && r->produced < r->size) {
		off_wrap = __atomic_load_n(&r->driver_event->off_wrap, __ATOMIC_RELAXED);
		if (!used_event_crossed(r->size, off_wrap, old, r->used))
			return;
	}
	callfd = vq->callfd;
	if (callfd >= 0) {
		eventfd_write(callfd, 1);
		vhu_stat_inc(&vq->ctr.calls);
	}
}

/* Load the hot fields. -1 if the ring is not usable now. */
static __rte_always_inline int
ring_start(const struct vhu_dev *dev, const struct vhu_vring *vq, struct vhu_pring *r,
	   bool write)
{
	r->mem = vhu_dev_xlat(dev, write);
	r->tmem = vhu_dev_xlat(dev, false);
	r->desc = vq->pdesc;
	r->driver_event = vq->driver_event;
	r->size = vq->size;
	r->avail.idx = vq->last_avail_idx;
	r->avail.wrap = vq->avail_wrap;
	r->used.idx = vq->last_used_idx;
	r->used.wrap = vq->used_wrap;
	r->produced = 0;
	r->first = NULL;
	r->last_id = 0;
	r->npend = 0;
	/* Set by the control path before the vring is ready (device.c checked
	 * the slots against the size); checked here once per burst because
	 * the copy code trusts them. burst.c read dev->packed before we
	 * entered the vring: check it again. */
	if (unlikely(r->mem == NULL || !vnet_hdr_len_ok(dev->vnet_hdr_len) || !dev->packed))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ Rx */

/* Rx: how many slots from the burst's first used one are in its cache
 * line (and before the ring's end): their used descriptors wait. At least
 * the first one, whatever the ring's alignment. */
static __rte_always_inline void
rx_pend_init(struct vhu_pring *r)
{
	uintptr_t off = (uintptr_t)&r->desc[r->used.idx] & (RTE_CACHE_LINE_SIZE - 1);
	uint32_t room = (RTE_CACHE_LINE_SIZE - off) / sizeof(struct vhu_pdesc);

	room = RTE_MIN(room, (uint32_t)(r->size - r->used.idx));
	r->pend_room = RTE_MAX(room, 1u);
}

/* Publish the pending used descriptors: each is one aligned 8-byte store
 * (atomic: the driver sees its flags with its id and length or not at
 * all), with release (the buffers' bytes go first), the burst's first one
 * last: once the driver sees it, the rest are there. */
static __rte_always_inline void
rx_used_flush(struct vhu_pring *r)
{
	unsigned int i = r->npend;

	while (i--)
		__atomic_store_n((pdesc_tail_t *)&r->pend[i]->len, r->pend_val[i],
				 __ATOMIC_RELEASE);
	r->npend = 0;
}

/*
 * Write the used descriptor d (len, id, flags in val) of an Rx chain, the
 * burst's slot-th. The used descriptors of the burst's first cache
 * line of the ring wait for the end of the burst (rx_used_flush()); the
 * rest are written as we go. The driver reads used descriptors in ring
 * order: it polls the burst's first one, sees nothing of the burst before
 * its end (then all of it: the buffers of a mergeable packet are used
 * together, virtio 1.2 5.1.6.4), and the line it polls is written once,
 * whole, instead of going back and forth between it and us while we fill
 * it. (Writing each line once complete, so that the driver could start
 * before the end, was 4-8 % slower on this machine with the vCPUs on
 * distant cores.)
 */
static __rte_always_inline void
rx_used_put(struct vhu_pring *r, struct vhu_pdesc *d, uint32_t slot, uint64_t val)
{
	if (slot < r->pend_room) {	/* slot: counted from the burst's first */
		r->pend[r->npend] = d;
		r->pend_val[r->npend] = val;
		r->npend++;
	} else {
		__atomic_store_n((pdesc_tail_t *)&d->len, val, __ATOMIC_RELEASE);
	}
}

/* Return an Rx chain of slots descriptors with len bytes written: its used
 * descriptor at our used slot, then skip it. */
static __rte_always_inline void
rx_used_write(struct vhu_pring *r, uint16_t id, uint32_t len, uint16_t slots)
{
	rx_used_put(r, &r->desc[r->used.idx], r->produced,
		    pdesc_tail(len, id, used_flags(r, VHU_DESC_F_WRITE)));
	cur_advance(&r->used, slots, r->size);
	r->produced += slots;
}

/* Guest buffers of one packet: its chains, and their pieces in v. */
struct vhu_prx_chains {
	uint16_t nr;
	struct pcur end;		/* avail position after the last */
	uint16_t id[VHU_MAX_IOVS];
	uint16_t slots[VHU_MAX_IOVS];
	uint64_t len[VHU_MAX_IOVS];	/* capacity per chain */
};

enum rx_result {
	RX_OK,
	RX_STOP,	/* not enough buffers now, or never: nothing consumed */
	RX_BROKEN,	/* a broken chain: its chains returned unused */
	RX_MISS,	/* an IOTLB miss (v says where): nothing consumed */
};

/*
 * Collect the guest buffers for need bytes from the chains at r->avail:
 * one chain, or as many as needed with mergeable buffers, one lap at most.
 */
static __rte_always_inline enum rx_result
rx_collect(const struct vhu_pring *r, bool mrg, uint64_t need,
	   struct vhu_prx_chains *c, struct vhu_iovec *v)
{
	struct pcur cur = r->avail;
	uint32_t slots = 0;
	uint64_t cap = 0;
	struct pchain ch;
	int ret;

	c->nr = 0;
	v->nr = 0;
	do {
		if (c->nr == VHU_MAX_IOVS || slots >= r->size)
			return RX_STOP;
		ret = chain_fetch(r, cur, VHU_DESC_F_WRITE, v, need - cap, UINT64_MAX, &ch);
		if (ret == CHAIN_NONE)
			return RX_STOP;
		c->id[c->nr] = ch.id;
		c->slots[c->nr] = ch.slots;
		c->len[c->nr] = ch.len;
		c->nr++;
		cur_advance(&cur, ch.slots, r->size);
		slots += ch.slots;
		c->end = cur;
		if (unlikely(ret == CHAIN_MISS))
			return RX_MISS;
		/* Too many pieces for this packet. Only the guest is to blame
		 * when its first chain alone has them: then it is broken. */
		if (unlikely(ret == CHAIN_NO_IOV && c->nr > 1))
			return RX_STOP;
		if (unlikely(ret < 0))
			return RX_BROKEN;
		cap += ch.len;
		if (!mrg && cap < need)
			return RX_STOP;	/* this chain can never hold it */
	} while (cap < need);
	return RX_OK;
}

/*
 * Copy pkts[*sent...] (up to count) into the next n read-ahead chains (one
 * slot each, so their used descriptors go to the n slots from r->used, all
 * in one lap). A packet dropped for its offloads takes no chain. false:
 * stopped at pkts[*sent], too big for its chain: the slow path takes it.
 */
static __rte_always_inline bool
rx_run(struct vhu_dev *dev, uint16_t vring, struct vhu_vring *vq, struct vhu_pring *r,
       struct vhu_ahead *a, uint32_t n, struct rte_mbuf **pkts, uint16_t count,
       uint16_t *sent, struct vhu_iovec *v, bool log)
{
	struct vhu_pdesc *d = &r->desc[r->used.idx];
	uint16_t flags = used_flags(r, VHU_DESC_F_WRITE);
	enum ahead_rx res = AHEAD_RX_COPIED;
	uint16_t s = *sent;
	/* A packet takes one chain or none: j < n all along. */
	uint16_t end = s + RTE_MIN(n, (uint32_t)(count - s));
	uint32_t j = 0;

	while (s < end) {
		uint32_t len;
		uint16_t id;

		res = rx_ahead_copy(dev, vq, vring, a, pkts[s], v, log, &len, &id);
		if (unlikely(res == AHEAD_RX_TOO_BIG))
			break;
		s++;
		if (unlikely(res == AHEAD_RX_DROPPED))
			continue;
		rx_used_put(r, &d[j], r->produced + j, pdesc_tail(len, id, flags));
		j++;
	}
	cur_advance(&r->used, j, r->size);
	cur_advance(&r->avail, j, r->size);
	r->produced += j;
	*sent = s;
	return res != AHEAD_RX_TOO_BIG;
}

/*
 * One packet the read-ahead does not take: its offloads, then guest buffers
 * by the full walk (rx_collect()). false: it stays with the caller (no
 * buffers now, or a broken chain, returned unused).
 */
static __rte_noinline bool
rx_one(struct vhu_dev *dev, uint16_t vring, struct vhu_vring *vq, struct vhu_pring *r,
       struct rte_mbuf *m, struct vhu_iovec *v, bool log)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	uint64_t left = (uint64_t)hdr_len + rte_pktmbuf_pkt_len(m);
	struct vhu_prx_chains chains;
	struct vhu_rx_hdr rh;
	enum rx_result res;
	uint16_t i;

	if (unlikely(!rx_offload_or_drop(vq, dev->vid, vring, dev->net_ol, m, &rh)))
		return true;	/* taken, not copied */
	res = rx_collect(r, dev->mrg_rxbuf, left, &chains, v);
	if (unlikely(res != RX_OK)) {
		if (res == RX_MISS)
			vhu_iotlb_miss(dev, vring, v->miss_iova, v->miss_perm);
		if (res == RX_BROKEN) {
			vhu_ring_error(dev->vid, vring, "broken packed Rx descriptor chain");
			for (i = 0; i < chains.nr; i++)
				rx_used_write(r, chains.id[i], 0, chains.slots[i]);
			r->avail = chains.end;
		}
		return false;
	}
	rx_copy(v, m, &rh, hdr_len, chains.nr);
	if (log)
		vhu_log_iov(dev, v, left);
	for (i = 0; i < chains.nr; i++) {
		uint32_t n = RTE_MIN(left, chains.len[i]);

		rx_used_write(r, chains.id[i], n, chains.slots[i]);
		left -= n;
	}
	r->avail = chains.end;
	return true;
}

/*
 * The packets of an Rx burst into the ring r: runs of read-ahead chains,
 * and rx_one() for the rest. log: the dirty page log is on (log.c), every
 * buffer written is logged; a constant in both callers.
 */
static __rte_always_inline uint16_t
rx_burst(struct vhu_dev *dev, uint16_t vring, struct vhu_vring *vq, struct vhu_pring *r,
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
				   depth, count - sent, &ah, true);
		run = RTE_MIN(ahead_run(&ah, depth), (uint32_t)(r->size - r->used.idx));
		if (likely(run != 0) &&
		    likely(rx_run(dev, vring, vq, r, &ah, run, pkts, count, &sent, &v, log)))
			continue;
		ahead_stop(&ah);
		if (!rx_one(dev, vring, vq, r, pkts[sent], &v, log))
			break;
		sent++;
	}
	rx_used_flush(r);
	return sent;
}

uint16_t
vhu_packed_enqueue(struct vhu_dev *dev, uint16_t vring, struct rte_mbuf **pkts, uint16_t count)
{
	struct vhu_vring *vq = &dev->vrings[vring];
	struct vhu_pring r;
	uint16_t sent;

	if (unlikely(!vhu_vring_enter(vq)))
		return 0;
	if (unlikely(ring_start(dev, vq, &r, true) < 0)) {
		vhu_vring_leave(vq);
		return 0;
	}
	rx_pend_init(&r);
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
 * How many chains (up to max) start at r->avail, from the flags alone. A
 * hint only; chain_fetch() reads and checks each descriptor again. A
 * trailing chain that is not complete is counted: chain_fetch() finds it
 * broken, and it is returned.
 */
static __rte_always_inline uint16_t
avail_chains(const struct vhu_pring *r, uint16_t max)
{
	struct pcur cur = r->avail;
	bool start = true;
	uint16_t n = 0;
	uint32_t slots;

	for (slots = 0; slots < r->size; slots++) {
		uint16_t f = desc_flags(&r->desc[cur.idx]);

		if (!desc_is_avail(f, cur.wrap))
			break;
		if (start) {
			if (n == max)
				break;
			n++;
		}
		start = !(f & VHU_DESC_F_NEXT);
		cur_advance(&cur, 1, r->size);
	}
	return n;
}

/*
 * Load the flags of one descriptor per cache line of the n slots from
 * r->avail, after the first line, up to the first one not available. A
 * hint only, as in avail_chains(). The loads do not depend on each other,
 * so the misses on the lines the driver has just written overlap; the
 * read-ahead, with more work per descriptor, would take them one after
 * the other. (Counting the chains first, one load per descriptor, and
 * allocating the mbufs only after it, cost 2-10 % more cycles a packet.)
 */
static __rte_always_inline void
desc_lines_load(const struct vhu_pring *r, uint16_t n)
{
	uint32_t k, lim = RTE_MIN(n, r->size);

	for (k = DESCS_PER_LINE; k < lim; k += DESCS_PER_LINE) {
		struct pcur c = r->avail;
		uint16_t f;

		cur_advance(&c, k, r->size);
		f = __atomic_load_n(&r->desc[c.idx].flags, __ATOMIC_RELAXED);
		if (!desc_is_avail(f, c.wrap))
			break;
	}
}

/*
 * mbufs for a Tx burst: none if no chain is available, else count, the
 * unused ones freed at the end of the burst. Only from a pool that cannot
 * give count: as many as there are chains.
 */
static __rte_always_inline uint16_t
tx_mbufs_alloc(const struct vhu_pring *r, const struct tx_pool *tp, struct rte_mbuf **pkts,
	       uint16_t count)
{
	uint16_t nb;

	if (!desc_is_avail(desc_flags(&r->desc[r->avail.idx]), r->avail.wrap))
		return 0;
	if (likely(tx_mbufs_get(tp, pkts, count) == 0))
		return count;
	nb = avail_chains(r, count);
	return tx_mbufs_get(tp, pkts, nb) == 0 ? nb : 0;
}

/*
 * Take the next n read-ahead chains (1 <= n, none past the ring's end)
 * into pkts[*got...]: one slot each, so their used descriptors go to the n
 * slots from r->used (the used slot of a chain is its avail slot), all in
 * one lap. Returns how many were consumed: fewer only when out of mbufs.
 */
static __rte_always_inline uint32_t
tx_run(const struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, struct vhu_pring *r,
       struct vhu_ahead *a, uint32_t n, struct rte_mbuf **pkts, uint16_t *got,
       const struct tx_pool *tp, bool in_order)
{
	struct vhu_pdesc *d = &r->desc[r->used.idx];
	uint16_t flags = used_flags(r, 0);
	uint32_t ol = dev->net_ol;
	uint32_t j;

	for (j = 0; j < n; j++) {
		uint16_t id;
		enum tx_fill fill = tx_ahead_fill(dev, vq, vring, ol, a, pkts[*got], tp, &id);

		if (unlikely(fill == TX_FILL_NOMEM))
			break;
		*got += fill == TX_FILL_OK;
		if (in_order)
			r->last_id = id;
		if (r->produced + j == 0) {	/* waits for ring_finish() */
			r->first = d;
			r->first_id = id;
			r->first_flags = flags;
		} else if (!in_order) {
			__atomic_store_n((pdesc_tail_t *)&d[j].len, pdesc_tail(0, id, flags),
					 __ATOMIC_RELEASE);
		}
	}
	cur_advance(&r->used, j, r->size);
	cur_advance(&r->avail, j, r->size);
	r->produced += j;
	return j;
}

/*
 * One chain the read-ahead does not take, by the full walk, into
 * pkts[*got]. false: nothing available, or out of mbufs (it stays for the
 * next burst).
 */
static __rte_noinline bool
tx_one(struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, struct vhu_pring *r,
       struct rte_mbuf **pkts, uint16_t *got, const struct tx_pool *tp, bool in_order,
       struct vhu_iovec *v)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	enum tx_fill fill;
	struct pchain ch;
	int ret;

	v->nr = 0;
	ret = chain_fetch(r, r->avail, 0, v, UINT64_MAX, VHU_MAX_TX_PKT_LEN + hdr_len, &ch);
	if (ret == CHAIN_NONE)
		return false;	/* the end of what the driver made available */
	if (unlikely(ret == CHAIN_MISS)) {
		vhu_iotlb_miss(dev, vring, v->miss_iova, v->miss_perm);
		return false;	/* the chain waits for the answer */
	}
	if (unlikely(ret < 0 || ch.len <= hdr_len)) {
		vhu_ring_error(dev->vid, vring, ret < 0 ?
			"broken or oversized packed Tx descriptor chain" :
			"packed Tx descriptor chain with no payload after the vnet header");
		tx_used(r, ch.id, ch.slots, in_order);
		cur_advance(&r->avail, ch.slots, r->size);
		return true;
	}
	fill = tx_fill(dev, vq, vring, dev->net_ol, v, ch.len, pkts[*got], tp);
	if (unlikely(fill == TX_FILL_NOMEM))
		return false;
	tx_used(r, ch.id, ch.slots, in_order);
	cur_advance(&r->avail, ch.slots, r->size);
	*got += fill == TX_FILL_OK;
	return true;
}

static __rte_always_inline uint16_t
packed_dequeue(struct vhu_dev *dev, uint16_t vring, struct rte_mempool *mp,
	       struct rte_mbuf **pkts, uint16_t count, bool in_order)
{
	struct vhu_vring *vq = &dev->vrings[vring];
	struct vhu_ahead ah;
	struct vhu_iovec v;
	struct vhu_pring r;
	struct tx_pool tp;
	uint16_t hdr_len, nb, got = 0, i;

	if (unlikely(!vhu_vring_enter(vq)))
		return 0;
	if (unlikely(ring_start(dev, vq, &r, false) < 0)) {
		vhu_vring_leave(vq);
		return 0;
	}
	tx_pool_init(&tp, mp);
	nb = tx_mbufs_alloc(&r, &tp, pkts, count);
	if (nb == 0) {
		vhu_vring_leave(vq);
		return 0;
	}
	desc_lines_load(&r, nb);
	/* With IN_ORDER one used descriptor, at the first slot; without, the
	 * read-ahead takes the lines of those it reads. */
	if (in_order)
		desc_prefetch_write(&r, r.avail, 1);
	ahead_init(&ah);
	hdr_len = dev->vnet_hdr_len;

	for (i = 0; i < nb;) {
		uint32_t run;

		if (ahead_wants_fill(&ah, VHU_AHEAD_TX))
			ahead_fill(&r, 0, hdr_len + 1u, VHU_MAX_TX_PKT_LEN + hdr_len,
				   hdr_len, VHU_AHEAD_TX, nb - i, &ah, !in_order);
		run = RTE_MIN(ahead_run(&ah, VHU_AHEAD_TX), (uint32_t)(r.size - r.used.idx));
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
	tx_batch_close(&r, in_order);
	ring_finish(dev, vq, &r);
	vhu_vring_leave(vq);
	return got;
}

uint16_t
vhu_packed_dequeue(struct vhu_dev *dev, uint16_t vring, struct rte_mempool *mp,
		   struct rte_mbuf **pkts, uint16_t count)
{
	if (dev->in_order)
		return packed_dequeue(dev, vring, mp, pkts, count, true);
	return packed_dequeue(dev, vring, mp, pkts, count, false);
}
