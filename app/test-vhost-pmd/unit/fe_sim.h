/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * A small in-process vhost-user frontend for the unit tests: guest memory
 * in a memfd, the protocol over a UNIX socket, split rings (or, once
 * VIRTIO_F_RING_PACKED is negotiated, packed rings) built in guest memory,
 * Rx buffers and Tx packets posted like a virtio-net driver would. Also
 * sends raw and malformed messages.
 *
 * Packed rings: a chain's "head" is its buffer id (set in every descriptor,
 * as Linux does), its descriptors take the next free slots, and the head
 * descriptor's flags are written last, by fe_avail_push(). Ids and slots
 * are freed by fe_used_pop().
 */
#ifndef FE_SIM_H
#define FE_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "vhu_proto.h"

#define FE_MAX_VQ	4
#define FE_MAX_SEGS	64	/* buffers per chain the simulator tracks */
#define FE_RX_VQ	0
#define FE_TX_VQ	1

/* One guest buffer of a chain. */
struct fe_buf {
	uint64_t gpa;
	uint32_t len;
};

/* What the simulator remembers of a posted chain (by head / buffer id). */
struct fe_chain {
	bool posted;
	uint16_t nr_desc;		/* ring descriptors used */
	uint16_t desc[FE_MAX_SEGS];	/* their indexes (packed: slots) */
	uint16_t head_flags;		/* packed: written by fe_avail_push() */
	uint16_t nr_buf;
	struct fe_buf buf[FE_MAX_SEGS];
};

struct fe_vq {
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vhu_desc *desc;
	struct vhu_avail *avail;
	struct vhu_used *used;
	uint16_t avail_idx;		/* next avail entry we publish (packed: slot) */
	uint16_t used_idx;		/* next used entry we read (packed: slot) */
	uint16_t nr_free;		/* packed: free slots */
	uint16_t *free;			/* stack of free descriptor indexes (packed: ids) */
	struct fe_chain *chains;	/* by head */
	int kickfd, callfd;
	bool set_up;
	/* Packed ring (desc_gpa, avail_gpa, used_gpa: descriptor ring, driver
	 * and device event areas). */
	bool packed;
	struct vhu_pdesc *pdesc;
	struct vhu_pevent *driver_event;	/* ours to write */
	struct vhu_pevent *device_event;	/* the backend's */
	uint8_t avail_wrap, used_wrap;
	uint16_t nr_ids;			/* free buffer ids in free[] */
	uint16_t last_used_flags;		/* of the last fe_used_pop() */
	uint16_t *slot_id;			/* packed: id of the chain posted at a slot */
	/* IN_ORDER: one used entry may return a batch of chains, up to the one
	 * it names (fe_used_pop()). */
	bool batch;
	uint32_t batch_id, batch_len;
};

struct fe_sim {
	int fd;				/* connection, -1 if none */
	int memfd;
	uint8_t *mem;			/* our view of the whole guest memory */
	uint64_t mem_size;
	uint64_t gpa_base;
	uint64_t uva_base;
	int nregions;			/* 1 or 2 (halves; uva not contiguous) */
	uint64_t brk;			/* bump allocator, offset into mem */
	uint64_t features;		/* negotiated */
	uint64_t protocol_features;
	bool reply_ack;
	uint64_t extra_protocol;	/* fe_handshake() negotiates these too */
	int nr_vq;
	struct fe_vq vq[FE_MAX_VQ];
	uint32_t timeout_ms;		/* socket replies */
	/* VIRTIO_F_ACCESS_PLATFORM: descriptors and vring addresses carry
	 * I/O virtual addresses, gpa + iova_off (0: guest physical and
	 * frontend addresses as usual). */
	uint64_t iova_off;
	int backend_fd;			/* our end of the backend channel, -1: none */
	/* Postcopy, as a destination QEMU: with postcopy set (and PAGEFAULT
	 * in extra_protocol) fe_handshake() sends POSTCOPY_ADVISE (the
	 * backend's userfaultfd lands in postcopy_ufd) and POSTCOPY_LISTEN
	 * before the memory table; fe_set_mem_table() then takes the
	 * backend's reply (its mapping base of each region, postcopy_base[])
	 * and acknowledges it. */
	bool postcopy;
	bool postcopy_listening;
	int postcopy_ufd;
	uint64_t postcopy_base[2];
};

/* Memory: size bytes (a multiple of 2 MB), in nregions (1 or 2) regions. */
int fe_sim_init(struct fe_sim *s, uint64_t size, int nregions);
void fe_sim_fini(struct fe_sim *s);
/* Swap the guest memory for a fresh memfd holding the same bytes (for
 * SET_MEM_TABLE replacement). The old one is unmapped. */
int fe_sim_remap(struct fe_sim *s);

int fe_connect(struct fe_sim *s, const char *path);
/* Accept one connection from a library in client mode on listenfd. */
int fe_accept(struct fe_sim *s, int listenfd);
void fe_disconnect(struct fe_sim *s);
/* How long to wait for replies. */
void fe_set_timeout(struct fe_sim *s, uint32_t ms);

/* Raw messages. fe_send() returns 0 or -errno; fe_recv() the payload size
 * or -errno (timeout: -EAGAIN, close: -EPIPE). */
int fe_send(struct fe_sim *s, uint32_t req, uint32_t flags, const void *payload,
	    uint32_t size, const int *fds, int nr_fds);
int fe_send_raw(struct fe_sim *s, const void *buf, size_t len, const int *fds, int nr_fds);
int fe_recv(struct fe_sim *s, uint32_t req, void *payload, uint32_t size);
/* True if the library closed the connection (waits up to ms for it). */
bool fe_peer_closed(struct fe_sim *s, unsigned int ms);

/* Protocol requests. With REPLY_ACK negotiated, every request without a
 * reply of its own asks for an ack: these return once it was processed,
 * 0 or -EIO if the library refused it. */
int fe_get_u64(struct fe_sim *s, uint32_t req, uint64_t *val);
int fe_set_u64(struct fe_sim *s, uint32_t req, uint64_t val);
int fe_set_mem_table(struct fe_sim *s);
int fe_set_vring_state(struct fe_sim *s, uint32_t req, uint32_t index, uint32_t num);
int fe_set_vring_addr(struct fe_sim *s, int q);
int fe_set_vring_fd(struct fe_sim *s, uint32_t req, int q, int fd);
int fe_get_vring_base(struct fe_sim *s, int q, uint32_t *base);

/* Any request without a reply of its own, acked as above. */
int fe_request(struct fe_sim *s, uint32_t req, const void *payload, uint32_t size,
	       const int *fds, int nr_fds);
/* A request with a reply: the reply's payload size (0: an empty reply, the
 * backend's failure answer) or -errno. */
int fe_call(struct fe_sim *s, uint32_t req, const void *payload, uint32_t size,
	    void *reply, uint32_t reply_size);
/* ADD_MEM_REG / REM_MEM_REG of one region (fd < 0: sent without an fd). */
int fe_mem_reg(struct fe_sim *s, uint32_t req, uint64_t gpa, uint64_t size,
	       uint64_t uva, uint64_t mmap_offset, int fd);

/* Negotiate want & offered features, REPLY_ACK (+MQ, +extra_protocol), owner, memory table,
 * and set up nr_vq vrings of ring_size entries, enabled. */
int fe_handshake(struct fe_sim *s, uint64_t want, int nr_vq, uint16_t ring_size);
/* Build vring q in guest memory and send its NUM/BASE/ADDR/CALL/KICK. */
int fe_vq_setup(struct fe_sim *s, int q, uint16_t size);

/* Guest memory. */
uint64_t fe_alloc(struct fe_sim *s, uint64_t len, uint64_t align);
void *fe_ptr(struct fe_sim *s, uint64_t gpa);
uint64_t fe_gpa_to_uva(const struct fe_sim *s, uint64_t gpa);
uint64_t fe_gpa_end(const struct fe_sim *s);

/*
 * Post a chain of buffers on vring q (device-writable if write), as one
 * indirect table if indirect. Returns the head, or -1 if the ring has too
 * few free descriptors. fe_chain_add() builds without publishing;
 * fe_avail_push() publishes a head.
 */
int fe_chain_add(struct fe_sim *s, int q, const struct fe_buf *bufs, int n,
		 bool write, bool indirect);
void fe_avail_push(struct fe_sim *s, int q, uint16_t head);
int fe_post(struct fe_sim *s, int q, const struct fe_buf *bufs, int n,
	    bool write, bool indirect);
/* Post one Rx buffer of len bytes; returns the head or -1. */
int fe_post_rx(struct fe_sim *s, uint16_t len);
/* Post a Tx packet: the vnet header (hdr_len zero bytes) and data split in
 * pieces of the given lengths (0-terminated; the header counts as part of
 * the stream). Returns the head or -1. */
int fe_post_tx(struct fe_sim *s, const void *data, uint32_t len, uint16_t hdr_len,
	       const uint32_t *pieces, bool indirect);

/* Take the next used entry of q: 1 (id/len set, chain freed), 0 if none.
 * With IN_ORDER, as a driver does (virtio 1.2, "In-order use of
 * descriptors"): the used entry at the driver's position names the last
 * chain of a batch; the chains before it, in the order they were made
 * available, are used too (length 0), the last one has the entry's length. */
int fe_used_pop(struct fe_sim *s, int q, uint32_t *id, uint32_t *len);
/* Copy up to len bytes out of the buffers of the chain posted at head. */
uint32_t fe_chain_read(struct fe_sim *s, int q, uint16_t head, void *out, uint32_t len);
/* Calls signalled on q since the last read (0 if none). */
uint64_t fe_calls(struct fe_sim *s, int q);

/* VIRTIO_RING_F_EVENT_IDX fields of vring q: used_event (after
 * avail->ring[], ours to write) and avail_event (after used->ring[], the
 * backend's). */
void fe_used_event_set(struct fe_sim *s, int q, uint16_t val);
uint16_t fe_avail_event(struct fe_sim *s, int q);

/* The address a descriptor carries for gpa (see iova_off). */
uint64_t fe_addr(const struct fe_sim *s, uint64_t gpa);

/*
 * IOTLB. fe_handshake() opens the backend channel when BACKEND_REQ is in
 * extra_protocol. fe_iotlb_msg() sends an IOTLB_MSG (acked);
 * fe_backend_recv() waits up to ms for the backend's next IOTLB message
 * (1, 0 on timeout, -errno); fe_iotlb_answer() answers miss m with an
 * update of its 4 KiB page, RW (acked: 0, or -errno); fe_iotlb_serve()
 * answers every miss that comes within ms so, and returns how many it
 * answered (or -errno). *last gets the last miss (may be NULL).
 */
int fe_iotlb_msg(struct fe_sim *s, uint8_t type, uint64_t iova, uint64_t size,
		 uint64_t uaddr, uint8_t perm);
int fe_backend_recv(struct fe_sim *s, struct vhu_iotlb_msg *m, unsigned int ms);
int fe_iotlb_answer(struct fe_sim *s, const struct vhu_iotlb_msg *m);
int fe_iotlb_serve(struct fe_sim *s, unsigned int ms, struct vhu_iotlb_msg *last);

/* Postcopy requests: 0, or -errno (-EIO: refused). fe_recv_fd() is
 * fe_recv() keeping the fd that came with the reply (*fd, -1: none). */
int fe_postcopy_advise(struct fe_sim *s);
int fe_postcopy_listen(struct fe_sim *s);
int fe_postcopy_end(struct fe_sim *s);
int fe_recv_fd(struct fe_sim *s, uint32_t req, void *payload, uint32_t size, int *fd);

/* Packed rings. */
bool fe_is_packed(const struct fe_sim *s);
/* The driver event area of q (flags VHU_RING_EVENT_F_*, off_wrap). */
void fe_driver_event_set(struct fe_sim *s, int q, uint16_t flags, uint16_t off_wrap);
/* Used descriptors of q not yet popped (split: used->idx - ours). */
uint16_t fe_used_count(struct fe_sim *s, int q);
/* Do the flags of a packed descriptor say used in the lap of wrap? */
bool fe_pdesc_used(uint16_t flags, uint8_t wrap);
/* Slot of descriptor i of the chain posted with buffer id id. */
uint16_t fe_chain_slot(struct fe_sim *s, int q, uint16_t id, int i);

#endif /* FE_SIM_H */
