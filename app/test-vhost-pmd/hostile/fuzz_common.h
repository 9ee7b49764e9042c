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

/* The libFuzzer entry points each target defines. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

/*
 * Guest memory of the ring targets (fuzz_split.c, fuzz_packed.c): 64 KiB of
 * one memfd in two regions, gpa [0, 32K) and [32K, 64K), each mapped
 * between PROT_NONE guard pages, so any access just outside a region
 * faults. The regions' uvas are not contiguous. The descriptor table or
 * ring of both targets starts region B, against the guard below it.
 */
#define FUZZ_PAGE		4096u
#define FUZZ_HALF		(32u * 1024)
#define FUZZ_GUEST_SIZE		(2 * FUZZ_HALF)
#define FUZZ_UVA_A		0x7f0000000000ull
#define FUZZ_UVA_B		0x7f0000200000ull	/* not contiguous with A */
#define FUZZ_DESC_GPA		FUZZ_HALF
#define FUZZ_MAX_BURST		32

extern uint8_t *fuzz_hva[2];			/* our mapping of each region */
extern uint8_t fuzz_before[FUZZ_GUEST_SIZE];	/* guest memory before a burst */
extern uint8_t fuzz_after[FUZZ_GUEST_SIZE];	/* and after it */
extern uint8_t fuzz_allowed[FUZZ_GUEST_SIZE];	/* bytes a burst may write */
extern uint8_t fuzz_tables[FUZZ_GUEST_SIZE];	/* rings and descriptor tables */

/* Map the guest memory (once, from LLVMFuzzerInitialize()). */
void fuzz_guest_map(void);
/* Zero all of guest memory. */
void fuzz_guest_clear(void);
/* Our pointer to [gpa, gpa + len) if in one region, else NULL. */
uint8_t *fuzz_g2p(uint64_t gpa, uint64_t len);
/* The frontend's address of gpa (which must be in guest memory). */
uint64_t fuzz_uva(uint64_t gpa);
/* Copy len bytes to gpa, across regions, cut at the end of memory. */
void fuzz_guest_write(uint64_t gpa, const uint8_t *src, size_t len);
/* Set map[gpa, gpa + len), cut at the end of guest memory. */
void fuzz_mark(uint8_t *map, uint64_t gpa, uint64_t len);

/* A device on fuzz_sock with our guest memory and these features
 * negotiated through SET_FEATURES; fuzz_dev_destroy() frees it and checks
 * the lifecycle ended. */
/*
 * The IOMMU variants of the ring targets (fuzz-split-iommu,
 * fuzz-packed-iommu, built with FUZZ_IOMMU): fuzz_dev_create() also
 * negotiates VIRTIO_F_ACCESS_PLATFORM, vring addresses are I/O virtual
 * addresses equal to the guest ones, and only the 4 KiB pages
 * fuzz_iotlb_pages() maps translate; the others miss (no backend
 * channel: nothing is sent, the chain must stay in the ring). Some are
 * mapped one way only: the library must not write where the guest let it
 * only read (it misses instead).
 */
extern bool fuzz_iommu;
/* The input's last four bytes, taken off *size (as many as it has): the
 * mask of pages mapped one way only, then the mask of pages mapped. */
void fuzz_iotlb_tail(const uint8_t *data, size_t *size, uint16_t *pages, uint16_t *oneway);
/* Bit p of mask | rings: map page p of guest memory (IOVA = guest
 * address), both ways, or if bit p of oneway (and not of rings) only for
 * reading (odd p) or only for writing (even p). */
void fuzz_iotlb_pages(struct vhu_dev *dev, uint16_t mask, uint16_t oneway, uint16_t rings);
/* The permissions fuzz_iotlb_pages() gave each page (VHU_ACCESS_*). */
extern uint8_t fuzz_page_perm[FUZZ_GUEST_SIZE / FUZZ_PAGE];
/* Mark in fuzz_allowed a buffer the guest made device-writable: all of it,
 * or with the IOMMU the part in pages it may write. */
void fuzz_allow_write(uint64_t gpa, uint64_t len);
/* The bits of the pages [gpa, gpa + len) touches. */
uint16_t fuzz_page_bits(uint64_t gpa, uint64_t len);
struct vhu_dev *fuzz_dev_create(uint64_t features);
void fuzz_dev_destroy(struct vhu_dev *dev);
/* Run the handler of request req on dev, with an optional fd. */
int fuzz_handle(struct vhu_dev *dev, uint32_t req, const void *payload, size_t len, int fd);
/* SET_VRING_NUM/BASE/ADDR/CALL/KICK of vring idx (kick: no fd), all
 * checked to succeed. avail and used: the driver and device areas. */
void fuzz_vring_setup(struct vhu_dev *dev, uint32_t idx, uint16_t size, uint32_t base,
		      uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa);

/*
 * One burst: fuzz_burst_begin() snapshots guest memory and clears
 * fuzz_allowed and fuzz_tables for the target to fill; fuzz_burst_run()
 * dequeues (tx) or enqueues nb packets of len bytes on vring, checks the
 * Tx mbufs and that no mbuf leaks, and returns how many went;
 * fuzz_burst_end() snapshots guest memory again and, with check_writes,
 * checks that only allowed bytes changed.
 */
void fuzz_burst_begin(void);
/* Does a byte the burst may write lie in a ring or descriptor table? */
bool fuzz_tables_writable(void);
uint16_t fuzz_burst_run(struct vhu_dev *dev, uint32_t vring, bool tx, uint16_t nb, uint32_t len);
void fuzz_burst_end(bool tx, bool check_writes);

/*
 * Rx payload check: the packets of a burst, one after the other, as a
 * stream of used buffers. Packet p carries byte (p + i) at payload offset
 * i, after hdr_len bytes of vnet header (not checked).
 */
struct fuzz_rx_stream {
	uint32_t hdr_len, pkt_len;
	uint32_t pkt, off;	/* packet being filled, offset from its header */
};
void fuzz_rx_begin(struct fuzz_rx_stream *s, uint32_t hdr_len, uint32_t pkt_len);
/* The library wrote n bytes of the stream at gpa (a buffer it used). */
void fuzz_rx_expect(struct fuzz_rx_stream *s, uint64_t gpa, uint32_t n);
/* A used entry ends: no packet runs over, a full one ends here. */
void fuzz_rx_used_done(struct fuzz_rx_stream *s);
/* n packets were sent; every byte only one of them wrote holds its value. */
void fuzz_rx_check_payload(const struct fuzz_rx_stream *s, uint16_t n);

#endif /* FUZZ_COMMON_H */
