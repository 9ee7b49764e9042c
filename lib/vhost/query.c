/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Small vring queries for the PMD: pending guest packets (rx_queue_count),
 * the kick fd and guest kick on/off (Rx interrupts), dequeue drops.
 *
 * Guest kicks: we poll, so by default the guest is told not to kick
 * (handlers.c vrings_notify_setup(), split.c ring_finish()). An application
 * that wants to sleep until the guest sends turns them on for one vring
 * with vhu_vring_notify(); vq->guest_notify makes both places keep them on
 * until it turns them off again. A vring reset turns them off.
 */
#include <errno.h>
#include <fcntl.h>

#include "vhu_dev.h"

/* The vring of vid, if vring is a valid index; NULL otherwise. */
static struct vhu_vring *
vring_lookup(int vid, uint16_t vring, struct vhu_dev **devp)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (dev == NULL || vring >= VHU_MAX_VRINGS)
		return NULL;
	*devp = dev;
	return &dev->vrings[vring];
}

/* Packed ring: is the descriptor at slot, in lap wrap, made available? */
static bool
pdesc_avail(const struct vhu_vring *vq, uint16_t slot, uint8_t wrap)
{
	uint16_t f = __atomic_load_n(&vq->pdesc[slot].flags, __ATOMIC_ACQUIRE);
	uint16_t want = wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED;

	return (f & (VHU_DESC_F_AVAIL | VHU_DESC_F_USED)) == want;
}

/* Packed ring: chains made available from our avail slot on (one lap at
 * most: the guest cannot make more available than the ring holds). */
static int
packed_avail_count(const struct vhu_vring *vq)
{
	uint16_t slot = vq->last_avail_idx, n = 0, i;
	uint8_t wrap = vq->avail_wrap;
	bool start = true;

	for (i = 0; i < vq->size && pdesc_avail(vq, slot, wrap); i++) {
		uint16_t f = __atomic_load_n(&vq->pdesc[slot].flags, __ATOMIC_RELAXED);

		n += start;
		start = !(f & VHU_DESC_F_NEXT);
		if (++slot == vq->size) {
			slot = 0;
			wrap ^= 1;
		}
	}
	return n;
}

VHU_API int
vhu_vring_avail_count(int vid, uint16_t vring)
{
	struct vhu_dev *dev;
	struct vhu_vring *vq = vring_lookup(vid, vring, &dev);
	uint16_t n;

	if (vq == NULL || !vhu_vring_enter(vq))
		return -ENODEV;
	if (dev->packed) {
		int ret = packed_avail_count(vq);

		vhu_vring_leave(vq);
		return ret;
	}
	n = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) - vq->last_avail_idx;
	vhu_vring_leave(vq);
	/* A guest that moved its index too far: nothing is consumed from
	 * such a ring (split.c ring_start()), so nothing is waiting. */
	return n > vq->size ? 0 : n;
}

VHU_API int
vhu_vring_kickfd_dup(int vid, uint16_t vring)
{
	struct vhu_dev *dev;
	struct vhu_vring *vq = vring_lookup(vid, vring, &dev);
	int fd;

	if (vq == NULL)
		return -EINVAL;
	if (vq->kickfd < 0)
		return -ENOENT;
	fd = fcntl(vq->kickfd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

VHU_API int
vhu_vring_notify(int vid, uint16_t vring, int enable)
{
	struct vhu_dev *dev;
	struct vhu_vring *vq = vring_lookup(vid, vring, &dev);
	uint16_t last, avail;
	bool on = enable != 0;

	if (vq == NULL || !vhu_vring_enter(vq))
		return -ENODEV;
	vq->guest_notify = on;
	last = vq->last_avail_idx;
	if (dev->packed) {
		/* ENABLE: kick on every descriptor made available. */
		__atomic_store_n(&vq->device_event->flags, on ? VHU_RING_EVENT_F_ENABLE :
				 VHU_RING_EVENT_F_DISABLE, __ATOMIC_RELAXED);
		vhu_log_gpa(dev, vq->log_event_gpa, vq->log_event_len);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		on = on && pdesc_avail(vq, last, vq->avail_wrap);
		vhu_vring_leave(vq);
		return on;
	}
	if (dev->event_idx) {
		/* Kick when the entry at last is posted; or, off, only after a
		 * full wrap (as ring_finish() keeps it). */
		volatile uint16_t *avail_event = (volatile uint16_t *)&vq->used->ring[vq->size];

		*avail_event = (uint16_t)(last - !on);
	} else {
		__atomic_store_n(&vq->used->flags, on ? 0 : VHU_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	}
	vhu_log_gpa(dev, vq->log_ring_gpa, vq->log_ring_len);
	/* The guest may have posted before it could see the change: then it
	 * did not kick, and the caller must look at the ring once more. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	vhu_vring_leave(vq);
	return on && avail != last;
}

VHU_API void
vhu_vring_counters(int vid, uint16_t vring, struct vhu_vring_counters *c)
{
	const struct vhu_vring_counters *ref = vhu_vring_counters_ref(vid, vring);

	c->drops = __atomic_load_n(&ref->drops, __ATOMIC_RELAXED);
	c->calls = __atomic_load_n(&ref->calls, __ATOMIC_RELAXED);
}

VHU_API const struct vhu_vring_counters *
vhu_vring_counters_ref(int vid, uint16_t vring)
{
	static const struct vhu_vring_counters none;
	struct vhu_dev *dev;
	struct vhu_vring *vq = vring_lookup(vid, vring, &dev);

	return vq == NULL ? &none : &vq->ctr;
}

VHU_API uint64_t
vhu_vring_drops(int vid, uint16_t vring)
{
	return __atomic_load_n(&vhu_vring_counters_ref(vid, vring)->drops, __ATOMIC_RELAXED);
}
