/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * libFuzzer target: the vhost-user message path. The input is a script of
 * records run against one fresh device per input:
 *
 *   op % 8 in 0..4  a message: one byte n (fd count, n & 15, at most 10),
 *                   n bytes choosing each fd from a pool (guest memory
 *                   memfd, a 4 KiB memfd, an eventfd, /dev/zero, /dev/null),
 *                   the 12-byte header, then up to hdr.size payload bytes.
 *                   Sent with the fds as SCM_RIGHTS over a socketpair, read
 *                   and handled by vhu_msg_recv()/vhu_msg_handle() exactly
 *                   as the control thread does; an error ends the input
 *                   (the connection would be dropped).
 *   op % 8 == 5, 7  a data-path burst: one byte b, vring b & 3 (enqueue on
 *                   even, dequeue on odd), 1 + (b >> 2 & 3) packets.
 *   op % 8 == 6     a guest memory write: u16 offset, u8 length, bytes.
 *
 * The socket offers postcopy (VHU_REG_POSTCOPY): the userfaultfd that
 * a POSTCOPY_ADVISE reply carries is served by a thread here, as the
 * destination QEMU would, with zero pages, so that a burst into guest
 * memory registered after POSTCOPY_LISTEN does not wait for ever.
 *
 * Checked: every reply is well formed and answers its request, only
 * POSTCOPY_ADVISE replies carry an fd (one), the
 * application callbacks follow the lifecycle (new_device only when stopped,
 * vring_state_changed only while running, destroy_device once the device
 * is freed), and after each input no fd, guest memory mapping or mbuf is
 * left over.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <rte_mbuf.h>

#include "fuzz_common.h"

#define GUEST_MEM_SIZE	(64 * 1024)
#define MAX_SEND_FDS	10	/* more than VHU_MAX_FDS: truncation path */
#define MAX_PAYLOAD	300	/* more than the library accepts */

enum { POOL_MEM, POOL_MEM_SMALL, POOL_EVENT, POOL_ZERO, POOL_NULL, POOL_NR };

static int fd_pool[POOL_NR];
static int guest_maps_baseline;

/* The userfaultfd of the last POSTCOPY_ADVISE reply (-1: none), served by
 * fault_server(); uffd_kick wakes it when it changes. */
static pthread_mutex_t uffd_lock = PTHREAD_MUTEX_INITIALIZER;
static int uffd = -1;
static int uffd_kick = -1;

/* One fault: a zero page, or only a wake-up if the page came meanwhile
 * (a guest memory write of the input goes through the file). */
static void
serve_fault(int fd, uint64_t addr)
{
	static uint8_t zero[4096] __rte_aligned(4096);
	uint64_t page = addr & ~(uint64_t)(sizeof(zero) - 1);
	struct uffdio_zeropage zp = { .range = { .start = page, .len = sizeof(zero) } };
	struct uffdio_copy cp = { .dst = page, .src = (uintptr_t)zero, .len = sizeof(zero) };
	struct uffdio_range wake = { .start = page, .len = sizeof(zero) };

	FUZZ_TRACE("userfault at 0x%" PRIx64 "\n", addr);
	if (ioctl(fd, UFFDIO_ZEROPAGE, &zp) == 0)
		return;
	if (errno != EEXIST && ioctl(fd, UFFDIO_COPY, &cp) == 0)
		return;
	ioctl(fd, UFFDIO_WAKE, &wake);
}

static void *
fault_server(void *arg __rte_unused)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = uffd_kick, .events = POLLIN },
				       { .events = POLLIN } };
		struct uffd_msg m;
		uint64_t v;

		pthread_mutex_lock(&uffd_lock);
		p[1].fd = uffd;
		pthread_mutex_unlock(&uffd_lock);
		if (poll(p, 2, -1) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			FUZZ_CHECK(read(uffd_kick, &v, sizeof(v)) == sizeof(v), "kick");
		/* Read and served under the lock: the fd cannot be closed
		 * meanwhile, nor be another one by then. */
		pthread_mutex_lock(&uffd_lock);
		if (p[1].fd >= 0 && p[1].fd == uffd && (p[1].revents & POLLIN) &&
		    read(uffd, &m, sizeof(m)) == sizeof(m) && m.event == UFFD_EVENT_PAGEFAULT)
			serve_fault(uffd, m.arg.pagefault.address);
		pthread_mutex_unlock(&uffd_lock);
	}
	return NULL;
}

/* Serve fd from now on (-1: none); the one before is closed. */
static void
uffd_set(int fd)
{
	pthread_mutex_lock(&uffd_lock);
	if (uffd >= 0)
		close(uffd);
	uffd = fd;
	pthread_mutex_unlock(&uffd_lock);
	FUZZ_CHECK(write(uffd_kick, &(uint64_t){ 1 }, sizeof(uint64_t)) == sizeof(uint64_t), "kick");
}

struct input {
	const uint8_t *p;
	size_t left;
};

static bool
take(struct input *in, void *dst, size_t n)
{
	if (in->left < n)
		return false;
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

static int
memfd_sized(const char *name, off_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	FUZZ_CHECK(fd >= 0 && ftruncate(fd, size) == 0, "memfd: %s", strerror(errno));
	return fd;
}

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	fuzz_env_init((*argv)[0]);
	fd_pool[POOL_MEM] = memfd_sized(FUZZ_MEMFD_NAME "-mem", GUEST_MEM_SIZE);
	fd_pool[POOL_MEM_SMALL] = memfd_sized(FUZZ_MEMFD_NAME "-small", 4096);
	fd_pool[POOL_EVENT] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fd_pool[POOL_ZERO] = open("/dev/zero", O_RDWR | O_CLOEXEC);
	fd_pool[POOL_NULL] = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < POOL_NR; i++)
		FUZZ_CHECK(fd_pool[i] >= 0, "fd pool %d: %s", i, strerror(errno));
	guest_maps_baseline = fuzz_count_guest_maps();
	fuzz_sock.flags |= VHU_REG_POSTCOPY;
	uffd_kick = eventfd(0, EFD_CLOEXEC);
	FUZZ_CHECK(uffd_kick >= 0, "eventfd: %s", strerror(errno));
	{
		pthread_t t;

		FUZZ_CHECK(pthread_create(&t, NULL, fault_server, NULL) == 0, "fault server");
	}
	return 0;
}

static void
send_msg(int fd, const struct vhu_msg_hdr *hdr, const uint8_t *payload,
	 uint32_t len, const int *fds, int nr_fds)
{
	union {
		char buf[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (nr_fds > 0) {
		struct cmsghdr *cm;

		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr_fds * sizeof(int));
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	FUZZ_CHECK(n == (ssize_t)(sizeof(*hdr) + len), "sendmsg: %zd %s", n, strerror(errno));
}

/* Read and check what the library answered to request. */
static void
check_replies(int fd, uint32_t request)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} control;
	uint8_t buf[4096];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct vhu_msg_hdr hdr;
	int rfd = -1;

	if (n < 0) {
		FUZZ_CHECK(errno == EAGAIN, "recv reply: %s", strerror(errno));
		return;
	}
	if (cm != NULL) {
		FUZZ_CHECK(cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)),
			   "reply to %u with %zu bytes of fds", request, (size_t)cm->cmsg_len);
		memcpy(&rfd, CMSG_DATA(cm), sizeof(rfd));
		FUZZ_CHECK(request == VHU_REQ_POSTCOPY_ADVISE, "reply to %u with an fd", request);
		uffd_set(rfd);
	}
	FUZZ_CHECK((size_t)n >= sizeof(hdr), "short reply: %zd bytes", n);
	memcpy(&hdr, buf, sizeof(hdr));
	FUZZ_CHECK(hdr.request == request, "reply to %u for request %u", hdr.request, request);
	FUZZ_CHECK(hdr.flags == (VHU_MSG_VERSION | VHU_MSG_REPLY), "reply flags 0x%x", hdr.flags);
	FUZZ_CHECK(hdr.size <= sizeof(union vhu_msg_payload), "reply size %u", hdr.size);
	FUZZ_CHECK((size_t)n == sizeof(hdr) + hdr.size, "%zd bytes for one reply of %u",
		   n, hdr.size);
}

/* One message record; false when the connection would be dropped. */
static bool
run_message(struct vhu_dev *dev, int peer, struct input *in)
{
	uint8_t payload[MAX_PAYLOAD];
	int fds[MAX_SEND_FDS];
	struct vhu_msg_hdr hdr;
	struct vhu_msg msg;
	uint8_t nfd, sel;
	uint32_t len;
	int i;

	if (!take(in, &nfd, 1))
		return false;
	nfd = RTE_MIN(nfd & 15, MAX_SEND_FDS);
	for (i = 0; i < nfd; i++) {
		if (!take(in, &sel, 1))
			return false;
		fds[i] = fd_pool[sel % POOL_NR];
	}
	if (!take(in, &hdr, sizeof(hdr)))
		return false;
	len = RTE_MIN(RTE_MIN(hdr.size, (uint32_t)MAX_PAYLOAD), (uint32_t)in->left);
	take(in, payload, len);
	send_msg(peer, &hdr, payload, len, fds, nfd);

	memset(&msg, 0, sizeof(msg));
	if (vhu_msg_recv(dev->connfd, &msg, dev) < 0)
		return false;
	FUZZ_CHECK(msg.nr_fds <= VHU_MAX_FDS, "%d fds", msg.nr_fds);
	if (vhu_msg_handle(dev, &msg) < 0)
		return false;
	check_replies(peer, hdr.request);
	return true;
}

static void
run_burst(struct vhu_dev *dev, struct input *in)
{
	struct rte_mbuf *pkts[4];
	uint16_t vring, nb, n, i;
	uint8_t b;

	if (!take(in, &b, 1))
		return;
	vring = b & 3;
	nb = 1 + ((b >> 2) & 3);
	if (vring & 1) {
		n = vhu_dequeue_burst(dev->vid, vring, fuzz_mp, pkts, nb);
		FUZZ_CHECK(n <= nb, "dequeued %u of %u", n, nb);
		FUZZ_TRACE("vring %u: dequeued %u of %u\n", vring, n, nb);
	} else {
		FUZZ_CHECK(rte_pktmbuf_alloc_bulk(fuzz_mp, pkts, nb) == 0, "mbufs");
		for (i = 0; i < nb; i++) {
			uint16_t len = 14 + 64 * (b >> 4) + i;
			char *p = rte_pktmbuf_append(pkts[i], len);

			memset(p, 0xa0 + i, len);
		}
		n = vhu_enqueue_burst(dev->vid, vring, pkts, nb);
		FUZZ_CHECK(n <= nb, "enqueued %u of %u", n, nb);
		FUZZ_TRACE("vring %u: enqueued %u of %u\n", vring, n, nb);
		n = nb;
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

static void
run_mem_write(struct input *in)
{
	uint8_t buf[255];
	uint16_t off;
	uint8_t len;

	if (!take(in, &off, 2) || !take(in, &len, 1))
		return;
	len = RTE_MIN((size_t)len, in->left);
	take(in, buf, len);
	/* Within the file: the memfd keeps its size. */
	len = RTE_MIN((uint32_t)len, GUEST_MEM_SIZE - (uint32_t)off);
	FUZZ_CHECK(pwrite(fd_pool[POOL_MEM], buf, len, off) == len, "pwrite");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .left = size };
	int fds_before = fuzz_count_fds();
	struct vhu_dev *dev;
	int sv[2];
	uint8_t op;

	/* Fresh zeroed guest memory for every input. */
	FUZZ_CHECK(ftruncate(fd_pool[POOL_MEM], 0) == 0 &&
		   ftruncate(fd_pool[POOL_MEM], GUEST_MEM_SIZE) == 0, "truncate");
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) == 0,
		   "socketpair: %s", strerror(errno));
	dev = vhu_dev_alloc(&fuzz_sock, sv[0]);
	FUZZ_CHECK(dev != NULL, "vhu_dev_alloc");
	fuzz_life_reset(dev->vid);

	while (take(&in, &op, 1)) {
		if (op % 8 == 6)
			run_mem_write(&in);
		else if (op % 8 == 5 || op % 8 == 7)
			run_burst(dev, &in);
		else if (!run_message(dev, sv[1], &in))
			break;
	}

	vhu_dev_free(dev);
	uffd_set(-1);
	close(sv[1]);
	FUZZ_CHECK(!fuzz_life.running, "device freed without destroy_device()");
	FUZZ_CHECK(fuzz_life.destroy_calls == fuzz_life.new_calls, "%u new, %u destroy",
		   fuzz_life.new_calls, fuzz_life.destroy_calls);
	FUZZ_CHECK(fuzz_count_fds() == fds_before, "fds: %d before, %d after",
		   fds_before, fuzz_count_fds());
	FUZZ_CHECK(fuzz_count_guest_maps() == guest_maps_baseline,
		   "guest memory mappings: %d left", fuzz_count_guest_maps() - guest_maps_baseline);
	FUZZ_CHECK(rte_mempool_in_use_count(fuzz_mp) == 0, "%u mbufs in use",
		   rte_mempool_in_use_count(fuzz_mp));
	return 0;
}
