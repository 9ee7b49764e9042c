/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * libFuzzer target: the split ring walkers (vhu_enqueue_burst(),
 * vhu_dequeue_burst()) over guest memory the input fills.
 *
 * Guest memory: 64 KiB of one memfd in two regions, gpa [0, 32K) and
 * [32K, 64K), each mapped between PROT_NONE guard pages, so any access
 * just outside a region faults. Rings sit against the guards: the used ring
 * ends at the top of region A, the descriptor table starts region B, the
 * avail ring ends region B. Both vrings 0 and 1 use these rings; the device
 * is set up through the real SET_* handlers (no fds, no socket).
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
 * then bytes for guest memory from gpa 0 up.
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
#define MAX_BURST	32
#define CFG_LEN		6

static uint8_t *hva[2];			/* our mapping of each region */
static uint8_t before[GUEST_SIZE];	/* guest memory before a burst */
static uint8_t allowed[GUEST_SIZE];	/* bytes a burst may write */
static uint8_t tables[GUEST_SIZE];	/* rings and descriptor tables */
static uint8_t wcount[GUEST_SIZE];	/* Rx: times a packet byte went there */
static uint8_t expect[GUEST_SIZE];	/* Rx: that packet byte */

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

/* Our pointer to [gpa, gpa + len) if in guest memory, else NULL. */
static uint8_t *
g2p(uint64_t gpa, uint64_t len)
{
	int i = gpa >= HALF;
	uint64_t off = gpa - i * HALF;

	if (gpa >= GUEST_SIZE || len > HALF - off)
		return NULL;
	return hva[i] + off;
}

static void
guest_write(uint64_t gpa, const uint8_t *src, size_t len)
{
	while (len > 0 && gpa < GUEST_SIZE) {
		size_t n = RTE_MIN(len, (size_t)(HALF - gpa % HALF));

		memcpy(g2p(gpa, n), src, n);
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
allow(uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (end < gpa || end > GUEST_SIZE)
		end = GUEST_SIZE;
	if (gpa < end)
		memset(allowed + gpa, 1, end - gpa);
}

static void
mark_table(uint64_t gpa, uint64_t len)
{
	memset(tables + gpa, 1, len);
}

/* Does an Rx buffer overlap a ring or a descriptor table? */
static bool
tables_writable(void)
{
	for (uint32_t b = 0; b < GUEST_SIZE; b++) {
		if (allowed[b] & tables[b])
			return true;
	}
	return false;
}

/* Rx may write any buffer the guest marked device-writable, anywhere. */
static void
allow_writable(const struct vhu_desc *table, uint32_t n, bool top)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct vhu_desc d;

		memcpy(&d, &table[i], sizeof(d));
		if (top && (d.flags & VHU_DESC_F_INDIRECT) && d.addr < GUEST_SIZE &&
		    d.len <= GUEST_SIZE - d.addr) {
			mark_table(d.addr, d.len);
			allow_writable((const void *)(before + d.addr), d.len / sizeof(d), false);
		} else if (d.flags & VHU_DESC_F_WRITE)
			allow(d.addr, d.len);
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
vring_setup(struct vhu_dev *dev, uint32_t idx, uint16_t size, uint16_t base,
	    uint64_t used_gpa, uint64_t avail_gpa)
{
	struct vhu_vring_state st = { .index = idx, .num = size };
	struct vhu_vring_addr a = {
		.index = idx,
		.desc_user_addr = UVA_B + (DESC_GPA - HALF),
		.used_user_addr = UVA_A + used_gpa,
		.avail_user_addr = UVA_B + (avail_gpa - HALF),
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
	/* Offload fields point inside the packet, GSO has an MSS. */
	if (m->ol_flags & (RTE_MBUF_F_RX_L4_CKSUM_MASK | RTE_MBUF_F_TX_L4_MASK))
		FUZZ_CHECK((uint32_t)m->l2_len + m->l3_len + m->l4_len <= m->pkt_len &&
			   m->l4_len != 0, "offload lengths %u/%u/%u in %u bytes",
			   m->l2_len, m->l3_len, m->l4_len, m->pkt_len);
	if (m->ol_flags & (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_TX_TCP_SEG))
		FUZZ_CHECK(m->tso_segsz != 0, "GSO mbuf without tso_segsz");
}

struct layout {
	uint16_t size;
	uint64_t used_gpa;
	uint64_t avail_gpa;
};

/* Where the library should have put bytes [*off, *off + len) of packet pkt
 * (stream offset counted from its vnet header): the writable buffers of the
 * chain at head, which it accepted. Header bytes are not checked. */
static void
rx_expect_chain(const struct layout *l, uint16_t head, uint32_t pkt, uint32_t hdr_len,
		uint32_t *off, uint32_t len)
{
	const struct vhu_desc *table = (const void *)(before + DESC_GPA);
	uint32_t nent = l->size, steps;
	struct vhu_desc d;

	FUZZ_CHECK(head < nent, "Rx used head %u on a ring of %u", head, nent);
	memcpy(&d, &table[head], sizeof(d));
	if (d.flags & VHU_DESC_F_INDIRECT) {
		FUZZ_CHECK(d.addr < GUEST_SIZE && d.len <= GUEST_SIZE - d.addr,
			   "indirect table 0x%" PRIx64 "+%u used", d.addr, d.len);
		table = (const void *)(before + d.addr);
		nent = d.len / sizeof(d);
		memcpy(&d, &table[0], sizeof(d));
	}
	for (steps = 0; len > 0 && steps < nent; steps++) {
		uint32_t n = RTE_MIN(len, d.len);

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
		 uint16_t n, uint32_t pkt_len, uint32_t hdr_len, const uint8_t *after)
{
	uint16_t mask = l->size - 1, i;
	uint32_t pkt = 0, off = 0;

	memset(wcount, 0, sizeof(wcount));
	for (i = 0; i < produced && pkt < n; i++) {
		const struct vhu_used_elem *e = &used->ring[(uint16_t)(used0 + i) & mask];

		rx_expect_chain(l, avail->ring[(uint16_t)(avail0 + i) & mask], pkt, hdr_len,
				&off, e->len);
		FUZZ_CHECK(off <= hdr_len + pkt_len, "packet %u: %u bytes used", pkt, off);
		if (off == hdr_len + pkt_len) {
			pkt++;
			off = 0;
		}
	}
	FUZZ_CHECK(pkt == n, "%u packets sent, used entries hold %u", n, pkt);
	for (uint32_t g = 0; g < GUEST_SIZE; g++)
		FUZZ_CHECK(wcount[g] != 1 || after[g] == expect[g],
			   "Rx payload byte at gpa 0x%x is 0x%02x, not 0x%02x",
			   g, after[g], expect[g]);
}

static void
one_burst(struct vhu_dev *dev, const struct layout *l, bool tx, uint16_t nb, uint32_t len)
{
	uint32_t vring = tx ? 1 : 0;
	struct vhu_vring *vq = &dev->vrings[vring];
	uint16_t avail0 = vq->last_avail_idx, used0 = vq->last_used_idx;
	uint16_t mask = l->size - 1, produced, consumed, n, i;
	const struct vhu_avail *avail = (const void *)(before + l->avail_gpa);
	const struct vhu_used *used;
	struct rte_mbuf *pkts[MAX_BURST];
	uint8_t after[GUEST_SIZE];
	bool rings_clobbered = false;

	guest_snapshot(before);
	memset(allowed, 0, sizeof(allowed));
	memset(tables, 0, sizeof(tables));
	mark_table(DESC_GPA, 16u * l->size);
	mark_table(l->avail_gpa, 6 + 2u * l->size);
	mark_table(l->used_gpa, 6 + 8u * l->size);
	if (!tx) {
		allow_writable((const void *)(before + DESC_GPA), l->size, true);
		/* A guest may hand out its own rings or descriptor tables as Rx
		 * buffers: the library then reads back packet bytes as ring
		 * entries and descriptors. Only memory safety is checked then. */
		rings_clobbered = tables_writable();
	}
	allow(l->used_gpa + 2, 2 + 8ull * l->size);	/* idx and ring, not flags */
	if (dev->features & VHU_BIT(VHU_VIRTIO_RING_F_EVENT_IDX))
		allow(l->used_gpa + 4 + 8ull * l->size, 2);	/* avail_event */

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
	for (uint32_t b = 0; b < GUEST_SIZE && !rings_clobbered; b++)
		FUZZ_CHECK(after[b] == before[b] || allowed[b],
			   "%s wrote gpa 0x%x (0x%02x -> 0x%02x)", tx ? "Tx" : "Rx",
			   b, before[b], after[b]);

	consumed = vq->last_avail_idx - avail0;
	produced = vq->last_used_idx - used0;
	FUZZ_TRACE("%s: %u of %u packets, %u avail entries consumed\n",
		   tx ? "dequeue" : "enqueue", n, nb, consumed);
	FUZZ_CHECK(consumed == produced, "consumed %u avail entries, produced %u used",
		   consumed, produced);
	FUZZ_CHECK(produced <= l->size, "produced %u on a ring of %u", produced, l->size);
	if (produced == 0 || rings_clobbered)
		return;
	used = (const void *)(after + l->used_gpa);
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
				 dev->vnet_hdr_len, after);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t features = VHU_BIT(VHU_VIRTIO_RING_F_INDIRECT_DESC);
	struct layout l;
	struct vhu_dev *dev;
	uint16_t base, nb, bursts;
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
	/* Used ring (with avail_event) against the top of region A, avail
	 * ring (with used_event) against the top of region B. */
	l.used_gpa = HALF - RTE_ALIGN_CEIL(6 + 8u * l.size, 4);
	l.avail_gpa = GUEST_SIZE - (6 + 2u * l.size);

	/* Guest memory: zero, then the input's rings and bytes. */
	memset(hva[0], 0, HALF);
	memset(hva[1], 0, HALF);
	{
		size_t dlen = RTE_MIN(size, 16u * l.size);
		size_t alen = RTE_MIN(size - dlen, 4u + 2 * l.size);

		guest_write(DESC_GPA, data, dlen);
		guest_write(l.avail_gpa, data + dlen, alen);
		guest_write(0, data + dlen + alen,
			    RTE_MIN(size - dlen - alen, (size_t)l.used_gpa));
	}

	dev = vhu_dev_alloc(&fuzz_sock, -1);
	FUZZ_CHECK(dev != NULL, "vhu_dev_alloc");
	fuzz_life_reset(dev->vid);
	mem_setup(dev);
	FUZZ_CHECK(handle(dev, VHU_REQ_SET_FEATURES, &features, sizeof(features), -1) == 0,
		   "SET_FEATURES refused");
	vring_setup(dev, 0, l.size, base, l.used_gpa, l.avail_gpa);
	vring_setup(dev, 1, l.size, base, l.used_gpa, l.avail_gpa);
	FUZZ_CHECK(fuzz_life.running, "device did not start");
	{
		struct vhu_used *u = (void *)g2p(l.used_gpa, 4);

		u->idx = base;
	}

	while (bursts--)
		one_burst(dev, &l, tx, nb, len);

	vhu_dev_free(dev);
	FUZZ_CHECK(!fuzz_life.running, "device freed without destroy_device()");
	return 0;
}
