/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Asymmetric fences for the data path / control path handshakes
 * (vhu_vring_enter()/vhu_vring_quiesce(), and the PMD's queue gate).
 *
 * Each handshake is Dekker's: one side stores its flag and loads the
 * other's, and so does the other side; a full barrier between store and
 * load on both sides guarantees that at least one sees the other. The data
 * path runs it on every burst, the control path a few times per guest
 * (re)configuration. With membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) the
 * control path makes every running thread of the process execute a full
 * barrier, so the data path only needs to stop the compiler from moving
 * its load above its store (a locked instruction per burst less, 20 to 40
 * cycles here). Kernels without it (< 4.14) get a real fence on both
 * sides.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_common.h>

#include "vhu.h"

VHU_API bool vhu_fence_asym;

static int
membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

/* Before main() and before any lcore or control thread: the data path
 * never sees the flag change. */
RTE_INIT(vhu_fence_init)
{
	int cmds = membarrier(MEMBARRIER_CMD_QUERY);

	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		vhu_fence_asym = true;
}

VHU_API void
vhu_fence_heavy(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Registered, a valid command: it cannot fail. */
	if (vhu_fence_asym && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
		rte_panic("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed\n");
}
