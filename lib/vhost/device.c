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
	vq->kickfd = -1;
	vq->callfd = -1;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->size = 0;
	vq->last_avail_idx = 0;
	vq->last_used_idx = 0;
	vq->enabled = false;
	vq->started = false;
	vq->addr_set = false;
	vq->addr_flags = 0;
	vq->desc_uaddr = 0;
	vq->avail_uaddr = 0;
	vq->used_uaddr = 0;
	vq->log_guest_addr = 0;
}

static struct vhu_dev *
slot_create(int vid)
{
	struct vhu_dev_slot *slot;
	uint32_t i;

	slot = rte_zmalloc("vhu_dev", sizeof(*slot), RTE_CACHE_LINE_SIZE);
	if (slot == NULL)
		return NULL;
	for (i = 0; i < VHU_MAX_VRINGS; i++) {
		slot->dev.vrings[i].kickfd = -1;
		slot->dev.vrings[i].callfd = -1;
	}
	slot->dev.vid = vid;
	slot->dev.connfd = -1;
	/* The data path looks slots up without a lock. */
	__atomic_store_n(&vhu_devices[vid], &slot->dev, __ATOMIC_RELEASE);
	return &slot->dev;
}

struct vhu_dev *
vhu_dev_alloc(struct vhu_socket *sock, int connfd)
{
	struct vhu_dev *dev = NULL;
	int n, v, vid = -1, empty = -1;
	uint32_t i;

	/*
	 * Slots are never freed: reuse a free one before creating one, or a
	 * frontend reconnecting in a loop makes us allocate all
	 * VHU_MAX_DEVICES of them (38 KB of hugepage memory each). Search
	 * after the last vid handed out, which comes last: a vid is not
	 * reused at once unless no other slot is free or can be created.
	 */
	for (n = 0; n < VHU_MAX_DEVICES; n++) {
		v = (vhu_last_vid + 1 + n) % VHU_MAX_DEVICES;
		if (vhu_devices[v] == NULL) {
			if (empty < 0)
				empty = v;
		} else if (!vhu_devices[v]->in_use && (v != vhu_last_vid || empty < 0)) {
			vid = v;
			break;
		}
	}
	if (vid < 0)
		vid = empty;
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
	dev->features = 0;
	dev->protocol_features = 0;
	dev->features_set = false;
	dev->owner_set = false;
	dev->running = false;
	dev->nr_vring = 0;
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
	if (dev->connfd >= 0)
		close(dev->connfd);
	dev->connfd = -1;
	dev->in_use = false;
}

/* Point desc/avail/used at our mapping of the ring, or leave them NULL. */
static void
vring_translate(struct vhu_dev *dev, uint32_t idx)
{
	struct vhu_vring *vq = &dev->vrings[idx];
	uint64_t n = vq->size;
	void *desc, *avail, *used;

	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	if (!vq->addr_set || dev->mem == NULL || n == 0)
		return;

	desc = vhu_uva_to_hva(dev->mem, vq->desc_uaddr, 16 * n);
	avail = vhu_uva_to_hva(dev->mem, vq->avail_uaddr, 6 + 2 * n);
	used = vhu_uva_to_hva(dev->mem, vq->used_uaddr, 6 + 8 * n);
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
dev_quiesce_all(struct vhu_dev *dev)
{
	uint32_t i;

	for (i = 0; i < dev->nr_vring; i++)
		vhu_vring_quiesce(&dev->vrings[i]);
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
		dev_quiesce_all(dev);
		dev->running = false;
		return;
	}
	for (i = 0; i < dev->nr_vring; i++)
		vring_report(dev, i);
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
		if (dev->nr_vring >= 2 && vring_usable(dev, &dev->vrings[0]) &&
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
	dev_quiesce_all(dev);
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
