/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * What the split (split.c) and packed (packed.c) ring walkers share: the
 * vector of translated guest buffer pieces a descriptor chain becomes, the
 * copies between it and mbufs (with the virtio-net header: net_hdr.h), the
 * event index test, rate-limited guest error logs. Ring-layout agnostic;
 * fast path only.
 *
 * Offloads, per packet, in either ring:
 *   Rx: vhu_rx_offload(dev->net_ol, m, &rh) before taking guest buffers
 *       (< 0: drop m, count rx_ol_dropped), then rx_copy(v, m, &rh, ...).
 *   Tx: tx_hdr_read() instead of skipping the header, tx_copy(), then
 *       vhu_tx_offload(dev->net_ol, &hdr, m) (< 0: drop, count tx_bad_hdr;
 *       tx_mbuf_recycle() makes m reusable for the next chain).
 */
#ifndef VHU_VIRTQ_H
#define VHU_VIRTQ_H

#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "vhu_dev.h"
#include "net_hdr.h"

/* Guest buffer pieces one packet may use (all chains of a mergeable Rx
 * packet together). Real drivers use at most ~20. */
#define VHU_MAX_IOVS		256
/* Largest packet we take from a guest (payload after the vnet header). */
#define VHU_MAX_TX_PKT_LEN	(64 * 1024)

/* One guest buffer piece, already translated and contiguous in our space. */
struct vhu_iov {
	uint8_t *base;
	uint32_t len;
};

struct vhu_iovec {
	uint32_t nr;
	uint8_t miss_perm;		/* CHAIN_MISS: what we wanted (VHU_ACCESS_*) */
	uint64_t miss_iova;		/* and where the IOTLB had nothing */
	struct vhu_iov iov[VHU_MAX_IOVS];
};

/* Chain fetch results besides 0. */
#define CHAIN_BROKEN	(-EINVAL)	/* guest error: return it unused */
#define CHAIN_TOO_BIG	(-E2BIG)	/* over the caller's byte limit */
#define CHAIN_NO_IOV	(-ENOSPC)	/* over VHU_MAX_IOVS: not the guest's fault */
#define CHAIN_MISS	(-EFAULT)	/* IOTLB miss: leave it, vhu_iotlb_miss(), retry */

/*
 * A guest address that mem does not translate: in guest memory, a broken
 * chain; in the IOTLB (iotlb.c), a translation to ask the frontend for,
 * noted in v. The chain stays where it is until the answer comes. (virtq.c)
 */
VHU_INTERNAL int vhu_xlat_fail(const struct vhu_mem *mem, struct vhu_iovec *v, uint64_t addr,
		uint8_t perm) __rte_cold;
/*
 * An indirect table that is not in one entry of mem: in guest memory two
 * regions next to each other in our space too, or in the IOTLB a table
 * across pages (one entry each). 0 and *table, CHAIN_MISS, CHAIN_BROKEN.
 */
VHU_INTERNAL int vhu_indirect_span(const struct vhu_mem *mem, uint64_t addr, uint32_t len,
		struct vhu_iovec *v, const void **table) __rte_cold;

/* What a guest buffer of direction write (VHU_DESC_F_WRITE or 0) needs. */
#define ACCESS_OF(write)	((write) ? VHU_ACCESS_WO : VHU_ACCESS_RO)

/* Log a guest error on (vid, vring), at most once a second for the whole
 * process: a guest can produce them at line rate. (virtq.c) */
VHU_INTERNAL void vhu_ring_error(int vid, uint16_t vring, const char *what) __rte_cold;

/*
 * Append the guest buffer [gpa, gpa + len) to v, split at region ends. With
 * store false only check that it lies in guest memory.
 */
static __rte_always_inline int
iov_add(const struct vhu_mem *mem, struct vhu_iovec *v, uint64_t gpa, uint32_t len,
	bool store, uint8_t perm)
{
	uint64_t left = len;

	if (unlikely(gpa + left < gpa))
		return CHAIN_BROKEN;
	while (left) {
		uint64_t n = left;
		void *p = vhu_gpa_to_hva(mem, gpa, &n);

		if (unlikely(p == NULL))
			return vhu_xlat_fail(mem, v, gpa, perm);
		if (store) {
			if (unlikely(v->nr == VHU_MAX_IOVS))
				return CHAIN_NO_IOV;
			v->iov[v->nr].base = p;
			v->iov[v->nr].len = (uint32_t)n;
			v->nr++;
		}
		gpa += n;
		left -= n;
	}
	return 0;
}

/*
 * The copy of a packet in one piece. 32 to 64 bytes (minimum-size frames
 * and most TCP acknowledgements) take two 32-byte moves that overlap;
 * rte_memcpy() gets to the same moves through an alignment test and four
 * size compares. Other sizes: rte_memcpy().
 */
static __rte_always_inline void
pkt_copy(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	if (n - 32u <= 32u) {
		rte_mov32(dst, src);
		rte_mov32(dst + n - 32, src + n - 32);
		return;
	}
	rte_memcpy(dst, src, n);
}

/* A vnet header length the copies can take: 10 or 12 bytes, the only
 * ones the control path sets. ring_start() of both walkers checks it once
 * per burst, so that the per-packet copies need not. */
static __rte_always_inline bool
vnet_hdr_len_ok(uint16_t hdr_len)
{
	return hdr_len >= sizeof(struct vhu_net_hdr) && hdr_len <= sizeof(struct vhu_net_hdr_mrg);
}

/* Copy len bytes from src into v at (*idx, *off); v has room for them. */
static __rte_always_inline void
iov_copy_in(const struct vhu_iovec *v, uint32_t *idx, uint32_t *off,
	    const uint8_t *src, uint32_t len)
{
	uint32_t i = *idx, o = *off;

	while (len) {
		uint32_t n = RTE_MIN(len, v->iov[i].len - o);

		rte_memcpy(v->iov[i].base + o, src, n);
		src += n;
		len -= n;
		o += n;
		if (o == v->iov[i].len) {
			i++;
			o = 0;
		}
	}
	*idx = i;
	*off = o;
}

/* Copy len bytes out of v at (*idx, *off) into dst (NULL: skip them). */
static __rte_always_inline void
iov_copy_out(const struct vhu_iovec *v, uint32_t *idx, uint32_t *off,
	     uint8_t *dst, uint32_t len)
{
	uint32_t i = *idx, o = *off;

	while (len) {
		uint32_t n = RTE_MIN(len, v->iov[i].len - o);

		if (dst != NULL) {
			rte_memcpy(dst, v->iov[i].base + o, n);
			dst += n;
		}
		len -= n;
		o += n;
		if (o == v->iov[i].len) {
			i++;
			o = 0;
		}
	}
	*idx = i;
	*off = o;
}

/* Prefetch a line we are about to store to (prefetchw where the build
 * allows it, meson.build). */
static __rte_always_inline void
vhu_prefetch_write(const void *p)
{
	__builtin_prefetch(p, 1, 3);
}

/*
 * Prefetch for writing the lines of entries first .. first + n - 1 (1 <= n
 * <= size, first < size) of a ring of size entries of esz bytes each,
 * wrapping at its end: one prefetch a line, and the last entry's.
 */
static __rte_always_inline void
ring_prefetch_write(const void *ring, uint32_t esz, uint32_t first, uint32_t n,
		    uint32_t size)
{
	const uint32_t per_line = RTE_CACHE_LINE_SIZE / esz;
	const uint8_t *base = ring;
	uint32_t i, idx;

	for (i = 0; i < n; i += per_line) {
		idx = first + i;
		vhu_prefetch_write(base + (idx < size ? idx : idx - size) * esz);
	}
	idx = first + n - 1;
	vhu_prefetch_write(base + (idx < size ? idx : idx - size) * esz);
}

/*
 * Chains of one plain descriptor, read ahead of their use with their
 * buffers prefetched: the copy of a packet otherwise waits for its guest
 * buffer (written by the other CPU) to arrive, one miss after the other.
 * Nothing is consumed by reading ahead: entries are the next chains of the
 * ring in order, and dropping them leaves the slow path (chain_fetch() of
 * split.c, packed.c) to read the same descriptors again. Each ring walker
 * fills it with its own ahead_fill().
 */
#define VHU_AHEAD	32	/* a power of 2: entries are used modulo it */
/* Tx (dequeue) keeps up to this many read ahead, topped up at half: its
 * copies wait for guest lines too (vhost-ab far: 5-7 % fewer cycles a
 * packet on 64-byte split and packed Tx than batches of 16 filled when
 * empty, 3 % on 1518-byte ones). */
#define VHU_AHEAD_TX	32

/*
 * Rx (enqueue) keeps up to rx_ahead_depth() chains read ahead and tops up
 * at half of it: its first copy after a fill waits for the guest buffer's
 * line, and prefetches kept in flight hide that. Small packets are copied
 * fast and need many in flight; big ones fewer, or the lines prefetched
 * far ahead are evicted by the copies in between. A/B runs (vhost-ab) with
 * the vCPUs on distant cores, against batches of 8 filled when empty:
 * 64-byte Rx 5 % (split) and 30-40 % (packed) fewer cycles a packet,
 * 1518-byte Rx 5 % fewer; 24 for the 1518-byte one was 15 % slower.
 */
#define VHU_AHEAD_RX_SMALL	24
#define VHU_AHEAD_RX_BIG	8
#define VHU_AHEAD_RX_SMALL_LEN	256

static __rte_always_inline uint32_t
rx_ahead_depth(uint64_t pkt_len)
{
	return pkt_len <= VHU_AHEAD_RX_SMALL_LEN ? VHU_AHEAD_RX_SMALL : VHU_AHEAD_RX_BIG;
}

_Static_assert((VHU_AHEAD & (VHU_AHEAD - 1)) == 0 && VHU_AHEAD_TX <= VHU_AHEAD &&
	       VHU_AHEAD_RX_SMALL <= VHU_AHEAD && VHU_AHEAD_RX_BIG <= VHU_AHEAD,
	       "read-ahead depths must fit the ring of entries");

/*
 * Every field is written and read with one width, and a buffer's pointer
 * and length live in arrays of their own: ahead_pop() runs right after
 * ahead_fill() stored them, and a load that covers two stores (a 16-byte
 * copy of a {base, len} pair, a 32-bit load of a 16-bit field) cannot take
 * its value from the store buffer. It waits until every older store is in
 * the cache, among them the last packets' stores into guest buffers, still
 * missing (perf put 30 % of a packed Rx burst on two such loads).
 */
struct vhu_ahead {
	uint32_t n, next;	/* entries read and used in this burst */
	bool off;		/* read no more ahead in this burst */
	uint32_t id[VHU_AHEAD];
	uint32_t len[VHU_AHEAD];
	uint8_t *base[VHU_AHEAD];
};

/* Empty, before a burst. Not an initialiser: that would zero the arrays
 * too, some 300 bytes per burst (2 % of a packed dequeue in perf). */
static __rte_always_inline void
ahead_init(struct vhu_ahead *a)
{
	a->n = a->next = 0;
	a->off = false;
}

/* Entries read and not used yet. */
static __rte_always_inline uint32_t
ahead_pending(const struct vhu_ahead *a)
{
	return a->n - a->next;
}

/* Time to read more ahead, for a read-ahead of depth chains: half of them
 * or fewer left. */
static __rte_always_inline bool
ahead_wants_fill(const struct vhu_ahead *a, uint32_t depth)
{
	return !a->off && ahead_pending(a) <= depth / 2;
}

/* How many more chains a fill may read: up to depth (<= VHU_AHEAD) in all,
 * and no more than the max chains the burst still takes (some of them
 * already pending). */
static __rte_always_inline uint32_t
ahead_room(const struct vhu_ahead *a, uint32_t depth, uint32_t max)
{
	uint32_t lim = RTE_MIN(depth, max);
	uint32_t pending = ahead_pending(a);

	return lim > pending ? lim - pending : 0;
}

/* A fill read got of the want chains it tried. Fewer (or none wanted): the
 * ring has no more that qualify, or the burst needs no more; do not try
 * again in this burst. */
static __rte_always_inline void
ahead_filled(struct vhu_ahead *a, uint32_t got, uint32_t want)
{
	a->n += got;
	if (got < want || want == 0)
		a->off = true;
}

/* The slow path runs: drop what is left, and read no more ahead in this
 * burst (chains the read-ahead does not take, or packets too big for one
 * buffer, are likely so for the rest of the burst too). */
static __rte_always_inline void
ahead_stop(struct vhu_ahead *a)
{
	a->n = a->next = 0;
	a->off = true;
}

/* How many ready entries to take in one go: down to half of depth while
 * the next fill may read more (its prefetches then overlap the copies of
 * the other half), all of them once no more will be read. */
static __rte_always_inline uint32_t
ahead_run(const struct vhu_ahead *a, uint32_t depth)
{
	uint32_t p = ahead_pending(a);

	return a->off || p <= depth / 2 ? p : p - depth / 2;
}

/* Length of the buffer of the next chain (ahead_pending() != 0). */
static __rte_always_inline uint32_t
ahead_next_len(const struct vhu_ahead *a)
{
	return a->len[a->next & (VHU_AHEAD - 1)];
}

/*
 * Make buffer [gpa, gpa + len) the k-th entry (k < ahead_room()) of this
 * fill, with chain id: only if len is in [min, max] (min >= 1) and the
 * buffer in one memory region (hint: vhu_gpa_range_to_hva_hint()). It is prefetched at its start and at byte
 * data (the vnet header often ends a cache line of its own); on Rx the
 * data for writing: a store to a line the other CPU holds stalls too.
 */
static __rte_always_inline bool
ahead_take(const struct vhu_mem *mem, const struct vhu_mem_region **hint, struct vhu_ahead *a,
	   uint32_t k, uint16_t id, uint64_t gpa, uint32_t len, uint32_t min, uint32_t max,
	   bool rx, uint16_t data)
{
	uint32_t i = (a->n + k) & (VHU_AHEAD - 1);
	uint8_t *p;

	if (unlikely(len < min || len > max))
		return false;
	p = vhu_gpa_range_to_hva_hint(mem, gpa, len, hint);
	if (unlikely(p == NULL))
		return false;
	if (rx) {
		/* Read only: rx_hdr_write() may leave the header's line alone. */
		rte_prefetch0(p);
		vhu_prefetch_write(p + data);
	} else {
		rte_prefetch0(p);
		rte_prefetch0(p + data);
	}
	a->id[i] = id;
	a->base[i] = p;
	a->len[i] = len;
	return true;
}

/* The next read-ahead chain as the one-piece vector v. */
static __rte_always_inline uint32_t
ahead_pop(struct vhu_ahead *a, struct vhu_iovec *v)
{
	uint32_t i = a->next++ & (VHU_AHEAD - 1);

	v->nr = 1;
	v->iov[0].base = a->base[i];
	v->iov[0].len = a->len[i];
	return a->id[i];
}

/* virtio 1.2 2.7.7.2: does the other side want a notification now that its
 * event index event was crossed moving from old to new? */
static __rte_always_inline bool
vring_need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/* Overwrite len bytes of v at byte offset pos (pos + len is inside v). */
static __rte_always_inline void
iov_write_at(const struct vhu_iovec *v, uint32_t pos, const uint8_t *src, uint32_t len)
{
	uint32_t idx = 0;

	while (pos >= v->iov[idx].len) {
		pos -= v->iov[idx].len;
		idx++;
	}
	iov_copy_in(v, &idx, &pos, src, len);
}

/* Store n bytes of src at dst, unless dst holds them already. */
static __rte_always_inline void
store_if_changed(uint8_t *dst, const void *src, size_t n)
{
	if (memcmp(dst, src, n) != 0)
		memcpy(dst, src, n);
}

/*
 * Store the vnet header h (10 bytes), then, if hdr_len says the guest has
 * it, num_buffers, at dst: in two stores from registers. Assembling the
 * header on the stack and copying it out would load 4 bytes that two
 * 2-byte stores just wrote: a failed store forward, which waits for every
 * older store to reach the cache, among them the previous packet's
 * stores into guest buffers that are still missing in cache.
 *
 * Each part is stored only if the guest's buffer does not hold it already
 * (store_if_changed()), as DPDK's vhost does (ASSIGN_UNLESS_EQUAL): a
 * recycled buffer mostly does (no offload, one buffer). The guest reads the
 * header of every packet (num_buffers, with mergeable buffers), and the
 * header often has a cache line of its own, before the data. Not written,
 * that line stays in the guest CPU's cache; written, every packet costs the
 * guest a miss on a line modified in our cache. Measured on virtio_user's
 * mergeable Rx: a fifth of its cycles were that one load.
 */
static __rte_always_inline void
rx_hdr_write(uint8_t *dst, const struct vhu_net_hdr *h, uint16_t nr_bufs, uint16_t hdr_len)
{
	uint64_t head;
	uint32_t tail = h->csum_offset | (uint32_t)rte_cpu_to_le_16(nr_bufs) << 16;

	RTE_BUILD_BUG_ON(offsetof(struct vhu_net_hdr, csum_offset) != sizeof(head));
	memcpy(&head, h, sizeof(head));
	store_if_changed(dst, &head, sizeof(head));
	if (hdr_len >= sizeof(struct vhu_net_hdr_mrg))
		store_if_changed(dst + sizeof(head), &tail, sizeof(tail));
	else
		store_if_changed(dst + sizeof(head), &tail, sizeof(uint16_t));
}

/*
 * Write the vnet header rh (from vhu_rx_offload(), net_hdr.h) and the
 * packet into v, then the checksums rh says were computed in software.
 */
static __rte_always_inline void
rx_copy(const struct vhu_iovec *v, const struct rte_mbuf *m,
	const struct vhu_rx_hdr *rh, uint16_t hdr_len, uint16_t nr_bufs)
{
	struct vhu_net_hdr_mrg hdr;
	uint32_t idx = 0, off = 0;
	uint32_t left = rte_pktmbuf_pkt_len(m);
	unsigned int i;

	if (likely(v->iov[0].len >= hdr_len)) {	/* hdr_len: vnet_hdr_len_ok() */
		rx_hdr_write(v->iov[0].base, &rh->hdr, nr_bufs, hdr_len);
		off = hdr_len;
		if (off == v->iov[0].len) {
			idx = 1;
			off = 0;
		}
	} else {
		hdr.hdr = rh->hdr;
		hdr.num_buffers = rte_cpu_to_le_16(nr_bufs);
		iov_copy_in(v, &idx, &off, (const uint8_t *)&hdr, hdr_len);
	}

	for (; m != NULL && left; m = m->next) {
		uint32_t n = RTE_MIN(left, (uint32_t)rte_pktmbuf_data_len(m));

		iov_copy_in(v, &idx, &off, rte_pktmbuf_mtod(m, const uint8_t *), n);
		left -= n;
	}
	for (i = 0; unlikely(i < rh->nr_fix); i++)
		iov_write_at(v, hdr_len + rh->fix[i].off,
			     (const uint8_t *)&rh->fix[i].val, sizeof(rh->fix[i].val));
}

/*
 * rx_copy() into the one buffer v->iov[0] that the read-ahead found long
 * enough for the header and the whole packet. A single-segment mbuf with no
 * checksum to fix is one header store and one copy, without the walks over
 * the vector's pieces and the mbuf's segments: those loops were a fifth of
 * a packed Rx burst's cycles with both ends in one core's cache
 * (vhost-hot-ab), where the per-packet work is all that counts.
 */
static __rte_always_inline void
rx_copy_one(const struct vhu_iovec *v, const struct rte_mbuf *m,
	    const struct vhu_rx_hdr *rh, uint16_t hdr_len)
{
	uint8_t *dst = v->iov[0].base;

	if (likely(m->next == NULL && rh->nr_fix == 0)) {
		rx_hdr_write(dst, &rh->hdr, 1, hdr_len);
		/* As rx_copy(): no more than the segment holds. */
		pkt_copy(dst + hdr_len, rte_pktmbuf_mtod(m, const uint8_t *),
			 RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)rte_pktmbuf_data_len(m)));
		return;
	}
	rx_copy(v, m, rh, hdr_len, 1);
}

/*
 * Read the vnet header at (*idx, *off) of a Tx chain into hdr (the first
 * 10 bytes; num_buffers means nothing on Tx) and step over all hdr_len
 * bytes. The guest's bytes are read exactly once, here.
 */
static __rte_always_inline void
tx_hdr_read(const struct vhu_iovec *v, uint32_t *idx, uint32_t *off,
	    uint16_t hdr_len, struct vhu_net_hdr *hdr)
{
	iov_copy_out(v, idx, off, (uint8_t *)hdr, sizeof(*hdr));
	iov_copy_out(v, idx, off, NULL, hdr_len - sizeof(*hdr));
}

/* Free callback of the external buffers tx_copy() attaches. */
VHU_INTERNAL void vhu_extbuf_free(void *addr, void *opaque);

/*
 * Give m an external buffer (rte_malloc, freed with the mbuf) with room for
 * len bytes after the usual headroom. -ENOSPC if len is too big for an mbuf
 * buffer (16-bit buf_len), -ENOMEM if the allocation fails; m is unchanged
 * then.
 */
static __rte_always_inline int
tx_extbuf_attach(struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf_ext_shared_info *shinfo;
	uint32_t total = RTE_PKTMBUF_HEADROOM + len + sizeof(*shinfo) + sizeof(uintptr_t);
	uint16_t buf_len;
	void *buf;

	total = RTE_ALIGN_CEIL(total, sizeof(uintptr_t));
	if (unlikely(total > UINT16_MAX))
		return -ENOSPC;
	buf = rte_malloc_socket(NULL, total, RTE_CACHE_LINE_SIZE,
				rte_socket_id());
	if (unlikely(buf == NULL))
		return -ENOMEM;
	buf_len = (uint16_t)total;
	shinfo = rte_pktmbuf_ext_shinfo_init_helper(buf, &buf_len,
						     vhu_extbuf_free, buf);
	if (unlikely(shinfo == NULL)) {
		rte_free(buf);
		return -ENOSPC;
	}
	rte_pktmbuf_attach_extbuf(m, buf, rte_malloc_virt2iova(buf), buf_len, shinfo);
	rte_pktmbuf_reset_headroom(m);
	return 0;
}

/*
 * Copy len bytes of v from (idx, off) into m. When m's room is too small,
 * mode (VHU_TX_BUF_*) says what to do: chain more mbufs from mp, give m an
 * external buffer (falls back to a chain for a packet too big for one), or
 * refuse. On -ENOMEM (allocation failure: retry later) or -E2BIG (linear
 * mode: drop the packet) m is left empty and single-segment.
 */
static __rte_always_inline int
tx_copy(const struct vhu_iovec *v, uint32_t idx, uint32_t off,
	struct rte_mbuf *m, struct rte_mempool *mp, uint32_t len, uint8_t mode)
{
	struct rte_mbuf *seg = m, *prev;
	uint32_t n;
	int ret;

	m->data_len = 0;	/* tx_mbuf_init() leaves the lengths to the fill */
	if (unlikely(len > rte_pktmbuf_tailroom(m)) && mode != VHU_TX_BUF_CHAIN) {
		if (mode == VHU_TX_BUF_LINEAR)
			return -E2BIG;
		ret = tx_extbuf_attach(m, len);
		if (unlikely(ret == -ENOMEM))
			return ret;
		/* -ENOSPC: too big for one buffer, chain below. */
	}
	n = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
	iov_copy_out(v, &idx, &off, rte_pktmbuf_mtod(m, uint8_t *), n);
	m->data_len = n;
	m->pkt_len = len;
	len -= n;

	while (unlikely(len)) {
		prev = seg;
		seg = rte_pktmbuf_alloc(mp);
		if (unlikely(seg == NULL)) {
			rte_pktmbuf_free(m->next);
			m->next = NULL;
			m->nb_segs = 1;
			m->data_len = 0;
			m->pkt_len = 0;
			return -ENOMEM;
		}
		prev->next = seg;
		m->nb_segs++;
		n = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(seg));
		iov_copy_out(v, &idx, &off, rte_pktmbuf_mtod(seg, uint8_t *), n);
		seg->data_len = n;
		len -= n;
	}
	return 0;
}

/* Dirty page log (log.c): the first len bytes of v were written. */
VHU_INTERNAL void vhu_log_iov(const struct vhu_dev *dev, const struct vhu_iovec *v,
		uint64_t len);

/* Data-path counter (single writer; whole-word store for readers). */
static __rte_always_inline void
vhu_stat_inc(uint64_t *counter)
{
	__atomic_store_n(counter, *counter + 1, __ATOMIC_RELAXED);
}

/* Make a dequeue mbuf whose packet was dropped ready for the next one. */
static __rte_always_inline void
tx_mbuf_recycle(struct rte_mbuf *m)
{
	rte_pktmbuf_free(m->next);
	m->next = NULL;
	/* tx_mbuf_init() knows only the pool's own buffers (a pinned one
	 * stays); it sets nb_segs, as rte_pktmbuf_free() does. */
	if (RTE_MBUF_HAS_EXTBUF(m))
		rte_pktmbuf_detach(m);
}

/*
 * The ring walkers behind vhu_enqueue_burst()/vhu_dequeue_burst() (burst.c
 * checks dev, vring parity and range, count > 0 and picks one by
 * dev->packed).
 */
VHU_INTERNAL uint16_t vhu_split_enqueue(struct vhu_dev *dev, uint16_t vring,
		struct rte_mbuf **pkts, uint16_t count);
VHU_INTERNAL uint16_t vhu_split_dequeue(struct vhu_dev *dev, uint16_t vring,
		struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t count);
VHU_INTERNAL uint16_t vhu_packed_enqueue(struct vhu_dev *dev, uint16_t vring,
		struct rte_mbuf **pkts, uint16_t count);
VHU_INTERNAL uint16_t vhu_packed_dequeue(struct vhu_dev *dev, uint16_t vring,
		struct rte_mempool *mp, struct rte_mbuf **pkts, uint16_t count);

/*
 * Rx, per packet, before guest buffers are taken: the virtio-net header of
 * m's offload requests. false: the guest cannot take them, m is dropped
 * (counted; the caller counts it as taken).
 */
static __rte_always_inline bool
rx_offload_or_drop(struct vhu_vring *vq, int vid, uint16_t vring, uint32_t ol,
		   const struct rte_mbuf *m, struct vhu_rx_hdr *rh)
{
	if (likely(vhu_rx_offload(ol, m, rh) == 0))
		return true;
	vhu_stat_inc(&vq->stats.rx_ol_dropped);
	vhu_stat_inc(&vq->ctr.drops);
	vhu_ring_error(vid, vring, "mbuf offload request the guest cannot take: dropped");
	return false;
}

/*
 * The pool of a dequeue burst. Its mbufs are taken raw
 * (rte_mempool_get_bulk()): a free mbuf is direct, of one segment, with
 * refcnt 1 and next NULL (the mbuf API's invariants), so tx_mbuf_init()
 * sets only the other fields rte_pktmbuf_reset() would, as constants, when
 * the mbuf is filled. rte_pktmbuf_alloc_bulk() resets the whole burst
 * before the first copy, nine stores for each of 32 mbufs in a row: 11
 * cycles a packet more (vhost-hot-ab deq-packed) than the same stores
 * made one mbuf at a time.
 */
struct tx_pool {
	struct rte_mempool *mp;
	bool plain;		/* else tx_mbuf_init() is rte_pktmbuf_reset() */
};

static __rte_always_inline void
tx_pool_init(struct tx_pool *tp, struct rte_mempool *mp)
{
	tp->mp = mp;
	/* Pinned external buffers keep their flag; a data room below the
	 * headroom makes data_off the buffer's length: the reset does both. */
	tp->plain = !(rte_pktmbuf_priv_flags(mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) &&
		    rte_pktmbuf_data_room_size(mp) >= RTE_PKTMBUF_HEADROOM;
}

/* n mbufs of tp for a dequeue burst, raw: 0, or -ENOENT and none. */
static __rte_always_inline int
tx_mbufs_get(const struct tx_pool *tp, struct rte_mbuf **pkts, unsigned int n)
{
	return rte_mempool_get_bulk(tp->mp, (void **)pkts, n);
}

/* m, taken raw from tp, as rte_pktmbuf_reset() leaves it but for its
 * lengths, which the fill sets. Returns its room for them. Adjacent
 * constants: the compiler merges the stores. */
static __rte_always_inline uint32_t
tx_mbuf_init(struct rte_mbuf *m, const struct tx_pool *tp)
{
	if (unlikely(!tp->plain)) {
		rte_pktmbuf_reset(m);
		return rte_pktmbuf_tailroom(m);
	}
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->refcnt = 1;		/* not shared: a plain store */
	m->nb_segs = 1;
	m->port = RTE_MBUF_PORT_INVALID;
	m->ol_flags = 0;
	m->packet_type = 0;
	m->vlan_tci = 0;
	m->vlan_tci_outer = 0;
	m->tx_offload = 0;
	return m->buf_len - RTE_PKTMBUF_HEADROOM;
}

enum tx_fill {
	TX_FILL_OK,
	TX_FILL_NOMEM,		/* out of mbufs: leave the chain for the next burst */
	TX_FILL_DROPPED,	/* return the chain, m is ready for the next one */
};

/*
 * Tx, per chain of len bytes in v: read the virtio-net header, copy the
 * packet into m (dev's buffer mode), apply the header's offloads. A
 * packet linear-buffer cannot hold or one with an invalid header is
 * dropped and counted.
 */
static __rte_always_inline enum tx_fill
tx_fill(const struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, uint32_t ol,
	const struct vhu_iovec *v, uint64_t len, struct rte_mbuf *m, const struct tx_pool *tp)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	struct vhu_net_hdr hdr;
	uint32_t idx = 0, off = 0, room;
	int ret;

	room = tx_mbuf_init(m, tp);
	if (likely(v->nr == 1)) {	/* one piece (read-ahead): no walk */
		const uint8_t *src = v->iov[0].base;
		uint32_t n = len - hdr_len;	/* callers give len > hdr_len */

		memcpy(&hdr, src, sizeof(hdr));
		if (likely(n <= room)) {
			pkt_copy(rte_pktmbuf_mtod(m, uint8_t *), src + hdr_len, n);
			m->data_len = n;
			m->pkt_len = n;
			ret = 0;
		} else {
			ret = tx_copy(v, 0, hdr_len, m, tp->mp, n, dev->tx_buf_mode);
		}
	} else {
		tx_hdr_read(v, &idx, &off, hdr_len, &hdr);
		ret = tx_copy(v, idx, off, m, tp->mp, len - hdr_len, dev->tx_buf_mode);
	}
	if (unlikely(ret == -ENOMEM))
		return TX_FILL_NOMEM;
	if (unlikely(ret < 0)) {	/* linear-buffer: m was left reusable */
		vhu_stat_inc(&vq->ctr.drops);
		return TX_FILL_DROPPED;
	}
	if (unlikely(vhu_tx_offload(ol, &hdr, m) < 0)) {
		vhu_stat_inc(&vq->stats.tx_bad_hdr);
		vhu_stat_inc(&vq->ctr.drops);
		vhu_ring_error(dev->vid, vring, "invalid virtio-net header on Tx: packet dropped");
		tx_mbuf_recycle(m);
		return TX_FILL_DROPPED;
	}
	return TX_FILL_OK;
}

/*
 * The read-ahead runs of the ring walkers (rx_run(), tx_run() of split.c
 * and packed.c) take one chain at a time through these; the ring's own
 * part is where the used element goes.
 */
enum ahead_rx {
	AHEAD_RX_COPIED,	/* into the next read-ahead buffer: *id, *len */
	AHEAD_RX_DROPPED,	/* for its offloads: taken, no buffer used */
	AHEAD_RX_TOO_BIG,	/* for the next buffer: left to the full walk */
};

/* m into the next read-ahead buffer (ahead_pending() != 0): header and packet,
 * logged with log. */
static __rte_always_inline enum ahead_rx
rx_ahead_copy(struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, struct vhu_ahead *a,
	      struct rte_mbuf *m, struct vhu_iovec *v, bool log, uint32_t *len, uint16_t *id)
{
	uint16_t hdr_len = dev->vnet_hdr_len;
	uint64_t left = (uint64_t)hdr_len + rte_pktmbuf_pkt_len(m);
	struct vhu_rx_hdr rh;

	if (unlikely(ahead_next_len(a) < left))
		return AHEAD_RX_TOO_BIG;
	if (likely(!(m->ol_flags & VHU_RX_OL_MASK))) {
		/* No offload request: a constant header, which the compiler
		 * folds into rx_hdr_write()'s compares and stores, instead of
		 * one built on the stack and read back. */
		static const struct vhu_rx_hdr none;

		*id = ahead_pop(a, v);
		rx_copy_one(v, m, &none, hdr_len);
	} else {
		if (unlikely(!rx_offload_or_drop(vq, dev->vid, vring, dev->net_ol, m, &rh)))
			return AHEAD_RX_DROPPED;
		*id = ahead_pop(a, v);
		rx_copy_one(v, m, &rh, hdr_len);
	}
	if (log)
		vhu_log_iov(dev, v, left);
	*len = left;	/* <= the buffer's 32-bit length */
	return AHEAD_RX_COPIED;
}

/* The next read-ahead chain into m (tx_fill()); its id in *id. */
static __rte_always_inline enum tx_fill
tx_ahead_fill(const struct vhu_dev *dev, struct vhu_vring *vq, uint16_t vring, uint32_t ol,
	      struct vhu_ahead *a, struct rte_mbuf *m, const struct tx_pool *tp, uint16_t *id)
{
	uint32_t len = ahead_next_len(a);
	struct vhu_iovec v;

	*id = ahead_pop(a, &v);
	return tx_fill(dev, vq, vring, ol, &v, len, m, tp);
}

#endif /* VHU_VIRTQ_H */
