// SPDX-License-Identifier: (BSD-3-Clause OR GPL-2.0)
/*
 * eventfd_link: /dev/eventfd-link, which gives a process an eventfd of
 * another process.
 *
 * A vhost-cuse backend (the legacy /dev/vhost-net emulated through CUSE)
 * got QEMU's kick and call eventfds as fd numbers in QEMU's process: an
 * ioctl carries no fds. This module copied them into the backend. The
 * vhost-user protocol passes fds over its socket (SCM_RIGHTS) and needs
 * none of this; from Linux 5.6 on, pidfd_getfd(2) does the same job
 * without a module. It is kept for the callers of the legacy interface,
 * whose ioctl numbers and layouts eventfd_link.h keeps.
 *
 * Unlike the legacy module, a caller must be allowed to attach ptrace to
 * the target (see efl_may_copy_from()), and only eventfds are copied.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <linux/version.h>

#include "eventfd_link.h"

/* 6.7 changed get_file_rcu() and the fd table's RCU rules used below. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#error "eventfd_link builds for Linux < 6.7; newer kernels have pidfd_getfd(2)"
#endif

/* The task of pid nr in the caller's pid namespace, with a reference. */
static struct task_struct *efl_get_task(pid_t nr)
{
	struct task_struct *task;

	rcu_read_lock();
	task = pid_task(find_vpid(nr), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/*
 * ptrace's attach rule (PTRACE_MODE_ATTACH_REALCREDS, as pidfd_getfd(2)):
 * the caller's real uid and gid are all of the target's, and the target is
 * dumpable; or the caller has CAP_SYS_PTRACE over it. A module cannot call
 * the LSM hooks (Yama) that ptrace adds.
 */
static bool efl_may_copy_from(struct task_struct *task)
{
	const struct cred *me = current_cred(), *them;
	struct user_namespace *ns;
	bool same_ids, dumpable = false, ok;

	if (same_thread_group(task, current))
		return true;
	rcu_read_lock();
	them = __task_cred(task);
	same_ids = uid_eq(me->uid, them->uid) && uid_eq(me->uid, them->euid) &&
		   uid_eq(me->uid, them->suid) && gid_eq(me->gid, them->gid) &&
		   gid_eq(me->gid, them->egid) && gid_eq(me->gid, them->sgid);
	ns = get_user_ns(them->user_ns);
	rcu_read_unlock();

	task_lock(task);
	if (task->mm)
		dumpable = get_dumpable(task->mm) == SUID_DUMP_USER;
	task_unlock(task);

	ok = (same_ids && dumpable) || ns_capable(ns, CAP_SYS_PTRACE);
	put_user_ns(ns);
	return ok;
}

/* The file at fd of task, with a reference; NULL if fd is not open. */
static struct file *efl_get_task_file(struct task_struct *task, unsigned int fd)
{
	struct file *file = NULL;

	task_lock(task);
	if (!task->files)
		goto out;
	rcu_read_lock();
	for (;;) {
		file = files_lookup_fd_rcu(task->files, fd);
		if (!file)
			break;
		if (!get_file_rcu(file))
			continue;
		/* Closed and reused while we took it: look again. */
		if (file == files_lookup_fd_rcu(task->files, fd))
			break;
		fput(file);
	}
	rcu_read_unlock();
out:
	task_unlock(task);
	return file;
}

/* Only eventfds: the module's name says what it hands over. */
static int efl_check_eventfd(struct file *file)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fileget(file);

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	eventfd_ctx_put(ctx);
	return 0;
}

/* The eventfd fd of process pid, with a reference, in *filep. */
static int efl_take_eventfd(pid_t pid, unsigned int fd, struct file **filep)
{
	struct task_struct *task;
	struct file *file;
	int ret;

	task = efl_get_task(pid);
	if (!task)
		return -ESRCH;
	if (!efl_may_copy_from(task)) {
		put_task_struct(task);
		return -EPERM;
	}
	file = efl_get_task_file(task, fd);
	put_task_struct(task);
	if (!file)
		return -EBADF;
	ret = efl_check_eventfd(file);
	if (ret) {
		fput(file);
		return ret;
	}
	*filep = file;
	return 0;
}

static long efl_copy2(void __user *argp)
{
	struct eventfd_copy2 req;
	struct file *file;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	ret = efl_take_eventfd(req.pid, req.fd, &file);
	if (ret)
		return ret;
	/*
	 * O_NONBLOCK belongs to the open file, which the owner shares: it
	 * cannot be set for the caller alone.
	 */
	if ((req.flags & O_NONBLOCK) && !(file->f_flags & O_NONBLOCK))
		ret = -EINVAL;
	else
		ret = receive_fd(file, req.flags & O_CLOEXEC);
	fput(file);
	return ret;
}

/*
 * Point the caller's open fd at file, as dup2() would but keeping the fd's
 * FD_CLOEXEC; -EBUSY if another thread closed or replaced fd meanwhile.
 */
static int efl_replace_fd(unsigned int fd, struct file *file)
{
	struct files_struct *files = current->files;
	struct fdtable *fdt;
	struct file *old;
	int ret = -EBUSY;

	old = fget(fd);
	if (!old)
		return -EBADF;
	spin_lock(&files->file_lock);
	fdt = files_fdtable(files);
	if (fd < fdt->max_fds && rcu_access_pointer(fdt->fd[fd]) == old) {
		rcu_assign_pointer(fdt->fd[fd], get_file(file));
		ret = 0;
	}
	spin_unlock(&files->file_lock);
	if (!ret)
		filp_close(old, files);	/* the table's reference */
	fput(old);
	return ret;
}

static long efl_copy(void __user *argp)
{
	struct eventfd_copy req;
	struct file *file;
	long ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	ret = efl_take_eventfd(req.target_pid, req.target_fd, &file);
	if (ret)
		return ret;
	ret = efl_replace_fd(req.source_fd, file);
	fput(file);
	return ret;
}

static long efl_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case EVENTFD_COPY:
		return efl_copy(argp);
	case EVENTFD_COPY2:
		return efl_copy2(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations efl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = efl_ioctl,
	/* The same layouts in 32-bit processes: only the pointer converts. */
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice efl_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = EVENTFD_LINK_DEVICE,
	.fops = &efl_fops,
	.mode = 0600,
};

module_misc_device(efl_dev);

MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("eventfd_link: copy another process's eventfd (legacy vhost-cuse helper)");
