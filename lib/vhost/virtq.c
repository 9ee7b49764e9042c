/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Cold helpers of the ring walkers (virtq.h).
 */
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "virtq.h"

/*
 * Guest errors are logged, but a guest can produce them at line rate: at
 * most one message per second for the whole process.
 */
static uint64_t vhu_ring_log_next_tsc;

void
vhu_ring_error(int vid, uint16_t vring, const char *what)
{
	uint64_t now = rte_get_timer_cycles();
	uint64_t next = __atomic_load_n(&vhu_ring_log_next_tsc, __ATOMIC_RELAXED);

	if (now < next)
		return;
	if (!__atomic_compare_exchange_n(&vhu_ring_log_next_tsc, &next,
			now + rte_get_timer_hz(), false,
			__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	VHU_LOG(ERR, "vid %d vring %u: %s (further errors suppressed for 1s)",
		vid, vring, what);
}


/* The external buffer of a dequeued packet (tx_copy(), extbuf mode): it
 * was allocated with its shared info inside, opaque is its start. */
void
vhu_extbuf_free(void *addr __rte_unused, void *opaque)
{
	rte_free(opaque);
}

int
vhu_xlat_fail(const struct vhu_mem *mem, struct vhu_iovec *v, uint64_t addr, uint8_t perm)
{
	if (!mem->iotlb)
		return CHAIN_BROKEN;
	v->miss_iova = addr;
	v->miss_perm = perm;
	return CHAIN_MISS;
}

int
vhu_indirect_span(const struct vhu_mem *mem, uint64_t addr, uint32_t len, struct vhu_iovec *v,
	      const void **table)
{
	uint64_t miss;
	void *p;
	int ret = vhu_xlat_range(mem, addr, len, &p, &miss);

	if (ret == -EAGAIN)
		return vhu_xlat_fail(mem, v, miss, VHU_ACCESS_RO);
	if (ret < 0)
		return CHAIN_BROKEN;
	*table = p;
	return 0;
}
