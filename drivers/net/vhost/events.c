/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Queue state events (a FIFO per port) and the public rte_eth_vhost_* API.
 */
#include <inttypes.h>

#include "eth_vhost.h"

void
eth_vhost_events_init(struct eth_vhost_events *ev)
{
	rte_spinlock_init(&ev->lock);
	ev->head = 0;
	ev->count = 0;
	ev->overflow = false;
	ev->dropped = 0;
}

/*
 * Called on the library's control thread. When the application does not
 * drain the FIFO the oldest event is dropped: the newest ones carry the
 * current queue state, which is what a late reader needs. A guest that
 * toggles its queues in a loop would make that one warning per message:
 * it is logged once until the application reads the FIFO again.
 */
void
eth_vhost_events_push(struct eth_vhost_events *ev, uint16_t queue_id,
		bool rx, bool enable)
{
	struct rte_eth_vhost_queue_event *slot;

	rte_spinlock_lock(&ev->lock);
	if (ev->count == ETH_VHOST_EVENT_RING_SIZE) {
		ev->head = (ev->head + 1) % ETH_VHOST_EVENT_RING_SIZE;
		ev->count--;
		ev->dropped++;
		if (!ev->overflow)
			VHOST_LOG(WARNING, "queue event FIFO full (%u events): dropping the oldest until the application reads them (%" PRIu64 " dropped so far)",
				  ETH_VHOST_EVENT_RING_SIZE, ev->dropped);
		ev->overflow = true;
	}
	slot = &ev->ring[(ev->head + ev->count) % ETH_VHOST_EVENT_RING_SIZE];
	slot->queue_id = queue_id;
	slot->rx = rx;
	slot->enable = enable;
	ev->count++;
	rte_spinlock_unlock(&ev->lock);
}

int
eth_vhost_events_pop(struct eth_vhost_events *ev, struct rte_eth_vhost_queue_event *out)
{
	int ret = -1;

	rte_spinlock_lock(&ev->lock);
	if (ev->count > 0) {
		*out = ev->ring[ev->head];
		ev->head = (ev->head + 1) % ETH_VHOST_EVENT_RING_SIZE;
		ev->count--;
		ev->overflow = false;
		ret = 0;
	}
	rte_spinlock_unlock(&ev->lock);
	return ret;
}

int
rte_eth_vhost_get_queue_event(uint16_t port_id,
		struct rte_eth_vhost_queue_event *event)
{
	struct pmd_internal *internal = eth_vhost_internal_get(port_id);

	if (internal == NULL || event == NULL)
		return -1;
	return eth_vhost_events_pop(&internal->events, event);
}

int
rte_eth_vhost_get_vid_from_port_id(uint16_t port_id)
{
	struct pmd_internal *internal = eth_vhost_internal_get(port_id);

	if (internal == NULL)
		return -1;
	/* Lock-free: this may be called from an event callback, which runs
	 * while the control thread is inside one of our vhu callbacks. */
	return __atomic_load_n(&internal->vid, __ATOMIC_ACQUIRE);
}
