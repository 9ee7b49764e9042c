/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The unit test framework of vhu-unit: a case registry, assertions, one
 * test device (a registered socket plus a frontend simulator) and packet
 * helpers. Each test_*.c / vhu_unit.c file registers its own table of
 * cases with UNIT_CASES(); unit.c runs them.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vhu.h"
#include "fe_sim.h"

#define CASE_TIMEOUT_S	30
#define RING_SIZE	256
#define MEM_SIZE	(8u << 20)

#define F_BASE	(VHU_BIT(VHU_VIRTIO_F_VERSION_1) | VHU_BIT(VHU_USER_F_PROTOCOL_FEATURES) | \
		 VHU_BIT(VHU_VIRTIO_F_ANY_LAYOUT) | VHU_BIT(VHU_VIRTIO_RING_F_INDIRECT_DESC))
#define F_MRG	(F_BASE | VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF))
#define F_LEGACY (F_BASE & ~VHU_BIT(VHU_VIRTIO_F_VERSION_1))
#define F_PACKED	VHU_BIT(VHU_VIRTIO_F_RING_PACKED)


#define FAIL(...) do { \
	fprintf(stderr, "  %s:%d: ", __func__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	goto fail; \
} while (0)

#define CHECK(cond) do { if (!(cond)) FAIL("check failed: %s", #cond); } while (0)
#define CHECK_EQ(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b); \
} while (0)

struct unit_case {
	const char *name;
	int (*fn)(void);
};

void unit_register_cases(const struct unit_case *cases, unsigned int n);

/* Register a file's static table of cases (run in table order). */
#define UNIT_CASES(tbl) \
	static void __attribute__((constructor)) \
	tbl ## _register(void) { unit_register_cases(tbl, RTE_DIM(tbl)); }

extern struct rte_mempool *mp;
extern char tmpdir[64];
extern int sock_seq;
extern int ctx_token;		/* the ctx every test socket registers */
extern const struct vhu_ops test_ops;

/* Callback counters (written by the library's control thread). */
struct unit_ev {
	int new_dev;
	int destroy_dev;
	int vid;
	int vring_on[FE_MAX_VQ];
	int vring_off[FE_MAX_VQ];
	void *ctx;
};
extern struct unit_ev ev;

/* One test's device: a registered socket and a connected frontend. */
struct t {
	char path[108];
	struct fe_sim s;
	bool registered;
	int vid;
	uint16_t hdr_len;
	bool mrg;
	/* What t_traffic() does between tries of a burst (NULL: sleep 1 ms),
	 * e.g. answer IOTLB misses. */
	void (*idle)(struct t *t);
};

uint64_t now_ms(void);
bool ev_wait(int *counter, int target, unsigned int ms);
int ev_get(int *counter);
void t_init(struct t *t, const char *prefix);
int t_register(struct t *t, uint64_t flags);
int t_open(struct t *t, int nregions);
int t_start_raw(struct t *t, uint64_t flags);
int t_reopen(struct t *t);
int t_base_features(struct t *t, bool reply_ack);
int t_wait_up(struct t *t, int nr_new);
int t_connect(struct t *t, uint64_t features, int nregions);
int t_connect_sized(struct t *t, uint64_t features, int nregions, uint16_t ring_size);
int t_start(struct t *t, uint64_t features, int nregions);
void t_end(struct t *t);
uint8_t pat(unsigned int seed, uint32_t i);
void pat_fill(uint8_t *p, uint32_t len, unsigned int seed);
struct rte_mbuf *mk_pkt(const uint16_t *seg_lens, unsigned int seed);
struct rte_mbuf *mk_pkt1(uint16_t len, unsigned int seed);
void free_pkts(struct rte_mbuf **p, int n);
/* test_ctrl.c, with the PMD's queue (vhu-unit only) */
struct eth_vhost_queue;
struct eth_vhost_queue *pmd_queue_new(int vid, uint16_t vring);
int rx_check(struct t *t, const struct rte_mbuf *m, int want_bufs);
int tx_check(const struct rte_mbuf *m, uint32_t len, unsigned int seed, int want_segs);
int tx_post(struct t *t, uint32_t len, unsigned int seed, const uint32_t *pieces, bool indirect);
uint16_t used_pending(struct t *t, int q);
int used_pop_check(struct t *t, int q, uint32_t want_id, uint32_t want_len);
int t_traffic(struct t *t, uint16_t rx_len, unsigned int rx_seed, uint32_t tx_len,
	      unsigned int tx_seed, unsigned int ms);

#endif /* UNIT_H */
