/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * The dirty page log of live migration (log.c): LOG_SHMFD, SET_LOG_BASE,
 * LOG_ALL turned on and off by SET_FEATURES on a running device, as QEMU
 * does when a migration starts and ends. While it is on, every page the
 * library writes has its bit set: the Rx buffers it filled, the used ring
 * (split) or descriptor ring (packed); pages it only read stay clear. The
 * device keeps running throughout, also with VIRTIO_F_ACCESS_PLATFORM,
 * whose I/O virtual addresses the log must not see. A log too small for
 * guest memory, or a bad SET_LOG_BASE, costs nothing but the bits it
 * cannot hold.
 */
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "unit.h"

#define F_LOG_ALL	VHU_BIT(VHU_VHOST_F_LOG_ALL)
#define F_IOMMU		VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM)
#define IOVA_OFF	0x10000000000ULL
#define PAGE		4096u
#define RX_LEN		5000u	/* Rx packet: spans two page boundaries */
#define TX_LEN		9000u	/* Tx packet: has pages of its own */

struct lt {
	struct t t;
	int logfd;
	uint8_t *log;
	uint64_t log_len;
};

static bool
page_dirty(const struct lt *l, uint64_t gpa)
{
	uint64_t page = gpa / PAGE;

	return page / 8 < l->log_len && (l->log[page / 8] >> (page % 8) & 1);
}

static uint64_t
dirty_count(const struct lt *l)
{
	uint64_t i, n = 0;

	for (i = 0; i < l->log_len; i++)
		n += __builtin_popcount(l->log[i]);
	return n;
}

/* A log of len bytes in a memfd of file_len bytes, mapped for us too. */
static int
log_make(struct lt *l, uint64_t len, uint64_t file_len)
{
	l->logfd = memfd_create("vhu_log", MFD_CLOEXEC);
	CHECK(l->logfd >= 0);
	CHECK(ftruncate(l->logfd, file_len) == 0);
	l->log_len = len;
	l->log = mmap(NULL, RTE_MAX(len, file_len), PROT_READ | PROT_WRITE, MAP_SHARED,
		      l->logfd, 0);
	CHECK(l->log != MAP_FAILED);
	return 0;
fail:
	return -1;
}

static void
log_free(struct lt *l)
{
	if (l->log != NULL && l->log != MAP_FAILED)
		munmap(l->log, RTE_MAX(l->log_len, (uint64_t)PAGE));
	if (l->logfd >= 0)
		close(l->logfd);
	l->log = NULL;
	l->logfd = -1;
}

/* SET_LOG_BASE; the library answers with an empty reply either way. */
static int
log_base_send(struct lt *l, uint64_t size, uint64_t off)
{
	struct vhu_log_desc d = { .mmap_size = size, .mmap_offset = off };
	uint8_t reply[16];

	CHECK_EQ(fe_send(&l->t.s, VHU_REQ_SET_LOG_BASE, 0, &d, sizeof(d), &l->logfd, 1), 0);
	CHECK_EQ(fe_recv(&l->t.s, VHU_REQ_SET_LOG_BASE, reply, sizeof(reply)), 0);
	return 0;
fail:
	return -1;
}

/*
 * With F_IOMMU in features, descriptors and rings carry I/O virtual
 * addresses (fe_sim's iova_off), translated by one IOTLB entry for all of
 * guest memory: the log must still get guest physical pages.
 */
static int
lt_start(struct lt *l, uint64_t features)
{
	bool iommu = features & F_IOMMU;
	int want_new, ret;

	memset(l, 0, sizeof(*l));
	l->logfd = -1;
	if (t_register(&l->t, iommu ? VHU_REG_IOMMU : 0) < 0 || t_open(&l->t, 1) < 0)
		return -1;
	want_new = ev_get(&ev.new_dev) + 1;
	l->t.s.extra_protocol = VHU_BIT(VHU_PROTOCOL_F_LOG_SHMFD);
	if (iommu) {
		l->t.s.iova_off = IOVA_OFF;
		l->t.s.extra_protocol |= VHU_BIT(VHU_PROTOCOL_F_BACKEND_REQ);
	}
	ret = fe_handshake(&l->t.s, features, 2, 256);
	if (ret < 0)
		FAIL("handshake: %s", strerror(-ret));
	if (iommu) {
		CHECK(l->t.s.features & F_IOMMU);
		CHECK_EQ(fe_iotlb_msg(&l->t.s, VHU_IOTLB_UPDATE, fe_addr(&l->t.s, l->t.s.gpa_base),
				      l->t.s.mem_size, fe_gpa_to_uva(&l->t.s, l->t.s.gpa_base),
				      VHU_ACCESS_RW), 0);
	}
	CHECK(l->t.s.protocol_features & VHU_BIT(VHU_PROTOCOL_F_LOG_SHMFD));
	CHECK(!(l->t.s.features & F_LOG_ALL));
	return t_wait_up(&l->t, want_new);
fail:
	return -1;
}

static void
lt_end(struct lt *l)
{
	t_end(&l->t);
	log_free(l);
}

/* A page-aligned buffer of len bytes in guest memory. */
static uint64_t
buf_alloc(struct lt *l, uint32_t len)
{
	return fe_alloc(&l->t.s, RTE_ALIGN_CEIL(len, PAGE), PAGE);
}

/* One Rx packet into a buffer at rx_gpa, one Tx packet out of tx_gpa. */
static int
traffic(struct lt *l, uint64_t rx_gpa, uint64_t tx_gpa, unsigned int seed)
{
	struct fe_buf rb = { .gpa = rx_gpa, .len = RX_LEN + 64 };
	static const uint16_t segs[] = { 2000, 2000, RX_LEN - 4000, 0 };
	struct rte_mbuf *p = mk_pkt(segs, seed), *rx[1] = { 0 };
	uint8_t *tx = fe_ptr(&l->t.s, tx_gpa);
	struct fe_buf tb = { .gpa = tx_gpa, .len = l->t.hdr_len + TX_LEN };
	uint32_t id, len;
	int head;

	CHECK(p != NULL);
	CHECK((head = fe_post(&l->t.s, FE_RX_VQ, &rb, 1, true, false)) >= 0);
	CHECK_EQ(vhu_enqueue_burst(l->t.vid, 0, &p, 1), 1);
	if (rx_check(&l->t, p, 1) < 0)
		goto fail;
	memset(tx, 0, l->t.hdr_len);
	pat_fill(tx + l->t.hdr_len, TX_LEN, seed + 1);
	CHECK(fe_post(&l->t.s, FE_TX_VQ, &tb, 1, false, false) >= 0);
	CHECK_EQ(vhu_dequeue_burst(l->t.vid, 1, mp, rx, 1), 1);
	if (tx_check(rx[0], TX_LEN, seed + 1, 0) < 0)
		goto fail;
	CHECK_EQ(fe_used_pop(&l->t.s, FE_TX_VQ, &id, &len), 1);
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	return -1;
}

static int
log_dirty_pages(uint64_t features)
{
	uint64_t rx_gpa, tx_gpa, ring_gpa, g;
	int destroyed;
	struct lt l;

	if (lt_start(&l, features) < 0)
		goto fail;
	destroyed = ev_get(&ev.destroy_dev);	/* t_register() reset it */
	rx_gpa = buf_alloc(&l, RX_LEN + 64);
	tx_gpa = buf_alloc(&l, TX_LEN + 64);
	/* Split: what we write of a ring is its used ring; packed: its
	 * descriptors. */
	ring_gpa = fe_is_packed(&l.t.s) ? l.t.s.vq[FE_RX_VQ].desc_gpa : l.t.s.vq[FE_RX_VQ].used_gpa;
	/* One bit per page of guest memory, which starts at 4 GiB here. */
	if (log_make(&l, RTE_ALIGN_CEIL(fe_gpa_end(&l.t.s) / PAGE / 8, PAGE),
		     RTE_ALIGN_CEIL(fe_gpa_end(&l.t.s) / PAGE / 8, PAGE)) < 0)
		goto fail;

	/* Log mapped, LOG_ALL not yet set: nothing is logged. */
	if (log_base_send(&l, l.log_len, 0) < 0 || traffic(&l, rx_gpa, tx_gpa, 1) < 0)
		goto fail;
	CHECK_EQ(dirty_count(&l), 0);

	/* Migration starts: LOG_ALL on a running device, which stays up. */
	CHECK_EQ(fe_set_u64(&l.t.s, VHU_REQ_SET_FEATURES, l.t.s.features | F_LOG_ALL), 0);
	if (traffic(&l, rx_gpa, tx_gpa, 2) < 0)
		goto fail;
	for (g = rx_gpa; g < rx_gpa + l.t.hdr_len + RX_LEN; g += PAGE)
		if (!page_dirty(&l, g))
			FAIL("Rx buffer page 0x%lx not logged", (unsigned long)g);
	CHECK(!page_dirty(&l, rx_gpa + RTE_ALIGN_CEIL(l.t.hdr_len + RX_LEN, PAGE)));
	CHECK(page_dirty(&l, ring_gpa));
	CHECK(page_dirty(&l, fe_is_packed(&l.t.s) ? l.t.s.vq[FE_TX_VQ].desc_gpa :
			 l.t.s.vq[FE_TX_VQ].used_gpa));
	/* The Tx packet was only read. */
	for (g = tx_gpa; g < tx_gpa + TX_LEN; g += PAGE)
		if (page_dirty(&l, g))
			FAIL("Tx buffer page 0x%lx logged: we only read it", (unsigned long)g);
	CHECK(!page_dirty(&l, fe_gpa_end(&l.t.s) - PAGE));

	/* The frontend syncs (clears what it sent): the next writes log again. */
	memset(l.log, 0, l.log_len);
	if (traffic(&l, rx_gpa, tx_gpa, 3) < 0)
		goto fail;
	CHECK(page_dirty(&l, rx_gpa));
	CHECK(page_dirty(&l, ring_gpa));

	/* Migration over (or cancelled): LOG_ALL off, nothing logged. */
	CHECK_EQ(fe_set_u64(&l.t.s, VHU_REQ_SET_FEATURES, l.t.s.features & ~F_LOG_ALL), 0);
	memset(l.log, 0, l.log_len);
	if (traffic(&l, rx_gpa, tx_gpa, 4) < 0)
		goto fail;
	CHECK_EQ(dirty_count(&l), 0);
	CHECK_EQ(ev_get(&ev.destroy_dev), destroyed);
	lt_end(&l);
	return 0;
fail:
	lt_end(&l);
	return -1;
}

static int log_split(void) { return log_dirty_pages(F_BASE); }
static int log_packed(void) { return log_dirty_pages(F_BASE | F_PACKED); }
static int log_split_iommu(void) { return log_dirty_pages(F_BASE | F_IOMMU); }
static int log_packed_iommu(void) { return log_dirty_pages(F_BASE | F_PACKED | F_IOMMU); }

/*
 * Hostile logs: SET_LOG_BASE without LOG_SHMFD, of size 0, overflowing,
 * larger than its file: refused, device still serving. A log of one page
 * covers 128 MiB of guest physical memory, ours is at 4 GiB: the bits past
 * its end are not set (ASan would see a write past the mapping).
 */
static int
log_hostile(void)
{
	uint64_t rx_gpa, tx_gpa;
	struct lt l;

	if (lt_start(&l, F_BASE) < 0)
		goto fail;
	rx_gpa = buf_alloc(&l, RX_LEN + 64);
	tx_gpa = buf_alloc(&l, TX_LEN + 64);
	if (log_make(&l, PAGE, PAGE) < 0)
		goto fail;
	if (log_base_send(&l, 0, 0) < 0 || log_base_send(&l, UINT64_MAX, PAGE) < 0 ||
	    log_base_send(&l, 4 * PAGE, 0) < 0)
		goto fail;
	CHECK_EQ(fe_set_u64(&l.t.s, VHU_REQ_SET_FEATURES, l.t.s.features | F_LOG_ALL), 0);
	if (traffic(&l, rx_gpa, tx_gpa, 5) < 0)
		goto fail;
	CHECK_EQ(dirty_count(&l), 0);	/* no log was taken */

	/* A log too small for guest memory: taken, bits beyond it dropped. */
	if (log_base_send(&l, PAGE, 0) < 0 || traffic(&l, rx_gpa, tx_gpa, 6) < 0)
		goto fail;
	CHECK_EQ(dirty_count(&l), 0);

	/* A log that covers guest memory, whose file then shrinks under us:
	 * the frontend is dropped (guard.c). */
	log_free(&l);
	if (log_make(&l, RTE_ALIGN_CEIL(fe_gpa_end(&l.t.s) / PAGE / 8, PAGE),
		     RTE_ALIGN_CEIL(fe_gpa_end(&l.t.s) / PAGE / 8, PAGE)) < 0 ||
	    log_base_send(&l, l.log_len, 0) < 0)
		goto fail;
	munmap(l.log, l.log_len);
	l.log = NULL;
	CHECK(ftruncate(l.logfd, 0) == 0);
	{
		struct rte_mbuf *p = mk_pkt1(60, 7);
		struct fe_buf rb = { .gpa = rx_gpa, .len = 2048 };

		CHECK(p != NULL);
		CHECK(fe_post(&l.t.s, FE_RX_VQ, &rb, 1, true, false) >= 0);
		/* The packet is written (guest memory is fine), its log bit
		 * is what faults. */
		CHECK_EQ(vhu_enqueue_burst(l.t.vid, 0, &p, 1), 1);
		rte_pktmbuf_free(p);
	}
	CHECK(fe_peer_closed(&l.t.s, 5000));
	lt_end(&l);
	return 0;
fail:
	lt_end(&l);
	return -1;
}

static const struct unit_case log_cases[] = {
	{ "log_split", log_split },
	{ "log_packed", log_packed },
	{ "log_split_iommu", log_split_iommu },
	{ "log_packed_iommu", log_packed_iommu },
	{ "log_hostile", log_hostile },
};
UNIT_CASES(log_cases)
