/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * One handler per vhost-user request we implement. message.c has already
 * checked the payload size and the number of fds; a handler checks values
 * (vring indexes, feature bits, sizes) and applies them.
 *
 * Before a handler changes anything the data path reads it quiesces the
 * vring (or stops the device); vhu_dev_update_ready() then makes usable
 * vrings ready again.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "vhu_dev.h"
#include "net_hdr.h"

/* The vring a message names, or NULL (logged) if out of range. */
static struct vhu_vring *
vring_of(struct vhu_dev *dev, uint32_t index, const char *req)
{
	if (index >= 2u * dev->sock->max_queue_pairs) {
		VHU_LOG(ERR, "%s: %s: vring index %u out of range (%u queue pairs)",
			dev->ifname, req, index, dev->sock->max_queue_pairs);
		return NULL;
	}
	if (index >= dev->nr_vring)
		dev->nr_vring = index + 1;
	return &dev->vrings[index];
}

/*
 * Guest notifications, written by the control path whenever vrings may have
 * become ready (again on vrings already ready: harmless), never per burst.
 * We poll, so a guest kick is wasted work. Without EVENT_IDX,
 * VHU_USED_F_NO_NOTIFY says so; with it, flags must be 0 (virtio 1.2
 * 2.7.10) and split.c keeps avail_event out of the guest's way instead.
 * The data path never writes used->flags: this cannot race with it.
 * A packed ring's device event area says DISABLE, valid with or without
 * EVENT_IDX (virtio 1.2 2.8.10); the data path never writes it either.
 */
static void
vrings_notify_setup(struct vhu_dev *dev)
{
	uint16_t flags = dev->event_idx ? 0 : VHU_USED_F_NO_NOTIFY;
	uint32_t i;

	for (i = 0; i < dev->nr_vring; i++) {
		struct vhu_vring *vq = &dev->vrings[i];

		if (!__atomic_load_n(&vq->ready, __ATOMIC_ACQUIRE) || vq->used == NULL)
			continue;
		if (dev->packed) {
			__atomic_store_n(&vq->device_event->flags, vq->guest_notify ?
					 VHU_RING_EVENT_F_ENABLE : VHU_RING_EVENT_F_DISABLE,
					 __ATOMIC_RELAXED);
			vhu_log_gpa(dev, vq->log_event_gpa, vq->log_event_len);
		} else {
			__atomic_store_n(&vq->used->flags, vq->guest_notify ? 0 : flags,
					 __ATOMIC_RELAXED);
			vhu_log_gpa(dev, vq->log_ring_gpa, sizeof(vq->used->flags));
		}
	}
}

/*
 * Every handler makes vrings ready through here. event_idx is derived from
 * the features while the device is stopped, before any vring can become
 * ready, also on a reused device slot whose frontend never sent
 * SET_FEATURES (features 0). Features only change while the device is
 * stopped (h_set_features, h_reset_owner stop it first).
 */
static void
ready_update(struct vhu_dev *dev)
{
	if (!dev->running)
		dev->event_idx = (dev->features & VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX)) != 0;
	vhu_dev_update_ready(dev);
	vrings_notify_setup(dev);
}

static int
reply_u64(struct vhu_msg *msg, uint64_t val)
{
	msg->payload.u64 = val;
	msg->hdr.size = sizeof(msg->payload.u64);
	return VHU_HANDLED_REPLY;
}

static int
h_get_features(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return reply_u64(msg, vhu_offered_features(dev->sock));
}

/*
 * VIRTIO_F_ACCESS_PLATFORM: we learn translations from the frontend and ask
 * for missing ones on the backend channel (BACKEND_REQ; QEMU checks that it
 * was negotiated, and frontends may negotiate it after SET_FEATURES).
 */
static int
iommu_features_check(struct vhu_dev *dev, uint64_t f)
{
	if (!(f & VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM)))
		return 0;
	if (vhu_iotlb_alloc(dev) < 0) {
		VHU_LOG(ERR, "%s: SET_FEATURES: no memory for the IOTLB", dev->ifname);
		return -ENOMEM;
	}
	return 0;
}

static int
h_set_features(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t f = msg->payload.u64;
	bool restart = false;

	if (f & ~vhu_offered_features(dev->sock)) {
		VHU_LOG(ERR, "%s: SET_FEATURES: 0x%" PRIx64 " has bits we do not offer"
			" (0x%" PRIx64 ")", dev->ifname, f, f & ~vhu_offered_features(dev->sock));
		return VHU_HANDLED_ERR;
	}
	if (vhu_net_features_check(dev, f) < 0)
		return VHU_HANDLED_ERR;
	if (iommu_features_check(dev, f) < 0)
		return VHU_HANDLED_ERR;
	/* A migrating frontend turns the dirty log on and off on a running
	 * device: that changes nothing else, and must not stop the port. */
	if (dev->running && (f ^ dev->features) == VHU_BIT(VHU_VHOST_F_LOG_ALL)) {
		dev->features = f;
		if (vhu_log_features_changed(dev))
			ready_update(dev);
		return VHU_HANDLED_OK;
	}
	/* The data path reads the header length: stop it before changing. */
	if (dev->running && f != dev->features) {
		vhu_dev_stop(dev);
		restart = true;
	}
	dev->features = f;
	dev->mrg_rxbuf = f & VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	dev->event_idx = (f & VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX)) != 0;
	dev->packed = (f & VHU_BIT(VHU_VIRTIO_F_RING_PACKED)) != 0;
	dev->in_order = (f & VHU_BIT(VHU_VIRTIO_F_IN_ORDER)) != 0;
	/* Only a stopped device changes it (f differs): the table is free. */
	if (dev->iommu != ((f & VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM)) != 0)) {
		dev->iommu = !dev->iommu;
		vhu_iotlb_flush(dev);
	}
	dev->vnet_hdr_len = (f & (VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF) |
				  VHU_BIT(VHU_VIRTIO_F_VERSION_1))) ?
		sizeof(struct vhu_net_hdr_mrg) : sizeof(struct vhu_net_hdr);
	dev->net_ol = vhu_net_ol_flags(f, dev->sock->flags);
	dev->features_set = true;
	if (vhu_log_features_changed(dev))
		restart = true;
	VHU_LOG(INFO, "%s: features 0x%" PRIx64 ", virtio-net header %u bytes",
		dev->ifname, f, dev->vnet_hdr_len);
	if (restart)
		ready_update(dev);
	return VHU_HANDLED_OK;
}

/*
 * The dirty page log (log.c). QEMU waits for a reply without payload
 * (vhost-user.rst leaves it open; DPDK's vhost does the same).
 */
static int
h_set_log_base(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_log_desc desc = msg->payload.log;
	int ret = vhu_log_map(dev, &desc, msg->fds[0]);

	vhu_msg_close_fds(msg);
	msg->hdr.size = 0;
	if (ret < 0)
		return VHU_HANDLED_ERR;
	ready_update(dev);
	return VHU_HANDLED_REPLY;
}

static int
h_set_owner(struct vhu_dev *dev, struct vhu_msg *msg __rte_unused)
{
	dev->owner_set = true;
	return VHU_HANDLED_OK;
}

/* Stop the device and forget everything the frontend set up (DPDK frees
 * the memory table and closes the backend channel too). */
static int
h_reset_owner(struct vhu_dev *dev, struct vhu_msg *msg __rte_unused)
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
	dev->owner_set = false;
	dev->features = 0;
	dev->protocol_features = 0;
	dev->features_set = false;
	dev->mrg_rxbuf = false;
	dev->event_idx = false;
	dev->net_ol = 0;
	dev->packed = false;
	dev->vnet_hdr_len = sizeof(struct vhu_net_hdr);
	return VHU_HANDLED_OK;
}

static uint64_t
offered_protocol_features(const struct vhu_dev *dev)
{
	return VHU_SUPPORTED_PROTOCOL_FEATURES |
		(dev->sock->flags & VHU_REG_POSTCOPY ? VHU_BIT(VHU_PROTOCOL_F_PAGEFAULT) : 0);
}

static int
h_get_protocol_features(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return reply_u64(msg, offered_protocol_features(dev));
}

static int
h_set_protocol_features(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t f = msg->payload.u64;

	if (f & ~offered_protocol_features(dev)) {
		VHU_LOG(ERR, "%s: SET_PROTOCOL_FEATURES: 0x%" PRIx64 " has bits we do not offer",
			dev->ifname, f);
		return VHU_HANDLED_ERR;
	}
	dev->protocol_features = f;
	VHU_LOG(INFO, "%s: protocol features 0x%" PRIx64, dev->ifname, f);
	return VHU_HANDLED_OK;
}

static int
h_get_queue_num(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return reply_u64(msg, dev->sock->max_queue_pairs);
}

/* Tell the frontend where region rd lies in our space (its reply to
 * SET_MEM_TABLE or ADD_MEM_REG while postcopy listens). */
static void
postcopy_base(struct vhu_dev *dev, struct vhu_mem_region_desc *rd)
{
	int i = vhu_mem_find(dev->mem, rd);

	rd->userspace_addr = i >= 0 ? dev->mem->regions[i].hva : 0;
	dev->postcopy_ack_pending = true;
}

static int
h_set_mem_table(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_mem *old = dev->mem;
	struct vhu_mem *new = dev->mem_storage[old == dev->mem_storage[0] ? 1 : 0];
	int fds[VHU_MAX_FDS];
	uint32_t n;
	int i, ret;

	for (i = 0; i < msg->nr_fds; i++)
		fds[i] = msg->fds[i];
	ret = vhu_mem_map(new, &msg->payload.memory, fds, msg->nr_fds, dev->postcopy_listening);
	if (ret < 0) {
		VHU_LOG(ERR, "%s: SET_MEM_TABLE refused, keeping the old table: %s",
			dev->ifname, strerror(-ret));
		return VHU_HANDLED_ERR;
	}
	for (i = 0; i < VHU_MAX_FDS; i++)
		msg->fds[i] = -1;
	if (dev->postcopy_listening && vhu_postcopy_register_mem(dev, new) < 0) {
		vhu_mem_unmap(new);
		return VHU_HANDLED_ERR;
	}

	/* The data path keeps running on the old table until here. */
	vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
	dev->mem = new;
	/* IOTLB entries point into the old mappings. */
	vhu_iotlb_flush(dev);
	if (old != NULL)
		vhu_mem_unmap(old);
	ready_update(dev);
	if (!dev->postcopy_listening)
		return VHU_HANDLED_OK;
	/* The same message back, with our bases (vhost-user.rst). */
	for (n = 0; n < msg->payload.memory.nregions; n++)
		postcopy_base(dev, &msg->payload.memory.regions[n]);
	return VHU_HANDLED_REPLY;
}

static int
h_set_vring_num(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint32_t index = msg->payload.state.index;
	uint32_t num = msg->payload.state.num;
	struct vhu_vring *vq = vring_of(dev, index, "SET_VRING_NUM");

	if (vq == NULL)
		return VHU_HANDLED_ERR;
	/* Packed rings may have any size up to 32768 (virtio 1.2 2.8.10.1),
	 * split rings only powers of two. */
	if (num == 0 || num > VHU_MAX_RING_SIZE || (!dev->packed && (num & (num - 1)))) {
		VHU_LOG(ERR, "%s: SET_VRING_NUM: vring %u: bad size %u%s",
			dev->ifname, index, num,
			dev->packed ? "" : " (split rings: a power of two)");
		return VHU_HANDLED_ERR;
	}
	vhu_vring_quiesce(vq);
	vq->size = num;
	ready_update(dev);
	return VHU_HANDLED_OK;
}

/* Packed rings: desc, avail and used are the descriptor ring, the driver
 * and the device event areas. device.c translates and checks them (sizes
 * by ring layout) when the vring may become ready. */
static int
h_set_vring_addr(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vring_addr a = msg->payload.addr;
	struct vhu_vring *vq = vring_of(dev, a.index, "SET_VRING_ADDR");

	if (vq == NULL)
		return VHU_HANDLED_ERR;
	vhu_vring_quiesce(vq);
	vq->addr_flags = a.flags;
	vq->desc_uaddr = a.desc_user_addr;
	vq->avail_uaddr = a.avail_user_addr;
	vq->used_uaddr = a.used_user_addr;
	vq->log_guest_addr = a.log_guest_addr;
	vq->addr_set = true;
	ready_update(dev);
	return VHU_HANDLED_OK;
}

/*
 * Packed SET_VRING_BASE (vhost-user.rst): avail slot and wrap counter in
 * bits 0-15, used slot and wrap counter in bits 16-31. We never keep a
 * buffer in flight past a burst, so after GET_VRING_BASE our used side
 * equals our avail side and the frontend restores what we gave. DPDK's
 * virtio_user sends only the avail half (0x8000 on a fresh ring): the used
 * side then follows the avail side, as in DPDK's vhost. A slot outside the
 * ring keeps the vring unusable (device.c).
 */
static void
vring_base_set_packed(struct vhu_dev *dev, struct vhu_vring *vq, uint32_t index, uint32_t num)
{
	uint16_t avail = num & 0xffff, used = num >> VHU_PACKED_USED_SHIFT;

	if (used != 0 && used != avail)
		VHU_LOG(WARNING, "%s: SET_VRING_BASE: vring %u: used half 0x%x differs from"
			" avail half 0x%x: we hold no buffers, resuming both at avail",
			dev->ifname, index, used, avail);
	vq->last_avail_idx = avail & VHU_PACKED_IDX_MASK;
	vq->avail_wrap = (avail >> VHU_PACKED_WRAP_BIT) & 1;
	vq->last_used_idx = vq->last_avail_idx;
	vq->used_wrap = vq->avail_wrap;
}

static int
h_set_vring_base(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint32_t index = msg->payload.state.index;
	uint16_t base = msg->payload.state.num;
	struct vhu_vring *vq = vring_of(dev, index, "SET_VRING_BASE");

	if (vq == NULL)
		return VHU_HANDLED_ERR;
	vhu_vring_quiesce(vq);
	if (dev->packed) {
		vring_base_set_packed(dev, vq, index, msg->payload.state.num);
	} else {
		vq->last_avail_idx = base;
		vq->last_used_idx = base;
	}
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_get_vring_base(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint32_t index = msg->payload.state.index;
	struct vhu_vring *vq = vring_of(dev, index, "GET_VRING_BASE");

	if (vq == NULL)
		return VHU_HANDLED_ERR;
	/* The frontend stops the ring (guest reset, driver unload). */
	vhu_dev_stop(dev);
	vhu_vring_quiesce(vq);
	/* QEMU stops passing the guest's IOMMU invalidations on with the
	 * device: what we hold may be unmapped and reused by the next driver
	 * (a reload, a reboot). Misses bring back what is still mapped. */
	vhu_iotlb_flush(dev);
	vq->started = false;
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	vq->kickfd = -1;
	msg->payload.state.index = index;
	if (dev->packed)
		msg->payload.state.num = (uint32_t)vq->last_avail_idx |
			(uint32_t)vq->avail_wrap << VHU_PACKED_WRAP_BIT |
			((uint32_t)vq->last_used_idx |
			 (uint32_t)vq->used_wrap << VHU_PACKED_WRAP_BIT) << VHU_PACKED_USED_SHIFT;
	else
		msg->payload.state.num = vq->last_avail_idx;
	msg->hdr.size = sizeof(msg->payload.state);
	return VHU_HANDLED_REPLY;
}

/* Decode the u64 of SET_VRING_KICK/CALL/ERR; takes the fd (or -1). */
static struct vhu_vring *
vring_fd_of(struct vhu_dev *dev, struct vhu_msg *msg, const char *req, int *fd)
{
	uint64_t v = msg->payload.u64;
	struct vhu_vring *vq;

	if (v & ~(uint64_t)(VHU_VRING_IDX_MASK | VHU_VRING_NOFD)) {
		VHU_LOG(ERR, "%s: %s: unknown bits in 0x%" PRIx64, dev->ifname, req, v);
		return NULL;
	}
	vq = vring_of(dev, v & VHU_VRING_IDX_MASK, req);
	if (vq == NULL)
		return NULL;
	*fd = -1;
	if (!(v & VHU_VRING_NOFD)) {
		*fd = msg->fds[0];
		msg->fds[0] = -1;
	}
	return vq;
}

static int
h_set_vring_kick(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vring *vq;
	int fd;

	vq = vring_fd_of(dev, msg, "SET_VRING_KICK", &fd);
	if (vq == NULL)
		return VHU_HANDLED_ERR;
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	vq->kickfd = fd;
	vq->started = true;
	/* Without protocol features a started ring is enabled (vhost-user.rst). */
	if (!(dev->features & VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES)))
		vq->enabled = true;
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_set_vring_call(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vring *vq;
	int fd;

	vq = vring_fd_of(dev, msg, "SET_VRING_CALL", &fd);
	if (vq == NULL)
		return VHU_HANDLED_ERR;
	/* The data path writes callfd. */
	vhu_vring_quiesce(vq);
	if (vq->callfd >= 0)
		close(vq->callfd);
	vq->callfd = fd;
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_set_vring_err(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_vring *vq;
	int fd;

	vq = vring_fd_of(dev, msg, "SET_VRING_ERR", &fd);
	if (vq == NULL)
		return VHU_HANDLED_ERR;
	/* The data path signals errfd (vhu_vring_signal_err()). */
	vhu_vring_quiesce(vq);
	if (vq->errfd >= 0)
		close(vq->errfd);
	vq->errfd = fd;
	vq->err_signalled = false;
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_set_vring_enable(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint32_t index = msg->payload.state.index;
	struct vhu_vring *vq = vring_of(dev, index, "SET_VRING_ENABLE");

	if (vq == NULL)
		return VHU_HANDLED_ERR;
	vq->enabled = msg->payload.state.num != 0;
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_net_set_mtu(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t mtu = msg->payload.u64;

	if (mtu < VHU_MIN_MTU || mtu > VHU_MAX_MTU) {
		VHU_LOG(ERR, "%s: NET_SET_MTU: %" PRIu64 " out of range %u..%u",
			dev->ifname, mtu, VHU_MIN_MTU, VHU_MAX_MTU);
		return VHU_HANDLED_ERR;
	}
	dev->mtu = (uint16_t)mtu;
	VHU_LOG(INFO, "%s: MTU %u", dev->ifname, dev->mtu);
	return VHU_HANDLED_OK;
}

/*
 * SET_STATUS: the virtio device status byte. DRIVER_OK lets the device
 * start (vhu_dev_update_ready()); a reset (0), or a status without
 * DRIVER_OK or with FAILED/NEEDS_RESET, stops a running device. Rings keep
 * their state: QEMU 7.2 sends GET_VRING_BASE after the reset.
 */
static int
h_set_status(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t st = msg->payload.u64;

	if (st > UINT8_MAX) {
		VHU_LOG(ERR, "%s: SET_STATUS: 0x%" PRIx64 " is not a status byte",
			dev->ifname, st);
		return VHU_HANDLED_ERR;
	}
	dev->status = (uint8_t)st;
	VHU_LOG(INFO, "%s: device status 0x%02x", dev->ifname, dev->status);
	if (dev->running && (!(st & VHU_STATUS_DRIVER_OK) ||
			     (st & (VHU_STATUS_FAILED | VHU_STATUS_NEEDS_RESET))))
		vhu_dev_stop(dev);
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_get_status(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return reply_u64(msg, dev->status);
}

/* POSTCOPY_ADVISE: the reply carries a new userfaultfd (postcopy.c). */
static int
h_postcopy_advise(struct vhu_dev *dev, struct vhu_msg *msg)
{
	int fd = vhu_postcopy_advise(dev);

	if (fd < 0)
		return VHU_HANDLED_ERR;
	msg->hdr.size = 0;
	msg->reply_fd = fd;
	return VHU_HANDLED_REPLY;
}

/* POSTCOPY_LISTEN: QEMU waits for an answer whenever it asks for one,
 * REPLY_ACK negotiated or not. */
static int
h_postcopy_listen(struct vhu_dev *dev, struct vhu_msg *msg)
{
	int ret = vhu_postcopy_listen(dev);

	if (msg->hdr.flags & VHU_MSG_NEED_REPLY)
		return reply_u64(msg, ret < 0);
	return ret < 0 ? VHU_HANDLED_ERR : VHU_HANDLED_OK;
}

static int
h_postcopy_end(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return reply_u64(msg, vhu_postcopy_end(dev) < 0);
}

/* What we send on the backend channel: IOTLB misses (iotlb.c). */
static int
h_set_backend_req_fd(struct vhu_dev *dev, struct vhu_msg *msg)
{
	vhu_dev_set_backend_fd(dev, msg->fds[0]);
	msg->fds[0] = -1;
	return VHU_HANDLED_OK;
}

/*
 * IOTLB_MSG: an update or an invalidation changes what the data path
 * translates through, so every vring is quiesced first; then the vrings are
 * translated again (ready_update()): one that waited for the update starts,
 * one whose rings lost their entries waits for a new miss's answer.
 */
static int
h_iotlb_msg(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_iotlb_msg m = msg->payload.iotlb;	/* one copy */
	int ret = 0;

	if (!dev->iommu) {
		VHU_LOG(ERR, "%s: IOTLB_MSG without VIRTIO_F_ACCESS_PLATFORM", dev->ifname);
		return VHU_HANDLED_ERR;
	}
	if (m.type != VHU_IOTLB_UPDATE && m.type != VHU_IOTLB_INVALIDATE) {
		VHU_LOG(ERR, "%s: IOTLB_MSG: type %u is not one a frontend sends",
			dev->ifname, m.type);
		return VHU_HANDLED_ERR;
	}
	VHU_LOG(DEBUG, "%s: IOTLB %s 0x%" PRIx64 " size 0x%" PRIx64 " perm %u", dev->ifname,
		m.type == VHU_IOTLB_UPDATE ? "update" : "invalidate", m.iova, m.size, m.perm);
	vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
	if (m.type == VHU_IOTLB_UPDATE) {
		ret = vhu_iotlb_update(dev, m.iova, m.size, m.uaddr, m.perm);
	} else {
		vhu_iotlb_invalidate(dev, m.iova, m.size);
		/* What was asked and answered may be missing again. */
		vhu_iotlb_misses_forget(dev, m.iova, m.size);
	}
	ready_update(dev);
	if (ret < 0) {
		VHU_LOG(ERR, "%s: IOTLB update iova 0x%" PRIx64 " size 0x%" PRIx64
			" uaddr 0x%" PRIx64 " perm %u refused: %s", dev->ifname, m.iova,
			m.size, m.uaddr, m.perm, strerror(-ret));
		return VHU_HANDLED_ERR;
	}
	return VHU_HANDLED_OK;
}

static int
h_send_rarp(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint8_t mac[6];

	memcpy(mac, &msg->payload.u64, sizeof(mac));
	VHU_LOG(INFO, "%s: RARP requested for %02x:%02x:%02x:%02x:%02x:%02x",
		dev->ifname, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	vhu_rarp_request(dev, mac);
	return VHU_HANDLED_OK;
}

static int
h_get_max_mem_slots(struct vhu_dev *dev __rte_unused, struct vhu_msg *msg)
{
	return reply_u64(msg, VHU_MAX_MEM_SLOTS);
}

/* The table not in use: where a new one is built. */
static struct vhu_mem *
mem_spare(struct vhu_dev *dev)
{
	return dev->mem_storage[dev->mem == dev->mem_storage[0] ? 1 : 0];
}

/*
 * Swap in a new table exactly as SET_MEM_TABLE does: the data path runs on
 * the old one until every vring is quiesced, then vrings are re-translated.
 */
static struct vhu_mem *
mem_swap(struct vhu_dev *dev, struct vhu_mem *new)
{
	struct vhu_mem *old = dev->mem;

	vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
	dev->mem = new->nregions > 0 ? new : NULL;
	/* IOTLB entries may point into a removed region. */
	vhu_iotlb_flush(dev);
	return old;
}

static int
h_add_mem_reg(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_mem_region_desc rd = msg->payload.mem_reg.region;
	struct vhu_mem *new = mem_spare(dev), *old;
	int ret;

	/* The same region again (QEMU: once per queue pair's vhost device):
	 * keep our mapping, count it; its fd is closed unused. */
	ret = vhu_mem_find(dev->mem, &rd);
	if (ret >= 0) {
		dev->mem->regions[ret].extra_refs++;
		VHU_LOG(DEBUG, "%s: ADD_MEM_REG of region %d again (%u more)",
			dev->ifname, ret, dev->mem->regions[ret].extra_refs);
		goto done;
	}
	ret = vhu_mem_add(new, dev->mem, &msg->payload.mem_reg.region, msg->fds[0],
			  dev->postcopy_listening);
	if (ret < 0) {
		VHU_LOG(ERR, "%s: ADD_MEM_REG refused: %s", dev->ifname, strerror(-ret));
		return VHU_HANDLED_ERR;
	}
	msg->fds[0] = -1;
	if (dev->postcopy_listening) {
		/* Only the new region is not registered yet. */
		struct vhu_mem_region *added = &new->regions[vhu_mem_find(new, &rd)];

		if (vhu_postcopy_register(dev, added) < 0) {
			/* The others are the current table's: only it goes. */
			vhu_mem_region_release(added);
			vhu_mem_forget(new);
			return VHU_HANDLED_ERR;
		}
	}
	old = mem_swap(dev, new);
	/* Its regions are in the new table now. */
	if (old != NULL)
		vhu_mem_forget(old);
	ready_update(dev);
done:
	if (!dev->postcopy_listening)
		return VHU_HANDLED_OK;
	postcopy_base(dev, &msg->payload.mem_reg.region);
	return VHU_HANDLED_REPLY;
}

static int
h_rem_mem_reg(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_mem *new = mem_spare(dev), *old;
	struct vhu_mem_region_desc rd = msg->payload.mem_reg.region;
	struct vhu_mem_region removed;
	int ret;

	/* While postcopy listens, QEMU acknowledges the whole update with one
	 * more message, an 8-byte REM_MEM_REG when it only removed regions. */
	if (dev->postcopy_listening)
		dev->postcopy_ack_pending = true;
	/* Added more than once: only the last removal unmaps it. */
	ret = vhu_mem_find(dev->mem, &rd);
	if (ret >= 0 && dev->mem->regions[ret].extra_refs > 0) {
		dev->mem->regions[ret].extra_refs--;
		return VHU_HANDLED_OK;
	}
	/* vhost-user.rst: an fd that comes with it is closed unused. */
	ret = vhu_mem_remove(new, dev->mem, &msg->payload.mem_reg.region, &removed);
	if (ret < 0)
		return VHU_HANDLED_ERR;
	old = mem_swap(dev, new);
	vhu_mem_forget(old);
	/* No vring is ready: nothing reads the region any more. */
	vhu_mem_region_release(&removed);
	ready_update(dev);
	return VHU_HANDLED_OK;
}

static const vhu_handler_t vhu_handlers[VHU_REQ_MAX] = {
	[VHU_REQ_GET_FEATURES] = h_get_features,
	[VHU_REQ_SET_FEATURES] = h_set_features,
	[VHU_REQ_SET_LOG_BASE] = h_set_log_base,
	[VHU_REQ_SET_OWNER] = h_set_owner,
	[VHU_REQ_RESET_OWNER] = h_reset_owner,
	[VHU_REQ_SET_MEM_TABLE] = h_set_mem_table,
	[VHU_REQ_SET_VRING_NUM] = h_set_vring_num,
	[VHU_REQ_SET_VRING_ADDR] = h_set_vring_addr,
	[VHU_REQ_SET_VRING_BASE] = h_set_vring_base,
	[VHU_REQ_GET_VRING_BASE] = h_get_vring_base,
	[VHU_REQ_SET_VRING_KICK] = h_set_vring_kick,
	[VHU_REQ_SET_VRING_CALL] = h_set_vring_call,
	[VHU_REQ_SET_VRING_ERR] = h_set_vring_err,
	[VHU_REQ_GET_PROTOCOL_FEATURES] = h_get_protocol_features,
	[VHU_REQ_SET_PROTOCOL_FEATURES] = h_set_protocol_features,
	[VHU_REQ_GET_QUEUE_NUM] = h_get_queue_num,
	[VHU_REQ_SET_VRING_ENABLE] = h_set_vring_enable,
	[VHU_REQ_SEND_RARP] = h_send_rarp,
	[VHU_REQ_NET_SET_MTU] = h_net_set_mtu,
	[VHU_REQ_SET_BACKEND_REQ_FD] = h_set_backend_req_fd,
	[VHU_REQ_IOTLB_MSG] = h_iotlb_msg,
	[VHU_REQ_GET_MAX_MEM_SLOTS] = h_get_max_mem_slots,
	[VHU_REQ_POSTCOPY_ADVISE] = h_postcopy_advise,
	[VHU_REQ_POSTCOPY_LISTEN] = h_postcopy_listen,
	[VHU_REQ_POSTCOPY_END] = h_postcopy_end,
	[VHU_REQ_ADD_MEM_REG] = h_add_mem_reg,
	[VHU_REQ_REM_MEM_REG] = h_rem_mem_reg,
	[VHU_REQ_SET_STATUS] = h_set_status,
	[VHU_REQ_GET_STATUS] = h_get_status,
};

/* NULL for a request we do not implement: message.c refuses it. */
vhu_handler_t
vhu_handler_get(uint32_t request)
{
	if (request >= VHU_REQ_MAX)
		return NULL;
	return vhu_handlers[request];
}
