/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "fuzz_common.h"

struct rte_mempool *fuzz_mp;
bool fuzz_debug;
struct fuzz_life fuzz_life;

static int
on_new_device(int vid)
{
	FUZZ_CHECK(vid == fuzz_life.vid, "new_device(%d), device is %d", vid, fuzz_life.vid);
	FUZZ_CHECK(!fuzz_life.running, "new_device() while running");
	fuzz_life.running = true;
	fuzz_life.new_calls++;
	return 0;
}

static void
on_destroy_device(int vid)
{
	FUZZ_CHECK(vid == fuzz_life.vid, "destroy_device(%d), device is %d", vid, fuzz_life.vid);
	FUZZ_CHECK(fuzz_life.running, "destroy_device() while not running");
	fuzz_life.running = false;
	fuzz_life.destroy_calls++;
}

static int
on_vring_state_changed(int vid, uint16_t vring, int enable)
{
	FUZZ_CHECK(vid == fuzz_life.vid, "vring_state_changed(%d)", vid);
	FUZZ_CHECK(fuzz_life.running, "vring_state_changed(%u, %d) while not running",
		   vring, enable);
	FUZZ_CHECK(vring < 2u * fuzz_sock.max_queue_pairs, "vring %u out of range", vring);
	fuzz_life.state_calls++;
	return 0;
}

struct vhu_socket fuzz_sock = {
	.path = "fuzz",
	.max_queue_pairs = 2,
	.ops = {
		.new_device = on_new_device,
		.destroy_device = on_destroy_device,
		.vring_state_changed = on_vring_state_changed,
	},
	.listenfd = -1,
	.connfd = -1,
	.in_use = true,
};

void
fuzz_life_reset(int vid)
{
	memset(&fuzz_life, 0, sizeof(fuzz_life));
	fuzz_life.vid = vid;
}

void
fuzz_env_init(const char *prog)
{
	const char *dbg = getenv("VHU_FUZZ_DEBUG");
	char *args[] = {
		(char *)(uintptr_t)prog, "--no-huge", "-m", "128", "--no-pci",
		"--no-shconf", "--file-prefix=vhu-fuzz", "--no-telemetry", "-l", "0",
		dbg != NULL && *dbg && strcmp(dbg, "0") ? "--log-level=*:debug" :
			"--log-level=*:crit",
	};

	fuzz_debug = dbg != NULL && *dbg && strcmp(dbg, "0");
	if (rte_eal_init(RTE_DIM(args), args) < 0) {
		fprintf(stderr, "fuzz: rte_eal_init: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	fuzz_mp = rte_pktmbuf_pool_create("vhu_fuzz", 1023, 0, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (fuzz_mp == NULL) {
		fprintf(stderr, "fuzz: mbuf pool: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
}

int
fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	FUZZ_CHECK(d != NULL, "opendir /proc/self/fd");
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

int
fuzz_count_guest_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	FUZZ_CHECK(f != NULL, "open /proc/self/maps");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, "/memfd:" FUZZ_MEMFD_NAME) != NULL ||
		    strstr(line, "/dev/zero") != NULL)
			n++;
	}
	fclose(f);
	return n;
}

uint8_t *fuzz_hva[2];
uint8_t fuzz_before[FUZZ_GUEST_SIZE];
uint8_t fuzz_after[FUZZ_GUEST_SIZE];
uint8_t fuzz_allowed[FUZZ_GUEST_SIZE];
uint8_t fuzz_tables[FUZZ_GUEST_SIZE];
static uint8_t wcount[FUZZ_GUEST_SIZE];	/* Rx: times a packet byte went there */
static uint8_t expect[FUZZ_GUEST_SIZE];	/* Rx: that packet byte */

void
fuzz_guest_map(void)
{
	size_t span = 3 * FUZZ_PAGE + FUZZ_GUEST_SIZE;
	uint8_t *base;
	int fd, i;

	fd = memfd_create(FUZZ_MEMFD_NAME "-guest", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, FUZZ_GUEST_SIZE) == 0, "memfd: %s", strerror(errno));
	/* Reserve guard, A, guard, B, guard; then map A and B over it. */
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FUZZ_CHECK(base != MAP_FAILED, "reserve: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		fuzz_hva[i] = mmap(base + FUZZ_PAGE + i * (FUZZ_HALF + FUZZ_PAGE), FUZZ_HALF,
				   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
				   i * FUZZ_HALF);
		FUZZ_CHECK(fuzz_hva[i] != MAP_FAILED, "map region %d: %s", i, strerror(errno));
	}
	close(fd);
}

void
fuzz_guest_clear(void)
{
	memset(fuzz_hva[0], 0, FUZZ_HALF);
	memset(fuzz_hva[1], 0, FUZZ_HALF);
}

uint8_t *
fuzz_g2p(uint64_t gpa, uint64_t len)
{
	int i = gpa >= FUZZ_HALF;
	uint64_t off = gpa - i * FUZZ_HALF;

	if (gpa >= FUZZ_GUEST_SIZE || len > FUZZ_HALF - off)
		return NULL;
	return fuzz_hva[i] + off;
}

uint64_t
fuzz_uva(uint64_t gpa)
{
	return gpa < FUZZ_HALF ? FUZZ_UVA_A + gpa : FUZZ_UVA_B + (gpa - FUZZ_HALF);
}

void
fuzz_guest_write(uint64_t gpa, const uint8_t *src, size_t len)
{
	while (len > 0 && gpa < FUZZ_GUEST_SIZE) {
		size_t n = RTE_MIN(len, (size_t)(FUZZ_HALF - gpa % FUZZ_HALF));

		memcpy(fuzz_g2p(gpa, n), src, n);
		gpa += n;
		src += n;
		len -= n;
	}
}

static void
guest_snapshot(uint8_t *dst)
{
	memcpy(dst, fuzz_hva[0], FUZZ_HALF);
	memcpy(dst + FUZZ_HALF, fuzz_hva[1], FUZZ_HALF);
}

void
fuzz_mark(uint8_t *map, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (end < gpa || end > FUZZ_GUEST_SIZE)
		end = FUZZ_GUEST_SIZE;
	if (gpa < end)
		memset(map + gpa, 1, end - gpa);
}

/* Our two regions, as SET_MEM_TABLE would have mapped them. */
static void
mem_setup(struct vhu_dev *dev)
{
	struct vhu_mem *mem = dev->mem_storage[0];

	memset(mem, 0, sizeof(*mem));
	mem->nregions = 2;
	for (int i = 0; i < 2; i++) {
		struct vhu_mem_region *r = &mem->regions[i];

		r->gpa = i * FUZZ_HALF;
		r->uva = fuzz_uva(r->gpa);
		r->size = FUZZ_HALF;
		r->hva = (uint64_t)(uintptr_t)fuzz_hva[i];
		r->mmap_addr = NULL;	/* ours: the library must not unmap it */
		r->fd = -1;
	}
	dev->mem = mem;
}

int
fuzz_handle(struct vhu_dev *dev, uint32_t req, const void *payload, size_t len, int fd)
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

#ifdef FUZZ_IOMMU
bool fuzz_iommu = true;
#else
bool fuzz_iommu;
#endif

uint8_t fuzz_page_perm[FUZZ_GUEST_SIZE / FUZZ_PAGE];

void
fuzz_iotlb_tail(const uint8_t *data, size_t *size, uint16_t *pages, uint16_t *oneway)
{
	*pages = 0xffff;
	*oneway = 0;
	if (*size >= 2) {
		*pages = data[*size - 2] | data[*size - 1] << 8;
		*size -= 2;
	}
	if (*size >= 2) {
		*oneway = data[*size - 2] | data[*size - 1] << 8;
		*size -= 2;
	}
}

void
fuzz_iotlb_pages(struct vhu_dev *dev, uint16_t mask, uint16_t oneway, uint16_t rings)
{
	mask |= rings;
	oneway &= ~rings;
	for (uint32_t p = 0; p < FUZZ_GUEST_SIZE / FUZZ_PAGE; p++) {
		struct vhu_iotlb_msg m = {
			.iova = p * FUZZ_PAGE, .size = FUZZ_PAGE, .uaddr = fuzz_uva(p * FUZZ_PAGE),
			.type = VHU_IOTLB_UPDATE,
		};

		m.perm = !(mask & (1u << p)) ? 0 : !(oneway & (1u << p)) ? VHU_ACCESS_RW :
			 p % 2 ? VHU_ACCESS_RO : VHU_ACCESS_WO;
		fuzz_page_perm[p] = m.perm;
		if (m.perm != 0)
			FUZZ_CHECK(fuzz_handle(dev, VHU_REQ_IOTLB_MSG, &m, sizeof(m), -1) == 0,
				   "IOTLB update of page %u refused", p);
	}
}

void
fuzz_allow_write(uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len;

	if (!fuzz_iommu) {
		fuzz_mark(fuzz_allowed, gpa, len);
		return;
	}
	if (end < gpa || end > FUZZ_GUEST_SIZE)
		end = FUZZ_GUEST_SIZE;
	for (uint64_t b = gpa; b < end; b++)
		if (fuzz_page_perm[b / FUZZ_PAGE] & VHU_ACCESS_WO)
			fuzz_allowed[b] = 1;
}

uint16_t
fuzz_page_bits(uint64_t gpa, uint64_t len)
{
	uint16_t bits = 0;

	for (uint64_t p = gpa / FUZZ_PAGE; len && p <= (gpa + len - 1) / FUZZ_PAGE &&
	     p < FUZZ_GUEST_SIZE / FUZZ_PAGE; p++)
		bits |= 1u << p;
	return bits;
}

struct vhu_dev *
fuzz_dev_create(uint64_t features)
{
	struct vhu_dev *dev;

	if (fuzz_iommu) {
		fuzz_sock.flags |= VHU_REG_IOMMU;
		features |= VHU_BIT(VHU_VIRTIO_F_ACCESS_PLATFORM);
	}
	dev = vhu_dev_alloc(&fuzz_sock, -1);

	FUZZ_CHECK(dev != NULL, "vhu_dev_alloc");
	fuzz_life_reset(dev->vid);
	mem_setup(dev);
	FUZZ_CHECK(fuzz_handle(dev, VHU_REQ_SET_FEATURES, &features, sizeof(features), -1) == 0,
		   "SET_FEATURES refused");
	return dev;
}

void
fuzz_dev_destroy(struct vhu_dev *dev)
{
	vhu_dev_free(dev);
	FUZZ_CHECK(!fuzz_life.running, "device freed without destroy_device()");
}

void
fuzz_vring_setup(struct vhu_dev *dev, uint32_t idx, uint16_t size, uint32_t base,
		 uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa)
{
	struct vhu_vring_state st = { .index = idx, .num = size };
	struct vhu_vring_addr a = {
		.index = idx,
		.desc_user_addr = fuzz_iommu ? desc_gpa : fuzz_uva(desc_gpa),
		.avail_user_addr = fuzz_iommu ? avail_gpa : fuzz_uva(avail_gpa),
		.used_user_addr = fuzz_iommu ? used_gpa : fuzz_uva(used_gpa),
	};
	uint64_t kick = idx | VHU_VRING_NOFD;
	uint64_t call = idx;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int ret = 0;

	FUZZ_CHECK(efd >= 0, "eventfd");
	ret |= fuzz_handle(dev, VHU_REQ_SET_VRING_NUM, &st, sizeof(st), -1);
	st.num = base;
	ret |= fuzz_handle(dev, VHU_REQ_SET_VRING_BASE, &st, sizeof(st), -1);
	ret |= fuzz_handle(dev, VHU_REQ_SET_VRING_ADDR, &a, sizeof(a), -1);
	ret |= fuzz_handle(dev, VHU_REQ_SET_VRING_CALL, &call, sizeof(call), efd);
	ret |= fuzz_handle(dev, VHU_REQ_SET_VRING_KICK, &kick, sizeof(kick), -1);
	FUZZ_CHECK(ret == 0, "vring %u set-up refused", idx);
}

/* len bytes, byte i of value seed + i, in as many segments as needed. */
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
	if (m->ol_flags & (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))
		FUZZ_CHECK(m->tso_segsz != 0, "GSO mbuf without tso_segsz");
}

void
fuzz_burst_begin(void)
{
	guest_snapshot(fuzz_before);
	memset(fuzz_allowed, 0, sizeof(fuzz_allowed));
	memset(fuzz_tables, 0, sizeof(fuzz_tables));
}

bool
fuzz_tables_writable(void)
{
	for (uint32_t b = 0; b < FUZZ_GUEST_SIZE; b++) {
		if (fuzz_allowed[b] & fuzz_tables[b])
			return true;
	}
	return false;
}

uint16_t
fuzz_burst_run(struct vhu_dev *dev, uint32_t vring, bool tx, uint16_t nb, uint32_t len)
{
	struct rte_mbuf *pkts[FUZZ_MAX_BURST];
	uint16_t n, i;

	FUZZ_CHECK(nb <= FUZZ_MAX_BURST, "burst of %u", nb);
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
	return n;
}

void
fuzz_burst_end(bool tx, bool check_writes)
{
	guest_snapshot(fuzz_after);
	for (uint32_t b = 0; b < FUZZ_GUEST_SIZE && check_writes; b++)
		FUZZ_CHECK(fuzz_after[b] == fuzz_before[b] || fuzz_allowed[b],
			   "%s wrote gpa 0x%x (0x%02x -> 0x%02x)", tx ? "Tx" : "Rx",
			   b, fuzz_before[b], fuzz_after[b]);
}

void
fuzz_rx_begin(struct fuzz_rx_stream *s, uint32_t hdr_len, uint32_t pkt_len)
{
	*s = (struct fuzz_rx_stream){ .hdr_len = hdr_len, .pkt_len = pkt_len };
	memset(wcount, 0, sizeof(wcount));
}

void
fuzz_rx_expect(struct fuzz_rx_stream *s, uint64_t gpa, uint32_t n)
{
	/* A zero-length piece (split rings accept zero-length descriptors)
	 * is never translated nor written: its address may be anything. */
	if (n == 0)
		return;
	FUZZ_CHECK(gpa < FUZZ_GUEST_SIZE && n <= FUZZ_GUEST_SIZE - gpa,
		   "Rx buffer 0x%" PRIx64 "+%u used", gpa, n);
	for (uint32_t k = 0; k < n; k++, s->off++) {
		uint64_t g = gpa + k;

		/* Header bytes, and bytes two packets wrote: unchecked. */
		if (s->off < s->hdr_len || wcount[g] == UINT8_MAX) {
			wcount[g] = UINT8_MAX;
			continue;
		}
		wcount[g]++;
		expect[g] = (uint8_t)(s->pkt + s->off - s->hdr_len);
	}
}

void
fuzz_rx_used_done(struct fuzz_rx_stream *s)
{
	FUZZ_CHECK(s->off <= s->hdr_len + s->pkt_len, "packet %u: %u bytes used",
		   s->pkt, s->off);
	if (s->off == s->hdr_len + s->pkt_len) {
		s->pkt++;
		s->off = 0;
	}
}

void
fuzz_rx_check_payload(const struct fuzz_rx_stream *s, uint16_t n)
{
	FUZZ_CHECK(s->pkt == n, "%u packets sent, used entries hold %u", n, s->pkt);
	for (uint32_t g = 0; g < FUZZ_GUEST_SIZE; g++)
		FUZZ_CHECK(wcount[g] != 1 || fuzz_after[g] == expect[g],
			   "Rx payload byte at gpa 0x%x is 0x%02x, not 0x%02x",
			   g, fuzz_after[g], expect[g]);
}
