/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Internal state of the vhost-user backend, shared by the control path
 * (socket.c, message.c, handlers.c, memory.c, device.c) and the data path
 * (burst.c, split.c, packed.c). Not installed, not seen by the PMD.
 */
#ifndef VHU_DEV_H
#define VHU_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <limits.h>
#include <sys/un.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_pause.h>
#include <rte_spinlock.h>
#include <rte_branch_prediction.h>

#include "vhu.h"
#include "vhu_proto.h"

#define VHU_INTERNAL __attribute__((visibility("hidden")))

extern int vhu_logtype;
#define VHU_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, vhu_logtype, "VHOST_USER: " fmt "\n", ##__VA_ARGS__)

/*
 * Features we offer the frontend (VHU_VIRTIO_* / VHU_USER_* bits).
 * IN_ORDER costs nothing: split.c consumes avail entries and returns them
 * in used strictly in avail order on every path (broken chains included),
 * and a partial burst leaves the rest unconsumed. packed.c does the same
 * for packed rings (RING_PACKED). Negotiated, it lets both return a Tx
 * burst with one used entry (dev->in_order).
 */
#define VHU_SUPPORTED_FEATURES ( \
	VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF) | \
	VHU_BIT(VHU_VIRTIO_NET_F_MQ) | \
	VHU_BIT(VHU_VIRTIO_F_ANY_LAYOUT) | \
	VHU_BIT(VHU_VHOST_F_LOG_ALL) | \
	VHU_BIT(VHU_VIRTIO_RING_F_INDIRECT_DESC) | \
	VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX) | \
	VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES) | \
	VHU_BIT(VHU_VIRTIO_F_VERSION_1) | \
	VHU_BIT(VHU_VIRTIO_F_IN_ORDER) | \
	VHU_BIT(VHU_VIRTIO_F_RING_PACKED))

/* Offered only with VHU_REG_CSUM / VHU_REG_TSO (see vhu_offered_features()). */
#define VHU_CSUM_FEATURES ( \
	VHU_BIT(VHU_VIRTIO_NET_F_CSUM) | \
	VHU_BIT(VHU_VIRTIO_NET_F_GUEST_CSUM))
#define VHU_TSO_FEATURES ( \
	VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO4) | \
	VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO6) | \
	VHU_BIT(VHU_VIRTIO_NET_F_HOST_ECN) | \
	VHU_BIT(VHU_VIRTIO_NET_F_HOST_UFO) | \
	VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO4) | \
	VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO6) | \
	VHU_BIT(VHU_VIRTIO_NET_F_GUEST_UFO))

/* What each one means for us: doc/guides/nics/vhost.rst, "vhost-user protocol". */
#define VHU_SUPPORTED_PROTOCOL_FEATURES ( \
	VHU_BIT(VHU_PROTOCOL_F_MQ) | \
	VHU_BIT(VHU_PROTOCOL_F_LOG_SHMFD) | \
	VHU_BIT(VHU_PROTOCOL_F_RARP) | \
	VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) | \
	VHU_BIT(VHU_PROTOCOL_F_NET_MTU) | \
	VHU_BIT(VHU_PROTOCOL_F_BACKEND_REQ) | \
	VHU_BIT(VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | \
	VHU_BIT(VHU_PROTOCOL_F_STATUS))

/* Device status bits (virtio 1.2, 2.1). */
#define VHU_STATUS_ACKNOWLEDGE	0x01
#define VHU_STATUS_DRIVER	0x02
#define VHU_STATUS_DRIVER_OK	0x04
#define VHU_STATUS_FEATURES_OK	0x08
#define VHU_STATUS_NEEDS_RESET	0x40
#define VHU_STATUS_FAILED	0x80

/* NET_SET_MTU bounds (RFC 791 minimum, virtio's 16-bit field). */
#define VHU_MIN_MTU		68
#define VHU_MAX_MTU		65535

/* ------------------------------------------------------------------ memory */

struct vhu_mem_region {
	uint64_t gpa;		/* guest physical start */
	uint64_t uva;		/* frontend virtual start */
	uint64_t size;
	uint64_t hva;		/* our virtual address of gpa */
	void *mmap_addr;	/* what to munmap */
	size_t mmap_size;
	int fd;
	/* ADD_MEM_REG of this very region again, not yet matched by a
	 * REM_MEM_REG (control path only): QEMU adds every region once per
	 * queue pair with multiqueue and CONFIGURE_MEM_SLOTS. */
	uint32_t extra_refs;
	uint32_t guard;		/* vhu_guard_add() of the mapping; 0: none */
};

/*
 * Memory slots: SET_MEM_TABLE brings at most VHU_MAX_MEM_REGIONS, ADD_MEM_REG
 * (CONFIGURE_MEM_SLOTS) grows the table one region at a time up to
 * VHU_MAX_MEM_SLOTS, what GET_MAX_MEM_SLOTS reports. Regions are kept sorted
 * by gpa and never overlap there.
 */
#define VHU_MAX_MEM_SLOTS	128
/* Up to this many regions a linear scan beats a binary search. */
#define VHU_MEM_LINEAR_MAX	8

/*
 * A translation table: guest memory (regions by gpa, up to
 * VHU_MAX_MEM_SLOTS) or, with VIRTIO_F_ACCESS_PLATFORM, the IOTLB (iotlb.c:
 * entries by I/O virtual address in the gpa field, up to VHU_IOTLB_MAX,
 * each inside one memory region). The ring walkers translate descriptor
 * addresses through either the same way; only a failure tells them apart
 * (iotlb set: ask the frontend, retry later).
 */
struct vhu_mem {
	uint32_t nregions;
	bool iotlb;
	struct vhu_mem_region regions[];
};

/*
 * SIGBUS guard of guest memory mappings (guard.c): a frontend that shrinks
 * the file behind a region gets dropped instead of killing the process.
 * vhu_guard_init() installs the handler, which writes wakefd on a hit.
 */
VHU_INTERNAL int vhu_guard_init(int wakefd);
/* Register a mapping; returns its slot (0: not guarded, all slots in use). */
VHU_INTERNAL uint32_t vhu_guard_add(void *addr, size_t len);
/* Before munmap: the slot's mapping is the caller's again. */
VHU_INTERNAL void vhu_guard_del(uint32_t slot);
/* Did the slot's mapping fault (it holds zero pages now)? */
VHU_INTERNAL bool vhu_guard_hit(uint32_t slot);
/* Has any mapping faulted since the last call? (control thread) */
VHU_INTERNAL bool vhu_guard_take_pending(void);
/* Has a region of mem faulted (vhu_guard_hit())? */
VHU_INTERNAL bool vhu_mem_faulted(const struct vhu_mem *mem);

/* Binary search of a sorted table with more than VHU_MEM_LINEAR_MAX regions. */
VHU_INTERNAL void *vhu_gpa_to_hva_many(const struct vhu_mem *mem, uint64_t gpa,
		uint64_t *len);

/*
 * Translate a guest physical address. On success returns our pointer to gpa
 * and clips *len to what is contiguous from there (a buffer may span two
 * regions: callers loop). Returns NULL if gpa is not in guest memory.
 * The common case (a guest with a few regions) stays an inline scan.
 */
static inline void *
vhu_gpa_to_hva(const struct vhu_mem *mem, uint64_t gpa, uint64_t *len)
{
	uint32_t i;

	if (unlikely(mem->nregions > VHU_MEM_LINEAR_MAX))
		return vhu_gpa_to_hva_many(mem, gpa, len);
	for (i = 0; i < mem->nregions; i++) {
		const struct vhu_mem_region *r = &mem->regions[i];
		/* Below the region, off wraps past its size: no region ends
		 * past 2^64 (memory.c refuses them). */
		uint64_t off = gpa - r->gpa;

		if (off < r->size) {
			if (*len > r->size - off)
				*len = r->size - off;
			return (void *)(uintptr_t)(r->hva + off);
		}
	}
	return NULL;
}

/* The region holding gpa, or NULL (out of line: the per-packet path tries
 * its hint first). */
VHU_INTERNAL const struct vhu_mem_region *vhu_mem_region_of(const struct vhu_mem *mem,
		uint64_t gpa);

/* Size 0: holds no address. The hint of a table without regions. */
static const struct vhu_mem_region vhu_mem_no_region;

/* A first hint for vhu_gpa_range_to_hva_hint(). */
static inline const struct vhu_mem_region *
vhu_mem_hint(const struct vhu_mem *mem)
{
	return mem->nregions != 0 ? &mem->regions[0] : &vhu_mem_no_region;
}

/*
 * vhu_gpa_range_to_hva() for the per-packet path, trying the region *hint
 * (of mem, or vhu_mem_no_region) first: the buffers of a burst lie mostly
 * in one region. On a hit elsewhere *hint becomes that region.
 */
static inline void *
vhu_gpa_range_to_hva_hint(const struct vhu_mem *mem, uint64_t gpa, uint32_t len,
			  const struct vhu_mem_region **hint)
{
	const struct vhu_mem_region *r = *hint;
	uint64_t off = gpa - r->gpa;

	if (unlikely(off >= r->size)) {
		r = vhu_mem_region_of(mem, gpa);
		if (unlikely(r == NULL))
			return NULL;
		*hint = r;
		off = gpa - r->gpa;
	}
	return len <= r->size - off ? (void *)(uintptr_t)(r->hva + off) : NULL;
}

/* Frontend virtual address range -> our pointer, only if wholly mapped. */
VHU_INTERNAL void *vhu_uva_to_hva(const struct vhu_mem *mem, uint64_t uva, uint64_t len);
/* The region wholly holding frontend range [uva, uva + len), or NULL. */
VHU_INTERNAL const struct vhu_mem_region *vhu_mem_uva_region(const struct vhu_mem *mem,
		uint64_t uva, uint64_t len);
/* The region our pointer hva lies in, or NULL. */
VHU_INTERNAL const struct vhu_mem_region *vhu_mem_hva_region(const struct vhu_mem *mem,
		const void *hva);
/* Guest physical range -> our pointer, only if wholly inside one region. */
VHU_INTERNAL void *vhu_gpa_range_to_hva(const struct vhu_mem *mem, uint64_t gpa, uint64_t len);
/* Build a table from a SET_MEM_TABLE payload and its fds (fds are consumed
 * on success: the table owns them). 0 or -errno; on error nothing is mapped.
 * noaccess: mapped PROT_NONE (postcopy: vhu_postcopy_register() opens it). */
VHU_INTERNAL int vhu_mem_map(struct vhu_mem *mem, const struct vhu_mem_table_desc *desc,
		const int *fds, int nr_fds, bool noaccess);
VHU_INTERNAL void vhu_mem_unmap(struct vhu_mem *mem);
/*
 * ADD_MEM_REG / REM_MEM_REG: build in dst a copy of src with one region
 * added (mapping it, the table then owns fd) or removed (matched by gpa, uva
 * and size). src keeps its mappings and stays valid until the caller swaps
 * tables; then vhu_mem_forget(src) for an add, vhu_mem_release_removed() for
 * a remove. 0 or -errno; on error dst is empty and nothing changed.
 */
VHU_INTERNAL int vhu_mem_add(struct vhu_mem *dst, const struct vhu_mem *src,
		const struct vhu_mem_region_desc *rd, int fd, bool noaccess);
/* Index of the region of mem with desc's guest address, user address and
 * size (how vhost-user names a region), or -1. */
VHU_INTERNAL int vhu_mem_find(const struct vhu_mem *mem,
		const struct vhu_mem_region_desc *desc);
VHU_INTERNAL int vhu_mem_remove(struct vhu_mem *dst, const struct vhu_mem *src,
		const struct vhu_mem_region_desc *rd, struct vhu_mem_region *removed);
/* Unmap one region taken out by vhu_mem_remove() and close its fd. */
VHU_INTERNAL void vhu_mem_region_release(struct vhu_mem_region *r);
/* Empty a table without unmapping: its regions live on in another table. */
VHU_INTERNAL void vhu_mem_forget(struct vhu_mem *mem);

/*
 * IOTLB (iotlb.c), with VIRTIO_F_ACCESS_PLATFORM: the frontend's IOMMU
 * translations of the guest's I/O virtual addresses, which the vring
 * addresses and every descriptor then are. The control path changes the
 * table with every vring quiesced; the data path reads it like guest memory.
 */
#define VHU_IOTLB_MAX		2048
/* dev->iotlb[]: the entries that allow reading, and writing. An update
 * with both permissions goes in both. */
enum { VHU_IOTLB_READ, VHU_IOTLB_WRITE, VHU_IOTLB_NR };

struct vhu_dev;
/* IOTLB_MSG UPDATE / INVALIDATE. 0 or -errno; the caller quiesced every vring. */
VHU_INTERNAL int vhu_iotlb_update(struct vhu_dev *dev, uint64_t iova, uint64_t size,
		uint64_t uaddr, uint8_t perm);
VHU_INTERNAL void vhu_iotlb_invalidate(struct vhu_dev *dev, uint64_t iova, uint64_t size);
/* Forget every entry (the memory table changed, or a reset), and the
 * misses sent. Quiesced. */
VHU_INTERNAL void vhu_iotlb_flush(struct vhu_dev *dev);
VHU_INTERNAL int vhu_iotlb_alloc(struct vhu_dev *dev);
/* The connection is gone, every vring quiesced: the data path will not
 * look at the table again before a new one is allocated. */
VHU_INTERNAL void vhu_iotlb_free(struct vhu_dev *dev);
/*
 * After an invalidation of [iova, iova + size): a miss there may be asked
 * again at once (quiesced). Not the others: the frontend has yet to answer
 * them, and a second miss answered after the guest unmapped the address
 * would be a DMA fault in the guest's vIOMMU.
 */
VHU_INTERNAL void vhu_iotlb_misses_forget(struct vhu_dev *dev, uint64_t iova, uint64_t size);
/*
 * The table the ring walkers translate guest addresses through, to read
 * (write false) or to write what they point at: guest memory, or the IOTLB
 * table of that access. NULL without guest memory.
 */
static inline const struct vhu_mem *
vhu_dev_xlat(const struct vhu_dev *dev, bool write);
/*
 * Our pointer to the guest range [addr, addr + len), contiguous in our
 * space though it may span several entries of mem. 0 and *hva; -EAGAIN
 * with *miss the first address mem has no entry for; -EFAULT if it has
 * them all but they are not contiguous here.
 */
VHU_INTERNAL int vhu_xlat_range(const struct vhu_mem *mem, uint64_t addr, uint64_t len,
		void **hva, uint64_t *miss);
/* Send an IOTLB miss for iova (VHU_ACCESS_*) on the backend channel.
 * 0, or -errno (no channel, or it would block). Any thread. */
VHU_INTERNAL int vhu_iotlb_send_miss(struct vhu_dev *dev, uint64_t iova, uint8_t perm);
/* The data path's miss on vring: sent unless the same one went out lately. */
VHU_INTERNAL void vhu_iotlb_miss(struct vhu_dev *dev, uint16_t vring, uint64_t iova,
		uint8_t perm) __rte_cold;
/* The guest physical address of our pointer hva into guest memory, with
 * [hva, hva + len) in one region: 0, or -ENOENT. */
VHU_INTERNAL int vhu_hva_to_gpa(const struct vhu_mem *mem, const void *hva, uint64_t len,
		uint64_t *gpa);

/* ------------------------------------------------------------------ vrings */

struct vhu_vring {
	/* Data path: read on every burst. A split ring (split.c) or, with
	 * RING_PACKED, a packed ring (packed.c) of the same three areas. */
	union {
		struct vhu_desc *desc;
		struct vhu_pdesc *pdesc;		/* packed: descriptor ring */
	};
	union {
		struct vhu_avail *avail;
		struct vhu_pevent *driver_event;	/* packed: driver area */
	};
	union {
		struct vhu_used *used;
		struct vhu_pevent *device_event;	/* packed: device area */
	};
	uint16_t size;
	uint16_t last_avail_idx;	/* next avail entry we consume (packed: slot) */
	uint16_t last_used_idx;		/* next used entry we produce (packed: slot) */
	uint8_t avail_wrap;		/* packed: wrap counters, 1 after reset */
	uint8_t used_wrap;
	int callfd;			/* -1: none */
	struct vhu_vring_stats stats;	/* data path writes, anyone reads */
	bool guest_notify;		/* the polling lcore wants guest kicks (query.c) */
	struct vhu_vring_counters ctr;	/* every drop, guest calls (query.c) */
	/* The last IOTLB miss the data path sent, and when (iotlb.c). */
	uint64_t miss_iova;
	uint64_t miss_tsc;

	/* Data path / control path handshake (see vhu_vring_enter()). */
	uint32_t ready;
	uint32_t busy;

	/* Control path only. */
	int kickfd;			/* -1: none */
	int errfd;			/* SET_VRING_ERR, -1: none (see vhu_vring_signal_err()) */
	bool err_signalled;		/* errfd written since it was set */
	bool enabled;			/* SET_VRING_ENABLE, or implied */
	bool started;			/* got a kick fd, not stopped by GET_VRING_BASE */
	bool addr_set;
	uint32_t addr_flags;
	uint64_t desc_uaddr;
	uint64_t avail_uaddr;
	uint64_t used_uaddr;
	uint64_t log_guest_addr;
	/* What a burst writes besides packet buffers, for the dirty log
	 * (log.c): split, the used ring; packed, the descriptor ring and the
	 * device event area. Set when the vring is translated. */
	uint64_t log_ring_gpa;
	uint64_t log_event_gpa;
	uint32_t log_ring_len;
	uint32_t log_event_len;
} __rte_cache_aligned;

/*
 * The data path enters a vring with vhu_vring_enter() and leaves with
 * vhu_vring_leave(). The control path calls vhu_vring_quiesce() before
 * changing anything the data path reads, and vhu_vring_set_ready() after.
 * busy is set before ready is read and ready cleared before busy is read,
 * with asymmetric fences between (vhu.h), so one of the two always sees the
 * other.
 */
static inline bool
vhu_vring_enter(struct vhu_vring *vq)
{
	__atomic_store_n(&vq->busy, 1, __ATOMIC_RELAXED);
	vhu_fence_light();
	if (likely(__atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE)))
		return true;
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
	return false;
}

static inline void
vhu_vring_leave(struct vhu_vring *vq)
{
	__atomic_store_n(&vq->busy, 0, __ATOMIC_RELEASE);
}

/* vhu_vring_quiesce() of n vrings, with one heavy fence for them all. */
static inline void
vhu_vrings_quiesce(struct vhu_vring *vqs, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		__atomic_store_n(&vqs[i].ready, 0, __ATOMIC_RELAXED);
	vhu_fence_heavy();
	for (i = 0; i < n; i++)
		while (__atomic_load_n(&vqs[i].busy, __ATOMIC_ACQUIRE))
			rte_pause();
}

static inline void
vhu_vring_quiesce(struct vhu_vring *vq)
{
	vhu_vrings_quiesce(vq, 1);
}

static inline void
vhu_vring_set_ready(struct vhu_vring *vq)
{
	__atomic_store_n(&vq->ready, 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------ device */

/* How the dequeue stores a packet larger than one mbuf's room (tx_copy()). */
enum vhu_tx_buf_mode {
	VHU_TX_BUF_CHAIN,	/* chain more mbufs (default) */
	VHU_TX_BUF_LINEAR,	/* drop it: one segment only */
	VHU_TX_BUF_EXT,		/* attach an external buffer */
};

static inline uint8_t
vhu_tx_buf_mode(uint64_t reg_flags)
{
	if (reg_flags & VHU_REG_LINEAR_BUF)
		return VHU_TX_BUF_LINEAR;
	if (reg_flags & VHU_REG_EXTBUF)
		return VHU_TX_BUF_EXT;
	return VHU_TX_BUF_CHAIN;
}

struct vhu_socket;

struct vhu_dev {
	int vid;
	bool in_use;			/* slot holds a live connection */
	int connfd;
	struct vhu_socket *sock;

	/* Data path: read on every burst. */
	struct vhu_mem *mem;		/* NULL until SET_MEM_TABLE */
	uint16_t vnet_hdr_len;		/* 10 or 12 */
	bool mrg_rxbuf;
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX negotiated (handlers.c) */
	uint32_t net_ol;		/* VHU_OL_* (net_hdr.h), from features + socket flags */
	uint8_t tx_buf_mode;		/* VHU_TX_BUF_*: from VHU_REG_* at connect */
	bool packed;			/* VIRTIO_F_RING_PACKED negotiated (handlers.c) */
	bool in_order;			/* VIRTIO_F_IN_ORDER negotiated (handlers.c) */
	uint8_t *log_base;		/* dirty page log while LOG_ALL is on, else NULL (log.c) */
	uint64_t log_size;		/* its bytes */
	bool iommu;			/* VIRTIO_F_ACCESS_PLATFORM: addresses are IOVAs */
	/* Postcopy (postcopy.c), control path: the userfaultfd (-1: none),
	 * LISTEN seen, our mapping bases sent and not yet acknowledged. */
	int postcopy_ufd;
	bool postcopy_listening;
	bool postcopy_ack_pending;
	/* The IOTLB, allocated with the first iommu use (iotlb.c): one table
	 * of what the guest lets us read, one of what it lets us write. */
	struct vhu_mem *iotlb[VHU_IOTLB_NR];

	/* Control path. */
	void *log_map;			/* SET_LOG_BASE mapping, NULL: none */
	size_t log_map_len;
	uint8_t *log_addr;		/* the log in it (mmap_offset applied) */
	uint64_t log_len;
	uint32_t log_guard;		/* vhu_guard_add() slot of log_map */
	uint64_t features;		/* negotiated (SET_FEATURES) */
	uint64_t protocol_features;
	bool features_set;
	bool owner_set;
	bool running;			/* new_device() called, no destroy since */
	uint8_t status;			/* SET_STATUS: virtio device status */
	uint16_t mtu;			/* NET_SET_MTU, 0: none */
	/* SET_BACKEND_REQ_FD, -1: none. The data path sends IOTLB misses on
	 * it (iotlb.c): written under backend_lock. */
	int backend_fd;
	rte_spinlock_t backend_lock;
	uint32_t nr_vring;		/* highest vring index touched + 1 */
	struct vhu_mem *mem_storage[2];	/* double buffer for SET_MEM_TABLE */
	char ifname[PATH_MAX];

	struct vhu_vring vrings[VHU_MAX_VRINGS];
};

static inline const struct vhu_mem *
vhu_dev_xlat(const struct vhu_dev *dev, bool write)
{
	return unlikely(dev->iommu) && dev->mem != NULL ? dev->iotlb[write] : dev->mem;
}

/* Device table: slots are allocated on connect, reused after close, never
 * freed (the data path may still read a stale vid's slot). */
extern struct vhu_dev *vhu_devices[VHU_MAX_DEVICES];

static inline struct vhu_dev *
vhu_dev_get(int vid)
{
	if (unlikely((unsigned int)vid >= VHU_MAX_DEVICES))
		return NULL;
	return vhu_devices[vid];
}

/* device.c: lifecycle. */
VHU_INTERNAL struct vhu_dev *vhu_dev_alloc(struct vhu_socket *sock, int connfd);
VHU_INTERNAL void vhu_dev_free(struct vhu_dev *dev);	/* closes connfd too */
/* Re-evaluate which vrings are usable and whether the device runs; calls
 * new_device/vring_state_changed/destroy_device as needed. */
VHU_INTERNAL void vhu_dev_update_ready(struct vhu_dev *dev);
/* Stop the data path (quiesce every vring) and call destroy_device() if
 * the device was running. */
VHU_INTERNAL void vhu_dev_stop(struct vhu_dev *dev);
/* Close a vring's fds, forget its addresses. */
VHU_INTERNAL void vhu_vring_reset(struct vhu_vring *vq);
/*
 * For the ring walkers: vring of dev was found broken (a guest error that
 * stops it from making progress). Signals the frontend's SET_VRING_ERR
 * eventfd once until the frontend sets it again. Call only between
 * vhu_vring_enter() and vhu_vring_leave(): the control path replaces errfd
 * only on a quiesced vring.
 */
VHU_INTERNAL void vhu_vring_signal_err(struct vhu_dev *dev, uint16_t vring) __rte_cold;
/* Forget per-connection protocol state (MTU, status, RARP, backend fd,
 * the IOTLB). */
VHU_INTERNAL void vhu_dev_proto_reset(struct vhu_dev *dev);
/* Replace the backend channel (-1: none), closing the old one. */
VHU_INTERNAL void vhu_dev_set_backend_fd(struct vhu_dev *dev, int fd);
/* log.c: the dirty page log (live migration). */
VHU_INTERNAL int vhu_log_map(struct vhu_dev *dev, const struct vhu_log_desc *desc, int fd);
VHU_INTERNAL void vhu_log_unmap(struct vhu_dev *dev);
/* LOG_ALL may have changed: true if the log was turned on or off (the
 * vrings were quiesced then: make them ready again). */
VHU_INTERNAL bool vhu_log_features_changed(struct vhu_dev *dev);
/* The guest physical ranges a burst on vq writes besides buffers. */
VHU_INTERNAL void vhu_log_vring_setup(struct vhu_dev *dev, struct vhu_vring *vq);
/* Data path, only while dev->log_base is set: [gpa, gpa + len) was written. */
VHU_INTERNAL void vhu_log_gpa(const struct vhu_dev *dev, uint64_t gpa, uint64_t len);
/* SEND_RARP: remember mac for vhu_get_rarp_mac(). */
VHU_INTERNAL void vhu_rarp_request(struct vhu_dev *dev, const uint8_t mac[6]);

/* ------------------------------------------------------------------ socket */

struct vhu_socket {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t flags;			/* VHU_REG_* */
	uint16_t max_queue_pairs;
	struct vhu_ops ops;
	void *ctx;
	int listenfd;			/* server mode; -1 otherwise */
	int connfd;			/* client mode; -1 while not connected */
	struct vhu_dev *dev;		/* client mode: our one connection */
	bool in_use;
};

/* Feature bits offered on a socket: the base set plus what its flags ask. */
static inline uint64_t
vhu_offered_features(const struct vhu_socket *sock)
{
	uint64_t f = VHU_SUPPORTED_FEATURES;

	if (sock->flags & VHU_REG_IOMMU)
		f |= VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM);
	if (sock->flags & VHU_REG_CSUM) {
		f |= VHU_CSUM_FEATURES;
		if (sock->flags & VHU_REG_TSO)
			f |= VHU_TSO_FEATURES;
	}
	return f;
}

/* ---------------------------------------------------------------- postcopy */

/* POSTCOPY_ADVISE: a new userfaultfd for the frontend (ours stays open):
 * the fd, or -errno. */
VHU_INTERNAL int vhu_postcopy_advise(struct vhu_dev *dev);
/* POSTCOPY_LISTEN: 0, or -errno (no ADVISE; guest memory already mapped). */
VHU_INTERNAL int vhu_postcopy_listen(struct vhu_dev *dev);
/* Register a region mapped without access (vhu_mem_map() noaccess, so
 * that nothing populated it) for missing page faults, then allow reading
 * and writing it: 0, or -errno. */
VHU_INTERNAL int vhu_postcopy_register(const struct vhu_dev *dev,
		const struct vhu_mem_region *r);
/* The same for every region of a table just mapped (all or none: on
 * failure the caller unmaps it, which unregisters). */
VHU_INTERNAL int vhu_postcopy_register_mem(const struct vhu_dev *dev,
		const struct vhu_mem *mem);
/* Is a message of this request and payload size the frontend's
 * acknowledgement of the mapping bases we replied with? */
VHU_INTERNAL bool vhu_postcopy_is_ack(const struct vhu_dev *dev, uint32_t request,
		uint32_t size);
VHU_INTERNAL void vhu_postcopy_acked(struct vhu_dev *dev, uint64_t val);
/* POSTCOPY_END: unregister, close. 0, or -EINVAL without LISTEN. */
VHU_INTERNAL int vhu_postcopy_end(struct vhu_dev *dev);
/* Close the userfaultfd, forget the postcopy state. */
VHU_INTERNAL void vhu_postcopy_reset(struct vhu_dev *dev);

/* ----------------------------------------------------------------- message */

/*
 * Read one message from fd: header, payload (checked against the spec table
 * for its request before it is read), ancillary fds. 0 on success, -EPIPE on
 * orderly close, other -errno on a protocol error (the connection must be
 * dropped). On error no fd is left open.
 */
VHU_INTERNAL int vhu_msg_recv(int fd, struct vhu_msg *msg, const struct vhu_dev *dev);
VHU_INTERNAL int vhu_msg_send_reply(int fd, struct vhu_msg *msg);
VHU_INTERNAL void vhu_msg_close_fds(struct vhu_msg *msg);
/* Validate and dispatch one received message to its handler, send the reply
 * if any. Returns 0, or -errno when the connection must be dropped. */
VHU_INTERNAL int vhu_msg_handle(struct vhu_dev *dev, struct vhu_msg *msg);

/* handlers.c: one function per request. Each returns: */
enum vhu_handler_result {
	VHU_HANDLED_OK = 0,		/* no reply payload (REPLY_ACK sends 0) */
	VHU_HANDLED_REPLY = 1,		/* msg->payload holds the reply */
	VHU_HANDLED_ERR = -1,		/* request refused; connection stays */
	VHU_HANDLED_FATAL = -2,		/* drop the connection */
};
typedef int (*vhu_handler_t)(struct vhu_dev *dev, struct vhu_msg *msg);
VHU_INTERNAL vhu_handler_t vhu_handler_get(uint32_t request);

#endif /* VHU_DEV_H */
