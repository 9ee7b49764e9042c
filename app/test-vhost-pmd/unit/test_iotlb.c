/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * VIRTIO_F_ACCESS_PLATFORM (iotlb.c): the frontend simulator puts I/O
 * virtual addresses (gpa + IOVA_OFF) in SET_VRING_ADDR and in every
 * descriptor, and answers the backend's IOTLB misses with updates of one
 * 4 KiB page, as QEMU's vIOMMU does. A vring starts only once its rings
 * are translated; a packet whose buffer has no translation stays in the
 * ring (nothing consumed, nothing dropped) until the update came, then
 * goes through byte for byte. Invalidations take entries back, whole or in
 * part; bad IOTLB messages are refused and the connection stays.
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "vhu_dev.h"	/* the table, for iotlb_full */

#define F_IOMMU		VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM)
#define IOVA_OFF	0x10000000000ULL	/* 1 TiB: neither a gpa nor a uva here */
#define PAGE		4096ULL
#define SERVE_MS	100

/* t_traffic() between tries: answer the misses that came. */
static void
serve_idle(struct t *t)
{
	fe_iotlb_serve(&t->s, 1, NULL);
}

/*
 * Register an IOMMU socket and hand-shake features | ACCESS_PLATFORM with
 * the backend channel open. The device must not start before its rings
 * are translated; then serve the misses until it does.
 */
static int
it_start(struct t *t, uint64_t features)
{
	int want_new, ret, n;

	if (t_register(t, VHU_REG_IOMMU) < 0 || t_open(t, 1) < 0)
		return -1;
	t->idle = serve_idle;
	want_new = ev_get(&ev.new_dev) + 1;
	t->s.iova_off = IOVA_OFF;
	t->s.extra_protocol = VHU_BIT(VHU_PROTOCOL_F_BACKEND_REQ);
	ret = fe_handshake(&t->s, features | F_IOMMU, 2, RING_SIZE);
	if (ret < 0)
		FAIL("handshake: %s", strerror(-ret));
	CHECK(t->s.features & F_IOMMU);
	CHECK(t->s.backend_fd >= 0);
	/* Every message was acked: the rings were looked up, and missed. */
	CHECK_EQ(ev_get(&ev.new_dev), want_new - 1);
	n = fe_iotlb_serve(&t->s, SERVE_MS, NULL);
	/* Descriptor, avail and used ring (or their packed areas) of both
	 * vrings, some sharing a page. */
	if (n < 2)
		FAIL("%d ring misses answered", n);
	return t_wait_up(t, want_new);
fail:
	return -1;
}

/* Map the page at iova to guest page gpa, RW. */
static int
answer_at(struct t *t, uint64_t iova, uint64_t gpa)
{
	return fe_iotlb_msg(&t->s, VHU_IOTLB_UPDATE, iova, PAGE, fe_gpa_to_uva(&t->s, gpa),
			    VHU_ACCESS_RW);
}

/* Enqueue p, answering misses in between; how many misses it took. */
static int
enqueue_served(struct t *t, struct rte_mbuf *p, struct vhu_iotlb_msg *first)
{
	int misses = 0, i, n;

	for (i = 0; i < 8; i++) {
		if (vhu_enqueue_burst(t->vid, 0, &p, 1) == 1)
			return misses;
		n = fe_iotlb_serve(&t->s, SERVE_MS, misses == 0 ? first : NULL);
		if (n <= 0)
			return -1;	/* not taken, and nothing asked */
		misses += n;
	}
	return -1;
}

static int
dequeue_served(struct t *t, struct rte_mbuf **m, struct vhu_iotlb_msg *first)
{
	int misses = 0, i, n;

	for (i = 0; i < 8; i++) {
		if (vhu_dequeue_burst(t->vid, 1, mp, m, 1) == 1)
			return misses;
		n = fe_iotlb_serve(&t->s, SERVE_MS, misses == 0 ? first : NULL);
		if (n <= 0)
			return -1;
		misses += n;
	}
	return -1;
}

/*
 * The Tx packet posted (len bytes, seed) is not taken at first: its miss
 * asks for read access (in page page, if not 0). Answered, it comes out
 * byte for byte into rx[0].
 */
static int
tx_needs(struct t *t, struct rte_mbuf **rx, uint32_t len, unsigned int seed, uint64_t page)
{
	struct vhu_iotlb_msg m;

	CHECK_EQ(vhu_dequeue_burst(t->vid, 1, mp, rx, 1), 0);
	CHECK_EQ(used_pending(t, FE_TX_VQ), 0);
	CHECK_EQ(fe_backend_recv(&t->s, &m, SERVE_MS), 1);
	if (page != 0)
		CHECK_EQ(m.iova & ~(PAGE - 1), page);
	CHECK_EQ(m.perm, VHU_ACCESS_RO);
	CHECK_EQ(fe_iotlb_answer(&t->s, &m), 0);
	if (dequeue_served(t, rx, NULL) < 0)
		FAIL("the Tx packet never came out");
	return tx_check(rx[0], len, seed, 0);
fail:
	return -1;
}

/*
 * Traffic both ways through IOVAs: the first packet of each direction
 * misses (buffer, or indirect table first), nothing is consumed until the
 * answer, and the bytes arrive right.
 */
static int
iotlb_traffic(uint64_t features, bool indirect)
{
	static const uint32_t pieces[] = { 100, 900, 0 };
	struct rte_mbuf *p = mk_pkt1(1400, 7), *rx[1] = { NULL };
	struct vhu_iotlb_msg m;
	struct fe_buf b[2];
	struct t t;
	int head;

	CHECK(p != NULL);
	if (it_start(&t, features) < 0)
		goto fail;

	/* One chain of two buffers, two pages apart. */
	b[0].gpa = fe_alloc(&t.s, 4 * PAGE, PAGE);
	b[0].len = 600;
	b[1].gpa = b[0].gpa + 2 * PAGE;
	b[1].len = 1500;
	CHECK((head = fe_post(&t.s, FE_RX_VQ, b, 2, true, indirect)) >= 0);
	/* Nothing translated yet: nothing taken, one miss asked. */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(used_pending(&t, FE_RX_VQ), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	if (indirect) {
		CHECK_EQ(m.perm, VHU_ACCESS_RO);	/* the table, read */
	} else {
		CHECK_EQ(m.iova, fe_addr(&t.s, b[0].gpa));
		CHECK_EQ(m.perm, VHU_ACCESS_WO);
	}
	/* The same miss is not asked again at once, nor after the
	 * invalidation of another page (the guest unmapping something else:
	 * a second miss answered after this buffer was used and unmapped
	 * would fault in the guest's IOMMU). After one of its own page, it
	 * is asked again. */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, 20), 0);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, 1ULL << 50, PAGE, 0, 0), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, 20), 0);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, m.iova & ~(PAGE - 1), PAGE, 0, 0), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	CHECK_EQ(fe_iotlb_answer(&t.s, &m), 0);
	if (enqueue_served(&t, p, NULL) < 0)
		FAIL("the Rx packet never went in");
	if (rx_check(&t, p, 0) < 0)
		goto fail;

	/* Tx: a packet in pieces, in fresh pages. */
	t.s.brk = RTE_ALIGN_CEIL(t.s.brk, PAGE) + PAGE;
	CHECK(tx_post(&t, 1000, 9, pieces, indirect) >= 0);
	if (tx_needs(&t, rx, 1000, 9, 0) < 0)
		goto fail;
	CHECK_EQ(fe_used_pop(&t.s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);
	free_pkts(rx, 1);

	/* Translated now: the same buffers again go without a miss. */
	CHECK((head = fe_post(&t.s, FE_RX_VQ, b, 2, true, indirect)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	CHECK_EQ(fe_backend_recv(&t.s, &m, 20), 0);
	if (rx_check(&t, p, 0) < 0)
		goto fail;
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	t_end(&t);
	return -1;
}

static int
iotlb_split(void)
{
	return iotlb_traffic(F_BASE, false);
}

static int
iotlb_split_mrg_indirect(void)
{
	return iotlb_traffic(F_MRG, true);
}

static int
iotlb_packed(void)
{
	return iotlb_traffic(F_BASE | F_PACKED, false);
}

static int
iotlb_packed_indirect(void)
{
	return iotlb_traffic(F_MRG | F_PACKED, true);
}

/* Post one Rx buffer at gpa, enqueue a packet into it; 1 if it went in
 * without a miss, 0 if it missed at iova_want (nothing consumed). */
static int
rx_at(struct t *t, uint64_t gpa, unsigned int seed, uint64_t iova_want)
{
	struct fe_buf b = { .gpa = gpa, .len = 1024 };
	struct rte_mbuf *p = mk_pkt1(900, seed);
	struct vhu_iotlb_msg m;
	int ret = -1;

	CHECK(p != NULL);
	CHECK(fe_post(&t->s, FE_RX_VQ, &b, 1, true, false) >= 0);
	if (vhu_enqueue_burst(t->vid, 0, &p, 1) == 1) {
		CHECK_EQ(fe_backend_recv(&t->s, &m, 20), 0);
		if (rx_check(t, p, 1) < 0)
			goto fail;
		ret = 1;
	} else {
		CHECK_EQ(used_pending(t, FE_RX_VQ), 0);
		CHECK_EQ(fe_backend_recv(&t->s, &m, SERVE_MS), 1);
		CHECK_EQ(m.iova, iova_want);
		/* Let it through, so that the next case starts clean. */
		CHECK_EQ(fe_iotlb_answer(&t->s, &m), 0);
		if (enqueue_served(t, p, NULL) < 0 || rx_check(t, p, 1) < 0)
			goto fail;
		ret = 0;
	}
fail:
	rte_pktmbuf_free(p);
	return ret;
}

/*
 * One update of three pages, then the middle one invalidated: the first
 * and the last still translate (to the right bytes: rx_check), the middle
 * one misses. Then the Rx ring's descriptor page is invalidated: the vring
 * stops, asks for it again, and resumes.
 */
static int
iotlb_invalidate(void)
{
	struct vhu_iotlb_msg m;
	uint64_t g;
	struct t t;

	if (it_start(&t, F_BASE) < 0)
		goto fail;
	g = fe_alloc(&t.s, 3 * PAGE, PAGE);
	CHECK(g != 0);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, fe_addr(&t.s, g), 3 * PAGE,
			      fe_gpa_to_uva(&t.s, g), VHU_ACCESS_RW), 0);
	CHECK_EQ(rx_at(&t, g + 100, 1, 0), 1);
	CHECK_EQ(rx_at(&t, g + PAGE + 100, 2, 0), 1);
	CHECK_EQ(rx_at(&t, g + 2 * PAGE + 100, 3, 0), 1);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, fe_addr(&t.s, g + PAGE), PAGE, 0, 0), 0);
	CHECK_EQ(rx_at(&t, g + 200, 4, 0), 1);
	CHECK_EQ(rx_at(&t, g + 2 * PAGE + 200, 5, 0), 1);
	CHECK_EQ(rx_at(&t, g + PAGE + 200, 6, fe_addr(&t.s, g + PAGE + 200)), 0);
	/* The head of the first page too (the entry across it is cut). */
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, fe_addr(&t.s, g), 64, 0, 0), 0);
	CHECK_EQ(rx_at(&t, g + 100, 7, 0), 1);
	CHECK_EQ(rx_at(&t, g + 32, 8, fe_addr(&t.s, g + 32)), 0);

	/* The Rx ring's descriptors. */
	g = t.s.vq[FE_RX_VQ].desc_gpa;
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, fe_addr(&t.s, g & ~(PAGE - 1)), PAGE,
			      0, 0), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	CHECK_EQ(m.iova & ~(PAGE - 1), fe_addr(&t.s, g & ~(PAGE - 1)));
	/* Stopped meanwhile, not reported down: the device stays. */
	CHECK_EQ(ev_get(&ev.destroy_dev), 0);
	CHECK_EQ(fe_iotlb_answer(&t.s, &m), 0);
	if (t_traffic(&t, 700, 11, 500, 12, 3000) < 0)
		FAIL("no traffic after the ring's update");
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/*
 * An indirect table across a page boundary, each page its own IOTLB entry
 * (contiguous in our space): it is read whole.
 */
static int
iotlb_indirect_across_pages(void)
{
	struct rte_mbuf *p = mk_pkt1(1000, 21);
	struct fe_buf b[2];
	struct t t;
	uint64_t g;
	int head;

	CHECK(p != NULL);
	if (it_start(&t, F_MRG) < 0)
		goto fail;
	g = fe_alloc(&t.s, 2 * PAGE, PAGE);
	b[0] = (struct fe_buf){ .gpa = g, .len = 512 };
	b[1] = (struct fe_buf){ .gpa = g + 1024, .len = 1024 };
	/* The table (two descriptors) takes the last 16 bytes of a page and
	 * the first 16 of the next. */
	t.s.brk = RTE_ALIGN_CEIL(t.s.brk, PAGE) + PAGE - 16;
	CHECK(fe_post(&t.s, FE_RX_VQ, b, 2, true, true) >= 0);
	if (enqueue_served(&t, p, NULL) < 2)
		FAIL("expected misses for both pages of the table and the buffers");
	if (rx_check(&t, p, 1) < 0)
		goto fail;

	/* The same across two entries that are not contiguous in our space
	 * (the second page mapped one page further on): a broken chain,
	 * returned unused, not a table read from the wrong place. */
	t.s.brk = RTE_ALIGN_CEIL(t.s.brk, PAGE) + PAGE - 16;
	g = t.s.gpa_base + t.s.brk + 16;	/* the table's second page */
	CHECK((head = fe_post(&t.s, FE_RX_VQ, b, 2, true, true)) >= 0);
	CHECK_EQ(answer_at(&t, fe_addr(&t.s, g - PAGE), g - PAGE), 0);
	CHECK_EQ(answer_at(&t, fe_addr(&t.s, g), g + PAGE), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	if (used_pop_check(&t, FE_RX_VQ, head, 0) < 0)
		goto fail;
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	t_end(&t);
	return -1;
}

/*
 * A new memory table empties the IOTLB (its entries pointed into the old
 * mappings): the rings are asked for again, and so is a buffer whose miss
 * was sent just before (not held back as a repeat), and traffic resumes.
 */
static int
iotlb_mem_table_replaced(void)
{
	struct rte_mbuf *p = mk_pkt1(300, 55);
	struct fe_buf b;
	struct vhu_iotlb_msg m;
	struct t t;

	CHECK(p != NULL);
	if (it_start(&t, F_BASE) < 0)
		goto fail;
	if (t_traffic(&t, 600, 51, 400, 52, 3000) < 0)
		goto fail;
	b.gpa = fe_alloc(&t.s, PAGE, PAGE);
	b.len = 1024;
	CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);	/* not answered */
	CHECK_EQ(m.iova, fe_addr(&t.s, b.gpa));
	CHECK_EQ(fe_sim_remap(&t.s), 0);
	CHECK_EQ(fe_set_mem_table(&t.s), 0);
	CHECK(fe_iotlb_serve(&t.s, SERVE_MS, NULL) >= 2);	/* the rings */
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	CHECK_EQ(m.iova, fe_addr(&t.s, b.gpa));
	CHECK_EQ(fe_iotlb_answer(&t.s, &m), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 1) < 0)
		goto fail;
	if (t_traffic(&t, 600, 53, 400, 54, 3000) < 0)
		FAIL("no traffic after the new memory table");
	CHECK_EQ(ev_get(&ev.destroy_dev), 0);
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	t_end(&t);
	return -1;
}

/*
 * A stopped device (GET_VRING_BASE: driver unload, guest reset) empties
 * the IOTLB: QEMU passes no invalidation on while the device is stopped,
 * and the next driver reuses the IOVAs. After the restart a buffer at an
 * address translated before is asked for again.
 */
static int
iotlb_stop_flushes(void)
{
	uint32_t base;
	struct t t;
	uint64_t g;
	int q;

	if (it_start(&t, F_BASE) < 0)
		goto fail;
	g = fe_alloc(&t.s, PAGE, PAGE);
	CHECK_EQ(rx_at(&t, g + 16, 62, fe_addr(&t.s, g + 16)), 0);	/* asked, answered */
	CHECK_EQ(rx_at(&t, g + 16, 63, 0), 1);				/* translated now */
	for (q = 0; q < 2; q++)
		CHECK_EQ(fe_get_vring_base(&t.s, q, &base), 0);
	CHECK(ev_wait(&ev.destroy_dev, 1, 2000));
	for (q = 0; q < 2; q++)
		CHECK_EQ(fe_vq_setup(&t.s, q, RING_SIZE), 0);
	CHECK(fe_iotlb_serve(&t.s, SERVE_MS, NULL) >= 2);	/* the new rings */
	if (t_wait_up(&t, 2) < 0)
		goto fail;
	CHECK_EQ(rx_at(&t, g + 16, 64, fe_addr(&t.s, g + 16)), 0);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/*
 * A stopped vring asks for nothing (its guest may be rebooting and
 * unmapping), and a vring set up again at the same addresses (a rebooted
 * guest's IOVAs) asks for them at once, even the one it asked for last
 * just before the stop, which was never answered. The frontend keeps the
 * ring state: the same rings resume at the base GET_VRING_BASE gave.
 */
static int
iotlb_restart_same_rings(void)
{
	struct vhu_iotlb_msg m;
	uint32_t base[2];
	uint64_t desc;
	struct t t;
	int q;

	if (it_start(&t, F_BASE) < 0)
		goto fail;
	if (t_traffic(&t, 500, 71, 300, 72, 3000) < 0)
		goto fail;
	/* The Rx ring's descriptors lose their entry: asked, not answered. */
	desc = fe_addr(&t.s, t.s.vq[FE_RX_VQ].desc_gpa);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, desc, 16 * RING_SIZE, 0, 0), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	CHECK_EQ(m.iova, desc);
	for (q = 0; q < 2; q++)
		CHECK_EQ(fe_get_vring_base(&t.s, q, &base[q]), 0);
	CHECK(ev_wait(&ev.destroy_dev, 1, 2000));
	/* Stopped: the IOTLB is empty, and nothing is asked for. */
	CHECK_EQ(fe_backend_recv(&t.s, &m, 50), 0);
	for (q = 0; q < 2; q++) {
		CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_NUM, q, RING_SIZE), 0);
		CHECK_EQ(fe_set_vring_state(&t.s, VHU_REQ_SET_VRING_BASE, q, base[q]), 0);
		CHECK_EQ(fe_set_vring_addr(&t.s, q), 0);
	}
	CHECK_EQ(fe_backend_recv(&t.s, &m, 50), 0);	/* not started yet */
	for (q = 0; q < 2; q++)
		CHECK_EQ(fe_set_vring_fd(&t.s, VHU_REQ_SET_VRING_KICK, q, t.s.vq[q].kickfd), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	CHECK_EQ(m.iova, desc);
	CHECK_EQ(fe_iotlb_answer(&t.s, &m), 0);
	CHECK(fe_iotlb_serve(&t.s, SERVE_MS, NULL) >= 2);
	if (t_wait_up(&t, 2) < 0)
		goto fail;
	if (t_traffic(&t, 500, 73, 300, 74, 3000) < 0)
		FAIL("no traffic after the restart");
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* More updates than the table holds: it is emptied and refilled by misses. */
static int
iotlb_full(void)
{
	const struct vhu_mem *tbl;
	uint64_t g, i;
	struct t t;

	if (it_start(&t, F_BASE) < 0)
		goto fail;
	g = fe_alloc(&t.s, PAGE, PAGE);
	/* VHU_IOTLB_MAX + 100 distinct IOVA pages onto one page of memory. */
	for (i = 0; i < 2048 + 100; i++)
		CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, (1ULL << 44) + i * PAGE, PAGE,
				      fe_gpa_to_uva(&t.s, g), VHU_ACCESS_RW), 0);
	/* The rings' entries went with the rest: misses bring them back. */
	if (t_traffic(&t, 700, 31, 500, 32, 3000) < 0)
		FAIL("no traffic after the table filled up");

	/* Exactly full, the last entry three pages: invalidating its middle
	 * cannot split it (no room), so it goes whole. The table is read
	 * here while the control thread is idle (every message was acked). */
	tbl = vhu_dev_get(t.vid)->iotlb[VHU_IOTLB_READ];
	for (i = 0; tbl->nregions < VHU_IOTLB_MAX - 1; i++)
		CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, (1ULL << 45) + i * PAGE, PAGE,
				      fe_gpa_to_uva(&t.s, g), VHU_ACCESS_RW), 0);
	g = fe_alloc(&t.s, 3 * PAGE, PAGE);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, 1ULL << 46, 3 * PAGE, fe_gpa_to_uva(&t.s, g),
			      VHU_ACCESS_RW), 0);
	CHECK_EQ(tbl->nregions, VHU_IOTLB_MAX);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, (1ULL << 46) + PAGE, PAGE, 0, 0), 0);
	CHECK_EQ(tbl->nregions, VHU_IOTLB_MAX - 1);
	CHECK(vhu_gpa_range_to_hva(tbl, 1ULL << 46, 1) == NULL);
	CHECK(vhu_gpa_range_to_hva(tbl, (1ULL << 46) + 2 * PAGE, 1) == NULL);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* Map n pages from gpa at their usual IOVA, with permissions perm. */
static int
map_pages(struct t *t, uint64_t gpa, uint64_t n, uint8_t perm)
{
	return fe_iotlb_msg(&t->s, VHU_IOTLB_UPDATE, fe_addr(&t->s, gpa), n * PAGE,
			    fe_gpa_to_uva(&t->s, gpa), perm);
}

/* Enqueue p, which must miss at iova asking for perm, take nothing and
 * leave guest page gpa (filled with 0x5a) alone; then the miss answered
 * with both permissions lets it in. */
static int
rx_needs(struct t *t, struct rte_mbuf *p, uint64_t iova, uint8_t perm, uint64_t gpa)
{
	const uint8_t *pg = fe_ptr(&t->s, gpa);
	struct vhu_iotlb_msg m;
	uint64_t i;

	CHECK_EQ(vhu_enqueue_burst(t->vid, 0, &p, 1), 0);
	CHECK_EQ(used_pending(t, FE_RX_VQ), 0);
	CHECK_EQ(fe_backend_recv(&t->s, &m, SERVE_MS), 1);
	CHECK_EQ(m.iova, iova);
	CHECK_EQ(m.perm, perm);
	for (i = 0; i < PAGE; i++)
		if (pg[i] != 0x5a)
			FAIL("byte %" PRIu64 " of a page mapped without write access written", i);
	CHECK_EQ(fe_iotlb_answer(&t->s, &m), 0);
	if (enqueue_served(t, p, NULL) < 0)
		FAIL("the Rx packet never went in");
	return rx_check(t, p, 1);
fail:
	return -1;
}

/*
 * The guest's permissions are kept per access: a buffer it mapped
 * read-only is never written (an Rx packet waits, asking for write
 * access), one mapped write-only is never read (a Tx packet waits, asking
 * for read access), an indirect table mapped write-only is not read, and
 * a vring whose used ring (packed: device event area) lost write access
 * stops until it has it again.
 */
static int
iotlb_permissions(uint64_t features)
{
	struct rte_mbuf *p = mk_pkt1(900, 31), *tx[1] = { NULL };
	struct vhu_iotlb_msg m, none;
	struct fe_buf b;
	uint64_t g, tbl;
	struct t t;
	int i;

	CHECK(p != NULL);
	if (it_start(&t, features) < 0)
		goto fail;

	/* Rx into a read-only page. */
	g = fe_alloc(&t.s, PAGE, PAGE);
	memset(fe_ptr(&t.s, g), 0x5a, PAGE);
	CHECK_EQ(map_pages(&t, g, 1, VHU_ACCESS_RO), 0);
	b = (struct fe_buf){ .gpa = g, .len = 1024 };
	CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
	if (rx_needs(&t, p, fe_addr(&t.s, g), VHU_ACCESS_WO, g) < 0)
		goto fail;

	/* Rx through an indirect table mapped write-only, into a buffer
	 * mapped both ways. */
	g = fe_alloc(&t.s, PAGE, PAGE);
	CHECK_EQ(map_pages(&t, g, 1, VHU_ACCESS_RW), 0);
	tbl = fe_alloc(&t.s, PAGE, PAGE);
	memset(fe_ptr(&t.s, tbl), 0x5a, PAGE);
	CHECK_EQ(map_pages(&t, tbl, 1, VHU_ACCESS_WO), 0);
	t.s.brk = tbl - t.s.gpa_base;	/* fe_post() puts the table there */
	b = (struct fe_buf){ .gpa = g, .len = 1024 };
	CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, true) >= 0);
	CHECK_EQ(t.s.brk, tbl - t.s.gpa_base + 16);
	memset(fe_ptr(&t.s, tbl) + 16, 0x5a, PAGE - 16);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
	CHECK_EQ(m.iova, fe_addr(&t.s, tbl));
	CHECK_EQ(m.perm, VHU_ACCESS_RO);
	CHECK_EQ(fe_iotlb_answer(&t.s, &m), 0);
	if (enqueue_served(&t, p, NULL) < 0 || rx_check(&t, p, 1) < 0)
		FAIL("the Rx packet never went in through the table");
	t.s.brk = tbl - t.s.gpa_base + PAGE;

	/* Tx out of write-only pages. */
	g = fe_alloc(&t.s, 2 * PAGE, PAGE);
	CHECK_EQ(map_pages(&t, g, 2, VHU_ACCESS_WO), 0);
	t.s.brk = g - t.s.gpa_base;
	CHECK(tx_post(&t, 1000, 33, NULL, false) >= 0);
	CHECK(t.s.brk <= g - t.s.gpa_base + 2 * PAGE);
	if (tx_needs(&t, tx, 1000, 33, fe_addr(&t.s, g)) < 0)
		goto fail;
	free_pkts(tx, 1);
	t.s.brk = g - t.s.gpa_base + 2 * PAGE;

	/* The Rx vring's used ring (device event area) made read-only: the
	 * vring asks for both accesses and stays stopped on the read-only
	 * answer, then runs again once it may write. */
	g = t.s.vq[FE_RX_VQ].used_gpa & ~(PAGE - 1);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, fe_addr(&t.s, g), PAGE, 0, 0), 0);
	/* Areas we only read may share the page: their misses ask for
	 * reading, and get it. */
	for (i = 0; i < 4; i++) {
		CHECK_EQ(fe_backend_recv(&t.s, &m, SERVE_MS), 1);
		CHECK_EQ(m.iova & ~(PAGE - 1), fe_addr(&t.s, g));
		if (m.perm != VHU_ACCESS_RO)
			break;
		CHECK_EQ(map_pages(&t, g, 1, VHU_ACCESS_RO), 0);
	}
	CHECK_EQ(m.perm, VHU_ACCESS_RW);
	CHECK_EQ(m.iova, fe_addr(&t.s, t.s.vq[FE_RX_VQ].used_gpa));
	CHECK_EQ(map_pages(&t, g, 1, VHU_ACCESS_RO), 0);
	/* A buffer it could write into: the vring alone holds the packet. */
	g = fe_alloc(&t.s, PAGE, PAGE);
	CHECK_EQ(map_pages(&t, g, 1, VHU_ACCESS_RW), 0);
	b = (struct fe_buf){ .gpa = g, .len = 1024 };
	CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 0);
	CHECK_EQ(fe_used_count(&t.s, FE_RX_VQ), 0);
	CHECK_EQ(fe_backend_recv(&t.s, &none, 20), 0);	/* the same miss, held back */
	CHECK_EQ(fe_iotlb_answer(&t.s, &m), 0);
	if (enqueue_served(&t, p, NULL) < 0 || rx_check(&t, p, 1) < 0)
		FAIL("no Rx after the used ring got write access back");
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(tx, 1);
	t_end(&t);
	return -1;
}

static int
iotlb_permissions_split(void)
{
	return iotlb_permissions(F_MRG);
}

static int
iotlb_permissions_packed(void)
{
	return iotlb_permissions(F_MRG | F_PACKED);
}

/* IOTLB_MSG the library refuses, the connection staying up. */
static int
iotlb_refused(void)
{
	uint64_t uva, g;
	struct t t;
	uint8_t short_msg[20] = { 0 };
	struct vhu_iotlb_msg m26 = { 0 };

	/* Without ACCESS_PLATFORM negotiated: refused. */
	if (t_start(&t, F_BASE, 1) < 0)
		goto fail;
	g = fe_alloc(&t.s, PAGE, PAGE);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, g, PAGE, fe_gpa_to_uva(&t.s, g),
			      VHU_ACCESS_RW), -EIO);
	if (t_traffic(&t, 100, 1, 100, 2, 1000) < 0)
		goto fail;
	CHECK_EQ(fe_backend_recv(&t.s, &(struct vhu_iotlb_msg){ 0 }, 0), -ENOTCONN);
	t_end(&t);

	if (it_start(&t, F_BASE) < 0)
		goto fail;
	g = fe_alloc(&t.s, PAGE, PAGE);
	uva = fe_gpa_to_uva(&t.s, g);
	/* Outside guest memory, wholly or in part. */
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, IOVA_OFF, PAGE, 0x1000, VHU_ACCESS_RW),
		 -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, IOVA_OFF, 2 * PAGE,
			      fe_gpa_to_uva(&t.s, fe_gpa_end(&t.s) - PAGE), VHU_ACCESS_RW), -EIO);
	/* Size 0, wrapping ranges, no or unknown permissions. */
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, IOVA_OFF, 0, uva, VHU_ACCESS_RW), -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, UINT64_MAX - 100, PAGE, uva,
			      VHU_ACCESS_RW), -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, IOVA_OFF, PAGE, UINT64_MAX - 100,
			      VHU_ACCESS_RW), -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, IOVA_OFF, PAGE, uva, 0), -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_UPDATE, IOVA_OFF, PAGE, uva, 4), -EIO);
	/* Types only the backend sends, or none at all. */
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_MISS, IOVA_OFF, PAGE, uva, VHU_ACCESS_RW), -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_ACCESS_FAIL, IOVA_OFF, PAGE, uva, 1), -EIO);
	CHECK_EQ(fe_iotlb_msg(&t.s, 0, IOVA_OFF, PAGE, uva, VHU_ACCESS_RW), -EIO);
	/* An invalidation of what is not there, or of everything: fine. */
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, 1ULL << 50, PAGE, 0, 0), 0);
	/* Without the tail padding (26 bytes): taken. */
	m26 = (struct vhu_iotlb_msg){ .iova = fe_addr(&t.s, g), .size = PAGE, .uaddr = uva,
				      .perm = VHU_ACCESS_RW, .type = VHU_IOTLB_UPDATE };
	CHECK_EQ(fe_request(&t.s, VHU_REQ_IOTLB_MSG, &m26, 26, NULL, 0), 0);
	CHECK_EQ(rx_at(&t, g + 8, 41, 0), 1);
	/* Everything: the rings too, whose misses come first. */
	CHECK_EQ(fe_iotlb_msg(&t.s, VHU_IOTLB_INVALIDATE, 0, UINT64_MAX, 0, 0), 0);
	CHECK(fe_iotlb_serve(&t.s, SERVE_MS, NULL) >= 2);
	CHECK_EQ(rx_at(&t, g + 8, 42, fe_addr(&t.s, g + 8)), 0);
	/* The device ran all along. */
	CHECK_EQ(ev_get(&ev.destroy_dev), 0);
	/* Too short to hold a type: the framing is wrong, the connection goes. */
	CHECK_EQ(fe_send(&t.s, VHU_REQ_IOTLB_MSG, 0, short_msg, sizeof(short_msg), NULL, 0), 0);
	CHECK(fe_peer_closed(&t.s, 2000));
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static const struct unit_case iotlb_cases[] = {
	{ "iotlb_split", iotlb_split },
	{ "iotlb_split_mrg_indirect", iotlb_split_mrg_indirect },
	{ "iotlb_packed", iotlb_packed },
	{ "iotlb_packed_indirect", iotlb_packed_indirect },
	{ "iotlb_invalidate", iotlb_invalidate },
	{ "iotlb_indirect_across_pages", iotlb_indirect_across_pages },
	{ "iotlb_mem_table_replaced", iotlb_mem_table_replaced },
	{ "iotlb_stop_flushes", iotlb_stop_flushes },
	{ "iotlb_restart_same_rings", iotlb_restart_same_rings },
	{ "iotlb_full", iotlb_full },
	{ "iotlb_refused", iotlb_refused },
	{ "iotlb_permissions_split", iotlb_permissions_split },
	{ "iotlb_permissions_packed", iotlb_permissions_packed },
};
UNIT_CASES(iotlb_cases)
