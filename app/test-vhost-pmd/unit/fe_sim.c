/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * In-process vhost-user frontend simulator (see fe_sim.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "fe_sim.h"

#define FE_GPA_BASE	0x100000000ULL	/* 4 GB: nothing below is guest memory */
#define FE_UVA_BASE	0x7e0000000000ULL
#define FE_UVA_GAP	0x40000000ULL	/* between the regions' uvas */

struct fe_wire {
	struct vhu_msg_hdr hdr;
	union vhu_msg_payload payload;
} __attribute__((packed));

static int
memfd_new(uint64_t size)
{
	int fd = memfd_create("fe_sim_guest", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int
fe_sim_init(struct fe_sim *s, uint64_t size, int nregions)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->backend_fd = -1;
	s->postcopy_ufd = -1;
	for (i = 0; i < FE_MAX_VQ; i++)
		s->vq[i].kickfd = s->vq[i].callfd = -1;
	s->memfd = memfd_new(size);
	if (s->memfd < 0)
		return s->memfd;
	s->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->memfd, 0);
	if (s->mem == MAP_FAILED) {
		close(s->memfd);
		return -errno;
	}
	s->mem_size = size;
	s->gpa_base = FE_GPA_BASE;
	s->uva_base = FE_UVA_BASE;
	s->nregions = nregions == 2 ? 2 : 1;
	s->brk = 0;
	s->timeout_ms = 3000;
	return 0;
}

static void
vq_free(struct fe_vq *vq)
{
	if (vq->kickfd >= 0)
		close(vq->kickfd);
	if (vq->callfd >= 0)
		close(vq->callfd);
	free(vq->free);
	free(vq->chains);
	free(vq->slot_id);
	memset(vq, 0, sizeof(*vq));
	vq->kickfd = vq->callfd = -1;
}

void
fe_sim_fini(struct fe_sim *s)
{
	int i;

	fe_disconnect(s);
	if (s->backend_fd >= 0)
		close(s->backend_fd);
	s->backend_fd = -1;
	if (s->postcopy_ufd >= 0)
		close(s->postcopy_ufd);
	s->postcopy_ufd = -1;
	for (i = 0; i < FE_MAX_VQ; i++)
		vq_free(&s->vq[i]);
	if (s->mem != NULL && s->mem != MAP_FAILED)
		munmap(s->mem, s->mem_size);
	if (s->memfd >= 0)
		close(s->memfd);
	s->mem = NULL;
	s->memfd = -1;
}

static void
vq_rebase(struct fe_sim *s, struct fe_vq *vq)
{
	if (!vq->set_up)
		return;
	vq->desc = fe_ptr(s, vq->desc_gpa);
	vq->avail = fe_ptr(s, vq->avail_gpa);
	vq->used = fe_ptr(s, vq->used_gpa);
	vq->pdesc = fe_ptr(s, vq->desc_gpa);
	vq->driver_event = fe_ptr(s, vq->avail_gpa);
	vq->device_event = fe_ptr(s, vq->used_gpa);
}

int
fe_sim_remap(struct fe_sim *s)
{
	int fd = memfd_new(s->mem_size), i;
	uint8_t *mem;

	if (fd < 0)
		return fd;
	mem = mmap(NULL, s->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	memcpy(mem, s->mem, s->mem_size);
	munmap(s->mem, s->mem_size);
	close(s->memfd);
	s->mem = mem;
	s->memfd = fd;
	for (i = 0; i < FE_MAX_VQ; i++)
		vq_rebase(s, &s->vq[i]);
	return 0;
}

/* ------------------------------------------------------------- socket */

static void
set_timeout(struct fe_sim *s)
{
	struct timeval tv = {
		.tv_sec = s->timeout_ms / 1000,
		.tv_usec = (s->timeout_ms % 1000) * 1000,
	};

	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
fe_set_timeout(struct fe_sim *s, uint32_t ms)
{
	s->timeout_ms = ms;
	if (s->fd >= 0)
		set_timeout(s);
}

int
fe_connect(struct fe_sim *s, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int i;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	/* The library creates the socket from its control thread: retry. */
	for (i = 0; i < 100; i++) {
		if (connect(s->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			set_timeout(s);
			return 0;
		}
		usleep(20 * 1000);
	}
	close(s->fd);
	s->fd = -1;
	return -ECONNREFUSED;
}

int
fe_accept(struct fe_sim *s, int listenfd)
{
	struct pollfd p = { .fd = listenfd, .events = POLLIN };

	if (poll(&p, 1, s->timeout_ms) != 1)
		return -ETIMEDOUT;
	s->fd = accept4(listenfd, NULL, NULL, SOCK_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	set_timeout(s);
	return 0;
}

void
fe_disconnect(struct fe_sim *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int
fe_send_raw(struct fe_sim *s, const void *buf, size_t len, const int *fds, int nr_fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nr_fds > 16)
		return -EINVAL;
	if (nr_fds > 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nr_fds);
	}
	do {
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int
fe_send(struct fe_sim *s, uint32_t req, uint32_t flags, const void *payload,
	uint32_t size, const int *fds, int nr_fds)
{
	struct fe_wire w;

	if (size > sizeof(w.payload))
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	w.hdr.request = req;
	w.hdr.flags = VHU_MSG_VERSION | flags;
	w.hdr.size = size;
	if (size)
		memcpy(&w.payload, payload, size);
	return fe_send_raw(s, &w, VHU_MSG_HDR_SIZE + size, fds, nr_fds);
}

static int
recv_all(struct fe_sim *s, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = recv(s->fd, (uint8_t *)buf + got, len - got, 0);

		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		got += n;
	}
	return 0;
}

/* The first len bytes of a message, and the fd that came with them. */
static int
recv_first_fd(struct fe_sim *s, void *buf, size_t len, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.b, .msg_controllen = sizeof(u.b),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do {
		n = recvmsg(s->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return (size_t)n < len ? recv_all(s, (uint8_t *)buf + n, len - n) : 0;
}

int
fe_recv(struct fe_sim *s, uint32_t req, void *payload, uint32_t size)
{
	return fe_recv_fd(s, req, payload, size, NULL);
}

int
fe_recv_fd(struct fe_sim *s, uint32_t req, void *payload, uint32_t size, int *fdp)
{
	struct fe_wire w;
	int ret, fd;

	ret = recv_first_fd(s, &w.hdr, sizeof(w.hdr), &fd);
	if (fdp != NULL)
		*fdp = fd;
	else if (fd >= 0)
		close(fd);
	if (ret < 0)
		return ret;
	if (w.hdr.size > sizeof(w.payload))
		return -EPROTO;
	ret = recv_all(s, &w.payload, w.hdr.size);
	if (ret < 0)
		return ret;
	if (w.hdr.request != req || !(w.hdr.flags & VHU_MSG_REPLY) ||
	    (w.hdr.flags & VHU_MSG_VERSION_MASK) != VHU_MSG_VERSION) {
		fprintf(stderr, "fe_sim: unexpected reply: request %u flags 0x%x (want %u)\n",
			w.hdr.request, w.hdr.flags, req);
		return -EPROTO;
	}
	memcpy(payload, &w.payload, size < w.hdr.size ? size : w.hdr.size);
	return w.hdr.size;
}

bool
fe_peer_closed(struct fe_sim *s, unsigned int ms)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	char c;

	if (s->fd < 0)
		return true;
	if (poll(&p, 1, ms) != 1)
		return false;
	return recv(s->fd, &c, 1, MSG_DONTWAIT) == 0 || (p.revents & (POLLHUP | POLLERR));
}

/* ------------------------------------------------------------ requests */

/* Send a request that has no reply of its own; wait for the ack if any. */
static int
send_acked(struct fe_sim *s, uint32_t req, const void *payload, uint32_t size,
	   const int *fds, int nr_fds)
{
	uint64_t ack;
	int ret;

	ret = fe_send(s, req, s->reply_ack ? VHU_MSG_NEED_REPLY : 0, payload, size, fds, nr_fds);
	if (ret < 0 || !s->reply_ack)
		return ret;
	ret = fe_recv(s, req, &ack, sizeof(ack));
	if (ret < 0)
		return ret;
	if (ret != sizeof(ack))
		return -EPROTO;
	return ack == 0 ? 0 : -EIO;
}

int
fe_request(struct fe_sim *s, uint32_t req, const void *payload, uint32_t size,
	   const int *fds, int nr_fds)
{
	return send_acked(s, req, payload, size, fds, nr_fds);
}

int
fe_call(struct fe_sim *s, uint32_t req, const void *payload, uint32_t size,
	void *reply, uint32_t reply_size)
{
	int ret = fe_send(s, req, 0, payload, size, NULL, 0);

	if (ret < 0)
		return ret;
	return fe_recv(s, req, reply, reply_size);
}

int
fe_mem_reg(struct fe_sim *s, uint32_t req, uint64_t gpa, uint64_t size,
	   uint64_t uva, uint64_t mmap_offset, int fd)
{
	struct vhu_single_mem_region m = {
		.region = {
			.guest_phys_addr = gpa,
			.memory_size = size,
			.userspace_addr = uva,
			.mmap_offset = mmap_offset,
		},
	};

	return send_acked(s, req, &m, sizeof(m), &fd, fd < 0 ? 0 : 1);
}

int
fe_get_u64(struct fe_sim *s, uint32_t req, uint64_t *val)
{
	int ret = fe_send(s, req, 0, NULL, 0, NULL, 0);

	if (ret < 0)
		return ret;
	ret = fe_recv(s, req, val, sizeof(*val));
	if (ret < 0)
		return ret;
	return ret == sizeof(*val) ? 0 : -EPROTO;
}

int
fe_set_u64(struct fe_sim *s, uint32_t req, uint64_t val)
{
	return send_acked(s, req, &val, sizeof(val), NULL, 0);
}

int
fe_postcopy_advise(struct fe_sim *s)
{
	int ret = fe_send(s, VHU_REQ_POSTCOPY_ADVISE, 0, NULL, 0, NULL, 0);
	uint64_t none;
	int fd;

	if (ret < 0)
		return ret;
	ret = fe_recv_fd(s, VHU_REQ_POSTCOPY_ADVISE, &none, sizeof(none), &fd);
	if (ret < 0)
		return ret;
	if (ret != 0 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	if (s->postcopy_ufd >= 0)
		close(s->postcopy_ufd);
	s->postcopy_ufd = fd;
	return 0;
}

/* A request QEMU always asks an answer of, REPLY_ACK or not: 0, -EIO. */
static int
send_need_reply(struct fe_sim *s, uint32_t req)
{
	uint64_t ack;
	int ret = fe_send(s, req, VHU_MSG_NEED_REPLY, NULL, 0, NULL, 0);

	if (ret < 0)
		return ret;
	ret = fe_recv(s, req, &ack, sizeof(ack));
	if (ret < 0)
		return ret;
	return ret == sizeof(ack) && ack == 0 ? 0 : -EIO;
}

int
fe_postcopy_listen(struct fe_sim *s)
{
	int ret = send_need_reply(s, VHU_REQ_POSTCOPY_LISTEN);

	s->postcopy_listening = ret == 0;
	return ret;
}

int
fe_postcopy_end(struct fe_sim *s)
{
	s->postcopy_listening = false;
	return send_need_reply(s, VHU_REQ_POSTCOPY_END);
}

/* SET_MEM_TABLE while postcopy listens (QEMU's
 * vhost_user_set_mem_table_postcopy()): no ack asked; the backend answers
 * with the table and its bases, which we acknowledge with a u64 0. */
static int
set_mem_table_postcopy(struct fe_sim *s, const struct vhu_mem_table_desc *t, uint32_t size,
		       const int *fds)
{
	struct vhu_mem_table_desc r;
	uint64_t zero = 0;
	int ret, i;

	ret = fe_send(s, VHU_REQ_SET_MEM_TABLE, 0, t, size, fds, s->nregions);
	if (ret < 0)
		return ret;
	ret = fe_recv(s, VHU_REQ_SET_MEM_TABLE, &r, sizeof(r));
	if (ret < 0)
		return ret;
	if ((uint32_t)ret != size)
		return -EIO;
	for (i = 0; i < s->nregions; i++) {
		if (r.regions[i].guest_phys_addr != t->regions[i].guest_phys_addr)
			return -EPROTO;
		s->postcopy_base[i] = r.regions[i].userspace_addr;
	}
	return fe_send(s, VHU_REQ_SET_MEM_TABLE, 0, &zero, sizeof(zero), NULL, 0);
}

int
fe_set_mem_table(struct fe_sim *s)
{
	struct vhu_mem_table_desc t;
	uint64_t half = s->mem_size / s->nregions;
	int fds[2], i;

	memset(&t, 0, sizeof(t));
	t.nregions = s->nregions;
	for (i = 0; i < s->nregions; i++) {
		t.regions[i].guest_phys_addr = s->gpa_base + i * half;
		t.regions[i].memory_size = half;
		t.regions[i].userspace_addr = fe_gpa_to_uva(s, s->gpa_base + i * half);
		t.regions[i].mmap_offset = i * half;
		fds[i] = s->memfd;
	}
	if (s->postcopy_listening)
		return set_mem_table_postcopy(s, &t, 8 + s->nregions * sizeof(t.regions[0]), fds);
	return send_acked(s, VHU_REQ_SET_MEM_TABLE, &t,
			  8 + s->nregions * sizeof(t.regions[0]), fds, s->nregions);
}

int
fe_set_vring_state(struct fe_sim *s, uint32_t req, uint32_t index, uint32_t num)
{
	struct vhu_vring_state st = { .index = index, .num = num };

	return send_acked(s, req, &st, sizeof(st), NULL, 0);
}

int
fe_set_vring_addr(struct fe_sim *s, int q)
{
	struct fe_vq *vq = &s->vq[q];
	struct vhu_vring_addr a = {
		.index = q,
		.desc_user_addr = fe_gpa_to_uva(s, vq->desc_gpa),
		.used_user_addr = fe_gpa_to_uva(s, vq->used_gpa),
		.avail_user_addr = fe_gpa_to_uva(s, vq->avail_gpa),
	};

	if (s->iova_off != 0) {
		a.desc_user_addr = fe_addr(s, vq->desc_gpa);
		a.used_user_addr = fe_addr(s, vq->used_gpa);
		a.avail_user_addr = fe_addr(s, vq->avail_gpa);
	}

	return send_acked(s, VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

int
fe_set_vring_fd(struct fe_sim *s, uint32_t req, int q, int fd)
{
	uint64_t idx = q;

	if (fd < 0)
		idx |= VHU_VRING_NOFD;
	return send_acked(s, req, &idx, sizeof(idx), &fd, fd < 0 ? 0 : 1);
}

int
fe_get_vring_base(struct fe_sim *s, int q, uint32_t *base)
{
	struct vhu_vring_state st = { .index = q };
	int ret = fe_send(s, VHU_REQ_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);

	if (ret < 0)
		return ret;
	ret = fe_recv(s, VHU_REQ_GET_VRING_BASE, &st, sizeof(st));
	if (ret < 0)
		return ret;
	if (ret != sizeof(st) || st.index != (uint32_t)q)
		return -EPROTO;
	*base = st.num;
	return 0;
}

/* --------------------------------------------------------------- memory */

uint64_t
fe_alloc(struct fe_sim *s, uint64_t len, uint64_t align)
{
	uint64_t off = (s->brk + align - 1) & ~(align - 1);

	if (off + len > s->mem_size)
		return 0;
	s->brk = off + len;
	return s->gpa_base + off;
}

void *
fe_ptr(struct fe_sim *s, uint64_t gpa)
{
	return s->mem + (gpa - s->gpa_base);
}

uint64_t
fe_gpa_to_uva(const struct fe_sim *s, uint64_t gpa)
{
	uint64_t half = s->mem_size / s->nregions;
	uint64_t off = gpa - s->gpa_base;

	if (s->nregions == 2 && off >= half)
		return s->uva_base + FE_UVA_GAP + off;
	return s->uva_base + off;
}

uint64_t
fe_gpa_end(const struct fe_sim *s)
{
	return s->gpa_base + s->mem_size;
}

/* --------------------------------------------------------------- vrings */

bool
fe_is_packed(const struct fe_sim *s)
{
	return s->features & VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
}

/* A packed ring of any size: descriptors, driver and device event areas.
 * The driver event area starts at ENABLE (0): call on every used buffer. */
static int
pvq_alloc(struct fe_sim *s, struct fe_vq *vq, uint16_t size)
{
	int i;

	vq->packed = true;
	vq->desc_gpa = fe_alloc(s, 16ULL * size, 4096);
	vq->avail_gpa = fe_alloc(s, 4, 4);
	vq->used_gpa = fe_alloc(s, 4, 4);
	vq->free = calloc(size, sizeof(*vq->free));
	vq->chains = calloc(size, sizeof(*vq->chains));
	vq->slot_id = calloc(size, sizeof(*vq->slot_id));
	if (!vq->desc_gpa || !vq->avail_gpa || !vq->used_gpa || !vq->free || !vq->chains ||
	    !vq->slot_id)
		return -ENOMEM;
	vq->set_up = true;
	vq_rebase(s, vq);
	memset(vq->pdesc, 0, 16ULL * size);
	memset(vq->driver_event, 0, 4);
	memset(vq->device_event, 0, 4);
	for (i = 0; i < size; i++)
		vq->free[i] = size - 1 - i;
	vq->nr_ids = size;
	vq->nr_free = size;
	vq->avail_idx = vq->used_idx = 0;
	vq->avail_wrap = vq->used_wrap = 1;
	vq->batch = false;
	return 0;
}

int
fe_vq_setup(struct fe_sim *s, int q, uint16_t size)
{
	struct fe_vq *vq = &s->vq[q];
	int i, ret;

	vq_free(vq);
	if (fe_is_packed(s)) {
		vq->size = size;
		vq->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		vq->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vq->kickfd < 0 || vq->callfd < 0 || pvq_alloc(s, vq, size) < 0)
			return -ENOMEM;
		goto send;
	}
	vq->size = size;
	vq->desc_gpa = fe_alloc(s, 16ULL * size, 4096);
	vq->avail_gpa = fe_alloc(s, 6 + 2ULL * size, 2);
	vq->used_gpa = fe_alloc(s, 6 + 8ULL * size, 4096);
	vq->free = calloc(size, sizeof(*vq->free));
	vq->chains = calloc(size, sizeof(*vq->chains));
	vq->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!vq->desc_gpa || !vq->avail_gpa || !vq->used_gpa || !vq->free ||
	    !vq->chains || vq->kickfd < 0 || vq->callfd < 0)
		return -ENOMEM;
	vq->set_up = true;
	vq_rebase(s, vq);
	memset(vq->desc, 0, 16ULL * size);
	memset(vq->avail, 0, 6 + 2ULL * size);
	memset(vq->used, 0, 6 + 8ULL * size);
	for (i = 0; i < size; i++)
		vq->free[i] = size - 1 - i;
	vq->nr_free = size;
	vq->avail_idx = vq->used_idx = 0;
	vq->batch = false;
send:
	if (q >= s->nr_vq)
		s->nr_vq = q + 1;

	ret = fe_set_vring_state(s, VHU_REQ_SET_VRING_NUM, q, size);
	/* Packed: both halves, slot 0 and wrap counter 1, as QEMU sends. */
	if (ret == 0)
		ret = fe_set_vring_state(s, VHU_REQ_SET_VRING_BASE, q,
					 vq->packed ? 0x80008000u : 0);
	if (ret == 0)
		ret = fe_set_vring_addr(s, q);
	if (ret == 0)
		ret = fe_set_vring_fd(s, VHU_REQ_SET_VRING_CALL, q, vq->callfd);
	if (ret == 0)
		ret = fe_set_vring_fd(s, VHU_REQ_SET_VRING_KICK, q, vq->kickfd);
	return ret;
}

/* A socket pair: one end to the backend (SET_BACKEND_REQ_FD), one ours. */
static int
backend_open(struct fe_sim *s)
{
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	ret = send_acked(s, VHU_REQ_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1);
	close(sv[1]);
	if (ret < 0) {
		close(sv[0]);
		return ret;
	}
	if (s->backend_fd >= 0)
		close(s->backend_fd);
	s->backend_fd = sv[0];
	return 0;
}

uint64_t
fe_addr(const struct fe_sim *s, uint64_t gpa)
{
	return gpa + s->iova_off;
}

int
fe_iotlb_msg(struct fe_sim *s, uint8_t type, uint64_t iova, uint64_t size,
	     uint64_t uaddr, uint8_t perm)
{
	struct vhu_iotlb_msg m = {
		.iova = iova, .size = size, .uaddr = uaddr, .perm = perm, .type = type,
	};

	return send_acked(s, VHU_REQ_IOTLB_MSG, &m, sizeof(m), NULL, 0);
}

int
fe_backend_recv(struct fe_sim *s, struct vhu_iotlb_msg *m, unsigned int ms)
{
	struct {
		struct vhu_msg_hdr hdr;
		struct vhu_iotlb_msg iotlb;
	} __attribute__((packed)) buf;
	struct pollfd pfd = { .fd = s->backend_fd, .events = POLLIN };
	ssize_t n;

	if (s->backend_fd < 0)
		return -ENOTCONN;
	if (poll(&pfd, 1, (int)ms) <= 0)
		return 0;
	/* The backend writes each message whole, with one send(). */
	n = recv(s->backend_fd, &buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(buf) || buf.hdr.request != VHU_BACKEND_IOTLB_MSG ||
	    buf.hdr.size != sizeof(buf.iotlb) || buf.iotlb.type != VHU_IOTLB_MISS)
		return -EPROTO;
	*m = buf.iotlb;
	return 1;
}

int
fe_iotlb_answer(struct fe_sim *s, const struct vhu_iotlb_msg *m)
{
	uint64_t page = m->iova & ~4095ULL;
	uint64_t gpa = page - s->iova_off;

	if (gpa < s->gpa_base || gpa >= fe_gpa_end(s))
		return -ERANGE;
	return fe_iotlb_msg(s, VHU_IOTLB_UPDATE, page, 4096, fe_gpa_to_uva(s, gpa),
			    VHU_ACCESS_RW);
}

int
fe_iotlb_serve(struct fe_sim *s, unsigned int ms, struct vhu_iotlb_msg *last)
{
	struct vhu_iotlb_msg m;
	int n = 0, ret;

	while ((ret = fe_backend_recv(s, &m, ms)) == 1) {
		ret = fe_iotlb_answer(s, &m);
		if (ret < 0)
			return ret;
		if (last != NULL)
			*last = m;
		n++;
	}
	return ret < 0 ? ret : n;
}

int
fe_handshake(struct fe_sim *s, uint64_t want, int nr_vq, uint16_t ring_size)
{
	uint64_t offered, pf;
	int q, ret;

	ret = fe_get_u64(s, VHU_REQ_GET_FEATURES, &offered);
	if (ret < 0)
		return ret;
	s->features = offered & want;
	ret = fe_set_u64(s, VHU_REQ_SET_FEATURES, s->features);
	if (ret < 0)
		return ret;
	if (s->features & VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES)) {
		ret = fe_get_u64(s, VHU_REQ_GET_PROTOCOL_FEATURES, &pf);
		if (ret < 0)
			return ret;
		s->protocol_features = pf & (VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) |
					     VHU_BIT(VHU_PROTOCOL_F_MQ) | s->extra_protocol);
		ret = fe_set_u64(s, VHU_REQ_SET_PROTOCOL_FEATURES, s->protocol_features);
		if (ret < 0)
			return ret;
		s->reply_ack = s->protocol_features & VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK);
		if (s->protocol_features & VHU_BIT(VHU_PROTOCOL_F_BACKEND_REQ)) {
			ret = backend_open(s);
			if (ret < 0)
				return ret;
		}
	}
	ret = send_acked(s, VHU_REQ_SET_OWNER, NULL, 0, NULL, 0);
	if (ret < 0)
		return ret;
	if (s->postcopy) {
		ret = fe_postcopy_advise(s);
		if (ret == 0)
			ret = fe_postcopy_listen(s);
		if (ret < 0)
			return ret;
	}
	ret = fe_set_mem_table(s);
	if (ret < 0)
		return ret;
	for (q = 0; q < nr_vq; q++) {
		ret = fe_vq_setup(s, q, ring_size);
		if (ret < 0)
			return ret;
	}
	if (s->features & VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES)) {
		for (q = 0; q < nr_vq; q++) {
			ret = fe_set_vring_state(s, VHU_REQ_SET_VRING_ENABLE, q, 1);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static uint16_t
pavail_bits(uint8_t wrap)
{
	return wrap ? VHU_DESC_F_AVAIL : VHU_DESC_F_USED;
}

/* Packed: take a buffer id and the next slots; every flag but the head's. */
static int
pchain_add(struct fe_sim *s, struct fe_vq *vq, const struct fe_buf *bufs, int n,
	   bool write, bool indirect)
{
	uint16_t wflag = write ? VHU_DESC_F_WRITE : 0, id;
	struct fe_chain *c;
	int i, need = indirect ? 1 : n;
	uint64_t t = 0;

	if (n <= 0 || n > FE_MAX_SEGS || vq->nr_free < need || vq->nr_ids == 0)
		return -1;
	if (indirect) {
		struct vhu_pdesc *table;

		t = fe_alloc(s, 16ULL * n, 16);
		if (t == 0)
			return -1;
		/* NEXT set as DPDK's driver does: the device ignores it. */
		table = fe_ptr(s, t);
		for (i = 0; i < n; i++)
			table[i] = (struct vhu_pdesc){
				.addr = fe_addr(s, bufs[i].gpa), .len = bufs[i].len,
				.flags = wflag | (i + 1 < n ? VHU_DESC_F_NEXT : 0),
			};
	}
	id = vq->free[--vq->nr_ids];
	c = &vq->chains[id];
	memset(c, 0, sizeof(*c));
	c->posted = true;
	c->nr_desc = need;
	c->nr_buf = n;
	memcpy(c->buf, bufs, n * sizeof(bufs[0]));
	for (i = 0; i < need; i++) {
		struct vhu_pdesc *d = &vq->pdesc[vq->avail_idx];
		uint16_t fl = pavail_bits(vq->avail_wrap);

		if (indirect)
			fl |= VHU_DESC_F_INDIRECT;
		else
			fl |= wflag | (i + 1 < n ? VHU_DESC_F_NEXT : 0);
		d->addr = fe_addr(s, indirect ? t : bufs[i].gpa);
		d->len = indirect ? 16u * n : bufs[i].len;
		d->id = id;
		c->desc[i] = vq->avail_idx;
		if (i == 0)
			c->head_flags = fl;
		else
			__atomic_store_n(&d->flags, fl, __ATOMIC_RELEASE);
		if (++vq->avail_idx == vq->size) {
			vq->avail_idx = 0;
			vq->avail_wrap ^= 1;
		}
	}
	vq->nr_free -= need;
	return id;
}

int
fe_chain_add(struct fe_sim *s, int q, const struct fe_buf *bufs, int n,
	     bool write, bool indirect)
{
	struct fe_vq *vq = &s->vq[q];
	uint16_t flags = write ? VHU_DESC_F_WRITE : 0;
	struct vhu_desc *table;
	struct fe_chain *c;
	uint16_t head, idx[FE_MAX_SEGS];
	int i, need = indirect ? 1 : n;

	if (vq->packed)
		return pchain_add(s, vq, bufs, n, write, indirect);
	if (n <= 0 || n > FE_MAX_SEGS || vq->nr_free < need)
		return -1;
	for (i = 0; i < need; i++)
		idx[i] = vq->free[--vq->nr_free];
	head = idx[0];
	c = &vq->chains[head];
	memset(c, 0, sizeof(*c));
	c->posted = true;
	c->nr_desc = need;
	memcpy(c->desc, idx, need * sizeof(idx[0]));
	c->nr_buf = n;
	memcpy(c->buf, bufs, n * sizeof(bufs[0]));

	if (indirect) {
		uint64_t t = fe_alloc(s, 16ULL * n, 16);

		if (t == 0)
			return -1;
		table = fe_ptr(s, t);
		vq->desc[head] = (struct vhu_desc){
			.addr = fe_addr(s, t), .len = 16 * n, .flags = VHU_DESC_F_INDIRECT,
		};
		for (i = 0; i < n; i++)
			idx[i] = i;
	} else {
		table = vq->desc;
	}
	for (i = 0; i < n; i++) {
		table[idx[i]] = (struct vhu_desc){
			.addr = fe_addr(s, bufs[i].gpa),
			.len = bufs[i].len,
			.flags = flags | (i + 1 < n ? VHU_DESC_F_NEXT : 0),
			.next = i + 1 < n ? idx[i + 1] : 0,
		};
	}
	return head;
}

void
fe_avail_push(struct fe_sim *s, int q, uint16_t head)
{
	struct fe_vq *vq = &s->vq[q];

	if (vq->packed) {
		const struct fe_chain *c = &vq->chains[head];

		vq->slot_id[c->desc[0]] = head;
		__atomic_store_n(&vq->pdesc[c->desc[0]].flags, c->head_flags,
				 __ATOMIC_RELEASE);
		return;
	}
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
}

int
fe_post(struct fe_sim *s, int q, const struct fe_buf *bufs, int n, bool write, bool indirect)
{
	int head = fe_chain_add(s, q, bufs, n, write, indirect);

	if (head >= 0)
		fe_avail_push(s, q, head);
	return head;
}

int
fe_post_rx(struct fe_sim *s, uint16_t len)
{
	struct fe_buf b = { .gpa = fe_alloc(s, len, 64), .len = len };

	if (b.gpa == 0)
		return -1;
	memset(fe_ptr(s, b.gpa), 0xee, len);
	return fe_post(s, FE_RX_VQ, &b, 1, true, false);
}

int
fe_post_tx(struct fe_sim *s, const void *data, uint32_t len, uint16_t hdr_len,
	   const uint32_t *pieces, bool indirect)
{
	struct fe_buf bufs[FE_MAX_SEGS];
	uint32_t total = hdr_len + len, off = 0;
	uint8_t *stream = calloc(1, total ? total : 1);
	int n = 0, head;

	if (stream == NULL)
		return -1;
	memcpy(stream + hdr_len, data, len);
	while (off < total && n < FE_MAX_SEGS) {
		uint32_t l = pieces != NULL && pieces[n] ? pieces[n] : total - off;

		if (l > total - off)
			l = total - off;
		bufs[n].gpa = fe_alloc(s, l, 8);
		bufs[n].len = l;
		if (bufs[n].gpa == 0) {
			free(stream);
			return -1;
		}
		memcpy(fe_ptr(s, bufs[n].gpa), stream + off, l);
		off += l;
		n++;
	}
	free(stream);
	head = off == total ? fe_post(s, FE_TX_VQ, bufs, n, false, indirect) : -1;
	return head;
}

bool
fe_pdesc_used(uint16_t flags, uint8_t wrap)
{
	uint16_t want = wrap ? VHU_DESC_F_AVAIL | VHU_DESC_F_USED : 0;

	return (flags & (VHU_DESC_F_AVAIL | VHU_DESC_F_USED)) == want;
}

/* Slots the chain with buffer id takes (1 if it is unknown). */
static uint16_t
pchain_slots(const struct fe_vq *vq, uint32_t id)
{
	return id < vq->size && vq->chains[id].posted ? vq->chains[id].nr_desc : 1;
}

static void
pused_advance(struct fe_vq *vq, uint16_t *idx, uint8_t *wrap, uint16_t n)
{
	uint32_t i = (uint32_t)*idx + n;

	if (i >= vq->size) {
		i -= vq->size;
		*wrap ^= 1;
	}
	*idx = i;
}

/*
 * IN_ORDER: the chain that comes back next is cur, the next one made
 * available; the used entry (entry_id, entry_len), read when no batch is
 * open, names the batch's last chain. Returns cur's used length.
 */
static uint32_t
in_order_take(struct fe_vq *vq, uint32_t cur, uint32_t entry_id, uint32_t entry_len)
{
	if (!vq->batch) {
		vq->batch = true;
		vq->batch_id = entry_id;
		vq->batch_len = entry_len;
	}
	if (cur != vq->batch_id)
		return 0;
	vq->batch = false;
	return vq->batch_len;
}

/* The driver got chain id (of slots ring slots) back: its id and slots are free. */
static void
pchain_free(struct fe_vq *vq, uint32_t id, uint16_t slots)
{
	if (id < vq->size && vq->chains[id].posted) {
		vq->chains[id].posted = false;
		vq->free[vq->nr_ids++] = id;
		vq->nr_free += slots;
	}
}

static int
pused_pop_in_order(struct fe_vq *vq, uint32_t *id, uint32_t *len)
{
	struct vhu_pdesc *d = &vq->pdesc[vq->used_idx];
	uint16_t flags, slots;

	if (!vq->batch) {
		flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE);
		if (!fe_pdesc_used(flags, vq->used_wrap))
			return 0;
		vq->last_used_flags = flags;
	}
	*id = vq->slot_id[vq->used_idx];
	*len = in_order_take(vq, *id, d->id, d->len);
	slots = pchain_slots(vq, *id);
	pchain_free(vq, *id, slots);
	pused_advance(vq, &vq->used_idx, &vq->used_wrap, slots);
	return 1;
}

static int
pused_pop(struct fe_vq *vq, uint32_t *id, uint32_t *len)
{
	struct vhu_pdesc *d = &vq->pdesc[vq->used_idx];
	uint16_t flags = __atomic_load_n(&d->flags, __ATOMIC_ACQUIRE), slots;

	if (!fe_pdesc_used(flags, vq->used_wrap))
		return 0;
	*id = d->id;
	*len = d->len;
	vq->last_used_flags = flags;
	slots = pchain_slots(vq, *id);
	pchain_free(vq, *id, slots);
	pused_advance(vq, &vq->used_idx, &vq->used_wrap, slots);
	return 1;
}

uint16_t
fe_used_count(struct fe_sim *s, int q)
{
	struct fe_vq *vq = &s->vq[q];
	bool in_order = s->features & VHU_BIT(VHU_VIRTIO_F_IN_ORDER);
	bool batch = vq->batch;
	uint32_t last = vq->batch_id, id;
	uint16_t idx = vq->used_idx, n = 0;
	uint8_t wrap = vq->used_wrap;

	if (!vq->packed)
		return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) - vq->used_idx;
	while (n < vq->size) {
		struct vhu_pdesc *d = &vq->pdesc[idx];

		if (!batch) {	/* as fe_used_pop() */
			if (!fe_pdesc_used(__atomic_load_n(&d->flags, __ATOMIC_ACQUIRE), wrap))
				break;
			last = d->id;
			batch = in_order;
		}
		id = in_order ? vq->slot_id[idx] : d->id;
		if (id == last)
			batch = false;
		n++;
		pused_advance(vq, &idx, &wrap, pchain_slots(vq, id));
	}
	return n;
}

uint16_t
fe_chain_slot(struct fe_sim *s, int q, uint16_t id, int i)
{
	return s->vq[q].chains[id].desc[i];
}

void
fe_driver_event_set(struct fe_sim *s, int q, uint16_t flags, uint16_t off_wrap)
{
	struct fe_vq *vq = &s->vq[q];

	__atomic_store_n(&vq->driver_event->off_wrap, off_wrap, __ATOMIC_RELAXED);
	__atomic_store_n(&vq->driver_event->flags, flags, __ATOMIC_SEQ_CST);
}

int
fe_used_pop(struct fe_sim *s, int q, uint32_t *id, uint32_t *len)
{
	struct fe_vq *vq = &s->vq[q];
	struct vhu_used_elem e;
	bool in_order = s->features & VHU_BIT(VHU_VIRTIO_F_IN_ORDER);
	struct fe_chain *c;
	int i;

	if (vq->packed)
		return in_order ? pused_pop_in_order(vq, id, len) : pused_pop(vq, id, len);
	if (__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE) == vq->used_idx)
		return 0;
	e = vq->used->ring[vq->used_idx & (vq->size - 1)];
	if (in_order) {
		uint32_t cur = vq->avail->ring[vq->used_idx & (vq->size - 1)];

		e.len = in_order_take(vq, cur, e.id, e.len);
		e.id = cur;
	}
	vq->used_idx++;
	*id = e.id;
	*len = e.len;
	if (e.id < vq->size && vq->chains[e.id].posted) {
		c = &vq->chains[e.id];
		c->posted = false;
		for (i = c->nr_desc - 1; i >= 0; i--)
			vq->free[vq->nr_free++] = c->desc[i];
	}
	return 1;
}

uint32_t
fe_chain_read(struct fe_sim *s, int q, uint16_t head, void *out, uint32_t len)
{
	const struct fe_chain *c = &s->vq[q].chains[head];
	uint32_t done = 0, i;

	for (i = 0; i < c->nr_buf && done < len; i++) {
		uint32_t n = c->buf[i].len < len - done ? c->buf[i].len : len - done;

		memcpy((uint8_t *)out + done, fe_ptr(s, c->buf[i].gpa), n);
		done += n;
	}
	return done;
}

uint64_t
fe_calls(struct fe_sim *s, int q)
{
	eventfd_t v = 0;

	if (s->vq[q].callfd < 0 || eventfd_read(s->vq[q].callfd, &v) < 0)
		return 0;
	return v;
}

void
fe_used_event_set(struct fe_sim *s, int q, uint16_t val)
{
	struct fe_vq *vq = &s->vq[q];

	/* Ordered before the next avail->idx store, as a driver would. */
	__atomic_store_n(&vq->avail->ring[vq->size], val, __ATOMIC_SEQ_CST);
}

uint16_t
fe_avail_event(struct fe_sim *s, int q)
{
	struct fe_vq *vq = &s->vq[q];

	return __atomic_load_n((uint16_t *)&vq->used->ring[vq->size], __ATOMIC_ACQUIRE);
}
