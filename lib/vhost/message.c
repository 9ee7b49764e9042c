/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-user messages: reading them off the socket, checking them against
 * one table of what each request may look like, dispatching them to their
 * handler (handlers.c) and replying.
 *
 * A message whose framing cannot be trusted (bad version, a payload too
 * large or of the wrong size for its request, truncated ancillary data) is a
 * protocol error: the connection is dropped, since we cannot tell where the
 * next message starts or what the frontend meant. A well-framed message we
 * refuse (unknown request, wrong number of fds, missing feature) keeps the
 * connection and is answered with a failure: a nack when the frontend asked
 * for an acknowledgement, and for a request that has a reply of its own an
 * empty reply (no payload), which every frontend checks the size of.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "vhu_dev.h"

/* Payload size rules besides an exact size. */
#define SIZE_ANY	UINT32_MAX		/* refused requests: any sane size */
#define SIZE_MEM_TABLE	(UINT32_MAX - 1)	/* 8 + nregions * 32 */
#define SIZE_IOTLB	(UINT32_MAX - 2)	/* 26 to 32 (vhu_proto.h) */

enum fd_rule {
	FDS_NONE,	/* no fd */
	FDS_VRING,	/* one, none with VHU_VRING_NOFD in the u64 payload */
	FDS_MEM,	/* one per memory region */
	FDS_ONE,	/* exactly one */
	FDS_OPT,	/* none or one, closed unused (REM_MEM_REG, vhost-user.rst) */
	FDS_ANY,	/* refused requests: closed unread */
};

struct vhu_msg_spec {
	const char *name;
	uint32_t size;
	enum fd_rule fds;
	uint64_t need_protocol;	/* protocol feature bits it requires */
	bool reply;		/* the frontend waits for an answer */
};

#define U64	sizeof(uint64_t)
#define STATE	sizeof(struct vhu_vring_state)
#define ADDR	sizeof(struct vhu_vring_addr)
#define MEMREG	sizeof(struct vhu_single_mem_region)
#define PF(f)	VHU_BIT(VHU_PROTOCOL_F_ ## f)

static const struct vhu_msg_spec vhu_msg_specs[VHU_REQ_MAX] = {
	[VHU_REQ_GET_FEATURES] = { "GET_FEATURES", 0, FDS_NONE, 0, true },
	[VHU_REQ_SET_FEATURES] = { "SET_FEATURES", U64, FDS_NONE, 0 },
	[VHU_REQ_SET_OWNER] = { "SET_OWNER", 0, FDS_NONE, 0 },
	[VHU_REQ_RESET_OWNER] = { "RESET_OWNER", 0, FDS_NONE, 0 },
	[VHU_REQ_SET_MEM_TABLE] = { "SET_MEM_TABLE", SIZE_MEM_TABLE, FDS_MEM, 0 },
	/* Its reply: request_has_reply(). */
	[VHU_REQ_SET_LOG_BASE] = { "SET_LOG_BASE", sizeof(struct vhu_log_desc), FDS_ONE,
		PF(LOG_SHMFD) },
	[VHU_REQ_SET_LOG_FD] = { "SET_LOG_FD", SIZE_ANY, FDS_ANY, 0 },
	[VHU_REQ_SET_VRING_NUM] = { "SET_VRING_NUM", STATE, FDS_NONE, 0 },
	[VHU_REQ_SET_VRING_ADDR] = { "SET_VRING_ADDR", ADDR, FDS_NONE, 0 },
	[VHU_REQ_SET_VRING_BASE] = { "SET_VRING_BASE", STATE, FDS_NONE, 0 },
	[VHU_REQ_GET_VRING_BASE] = { "GET_VRING_BASE", STATE, FDS_NONE, 0, true },
	[VHU_REQ_SET_VRING_KICK] = { "SET_VRING_KICK", U64, FDS_VRING, 0 },
	[VHU_REQ_SET_VRING_CALL] = { "SET_VRING_CALL", U64, FDS_VRING, 0 },
	[VHU_REQ_SET_VRING_ERR] = { "SET_VRING_ERR", U64, FDS_VRING, 0 },
	[VHU_REQ_GET_PROTOCOL_FEATURES] = { "GET_PROTOCOL_FEATURES", 0, FDS_NONE, 0, true },
	[VHU_REQ_SET_PROTOCOL_FEATURES] = { "SET_PROTOCOL_FEATURES", U64, FDS_NONE, 0 },
	[VHU_REQ_GET_QUEUE_NUM] = { "GET_QUEUE_NUM", 0, FDS_NONE,
		VHU_BIT(VHU_PROTOCOL_F_MQ), true },
	[VHU_REQ_SET_VRING_ENABLE] = { "SET_VRING_ENABLE", STATE, FDS_NONE, 0 },
	[VHU_REQ_SEND_RARP] = { "SEND_RARP", U64, FDS_NONE, PF(RARP) },
	[VHU_REQ_NET_SET_MTU] = { "NET_SET_MTU", U64, FDS_NONE, PF(NET_MTU) },
	[VHU_REQ_SET_BACKEND_REQ_FD] = { "SET_BACKEND_REQ_FD", 0, FDS_ONE, PF(BACKEND_REQ) },
	[VHU_REQ_IOTLB_MSG] = { "IOTLB_MSG", SIZE_IOTLB, FDS_NONE, 0 },
	[VHU_REQ_SET_VRING_ENDIAN] = { "SET_VRING_ENDIAN", SIZE_ANY, FDS_ANY, 0 },
	[VHU_REQ_GET_CONFIG] = { "GET_CONFIG", SIZE_ANY, FDS_ANY, 0, true },
	[VHU_REQ_SET_CONFIG] = { "SET_CONFIG", SIZE_ANY, FDS_ANY, 0 },
	/* Its reply carries the userfaultfd. */
	[VHU_REQ_POSTCOPY_ADVISE] = { "POSTCOPY_ADVISE", 0, FDS_NONE, PF(PAGEFAULT), true },
	[VHU_REQ_POSTCOPY_LISTEN] = { "POSTCOPY_LISTEN", 0, FDS_NONE, PF(PAGEFAULT) },
	[VHU_REQ_POSTCOPY_END] = { "POSTCOPY_END", 0, FDS_NONE, PF(PAGEFAULT), true },
	[VHU_REQ_GET_INFLIGHT_FD] = { "GET_INFLIGHT_FD", SIZE_ANY, FDS_ANY, 0, true },
	[VHU_REQ_SET_INFLIGHT_FD] = { "SET_INFLIGHT_FD", SIZE_ANY, FDS_ANY, 0 },
	[VHU_REQ_GET_MAX_MEM_SLOTS] = { "GET_MAX_MEM_SLOTS", 0, FDS_NONE,
		PF(CONFIGURE_MEM_SLOTS), true },
	[VHU_REQ_ADD_MEM_REG] = { "ADD_MEM_REG", MEMREG, FDS_ONE, PF(CONFIGURE_MEM_SLOTS) },
	[VHU_REQ_REM_MEM_REG] = { "REM_MEM_REG", MEMREG, FDS_OPT, PF(CONFIGURE_MEM_SLOTS) },
	[VHU_REQ_SET_STATUS] = { "SET_STATUS", U64, FDS_NONE, PF(STATUS) },
	[VHU_REQ_GET_STATUS] = { "GET_STATUS", 0, FDS_NONE, PF(STATUS), true },
};

#define MEM_TABLE_HDR	offsetof(struct vhu_mem_table_desc, regions)
#define MEM_REGION_SIZE	sizeof(struct vhu_mem_region_desc)

/* Unknown request codes already logged (higher codes share the last bit). */
#define UNKNOWN_LOGGED_MAX	1024u
static uint64_t vhu_unknown_logged[UNKNOWN_LOGGED_MAX / 64];

static const struct vhu_msg_spec *
msg_spec(uint32_t request)
{
	if (request >= VHU_REQ_MAX || vhu_msg_specs[request].name == NULL)
		return NULL;
	return &vhu_msg_specs[request];
}

void
vhu_msg_close_fds(struct vhu_msg *msg)
{
	int i;

	for (i = 0; i < VHU_MAX_FDS; i++) {
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
		msg->fds[i] = -1;
	}
	msg->nr_fds = 0;
}

/* Take the fds out of the ancillary data; on error close every one. */
static int
msg_collect_fds(struct msghdr *mh, struct vhu_msg *msg)
{
	struct cmsghdr *cm;
	int err = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n, i;
		int fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0)) {
			err = -EPROTO;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (msg->nr_fds < VHU_MAX_FDS)
				msg->fds[msg->nr_fds++] = fd;
			else {
				close(fd);
				err = -EPROTO;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		err = -EPROTO;
	if (err < 0) {
		VHU_LOG(ERR, "bad or truncated ancillary data");
		vhu_msg_close_fds(msg);
	}
	return err;
}

/*
 * The whole message must arrive within this time of its first byte. A
 * per-recv() timeout is not enough: a frontend dripping one byte a second
 * would hold the control thread, and every other port's messages, for as
 * long as it likes.
 */
#define MSG_IO_TIMEOUT_MS	1000

static uint64_t
msg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly len bytes, giving up at deadline (CLOCK_MONOTONIC ms). */
static int
read_full(int fd, void *buf, size_t len, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t *p = buf;
	uint64_t now;
	ssize_t n;

	while (len > 0) {
		now = msg_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int
recv_header(int fd, struct vhu_msg *msg, uint64_t *deadline)
{
	union {
		char buf[CMSG_SPACE(VHU_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {
		.iov_base = &msg->hdr,
		.iov_len = VHU_MSG_HDR_SIZE,
	};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;
	int ret;

	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;

	*deadline = msg_now_ms() + MSG_IO_TIMEOUT_MS;
	ret = msg_collect_fds(&mh, msg);
	if (ret < 0)
		return ret;
	/* A stream socket may split the header; fds came with its first byte. */
	if ((size_t)n < VHU_MSG_HDR_SIZE) {
		ret = read_full(fd, (uint8_t *)&msg->hdr + n, VHU_MSG_HDR_SIZE - n,
				*deadline);
		if (ret < 0) {
			vhu_msg_close_fds(msg);
			return ret;
		}
	}
	return 0;
}

static bool
mem_table_size_ok(uint32_t size)
{
	uint32_t n;

	if (size < MEM_TABLE_HDR || (size - MEM_TABLE_HDR) % MEM_REGION_SIZE)
		return false;
	n = (size - MEM_TABLE_HDR) / MEM_REGION_SIZE;
	return n >= 1 && n <= VHU_MAX_MEM_REGIONS;
}

/* Is the payload size right for the request? Checked before reading it. */
static bool
size_ok(const struct vhu_msg_spec *spec, uint32_t size)
{
	if (spec == NULL || spec->size == SIZE_ANY)
		return true;
	if (spec->size == SIZE_MEM_TABLE)
		return mem_table_size_ok(size);
	if (spec->size == SIZE_IOTLB)
		return size >= VHU_IOTLB_MSG_MIN && size <= sizeof(struct vhu_iotlb_msg);
	return size == spec->size;
}

/* Checks that need the payload: 0, or a protocol error. */
static int
payload_ok(const struct vhu_msg *msg)
{
	uint32_t n;

	if (msg->hdr.request != VHU_REQ_SET_MEM_TABLE)
		return 0;
	n = msg->payload.memory.nregions;
	if (n < 1 || n > VHU_MAX_MEM_REGIONS ||
	    msg->hdr.size != MEM_TABLE_HDR + n * MEM_REGION_SIZE) {
		VHU_LOG(ERR, "SET_MEM_TABLE: %u regions in a %u byte payload",
			n, msg->hdr.size);
		return -EPROTO;
	}
	return 0;
}

int
vhu_msg_recv(int fd, struct vhu_msg *msg, const struct vhu_dev *dev)
{
	const struct vhu_msg_spec *spec;
	uint32_t request, flags, size;
	uint64_t deadline = 0;
	int i, ret;

	msg->nr_fds = 0;
	for (i = 0; i < VHU_MAX_FDS; i++)
		msg->fds[i] = -1;
	msg->reply_fd = -1;
	msg->postcopy_ack = false;

	ret = recv_header(fd, msg, &deadline);
	if (ret < 0)
		return ret;

	request = msg->hdr.request;
	flags = msg->hdr.flags;
	size = msg->hdr.size;
	spec = msg_spec(request);
	if ((flags & VHU_MSG_VERSION_MASK) != VHU_MSG_VERSION) {
		VHU_LOG(ERR, "request %u: bad protocol version %u", request,
			flags & VHU_MSG_VERSION_MASK);
		ret = -EPROTO;
		goto err;
	}
	if (size > sizeof(msg->payload)) {
		VHU_LOG(ERR, "request %u: payload of %u bytes is too large", request, size);
		ret = -EMSGSIZE;
		goto err;
	}
	if (vhu_postcopy_is_ack(dev, request, size) && msg->nr_fds == 0) {
		msg->postcopy_ack = true;
		return read_full(fd, &msg->payload, size, deadline);
	}
	if (!size_ok(spec, size)) {
		VHU_LOG(ERR, "%s: wrong payload size %u", spec->name, size);
		ret = -EPROTO;
		goto err;
	}

	ret = read_full(fd, &msg->payload, size, deadline);
	if (ret < 0) {
		VHU_LOG(ERR, "request %u: cannot read payload: %s", request, strerror(-ret));
		goto err;
	}
	ret = payload_ok(msg);
	if (ret < 0)
		goto err;
	return 0;
err:
	vhu_msg_close_fds(msg);
	return ret;
}

/* The first part of a reply, with msg->reply_fd if it has one. */
static ssize_t
send_first(int fd, const struct vhu_msg *msg, const void *p, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (msg->reply_fd < 0)
		return send(fd, p, len, MSG_NOSIGNAL);
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &msg->reply_fd, sizeof(int));
	return sendmsg(fd, &mh, MSG_NOSIGNAL);
}

int
vhu_msg_send_reply(int fd, struct vhu_msg *msg)
{
	const uint8_t *p = (const uint8_t *)msg;
	size_t len = VHU_MSG_HDR_SIZE + msg->hdr.size;
	uint64_t deadline = msg_now_ms() + MSG_IO_TIMEOUT_MS;
	bool first = true;
	ssize_t n;

	if (msg->hdr.size > sizeof(msg->payload))
		return -EINVAL;
	while (len > 0) {
		/* Each send() is bounded by SO_SNDTIMEO, the reply by this. */
		if (msg_now_ms() >= deadline) {
			VHU_LOG(ERR, "cannot send reply: the frontend does not read");
			return -ETIMEDOUT;
		}
		n = first ? send_first(fd, msg, p, len) : send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			VHU_LOG(ERR, "cannot send reply: %s", strerror(errno));
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
		}
		first = false;
		p += n;
		len -= n;
	}
	return 0;
}

static void
log_unknown_once(const struct vhu_dev *dev, uint32_t request)
{
	uint32_t bit = RTE_MIN(request, UNKNOWN_LOGGED_MAX - 1);
	uint64_t mask = 1ULL << (bit % 64);

	if (vhu_unknown_logged[bit / 64] & mask)
		return;
	vhu_unknown_logged[bit / 64] |= mask;
	VHU_LOG(WARNING, "%s: unknown request %u refused", dev->ifname, request);
}

static int
expected_fds(const struct vhu_msg_spec *spec, const struct vhu_msg *msg)
{
	switch (spec->fds) {
	case FDS_VRING:
		return (msg->payload.u64 & VHU_VRING_NOFD) ? 0 : 1;
	case FDS_MEM:
		return msg->payload.memory.nregions;
	case FDS_ONE:
		return 1;
	case FDS_OPT:
		return msg->nr_fds <= 1 ? msg->nr_fds : 1;
	case FDS_ANY:
		return msg->nr_fds;
	case FDS_NONE:
	default:
		return 0;
	}
}

/* SET_LOG_BASE has a reply only with LOG_SHMFD: QEMU reads one then. */
static bool
request_has_reply(const struct vhu_dev *dev, uint32_t request)
{
	const struct vhu_msg_spec *spec = msg_spec(request);

	if (request == VHU_REQ_SET_LOG_BASE)
		return dev->protocol_features & VHU_BIT(VHU_PROTOCOL_F_LOG_SHMFD);
	return spec != NULL && spec->reply;
}

/* Check a message against the rules of its request and run its handler. */
static int
msg_dispatch(struct vhu_dev *dev, struct vhu_msg *msg)
{
	const struct vhu_msg_spec *spec = msg_spec(msg->hdr.request);
	vhu_handler_t handler;
	int want;

	if (spec == NULL) {
		log_unknown_once(dev, msg->hdr.request);
		return VHU_HANDLED_ERR;
	}
	if (spec->fds == FDS_ANY) {
		/* In the table for its name and size only. */
		VHU_LOG(ERR, "%s: %s not supported, refused", dev->ifname, spec->name);
		return VHU_HANDLED_ERR;
	}
	VHU_LOG(DEBUG, "%s: %s (size %u, %d fds)", dev->ifname, spec->name,
		msg->hdr.size, msg->nr_fds);

	want = expected_fds(spec, msg);
	if (msg->nr_fds != want) {
		VHU_LOG(ERR, "%s: %s with %d fds, expected %d", dev->ifname,
			spec->name, msg->nr_fds, want);
		return VHU_HANDLED_ERR;
	}
	if ((dev->protocol_features & spec->need_protocol) != spec->need_protocol) {
		VHU_LOG(ERR, "%s: %s without the protocol feature it needs",
			dev->ifname, spec->name);
		return VHU_HANDLED_ERR;
	}
	handler = vhu_handler_get(msg->hdr.request);
	if (handler == NULL) {
		VHU_LOG(ERR, "%s: %s not supported", dev->ifname, spec->name);
		return VHU_HANDLED_ERR;
	}
	return handler(dev, msg);
}

int
vhu_msg_handle(struct vhu_dev *dev, struct vhu_msg *msg)
{
	uint64_t ack = VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK);
	bool need_reply = msg->hdr.flags & VHU_MSG_NEED_REPLY;
	uint64_t proto_before = dev->protocol_features;
	int ret;

	if (msg->postcopy_ack) {
		vhu_postcopy_acked(dev, msg->payload.u64);
		return 0;
	}
	ret = msg_dispatch(dev, msg);
	/* Handlers set an fd to -1 when they keep it. */
	vhu_msg_close_fds(msg);

	if (ret == VHU_HANDLED_FATAL)
		return -EPROTO;
	msg->hdr.flags = VHU_MSG_VERSION | VHU_MSG_REPLY;
	/* A refused request with a reply of its own still gets one, or the
	 * frontend would wait forever: empty, which no frontend accepts as
	 * an answer. */
	if (ret != VHU_HANDLED_REPLY && request_has_reply(dev, msg->hdr.request)) {
		VHU_LOG(ERR, "%s: request %u refused: empty reply", dev->ifname,
			msg->hdr.request);
		msg->hdr.size = 0;
		return vhu_msg_send_reply(dev->connfd, msg);
	}
	if (ret == VHU_HANDLED_REPLY)
		return vhu_msg_send_reply(dev->connfd, msg);
	/* SET_PROTOCOL_FEATURES may itself turn acknowledgements on. */
	if (need_reply && ((proto_before | dev->protocol_features) & ack)) {
		msg->hdr.size = sizeof(msg->payload.u64);
		msg->payload.u64 = ret == VHU_HANDLED_OK ? 0 : 1;
		return vhu_msg_send_reply(dev->connfd, msg);
	}
	return 0;
}
