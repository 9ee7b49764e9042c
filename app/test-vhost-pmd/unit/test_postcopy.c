/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Postcopy live migration (postcopy.c), the frontend simulator playing a
 * destination QEMU: POSTCOPY_ADVISE brings the library's userfaultfd,
 * POSTCOPY_LISTEN comes before the memory table, whose reply tells the
 * mapping bases. Pages of guest memory are missing (a hole punched in the
 * shared file, as QEMU's discard of pages still to come does), one before
 * the memory table is sent, others later, and the process runs under
 * mlockall(MCL_FUTURE) as testpmd does. A thread here serves the
 * library's faults as QEMU does: it
 * places the page as the source had it, through the frontend's own
 * mapping, and wakes the library. A packet through a missing page then
 * goes through byte for byte, and the rest of the page is the source's
 * bytes, not zeroes. After POSTCOPY_END nothing waits any more.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "unit.h"
#include "vhu_dev.h"	/* our mapping bases */

#define PAGE		4096ULL
#define PF_PAGEFAULT	VHU_BIT(VHU_PROTOCOL_F_PAGEFAULT)
#define MAX_FAULTS	64

/* The fault server: a destination QEMU's postcopy fault thread. */
struct server {
	struct fe_sim *s;
	uint8_t *source;		/* guest memory as the source has it */
	pthread_t th;
	bool running;
	volatile bool stop;
	int n;				/* faults served */
	uint64_t gpa[MAX_FAULTS];	/* their pages */
	int errors;
};

/* The guest page our address addr (a fault) is in, or 0. */
static uint64_t
fault_gpa(const struct fe_sim *s, uint64_t addr)
{
	uint64_t half = s->mem_size / s->nregions;
	int i;

	for (i = 0; i < s->nregions; i++)
		if (addr - s->postcopy_base[i] < half)
			return s->gpa_base + i * half + ((addr - s->postcopy_base[i]) & ~(PAGE - 1));
	return 0;
}

static void
serve_one(struct server *v, uint64_t addr)
{
	uint64_t gpa = fault_gpa(v->s, addr), off = gpa - v->s->gpa_base;
	struct uffdio_range wake = { .start = addr & ~(PAGE - 1), .len = PAGE };

	if (gpa == 0) {
		v->errors++;
		return;
	}
	/* Counted before the wake: the woken burst returns at once. */
	if (v->n < MAX_FAULTS)
		v->gpa[v->n] = gpa;
	__atomic_add_fetch(&v->n, 1, __ATOMIC_RELEASE);
	/* Place the page in the shared file, then wake the library. */
	memcpy(v->s->mem + off, v->source + off, PAGE);
	if (ioctl(v->s->postcopy_ufd, UFFDIO_WAKE, &wake) < 0)
		__atomic_add_fetch(&v->errors, 1, __ATOMIC_RELAXED);
}

static void *
serve(void *arg)
{
	struct server *v = arg;
	struct pollfd p = { .fd = v->s->postcopy_ufd, .events = POLLIN };

	while (!v->stop) {
		struct uffd_msg m;

		if (poll(&p, 1, 10) != 1)
			continue;
		if (read(p.fd, &m, sizeof(m)) != sizeof(m))
			continue;
		if (m.event == UFFD_EVENT_PAGEFAULT)
			serve_one(v, m.arg.pagefault.address);
		else
			v->errors++;
	}
	return NULL;
}

static int
server_start(struct server *v, struct fe_sim *s)
{
	memset(v, 0, sizeof(*v));
	v->s = s;
	v->source = malloc(s->mem_size);
	if (v->source == NULL)
		return -1;
	/* read(), not the mapping: reading a hole through a mapping fills it. */
	if (pread(s->memfd, v->source, s->mem_size, 0) != (ssize_t)s->mem_size)
		return -1;
	if (pthread_create(&v->th, NULL, serve, v) != 0)
		return -1;
	v->running = true;
	return 0;
}

static void
server_stop(struct server *v)
{
	v->stop = true;
	if (v->running)
		pthread_join(v->th, NULL);
	v->running = false;
	free(v->source);
	v->source = NULL;
}

static bool
served(const struct server *v, uint64_t gpa)
{
	int i, n = __atomic_load_n(&v->n, __ATOMIC_ACQUIRE);

	for (i = 0; i < n && i < MAX_FAULTS; i++)
		if (v->gpa[i] == gpa)
			return true;
	return false;
}

/* The device slot serving the connection on path (no new_device yet). */
static int
vid_of(const char *path)
{
	int i;

	for (i = 0; i < VHU_MAX_DEVICES; i++) {
		const struct vhu_dev *d = vhu_devices[i];

		if (d != NULL && d->in_use && strcmp(d->ifname, path) == 0)
			return i;
	}
	return -1;
}

/* The page at gpa becomes missing: the source still has to send it. */
static int
punch(struct t *t, uint64_t gpa)
{
	return fallocate(t->s.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 (off_t)(gpa - t->s.gpa_base), PAGE);
}

/* The page missing from the start: the last one of the first region. */
static uint64_t
early_hole(const struct t *t)
{
	return t->s.gpa_base + t->s.mem_size / t->s.nregions - PAGE;
}

/* A destination's connection: ADVISE and LISTEN, then the memory table
 * (its reply giving our bases) and the vrings; early_hole() is missing
 * before the library maps the memory, as mlockall(MCL_FUTURE) would map
 * it (populated, holes filled) if the library let it. */
static int
pc_start(struct t *t, uint64_t features, int nregions)
{
	int want_new, ret;

	if (t_register(t, VHU_REG_POSTCOPY) < 0 || t_open(t, nregions) < 0)
		return -1;
	CHECK_EQ(punch(t, early_hole(t)), 0);
	CHECK_EQ(mlockall(MCL_FUTURE), 0);
	want_new = ev_get(&ev.new_dev) + 1;
	t->s.postcopy = true;
	t->s.extra_protocol = PF_PAGEFAULT;
	ret = fe_handshake(&t->s, features, 2, RING_SIZE);
	if (ret < 0)
		FAIL("postcopy handshake: %s", strerror(-ret));
	CHECK(t->s.protocol_features & PF_PAGEFAULT);
	CHECK(t->s.postcopy_ufd >= 0);
	return t_wait_up(t, want_new);
fail:
	return -1;
}

/* Our bases, as the reply to SET_MEM_TABLE gave them: where each region's
 * guest address 0 lies in the library's space. */
static int
check_bases(struct t *t)
{
	const struct vhu_mem *mem = vhu_dev_get(t->vid)->mem;
	uint64_t half = t->s.mem_size / t->s.nregions;
	int i;

	CHECK(mem != NULL);
	CHECK_EQ(mem->nregions, (uint32_t)t->s.nregions);
	for (i = 0; i < t->s.nregions; i++) {
		const struct vhu_mem_region *r = vhu_mem_region_of(mem, t->s.gpa_base + i * half);

		CHECK(r != NULL);
		CHECK_EQ(t->s.postcopy_base[i], r->hva);
	}
	return 0;
fail:
	return -1;
}

static int
postcopy_faults(uint64_t features, int nregions)
{
	struct rte_mbuf *p = mk_pkt1(900, 41), *tx[1] = { NULL };
	struct fe_buf b;
	struct server v = { 0 };
	const uint8_t *pg;
	uint64_t g, i;
	int n;
	struct t t;

	CHECK(p != NULL);
	if (pc_start(&t, features, nregions) < 0 || check_bases(&t) < 0)
		goto fail;

	/* Rx into the page missing since before the memory table: written
	 * once the page came. (Nothing here reads it through a mapping:
	 * that would fill the hole.) */
	g = early_hole(&t);
	b = (struct fe_buf){ .gpa = g, .len = 1024 };
	CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
	if (server_start(&v, &t.s) < 0)
		FAIL("fault server");
	memset(v.source + (g - t.s.gpa_base), 0x77, PAGE);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	CHECK(served(&v, g));
	if (rx_check(&t, p, 1) < 0)
		goto fail;
	pg = fe_ptr(&t.s, g);
	for (i = t.hdr_len + 900; i < PAGE; i++)
		if (pg[i] != 0x77)
			FAIL("byte %lu of the Rx page is 0x%x, not the source's 0x77",
			     (unsigned long)i, pg[i]);

	/* Tx out of a missing page: read once it came. */
	t.s.brk = RTE_ALIGN_CEIL(t.s.brk, PAGE);
	g = t.s.gpa_base + t.s.brk;
	CHECK(tx_post(&t, 1000, 43, NULL, false) >= 0);
	CHECK(t.s.brk <= g - t.s.gpa_base + PAGE);
	memcpy(v.source + (g - t.s.gpa_base), fe_ptr(&t.s, g), PAGE);
	CHECK_EQ(punch(&t, g), 0);
	CHECK_EQ(vhu_dequeue_burst(t.vid, 1, mp, tx, 1), 1);
	CHECK(served(&v, g));
	if (tx_check(tx[0], 1000, 43, 0) < 0)
		goto fail;
	free_pkts(tx, 1);
	CHECK_EQ(v.errors, 0);

	/* After POSTCOPY_END a missing page is just a new one. */
	CHECK_EQ(fe_postcopy_end(&t.s), 0);
	n = __atomic_load_n(&v.n, __ATOMIC_ACQUIRE);
	t.s.brk = RTE_ALIGN_CEIL(t.s.brk, PAGE);
	g = fe_alloc(&t.s, PAGE, PAGE);
	b = (struct fe_buf){ .gpa = g, .len = 1024 };
	CHECK(fe_post(&t.s, FE_RX_VQ, &b, 1, true, false) >= 0);
	CHECK_EQ(punch(&t, g), 0);
	CHECK_EQ(vhu_enqueue_burst(t.vid, 0, &p, 1), 1);
	if (rx_check(&t, p, 1) < 0)
		goto fail;
	CHECK_EQ(__atomic_load_n(&v.n, __ATOMIC_ACQUIRE), n);
	server_stop(&v);
	munlockall();
	rte_pktmbuf_free(p);
	t_end(&t);
	return 0;
fail:
	server_stop(&v);
	munlockall();
	rte_pktmbuf_free(p);
	free_pkts(tx, 1);
	t_end(&t);
	return -1;
}

static int
postcopy_split(void)
{
	return postcopy_faults(F_MRG, 1);
}

static int
postcopy_packed_two_regions(void)
{
	return postcopy_faults(F_MRG | F_PACKED, 2);
}

/*
 * With CONFIGURE_MEM_SLOTS QEMU adds regions one by one: each ADD_MEM_REG
 * is answered with our base, and after the last one QEMU acknowledges with
 * an 8-byte ADD_MEM_REG. That message is taken as the acknowledgement, not
 * refused as a malformed region (which would drop the connection).
 */
static int
postcopy_add_mem_reg(void)
{
	struct vhu_single_mem_region m = { 0 };
	uint64_t zero = 0, f, half, uva1 = 0;
	struct t t;
	int i;

	if (t_start_raw(&t, VHU_REG_POSTCOPY) < 0)
		goto fail;
	CHECK_EQ(t_base_features(&t, false), 0);
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_PROTOCOL_FEATURES, &f), 0);
	CHECK(f & PF_PAGEFAULT);
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_PROTOCOL_FEATURES,
			    VHU_BIT(VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS) | PF_PAGEFAULT), 0);
	CHECK_EQ(fe_postcopy_advise(&t.s), 0);
	CHECK_EQ(fe_postcopy_listen(&t.s), 0);
	half = t.s.mem_size / 2;
	for (i = 0; i < 2; i++) {
		m.region.guest_phys_addr = t.s.gpa_base + i * half;
		m.region.memory_size = half;
		m.region.userspace_addr = fe_gpa_to_uva(&t.s, m.region.guest_phys_addr);
		m.region.mmap_offset = i * half;
		uva1 = m.region.userspace_addr;
		CHECK_EQ(fe_send(&t.s, VHU_REQ_ADD_MEM_REG, 0, &m, sizeof(m), &t.s.memfd, 1), 0);
		CHECK_EQ(fe_recv(&t.s, VHU_REQ_ADD_MEM_REG, &m, sizeof(m)), (int)sizeof(m));
		CHECK_EQ(m.region.guest_phys_addr, t.s.gpa_base + i * half);
		t.s.postcopy_base[i] = m.region.userspace_addr;
	}
	CHECK_EQ(fe_send(&t.s, VHU_REQ_ADD_MEM_REG, 0, &zero, sizeof(zero), NULL, 0), 0);
	/* Still connected, and the table is what the bases said. */
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f), 0);
	t.vid = vid_of(t.path);
	CHECK(t.vid >= 0);
	t.s.nregions = 2;
	for (i = 0; i < 16 && vhu_dev_get(t.vid)->postcopy_ack_pending; i++)
		usleep(1000);
	CHECK(!vhu_dev_get(t.vid)->postcopy_ack_pending);
	if (check_bases(&t) < 0)
		goto fail;
	/* An update that only removes a region: acknowledged by an 8-byte
	 * REM_MEM_REG. */
	m.region.guest_phys_addr = t.s.gpa_base + half;
	m.region.memory_size = half;
	m.region.userspace_addr = uva1;
	m.region.mmap_offset = half;
	CHECK_EQ(fe_send(&t.s, VHU_REQ_REM_MEM_REG, 0, &m, sizeof(m), NULL, 0), 0);
	CHECK_EQ(fe_send(&t.s, VHU_REQ_REM_MEM_REG, 0, &zero, sizeof(zero), NULL, 0), 0);
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f), 0);
	CHECK_EQ(vhu_dev_get(t.vid)->mem->nregions, 1u);
	CHECK(!vhu_dev_get(t.vid)->postcopy_ack_pending);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

/* What the library refuses, the connection staying up. */
static int
postcopy_refused(void)
{
	struct t t;
	uint64_t f, none;
	int fd;

	/* Not offered without VHU_REG_POSTCOPY, and refused. */
	if (t_start_raw(&t, 0) < 0)
		goto fail;
	CHECK_EQ(t_base_features(&t, true), 0);
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_PROTOCOL_FEATURES, &f), 0);
	CHECK(!(f & PF_PAGEFAULT));
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_PROTOCOL_FEATURES,
			    VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) | PF_PAGEFAULT), -EIO);
	/* ADVISE without the feature: an empty reply, no fd. */
	CHECK_EQ(fe_send(&t.s, VHU_REQ_POSTCOPY_ADVISE, 0, NULL, 0, NULL, 0), 0);
	CHECK_EQ(fe_recv_fd(&t.s, VHU_REQ_POSTCOPY_ADVISE, &none, sizeof(none), &fd), 0);
	CHECK_EQ(fd, -1);
	t_end(&t);

	/* Offered: LISTEN before ADVISE, END before LISTEN, LISTEN with
	 * memory already mapped. */
	if (t_start_raw(&t, VHU_REG_POSTCOPY) < 0)
		goto fail;
	CHECK_EQ(t_base_features(&t, false), 0);
	CHECK_EQ(fe_set_u64(&t.s, VHU_REQ_SET_PROTOCOL_FEATURES,
			    VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK) | PF_PAGEFAULT), 0);
	t.s.reply_ack = true;
	CHECK_EQ(fe_postcopy_listen(&t.s), -EIO);
	CHECK_EQ(fe_postcopy_end(&t.s), -EIO);
	CHECK_EQ(fe_set_mem_table(&t.s), 0);
	CHECK_EQ(fe_postcopy_advise(&t.s), 0);
	CHECK_EQ(fe_postcopy_listen(&t.s), -EIO);
	CHECK_EQ(fe_get_u64(&t.s, VHU_REQ_GET_FEATURES, &f), 0);
	t_end(&t);
	return 0;
fail:
	t_end(&t);
	return -1;
}

static const struct unit_case postcopy_cases[] = {
	{ "postcopy_split", postcopy_split },
	{ "postcopy_packed_two_regions", postcopy_packed_two_regions },
	{ "postcopy_add_mem_reg", postcopy_add_mem_reg },
	{ "postcopy_refused", postcopy_refused },
};
UNIT_CASES(postcopy_cases)
