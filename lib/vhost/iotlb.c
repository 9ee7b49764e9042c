/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * IOTLB: with VIRTIO_F_ACCESS_PLATFORM the guest's device sits behind an
 * IOMMU (QEMU's vIOMMU), and every address the frontend or the guest gives
 * us (SET_VRING_ADDR, descriptors, indirect tables) is an I/O virtual
 * address. The frontend tells us its translations with IOTLB_MSG UPDATE
 * (iova range -> its own virtual address), takes them back with
 * INVALIDATE, and we ask for a missing one with a MISS on the backend
 * channel (vhost-user.rst, "IOMMU support").
 *
 * The table is a struct vhu_mem like guest memory, so that the ring walkers
 * translate through either unchanged: entries sorted by iova, never
 * overlapping, each inside one memory region (an update across regions
 * becomes one entry per region), with our pointer in hva. The control
 * thread changes it with every vring quiesced. It holds VHU_IOTLB_MAX
 * entries; when full it is emptied, and misses fill it again.
 *
 * Permissions: the guest may map an address for the device to read, to
 * write, or both. dev->iotlb[] holds two tables, the entries we may read
 * through and those we may write through; an update with both permissions
 * goes in both, an invalidation takes from both. The walkers translate
 * what they read (descriptors, indirect tables, Tx buffers) through the
 * first and Rx buffers through the second, so a buffer the guest mapped
 * read-only is never written: it is a miss asking for write access, and
 * the frontend answers with what the guest's IOMMU allows, or not at all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_cycles.h>

#include "virtq.h"

/* A data-path miss that got no answer is sent again after this long (an
 * invalidation forgets the last miss: see h_iotlb_msg()). */
#define MISS_RESEND_MS	1000

int
vhu_iotlb_alloc(struct vhu_dev *dev)
{
	int i;

	for (i = 0; i < VHU_IOTLB_NR; i++) {
		if (dev->iotlb[i] != NULL)
			continue;
		/* The C heap, not DPDK's: ASan watches its bounds. */
		dev->iotlb[i] = calloc(1, sizeof(struct vhu_mem) +
				       VHU_IOTLB_MAX * sizeof(struct vhu_mem_region));
		if (dev->iotlb[i] == NULL)
			return -ENOMEM;	/* vhu_iotlb_free() frees the other */
		dev->iotlb[i]->iotlb = true;
	}
	return 0;
}

void
vhu_iotlb_free(struct vhu_dev *dev)
{
	int i;

	dev->iommu = false;
	for (i = 0; i < VHU_IOTLB_NR; i++) {
		free(dev->iotlb[i]);
		dev->iotlb[i] = NULL;
	}
}

/* The last byte of [iova, iova + size), size > 0. QEMU invalidates
 * "everything" with a size past the end of the space: up to its end. */
static uint64_t
range_last(uint64_t iova, uint64_t size)
{
	uint64_t last = iova + (size - 1);

	return last < iova ? UINT64_MAX : last;
}

void
vhu_iotlb_misses_forget(struct vhu_dev *dev, uint64_t iova, uint64_t size)
{
	uint64_t last;
	uint32_t i;

	if (size == 0)
		return;
	last = range_last(iova, size);
	for (i = 0; i < dev->nr_vring; i++) {
		struct vhu_vring *vq = &dev->vrings[i];

		if (vq->miss_iova >= iova && vq->miss_iova <= last)
			vq->miss_tsc = 0;
	}
}

void
vhu_iotlb_flush(struct vhu_dev *dev)
{
	int i;

	for (i = 0; i < VHU_IOTLB_NR; i++)
		if (dev->iotlb[i] != NULL)
			dev->iotlb[i]->nregions = 0;
	/* Whatever was asked may be asked again at once. */
	vhu_iotlb_misses_forget(dev, 0, UINT64_MAX);
}

/* Index of the first entry that ends above iova. */
static uint32_t
first_ending_above(const struct vhu_mem *t, uint64_t iova)
{
	uint32_t lo = 0, hi = t->nregions;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct vhu_mem_region *e = &t->regions[mid];

		if (e->gpa + (e->size - 1) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
entry_delete(struct vhu_mem *t, uint32_t i)
{
	memmove(&t->regions[i], &t->regions[i + 1],
		(t->nregions - i - 1) * sizeof(t->regions[0]));
	t->nregions--;
}

/* Keep only [from, from + size) of entry e (inside it). */
static void
entry_trim(struct vhu_mem_region *e, uint64_t from, uint64_t size)
{
	uint64_t cut = from - e->gpa;

	e->gpa += cut;
	e->uva += cut;
	e->hva += cut;
	e->size = size;
}

/* Drop [iova, last] from the table: entries inside go, entries across an
 * end are cut, one across both is split (or dropped when the table is
 * full: a later miss brings it back). */
static void
range_remove(struct vhu_mem *t, uint64_t iova, uint64_t last)
{
	uint32_t i = first_ending_above(t, iova);

	while (i < t->nregions && t->regions[i].gpa <= last) {
		struct vhu_mem_region *e = &t->regions[i];
		uint64_t e_last = e->gpa + (e->size - 1);
		bool head = e->gpa < iova, tail = e_last > last;

		if (head && tail) {
			if (t->nregions == VHU_IOTLB_MAX) {
				entry_delete(t, i);
				return;
			}
			memmove(&t->regions[i + 1], &t->regions[i],
				(t->nregions - i) * sizeof(t->regions[0]));
			t->nregions++;
			entry_trim(&t->regions[i], t->regions[i].gpa, iova - t->regions[i].gpa);
			entry_trim(&t->regions[i + 1], last + 1, e_last - last);
			return;
		}
		if (head) {
			entry_trim(e, e->gpa, iova - e->gpa);
			i++;
		} else if (tail) {
			entry_trim(e, last + 1, e_last - last);
			return;
		} else {
			entry_delete(t, i);
		}
	}
}

/* Insert into t an entry that overlaps none (range_remove() made room). */
static void
entry_insert(const struct vhu_dev *dev, struct vhu_mem *t, const struct vhu_mem_region *e)
{
	uint32_t i;

	if (t->nregions == VHU_IOTLB_MAX) {
		VHU_LOG(DEBUG, "%s: IOTLB %s table full (%u entries): emptied", dev->ifname,
			t == dev->iotlb[VHU_IOTLB_WRITE] ? "write" : "read", VHU_IOTLB_MAX);
		t->nregions = 0;
	}
	i = first_ending_above(t, e->gpa);
	memmove(&t->regions[i + 1], &t->regions[i],
		(t->nregions - i) * sizeof(t->regions[0]));
	t->regions[i] = *e;
	t->nregions++;
}

int
vhu_iotlb_update(struct vhu_dev *dev, uint64_t iova, uint64_t size, uint64_t uaddr,
		 uint8_t perm)
{
	const struct vhu_mem *mem = dev->mem;
	uint64_t off, n;

	if (size == 0 || iova + (size - 1) < iova || uaddr + (size - 1) < uaddr ||
	    perm == 0 || (perm & ~VHU_ACCESS_RW))
		return -EINVAL;
	if (mem == NULL || dev->iotlb[VHU_IOTLB_READ] == NULL ||
	    dev->iotlb[VHU_IOTLB_WRITE] == NULL)
		return -ENOENT;
	/* All of it in guest memory, or nothing. */
	for (off = 0; off < size; off += n) {
		const struct vhu_mem_region *r = vhu_mem_uva_region(mem, uaddr + off, 1);

		if (r == NULL)
			return -EFAULT;
		n = RTE_MIN(size - off, r->size - (uaddr + off - r->uva));
	}
	vhu_iotlb_invalidate(dev, iova, size);
	for (off = 0; off < size; off += n) {
		const struct vhu_mem_region *r = vhu_mem_uva_region(mem, uaddr + off, 1);
		struct vhu_mem_region e = {
			.gpa = iova + off,
			.uva = uaddr + off,
			.hva = r->hva + (uaddr + off - r->uva),
		};

		n = RTE_MIN(size - off, r->size - (uaddr + off - r->uva));
		e.size = n;
		if (perm & VHU_ACCESS_RO)
			entry_insert(dev, dev->iotlb[VHU_IOTLB_READ], &e);
		if (perm & VHU_ACCESS_WO)
			entry_insert(dev, dev->iotlb[VHU_IOTLB_WRITE], &e);
	}
	return 0;
}

void
vhu_iotlb_invalidate(struct vhu_dev *dev, uint64_t iova, uint64_t size)
{
	int i;

	if (size == 0)
		return;
	for (i = 0; i < VHU_IOTLB_NR; i++)
		if (dev->iotlb[i] != NULL)
			range_remove(dev->iotlb[i], iova, range_last(iova, size));
}

int
vhu_xlat_range(const struct vhu_mem *mem, uint64_t addr, uint64_t len, void **hva,
	       uint64_t *miss)
{
	uint8_t *start = NULL;
	uint64_t done = 0;

	if (len == 0 || addr + (len - 1) < addr)
		return -EFAULT;
	while (done < len) {
		uint64_t n = len - done;
		uint8_t *p = vhu_gpa_to_hva(mem, addr + done, &n);

		if (p == NULL) {
			*miss = addr + done;
			return -EAGAIN;
		}
		if (start == NULL)
			start = p;
		else if (p != start + done)
			return -EFAULT;
		done += n;
	}
	*hva = start;
	return 0;
}

int
vhu_iotlb_send_miss(struct vhu_dev *dev, uint64_t iova, uint8_t perm)
{
	struct {
		struct vhu_msg_hdr hdr;
		struct vhu_iotlb_msg iotlb;
	} __attribute__((packed)) m = {
		.hdr = {
			.request = VHU_BACKEND_IOTLB_MSG,
			.flags = VHU_MSG_VERSION,
			.size = sizeof(m.iotlb),
		},
		.iotlb = { .iova = iova, .perm = perm, .type = VHU_IOTLB_MISS },
	};
	ssize_t ret = -1;
	int err = ENOTCONN;

	rte_spinlock_lock(&dev->backend_lock);
	if (dev->backend_fd >= 0) {
		ret = send(dev->backend_fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
		err = errno;
	}
	rte_spinlock_unlock(&dev->backend_lock);
	if (ret != (ssize_t)sizeof(m))
		return ret < 0 ? -err : -EIO;
	VHU_LOG(DEBUG, "%s: IOTLB miss 0x%" PRIx64 " perm %u", dev->ifname, iova, perm);
	return 0;
}

void
vhu_iotlb_miss(struct vhu_dev *dev, uint16_t vring, uint64_t iova, uint8_t perm)
{
	struct vhu_vring *vq = &dev->vrings[vring];
	uint64_t now = rte_get_timer_cycles();
	int ret;

	if (iova == vq->miss_iova &&
	    now - vq->miss_tsc < rte_get_timer_hz() / 1000 * MISS_RESEND_MS)
		return;
	ret = vhu_iotlb_send_miss(dev, iova, perm);
	if (ret < 0) {
		vhu_ring_error(dev->vid, vring, "cannot send an IOTLB miss");
		return;
	}
	vq->miss_iova = iova;
	vq->miss_tsc = now;
}
