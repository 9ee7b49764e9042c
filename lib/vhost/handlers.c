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
		if (dev->packed)
			__atomic_store_n(&vq->device_event->flags, VHU_RING_EVENT_F_DISABLE,
					 __ATOMIC_RELAXED);
		else
			__atomic_store_n(&vq->used->flags, flags, __ATOMIC_RELAXED);
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
h_get_features(struct vhu_dev *dev __rte_unused, struct vhu_msg *msg)
{
	return reply_u64(msg, VHU_SUPPORTED_FEATURES);
}

static int
h_set_features(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t f = msg->payload.u64;
	bool restart = false;

	if (f & ~VHU_SUPPORTED_FEATURES) {
		VHU_LOG(ERR, "%s: SET_FEATURES: 0x%" PRIx64 " has bits we do not offer"
			" (0x%" PRIx64 ")", dev->ifname, f, f & ~(uint64_t)VHU_SUPPORTED_FEATURES);
		return VHU_HANDLED_ERR;
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
	dev->vnet_hdr_len = (f & (VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF) |
				  VHU_BIT(VHU_VIRTIO_F_VERSION_1))) ?
		sizeof(struct vhu_net_hdr_mrg) : sizeof(struct vhu_net_hdr);
	dev->features_set = true;
	VHU_LOG(INFO, "%s: features 0x%" PRIx64 ", virtio-net header %u bytes",
		dev->ifname, f, dev->vnet_hdr_len);
	if (restart)
		ready_update(dev);
	return VHU_HANDLED_OK;
}

static int
h_set_owner(struct vhu_dev *dev, struct vhu_msg *msg __rte_unused)
{
	dev->owner_set = true;
	return VHU_HANDLED_OK;
}

static int
h_reset_owner(struct vhu_dev *dev, struct vhu_msg *msg __rte_unused)
{
	uint32_t i;

	vhu_dev_stop(dev);
	for (i = 0; i < dev->nr_vring; i++)
		vhu_vring_reset(&dev->vrings[i]);
	dev->nr_vring = 0;
	dev->features = 0;
	dev->protocol_features = 0;
	dev->features_set = false;
	dev->mrg_rxbuf = false;
	dev->event_idx = false;
	dev->packed = false;
	dev->vnet_hdr_len = sizeof(struct vhu_net_hdr);
	return VHU_HANDLED_OK;
}

static int
h_get_protocol_features(struct vhu_dev *dev __rte_unused, struct vhu_msg *msg)
{
	return reply_u64(msg, VHU_SUPPORTED_PROTOCOL_FEATURES);
}

static int
h_set_protocol_features(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t f = msg->payload.u64;

	if (f & ~VHU_SUPPORTED_PROTOCOL_FEATURES) {
		VHU_LOG(ERR, "%s: SET_PROTOCOL_FEATURES: 0x%" PRIx64 " has bits we do not offer",
			dev->ifname, f);
		return VHU_HANDLED_ERR;
	}
	dev->protocol_features = f;
	return VHU_HANDLED_OK;
}

static int
h_get_queue_num(struct vhu_dev *dev, struct vhu_msg *msg)
{
	return reply_u64(msg, dev->sock->max_queue_pairs);
}

static void
vrings_quiesce(struct vhu_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nr_vring; i++)
		vhu_vring_quiesce(&dev->vrings[i]);
}

static int
h_set_mem_table(struct vhu_dev *dev, struct vhu_msg *msg)
{
	struct vhu_mem *old = dev->mem;
	struct vhu_mem *new = &dev->mem_storage[old == &dev->mem_storage[0] ? 1 : 0];
	int fds[VHU_MAX_FDS];
	int i, ret;

	for (i = 0; i < msg->nr_fds; i++)
		fds[i] = msg->fds[i];
	ret = vhu_mem_map(new, &msg->payload.memory, fds, msg->nr_fds);
	if (ret < 0) {
		VHU_LOG(ERR, "%s: SET_MEM_TABLE refused, keeping the old table: %s",
			dev->ifname, strerror(-ret));
		return VHU_HANDLED_ERR;
	}
	for (i = 0; i < VHU_MAX_FDS; i++)
		msg->fds[i] = -1;

	/* The data path keeps running on the old table until here. */
	vrings_quiesce(dev);
	dev->mem = new;
	if (old != NULL)
		vhu_mem_unmap(old);
	ready_update(dev);
	return VHU_HANDLED_OK;
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
	/* We never signal ring errors: nothing to keep the fd for. */
	if (fd >= 0)
		close(fd);
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

static const vhu_handler_t vhu_handlers[VHU_REQ_MAX] = {
	[VHU_REQ_GET_FEATURES] = h_get_features,
	[VHU_REQ_SET_FEATURES] = h_set_features,
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
};

/* NULL for a request we do not implement: message.c refuses it. */
vhu_handler_t
vhu_handler_get(uint32_t request)
{
	if (request >= VHU_REQ_MAX)
		return NULL;
	return vhu_handlers[request];
}
