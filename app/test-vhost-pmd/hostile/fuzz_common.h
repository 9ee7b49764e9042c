/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * What the libFuzzer targets of the library share: EAL set-up, an mbuf
 * pool, a socket whose callbacks check the device lifecycle, and the checks
 * that nothing (fds, guest memory mappings, mbufs) outlives an input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_mempool.h>

#include "vhu_dev.h"

/* Name of every memfd the harnesses create: their mappings are counted. */
#define FUZZ_MEMFD_NAME	"vhu-fuzz"

/* A violated invariant: report and abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "FUZZ CHECK FAILED %s:%d: %s: ", \
			__FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

/* VHU_FUZZ_DEBUG=1: library debug logs and a trace of each burst. */
extern bool fuzz_debug;
#define FUZZ_TRACE(...) do { \
	if (fuzz_debug) \
		fprintf(stderr, "fuzz: " __VA_ARGS__); \
} while (0)

extern struct rte_mempool *fuzz_mp;
extern struct vhu_socket fuzz_sock;

/* EAL (no hugepages, no shared files, quiet) and the mbuf pool. */
void fuzz_env_init(const char *prog);

/* Lifecycle as the callbacks saw it. */
struct fuzz_life {
	int vid;
	bool running;
	uint32_t new_calls, destroy_calls, state_calls;
};
extern struct fuzz_life fuzz_life;
void fuzz_life_reset(int vid);

int fuzz_count_fds(void);
/* Mappings of our memfds and of /dev/zero in this process. */
int fuzz_count_guest_maps(void);

#endif /* FUZZ_COMMON_H */
