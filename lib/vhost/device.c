/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Device lifecycle: the device table, vring usability, and the transitions
 * that the application sees as new_device / vring_state_changed /
 * destroy_device.
 *
 * Everything here runs on the control thread, or on a thread calling
 * vhu_driver_unregister(), always under the socket lock (socket.c): the
 * device table itself needs no lock of its own.
 *
 * Invariant: a vring is ready (the data path may use it) only while the
 * device runs and the vring is usable, and a ready vring's translated
 * addresses are valid. Whoever changes an input of the translation (memory
 * table, ring addresses, size) quiesces the vring first; the vring is then
 * re-translated by the next vhu_dev_update_ready().
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <rte_malloc.h>
#include <rte_string_fns.h>

#include "vhu_dev.h"

RTE_LOG_REGISTER(vhu_logtype, lib.vhu, INFO);

struct vhu_dev *vhu_devices[VHU_MAX_DEVICES];

/*
 * SEND_RARP requests by vid: bit 63 pending, the MAC in the low 48 bits
 * (byte i of the MAC at bits 8i..8i+7). One word, so the control thread
 * sets and the PMD takes a request with one atomic each and never sees
 * a torn MAC. Read by vhu_rarp_pending() on every Rx burst.
 */
#define RARP_PENDING	(1ULL << 63)
uint64_t vhu_rarp_req[VHU_MAX_DEVICES];

/* A device slot with the state only this file needs. */
struct vhu_dev_slot {
	struct vhu_dev dev;	/* first: slot_of() casts */
	/* vring_state_changed() value last given to the application. */
	uint64_t reported[VHU_MAX_VRINGS / 64];
};

static int vhu_last_vid = -1;

static struct vhu_dev_slot *
slot_of(struct vhu_dev *dev)
{
	return (struct vhu_dev_slot *)dev;
}

static bool
reported_get(struct vhu_dev *dev, uint32_t i)
{
	return slot_of(dev)->reported[i / 64] & (1ULL << (i % 64));
}

static void
reported_set(struct vhu_dev *dev, uint32_t i, bool en)
{
	uint64_t *w = &slot_of(dev)->reported[i / 64];

	if (en)
		*w |= 1ULL << (i % 64);
	else
		*w &= ~(1ULL << (i % 64));
}

static bool
vring_is_ready(struct vhu_vring *vq)
{
	return __atomic_load_n(&vq->ready, __ATOMIC_RELAXED) != 0;
}

void
vhu_vring_reset(struct vhu_vring *vq)
{
	vhu_vring_quiesce(vq);
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	if (vq->callfd >= 0)
		close(vq->callfd);
	if (vq->errfd >= 0)
		close(vq->errfd);
	vq->kickfd = -1;
	vq->callfd = -1;
	vq->errfd = -1;
	vq->err_signalled = false;
	vq->guest_notify = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->size = 0;
	vq->last_avail_idx = 0;
	vq->last_used_idx = 0;
	/* Packed ring wrap counters start at 1 (virtio 1.2 2.8.1). */
	vq->avail_wrap = 1;
	vq->used_wrap = 1;
	vq->enabled = false;
	vq->started = false;
	vq->addr_set = false;
	vq->addr_flags = 0;
	vq->desc_uaddr = 0;
	vq->avail_uaddr = 0;
	vq->used_uaddr = 0;
	vq->log_guest_addr = 0;
	vq->miss_iova = 0;
	vq->miss_tsc = 0;
	memset(&vq->stats, 0, sizeof(vq->stats));
	memset(&vq->ctr, 0, sizeof(vq->ctr));
}

static struct vhu_dev *
slot_create(int vid)
{
	struct vhu_dev_slot *slot;
	uint32_t i;

	slot = rte_zmalloc("vhu_dev", sizeof(*slot), RTE_CACHE_LINE_SIZE);
	if (slot == NULL)
		return NULL;
	for (i = 0; i < RTE_DIM(slot->dev.mem_storage); i++) {
		slot->dev.mem_storage[i] = rte_zmalloc("vhu_mem", sizeof(struct vhu_mem) +
				VHU_MAX_MEM_SLOTS * sizeof(struct vhu_mem_region),
				RTE_CACHE_LINE_SIZE);
		if (slot->dev.mem_storage[i] == NULL) {
			rte_free(slot->dev.mem_storage[0]);
			rte_free(slot);
			return NULL;
		}
	}
	rte_spinlock_init(&slot->dev.backend_lock);
	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		slot->dev.vrings[i].kickfd = -1;
		slot->dev.vrings[i].callfd = -1;
		slot->dev.vrings[i].errfd = -1;
	}
	slot->dev.vid = vid;
	slot->dev.connfd = -1;
	slot->dev.backend_fd = -1;
	slot->dev.postcopy_ufd = -1;
	/* The data path looks slots up without a lock. */
	__atomic_store_n(&vhu_devices[vid], &slot->dev, __ATOMIC_RELEASE);
	return &slot->dev;
}

/*
 * The vid of a new connection: a free slot, but not the last vid handed out
 * (not reused at once) while another can be had; a new slot only when no
 * other is free. Slots are never freed, and a process that sees connections
 * come and go (reconnects, hotplug) must not grow towards VHU_MAX_DEVICES
 * of them: this keeps at most one more than were ever in use at once.
 * -1 if every slot is in use.
 */
static int
vid_pick(void)
{
	int n, vid, fresh = -1;

	for (n = 0; n < VHU_MAX_DEVICES; n++) {
		vid = (vhu_last_vid + 1 + n) % VHU_MAX_DEVICES;
		if (vhu_devices[vid] == NULL) {
			if (fresh < 0)
				fresh = vid;
		} else if (!vhu_devices[vid]->in_use && vid != vhu_last_vid) {
			return vid;
		}
	}
	if (fresh >= 0)
		return fresh;
	vid = vhu_last_vid;
	return vid >= 0 && !vhu_devices[vid]->in_use ? vid : -1;
}

struct vhu_dev *
vhu_dev_alloc(struct vhu_socket *sock, int connfd)
{
	struct vhu_dev *dev = NULL;
	uint32_t i;
	int vid;

	vid = vid_pick();
	if (vid < 0) {
		VHU_LOG(ERR, "%s: no free device slot (%d in use)", sock->path,
			VHU_MAX_DEVICES);
		return NULL;
	}
	dev = vhu_devices[vid];
	if (dev == NULL) {
		dev = slot_create(vid);
		if (dev == NULL) {
			VHU_LOG(ERR, "%s: cannot allocate a device", sock->path);
			return NULL;
		}
	}

	for (i = 0; i < VHU_MAX_VRINGS; i++)
		vhu_vring_reset(&dev->vrings[i]);
	memset(slot_of(dev)->reported, 0, sizeof(slot_of(dev)->reported));
	dev->connfd = connfd;
	dev->sock = sock;
	dev->mem = NULL;
	dev->vnet_hdr_len = sizeof(struct vhu_net_hdr);
	dev->mrg_rxbuf = false;
	dev->net_ol = 0;
	dev->tx_buf_mode = vhu_tx_buf_mode(sock->flags);
	dev->packed = false;
	dev->in_order = false;
	dev->features = 0;
	dev->protocol_features = 0;
	dev->features_set = false;
	dev->owner_set = false;
	dev->running = false;
	dev->nr_vring = 0;
	vhu_dev_proto_reset(dev);
	strlcpy(dev->ifname, sock->path, sizeof(dev->ifname));
	dev->in_use = true;
	vhu_last_vid = vid;
	return dev;
}

void
vhu_dev_free(struct vhu_dev *dev)
{
	struct vhu_mem *mem;
	uint32_t i;

	vhu_dev_stop(dev);
	for (i = 0; i < dev->nr_vring; i++)
		vhu_vring_reset(&dev->vrings[i]);
	dev->nr_vring = 0;
	mem = dev->mem;
	dev->mem = NULL;
	if (mem != NULL)
		vhu_mem_unmap(mem);
	vhu_dev_proto_reset(dev);
	vhu_iotlb_free(dev);
	if (dev->connfd >= 0)
		close(dev->connfd);
	dev->connfd = -1;
	dev->in_use = false;
}

/*
 * A frontend that reconnects to a new backend on rings it kept using
 * (virtio_user in server mode) sends SET_VRING_BASE 0. Where the used ring
 * is, is where the old backend was: we publish used->idx at the end of
 * every burst and return every avail entry we take in one used entry, in
 * order. So, as DPDK's vhost does, restart from used->idx (read once; any
 * value is a valid free-running index). A no-op when they agree: a fresh
 * ring, or a frontend that gave us back our own GET_VRING_BASE.
 */
static void
vring_resync(struct vhu_dev *dev, uint32_t idx)
{
	struct vhu_vring *vq = &dev->vrings[idx];
	uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED);

	if (used_idx == vq->last_used_idx)
		return;
	VHU_LOG(WARNING, "%s: vring %u: base %u but used index %u: resuming from %u",
		dev->ifname, idx, vq->last_used_idx, used_idx, used_idx);
	vq->last_used_idx = used_idx;
	vq->last_avail_idx = used_idx;
}

/*
 * Our pointer to a ring area at addr (SET_VRING_ADDR): a frontend address,
 * or with VIRTIO_F_ACCESS_PLATFORM an I/O virtual address that the IOTLB
 * may not have yet. Then the miss goes to the frontend, *pending is set,
 * and the vring stays unusable until the update (h_iotlb_msg()) translates
 * it again; the areas after it are not looked up meanwhile.
 */
static void *
ring_area(struct vhu_dev *dev, uint32_t idx, uint64_t addr, uint64_t len, uint8_t perm,
	  bool *pending)
{
	uint64_t miss;
	void *p;
	int ret;

	if (!dev->iommu)
		return vhu_uva_to_hva(dev->mem, addr, len);
	/* One miss at a time: each update translates the vring again. And
	 * none for a stopped vring: its guest may be rebooting, unmapping
	 * what we would ask for, and it is asked for when it starts. */
	if (*pending || !dev->vrings[idx].started) {
		*pending = true;
		return NULL;
	}
	/* Read access first: the write table is looked up (for the areas
	 * we write) only once the read one has it, so one miss asks for both. */
	ret = vhu_xlat_range(dev->iotlb[VHU_IOTLB_READ], addr, len, &p, &miss);
	if (ret == 0 && (perm & VHU_ACCESS_WO)) {
		void *w;

		ret = vhu_xlat_range(dev->iotlb[VHU_IOTLB_WRITE], addr, len, &w, &miss);
		if (ret == 0 && w != p)
			ret = -EFAULT;
	}
	if (ret == -EAGAIN) {
		vhu_iotlb_miss(dev, idx, miss, perm);
		*pending = true;
	}
	return ret == 0 ? p : NULL;
}

/*
 * Packed ring: the descriptor ring, the driver and the device event areas
 * (SET_VRING_ADDR's desc, avail and used addresses), each wholly in guest
 * memory. The slots SET_VRING_BASE gave must lie in the ring: packed.c
 * trusts them.
 */
static void
vring_translate_packed(struct vhu_dev *dev, uint32_t idx)
{
	struct vhu_vring *vq = &dev->vrings[idx];
	uint64_t n = vq->size;
	void *desc, *drv, *devev;
	bool pending = false;

	desc = ring_area(dev, idx, vq->desc_uaddr, sizeof(struct vhu_pdesc) * n,
			 VHU_ACCESS_RW, &pending);
	drv = ring_area(dev, idx, vq->avail_uaddr, sizeof(struct vhu_pevent),
			VHU_ACCESS_RO, &pending);
	devev = ring_area(dev, idx, vq->used_uaddr, sizeof(struct vhu_pevent),
			  VHU_ACCESS_RW, &pending);
	if (pending)
		return;
	if (desc == NULL || drv == NULL || devev == NULL) {
		VHU_LOG(ERR, "%s: vring %u: packed %s (size %u) not in guest memory",
			dev->ifname, idx,
			desc == NULL ? "descriptor ring" : drv == NULL ?
				"driver event area" : "device event area", vq->size);
		return;
	}
	if (((uintptr_t)desc & 15) || ((uintptr_t)drv & 3) || ((uintptr_t)devev & 3)) {
		VHU_LOG(ERR, "%s: vring %u: misaligned packed ring address", dev->ifname, idx);
		return;
	}
	if (vq->last_avail_idx >= n || vq->last_used_idx >= n) {
		VHU_LOG(ERR, "%s: vring %u: base avail %u / used %u outside the ring (size %u)",
			dev->ifname, idx, vq->last_avail_idx, vq->last_used_idx, vq->size);
		return;
	}
	vq->pdesc = desc;
	vq->driver_event = drv;
	vq->device_event = devev;
	vhu_log_vring_setup(dev, vq);
}

/* Point desc/avail/used at our mapping of the ring, or leave them NULL. */
static void
vring_translate(struct vhu_dev *dev, uint32_t idx)
{
	struct vhu_vring *vq = &dev->vrings[idx];
	uint64_t n = vq->size;
	void *desc, *avail, *used;
	bool pending = false;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (!vq->addr_set || dev->mem == NULL || n == 0)
		return;
	if (dev->packed) {
		vring_translate_packed(dev, idx);
		return;
	}
	/* Sizes that are not a power of two are for packed rings only: the
	 * features may have changed since SET_VRING_NUM. */
	if (n & (n - 1)) {
		VHU_LOG(ERR, "%s: vring %u: split ring size %u is not a power of two",
			dev->ifname, idx, vq->size);
		return;
	}

	desc = ring_area(dev, idx, vq->desc_uaddr, 16 * n, VHU_ACCESS_RO, &pending);
	avail = ring_area(dev, idx, vq->avail_uaddr, 6 + 2 * n, VHU_ACCESS_RO, &pending);
	used = ring_area(dev, idx, vq->used_uaddr, 6 + 8 * n, VHU_ACCESS_RW, &pending);
	if (pending)
		return;
	if (desc == NULL || avail == NULL || used == NULL) {
		VHU_LOG(ERR, "%s: vring %u: %s ring (size %u) not in guest memory",
			dev->ifname, idx,
			desc == NULL ? "descriptor" : avail == NULL ? "avail" : "used",
			vq->size);
		return;
	}
	if (((uintptr_t)desc & 15) || ((uintptr_t)avail & 1) || ((uintptr_t)used & 3)) {
		VHU_LOG(ERR, "%s: vring %u: misaligned ring address", dev->ifname, idx);
		return;
	}
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vhu_log_vring_setup(dev, vq);
	vring_resync(dev, idx);
}

static bool
vring_usable(const struct vhu_dev *dev, const struct vhu_vring *vq)
{
	return dev->mem != NULL && vq->size != 0 && vq->desc != NULL &&
		vq->avail != NULL && vq->used != NULL && vq->started && vq->enabled;
}

static void
vring_report(struct vhu_dev *dev, uint32_t i)
{
	struct vhu_vring *vq = &dev->vrings[i];

	if (vq->enabled == reported_get(dev, i))
		return;
	reported_set(dev, i, vq->enabled);
	VHU_LOG(INFO, "%s: vring %u %s", dev->ifname, i,
		vq->enabled ? "enabled" : "disabled");
	if (dev->sock->ops.vring_state_changed != NULL)
		dev->sock->ops.vring_state_changed(dev->vid, i, vq->enabled);
}

static void
dev_start(struct vhu_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nr_vring; i++) {
		if (vring_usable(dev, &dev->vrings[i]))
			vhu_vring_set_ready(&dev->vrings[i]);
	}
	dev->running = true;
	VHU_LOG(INFO, "%s: device %d ready, features 0x%" PRIx64,
		dev->ifname, dev->vid, dev->features);
	if (dev->sock->ops.new_device != NULL &&
	    dev->sock->ops.new_device(dev->vid) != 0) {
		VHU_LOG(ERR, "%s: application refused device %d", dev->ifname, dev->vid);
		vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
		dev->running = false;
		return;
	}
	for (i = 0; i < dev->nr_vring; i++)
		vring_report(dev, i);
}

/*
 * With the STATUS protocol feature the frontend says when the driver is
 * done (DRIVER_OK), as DPDK's vhost requires: rings set up before that are
 * not used yet. Without it, usable rings are enough.
 */
static bool
status_allows_start(const struct vhu_dev *dev)
{
	if (!(dev->protocol_features & VHU_BIT(VHU_PROTOCOL_F_STATUS)))
		return true;
	return (dev->status & VHU_STATUS_DRIVER_OK) &&
		!(dev->status & (VHU_STATUS_FAILED | VHU_STATUS_NEEDS_RESET));
}

void
vhu_dev_update_ready(struct vhu_dev *dev)
{
	uint32_t i;

	if (!dev->in_use)
		return;
	for (i = 0; i < dev->nr_vring; i++) {
		if (!vring_is_ready(&dev->vrings[i]))
			vring_translate(dev, i);
	}

	if (!dev->running) {
		if (dev->nr_vring >= 2 && status_allows_start(dev) &&
		    vring_usable(dev, &dev->vrings[0]) &&
		    vring_usable(dev, &dev->vrings[1]))
			dev_start(dev);
		return;
	}

	for (i = 0; i < dev->nr_vring; i++) {
		struct vhu_vring *vq = &dev->vrings[i];
		bool usable = vring_usable(dev, vq);

		if (usable && !vring_is_ready(vq))
			vhu_vring_set_ready(vq);
		else if (!usable && vring_is_ready(vq))
			vhu_vring_quiesce(vq);
		vring_report(dev, i);
	}
}

void
vhu_dev_stop(struct vhu_dev *dev)
{
	vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
	memset(slot_of(dev)->reported, 0, sizeof(slot_of(dev)->reported));
	if (!dev->running)
		return;
	dev->running = false;
	VHU_LOG(INFO, "%s: device %d stopped", dev->ifname, dev->vid);
	if (dev->sock->ops.destroy_device != NULL)
		dev->sock->ops.destroy_device(dev->vid);
}

void *
vhu_get_ctx(int vid)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (dev == NULL || !dev->in_use)
		return NULL;
	return dev->sock->ctx;
}

int
vhu_get_ifname(int vid, char *buf, size_t len)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (dev == NULL || !dev->in_use)
		return -ENODEV;
	if (buf == NULL || len == 0)
		return -EINVAL;
	strlcpy(buf, dev->ifname, len);
	return 0;
}

uint64_t
vhu_get_negotiated_features(int vid)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (dev == NULL || !dev->in_use)
		return 0;
	return dev->features;
}

uint16_t
vhu_get_vring_num(int vid)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (dev == NULL || !dev->in_use)
		return 0;
	return dev->nr_vring;
}

int
vhu_get_vring_stats(int vid, uint16_t vring, struct vhu_vring_stats *st)
{
	struct vhu_dev *dev = vhu_dev_get(vid);
	const struct vhu_vring_stats *s;

	if (dev == NULL || !dev->in_use || vring >= VHU_MAX_VRINGS || st == NULL)
		return -EINVAL;
	/* Single writer (the data path), whole-word stores: no torn value. */
	s = &dev->vrings[vring].stats;
	st->tx_bad_hdr = __atomic_load_n(&s->tx_bad_hdr, __ATOMIC_RELAXED);
	st->rx_ol_dropped = __atomic_load_n(&s->rx_ol_dropped, __ATOMIC_RELAXED);
	st->guest_calls = __atomic_load_n(&dev->vrings[vring].ctr.calls, __ATOMIC_RELAXED);
	return 0;
}

void
vhu_vring_signal_err(struct vhu_dev *dev, uint16_t vring)
{
	struct vhu_vring *vq;
	uint64_t one = 1;

	if (vring >= VHU_MAX_VRINGS)
		return;
	vq = &dev->vrings[vring];
	/* Once per SET_VRING_ERR: a broken ring is found again on every burst. */
	if (vq->errfd < 0 || vq->err_signalled)
		return;
	vq->err_signalled = true;
	if (write(vq->errfd, &one, sizeof(one)) < 0)
		VHU_LOG(DEBUG, "%s: vring %u: cannot signal the error fd: %s",
			dev->ifname, vring, strerror(errno));
}

void
vhu_dev_proto_reset(struct vhu_dev *dev)
{
	dev->status = 0;
	dev->mtu = 0;
	vhu_log_unmap(dev);
	vhu_dev_set_backend_fd(dev, -1);
	vhu_postcopy_reset(dev);
	dev->iommu = false;
	vhu_iotlb_flush(dev);
	__atomic_store_n(&vhu_rarp_req[dev->vid], 0, __ATOMIC_RELAXED);
}

void
vhu_dev_set_backend_fd(struct vhu_dev *dev, int fd)
{
	int old;

	/* The data path may be sending an IOTLB miss on the old one. */
	rte_spinlock_lock(&dev->backend_lock);
	old = dev->backend_fd;
	dev->backend_fd = fd;
	rte_spinlock_unlock(&dev->backend_lock);
	if (old >= 0)
		close(old);
}

void
vhu_rarp_request(struct vhu_dev *dev, const uint8_t mac[6])
{
	uint64_t w = RARP_PENDING;
	int i;

	for (i = 0; i < 6; i++)
		w |= (uint64_t)mac[i] << (8 * i);
	__atomic_store_n(&vhu_rarp_req[dev->vid], w, __ATOMIC_RELEASE);
}

int
vhu_get_rarp_mac(int vid, uint8_t mac[6])
{
	uint64_t w;
	int i;

	if ((unsigned int)vid >= VHU_MAX_DEVICES || mac == NULL)
		return -EINVAL;
	if (!(__atomic_load_n(&vhu_rarp_req[vid], __ATOMIC_RELAXED) & RARP_PENDING))
		return 0;
	/* Take the request: one caller of several queues gets it. */
	w = __atomic_exchange_n(&vhu_rarp_req[vid], 0, __ATOMIC_ACQUIRE);
	if (!(w & RARP_PENDING))
		return 0;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (8 * i));
	return 1;
}

int
vhu_get_mtu(int vid)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (dev == NULL || !dev->in_use)
		return -ENODEV;
	return dev->mtu != 0 ? dev->mtu : -ENODATA;
}
