/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * libFuzzer target: the IOTLB (iotlb.c) through the IOTLB_MSG handler,
 * against a model of what it must hold. The guest memory of fuzz_common.h,
 * its two regions made contiguous in the frontend's address space here, so
 * that one update may span both (two entries, not contiguous in ours).
 *
 * Input: operations of 8 bytes, at most MAX_OPS:
 *     [0] bits 0-1: 0, 1 an update, 2 an invalidation, 3 a wild message
 *         (bits 2-4 pick which field is extreme); bits 5-6: permissions
 *         of an update (0: none, refused)
 *     [1-2] iova (the model's window is [0, 128 KiB))
 *     [3-4] size - 1
 *     [5-6] the guest address the update maps to (its frontend address
 *         is given); also the start of a translation probe
 *     [7] the probe's length - 1, times 64
 *
 * The model holds, per byte of the window, the guest address it
 * translates to and the permissions, or none. An update is taken if it is
 * not empty, has permissions, and its frontend range lies in guest memory;
 * an invalidation always. After every operation: the handler's verdict is
 * the model's; in each of the two tables (read, write), the entries are
 * sorted, disjoint, not empty, each in one memory region with our pointer
 * to its frontend address; every byte they hold is one of the model's with
 * that permission, and they hold all of those; and vhu_xlat_range() of the
 * probe in each table answers as the model says.
 */
#include <errno.h>
#include <string.h>

#include "fuzz_common.h"

#define WINDOW		(128u * 1024)	/* iova < 64 KiB, size <= 64 KiB */
#define OP_LEN		8
#define MAX_OPS		400	/* at most 3 entries each: the table never fills */

static uint32_t model[WINDOW];	/* guest address + 1, 0: none */
static uint8_t model_perm[WINDOW];	/* VHU_ACCESS_* of a byte with an address */
static uint64_t model_mapped[VHU_IOTLB_NR];	/* bytes readable, writable */
static struct vhu_dev *dev;

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	fuzz_env_init((*argv)[0]);
	fuzz_guest_map();
	fuzz_sock.flags |= VHU_REG_IOMMU;
	return 0;
}

static uint64_t
get16(const uint8_t *p)
{
	return p[0] | (uint64_t)p[1] << 8;
}

/* The guest address of our pointer p into guest memory, or -1. */
static int64_t
hva_gpa(uint64_t p)
{
	for (int i = 0; i < 2; i++) {
		uint64_t base = (uint64_t)(uintptr_t)fuzz_hva[i];

		if (p >= base && p - base < FUZZ_HALF)
			return i * FUZZ_HALF + (p - base);
	}
	return -1;
}

static int
iotlb_msg(uint8_t type, uint64_t iova, uint64_t size, uint64_t uaddr, uint8_t perm)
{
	struct vhu_iotlb_msg m = {
		.iova = iova, .size = size, .uaddr = uaddr, .perm = perm, .type = type,
	};

	return fuzz_handle(dev, VHU_REQ_IOTLB_MSG, &m, sizeof(m), -1);
}

/* Does model byte b allow the access of table k? */
static bool
model_allows(uint64_t b, int k)
{
	return model[b] != 0 && (model_perm[b] & (k == VHU_IOTLB_WRITE ? VHU_ACCESS_WO :
								    VHU_ACCESS_RO));
}

static void
model_set(uint64_t iova, uint64_t size, int64_t gpa, uint8_t perm)
{
	uint64_t end = RTE_MIN(iova + size, (uint64_t)WINDOW);

	for (uint64_t b = iova; b < end; b++) {
		for (int k = 0; k < VHU_IOTLB_NR; k++)
			model_mapped[k] -= model_allows(b, k);
		model[b] = gpa < 0 ? 0 : (uint32_t)(gpa + (b - iova) + 1);
		model_perm[b] = gpa < 0 ? 0 : perm;
		for (int k = 0; k < VHU_IOTLB_NR; k++)
			model_mapped[k] += model_allows(b, k);
	}
}

static void
op_update(const uint8_t *op)
{
	uint64_t iova = get16(op + 1), size = get16(op + 3) + 1, gpa = get16(op + 5);
	uint8_t perm = op[0] >> 5 & 3;
	bool ok = perm != 0 && gpa + size <= FUZZ_GUEST_SIZE;
	int ret = iotlb_msg(VHU_IOTLB_UPDATE, iova, size, FUZZ_UVA_A + gpa, perm);

	FUZZ_CHECK((ret == 0) == ok, "update iova %#lx size %#lx gpa %#lx perm %u: %d",
		   (unsigned long)iova, (unsigned long)size, (unsigned long)gpa, perm, ret);
	if (ok)
		model_set(iova, size, (int64_t)gpa, perm);
}

static void
op_invalidate(const uint8_t *op)
{
	uint64_t iova = get16(op + 1), size = get16(op + 3) + 1;

	FUZZ_CHECK(iotlb_msg(VHU_IOTLB_INVALIDATE, iova, size, 0, 0) == 0, "invalidate");
	model_set(iova, size, -1, 0);
}

/* Messages with a field at an extreme: refused, or (an invalidation to
 * the end of the space) taken. */
static void
op_wild(const uint8_t *op)
{
	uint64_t iova = get16(op + 1), size = get16(op + 3) + 1, gpa = get16(op + 5);
	uint64_t uaddr = FUZZ_UVA_A + gpa;
	int ret;

	switch (op[0] >> 2 & 7) {
	case 0:	/* wraps the IOVA space */
		ret = iotlb_msg(VHU_IOTLB_UPDATE, UINT64_MAX - iova, iova + 2, uaddr, 3);
		FUZZ_CHECK(ret != 0, "wrapping update taken");
		break;
	case 1:	/* wraps the frontend's space */
		ret = iotlb_msg(VHU_IOTLB_UPDATE, iova, size + 1, UINT64_MAX - gpa, 3);
		FUZZ_CHECK(ret != 0, "wrapping uaddr taken");
		break;
	case 2:	/* empty */
		FUZZ_CHECK(iotlb_msg(VHU_IOTLB_UPDATE, iova, 0, uaddr, 3) != 0, "empty update");
		FUZZ_CHECK(iotlb_msg(VHU_IOTLB_INVALIDATE, iova, 0, 0, 0) == 0, "empty inval");
		break;
	case 3:	/* permissions beyond read and write */
		ret = iotlb_msg(VHU_IOTLB_UPDATE, iova, size, uaddr, 4 | (op[7] & 0xfc));
		FUZZ_CHECK(ret != 0, "bad permissions taken");
		break;
	case 4:	/* types a frontend does not send */
		ret = iotlb_msg(op[7] % 2 ? VHU_IOTLB_MISS : (op[7] | 4), iova, size, uaddr, 3);
		FUZZ_CHECK(ret != 0, "type %u taken", op[7]);
		break;
	case 5:	/* outside guest memory */
		ret = iotlb_msg(VHU_IOTLB_UPDATE, iova, size, FUZZ_UVA_A - 1 - gpa, 3);
		FUZZ_CHECK(ret != 0, "update outside memory taken");
		break;
	default:	/* invalidate to the end of the space */
		FUZZ_CHECK(iotlb_msg(VHU_IOTLB_INVALIDATE, iova, UINT64_MAX - (op[7] & 1), 0,
				     0) == 0, "invalidation to the end refused");
		model_set(iova, WINDOW, -1, 0);
		break;
	}
}

/* Table k is the model's bytes with its permission. */
static void
check_table(int k)
{
	const struct vhu_mem *t = dev->iotlb[k];
	uint64_t held = 0, prev_end = 0;

	for (uint32_t i = 0; i < t->nregions; i++) {
		const struct vhu_mem_region *e = &t->regions[i];
		const struct vhu_mem_region *r = NULL;

		FUZZ_CHECK(e->size > 0, "entry %u empty", i);
		FUZZ_CHECK(i == 0 || e->gpa >= prev_end, "entry %u overlaps or out of order", i);
		FUZZ_CHECK(e->gpa < WINDOW && e->size <= WINDOW - e->gpa, "entry %u outside", i);
		prev_end = e->gpa + e->size;
		for (uint32_t k = 0; k < dev->mem->nregions; k++) {
			const struct vhu_mem_region *m = &dev->mem->regions[k];

			if (e->uva >= m->uva && e->uva - m->uva < m->size &&
			    e->size <= m->size - (e->uva - m->uva))
				r = m;
		}
		FUZZ_CHECK(r != NULL, "entry %u not in one region", i);
		FUZZ_CHECK(e->hva == r->hva + (e->uva - r->uva), "entry %u hva", i);
		for (uint64_t b = 0; b < e->size; b++)
			FUZZ_CHECK(model_allows(e->gpa + b, k) &&
				   model[e->gpa + b] == (uint32_t)(hva_gpa(e->hva + b) + 1),
				   "table %d iova %#lx: gpa %#lx, model %#x perm %u", k,
				   (unsigned long)(e->gpa + b), (unsigned long)hva_gpa(e->hva + b),
				   model[e->gpa + b], model_perm[e->gpa + b]);
		held += e->size;
	}
	FUZZ_CHECK(held == model_mapped[k], "table %d holds %lu bytes, model %lu", k,
		   (unsigned long)held, (unsigned long)model_mapped[k]);
}

/* vhu_xlat_range() of [addr, addr + len) in table k answers as the model
 * says. */
static void
check_probe(int k, uint64_t addr, uint64_t len)
{
	uint64_t miss = 0, b;
	void *p = NULL;
	int ret = vhu_xlat_range(dev->iotlb[k], addr, len, &p, &miss);
	int want = 0;

	for (b = addr; b < addr + len; b++) {
		if (b >= WINDOW || !model_allows(b, k)) {
			want = -EAGAIN;
			break;
		}
		/* Contiguous in our space: the next guest byte, same region. */
		if (b > addr && (model[b] != model[b - 1] + 1 ||
				 (model[b] - 1) % FUZZ_HALF == 0)) {
			want = -EFAULT;
			break;
		}
	}
	FUZZ_CHECK(ret == want, "probe %d %#lx+%#lx: %d, model %d", k, (unsigned long)addr,
		   (unsigned long)len, ret, want);
	if (want == -EAGAIN)
		FUZZ_CHECK(miss == b, "probe miss at %#lx, model %#lx", (unsigned long)miss,
			   (unsigned long)b);
	if (want == 0)
		FUZZ_CHECK(p == fuzz_g2p(model[addr] - 1, 1), "probe pointer");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t f = VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM);
	size_t n = RTE_MIN(size / OP_LEN, (size_t)MAX_OPS);

	dev = fuzz_dev_create(f);
	FUZZ_CHECK(dev->iommu && dev->iotlb[VHU_IOTLB_READ] != NULL &&
		   dev->iotlb[VHU_IOTLB_WRITE] != NULL, "no IOTLB");
	/* Region B right after A for the frontend: updates may span both. */
	dev->mem->regions[1].uva = dev->mem->regions[0].uva + FUZZ_HALF;
	memset(model, 0, sizeof(model));
	memset(model_perm, 0, sizeof(model_perm));
	memset(model_mapped, 0, sizeof(model_mapped));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *op = data + i * OP_LEN;

		switch (op[0] & 3) {
		case 0:
		case 1:
			op_update(op);
			break;
		case 2:
			op_invalidate(op);
			break;
		default:
			op_wild(op);
			break;
		}
		for (int k = 0; k < VHU_IOTLB_NR; k++) {
			check_table(k);
			check_probe(k, get16(op + 5), (uint64_t)(op[7] + 1) * 64);
		}
	}
	fuzz_dev_destroy(dev);
	return 0;
}
