/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Guest memory table: mapping the regions a SET_MEM_TABLE message describes,
 * adding and removing single regions (ADD_MEM_REG / REM_MEM_REG), and
 * translating frontend (UVA) and guest physical (GPA) ranges.
 *
 * The table is kept sorted by gpa so that a table of many slots is searched
 * in log time (vhu_gpa_to_hva_many()); a few regions are scanned inline.
 *
 * Everything in the table descriptor comes from the frontend: every value is
 * copied once into a local and checked (sizes, overflows, overlaps, the fd)
 * before anything is mapped.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vhu_dev.h"

const struct vhu_mem_region *
vhu_mem_uva_region(const struct vhu_mem *mem, uint64_t uva, uint64_t len)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vhu_mem_region *r = &mem->regions[i];
		uint64_t off = uva - r->uva;

		/* off < size and len <= size - off: no addition can wrap. */
		if (uva >= r->uva && off < r->size && len <= r->size - off)
			return r;
	}
	return NULL;
}

void *
vhu_uva_to_hva(const struct vhu_mem *mem, uint64_t uva, uint64_t len)
{
	const struct vhu_mem_region *r = vhu_mem_uva_region(mem, uva, len);

	return r != NULL ? (void *)(uintptr_t)(r->hva + (uva - r->uva)) : NULL;
}

const struct vhu_mem_region *
vhu_mem_hva_region(const struct vhu_mem *mem, const void *hva)
{
	uint64_t a = (uint64_t)(uintptr_t)hva;
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vhu_mem_region *r = &mem->regions[i];

		if (a >= r->hva && a - r->hva < r->size)
			return r;
	}
	return NULL;
}

int
vhu_hva_to_gpa(const struct vhu_mem *mem, const void *hva, uint64_t len, uint64_t *gpa)
{
	const struct vhu_mem_region *r = vhu_mem_hva_region(mem, hva);
	uint64_t off;

	if (r == NULL)
		return -ENOENT;
	off = (uint64_t)(uintptr_t)hva - r->hva;
	if (len > r->size - off)
		return -ENOENT;
	*gpa = r->gpa + off;
	return 0;
}

/* The region holding gpa in a sorted table, or NULL. */
static const struct vhu_mem_region *
region_bsearch(const struct vhu_mem *mem, uint64_t gpa)
{
	uint32_t lo = 0, hi = mem->nregions;

	/* Find the last region starting at or below gpa. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (mem->regions[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	return &mem->regions[lo - 1];
}

const struct vhu_mem_region *
vhu_mem_region_of(const struct vhu_mem *mem, uint64_t gpa)
{
	const struct vhu_mem_region *r;
	uint32_t i;

	if (mem->nregions > VHU_MEM_LINEAR_MAX) {
		r = region_bsearch(mem, gpa);
		return r != NULL && gpa - r->gpa < r->size ? r : NULL;
	}
	for (i = 0; i < mem->nregions; i++) {
		r = &mem->regions[i];
		if (gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

void *
vhu_gpa_to_hva_many(const struct vhu_mem *mem, uint64_t gpa, uint64_t *len)
{
	const struct vhu_mem_region *r = vhu_mem_region_of(mem, gpa);
	uint64_t off;

	if (r == NULL)
		return NULL;
	off = gpa - r->gpa;
	if (*len > r->size - off)
		*len = r->size - off;
	return (void *)(uintptr_t)(r->hva + off);
}

void *
vhu_gpa_range_to_hva(const struct vhu_mem *mem, uint64_t gpa, uint64_t len)
{
	uint64_t n = len;
	void *p = vhu_gpa_to_hva(mem, gpa, &n);

	/* Wholly inside one region: nothing was clipped. */
	return p != NULL && n == len ? p : NULL;
}

static bool
add_overflows(uint64_t a, uint64_t b)
{
	return a + b < a;
}

/* Static checks of one region: no mapping, no fd use yet. */
static int
region_check(uint32_t idx, const struct vhu_mem_region_desc *rd)
{
	if (rd->memory_size == 0) {
		VHU_LOG(ERR, "memory region %u: size 0", idx);
		return -EINVAL;
	}
	if (add_overflows(rd->guest_phys_addr, rd->memory_size) ||
	    add_overflows(rd->userspace_addr, rd->memory_size) ||
	    add_overflows(rd->mmap_offset, rd->memory_size)) {
		VHU_LOG(ERR, "memory region %u: address + size 0x%" PRIx64 " overflows",
			idx, rd->memory_size);
		return -EINVAL;
	}
	return 0;
}

static int
regions_overlap(uint32_t n, const struct vhu_mem_region_desc *rd)
{
	uint32_t i, j;

	/* Ends are exclusive and known not to wrap (region_check). */
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			uint64_t a = rd[i].guest_phys_addr, b = rd[j].guest_phys_addr;

			if (a < b + rd[j].memory_size && b < a + rd[i].memory_size) {
				VHU_LOG(ERR, "memory regions %u and %u overlap in guest physical space",
					i, j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int
region_map(uint32_t idx, const struct vhu_mem_region_desc *rd, int fd,
		struct vhu_mem_region *r, bool noaccess)
{
	uint64_t need = rd->mmap_offset + rd->memory_size;
	uint64_t align, len;
	struct stat st;
	void *addr;

	if (fd < 0 || fstat(fd, &st) < 0) {
		VHU_LOG(ERR, "memory region %u: bad fd %d", idx, fd);
		return -EBADF;
	}
	/* Touching a page past the end of a file raises SIGBUS in the data
	 * path: refuse a file that is too small for the region. */
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < need) {
		VHU_LOG(ERR, "memory region %u: needs %" PRIu64 " bytes, its file has %jd",
			idx, need, (intmax_t)st.st_size);
		return -EINVAL;
	}
	/* hugetlbfs only maps whole huge pages: st_blksize is the page size. */
	align = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
	if (align & (align - 1) || add_overflows(need, align - 1)) {
		VHU_LOG(ERR, "memory region %u: cannot align size to %" PRIu64, idx, align);
		return -EINVAL;
	}
	len = RTE_ALIGN_CEIL(need, align);
	if (len > SIZE_MAX) {
		VHU_LOG(ERR, "memory region %u: too large", idx);
		return -ENOMEM;
	}

	/* An application under mlockall(MCL_FUTURE) (testpmd's default) gets
	 * every new mapping populated at once: postcopy maps without access,
	 * which is not populated, until the userfaultfd covers it. */
	addr = mmap(NULL, len, noaccess ? PROT_NONE : PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (addr == MAP_FAILED) {
		int err = errno;

		VHU_LOG(ERR, "memory region %u: mmap of %" PRIu64 " bytes failed: %s",
			idx, len, strerror(err));
		return -err;
	}

	r->gpa = rd->guest_phys_addr;
	r->uva = rd->userspace_addr;
	r->size = rd->memory_size;
	r->hva = (uint64_t)(uintptr_t)addr + rd->mmap_offset;
	r->mmap_addr = addr;
	r->mmap_size = len;
	r->fd = fd;
	r->extra_refs = 0;
	r->guard = vhu_guard_add(addr, len);
	VHU_LOG(INFO, "memory region %u: gpa 0x%" PRIx64 " uva 0x%" PRIx64
		" size 0x%" PRIx64 " off 0x%" PRIx64 " mapped at %p len 0x%" PRIx64,
		idx, r->gpa, r->uva, r->size, rd->mmap_offset, addr, len);
	return 0;
}

static void
region_unmap(struct vhu_mem_region *r, bool close_fd)
{
	if (r->mmap_addr != NULL) {
		vhu_guard_del(r->guard);
		munmap(r->mmap_addr, r->mmap_size);
	}
	if (close_fd && r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void
regions_unmap(struct vhu_mem *mem, uint32_t n, bool close_fds)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		region_unmap(&mem->regions[i], close_fds);
	mem->nregions = 0;
}

/* Insertion sort by gpa: at most VHU_MAX_MEM_REGIONS entries here. */
static void
regions_sort(struct vhu_mem *mem)
{
	uint32_t i, j;

	for (i = 1; i < mem->nregions; i++) {
		struct vhu_mem_region r = mem->regions[i];

		for (j = i; j > 0 && mem->regions[j - 1].gpa > r.gpa; j--)
			mem->regions[j] = mem->regions[j - 1];
		mem->regions[j] = r;
	}
}

int
vhu_mem_map(struct vhu_mem *mem, const struct vhu_mem_table_desc *desc,
		const int *fds, int nr_fds, bool noaccess)
{
	struct vhu_mem_region_desc rd[VHU_MAX_MEM_REGIONS];
	uint32_t n = desc->nregions;
	uint32_t i;
	int ret;

	if (n == 0 || n > VHU_MAX_MEM_REGIONS || (int)n != nr_fds) {
		VHU_LOG(ERR, "memory table: %u regions with %d fds", n, nr_fds);
		return -EINVAL;
	}
	/* One copy: the checks and the mapping see the same values. */
	memcpy(rd, desc->regions, n * sizeof(rd[0]));

	for (i = 0; i < n; i++) {
		ret = region_check(i, &rd[i]);
		if (ret < 0)
			return ret;
	}
	ret = regions_overlap(n, rd);
	if (ret < 0)
		return ret;

	memset(mem, 0, sizeof(*mem));
	for (i = 0; i < n; i++) {
		ret = region_map(i, &rd[i], fds[i], &mem->regions[i], noaccess);
		if (ret < 0) {
			/* The caller still owns the fds on failure. */
			regions_unmap(mem, i, false);
			return ret;
		}
	}
	mem->nregions = n;
	regions_sort(mem);
	return 0;
}

void
vhu_mem_unmap(struct vhu_mem *mem)
{
	regions_unmap(mem, mem->nregions, true);
}

void
vhu_mem_forget(struct vhu_mem *mem)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		memset(&mem->regions[i], 0, sizeof(mem->regions[i]));
		mem->regions[i].fd = -1;
	}
	mem->nregions = 0;
}

bool
vhu_mem_faulted(const struct vhu_mem *mem)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++)
		if (vhu_guard_hit(mem->regions[i].guard))
			return true;
	return false;
}

void
vhu_mem_region_release(struct vhu_mem_region *r)
{
	region_unmap(r, true);
}

/* Does [gpa, gpa + size) overlap a region of mem? size is known not to wrap. */
static bool
overlaps_table(const struct vhu_mem *mem, uint64_t gpa, uint64_t size)
{
	uint32_t i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vhu_mem_region *r = &mem->regions[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return true;
	}
	return false;
}

int
vhu_mem_add(struct vhu_mem *dst, const struct vhu_mem *src,
		const struct vhu_mem_region_desc *desc, int fd, bool noaccess)
{
	struct vhu_mem_region_desc rd = *desc;	/* one copy of guest data */
	struct vhu_mem_region r;
	uint32_t n = src != NULL ? src->nregions : 0, i;
	int ret;

	dst->nregions = 0;
	if (n >= VHU_MAX_MEM_SLOTS) {
		VHU_LOG(ERR, "ADD_MEM_REG: all %u memory slots in use", VHU_MAX_MEM_SLOTS);
		return -ENOSPC;
	}
	ret = region_check(n, &rd);
	if (ret < 0)
		return ret;
	if (src != NULL && overlaps_table(src, rd.guest_phys_addr, rd.memory_size)) {
		VHU_LOG(ERR, "ADD_MEM_REG: gpa 0x%" PRIx64 " size 0x%" PRIx64
			" overlaps a region we have", rd.guest_phys_addr, rd.memory_size);
		return -EEXIST;
	}
	ret = region_map(n, &rd, fd, &r, noaccess);
	if (ret < 0)
		return ret;
	/* Insert in gpa order. */
	for (i = 0; i < n && src->regions[i].gpa < r.gpa; i++)
		dst->regions[i] = src->regions[i];
	dst->regions[i] = r;
	for (; i < n; i++)
		dst->regions[i + 1] = src->regions[i];
	dst->nregions = n + 1;
	VHU_LOG(DEBUG, "ADD_MEM_REG: %u regions", dst->nregions);
	return 0;
}

int
vhu_mem_find(const struct vhu_mem *mem, const struct vhu_mem_region_desc *desc)
{
	uint32_t i;

	for (i = 0; mem != NULL && i < mem->nregions; i++) {
		const struct vhu_mem_region *r = &mem->regions[i];

		if (r->gpa == desc->guest_phys_addr && r->uva == desc->userspace_addr &&
		    r->size == desc->memory_size)
			return (int)i;
	}
	return -1;
}

int
vhu_mem_remove(struct vhu_mem *dst, const struct vhu_mem *src,
		const struct vhu_mem_region_desc *desc, struct vhu_mem_region *removed)
{
	struct vhu_mem_region_desc rd = *desc;
	uint32_t n = src != NULL ? src->nregions : 0, i, j, hit = UINT32_MAX;

	dst->nregions = 0;
	/* vhost-user.rst: identified by guest address, user address and size;
	 * the mmap offset is ignored. */
	for (i = 0; i < n; i++) {
		const struct vhu_mem_region *r = &src->regions[i];

		if (r->gpa == rd.guest_phys_addr && r->uva == rd.userspace_addr &&
		    r->size == rd.memory_size) {
			hit = i;
			break;
		}
	}
	if (hit == UINT32_MAX) {
		VHU_LOG(ERR, "REM_MEM_REG: no region gpa 0x%" PRIx64 " uva 0x%" PRIx64
			" size 0x%" PRIx64, rd.guest_phys_addr, rd.userspace_addr,
			rd.memory_size);
		return -ENOENT;
	}
	for (i = 0, j = 0; i < n; i++) {
		if (i != hit)
			dst->regions[j++] = src->regions[i];
	}
	dst->nregions = n - 1;
	*removed = src->regions[hit];
	return 0;
}
