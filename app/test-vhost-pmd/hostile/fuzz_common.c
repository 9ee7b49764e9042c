/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 */
#include <dirent.h>
#include <string.h>

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
