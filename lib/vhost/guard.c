/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Guest memory that vanishes under us. A frontend may shrink the file
 * behind a region after we mapped it (ftruncate of its memfd or hugetlbfs
 * file): the next touch of a page past the new end raises SIGBUS, whose
 * default action kills the host process and every other guest it serves.
 *
 * Every region mapping is registered here (memory.c). A SIGBUS handler
 * looks the faulting address up; if it is in a registered mapping, it
 * replaces the whole mapping with anonymous zero pages at the same
 * address (MAP_FIXED, so no pointer into it dangles), marks it hit and
 * wakes the control thread, which drops that frontend (socket.c). The
 * faulting load or store then runs again on a zero page: the data path
 * sees an empty or broken ring, which it already handles. Any other SIGBUS
 * goes to the handler that was there before us, or gets the default
 * action, as if we were not here.
 *
 * Slots are claimed and released by the control thread only. A mapping is
 * only unmapped after the data path left its vrings (vhu_vring_quiesce()),
 * so a handler running on a data path thread never sees its slot vanish.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "vhu_dev.h"

/* Regions of all frontends together; one beyond is mapped unguarded. */
#define GUARD_SLOTS	1024

enum { SLOT_FREE, SLOT_ARMED, SLOT_HIT };

struct guard_slot {
	uintptr_t start;
	size_t len;
	uint32_t state;
};

static struct guard_slot guard_slots[GUARD_SLOTS];
static uint32_t guard_hwm;		/* slots ever used: the handler scans these */
static uint32_t guard_pending;		/* a hit not yet seen by the control thread */
static int guard_wakefd = -1;
static bool guard_installed;
static struct sigaction guard_prev;

/* Not ours: what would have happened without us. */
static void
guard_chain(int sig, siginfo_t *info, void *uctx)
{
	if (guard_prev.sa_flags & SA_SIGINFO) {
		guard_prev.sa_sigaction(sig, info, uctx);
		return;
	}
	if (guard_prev.sa_handler != SIG_DFL && guard_prev.sa_handler != SIG_IGN) {
		guard_prev.sa_handler(sig);
		return;
	}
	/* A fault raises SIGBUS again when the instruction runs again, and
	 * a fault's SIGBUS cannot be ignored: restore the default to die of it. */
	signal(SIGBUS, SIG_DFL);
}

/* Async-signal context: syscalls and atomics only, no logging. */
static void
guard_handler(int sig, siginfo_t *info, void *uctx)
{
	uintptr_t addr = (uintptr_t)info->si_addr;
	uint32_t i, n = __atomic_load_n(&guard_hwm, __ATOMIC_ACQUIRE);
	int saved_errno = errno;
	uint64_t one = 1;

	/* BUS_ADRERR: past the end of the file. Not a memory error. */
	for (i = 0; info->si_code == BUS_ADRERR && i < n; i++) {
		struct guard_slot *g = &guard_slots[i];

		if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) != SLOT_ARMED ||
		    addr - g->start >= g->len)
			continue;
		if (mmap((void *)g->start, g->len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0) == MAP_FAILED)
			break;
		__atomic_store_n(&g->state, SLOT_HIT, __ATOMIC_RELEASE);
		__atomic_store_n(&guard_pending, 1, __ATOMIC_RELEASE);
		if (guard_wakefd >= 0 && write(guard_wakefd, &one, sizeof(one)) < 0) {
			/* Full eventfd: the control thread wakes anyway. */
		}
		errno = saved_errno;
		return;
	}
	errno = saved_errno;
	guard_chain(sig, info, uctx);
}

int
vhu_guard_init(int wakefd)
{
	struct sigaction sa;

	if (guard_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	guard_wakefd = wakefd;
	if (sigaction(SIGBUS, &sa, &guard_prev) < 0)
		return -errno;
	guard_installed = true;
	return 0;
}

uint32_t
vhu_guard_add(void *addr, size_t len)
{
	static bool full_logged;
	uint32_t i;

	for (i = 0; i < GUARD_SLOTS; i++) {
		struct guard_slot *g = &guard_slots[i];

		if (__atomic_load_n(&g->state, __ATOMIC_RELAXED) != SLOT_FREE)
			continue;
		g->start = (uintptr_t)addr;
		g->len = len;
		/* The handler reads start and len only after it saw ARMED. */
		__atomic_store_n(&g->state, SLOT_ARMED, __ATOMIC_RELEASE);
		if (i >= guard_hwm)
			__atomic_store_n(&guard_hwm, i + 1, __ATOMIC_RELEASE);
		return i + 1;
	}
	if (!full_logged)
		VHU_LOG(WARNING, "more than %u guest memory regions: the others are not guarded against a frontend that shrinks their file",
			GUARD_SLOTS);
	full_logged = true;
	return 0;
}

void
vhu_guard_del(uint32_t slot)
{
	if (slot == 0 || slot > GUARD_SLOTS)
		return;
	__atomic_store_n(&guard_slots[slot - 1].state, SLOT_FREE, __ATOMIC_RELEASE);
}

bool
vhu_guard_hit(uint32_t slot)
{
	return slot != 0 && slot <= GUARD_SLOTS &&
		__atomic_load_n(&guard_slots[slot - 1].state, __ATOMIC_ACQUIRE) == SLOT_HIT;
}

bool
vhu_guard_take_pending(void)
{
	return __atomic_exchange_n(&guard_pending, 0, __ATOMIC_ACQ_REL) != 0;
}
