/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The net_vhost ethdev: a port whose peer is a vhost-user frontend (QEMU,
 * virtio_user), served by our vhu library. Probe, ethdev ops and the
 * library callbacks.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_ether.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <bus_vdev_driver.h>

#include "eth_vhost.h"
#include "vhu_proto.h"

RTE_LOG_REGISTER(eth_vhost_logtype, pmd.net.vhost, INFO);

#define ETH_VHOST_MIN_MTU	64
#define ETH_VHOST_MAX_MTU	9600
/* The largest packet the library takes from a guest (its GSO included). */
#define ETH_VHOST_MAX_LRO_PKT	(64 * 1024)

static const struct eth_dev_ops eth_vhost_ops;

struct pmd_internal *
eth_vhost_internal_get(uint16_t port_id)
{
	struct rte_eth_dev *dev;

	if (!rte_eth_dev_is_valid_port(port_id))
		return NULL;
	dev = &rte_eth_devices[port_id];
	if (dev->dev_ops != &eth_vhost_ops)
		return NULL;
	return dev->data->dev_private;
}

/* ------------------------------------------------------- queue open/close */

/* The vid a burst uses is only written while bursts are kept out. */
static void
queue_open(struct eth_vhost_queue *q, int vid)
{
	/* The library counts drops per guest vring, from 0 for a new
	 * connection on a reused vid: restart from its count now. */
	q->lib_ctr = vhu_vring_counters_ref(vid, q->vring);
	q->lib_drops_seen = __atomic_load_n(&q->lib_ctr->drops, __ATOMIC_RELAXED);
	q->lib_calls_seen = __atomic_load_n(&q->lib_ctr->calls, __ATOMIC_RELAXED);
	q->vid = vid;
	q->sw_tso = 0;
	if (q->tx_tso) {
		uint64_t f = vhu_get_negotiated_features(vid);

		if (!(f & VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO4)))
			q->sw_tso |= ETH_VHOST_SW_TSO4;
		if (!(f & VHU_BIT(VHU_VIRTIO_NET_F_GUEST_TSO6)))
			q->sw_tso |= ETH_VHOST_SW_TSO6;
	}
	eth_vhost_queue_allow(q);
}

/* Open or close every queue for the bursts, as the port state says.
 * Called with internal->lock held. Closing waits for bursts to leave:
 * all queues are shut first, so that one heavy fence (fence.c) serves
 * them all. */
static void
queues_update(struct pmd_internal *internal)
{
	bool allow = internal->started && internal->attached;
	struct eth_vhost_queue *qs[2 * ETH_VHOST_MAX_QUEUES];
	unsigned int i, n = 0;

	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		if (internal->rxqs[i] != NULL)
			qs[n++] = internal->rxqs[i];
		if (internal->txqs[i] != NULL)
			qs[n++] = internal->txqs[i];
	}
	if (allow) {
		for (i = 0; i < n; i++)
			queue_open(qs[i], internal->vid);
		return;
	}
	for (i = 0; i < n; i++)
		eth_vhost_queue_shut(qs[i]);
	vhu_fence_heavy();
	for (i = 0; i < n; i++) {
		eth_vhost_queue_wait(qs[i]);
		qs[i]->vid = internal->vid;
	}
}

/* Returns 0 if the link status changed, -1 if not (as link_update). */
static int
link_set(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = RTE_ETH_SPEED_NUM_10G,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_AUTONEG,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	return rte_eth_linkstatus_set(dev, &link);
}

/* ------------------------------------------------------ library callbacks */

/* The port behind vid, from the ctx given to vhu_driver_register(). */
static struct rte_eth_dev *
vid_to_eth_dev(int vid, const char *what)
{
	struct rte_eth_dev *dev = vhu_get_ctx(vid);

	if (dev == NULL || dev->data == NULL || dev->data->dev_private == NULL) {
		VHOST_LOG(ERR, "%s: vid %d has no port", what, vid);
		return NULL;
	}
	return dev;
}

static int
new_device(int vid)
{
	struct rte_eth_dev *dev = vid_to_eth_dev(vid, __func__);
	struct pmd_internal *internal;

	if (dev == NULL)
		return -ENODEV;
	internal = dev->data->dev_private;

	pthread_mutex_lock(&internal->lock);
	if (internal->attached) {
		pthread_mutex_unlock(&internal->lock);
		VHOST_LOG(ERR, "%s: already serving vid %d, refusing vid %d",
			dev->data->name, internal->vid, vid);
		return -EBUSY;
	}
	__atomic_store_n(&internal->vid, vid, __ATOMIC_RELEASE);
	__atomic_store_n(&internal->attached, true, __ATOMIC_RELEASE);
	queues_update(internal);
	link_set(dev, true);
	pthread_mutex_unlock(&internal->lock);

	VHOST_LOG(INFO, "%s: guest attached (vid %d, features 0x%" PRIx64 ")",
		dev->data->name, vid, vhu_get_negotiated_features(vid));
	/* Outside the lock: application callbacks may call back into us. */
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
	return 0;
}

/* Report every vring last seen enabled as disabled. Lock held. Returns the
 * number of events queued. */
static unsigned int
vrings_disable_all(struct pmd_internal *internal)
{
	unsigned int v, n = 0;

	for (v = 0; v < 2u * internal->args.queues; v++) {
		if (!internal->vring_enabled[v])
			continue;
		internal->vring_enabled[v] = false;
		eth_vhost_events_push(&internal->events, v / 2, v & 1, false);
		if (v & 1)
			eth_vhost_intr_kickfd_update(internal, v / 2, -1, false);
		n++;
	}
	return n;
}

static void
destroy_device(int vid)
{
	struct rte_eth_dev *dev = vid_to_eth_dev(vid, __func__);
	struct pmd_internal *internal;
	unsigned int nev;

	if (dev == NULL)
		return;
	internal = dev->data->dev_private;

	pthread_mutex_lock(&internal->lock);
	if (!internal->attached || internal->vid != vid) {
		pthread_mutex_unlock(&internal->lock);
		VHOST_LOG(DEBUG, "%s: destroy of vid %d that is not attached",
			dev->data->name, vid);
		return;
	}
	/* The library may reuse vid once we return: every burst must be out
	 * and none may start again with it. */
	__atomic_store_n(&internal->attached, false, __ATOMIC_RELEASE);
	__atomic_store_n(&internal->vid, -1, __ATOMIC_RELEASE);
	queues_update(internal);
	nev = vrings_disable_all(internal);
	link_set(dev, false);
	pthread_mutex_unlock(&internal->lock);

	VHOST_LOG(INFO, "%s: guest detached (vid %d)", dev->data->name, vid);
	while (nev-- > 0)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_QUEUE_STATE,
				NULL);
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static int
vring_state_changed(int vid, uint16_t vring, int enable)
{
	struct rte_eth_dev *dev = vid_to_eth_dev(vid, __func__);
	struct pmd_internal *internal;
	bool on = enable != 0;

	if (dev == NULL)
		return -ENODEV;
	internal = dev->data->dev_private;

	pthread_mutex_lock(&internal->lock);
	if (!internal->attached || internal->vid != vid) {
		pthread_mutex_unlock(&internal->lock);
		VHOST_LOG(DEBUG, "%s: vring %u state of vid %d that is not attached",
			dev->data->name, vring, vid);
		return 0;
	}
	if (vring >= 2u * internal->args.queues) {
		pthread_mutex_unlock(&internal->lock);
		VHOST_LOG(INFO, "%s: ignoring vring %u: the port has %u queue pairs",
			dev->data->name, vring, internal->args.queues);
		return 0;
	}
	if (internal->vring_enabled[vring] == on) {
		pthread_mutex_unlock(&internal->lock);
		return 0;
	}
	internal->vring_enabled[vring] = on;
	eth_vhost_events_push(&internal->events, vring / 2, vring & 1, on);
	if (vring & 1)		/* the guest's Tx vring: our Rx queue */
		eth_vhost_intr_kickfd_update(internal, vring / 2, vid, on);
	pthread_mutex_unlock(&internal->lock);

	VHOST_LOG(INFO, "%s: %s queue %u %s", dev->data->name,
		vring & 1 ? "rx" : "tx", vring / 2,
		on ? "enabled" : "disabled");
	rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_QUEUE_STATE, NULL);
	return 0;
}

static const struct vhu_ops eth_vhost_vhu_ops = {
	.new_device = new_device,
	.destroy_device = destroy_device,
	.vring_state_changed = vring_state_changed,
};

/* -------------------------------------------------------------- ethdev ops */

/*
 * A guest's partial checksums (RTE_MBUF_F_RX_L4_CKSUM_NONE) are completed
 * in software unless the application enabled Rx checksum offload, i.e.
 * said it handles that flag (as DPDK's net_vhost). Legacy mode hands them
 * on as RTE_MBUF_F_TX_* requests instead.
 */
static bool
rx_sw_csum_wanted(const struct rte_eth_dev *dev)
{
	const struct pmd_internal *internal = dev->data->dev_private;

	return !internal->args.legacy_ol_flags &&
		!(dev->data->dev_conf.rxmode.offloads &
		  (RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM));
}

/* Queues read their flag per burst; they are out while the port is stopped. */
static void
rx_sw_csum_update(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	unsigned int i;

	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++)
		if (internal->rxqs[i] != NULL)
			internal->rxqs[i]->rx_sw_csum = rx_sw_csum_wanted(dev);
}

static int
eth_vhost_dev_configure(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	uint16_t max = internal->args.queues;

	if (dev->data->nb_rx_queues > max || dev->data->nb_tx_queues > max) {
		VHOST_LOG(ERR, "%s: %u rx / %u tx queues requested, the port has %u (devarg 'queues')",
			dev->data->name, dev->data->nb_rx_queues,
			dev->data->nb_tx_queues, max);
		return -EINVAL;
	}
	rx_sw_csum_update(dev);
	internal->vlan_strip = (dev->data->dev_conf.rxmode.offloads &
			RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
	return 0;
}

static void
queue_states_set(struct rte_eth_dev *dev, uint8_t state)
{
	uint16_t i;

	for (i = 0; i < dev->data->nb_rx_queues; i++)
		dev->data->rx_queue_state[i] = state;
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		dev->data->tx_queue_state[i] = state;
}

static int
eth_vhost_dev_start(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;

	int ret = 0;

	pthread_mutex_lock(&internal->lock);
	if (dev->data->dev_conf.intr_conf.rxq)
		ret = eth_vhost_intr_install(dev);
	if (ret == 0) {
		internal->started = true;
		queues_update(internal);
	}
	pthread_mutex_unlock(&internal->lock);
	if (ret < 0)
		return ret;
	queue_states_set(dev, RTE_ETH_QUEUE_STATE_STARTED);
	return 0;
}

static int
eth_vhost_dev_stop(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;

	pthread_mutex_lock(&internal->lock);
	internal->started = false;
	queues_update(internal);
	pthread_mutex_unlock(&internal->lock);
	dev->data->dev_started = 0;
	queue_states_set(dev, RTE_ETH_QUEUE_STATE_STOPPED);
	return 0;
}

static void
queue_free(struct rte_eth_dev *dev, struct eth_vhost_queue **slot,
	void **ethdev_slot)
{
	struct pmd_internal *internal = dev->data->dev_private;
	struct eth_vhost_queue *q;

	pthread_mutex_lock(&internal->lock);
	q = *slot;
	*slot = NULL;
	if (q != NULL)
		eth_vhost_queue_block(q);
	pthread_mutex_unlock(&internal->lock);
	if (ethdev_slot != NULL)
		*ethdev_slot = NULL;
	rte_free(q);
}

/* ethdev's queue arrays hold RTE_MAX_QUEUES_PER_PORT entries once set up. */
static void **
ethdev_queue_slot(void **queues, uint16_t i)
{
	return queues != NULL ? &queues[i] : NULL;
}

static void
queues_free_all(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	uint16_t i;

	RTE_BUILD_BUG_ON(ETH_VHOST_MAX_QUEUES > RTE_MAX_QUEUES_PER_PORT);
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		queue_free(dev, &internal->rxqs[i],
			ethdev_queue_slot(dev->data->rx_queues, i));
		queue_free(dev, &internal->txqs[i],
			ethdev_queue_slot(dev->data->tx_queues, i));
	}
}

static int
eth_vhost_dev_close(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	unsigned int i;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY || internal == NULL)
		return 0;

	eth_vhost_dev_stop(dev);
	/* Not under our lock: unregister waits for the control thread, which
	 * may be about to run destroy_device() for this port. */
	if (internal->registered) {
		ret = vhu_driver_unregister(internal->args.iface);
		if (ret < 0)
			VHOST_LOG(ERR, "%s: cannot unregister '%s': %s",
				dev->data->name, internal->args.iface,
				strerror(-ret));
		internal->registered = false;
	}
	queues_free_all(dev);
	pthread_mutex_lock(&internal->lock);
	eth_vhost_intr_uninstall(dev);
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++)
		eth_vhost_intr_kickfd_update(internal, i, -1, false);
	pthread_mutex_unlock(&internal->lock);
	pthread_mutex_destroy(&internal->lock);
	/* dev_private and mac_addrs are freed by rte_eth_dev_release_port(). */
	return 0;
}

/*
 * Offloads follow what the guest can negotiate (devargs), narrowed to what
 * it did negotiate while one is attached. Legacy mode reports guest Tx
 * offloads as RTE_MBUF_F_TX_* requests: no Rx offload to report then.
 */
static uint64_t
rx_offload_capa(struct pmd_internal *internal)
{
	uint64_t capa = 0, f;

	if (internal->args.legacy_ol_flags)
		return 0;
	capa = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (!internal->args.tso)
		return capa;
	if (!__atomic_load_n(&internal->attached, __ATOMIC_ACQUIRE))
		return capa | RTE_ETH_RX_OFFLOAD_TCP_LRO;
	f = vhu_get_negotiated_features(__atomic_load_n(&internal->vid, __ATOMIC_ACQUIRE));
	if (f & (VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO4) | VHU_BIT(VHU_VIRTIO_NET_F_HOST_TSO6) |
		 VHU_BIT(VHU_VIRTIO_NET_F_HOST_UFO)))
		capa |= RTE_ETH_RX_OFFLOAD_TCP_LRO;
	return capa;
}

/* Checksums are always done: by the guest if it negotiated GUEST_CSUM, in
 * software otherwise (the IPv4 header's always in software). TSO with
 * tso=1: by the guest if it negotiated GUEST_TSO4/6, segmented here
 * otherwise (tso.c). */
static uint64_t
tx_offload_capa(struct pmd_internal *internal)
{
	uint64_t capa = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
		RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

	if (internal->args.tso)
		capa |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
	return capa;
}

static int
eth_vhost_dev_infos_get(struct rte_eth_dev *dev,
	struct rte_eth_dev_info *info)
{
	struct pmd_internal *internal = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = (uint32_t)-1;
	info->max_lro_pkt_size = ETH_VHOST_MAX_LRO_PKT;
	info->max_rx_queues = internal->args.queues;
	info->max_tx_queues = internal->args.queues;
	info->min_rx_bufsize = 0;
	info->min_mtu = ETH_VHOST_MIN_MTU;
	info->max_mtu = ETH_VHOST_MAX_MTU;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER |
		RTE_ETH_RX_OFFLOAD_VLAN_STRIP | rx_offload_capa(internal);
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
		RTE_ETH_TX_OFFLOAD_VLAN_INSERT | tx_offload_capa(internal);
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	return 0;
}

static struct eth_vhost_queue *
queue_alloc(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t vring,
	unsigned int socket_id)
{
	struct eth_vhost_queue *q;

	q = rte_zmalloc_socket(dev->data->name, sizeof(*q),
			RTE_CACHE_LINE_SIZE, socket_id);
	if (q == NULL) {
		VHOST_LOG(ERR, "%s: no memory for queue %u", dev->data->name,
			queue_id);
		return NULL;
	}
	q->vid = -1;
	q->vring = vring;
	q->port = dev->data->port_id;
	q->lib_ctr = vhu_vring_counters_ref(-1, vring);	/* zeros until a guest */
	return q;
}

/* Make q the queue in *slot; bursts stay out until the next dev_start. */
static void
queue_install(struct pmd_internal *internal, struct eth_vhost_queue **slot,
	struct eth_vhost_queue *q)
{
	pthread_mutex_lock(&internal->lock);
	q->vid = internal->vid;
	*slot = q;
	pthread_mutex_unlock(&internal->lock);
}

static int
eth_vhost_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id,
	uint16_t nb_desc __rte_unused, unsigned int socket_id,
	const struct rte_eth_rxconf *conf, struct rte_mempool *mp)
{
	struct pmd_internal *internal = dev->data->dev_private;
	struct eth_vhost_queue *q;

	if (queue_id >= internal->args.queues || mp == NULL)
		return -EINVAL;
	q = queue_alloc(dev, queue_id, 2 * queue_id + 1, socket_id);
	if (q == NULL)
		return -ENOMEM;
	q->mb_pool = mp;
	q->rx_sw_csum = rx_sw_csum_wanted(dev);
	q->vlan_strip = internal->vlan_strip ||
		(conf != NULL && (conf->offloads & RTE_ETH_RX_OFFLOAD_VLAN_STRIP));
	queue_install(internal, &internal->rxqs[queue_id], q);
	dev->data->rx_queues[queue_id] = q;
	return 0;
}

static int
eth_vhost_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id,
	uint16_t nb_desc __rte_unused, unsigned int socket_id,
	const struct rte_eth_txconf *conf)
{
	struct pmd_internal *internal = dev->data->dev_private;
	struct eth_vhost_queue *q;

	if (queue_id >= internal->args.queues)
		return -EINVAL;
	q = queue_alloc(dev, queue_id, 2 * queue_id, socket_id);
	if (q == NULL)
		return -ENOMEM;
	q->tx_tso = internal->args.tso &&
		((dev->data->dev_conf.txmode.offloads | (conf != NULL ? conf->offloads : 0)) &
		 RTE_ETH_TX_OFFLOAD_TCP_TSO);
	queue_install(internal, &internal->txqs[queue_id], q);
	dev->data->tx_queues[queue_id] = q;
	return 0;
}

static void
eth_vhost_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct pmd_internal *internal = dev->data->dev_private;

	if (queue_id < ETH_VHOST_MAX_QUEUES)
		queue_free(dev, &internal->rxqs[queue_id], NULL);
}

static void
eth_vhost_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct pmd_internal *internal = dev->data->dev_private;

	if (queue_id < ETH_VHOST_MAX_QUEUES)
		queue_free(dev, &internal->txqs[queue_id], NULL);
}

static int
eth_vhost_tx_done_cleanup(void *txq __rte_unused, uint32_t free_cnt __rte_unused)
{
	return 0;	/* the Tx burst copies and frees at once: nothing held */
}

static int
eth_vhost_link_update(struct rte_eth_dev *dev, int wait __rte_unused)
{
	struct pmd_internal *internal = dev->data->dev_private;

	/* Lock-free: may run inside an LSC callback we raised. */
	return link_set(dev, __atomic_load_n(&internal->attached,
			__ATOMIC_ACQUIRE));
}

/* The guest sees every packet we give it: filtering modes are accepted. */
static int
eth_vhost_mode_noop(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

/*
 * The MTU the frontend set with NET_SET_MTU (vhost-user NET_MTU protocol
 * feature), 0 if none is known (no guest, or it set none).
 */
static uint16_t
frontend_mtu(struct pmd_internal *internal)
{
	int mtu, vid;

	pthread_mutex_lock(&internal->lock);
	vid = internal->attached ? internal->vid : -1;
	pthread_mutex_unlock(&internal->lock);
	if (vid < 0)
		return 0;
	mtu = vhu_get_mtu(vid);
	return mtu > 0 ? (uint16_t)RTE_MIN(mtu, UINT16_MAX) : 0;
}

static int
eth_vhost_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct pmd_internal *internal = dev->data->dev_private;
	uint16_t fe_mtu;

	if (mtu < ETH_VHOST_MIN_MTU || mtu > ETH_VHOST_MAX_MTU) {
		VHOST_LOG(ERR, "%s: MTU %u out of range %u..%u",
			dev->data->name, mtu, ETH_VHOST_MIN_MTU,
			ETH_VHOST_MAX_MTU);
		return -EINVAL;
	}
	fe_mtu = frontend_mtu(internal);
	if (fe_mtu != 0 && mtu > fe_mtu) {
		VHOST_LOG(ERR, "%s: MTU %u is above the %u the frontend set",
			dev->data->name, mtu, fe_mtu);
		return -EINVAL;
	}
	return 0;
}

/* RTE_ETH_VLAN_STRIP_MASK: turn stripping on or off on every Rx queue.
 * Filtering and extended VLANs are not offered (dev_infos_get). */
static int
eth_vhost_vlan_offload_set(struct rte_eth_dev *dev, int mask)
{
	struct pmd_internal *internal = dev->data->dev_private;
	unsigned int i;

	if (!(mask & RTE_ETH_VLAN_STRIP_MASK))
		return 0;
	pthread_mutex_lock(&internal->lock);
	internal->vlan_strip = (dev->data->dev_conf.rxmode.offloads &
			RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++)
		if (internal->rxqs[i] != NULL)	/* a flag the burst reads once */
			__atomic_store_n(&internal->rxqs[i]->vlan_strip,
				internal->vlan_strip, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&internal->lock);
	return 0;
}

/* Packets waiting in the guest's Tx ring for this Rx queue. */
static uint32_t
eth_vhost_rx_queue_count(void *rxq)
{
	struct eth_vhost_queue *q = rxq;
	int n;

	if (!eth_vhost_queue_enter(q))
		return 0;
	n = vhu_vring_avail_count(q->vid, q->vring);
	eth_vhost_queue_leave(q);
	return n < 0 ? 0 : (uint32_t)n;
}

static const struct eth_dev_ops eth_vhost_ops = {
	.dev_configure = eth_vhost_dev_configure,
	.dev_start = eth_vhost_dev_start,
	.dev_stop = eth_vhost_dev_stop,
	.dev_close = eth_vhost_dev_close,
	.dev_infos_get = eth_vhost_dev_infos_get,
	.rx_queue_setup = eth_vhost_rx_queue_setup,
	.tx_queue_setup = eth_vhost_tx_queue_setup,
	.rx_queue_release = eth_vhost_rx_queue_release,
	.tx_queue_release = eth_vhost_tx_queue_release,
	.tx_done_cleanup = eth_vhost_tx_done_cleanup,
	.link_update = eth_vhost_link_update,
	.stats_get = eth_vhost_stats_get,
	.stats_reset = eth_vhost_stats_reset,
	.xstats_get = eth_vhost_xstats_get,
	.xstats_get_names = eth_vhost_xstats_get_names,
	.xstats_reset = eth_vhost_xstats_reset,
	.promiscuous_enable = eth_vhost_mode_noop,
	.promiscuous_disable = eth_vhost_mode_noop,
	.allmulticast_enable = eth_vhost_mode_noop,
	.allmulticast_disable = eth_vhost_mode_noop,
	.mtu_set = eth_vhost_mtu_set,
	.vlan_offload_set = eth_vhost_vlan_offload_set,
	.rx_queue_intr_enable = eth_vhost_rx_intr_enable,
	.rx_queue_intr_disable = eth_vhost_rx_intr_disable,
};

/* ------------------------------------------------------------ probe/remove */

static void
internal_init(struct pmd_internal *internal, const struct eth_vhost_args *args)
{
	internal->args = *args;
	unsigned int i;

	internal->vid = -1;
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		internal->rxintr[i].epfd = -1;
		internal->rxintr[i].kickfd = -1;
	}
	pthread_mutex_init(&internal->lock, NULL);
	eth_vhost_events_init(&internal->events);
}

/* Checksum offload is always offered (as DPDK's net_vhost); TSO with tso=1. */
static uint64_t
reg_flags(const struct eth_vhost_args *args)
{
	return VHU_REG_CSUM |
		(args->client ? VHU_REG_CLIENT : 0) |
		(args->tso ? VHU_REG_TSO : 0) |
		(args->legacy_ol_flags ? VHU_REG_LEGACY_OL_FLAGS : 0) |
		(args->linear_buf ? VHU_REG_LINEAR_BUF : 0) |
		(args->ext_buf ? VHU_REG_EXTBUF : 0) |
		(args->iommu ? VHU_REG_IOMMU : 0) |
		(args->postcopy ? VHU_REG_POSTCOPY : 0);
}

static int
eth_vhost_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct pmd_internal *internal;
	struct rte_ether_addr *mac;
	struct eth_vhost_args args;
	struct rte_eth_dev *dev;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		VHOST_LOG(ERR, "%s: secondary processes are not supported yet",
			name);
		return -ENOTSUP;
	}
	ret = eth_vhost_args_parse(name, rte_vdev_device_args(vdev), &args);
	if (ret < 0)
		return ret;
	if (vdev->device.numa_node == SOCKET_ID_ANY)
		vdev->device.numa_node = rte_socket_id();

	dev = rte_eth_vdev_allocate(vdev, sizeof(*internal));
	if (dev == NULL) {
		VHOST_LOG(ERR, "%s: cannot allocate an ethdev port", name);
		return -ENOMEM;
	}
	mac = rte_zmalloc_socket(name, sizeof(*mac), 0,
			vdev->device.numa_node);
	if (mac == NULL) {
		VHOST_LOG(ERR, "%s: no memory for the MAC address", name);
		rte_eth_dev_release_port(dev);
		return -ENOMEM;
	}
	/* 56:48:4f:53:54 is "VHOST"; the last byte tells ports apart. */
	*mac = (struct rte_ether_addr){ .addr_bytes = {
		0x56, 0x48, 0x4f, 0x53, 0x54, (uint8_t)dev->data->port_id } };
	dev->data->mac_addrs = mac;

	internal = dev->data->dev_private;
	internal_init(internal, &args);
	link_set(dev, false);
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC |
			RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->promiscuous = 1;
	dev->data->all_multicast = 1;
	dev->dev_ops = &eth_vhost_ops;
	dev->rx_pkt_burst = eth_vhost_rx_burst;
	dev->tx_pkt_burst = eth_vhost_tx_burst;
	dev->rx_queue_count = eth_vhost_rx_queue_count;

	/* Callbacks may run from here on, on the library's thread. */
	ret = vhu_driver_register(args.iface, reg_flags(&args),
			args.queues, &eth_vhost_vhu_ops, dev);
	if (ret < 0) {
		VHOST_LOG(ERR, "%s: devarg 'iface': cannot %s vhost-user socket '%s': %s", name,
			args.client ? "connect to" : "listen on", args.iface,
			strerror(-ret));
		pthread_mutex_destroy(&internal->lock);
		rte_eth_dev_release_port(dev);	/* frees mac, internal */
		return ret;
	}
	internal->registered = true;
	rte_eth_dev_probing_finish(dev);

	VHOST_LOG(INFO, "%s: port %u on %s '%s', %u queue pair(s), tso %d, legacy-ol-flags %d",
		name, dev->data->port_id, args.client ? "client" : "server",
		args.iface, args.queues, args.tso, args.legacy_ol_flags);
	return 0;
}

static int
eth_vhost_remove(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *dev;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	dev = rte_eth_dev_allocated(name);
	if (dev == NULL)
		return 0;	/* already closed with rte_eth_dev_close() */
	eth_vhost_dev_close(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver eth_vhost_drv = {
	.probe = eth_vhost_probe,
	.remove = eth_vhost_remove,
};

#ifdef ETH_VHOST_AB_NAME
/* The benchmark's copy (meson.build): a name of its own, so that one
 * process can hold it beside Debian's net_vhost (bench/vhost_ab.c). */
RTE_PMD_REGISTER_VDEV(ETH_VHOST_AB_NAME, eth_vhost_drv);
#else
RTE_PMD_REGISTER_VDEV(net_vhost, eth_vhost_drv);
RTE_PMD_REGISTER_ALIAS(net_vhost, eth_vhost);
#endif
RTE_PMD_REGISTER_PARAM_STRING(net_vhost,
	"iface=<path> "
	"queues=<1..128> "
	"client=<0|1> "
	"tso=<0|1> "
	"legacy-ol-flags=<0|1> "
	"linear-buffer=<0|1> "
	"ext-buffer=<0|1>");
