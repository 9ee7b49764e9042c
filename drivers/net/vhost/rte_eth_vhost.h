/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Public API of the net_vhost PMD: the same functions and structure as
 * DPDK's rte_eth_vhost.h, so applications written for it build unchanged.
 */
#ifndef _RTE_ETH_VHOST_H_
#define _RTE_ETH_VHOST_H_

#ifdef __cplusplus
extern "C" {
#endif

#include <stdint.h>
#include <stdbool.h>

/* A vring of a net_vhost port was enabled or disabled by the guest. */
struct rte_eth_vhost_queue_event {
	uint16_t queue_id;
	bool rx;	/* the port's Rx queue (guest Tx vring) */
	bool enable;
};

/*
 * Pop the oldest queue state event of port_id (raised with
 * RTE_ETH_EVENT_QUEUE_STATE). Returns 0 and fills event, or -1 when the
 * queue of events is empty or port_id is not a net_vhost port.
 */
int rte_eth_vhost_get_queue_event(uint16_t port_id,
		struct rte_eth_vhost_queue_event *event);

/* The vhost device id behind port_id, or -1 when no guest is attached. */
int rte_eth_vhost_get_vid_from_port_id(uint16_t port_id);

#ifdef __cplusplus
}
#endif

#endif /* _RTE_ETH_VHOST_H_ */
