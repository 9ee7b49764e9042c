/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * vhu-unit: unit tests of the vhost-user backend library over the frontend
 * simulator. The framework and main(); the cases live in vhu_unit.c and
 * test_*.c, each registering its table with UNIT_CASES().
 *
 *   vhu-unit --list    one case name per line
 *   vhu-unit NAME      run one case: exit 0 on pass, 1 on fail
 *   vhu-unit           run all: "N passed, N failed"
 *
 * VHU_UNIT_DEBUG=1 turns on debug logs (quiet otherwise).
 */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "unit.h"

struct rte_mempool *mp;
char tmpdir[64];
int sock_seq;

/* Callback counters (written by the library's control thread). */
struct unit_ev ev;

static int
cb_new_device(int vid)
{
	__atomic_store_n(&ev.vid, vid, __ATOMIC_RELAXED);
	__atomic_store_n(&ev.ctx, vhu_get_ctx(vid), __ATOMIC_RELAXED);
	__atomic_fetch_add(&ev.new_dev, 1, __ATOMIC_RELEASE);
	return 0;
}

static void
cb_destroy_device(int vid)
{
	RTE_SET_USED(vid);
	__atomic_fetch_add(&ev.destroy_dev, 1, __ATOMIC_RELEASE);
}

static int
cb_vring_state(int vid, uint16_t vring, int enable)
{
	RTE_SET_USED(vid);
	if (vring < FE_MAX_VQ)
		__atomic_fetch_add(enable ? &ev.vring_on[vring] : &ev.vring_off[vring], 1,
				   __ATOMIC_RELEASE);
	return 0;
}

const struct vhu_ops test_ops = {
	.new_device = cb_new_device,
	.destroy_device = cb_destroy_device,
	.vring_state_changed = cb_vring_state,
};

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Wait until *counter >= target; false on timeout. */
bool
ev_wait(int *counter, int target, unsigned int ms)
{
	uint64_t end = now_ms() + ms;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < target) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

int
ev_get(int *counter)
{
	return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

int ctx_token;

/* A device with nothing open yet: no frontend, no device, and a fresh
 * socket path in tmpdir named after prefix. */
void
t_init(struct t *t, const char *prefix)
{
	memset(t, 0, sizeof(*t));
	t->s.fd = -1;
	t->s.memfd = -1;
	t->vid = -1;
	snprintf(t->path, sizeof(t->path), "%s/%s%d", tmpdir, prefix, sock_seq++);
}

int
t_register(struct t *t, uint64_t flags)
{
	int ret;

	t_init(t, "s");
	memset(&ev, 0, sizeof(ev));
	ret = vhu_driver_register(t->path, flags, 1, &test_ops, &ctx_token);
	if (ret < 0) {
		fprintf(stderr, "  vhu_driver_register(%s): %s\n", t->path, strerror(-ret));
		return -1;
	}
	t->registered = true;
	return 0;
}

/* Connect a fresh frontend (guest memory of nregions) to t's socket, no
 * message sent yet. */
int
t_open(struct t *t, int nregions)
{
	int ret;

	ret = fe_sim_init(&t->s, MEM_SIZE, nregions);
	if (ret < 0)
		FAIL("fe_sim_init: %s", strerror(-ret));
	ret = fe_connect(&t->s, t->path);
	if (ret < 0)
		FAIL("connect %s: %s", t->path, strerror(-ret));
	return 0;
fail:
	return -1;
}

/* Register a socket with flags and connect a frontend of one region to it,
 * for cases that speak the protocol themselves. */
int
t_start_raw(struct t *t, uint64_t flags)
{
	if (t_register(t, flags) < 0)
		return -1;
	return t_open(t, 1);
}

/* Drop t's frontend and connect a fresh one (no message sent yet). */
int
t_reopen(struct t *t)
{
	fe_sim_fini(&t->s);
	return t_open(t, 1);
}

/*
 * First messages of a hand-driven connection: take the offered features,
 * accept their base set and, if reply_ack, turn REPLY_ACK on so that every
 * later fe_set_u64() reports the library's verdict.
 */
int
t_base_features(struct t *t, bool reply_ack)
{
	uint64_t f;

	CHECK_EQ(fe_get_u64(&t->s, VHU_REQ_GET_FEATURES, &f), 0);
	CHECK_EQ(fe_set_u64(&t->s, VHU_REQ_SET_FEATURES, f & F_BASE), 0);
	if (!reply_ack)
		return 0;
	CHECK_EQ(fe_set_u64(&t->s, VHU_REQ_SET_PROTOCOL_FEATURES,
			    VHU_BIT(VHU_PROTOCOL_F_REPLY_ACK)), 0);
	t->s.reply_ack = true;
	return 0;
fail:
	return -1;
}

/*
 * Wait for the nr_new-th new_device since t_register (count it before the
 * handshake: the callback may come before that returns), then take the
 * device's vid and the header length of the negotiated features.
 */
int
t_wait_up(struct t *t, int nr_new)
{
	if (!ev_wait(&ev.new_dev, nr_new, 3000))
		FAIL("no new_device after the handshake");
	t->vid = ev_get(&ev.vid);
	t->mrg = t->s.features & VHU_BIT(VHU_VIRTIO_NET_F_MRG_RXBUF);
	t->hdr_len = t->mrg || (t->s.features & VHU_BIT(VHU_VIRTIO_F_VERSION_1)) ? 12 : 10;
	return 0;
fail:
	return -1;
}

/* Connect a fresh frontend to t's socket and bring the device up. */
int
t_connect(struct t *t, uint64_t features, int nregions)
{
	return t_connect_sized(t, features, nregions, RING_SIZE);
}

/* The same with rings of ring_size entries. */
int
t_connect_sized(struct t *t, uint64_t features, int nregions, uint16_t ring_size)
{
	int ret, want_new = ev_get(&ev.new_dev) + 1;

	if (t_open(t, nregions) < 0)
		return -1;
	ret = fe_handshake(&t->s, features, 2, ring_size);
	if (ret < 0)
		FAIL("handshake: %s", strerror(-ret));
	return t_wait_up(t, want_new);
fail:
	return -1;
}

int
t_start(struct t *t, uint64_t features, int nregions)
{
	if (t_register(t, 0) < 0)
		return -1;
	return t_connect(t, features, nregions);
}

void
t_end(struct t *t)
{
	fe_sim_fini(&t->s);
	if (t->registered)
		vhu_driver_unregister(t->path);
	t->registered = false;
}

/* ------------------------------------------------------------- packets */

uint8_t
pat(unsigned int seed, uint32_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

void
pat_fill(uint8_t *p, uint32_t len, unsigned int seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = pat(seed, i);
}

/* An mbuf chain of the given segment lengths (0-terminated) with pattern
 * seed. */
struct rte_mbuf *
mk_pkt(const uint16_t *seg_lens, unsigned int seed)
{
	struct rte_mbuf *head = NULL, *m;
	uint32_t off = 0;
	int i;

	for (i = 0; seg_lens[i]; i++) {
		uint8_t *p;
		uint32_t j;

		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			goto fail;
		p = (uint8_t *)rte_pktmbuf_append(m, seg_lens[i]);
		if (p == NULL) {
			rte_pktmbuf_free(m);
			goto fail;
		}
		for (j = 0; j < seg_lens[i]; j++)
			p[j] = pat(seed, off + j);
		off += seg_lens[i];
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) < 0)
			goto fail;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

struct rte_mbuf *
mk_pkt1(uint16_t len, unsigned int seed)
{
	uint16_t l[2] = { len, 0 };

	return mk_pkt(l, seed);
}

void
free_pkts(struct rte_mbuf **p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		rte_pktmbuf_free(p[i]);
		p[i] = NULL;
	}
}

/*
 * Pop the used entries holding one received packet from the Rx vring and
 * check them against m: header all zero but num_buffers (= entries used),
 * data byte for byte, used lens adding up exactly. want_bufs > 0: expected
 * number of entries.
 */
int
rx_check(struct t *t, const struct rte_mbuf *m, int want_bufs)
{
	uint32_t pkt_len = rte_pktmbuf_pkt_len(m);
	uint32_t want = t->hdr_len + pkt_len, have = 0, i;
	uint8_t *got = malloc(want), *exp = malloc(pkt_len);
	int nb = 0;

	if (got == NULL || exp == NULL)
		FAIL("out of memory");
	while (have < want) {
		uint32_t id, len;

		if (!fe_used_pop(&t->s, FE_RX_VQ, &id, &len))
			FAIL("only %u of %u bytes in %d used entries", have, want, nb);
		nb++;
		if (id >= t->s.vq[FE_RX_VQ].size)
			FAIL("used id %u out of range", id);
		if (len == 0 || len > want - have)
			FAIL("used entry %d: len %u, %u bytes left to see", nb, len, want - have);
		if (fe_chain_read(&t->s, FE_RX_VQ, id, got + have, len) != len)
			FAIL("used len %u longer than the buffers of chain %u", len, id);
		have += len;
	}
	for (i = 0; i < 10; i++)
		if (got[i] != 0)
			FAIL("vnet header byte %u is 0x%x", i, got[i]);
	if (t->hdr_len == 12) {
		int num = got[10] | got[11] << 8;

		if (num != nb)
			FAIL("num_buffers %d, packet used %d buffers", num, nb);
	} else if (nb != 1) {
		FAIL("%d buffers without mergeable buffers", nb);
	}
	if (want_bufs > 0 && nb != want_bufs)
		FAIL("packet used %d buffers, expected %d", nb, want_bufs);
	if (rte_pktmbuf_read(m, 0, pkt_len, exp) != exp)
		memcpy(exp, rte_pktmbuf_mtod(m, void *), pkt_len);
	for (i = 0; i < pkt_len; i++)
		if (got[t->hdr_len + i] != exp[i])
			FAIL("data byte %u: 0x%02x, expected 0x%02x", i, got[t->hdr_len + i], exp[i]);
	free(got);
	free(exp);
	return 0;
fail:
	free(got);
	free(exp);
	return -1;
}

/* Check that a dequeued mbuf holds len bytes of pattern seed, with a sane
 * segment chain. */
int
tx_check(const struct rte_mbuf *m, uint32_t len, unsigned int seed, int want_segs)
{
	const struct rte_mbuf *s;
	uint32_t sum = 0, off = 0, i;
	int segs = 0;

	CHECK_EQ(rte_pktmbuf_pkt_len(m), len);
	for (s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

		segs++;
		sum += s->data_len;
		if (s->data_len == 0)
			FAIL("empty segment %d", segs);
		for (i = 0; i < s->data_len; i++, off++)
			if (p[i] != pat(seed, off))
				FAIL("byte %u: 0x%02x expected 0x%02x", off, p[i], pat(seed, off));
	}
	CHECK_EQ(sum, len);
	CHECK_EQ(segs, m->nb_segs);
	if (want_segs > 0)
		CHECK_EQ(segs, want_segs);
	return 0;
fail:
	return -1;
}

/* Post a Tx packet of len bytes with pattern seed, split as pieces. */
int
tx_post(struct t *t, uint32_t len, unsigned int seed, const uint32_t *pieces, bool indirect)
{
	uint8_t *d = malloc(len ? len : 1);
	int head;

	if (d == NULL)
		return -1;
	pat_fill(d, len, seed);
	head = fe_post_tx(&t->s, d, len, t->hdr_len, pieces, indirect);
	free(d);
	return head;
}

/* Number of used entries of q not yet popped. */
uint16_t
used_pending(struct t *t, int q)
{
	return fe_used_count(&t->s, q);
}

/* Pop the next used entry of q: it must be chain want_id with want_len
 * bytes written (0: returned unused, e.g. a dropped chain). */
int
used_pop_check(struct t *t, int q, uint32_t want_id, uint32_t want_len)
{
	uint32_t id, len;

	CHECK_EQ(fe_used_pop(&t->s, q, &id, &len), 1);
	CHECK_EQ(id, want_id);
	CHECK_EQ(len, want_len);
	return 0;
fail:
	return -1;
}

static void
t_idle(struct t *t)
{
	if (t->idle != NULL)
		t->idle(t);
	else
		usleep(1000);
}

/*
 * One packet each way, checked byte for byte: rx_len bytes of pattern
 * rx_seed into a fresh 2048-byte Rx buffer, tx_len bytes of pattern tx_seed
 * out of the Tx ring, its used entry popped. Each burst is retried for up
 * to ms: the control thread may still be finishing a reconfiguration.
 */
int
t_traffic(struct t *t, uint16_t rx_len, unsigned int rx_seed, uint32_t tx_len,
	  unsigned int tx_seed, unsigned int ms)
{
	struct rte_mbuf *p = mk_pkt1(rx_len, rx_seed), *rx[1] = { 0 };
	uint64_t end = now_ms() + ms;
	int n;

	CHECK(p != NULL);
	CHECK(fe_post_rx(&t->s, 2048) >= 0);
	CHECK(tx_post(t, tx_len, tx_seed, NULL, false) >= 0);
	while ((n = vhu_enqueue_burst(t->vid, 0, &p, 1)) == 0 && now_ms() < end)
		t_idle(t);
	CHECK_EQ(n, 1);
	if (rx_check(t, p, 1) < 0)
		goto fail;
	while ((n = vhu_dequeue_burst(t->vid, 1, mp, rx, 1)) == 0 && now_ms() < end)
		t_idle(t);
	CHECK_EQ(n, 1);
	if (tx_check(rx[0], tx_len, tx_seed, 1) < 0)
		goto fail;
	CHECK_EQ(fe_used_pop(&t->s, FE_TX_VQ, &(uint32_t){0}, &(uint32_t){0}), 1);
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	return 0;
fail:
	rte_pktmbuf_free(p);
	free_pkts(rx, 1);
	return -1;
}
/* ----------------------------------------------------------------- main */

#define UNIT_MAX_CASES	256

static struct unit_case cases[UNIT_MAX_CASES];
static unsigned int nr_cases;

void
unit_register_cases(const struct unit_case *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (nr_cases == UNIT_MAX_CASES) {
			fprintf(stderr, "vhu-unit: more than %d cases\n", UNIT_MAX_CASES);
			abort();
		}
		cases[nr_cases++] = c[i];
	}
}

static int
env_init(const char *prog)
{
	const char *dbg = getenv("VHU_UNIT_DEBUG");
	char *args[] = {
		/* No hugepages, no shared files (--in-memory refuses --no-huge). */
		(char *)(uintptr_t)prog, "--no-huge", "-m", "128", "--no-pci",
		"--no-shconf", "--file-prefix=vhu-unit", "--no-telemetry", "-l", "0",
		dbg != NULL && *dbg && strcmp(dbg, "0") ? "--log-level=*:debug" :
			"--log-level=*:crit",
	};

	if (rte_eal_init(RTE_DIM(args), args) < 0) {
		fprintf(stderr, "vhu-unit: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	mp = rte_pktmbuf_pool_create("vhu_unit", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "vhu-unit: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vhu-unit.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("vhu-unit: mkdtemp");
		return -1;
	}
	return 0;
}

static void
env_fini(void)
{
	char cmd[128];

	/* Sockets left by failed cases. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (tmpdir[0] && system(cmd) != 0)
		fprintf(stderr, "vhu-unit: could not remove %s\n", tmpdir);
	rte_mempool_free(mp);
	snprintf(cmd, sizeof(cmd), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(cmd);	/* empty with --no-shconf; kept if another run uses it */
}

static const char *current_case;

static void
on_alarm(int sig)
{
	static const char msg[] = "FAIL (timeout) ";

	RTE_SET_USED(sig);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDOUT_FILENO, current_case, strlen(current_case)) < 0 ||
	    write(STDOUT_FILENO, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

static int
run_case(unsigned int i)
{
	int ret;

	/* A hung case ends the run as failed rather than block it. */
	current_case = cases[i].name;
	signal(SIGALRM, on_alarm);
	alarm(CASE_TIMEOUT_S);
	ret = cases[i].fn();
	alarm(0);
	printf("%s %s\n", ret == 0 ? "PASS" : "FAIL", cases[i].name);
	fflush(stdout);
	return ret;
}

int
main(int argc, char **argv)
{
	unsigned int i, passed = 0, failed = 0;
	int one = -1;

	if (argc > 1 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < nr_cases; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (argc > 2) {
		fprintf(stderr, "usage: %s [--list | CASE]\n", argv[0]);
		return 2;
	}
	if (argc == 2) {
		for (i = 0; i < nr_cases; i++)
			if (strcmp(argv[1], cases[i].name) == 0)
				one = i;
		if (one < 0) {
			fprintf(stderr, "vhu-unit: no case '%s' (see --list)\n", argv[1]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (env_init(argv[0]) < 0)
		return 1;
	if (one >= 0) {
		int ret = run_case(one);

		env_fini();
		return ret == 0 ? 0 : 1;
	}
	for (i = 0; i < nr_cases; i++) {
		if (run_case(i) == 0)
			passed++;
		else
			failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	env_fini();
	return failed ? 1 : 0;
}
