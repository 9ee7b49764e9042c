/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Dirty page log for live migration (VHOST_F_LOG_ALL, protocol feature
 * LOG_SHMFD, vhost-user.rst "Migration"). While the frontend migrates its
 * guest it gives us a shared bitmap (SET_LOG_BASE), one bit per 4 KiB page
 * of guest physical memory, and sets LOG_ALL: every page we write from then
 * on gets its bit set, so that the frontend sends it again. We write guest
 * memory in two places: the buffers of received packets, and the rings
 * (used ring, packed descriptors and device event area).
 *
 * The data path logs only when dev->log_base is set, which the control path
 * changes with every vring quiesced. The frontend clears bits as it sends
 * the pages (an atomic exchange per word): we set them with atomic ORs,
 * after the write they cover.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "virtq.h"

#define VHU_LOG_PAGE	4096

void
vhu_log_gpa(const struct vhu_dev *dev, uint64_t gpa, uint64_t len)
{
	uint8_t *log = dev->log_base;
	uint64_t page, last;

	if (len == 0 || log == NULL)
		return;
	/* Our writes to the pages first, then their bits. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	page = gpa / VHU_LOG_PAGE;
	last = (gpa + (len - 1)) / VHU_LOG_PAGE;
	for (; page <= last && page / 8 < dev->log_size; page++)
		__atomic_fetch_or(&log[page / 8], (uint8_t)(1u << (page % 8)),
				  __ATOMIC_RELAXED);
}

/* Pieces of guest buffers are translated pointers (virtq.h): find the
 * region each is in. iov_add() never lets one cross a region's end. */
static void
log_hva(const struct vhu_dev *dev, const uint8_t *p, uint64_t len)
{
	const struct vhu_mem_region *r = vhu_mem_hva_region(dev->mem, p);
	uint64_t off;

	if (r == NULL)
		return;
	off = (uint64_t)(uintptr_t)p - r->hva;
	vhu_log_gpa(dev, r->gpa + off, RTE_MIN(len, r->size - off));
}

void
vhu_log_iov(const struct vhu_dev *dev, const struct vhu_iovec *v, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < v->nr && len; i++) {
		uint64_t n = RTE_MIN(len, (uint64_t)v->iov[i].len);

		log_hva(dev, v->iov[i].base, n);
		len -= n;
	}
}

/* The frontend sets LOG_ALL and gives the log in either order: logging is
 * on once both are there. */
static bool
log_wanted(const struct vhu_dev *dev)
{
	return dev->log_addr != NULL && (dev->features & VHU_BIT(VHU_VHOST_F_LOG_ALL));
}

static void
log_update(struct vhu_dev *dev)
{
	bool on = log_wanted(dev);

	dev->log_base = on ? dev->log_addr : NULL;
	dev->log_size = on ? dev->log_len : 0;
}

bool
vhu_log_features_changed(struct vhu_dev *dev)
{
	bool on = log_wanted(dev);

	if (on == (dev->log_base != NULL))
		return false;
	vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
	log_update(dev);
	VHU_LOG(INFO, "%s: dirty page log %s", dev->ifname, on ? "on" : "off");
	return true;
}

void
vhu_log_unmap(struct vhu_dev *dev)
{
	vhu_vrings_quiesce(dev->vrings, dev->nr_vring);
	dev->log_base = NULL;
	dev->log_size = 0;
	if (dev->log_map != NULL) {
		vhu_guard_del(dev->log_guard);
		munmap(dev->log_map, dev->log_map_len);
	}
	dev->log_map = NULL;
	dev->log_map_len = 0;
	dev->log_addr = NULL;
	dev->log_len = 0;
	dev->log_guard = 0;
}

int
vhu_log_map(struct vhu_dev *dev, const struct vhu_log_desc *desc, int fd)
{
	uint64_t size = desc->mmap_size, off = desc->mmap_offset;
	struct stat st;
	void *addr;

	if (size == 0 || off + size < off || off + size > SIZE_MAX) {
		VHU_LOG(ERR, "%s: SET_LOG_BASE: bad size 0x%" PRIx64 " offset 0x%" PRIx64,
			dev->ifname, size, off);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0 || (S_ISREG(st.st_mode) && (uint64_t)st.st_size < off + size)) {
		VHU_LOG(ERR, "%s: SET_LOG_BASE: the log fd does not hold 0x%" PRIx64 " bytes",
			dev->ifname, off + size);
		return -EINVAL;
	}
	/* From 0: hugetlbfs refuses offsets that are not page aligned. */
	addr = mmap(NULL, off + size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		int err = errno;

		VHU_LOG(ERR, "%s: SET_LOG_BASE: mmap: %s", dev->ifname, strerror(err));
		return -err;
	}
	vhu_log_unmap(dev);
	dev->log_map = addr;
	dev->log_map_len = off + size;
	dev->log_addr = (uint8_t *)addr + off;
	dev->log_len = size;
	dev->log_guard = vhu_guard_add(addr, off + size);
	log_update(dev);
	VHU_LOG(INFO, "%s: dirty page log: %" PRIu64 " bytes (%" PRIu64 " MiB of guest memory)%s",
		dev->ifname, size, size * 8 * VHU_LOG_PAGE >> 20,
		dev->log_base != NULL ? ", on" : "");
	return 0;
}

void
vhu_log_vring_setup(struct vhu_dev *dev, struct vhu_vring *vq)
{
	uint64_t n = vq->size;

	vq->log_ring_gpa = vq->log_event_gpa = 0;
	vq->log_ring_len = vq->log_event_len = 0;
	/* From our pointers: with VIRTIO_F_ACCESS_PLATFORM the ring
	 * addresses are I/O virtual ones, which the log does not know. */
	if (dev->mem == NULL)
		return;
	if (dev->packed) {
		if (vhu_hva_to_gpa(dev->mem, vq->pdesc, 16 * n, &vq->log_ring_gpa) == 0)
			vq->log_ring_len = 16 * n;
		if (vhu_hva_to_gpa(dev->mem, vq->device_event, 4, &vq->log_event_gpa) == 0)
			vq->log_event_len = 4;
	} else if (vhu_hva_to_gpa(dev->mem, vq->used, 6 + 8 * n, &vq->log_ring_gpa) == 0) {
		vq->log_ring_len = 6 + 8 * n;
	}
}
