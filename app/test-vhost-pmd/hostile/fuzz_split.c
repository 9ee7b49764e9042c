/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * libFuzzer target: the split ring walkers (vhu_enqueue_burst(),
 * vhu_dequeue_burst()) over guest memory the input fills.
 *
 * Guest memory: that of fuzz_common.h, two regions of 32 KiB between
 * guard pages. Rings sit against the guards: the used ring ends at the top
 * of region A, the descriptor table starts region B, the avail ring ends
 * region B. Both vrings 0 and 1 use these rings; the device is set up
 * through the real SET_* handlers (no fds, no socket).
 *
 * Input: 6 config bytes
 *     [0] bits 0-3 log2 ring size (max 8), bit 4 MRG_RXBUF, bit 5 VERSION_1,
 *         bit 6 Tx (dequeue) instead of Rx (enqueue), bit 7 EVENT_IDX (if
 *         the library offers it)
 *     [1-2] ring base (last_avail_idx = last_used_idx)
 *     [3] bits 0-4 packets per burst - 1, bits 5-6 bursts - 1, bit 7 the
 *         checksum and TSO features (offered and negotiated; then bit 15 of
 *         the ring base picks legacy offload flags)
 *     [4-5] Rx packet length - 1 (mod 9000)
 * then the descriptor table (16 * size), the avail ring (4 + 2 * size),
 * then bytes for guest memory from gpa 0 up. fuzz-split-iommu (FUZZ_IOMMU):
 * the last two bytes are a mask of the 4 KiB guest pages the IOTLB maps
 * (with the rings' pages), the two before them a mask of those mapped one
 * way only (fuzz_common.h); a buffer or table elsewhere misses, and so does
 * an Rx buffer in a page mapped only for reading.
 *
 * Checked after every burst: the library wrote guest memory only in the
 * used ring (idx, entries, avail_event with EVENT_IDX) and, for Rx, in
 * buffers of device-writable descriptors; it returned exactly the avail
 * entries it consumed, in order;
 * used->idx is what it says; each Rx packet's payload bytes are in the
 * buffers of its used entries (every byte no other packet also wrote; not
 * checked when a buffer overlaps a ring or descriptor table, as the guest
 * then changes them under the library); Tx mbufs are well formed; no mbuf
 * leaks.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fuzz_common.h"

#define CFG_LEN		6

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	fuzz_env_init((*argv)[0]);
	fuzz_guest_map();
	return 0;
}

/* Rx may write any buffer the guest marked device-writable, anywhere. */
static void
allow_writable(const struct vhu_desc *table, uint32_t n, bool top)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct vhu_desc d;

		memcpy(&d, &table[i], sizeof(d));
		if (top && (d.flags & VHU_DESC_F_INDIRECT) && d.addr < FUZZ_GUEST_SIZE &&
		    d.len <= FUZZ_GUEST_SIZE - d.addr) {
			fuzz_mark(fuzz_tables, d.addr, d.len);
			allow_writable((const void *)(fuzz_before + d.addr), d.len / sizeof(d),
				       false);
		} else if (d.flags & VHU_DESC_F_WRITE)
			fuzz_allow_write(d.addr, d.len);
	}
}

struct layout {
	uint16_t size;
	uint64_t used_gpa;
	uint64_t avail_gpa;
};

/* Where the library should have put the stream's next len bytes: the
 * writable buffers of the chain at head, which it accepted. */
static void
rx_expect_chain(const struct layout *l, uint16_t head, struct fuzz_rx_stream *rx, uint32_t len)
{
	const struct vhu_desc *table = (const void *)(fuzz_before + FUZZ_DESC_GPA);
	uint32_t nent = l->size, steps;
	struct vhu_desc d;

	FUZZ_CHECK(head < nent, "Rx used head %u on a ring of %u", head, nent);
	memcpy(&d, &table[head], sizeof(d));
	if (d.flags & VHU_DESC_F_INDIRECT) {
		FUZZ_CHECK(d.addr < FUZZ_GUEST_SIZE && d.len <= FUZZ_GUEST_SIZE - d.addr,
			   "indirect table 0x%" PRIx64 "+%u used", d.addr, d.len);
		table = (const void *)(fuzz_before + d.addr);
		nent = d.len / sizeof(d);
		memcpy(&d, &table[0], sizeof(d));
	}
	for (steps = 0; len > 0 && steps < nent; steps++) {
		uint32_t n = RTE_MIN(len, d.len);

		fuzz_rx_expect(rx, d.addr, n);
		len -= n;
		if (!(d.flags & VHU_DESC_F_NEXT) || d.next >= nent)
			break;
		memcpy(&d, &table[d.next], sizeof(d));
	}
	FUZZ_CHECK(len == 0, "Rx used len beyond its chain (%u bytes left)", len);
}

/* The payload of the n packets sent, at every byte only one wrote. */
static void
rx_check_payload(const struct layout *l, const struct vhu_used *used,
		 const struct vhu_avail *avail, uint16_t avail0, uint16_t used0, uint16_t produced,
		 uint16_t n, uint32_t pkt_len, uint32_t hdr_len)
{
	uint16_t mask = l->size - 1, i;
	struct fuzz_rx_stream rx;

	fuzz_rx_begin(&rx, hdr_len, pkt_len);
	for (i = 0; i < produced && rx.pkt < n; i++) {
		const struct vhu_used_elem *e = &used->ring[(uint16_t)(used0 + i) & mask];

		rx_expect_chain(l, avail->ring[(uint16_t)(avail0 + i) & mask], &rx, e->len);
		fuzz_rx_used_done(&rx);
	}
	fuzz_rx_check_payload(&rx, n);
}

static void
one_burst(struct vhu_dev *dev, const struct layout *l, bool tx, uint16_t nb, uint32_t len)
{
	uint32_t vring = tx ? 1 : 0;
	struct vhu_vring *vq = &dev->vrings[vring];
	uint16_t avail0 = vq->last_avail_idx, used0 = vq->last_used_idx;
	uint16_t mask = l->size - 1, produced, consumed, n, i;
	const struct vhu_avail *avail = (const void *)(fuzz_before + l->avail_gpa);
	const struct vhu_used *used;
	bool rings_clobbered = false;

	fuzz_burst_begin();
	fuzz_mark(fuzz_tables, FUZZ_DESC_GPA, 16u * l->size);
	fuzz_mark(fuzz_tables, l->avail_gpa, 6 + 2u * l->size);
	fuzz_mark(fuzz_tables, l->used_gpa, 6 + 8u * l->size);
	if (!tx) {
		allow_writable((const void *)(fuzz_before + FUZZ_DESC_GPA), l->size, true);
		/* A guest may hand out its own rings or descriptor tables as Rx
		 * buffers: the library then reads back packet bytes as ring
		 * entries and descriptors. Only memory safety is checked then. */
		rings_clobbered = fuzz_tables_writable();
	}
	/* idx and ring, not flags */
	fuzz_mark(fuzz_allowed, l->used_gpa + 2, 2 + 8ull * l->size);
	if (dev->features & VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX))
		fuzz_mark(fuzz_allowed, l->used_gpa + 4 + 8ull * l->size, 2);	/* avail_event */

	n = fuzz_burst_run(dev, vring, tx, nb, len);
	fuzz_burst_end(tx, !rings_clobbered);

	consumed = vq->last_avail_idx - avail0;
	produced = vq->last_used_idx - used0;
	FUZZ_TRACE("%s: %u of %u packets, %u avail entries consumed\n",
		   tx ? "dequeue" : "enqueue", n, nb, consumed);
	FUZZ_CHECK(consumed == produced, "consumed %u avail entries, produced %u used",
		   consumed, produced);
	FUZZ_CHECK(produced <= l->size, "produced %u on a ring of %u", produced, l->size);
	if (produced == 0 || rings_clobbered)
		return;
	used = (const void *)(fuzz_after + l->used_gpa);
	FUZZ_CHECK(used->idx == vq->last_used_idx, "used->idx %u, library says %u",
		   used->idx, vq->last_used_idx);
	for (i = 0; i < produced; i++) {
		const struct vhu_used_elem *e = &used->ring[(uint16_t)(used0 + i) & mask];
		uint16_t head = avail->ring[(uint16_t)(avail0 + i) & mask];

		FUZZ_CHECK(e->id == head, "used entry %u is id %u, avail had %u",
			   i, e->id, head);
		if (tx)
			FUZZ_CHECK(e->len == 0, "Tx used len %u", e->len);
		else
			FUZZ_CHECK(e->len <= len + dev->vnet_hdr_len, "Rx used len %u for %u bytes",
				   e->len, len);
	}
	if (!tx)
		rx_check_payload(l, used, avail, avail0, used0, produced, n, len,
				 dev->vnet_hdr_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t features = VHU_BIT(VHU_VIRTIO_RING_F_INDIRECT_DESC);
	struct layout l;
	struct vhu_dev *dev;
	uint16_t base, nb, bursts, pages = 0xffff, oneway = 0;
	uint32_t len;
	bool tx;

	if (size < CFG_LEN)
		return -1;
	l.size = 1u << RTE_MIN(data[0] & 15, 8);
	if (data[0] & 0x10)
		features |= VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	if (data[0] & 0x20)
		features |= VHU_BIT(VHU_VIRTIO_F_VERSION_1);
	tx = data[0] & 0x40;
	if (data[0] & 0x80)
		features |= VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX) & VHU_SUPPORTED_FEATURES;
	base = data[1] | data[2] << 8;
	fuzz_sock.flags = 0;
	if (data[3] & 0x80) {
		features |= VHU_CSUM_FEATURES | VHU_TSO_FEATURES;
		fuzz_sock.flags = VHU_REG_CSUM | VHU_REG_TSO |
			(base & 0x8000 ? VHU_REG_LEGACY_OL_FLAGS : 0);
	}
	nb = 1 + (data[3] & 31);
	bursts = 1 + ((data[3] >> 5) & 3);
	len = 1 + (data[4] | data[5] << 8) % 9000;
	data += CFG_LEN;
	size -= CFG_LEN;
	/* IOMMU variant: the input's tail says which pages map, and how. */
	if (fuzz_iommu)
		fuzz_iotlb_tail(data, &size, &pages, &oneway);
	/* Used ring (with avail_event) against the top of region A, avail
	 * ring (with used_event) against the top of region B. */
	l.used_gpa = FUZZ_HALF - RTE_ALIGN_CEIL(6 + 8u * l.size, 4);
	l.avail_gpa = FUZZ_GUEST_SIZE - (6 + 2u * l.size);

	/* Guest memory: zero, then the input's rings and bytes. */
	fuzz_guest_clear();
	{
		size_t dlen = RTE_MIN(size, 16u * l.size);
		size_t alen = RTE_MIN(size - dlen, 4u + 2 * l.size);

		fuzz_guest_write(FUZZ_DESC_GPA, data, dlen);
		fuzz_guest_write(l.avail_gpa, data + dlen, alen);
		fuzz_guest_write(0, data + dlen + alen,
			    RTE_MIN(size - dlen - alen, (size_t)l.used_gpa));
	}

	/* The used index a frontend that set this base has: otherwise the
	 * library resumes from used->idx (device.c, vring_resync()) and
	 * every base would start at 0. */
	{
		struct vhu_used *u = (void *)fuzz_g2p(l.used_gpa, 4);

		u->idx = base;
	}
	dev = fuzz_dev_create(features);
	if (fuzz_iommu)
		fuzz_iotlb_pages(dev, pages, oneway, fuzz_page_bits(FUZZ_DESC_GPA, 16u * l.size) |
				 fuzz_page_bits(l.avail_gpa, 6 + 2u * l.size) |
				 fuzz_page_bits(l.used_gpa, 6 + 8u * l.size));
	for (uint32_t q = 0; q < 2; q++)
		fuzz_vring_setup(dev, q, l.size, base, FUZZ_DESC_GPA, l.avail_gpa, l.used_gpa);
	FUZZ_CHECK(fuzz_life.running, "device did not start");

	while (bursts--)
		one_burst(dev, &l, tx, nb, len);

	fuzz_dev_destroy(dev);
	return 0;
}
