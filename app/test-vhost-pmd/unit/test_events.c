/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The PMD's queue state event FIFO (drivers/net/vhost/events.c), read with
 * rte_eth_vhost_get_queue_event(): events come out in order, an
 * application that does not read loses the oldest ones (counted), and the
 * warning about it is logged once per overflow, not once per event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "unit.h"
#include "eth_vhost.h"

#define EV_N	ETH_VHOST_EVENT_RING_SIZE
#define EV_WARN	"queue event FIFO full"

/* events.c's public API looks ports up here; no port in these tests. */
struct pmd_internal *
eth_vhost_internal_get(uint16_t port_id __rte_unused)
{
	return NULL;
}

static void
ev_push_nth(struct eth_vhost_events *e, uint32_t i)
{
	eth_vhost_events_push(e, (uint16_t)i, i & 1, (i >> 1) & 1);
}

/* Pop n events, expecting the pushes first, first + 1, ... */
static int
ev_pop_from(struct eth_vhost_events *e, uint32_t first, uint32_t n)
{
	struct rte_eth_vhost_queue_event q;
	uint32_t i;

	for (i = first; i < first + n; i++) {
		CHECK_EQ(eth_vhost_events_pop(e, &q), 0);
		if (q.queue_id != (uint16_t)i || q.rx != (i & 1) || q.enable != ((i >> 1) & 1))
			FAIL("event %u: queue %u rx %d enable %d", i, q.queue_id, q.rx, q.enable);
	}
	CHECK_EQ(eth_vhost_events_pop(e, &q), -1);
	return 0;
fail:
	return -1;
}

static unsigned int
count_of(const char *text, const char *what)
{
	unsigned int n = 0;

	for (; (text = strstr(text, what)) != NULL; text += strlen(what))
		n++;
	return n;
}

static int
events_overflow(void)
{
	struct eth_vhost_events *e = calloc(1, sizeof(*e));
	FILE *old_stream = rte_log_get_stream(), *log = NULL;
	int old_level = rte_log_get_level(eth_vhost_logtype);
	char *text = NULL;
	size_t len = 0;
	uint32_t i;

	CHECK(e != NULL);
	CHECK((log = open_memstream(&text, &len)) != NULL);
	rte_openlog_stream(log);
	rte_log_set_level(eth_vhost_logtype, RTE_LOG_WARNING);
	eth_vhost_events_init(e);

	/* Room for every one: no loss, no warning. */
	for (i = 0; i < EV_N; i++)
		ev_push_nth(e, i);
	if (ev_pop_from(e, 0, EV_N) < 0)
		goto fail;
	CHECK_EQ(e->dropped, 0);

	/* Nobody reads: the 5 oldest go, the newest EV_N stay, one warning. */
	for (i = 0; i < EV_N + 5; i++)
		ev_push_nth(e, i);
	CHECK_EQ(e->dropped, 5);
	if (ev_pop_from(e, 5, EV_N) < 0)
		goto fail;
	fflush(log);
	CHECK_EQ(count_of(text, EV_WARN), 1);

	/* After a read, the next overflow warns again, once. */
	for (i = 0; i < EV_N + 300; i++)
		ev_push_nth(e, i);
	CHECK_EQ(e->dropped, 305);
	fflush(log);
	CHECK_EQ(count_of(text, EV_WARN), 2);
	if (ev_pop_from(e, 300, EV_N) < 0)
		goto fail;

	rte_log_set_level(eth_vhost_logtype, old_level);
	rte_openlog_stream(old_stream);
	fclose(log);
	free(text);
	free(e);
	return 0;
fail:
	rte_log_set_level(eth_vhost_logtype, old_level);
	rte_openlog_stream(old_stream);
	if (log != NULL)
		fclose(log);
	free(text);
	free(e);
	return -1;
}

static const struct unit_case events_cases[] = {
	{ "events_overflow", events_overflow },
};
UNIT_CASES(events_cases)
