/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Rx queue interrupts: an application (l3fwd-power style) arms a queue with
 * rte_eth_dev_rx_intr_enable(), sleeps in rte_epoll_wait() on the queue's
 * event fd, and wakes when the guest kicks the vring our Rx queue reads.
 *
 * The guest's kick eventfd changes with every (re)connection, but the
 * application registers the queue's fd in its epoll once. So the fd it
 * gets is a proxy: one epoll fd per Rx queue, made at dev_start and kept
 * until close, that holds the current kick fd (a dup of the library's, so
 * that a library close does not pull it away under us; taken out of the
 * proxy explicitly before it is closed). efd_counter_size 0:
 * EAL reads nothing from the proxy; we drain the kick fd when the queue is
 * armed or disarmed. A new kick fd is kicked once by us, so that a sleeper
 * wakes, polls and re-arms on the new vring (a vring reset disarms it).
 *
 * Everything here runs under internal->lock: the kick fd is replaced by
 * the library's control thread (vring_state_changed), arming runs on the
 * application's lcore.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <rte_interrupts.h>

#include "eth_vhost.h"

static void
kick_drain(int kickfd)
{
	struct pollfd p = { .fd = kickfd, .events = POLLIN };
	eventfd_t v;

	/* The frontend made it and may have made it blocking: read only
	 * when there is something to read. */
	if (kickfd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
		(void)eventfd_read(kickfd, &v);
}

/* Put the current kick fd of Rx queue qid into its proxy (lock held). */
static void
proxy_attach(struct pmd_internal *internal, uint16_t qid)
{
	struct eth_vhost_rxintr *ri = &internal->rxintr[qid];
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = qid };

	if (ri->epfd < 0 || ri->kickfd < 0)
		return;
	if (epoll_ctl(ri->epfd, EPOLL_CTL_ADD, ri->kickfd, &ev) < 0 && errno != EEXIST)
		VHOST_LOG(ERR, "rxq %u: cannot watch the guest kick fd: %s",
			qid, strerror(errno));
	/* Wake a sleeper: it must poll and re-arm on this vring. */
	(void)eventfd_write(ri->kickfd, 1);
}

void
eth_vhost_intr_kickfd_update(struct pmd_internal *internal, uint16_t qid,
		int vid, bool enabled)
{
	struct eth_vhost_rxintr *ri = &internal->rxintr[qid];

	/* Out of the proxy first: the library's fd keeps the eventfd
	 * open, so closing our dup alone would leave it registered. */
	if (ri->kickfd >= 0) {
		if (ri->epfd >= 0)
			(void)epoll_ctl(ri->epfd, EPOLL_CTL_DEL, ri->kickfd, NULL);
		close(ri->kickfd);
	}
	ri->kickfd = -1;
	if (!enabled)
		return;
	ri->kickfd = vhu_vring_kickfd_dup(vid, 2 * qid + 1);
	if (ri->kickfd < 0) {
		VHOST_LOG(DEBUG, "rxq %u: no kick fd: %s", qid, strerror(-ri->kickfd));
		ri->kickfd = -1;
		return;
	}
	proxy_attach(internal, qid);
}

void
eth_vhost_intr_uninstall(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	unsigned int i;

	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		if (internal->rxintr[i].epfd >= 0)
			close(internal->rxintr[i].epfd);
		internal->rxintr[i].epfd = -1;
	}
	if (dev->intr_handle != NULL) {
		rte_intr_vec_list_free(dev->intr_handle);
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
	}
	internal->nb_intr = 0;
}

/* Lock held. Make the interrupt handle and one proxy per Rx queue. */
int
eth_vhost_intr_install(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	uint16_t nb = dev->data->nb_rx_queues, i;
	struct rte_intr_handle *h;

	if (internal->nb_intr == nb && dev->intr_handle != NULL)
		return 0;	/* kept across stop/start */
	eth_vhost_intr_uninstall(dev);
	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h == NULL)
		return -ENOMEM;
	dev->intr_handle = h;
	if (rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) ||
	    rte_intr_efd_counter_size_set(h, 0) ||
	    rte_intr_vec_list_alloc(h, NULL, nb) ||
	    rte_intr_nb_efd_set(h, nb) ||
	    rte_intr_max_intr_set(h, nb + 1))
		goto fail;
	for (i = 0; i < nb; i++) {
		int fd = epoll_create1(EPOLL_CLOEXEC);

		if (fd < 0)
			goto fail;
		internal->rxintr[i].epfd = fd;
		if (rte_intr_vec_list_index_set(h, i, RTE_INTR_VEC_RXTX_OFFSET + i) ||
		    rte_intr_efds_index_set(h, i, fd))
			goto fail;
		proxy_attach(internal, i);
	}
	internal->nb_intr = nb;
	return 0;
fail:
	VHOST_LOG(ERR, "%s: cannot set up Rx interrupts", dev->data->name);
	eth_vhost_intr_uninstall(dev);
	return -ENOMEM;
}

/* Turn guest kicks on or off for Rx queue qid. */
static int
intr_set(struct rte_eth_dev *dev, uint16_t qid, bool on)
{
	struct pmd_internal *internal = dev->data->dev_private;
	struct eth_vhost_rxintr *ri;
	int ret = 0;

	pthread_mutex_lock(&internal->lock);
	if (qid >= internal->nb_intr) {
		pthread_mutex_unlock(&internal->lock);
		return -EINVAL;
	}
	ri = &internal->rxintr[qid];
	kick_drain(ri->kickfd);
	if (internal->attached) {
		ret = vhu_vring_notify(internal->vid, 2 * qid + 1, on);
		/* Packets already there: no kick will come for them. */
		if (ret == 1 && ri->kickfd >= 0)
			(void)eventfd_write(ri->kickfd, 1);
	}
	pthread_mutex_unlock(&internal->lock);
	/* No guest or vring not ready: the kick of the next vring wakes. */
	return ret < 0 && ret != -ENODEV ? ret : 0;
}

int
eth_vhost_rx_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	return intr_set(dev, qid, true);
}

int
eth_vhost_rx_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	return intr_set(dev, qid, false);
}
