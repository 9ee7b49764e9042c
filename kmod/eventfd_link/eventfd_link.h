/* SPDX-License-Identifier: (BSD-3-Clause OR GPL-2.0) */
/*
 * eventfd_link: the ioctl interface of /dev/eventfd-link, for kernel and
 * user space. The layout and numbers are those of the legacy module that
 * vhost-cuse backends used, so their callers work unchanged.
 */
#ifndef EVENTFD_LINK_H
#define EVENTFD_LINK_H

#include <linux/ioctl.h>
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <sys/types.h>
#endif

#define EVENTFD_LINK_DEVICE "eventfd-link"

/*
 * EVENTFD_COPY: make the caller's open fd source_fd refer to the eventfd
 * target_fd of process target_pid (its FD_CLOEXEC flag kept). Returns 0.
 * (The legacy number: it is not an _IOW() code.)
 */
struct eventfd_copy {
	unsigned int target_fd;	/* fd in the target process */
	unsigned int source_fd;	/* fd of the caller to replace */
	pid_t target_pid;	/* the target process */
};
#define EVENTFD_COPY 1

/*
 * EVENTFD_COPY2: a new fd of the caller for the eventfd fd of process pid.
 * flags: O_CLOEXEC, and O_NONBLOCK only if that eventfd is non-blocking
 * already (its open file is shared with its owner). Returns the new fd.
 */
struct eventfd_copy2 {
	unsigned int fd;	/* fd in the target process */
	pid_t pid;		/* the target process */
	unsigned int flags;	/* of the new fd */
};
#define EVENTFD_COPY2 _IOW('D', 2, struct eventfd_copy2)

#endif /* EVENTFD_LINK_H */
