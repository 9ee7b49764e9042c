/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * libFuzzer target: the packed ring walkers (vhu_enqueue_burst(),
 * vhu_dequeue_burst() with VIRTIO_F_RING_PACKED) over guest memory the
 * input fills. The packed twin of fuzz_split.c.
 *
 * Guest memory: that of fuzz_common.h, two regions of 32 KiB between
 * guard pages. The descriptor ring starts region B (a guard below it), the
 * driver event area ends region A, the device event area ends region B.
 * Both vrings 0 and 1 use these areas; the device is set up through the
 * real SET_* handlers.
 *
 * Input: 7 config bytes
 *     [0] bit 0 MRG_RXBUF, bit 1 VERSION_1, bit 2 Tx (dequeue) instead of
 *         Rx (enqueue), bit 3 EVENT_IDX, bit 4 IN_ORDER, bit 5 base in
 *         both halves (QEMU) instead of the avail half only (virtio_user)
 *     [1] ring size - 1 (1..256, any size)
 *     [2-3] SET_VRING_BASE avail half (slot bits 0-14, wrap counter 15)
 *     [4] bits 0-4 packets per burst - 1, bits 5-6 bursts - 1
 *     [5-6] Rx packet length - 1 (mod 9000)
 * then the descriptor ring (16 * size), the driver event area (4), then
 * bytes for guest memory from gpa 0 up. fuzz-packed-iommu (FUZZ_IOMMU):
 * the last two bytes are a mask of the 4 KiB guest pages the IOTLB maps
 * (with the rings' pages), the two before them a mask of those mapped one
 * way only (fuzz_common.h); a buffer or table elsewhere misses, and so does
 * an Rx buffer in a page mapped only for reading.
 *
 * Checked: a base slot outside the ring keeps the device stopped; after
 * every burst the library wrote guest memory only in the id, len and flags
 * of ring descriptors and, for Rx, in buffers of device-writable
 * descriptors; its used and avail positions are equal; the used
 * descriptors it wrote are, in order, one per chain the driver had made
 * available from the old position (AVAIL = USED = the used wrap counter,
 * the buffer id of the chain's last descriptor, skipping the chain's
 * slots, one lap at most; Tx with IN_ORDER: one for the whole burst, at
 * its first slot, with the id of its last chain); Tx lengths are 0, Rx
 * lengths within the packet;
 * each Rx packet's payload bytes are in the buffers of its chains (every
 * byte no other packet also wrote; not checked when a buffer overlaps the
 * ring or a table); Tx mbufs are well formed; no mbuf leaks.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fuzz_common.h"

#define DRV_GPA		(FUZZ_HALF - 4)
#define DEV_GPA		(FUZZ_GUEST_SIZE - 4)
#define CFG_LEN		7

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	fuzz_env_init((*argv)[0]);
	fuzz_guest_map();
	return 0;
}

static const struct vhu_pdesc *
ring_before(void)
{
	return (const void *)(fuzz_before + FUZZ_DESC_GPA);
}

/* Rx may write any buffer marked device-writable, in the ring or in a
 * table a ring descriptor points to. */
static void
allow_writable(uint16_t size)
{
	const struct vhu_pdesc *ring = ring_before();
	uint32_t i, j;

	for (i = 0; i < size; i++) {
		struct vhu_pdesc d = ring[i];

		if ((d.flags & VHU_DESC_F_INDIRECT) && d.addr < FUZZ_GUEST_SIZE &&
		    d.len <= FUZZ_GUEST_SIZE - d.addr) {
			const struct vhu_pdesc *t = (const void *)(fuzz_before + d.addr);

			fuzz_mark(fuzz_tables, d.addr, d.len);
			for (j = 0; j < d.len / sizeof(d); j++) {
				struct vhu_pdesc e;

				memcpy(&e, &t[j], sizeof(e));
				if (e.flags & VHU_DESC_F_WRITE)
					fuzz_allow_write(e.addr, e.len);
			}
		} else if (d.flags & VHU_DESC_F_WRITE) {
			fuzz_allow_write(d.addr, d.len);
		}
	}
}

/* Ring position, counted over two laps. */
struct pos {
	uint16_t idx;
	uint8_t wrap;
};

static void
pos_advance(struct pos *p, uint16_t n, uint16_t size)
{
	uint32_t i = (uint32_t)p->idx + n;

	if (i >= size) {
		i -= size;
		p->wrap ^= 1;
	}
	p->idx = i;
}

static uint32_t
pos_linear(struct pos p, uint16_t size)
{
	return p.idx + (p.wrap ? 0u : size);
}

static bool
is_avail(uint16_t flags, uint8_t wrap)
{
	return !!(flags & VHU_DESC_F_AVAIL) == wrap && !!(flags & VHU_DESC_F_USED) != wrap;
}

/* The chain the driver had at p (in before): its slots and buffer id. */
static uint16_t
chain_at(struct pos p, uint16_t size, uint16_t *id)
{
	const struct vhu_pdesc *ring = ring_before();
	uint16_t n = 0;

	FUZZ_CHECK(is_avail(ring[p.idx].flags, p.wrap),
		   "used descriptor at slot %u: no chain was available there", p.idx);
	for (;;) {
		struct vhu_pdesc d = ring[p.idx];

		n++;
		*id = d.id;
		if (!(d.flags & VHU_DESC_F_NEXT) || n == size)
			return n;
		pos_advance(&p, 1, size);
		if (!is_avail(ring[p.idx].flags, p.wrap))
			return n;
	}
}

/* Where the library should have put the stream's next len bytes: the
 * writable buffers of the chain at p, which it accepted. */
static void
rx_expect_chain(struct pos p, uint16_t size, uint16_t slots, struct fuzz_rx_stream *rx,
		uint32_t len)
{
	const struct vhu_pdesc *ring = ring_before(), *t = NULL;
	uint32_t nent = slots, i;

	if (len == 0)
		return;	/* returned unused: a broken chain */
	if (ring[p.idx].flags & VHU_DESC_F_INDIRECT) {
		struct vhu_pdesc d = ring[p.idx];

		FUZZ_CHECK(d.addr < FUZZ_GUEST_SIZE && d.len <= FUZZ_GUEST_SIZE - d.addr,
			   "indirect table 0x%" PRIx64 "+%u used", d.addr, d.len);
		t = (const void *)(fuzz_before + d.addr);
		nent = d.len / sizeof(d);
	}
	for (i = 0; len > 0 && i < nent; i++) {
		struct vhu_pdesc d;
		uint32_t n;

		if (t != NULL) {
			memcpy(&d, &t[i], sizeof(d));
		} else {
			d = ring[p.idx];
			pos_advance(&p, 1, size);
		}
		n = RTE_MIN(len, d.len);
		fuzz_rx_expect(rx, d.addr, n);
		len -= n;
	}
	FUZZ_CHECK(len == 0, "Rx used len beyond its chain (%u bytes left)", len);
}

/* The buffer id of the last chain among the left slots from p. */
static uint16_t
last_chain_id(struct pos p, uint32_t left, uint16_t size)
{
	uint16_t id = 0, slots;

	while (left > 0) {
		slots = chain_at(p, size, &id);
		if (slots > left)
			break;
		pos_advance(&p, slots, size);
		left -= slots;
	}
	return id;
}

/*
 * The used descriptors from old to new: one per available chain, in order;
 * Tx with IN_ORDER, one for the burst, at old, with the id of its last
 * chain, and the other chains' slots as the driver left them. For Rx also
 * where the payload must be.
 */
static void
check_used(const struct vhu_dev *dev, uint16_t size, struct pos old, struct pos new,
	   bool tx, uint16_t n, uint32_t pkt_len)
{
	const struct vhu_pdesc *used = (const void *)(fuzz_after + FUZZ_DESC_GPA);
	uint32_t left = (pos_linear(new, size) + 2u * size - pos_linear(old, size)) % (2u * size);
	uint32_t hdr_len = dev->vnet_hdr_len;
	bool batch = tx && dev->in_order;
	struct fuzz_rx_stream rx;
	uint16_t want_flags, batch_id = 0;
	struct pos p = old;

	FUZZ_CHECK(left <= size, "%u slots returned on a ring of %u", left, size);
	if (batch)
		batch_id = last_chain_id(old, left, size);
	fuzz_rx_begin(&rx, hdr_len, pkt_len);
	while (left > 0) {
		struct vhu_pdesc u = used[p.idx];
		uint16_t id, slots = chain_at(p, size, &id);

		FUZZ_CHECK(slots <= left, "chain of %u slots, %u returned", slots, left);
		if (batch && (p.idx != old.idx || p.wrap != old.wrap)) {
			FUZZ_CHECK(memcmp(&u, &ring_before()[p.idx], sizeof(u)) == 0,
				   "IN_ORDER Tx burst wrote slot %u, not its first", p.idx);
			pos_advance(&p, slots, size);
			left -= slots;
			continue;
		}
		if (batch)
			id = batch_id;
		want_flags = (p.wrap ? VHU_DESC_F_AVAIL | VHU_DESC_F_USED : 0) |
			(tx ? 0 : VHU_DESC_F_WRITE);
		FUZZ_CHECK(u.flags == want_flags, "used flags 0x%x at slot %u, want 0x%x",
			   u.flags, p.idx, want_flags);
		FUZZ_CHECK(u.id == id, "used id %u at slot %u, the chain had %u", u.id, p.idx, id);
		if (tx) {
			FUZZ_CHECK(u.len == 0, "Tx used len %u", u.len);
		} else {
			FUZZ_CHECK(u.len <= pkt_len + hdr_len, "Rx used len %u", u.len);
			rx_expect_chain(p, size, slots, &rx, u.len);
			fuzz_rx_used_done(&rx);
		}
		pos_advance(&p, slots, size);
		left -= slots;
	}
	if (!tx)
		fuzz_rx_check_payload(&rx, n);
}

static void
one_burst(struct vhu_dev *dev, uint16_t size, bool tx, uint16_t nb, uint32_t len)
{
	uint32_t vring = tx ? 1 : 0, i;
	struct vhu_vring *vq = &dev->vrings[vring];
	struct pos old = { vq->last_used_idx, vq->used_wrap }, new;
	bool clobbered = false;
	uint16_t n;

	fuzz_burst_begin();
	fuzz_mark(fuzz_tables, FUZZ_DESC_GPA, 16u * size);
	fuzz_mark(fuzz_tables, DRV_GPA, 4);
	fuzz_mark(fuzz_tables, DEV_GPA, 4);
	if (!tx) {
		allow_writable(size);
		/* Rx buffers over the ring or a table: the library reads back
		 * packet bytes as descriptors. Only memory safety then. */
		clobbered = fuzz_tables_writable();
	}
	for (i = 0; i < size; i++)	/* used descriptors: id, len, flags */
		fuzz_mark(fuzz_allowed, FUZZ_DESC_GPA + 16u * i + 8, 8);

	n = fuzz_burst_run(dev, vring, tx, nb, len);
	fuzz_burst_end(tx, true);
	new = (struct pos){ vq->last_used_idx, vq->used_wrap };
	FUZZ_CHECK(vq->last_avail_idx == new.idx && vq->avail_wrap == new.wrap,
		   "avail at %u/%u, used at %u/%u", vq->last_avail_idx, vq->avail_wrap,
		   new.idx, new.wrap);
	FUZZ_CHECK(new.idx < size, "used slot %u on a ring of %u", new.idx, size);
	FUZZ_TRACE("%s: %u of %u packets, used %u/%u -> %u/%u\n", tx ? "dequeue" : "enqueue",
		   n, nb, old.idx, old.wrap, new.idx, new.wrap);
	if (!clobbered)
		check_used(dev, size, old, new, tx, n, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t features = VHU_BIT(VHU_VIRTIO_RING_F_INDIRECT_DESC) |
			    VHU_BIT(VHU_VIRTIO_F_RING_PACKED);
	struct vhu_dev *dev;
	uint16_t ring, avail, nb, bursts, pages = 0xffff, oneway = 0;
	uint32_t len, base;
	bool tx;

	if (size < CFG_LEN)
		return -1;
	if (data[0] & 0x01)
		features |= VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	if (data[0] & 0x02)
		features |= VHU_BIT(VHU_VIRTIO_F_VERSION_1);
	tx = data[0] & 0x04;
	if (data[0] & 0x08)
		features |= VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX);
	if (data[0] & 0x10)
		features |= VHU_BIT(VHU_VIRTIO_F_IN_ORDER);
	ring = 1 + data[1];
	avail = data[2] | data[3] << 8;
	base = data[0] & 0x20 ? avail | (uint32_t)avail << 16 : avail;
	nb = 1 + (data[4] & 31);
	bursts = 1 + ((data[4] >> 5) & 3);
	len = 1 + (data[5] | data[6] << 8) % 9000;
	data += CFG_LEN;
	size -= CFG_LEN;
	/* IOMMU variant: the input's tail says which pages map, and how. */
	if (fuzz_iommu)
		fuzz_iotlb_tail(data, &size, &pages, &oneway);

	fuzz_guest_clear();
	{
		size_t dlen = RTE_MIN(size, 16u * ring);
		size_t elen = RTE_MIN(size - dlen, (size_t)4);

		fuzz_guest_write(FUZZ_DESC_GPA, data, dlen);
		fuzz_guest_write(DRV_GPA, data + dlen, elen);
		fuzz_guest_write(0, data + dlen + elen, RTE_MIN(size - dlen - elen, (size_t)DRV_GPA));
	}

	FUZZ_CHECK((features & ~VHU_SUPPORTED_FEATURES) == 0, "features not offered");
	dev = fuzz_dev_create(features);
	if (fuzz_iommu)
		fuzz_iotlb_pages(dev, pages, oneway, fuzz_page_bits(FUZZ_DESC_GPA, 16u * ring) |
				 fuzz_page_bits(DRV_GPA, 4) | fuzz_page_bits(DEV_GPA, 4));
	for (uint32_t q = 0; q < 2; q++)
		fuzz_vring_setup(dev, q, ring, base, FUZZ_DESC_GPA, DRV_GPA, DEV_GPA);
	if ((avail & VHU_PACKED_IDX_MASK) >= ring) {
		/* The base is outside the ring: the vrings are unusable. */
		struct rte_mbuf *m[1];

		FUZZ_CHECK(!fuzz_life.running, "device started at slot %u of %u",
			   avail & VHU_PACKED_IDX_MASK, ring);
		FUZZ_CHECK(vhu_dequeue_burst(dev->vid, 1, fuzz_mp, m, 1) == 0, "burst ran");
	} else {
		FUZZ_CHECK(fuzz_life.running, "device did not start");
		FUZZ_CHECK(*(uint16_t *)fuzz_g2p(DEV_GPA + 2, 2) == VHU_RING_EVENT_F_DISABLE,
			   "device event area not DISABLE");
		while (bursts--)
			one_burst(dev, ring, tx, nb, len);
	}
	fuzz_dev_destroy(dev);
	return 0;
}
