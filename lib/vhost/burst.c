/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The data path API: vhu_enqueue_burst()/vhu_dequeue_burst() check their
 * arguments and hand the burst to the walker of the negotiated ring layout,
 * split (split.c) or packed (packed.c).
 *
 * dev->packed only changes while the device is stopped (SET_FEATURES,
 * RESET_OWNER quiesce every vring first), so a burst that got into a ready
 * vring sees the layout that vring was translated for. One predictable
 * branch per burst.
 */
#include "virtq.h"

VHU_API uint16_t
vhu_enqueue_burst(int vid, uint16_t vring, struct rte_mbuf **pkts, uint16_t count)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (unlikely(dev == NULL || (vring & 1) || vring >= VHU_MAX_VRINGS || count == 0))
		return 0;
	if (dev->packed)
		return vhu_packed_enqueue(dev, vring, pkts, count);
	return vhu_split_enqueue(dev, vring, pkts, count);
}

VHU_API uint16_t
vhu_dequeue_burst(int vid, uint16_t vring, struct rte_mempool *mp,
		  struct rte_mbuf **pkts, uint16_t count)
{
	struct vhu_dev *dev = vhu_dev_get(vid);

	if (unlikely(dev == NULL || !(vring & 1) || vring >= VHU_MAX_VRINGS || count == 0))
		return 0;
	if (dev->packed)
		return vhu_packed_dequeue(dev, vring, mp, pkts, count);
	return vhu_split_dequeue(dev, vring, mp, pkts, count);
}
