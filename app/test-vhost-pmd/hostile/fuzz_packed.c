/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * libFuzzer target: the packed ring walkers (vhu_enqueue_burst(),
 * vhu_dequeue_burst() with VIRTIO_F_RING_PACKED) over guest memory the
 * input fills. The packed twin of fuzz_split.c.
 *
 * Guest memory: 64 KiB of one memfd in two regions, gpa [0, 32K) and
 * [32K, 64K), each mapped between PROT_NONE guard pages. The descriptor
 * ring starts region B (a guard below it), the driver event area ends
 * region A, the device event area ends region B. Both vrings 0 and 1 use
 * these areas; the device is set up through the real SET_* handlers.
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
 * bytes for guest memory from gpa 0 up.
 *
 * Checked: a base slot outside the ring keeps the device stopped; after
 * every burst the library wrote guest memory only in the id, len and flags
 * of ring descriptors and, for Rx, in buffers of device-writable
 * descriptors; its used and avail positions are equal; the used
 * descriptors it wrote are, in order, one per chain the driver had made
 * available from the old position (AVAIL = USED = the used wrap counter,
 * the buffer id of the chain's last descriptor, skipping the chain's
 * slots, one lap at most); Tx lengths are 0, Rx lengths within the packet;
 * each Rx packet's payload bytes are in the buffers of its chains (every
 * byte no other packet also wrote; not checked when a buffer overlaps the
 * ring or a table); Tx mbufs are well formed; no mbuf leaks.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <rte_mbuf.h>

#include "fuzz_common.h"

#define PAGE		4096u
#define HALF		(32u * 1024)
#define GUEST_SIZE	(2 * HALF)
#define UVA_A		0x7f0000000000ull
#define UVA_B		0x7f0000200000ull	/* not contiguous with A */
#define DESC_GPA	HALF
#define DRV_GPA		(HALF - 4)
#define DEV_GPA		(GUEST_SIZE - 4)
#define MAX_SIZE	256
#define MAX_BURST	32
#define CFG_LEN		7

static uint8_t *hva[2];
static uint8_t before[GUEST_SIZE];
static uint8_t after[GUEST_SIZE];
static uint8_t allowed[GUEST_SIZE];
static uint8_t tables[GUEST_SIZE];
static uint8_t wcount[GUEST_SIZE];
static uint8_t expect[GUEST_SIZE];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc __rte_unused, char ***argv)
{
	size_t span = 3 * PAGE + GUEST_SIZE;
	uint8_t *base;
	int fd, i;

	fuzz_env_init((*argv)[0]);
	fd = memfd_create(FUZZ_MEMFD_NAME "-guest", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, GUEST_SIZE) == 0, "memfd: %s", strerror(errno));
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(base != MAP_FAILED, "reserve: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		hva[i] = mmap(base + PAGE + i * (HALF + PAGE), HALF, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_FIXED, fd, i * HALF);
		FUZZ_CHECK(hva[i] != MAP_FAILED, "map region %d: %s", i, strerror(errno));
	}
	close(fd);
	return 0;
}

static void
guest_write(uint64_t gpa, const uint8_t *src, size_t len)
{
	while (len > 0 && gpa < GUEST_SIZE) {
		size_t n = RTE_MIN(len, (size_t)(HALF - gpa % HALF));

		memcpy(hva[gpa >= HALF] + gpa % HALF, src, n);
		gpa += n;
		src += n;
		len -= n;
	}
}

static void
guest_snapshot(uint8_t *dst)
{
	memcpy(dst, hva[0], HALF);
	memcpy(dst + HALF, hva[1], HALF);
}

static void
mark(uint8_t *map, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (end < gpa || end > GUEST_SIZE)
		end = GUEST_SIZE;
	if (gpa < end)
		memset(map + gpa, 1, end - gpa);
}

static const struct vhu_pdesc *
ring_before(void)
{
	return (const void *)(before + DESC_GPA);
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

		if ((d.flags & VHU_DESC_F_INDIRECT) && d.addr < GUEST_SIZE &&
		    d.len <= GUEST_SIZE - d.addr) {
			const struct vhu_pdesc *t = (const void *)(before + d.addr);

			mark(tables, d.addr, d.len);
			for (j = 0; j < d.len / sizeof(d); j++) {
				struct vhu_pdesc e;

				memcpy(&e, &t[j], sizeof(e));
				if (e.flags & VHU_DESC_F_WRITE)
					mark(allowed, e.addr, e.len);
			}
		} else if (d.flags & VHU_DESC_F_WRITE) {
			mark(allowed, d.addr, d.len);
		}
	}
}

static int
handle(struct vhu_dev *dev, uint32_t req, const void *payload, size_t len, int fd)
{
	struct vhu_msg msg;

	memset(&msg, 0, sizeof(msg));
	for (int i = 0; i < VHU_MAX_FDS; i++)
		msg.fds[i] = -1;
	msg.hdr.request = req;
	msg.hdr.flags = VHU_MSG_VERSION;
	msg.hdr.size = len;
	memcpy(&msg.payload, payload, len);
	if (fd >= 0) {
		msg.fds[0] = fd;
		msg.nr_fds = 1;
	}
	return vhu_handler_get(req)(dev, &msg);
}

static void
vring_setup(struct vhu_dev *dev, uint32_t idx, uint16_t size, uint32_t base)
{
	struct vhu_vring_state st = { .index = idx, .num = size };
	struct vhu_vring_addr a = {
		.index = idx,
		.desc_user_addr = UVA_B + (DESC_GPA - HALF),
		.avail_user_addr = UVA_A + DRV_GPA,
		.used_user_addr = UVA_B + (DEV_GPA - HALF),
	};
	uint64_t kick = idx | VHU_VRING_NOFD;
	uint64_t call = idx;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret = 0;

	FUZZ_CHECK(efd >= 0, "eventfd");
	ret |= handle(dev, VHU_REQ_SET_VRING_NUM, &st, sizeof(st), -1);
	st.num = base;
	ret |= handle(dev, VHU_REQ_SET_VRING_BASE, &st, sizeof(st), -1);
	ret |= handle(dev, VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), -1);
	ret |= handle(dev, VHU_REQ_SET_VRING_CALL, &call, sizeof(call), efd);
	ret |= handle(dev, VHU_REQ_SET_VRING_KICK, &kick, sizeof(kick), -1);
	FUZZ_CHECK(ret == 0, "vring %u set-up refused", idx);
}

static void
mem_setup(struct vhu_dev *dev)
{
	struct vhu_mem *mem = &dev->mem_storage[0];

	memset(mem, 0, sizeof(*mem));
	mem->nregions = 2;
	for (int i = 0; i < 2; i++) {
		struct vhu_mem_region *r = &mem->regions[i];

		r->gpa = i * HALF;
		r->uva = i ? UVA_B : UVA_A;
		r->size = HALF;
		r->hva = (uint64_t)(uintptr_t)hva[i];
		r->mmap_addr = NULL;	/* ours: the library must not unmap it */
		r->fd = -1;
	}
	dev->mem = mem;
}

static struct rte_mbuf *
rx_packet(uint32_t len, uint32_t seed)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(fuzz_mp), *seg = head;
	uint32_t done = 0;

	FUZZ_CHECK(head != NULL, "mbuf");
	while (done < len) {
		uint32_t n = RTE_MIN(len - done, (uint32_t)rte_pktmbuf_tailroom(seg));
		uint8_t *p;

		if (n == 0) {
			seg = rte_pktmbuf_alloc(fuzz_mp);
			FUZZ_CHECK(seg != NULL && rte_pktmbuf_chain(head, seg) == 0, "chain");
			continue;
		}
		p = (uint8_t *)rte_pktmbuf_append(seg, n);
		if (seg != head)
			head->pkt_len += n;
		for (uint32_t i = 0; i < n; i++)
			p[i] = (uint8_t)(seed + done + i);
		done += n;
	}
	return head;
}

static void
check_tx_mbuf(const struct rte_mbuf *m)
{
	uint32_t sum = 0, segs = 0;

	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		sum += s->data_len;
		segs++;
	}
	FUZZ_CHECK(segs == m->nb_segs, "%u segments, nb_segs %u", segs, m->nb_segs);
	FUZZ_CHECK(sum == m->pkt_len && sum > 0 && sum <= 64 * 1024,
		   "pkt_len %u, segments hold %u", m->pkt_len, sum);
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

/* Where the library should have put bytes [*off, *off + len) of packet pkt:
 * the writable buffers of the chain at p, which it accepted. */
static void
rx_expect_chain(struct pos p, uint16_t size, uint16_t slots, uint32_t pkt,
		uint32_t hdr_len, uint32_t *off, uint32_t len)
{
	const struct vhu_pdesc *ring = ring_before(), *t = NULL;
	uint32_t nent = slots, i;

	if (len == 0)
		return;	/* returned unused: a broken chain */
	if (ring[p.idx].flags & VHU_DESC_F_INDIRECT) {
		struct vhu_pdesc d = ring[p.idx];

		FUZZ_CHECK(d.addr < GUEST_SIZE && d.len <= GUEST_SIZE - d.addr,
			   "indirect table 0x%" PRIx64 "+%u used", d.addr, d.len);
		t = (const void *)(before + d.addr);
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
		FUZZ_CHECK(d.addr < GUEST_SIZE && n <= GUEST_SIZE - d.addr,
			   "Rx buffer 0x%" PRIx64 "+%u used", d.addr, n);
		for (uint32_t k = 0; k < n; k++, (*off)++) {
			uint64_t g = d.addr + k;

			if (*off < hdr_len || wcount[g] == UINT8_MAX) {
				wcount[g] = UINT8_MAX;
				continue;
			}
			wcount[g]++;
			expect[g] = (uint8_t)(pkt + *off - hdr_len);
		}
		len -= n;
	}
	FUZZ_CHECK(len == 0, "Rx used len beyond its chain (%u bytes left)", len);
}

/*
 * The used descriptors from old to new: one per available chain, in order.
 * For Rx also where the payload must be.
 */
static void
check_used(const struct vhu_dev *dev, uint16_t size, struct pos old, struct pos new,
	   bool tx, uint16_t n, uint32_t pkt_len)
{
	const struct vhu_pdesc *used = (const void *)(after + DESC_GPA);
	uint32_t left = (pos_linear(new, size) + 2u * size - pos_linear(old, size)) % (2u * size);
	uint32_t hdr_len = dev->vnet_hdr_len, pkt = 0, off = 0;
	uint16_t want_flags;
	struct pos p = old;

	FUZZ_CHECK(left <= size, "%u slots returned on a ring of %u", left, size);
	memset(wcount, 0, sizeof(wcount));
	while (left > 0) {
		struct vhu_pdesc u = used[p.idx];
		uint16_t id, slots = chain_at(p, size, &id);

		want_flags = (p.wrap ? VHU_DESC_F_AVAIL | VHU_DESC_F_USED : 0) |
			(tx ? 0 : VHU_DESC_F_WRITE);
		FUZZ_CHECK(u.flags == want_flags, "used flags 0x%x at slot %u, want 0x%x",
			   u.flags, p.idx, want_flags);
		FUZZ_CHECK(u.id == id, "used id %u at slot %u, the chain had %u", u.id, p.idx, id);
		FUZZ_CHECK(slots <= left, "chain of %u slots, %u returned", slots, left);
		if (tx) {
			FUZZ_CHECK(u.len == 0, "Tx used len %u", u.len);
		} else {
			FUZZ_CHECK(u.len <= pkt_len + hdr_len, "Rx used len %u", u.len);
			rx_expect_chain(p, size, slots, pkt, hdr_len, &off, u.len);
			FUZZ_CHECK(off <= hdr_len + pkt_len, "packet %u: %u bytes", pkt, off);
			if (off == hdr_len + pkt_len) {
				pkt++;
				off = 0;
			}
		}
		pos_advance(&p, slots, size);
		left -= slots;
	}
	if (tx)
		return;
	FUZZ_CHECK(pkt == n, "%u packets sent, used descriptors hold %u", n, pkt);
	for (uint32_t g = 0; g < GUEST_SIZE; g++)
		FUZZ_CHECK(wcount[g] != 1 || after[g] == expect[g],
			   "Rx payload byte at gpa 0x%x is 0x%02x, not 0x%02x",
			   g, after[g], expect[g]);
}

static void
one_burst(struct vhu_dev *dev, uint16_t size, bool tx, uint16_t nb, uint32_t len)
{
	uint32_t vring = tx ? 1 : 0, i;
	struct vhu_vring *vq = &dev->vrings[vring];
	struct pos old = { vq->last_used_idx, vq->used_wrap }, new;
	struct rte_mbuf *pkts[MAX_BURST];
	bool clobbered = false;
	uint16_t n;

	guest_snapshot(before);
	memset(allowed, 0, sizeof(allowed));
	memset(tables, 0, sizeof(tables));
	mark(tables, DESC_GPA, 16u * size);
	mark(tables, DRV_GPA, 4);
	mark(tables, DEV_GPA, 4);
	if (!tx) {
		allow_writable(size);
		/* Rx buffers over the ring or a table: the library reads back
		 * packet bytes as descriptors. Only memory safety then. */
		for (uint32_t b = 0; b < GUEST_SIZE; b++)
			clobbered |= allowed[b] & tables[b];
	}
	for (i = 0; i < size; i++)	/* used descriptors: id, len, flags */
		mark(allowed, DESC_GPA + 16u * i + 8, 8);

	if (tx) {
		n = vhu_dequeue_burst(dev->vid, vring, fuzz_mp, pkts, nb);
		FUZZ_CHECK(n <= nb, "dequeued %u of %u", n, nb);
		for (i = 0; i < n; i++)
			check_tx_mbuf(pkts[i]);
	} else {
		for (i = 0; i < nb; i++)
			pkts[i] = rx_packet(len, i);
		n = vhu_enqueue_burst(dev->vid, vring, pkts, nb);
		FUZZ_CHECK(n <= nb, "enqueued %u of %u", n, nb);
	}
	rte_pktmbuf_free_bulk(pkts, tx ? n : nb);
	FUZZ_CHECK(rte_mempool_in_use_count(fuzz_mp) == 0, "%u mbufs in use",
		   rte_mempool_in_use_count(fuzz_mp));

	guest_snapshot(after);
	for (uint32_t b = 0; b < GUEST_SIZE; b++)
		FUZZ_CHECK(after[b] == before[b] || allowed[b],
			   "%s wrote gpa 0x%x (0x%02x -> 0x%02x)", tx ? "Tx" : "Rx",
			   b, before[b], after[b]);
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
	uint16_t ring, avail, nb, bursts;
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

	memset(hva[0], 0, HALF);
	memset(hva[1], 0, HALF);
	{
		size_t dlen = RTE_MIN(size, 16u * ring);
		size_t elen = RTE_MIN(size - dlen, (size_t)4);

		guest_write(DESC_GPA, data, dlen);
		guest_write(DRV_GPA, data + dlen, elen);
		guest_write(0, data + dlen + elen, RTE_MIN(size - dlen - elen, (size_t)DRV_GPA));
	}

	dev = vhu_dev_alloc(&fuzz_sock, -1);
	FUZZ_CHECK(dev != NULL, "vhu_dev_alloc");
	fuzz_life_reset(dev->vid);
	mem_setup(dev);
	FUZZ_CHECK((features & ~VHU_SUPPORTED_FEATURES) == 0, "features not offered");
	FUZZ_CHECK(handle(dev, VHU_REQ_SET_FEATURES, &features, sizeof(features), -1) == 0,
		   "SET_FEATURES refused");
	vring_setup(dev, 0, ring, base);
	vring_setup(dev, 1, ring, base);
	if ((avail & VHU_PACKED_IDX_MASK) >= ring) {
		/* The base is outside the ring: the vrings are unusable. */
		struct rte_mbuf *m[1];

		FUZZ_CHECK(!fuzz_life.running, "device started at slot %u of %u",
			   avail & VHU_PACKED_IDX_MASK, ring);
		FUZZ_CHECK(vhu_dequeue_burst(dev->vid, 1, fuzz_mp, m, 1) == 0, "burst ran");
	} else {
		FUZZ_CHECK(fuzz_life.running, "device did not start");
		FUZZ_CHECK(*(uint16_t *)(hva[1] + DEV_GPA - HALF + 2) == VHU_RING_EVENT_F_DISABLE,
			   "device event area not DISABLE");
		while (bursts--)
			one_burst(dev, ring, tx, nb, len);
	}
	vhu_dev_free(dev);
	FUZZ_CHECK(!fuzz_life.running, "device freed without destroy_device()");
	return 0;
}
