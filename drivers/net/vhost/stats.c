/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Basic and extended statistics. The bursts own the counters (single
 * writer, see struct eth_vhost_qstats); a reset records where they are in
 * q->base instead of writing them, and reads subtract it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "eth_vhost.h"

struct xstat_def {
	const char *name;
	unsigned int word;	/* index in struct eth_vhost_qstats, or: */
};

#define W(f)		(offsetof(struct eth_vhost_qstats, f) / sizeof(uint64_t))
#define W_UNICAST	1000	/* good - multicast - broadcast */

/* Names as DPDK's net_vhost, with the size buckets of this driver. */
static const struct xstat_def xstats_rx[] = {
	{ "good_packets", W(pkts) },
	{ "good_bytes", W(bytes) },
	{ "errors", W(errors) },
	{ "guest_notifications", W(notifications) },
	{ "unicast_packets", W_UNICAST },
	{ "multicast_packets", W(multicast) },
	{ "broadcast_packets", W(broadcast) },
	{ "undersize_packets", W(size[SIZE_UNDERSIZE]) },
	{ "size_64_packets", W(size[SIZE_64]) },
	{ "size_65_to_127_packets", W(size[SIZE_65_127]) },
	{ "size_128_to_255_packets", W(size[SIZE_128_255]) },
	{ "size_256_to_511_packets", W(size[SIZE_256_511]) },
	{ "size_512_to_1023_packets", W(size[SIZE_512_1023]) },
	{ "size_1024_to_1518_packets", W(size[SIZE_1024_1518]) },
	{ "size_1519_to_max_packets", W(size[SIZE_1519_MAX]) },
};

static const struct xstat_def xstats_tx[] = {
	{ "good_packets", W(pkts) },
	{ "good_bytes", W(bytes) },
	{ "missed_pkts", W(missed) },
	{ "errors", W(errors) },
	{ "guest_notifications", W(notifications) },
	{ "unicast_packets", W_UNICAST },
	{ "multicast_packets", W(multicast) },
	{ "broadcast_packets", W(broadcast) },
	{ "undersize_packets", W(size[SIZE_UNDERSIZE]) },
	{ "size_64_packets", W(size[SIZE_64]) },
	{ "size_65_to_127_packets", W(size[SIZE_65_127]) },
	{ "size_128_to_255_packets", W(size[SIZE_128_255]) },
	{ "size_256_to_511_packets", W(size[SIZE_256_511]) },
	{ "size_512_to_1023_packets", W(size[SIZE_512_1023]) },
	{ "size_1024_to_1518_packets", W(size[SIZE_1024_1518]) },
	{ "size_1519_to_max_packets", W(size[SIZE_1519_MAX]) },
};

#define NB_RX_XSTATS RTE_DIM(xstats_rx)
#define NB_TX_XSTATS RTE_DIM(xstats_tx)

/* A counter word's value since the last reset. */
static uint64_t
word_read(const struct eth_vhost_queue *q, unsigned int w)
{
	const uint64_t *st = (const uint64_t *)&q->st;
	const uint64_t *base = (const uint64_t *)&q->base;

	return __atomic_load_n(&st[w], __ATOMIC_RELAXED) - base[w];
}

static uint64_t
xstat_read(const struct eth_vhost_queue *q, const struct xstat_def *d)
{
	uint64_t mc, bc, pkts;

	if (d->word != W_UNICAST)
		return word_read(q, d->word);
	/* A burst may commit between the reads: never go below 0. */
	mc = word_read(q, W(multicast));
	bc = word_read(q, W(broadcast));
	pkts = word_read(q, W(pkts));
	return pkts > mc + bc ? pkts - mc - bc : 0;
}

static void
queue_stats_reset(struct eth_vhost_queue *q)
{
	const uint64_t *st;
	uint64_t *base;
	unsigned int w;

	if (q == NULL)
		return;
	st = (const uint64_t *)&q->st;
	base = (uint64_t *)&q->base;
	for (w = 0; w < ETH_VHOST_QSTATS_WORDS; w++)
		base[w] = __atomic_load_n(&st[w], __ATOMIC_RELAXED);
}

int
eth_vhost_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats)
{
	struct pmd_internal *internal = dev->data->dev_private;
	struct eth_vhost_queue *q;
	uint64_t pkts, bytes;
	unsigned int i;

	pthread_mutex_lock(&internal->lock);
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		q = internal->rxqs[i];
		if (q == NULL)
			continue;
		pkts = word_read(q, W(pkts));
		bytes = word_read(q, W(bytes));
		stats->ipackets += pkts;
		stats->ibytes += bytes;
		stats->ierrors += word_read(q, W(errors));
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[i] = pkts;
			stats->q_ibytes[i] = bytes;
			stats->q_errors[i] = word_read(q, W(errors));
		}
	}
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		q = internal->txqs[i];
		if (q == NULL)
			continue;
		pkts = word_read(q, W(pkts));
		bytes = word_read(q, W(bytes));
		stats->opackets += pkts;
		stats->obytes += bytes;
		/* As DPDK's net_vhost: packets the guest had no room for
		 * are output errors. */
		stats->oerrors += word_read(q, W(missed)) + word_read(q, W(errors));
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[i] = pkts;
			stats->q_obytes[i] = bytes;
		}
	}
	pthread_mutex_unlock(&internal->lock);
	stats->imissed = 0;
	return 0;
}

int
eth_vhost_stats_reset(struct rte_eth_dev *dev)
{
	struct pmd_internal *internal = dev->data->dev_private;
	unsigned int i;

	pthread_mutex_lock(&internal->lock);
	for (i = 0; i < ETH_VHOST_MAX_QUEUES; i++) {
		queue_stats_reset(internal->rxqs[i]);
		queue_stats_reset(internal->txqs[i]);
	}
	pthread_mutex_unlock(&internal->lock);
	return 0;
}

/* Queues the xstats cover: the configured ones, in queue order. */
static unsigned int
xstats_count(const struct rte_eth_dev *dev)
{
	return dev->data->nb_rx_queues * NB_RX_XSTATS +
		dev->data->nb_tx_queues * NB_TX_XSTATS;
}

int
eth_vhost_xstats_get_names(struct rte_eth_dev *dev,
		struct rte_eth_xstat_name *names, unsigned int limit)
{
	unsigned int n = xstats_count(dev), k = 0, i, j;

	if (names == NULL || limit < n)
		return n;
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		for (j = 0; j < NB_RX_XSTATS; j++)
			snprintf(names[k++].name, sizeof(names[0].name),
				"rx_q%u_%s", i, xstats_rx[j].name);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		for (j = 0; j < NB_TX_XSTATS; j++)
			snprintf(names[k++].name, sizeof(names[0].name),
				"tx_q%u_%s", i, xstats_tx[j].name);
	return n;
}

/* Fill NB xstats of queue q (or zeros: not set up) from index *k. */
static void
queue_xstats(const struct eth_vhost_queue *q, const struct xstat_def *defs,
	unsigned int nb, struct rte_eth_xstat *xstats, unsigned int *k)
{
	unsigned int j;

	for (j = 0; j < nb; j++, (*k)++) {
		xstats[*k].id = *k;
		xstats[*k].value = q != NULL ? xstat_read(q, &defs[j]) : 0;
	}
}

int
eth_vhost_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats,
		unsigned int limit)
{
	struct pmd_internal *internal = dev->data->dev_private;
	unsigned int n = xstats_count(dev), k = 0, i;

	if (xstats == NULL || limit < n)
		return n;
	pthread_mutex_lock(&internal->lock);
	for (i = 0; i < dev->data->nb_rx_queues; i++)
		queue_xstats(i < ETH_VHOST_MAX_QUEUES ? internal->rxqs[i] : NULL,
			xstats_rx, NB_RX_XSTATS, xstats, &k);
	for (i = 0; i < dev->data->nb_tx_queues; i++)
		queue_xstats(i < ETH_VHOST_MAX_QUEUES ? internal->txqs[i] : NULL,
			xstats_tx, NB_TX_XSTATS, xstats, &k);
	pthread_mutex_unlock(&internal->lock);
	return n;
}

int
eth_vhost_xstats_reset(struct rte_eth_dev *dev)
{
	return eth_vhost_stats_reset(dev);
}
