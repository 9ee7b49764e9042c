/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Postcopy live migration (VHOST_USER_PROTOCOL_F_PAGEFAULT, vhost-user.rst
 * "Migration" and POSTCOPY_*). On the destination the guest runs before all
 * of its memory arrived: a page not yet received is a hole in the shared
 * file, and whoever touches it must wait for it rather than read zeroes
 * (or, writing, allocate a page the frontend can no longer fill).
 *
 * ADVISE: we open a userfaultfd and hand it to the frontend. LISTEN: the
 * switch to postcopy has happened; guest memory mapped from now on is
 * registered with the userfaultfd for missing pages before anything reads
 * it (mapped without access until then: under mlockall(MCL_FUTURE) a
 * readable mapping is populated at once, every missing page filled with
 * zeroes, and QEMU's placing of the real one then fails, EEXIST). A thread
 * of ours (the data path or this one) touching a missing page then sleeps
 * in the kernel; the frontend reads the fault from the userfaultfd,
 * fetches the page from the source, places it in the shared file and
 * wakes us. The frontend finds the region of a fault by the bases
 * of our mappings, which the reply to SET_MEM_TABLE (or to each ADD_MEM_REG)
 * tells it; it acknowledges them with one more message (see
 * vhu_postcopy_is_ack()), and only then can it serve faults. END: the
 * migration is over, the userfaultfd goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "vhu_dev.h"

int
vhu_postcopy_advise(struct vhu_dev *dev)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int fd;

	vhu_postcopy_reset(dev);
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;

		VHU_LOG(ERR, "%s: POSTCOPY_ADVISE: no userfaultfd: %s%s", dev->ifname,
			strerror(err), err == EPERM ?
			" (vm.unprivileged_userfaultfd is 0 and we lack CAP_SYS_PTRACE)" : "");
		return -err;
	}
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		int err = errno;

		VHU_LOG(ERR, "%s: POSTCOPY_ADVISE: UFFDIO_API: %s", dev->ifname, strerror(err));
		close(fd);
		return -err;
	}
	dev->postcopy_ufd = fd;
	VHU_LOG(INFO, "%s: postcopy advised: userfaultfd %d", dev->ifname, fd);
	return fd;
}

int
vhu_postcopy_listen(struct vhu_dev *dev)
{
	if (dev->postcopy_ufd < 0) {
		VHU_LOG(ERR, "%s: POSTCOPY_LISTEN before POSTCOPY_ADVISE", dev->ifname);
		return -EINVAL;
	}
	/* Pages of a table mapped before were not registered: we may have
	 * read them already, and the frontend does not know where they are. */
	if (dev->mem != NULL && dev->mem->nregions != 0) {
		VHU_LOG(ERR, "%s: POSTCOPY_LISTEN with guest memory already mapped",
			dev->ifname);
		return -EBUSY;
	}
	dev->postcopy_listening = true;
	VHU_LOG(INFO, "%s: postcopy listening", dev->ifname);
	return 0;
}

int
vhu_postcopy_register(const struct vhu_dev *dev, const struct vhu_mem_region *r)
{
	struct uffdio_register reg = {
		.range = {
			.start = (uint64_t)(uintptr_t)r->mmap_addr,
			.len = r->mmap_size,
		},
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(dev->postcopy_ufd, UFFDIO_REGISTER, &reg) < 0) {
		int err = errno;

		VHU_LOG(ERR, "%s: postcopy: cannot register guest memory at %p (0x%zx bytes) "
			"with the userfaultfd: %s", dev->ifname, r->mmap_addr, r->mmap_size,
			strerror(err));
		return -err;
	}
	if (mprotect(r->mmap_addr, r->mmap_size, PROT_READ | PROT_WRITE) < 0) {
		int err = errno;

		VHU_LOG(ERR, "%s: postcopy: mprotect of guest memory at %p: %s", dev->ifname,
			r->mmap_addr, strerror(err));
		return -err;
	}
	VHU_LOG(DEBUG, "%s: postcopy: registered %p (0x%zx bytes)", dev->ifname,
		r->mmap_addr, r->mmap_size);
	return 0;
}

int
vhu_postcopy_register_mem(const struct vhu_dev *dev, const struct vhu_mem *mem)
{
	uint32_t i;
	int ret;

	for (i = 0; i < mem->nregions; i++) {
		ret = vhu_postcopy_register(dev, &mem->regions[i]);
		if (ret < 0)
			return ret;	/* munmap() unregisters the others */
	}
	return 0;
}

bool
vhu_postcopy_is_ack(const struct vhu_dev *dev, uint32_t request, uint32_t size)
{
	/* QEMU acknowledges our bases with a u64 0 in a message whose request
	 * is that of the last one it sent: SET_MEM_TABLE, ADD_MEM_REG (after
	 * the last region it added), REM_MEM_REG, or none at all. */
	return dev != NULL && dev->postcopy_ack_pending && size == sizeof(uint64_t) &&
		(request == VHU_REQ_SET_MEM_TABLE || request == VHU_REQ_ADD_MEM_REG ||
		 request == VHU_REQ_REM_MEM_REG || request == VHU_REQ_NONE);
}

void
vhu_postcopy_acked(struct vhu_dev *dev, uint64_t val)
{
	dev->postcopy_ack_pending = false;
	if (val != 0)
		VHU_LOG(WARNING, "%s: postcopy: the frontend acknowledged our memory with %"
			PRIu64 ", not 0", dev->ifname, val);
	else
		VHU_LOG(INFO, "%s: postcopy: guest memory registered, the frontend serves "
			"its faults", dev->ifname);
}

static void
unregister_all(const struct vhu_dev *dev)
{
	const struct vhu_mem *mem = dev->mem;
	uint32_t i;

	if (mem == NULL)
		return;
	for (i = 0; i < mem->nregions; i++) {
		struct uffdio_range range = {
			.start = (uint64_t)(uintptr_t)mem->regions[i].mmap_addr,
			.len = mem->regions[i].mmap_size,
		};

		if (ioctl(dev->postcopy_ufd, UFFDIO_UNREGISTER, &range) < 0)
			VHU_LOG(WARNING, "%s: postcopy: unregister %p: %s", dev->ifname,
				mem->regions[i].mmap_addr, strerror(errno));
	}
}

int
vhu_postcopy_end(struct vhu_dev *dev)
{
	if (!dev->postcopy_listening) {
		VHU_LOG(ERR, "%s: POSTCOPY_END without POSTCOPY_LISTEN", dev->ifname);
		vhu_postcopy_reset(dev);
		return -EINVAL;
	}
	unregister_all(dev);
	vhu_postcopy_reset(dev);
	VHU_LOG(INFO, "%s: postcopy ended", dev->ifname);
	return 0;
}

void
vhu_postcopy_reset(struct vhu_dev *dev)
{
	/* The frontend holds a copy of the userfaultfd: closing ours does not
	 * end the registrations. END unregisters first; on a disconnect the
	 * regions are unmapped, after the vrings were quiesced. */
	if (dev->postcopy_ufd >= 0)
		close(dev->postcopy_ufd);
	dev->postcopy_ufd = -1;
	dev->postcopy_listening = false;
	dev->postcopy_ack_pending = false;
}
