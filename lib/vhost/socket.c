/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhost-user sockets and the control thread.
 *
 * One control thread ("vhu-ctl") serves every socket of the process: it
 * sleeps in epoll_wait() on listening sockets, connections and an eventfd,
 * with a timeout for the next client reconnect. While it handles one event
 * it holds vhu_lock; vhu_driver_register()/vhu_driver_unregister() take the
 * same lock, so they never see a half-handled message.
 *
 * Epoll events carry (kind, socket index, generation) rather than pointers:
 * an event collected before an unregister or a reconnect names a generation
 * that no longer matches and is ignored (all fds are level-triggered, so a
 * live one fires again).
 *
 * Server sockets are created with mode 0600: only the owner (normally root,
 * like the DPDK process) may connect. Run the frontend as the same user, or
 * change the mode after registering.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <rte_lcore.h>
#include <rte_string_fns.h>

#include "vhu_dev.h"

#define VHU_MAX_SOCKETS		VHU_MAX_DEVICES
#define RECONNECT_MIN_MS	100u
#define RECONNECT_MAX_MS	1000u
#define CONN_IO_TIMEOUT_S	1	/* a stalled frontend blocks us no longer */
#define LISTEN_BACKLOG		8
#define EPOLL_BATCH		32

enum ev_kind {
	EV_WAKE = 1,
	EV_LISTEN,
	EV_CONN,
};

struct vhu_sock_entry {
	struct vhu_socket s;
	uint32_t reg_gen;		/* generation of the listen fd */
	uint32_t conn_gen;		/* generation of the connection */
	uint64_t retry_at_ms;		/* client: next connect attempt, 0: none */
	unsigned int backoff_ms;
	bool connect_error_logged;
	dev_t sock_dev;			/* server: the socket file we created */
	ino_t sock_ino;
};

static pthread_mutex_t vhu_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vhu_sock_entry vhu_socks[VHU_MAX_SOCKETS];
static uint32_t vhu_socks_hwm;		/* entries ever used: scans stop here */
static uint32_t vhu_gen;
static int vhu_epfd = -1;
static int vhu_wakefd = -1;
static bool vhu_ctl_started;
static pthread_t vhu_ctl_tid;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
next_gen(void)
{
	if (++vhu_gen == 0)
		vhu_gen = 1;
	return vhu_gen;
}

static uint64_t
ev_data(enum ev_kind kind, uint32_t idx, uint32_t gen)
{
	return (uint64_t)kind << 56 | (uint64_t)gen << 16 | idx;
}

static int
epoll_add(int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	if (epoll_ctl(vhu_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

static void
epoll_del(int fd)
{
	epoll_ctl(vhu_epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void
ctl_wake(void)
{
	uint64_t one = 1;

	if (write(vhu_wakefd, &one, sizeof(one)) < 0)
		VHU_LOG(DEBUG, "cannot wake the control thread: %s", strerror(errno));
}

static struct vhu_sock_entry *
sock_find(const char *path)
{
	uint32_t i;

	for (i = 0; i < vhu_socks_hwm; i++) {
		if (vhu_socks[i].s.in_use && strcmp(vhu_socks[i].s.path, path) == 0)
			return &vhu_socks[i];
	}
	return NULL;
}

static uint32_t
sock_idx(const struct vhu_sock_entry *e)
{
	return e - vhu_socks;
}

static bool
is_client(const struct vhu_sock_entry *e)
{
	return e->s.flags & VHU_REG_CLIENT;
}

static void
schedule_reconnect(struct vhu_sock_entry *e)
{
	e->retry_at_ms = now_ms() + e->backoff_ms;
	e->backoff_ms = RTE_MIN(e->backoff_ms * 2, RECONNECT_MAX_MS);
}

/* Make fd the socket's connection: a device, timeouts, epoll. */
static int
conn_attach(struct vhu_sock_entry *e, int fd)
{
	struct timeval tv = { .tv_sec = CONN_IO_TIMEOUT_S };
	struct vhu_dev *dev;
	int ret;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		VHU_LOG(ERR, "%s: cannot set socket timeouts: %s", e->s.path, strerror(-ret));
		close(fd);
		return ret;
	}
	dev = vhu_dev_alloc(&e->s, fd);
	if (dev == NULL) {
		close(fd);
		return -ENOMEM;
	}
	e->conn_gen = next_gen();
	ret = epoll_add(fd, ev_data(EV_CONN, sock_idx(e), e->conn_gen));
	if (ret < 0) {
		VHU_LOG(ERR, "%s: epoll: %s", e->s.path, strerror(-ret));
		vhu_dev_free(dev);
		return ret;
	}
	e->s.dev = dev;
	e->s.connfd = fd;
	VHU_LOG(INFO, "%s: frontend connected, vid %d", e->s.path, dev->vid);
	return 0;
}

static void
conn_close(struct vhu_sock_entry *e)
{
	struct vhu_dev *dev = e->s.dev;

	if (dev == NULL)
		return;
	epoll_del(dev->connfd);
	vhu_dev_free(dev);
	e->s.dev = NULL;
	e->s.connfd = -1;
	e->conn_gen = 0;
}

static void
conn_drop(struct vhu_sock_entry *e, int err)
{
	/* A reset is a frontend that died with our replies unread (QEMU
	 * killed amid IOTLB traffic): gone, as after an orderly close. */
	if (err == -EPIPE || err == -ECONNRESET)
		VHU_LOG(INFO, "%s: frontend disconnected%s", e->s.path,
			err == -ECONNRESET ? " (connection reset)" : "");
	else
		VHU_LOG(ERR, "%s: dropping the frontend: %s", e->s.path, strerror(-err));
	conn_close(e);
	if (is_client(e))
		schedule_reconnect(e);
}

static void
client_connect(struct vhu_sock_entry *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, flags;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		VHU_LOG(ERR, "%s: socket: %s", e->s.path, strerror(errno));
		schedule_reconnect(e);
		return;
	}
	strlcpy(sa.sun_path, e->s.path, sizeof(sa.sun_path));
	/* A Unix socket connects or fails at once: never EINPROGRESS. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!e->connect_error_logged)
			VHU_LOG(INFO, "%s: cannot connect (%s), retrying", e->s.path,
				strerror(errno));
		e->connect_error_logged = true;
		close(fd);
		schedule_reconnect(e);
		return;
	}
	/* Blocking with timeouts: a message may arrive in pieces. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		VHU_LOG(ERR, "%s: fcntl: %s", e->s.path, strerror(errno));
		close(fd);
		schedule_reconnect(e);
		return;
	}
	if (conn_attach(e, fd) < 0) {
		schedule_reconnect(e);
		return;
	}
	e->connect_error_logged = false;
	e->backoff_ms = RECONNECT_MIN_MS;
}

/* Has the frontend of the connection closed its end? */
static bool
conn_hung_up(const struct vhu_sock_entry *e)
{
	struct pollfd p = { .fd = e->s.connfd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void
server_accept(struct vhu_sock_entry *e)
{
	int fd;

	fd = accept4(e->s.listenfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			VHU_LOG(ERR, "%s: accept: %s", e->s.path, strerror(errno));
		return;
	}
	/* A frontend that reconnects at once: its old connection's hang-up
	 * may wait behind this accept in the same epoll batch. */
	if (e->s.dev != NULL && conn_hung_up(e))
		conn_drop(e, -EPIPE);
	if (e->s.dev != NULL) {
		VHU_LOG(WARNING, "%s: already serving a frontend, refusing another connection",
			e->s.path);
		close(fd);
		return;
	}
	conn_attach(e, fd);
}

static void
conn_readable(struct vhu_sock_entry *e)
{
	struct vhu_msg msg;
	int ret;

	ret = vhu_msg_recv(e->s.connfd, &msg, e->s.dev);
	if (ret == 0)
		ret = vhu_msg_handle(e->s.dev, &msg);
	if (ret < 0)
		conn_drop(e, ret);
}

/* Drop every frontend whose guest memory or dirty log faulted (guard.c):
 * those mappings hold zero pages now, and nothing it says about its memory
 * can be true. */
static void
drop_faulted(void)
{
	uint32_t i;

	for (i = 0; i < vhu_socks_hwm; i++) {
		struct vhu_sock_entry *e = &vhu_socks[i];
		const struct vhu_dev *dev = e->s.dev;

		if (!e->s.in_use || dev == NULL ||
		    !((dev->mem != NULL && vhu_mem_faulted(dev->mem)) ||
		      vhu_guard_hit(dev->log_guard)))
			continue;
		VHU_LOG(ERR, "%s: the frontend shrank the file behind its guest memory (SIGBUS)",
			e->s.path);
		conn_drop(e, -EFAULT);
	}
}

static void
handle_event(const struct epoll_event *ev)
{
	enum ev_kind kind = ev->data.u64 >> 56;
	uint32_t gen = (ev->data.u64 >> 16) & UINT32_MAX;
	uint32_t idx = ev->data.u64 & 0xffff;
	struct vhu_sock_entry *e;
	uint64_t cnt;

	if (kind == EV_WAKE) {
		if (read(vhu_wakefd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			VHU_LOG(DEBUG, "wake eventfd: %s", strerror(errno));
		if (vhu_guard_take_pending())
			drop_faulted();
		return;
	}
	if (idx >= VHU_MAX_SOCKETS)
		return;
	e = &vhu_socks[idx];
	if (!e->s.in_use)
		return;
	if (kind == EV_LISTEN && gen == e->reg_gen && e->s.listenfd >= 0)
		server_accept(e);
	else if (kind == EV_CONN && gen == e->conn_gen && e->s.dev != NULL)
		conn_readable(e);
}

static void
run_reconnects(void)
{
	uint64_t now = now_ms();
	uint32_t i;

	for (i = 0; i < vhu_socks_hwm; i++) {
		struct vhu_sock_entry *e = &vhu_socks[i];

		if (e->s.in_use && is_client(e) && e->s.dev == NULL &&
		    e->retry_at_ms != 0 && e->retry_at_ms <= now) {
			e->retry_at_ms = 0;
			client_connect(e);
		}
	}
}

/* Milliseconds until the next reconnect is due, -1 for none. */
static int
next_timeout_ms(void)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	uint32_t i;

	for (i = 0; i < vhu_socks_hwm; i++) {
		const struct vhu_sock_entry *e = &vhu_socks[i];

		if (e->s.in_use && e->s.dev == NULL && e->retry_at_ms != 0)
			next = RTE_MIN(next, e->retry_at_ms);
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)RTE_MIN(next - now, (uint64_t)RECONNECT_MAX_MS);
}

static void *
ctl_main(void *arg __rte_unused)
{
	struct epoll_event evs[EPOLL_BATCH];
	int i, n, timeout;

	for (;;) {
		pthread_mutex_lock(&vhu_lock);
		run_reconnects();
		timeout = next_timeout_ms();
		pthread_mutex_unlock(&vhu_lock);

		n = epoll_wait(vhu_epfd, evs, EPOLL_BATCH, timeout);
		if (n < 0) {
			if (errno != EINTR) {
				VHU_LOG(ERR, "epoll_wait: %s", strerror(errno));
				usleep(100 * 1000);
			}
			continue;
		}
		/* One event at a time: unregister waits for one message at most. */
		for (i = 0; i < n; i++) {
			pthread_mutex_lock(&vhu_lock);
			handle_event(&evs[i]);
			pthread_mutex_unlock(&vhu_lock);
		}
	}
	return NULL;
}

static int
ctl_start_locked(void)
{
	int ret;

	if (vhu_ctl_started)
		return 0;
	if (vhu_epfd < 0) {
		vhu_epfd = epoll_create1(EPOLL_CLOEXEC);
		if (vhu_epfd < 0)
			return -errno;
	}
	if (vhu_wakefd < 0) {
		vhu_wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vhu_wakefd < 0)
			return -errno;
		ret = epoll_add(vhu_wakefd, ev_data(EV_WAKE, 0, 0));
		if (ret < 0) {
			close(vhu_wakefd);
			vhu_wakefd = -1;
			return ret;
		}
	}
	ret = vhu_guard_init(vhu_wakefd);
	if (ret < 0)
		VHU_LOG(WARNING, "no SIGBUS guard of guest memory: %s", strerror(-ret));
	ret = rte_ctrl_thread_create(&vhu_ctl_tid, "vhu-ctl", NULL, ctl_main, NULL);
	if (ret != 0) {
		VHU_LOG(ERR, "cannot start the control thread: %s", strerror(ret));
		return ret > 0 ? -ret : ret;
	}
	vhu_ctl_started = true;
	return 0;
}

/* Clear the way for bind(): remove a stale socket, refuse anything else. */
static int
server_check_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		VHU_LOG(ERR, "%s: exists and is not a socket, not touching it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? errno : 0;
	close(fd);
	if (ret == ECONNREFUSED) {
		VHU_LOG(INFO, "%s: removing stale socket", path);
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (ret == 0 || ret == EAGAIN) {
		VHU_LOG(ERR, "%s: another process is listening on it", path);
		return -EADDRINUSE;
	}
	return -ret;
}

static int
server_listen(struct vhu_sock_entry *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = e->s.path;
	struct stat st;
	int fd, ret;

	ret = server_check_path(path);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		VHU_LOG(ERR, "%s: bind: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	/* Owner only: the frontend gets the guest memory of the port. */
	if (chmod(path, 0600) < 0 || lstat(path, &st) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		VHU_LOG(ERR, "%s: cannot set up the socket: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return ret;
	}
	e->sock_dev = st.st_dev;
	e->sock_ino = st.st_ino;
	e->reg_gen = next_gen();
	ret = epoll_add(fd, ev_data(EV_LISTEN, sock_idx(e), e->reg_gen));
	if (ret < 0) {
		close(fd);
		unlink(path);
		return ret;
	}
	e->s.listenfd = fd;
	return 0;
}

/* Remove the socket file if it is still the one we created. */
static void
server_unlink(struct vhu_sock_entry *e)
{
	struct stat st;

	if (lstat(e->s.path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == e->sock_dev && st.st_ino == e->sock_ino)
		unlink(e->s.path);
}

static struct vhu_sock_entry *
sock_alloc(void)
{
	uint32_t i;

	for (i = 0; i < VHU_MAX_SOCKETS; i++) {
		if (!vhu_socks[i].s.in_use) {
			if (i >= vhu_socks_hwm)
				vhu_socks_hwm = i + 1;
			return &vhu_socks[i];
		}
	}
	return NULL;
}

static int
register_args_check(const char *path, uint64_t flags, uint16_t max_queue_pairs,
		const struct vhu_ops *ops)
{
	size_t len;

	if (path == NULL || ops == NULL)
		return -EINVAL;
	len = strnlen(path, sizeof(((struct sockaddr_un *)0)->sun_path));
	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	if (flags & ~VHU_REG_ALL)
		return -EINVAL;
	/* TSO without checksum offload is not a valid virtio feature set. */
	if ((flags & VHU_REG_TSO) && !(flags & VHU_REG_CSUM))
		return -EINVAL;
	if ((flags & VHU_REG_LINEAR_BUF) && (flags & VHU_REG_EXTBUF))
		return -EINVAL;
	if (max_queue_pairs < 1 || max_queue_pairs > VHU_MAX_QUEUE_PAIRS)
		return -EINVAL;
	return 0;
}

int
vhu_driver_register(const char *path, uint64_t flags, uint16_t max_queue_pairs,
		const struct vhu_ops *ops, void *ctx)
{
	struct vhu_sock_entry *e;
	int ret;

	ret = register_args_check(path, flags, max_queue_pairs, ops);
	if (ret < 0) {
		VHU_LOG(ERR, "register %s: invalid arguments: %s",
			path != NULL ? path : "(null)", strerror(-ret));
		return ret;
	}

	pthread_mutex_lock(&vhu_lock);
	ret = ctl_start_locked();
	if (ret < 0)
		goto out;
	if (sock_find(path) != NULL) {
		VHU_LOG(ERR, "%s: already registered", path);
		ret = -EEXIST;
		goto out;
	}
	e = sock_alloc();
	if (e == NULL) {
		ret = -ENOSPC;
		goto out;
	}
	memset(e, 0, sizeof(*e));
	strlcpy(e->s.path, path, sizeof(e->s.path));
	e->s.flags = flags;
	e->s.max_queue_pairs = max_queue_pairs;
	e->s.ops = *ops;
	e->s.ctx = ctx;
	e->s.listenfd = -1;
	e->s.connfd = -1;
	e->s.dev = NULL;
	e->backoff_ms = RECONNECT_MIN_MS;

	if (is_client(e)) {
		e->retry_at_ms = now_ms();	/* the control thread connects */
	} else {
		ret = server_listen(e);
		if (ret < 0)
			goto out;
	}
	e->s.in_use = true;
	VHU_LOG(INFO, "%s: registered (%s, %u queue pairs)", path,
		is_client(e) ? "client" : "server", max_queue_pairs);
	ctl_wake();
out:
	pthread_mutex_unlock(&vhu_lock);
	return ret;
}

int
vhu_driver_unregister(const char *path)
{
	struct vhu_sock_entry *e;

	if (path == NULL)
		return -EINVAL;
	/* Callbacks run under vhu_lock: waiting for it there never returns. */
	if (vhu_ctl_started && pthread_equal(pthread_self(), vhu_ctl_tid)) {
		VHU_LOG(ERR, "%s: unregister called from a callback", path);
		return -EDEADLK;
	}

	pthread_mutex_lock(&vhu_lock);
	e = sock_find(path);
	if (e == NULL) {
		pthread_mutex_unlock(&vhu_lock);
		return -ENOENT;
	}
	conn_close(e);
	if (e->s.listenfd >= 0) {
		epoll_del(e->s.listenfd);
		close(e->s.listenfd);
		e->s.listenfd = -1;
		server_unlink(e);
	}
	e->s.in_use = false;
	e->reg_gen = 0;
	e->retry_at_ms = 0;
	VHU_LOG(INFO, "%s: unregistered", path);
	pthread_mutex_unlock(&vhu_lock);
	return 0;
}
