/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The vhost-pmd authors.
 *
 * Wire format of the vhost-user protocol (QEMU docs/interop/vhost-user.rst)
 * and the virtio structures the backend reads from guest memory (virtio 1.2).
 * Our own names: nothing here may clash with <linux/vhost.h> or rte_vhost.h.
 */
#ifndef VHU_PROTO_H
#define VHU_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Front-end -> back-end requests. */
enum vhu_request {
	VHU_REQ_NONE = 0,
	VHU_REQ_GET_FEATURES = 1,
	VHU_REQ_SET_FEATURES = 2,
	VHU_REQ_SET_OWNER = 3,
	VHU_REQ_RESET_OWNER = 4,
	VHU_REQ_SET_MEM_TABLE = 5,
	VHU_REQ_SET_LOG_BASE = 6,
	VHU_REQ_SET_LOG_FD = 7,
	VHU_REQ_SET_VRING_NUM = 8,
	VHU_REQ_SET_VRING_ADDR = 9,
	VHU_REQ_SET_VRING_BASE = 10,
	VHU_REQ_GET_VRING_BASE = 11,
	VHU_REQ_SET_VRING_KICK = 12,
	VHU_REQ_SET_VRING_CALL = 13,
	VHU_REQ_SET_VRING_ERR = 14,
	VHU_REQ_GET_PROTOCOL_FEATURES = 15,
	VHU_REQ_SET_PROTOCOL_FEATURES = 16,
	VHU_REQ_GET_QUEUE_NUM = 17,
	VHU_REQ_SET_VRING_ENABLE = 18,
	VHU_REQ_SEND_RARP = 19,
	VHU_REQ_NET_SET_MTU = 20,
	VHU_REQ_SET_BACKEND_REQ_FD = 21,
	VHU_REQ_IOTLB_MSG = 22,
	VHU_REQ_SET_VRING_ENDIAN = 23,
	VHU_REQ_GET_CONFIG = 24,
	VHU_REQ_SET_CONFIG = 25,
	VHU_REQ_POSTCOPY_ADVISE = 28,
	VHU_REQ_POSTCOPY_LISTEN = 29,
	VHU_REQ_POSTCOPY_END = 30,
	VHU_REQ_GET_INFLIGHT_FD = 31,
	VHU_REQ_SET_INFLIGHT_FD = 32,
	VHU_REQ_GET_MAX_MEM_SLOTS = 36,
	VHU_REQ_ADD_MEM_REG = 37,
	VHU_REQ_REM_MEM_REG = 38,
	VHU_REQ_SET_STATUS = 39,
	VHU_REQ_GET_STATUS = 40,
	VHU_REQ_MAX = 41,
};

/* Header flags. */
#define VHU_MSG_VERSION_MASK	0x3u
#define VHU_MSG_VERSION		0x1u
#define VHU_MSG_REPLY		(1u << 2)
#define VHU_MSG_NEED_REPLY	(1u << 3)

#define VHU_MAX_MEM_REGIONS	8	/* per SET_MEM_TABLE message */
#define VHU_MAX_FDS		VHU_MAX_MEM_REGIONS

/* Vring index word of SET_VRING_KICK/CALL/ERR. */
#define VHU_VRING_IDX_MASK	0xffu
#define VHU_VRING_NOFD		(1u << 8)

struct vhu_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vhu_vring_addr {
	uint32_t index;
	uint32_t flags;		/* bit 0: log used ring writes */
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
} __attribute__((packed));

struct vhu_mem_region_desc {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vhu_mem_table_desc {
	uint32_t nregions;
	uint32_t padding;
	struct vhu_mem_region_desc regions[VHU_MAX_MEM_REGIONS];
} __attribute__((packed));

struct vhu_single_mem_region {
	uint64_t padding;
	struct vhu_mem_region_desc region;
} __attribute__((packed));

struct vhu_log_desc {
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));

/*
 * IOTLB_MSG (frontend to us) and BACKEND_IOTLB_MSG (us to the frontend,
 * on the backend channel): QEMU's struct vhost_iotlb_msg, 32 bytes with
 * its tail padding. A frontend may leave the padding out (26 bytes).
 */
struct vhu_iotlb_msg {
	uint64_t iova;
	uint64_t size;
	uint64_t uaddr;
	uint8_t perm;		/* VHU_ACCESS_* */
	uint8_t type;		/* VHU_IOTLB_* */
	uint8_t padding[6];
} __attribute__((packed));

#define VHU_ACCESS_RO		0x1
#define VHU_ACCESS_WO		0x2
#define VHU_ACCESS_RW		0x3
#define VHU_IOTLB_MSG_MIN	(offsetof(struct vhu_iotlb_msg, type) + 1)
#define VHU_IOTLB_MISS		1
#define VHU_IOTLB_UPDATE	2
#define VHU_IOTLB_INVALIDATE	3
#define VHU_IOTLB_ACCESS_FAIL	4

/* Backend channel requests (us to the frontend). */
#define VHU_BACKEND_IOTLB_MSG	1

/* The largest payload we accept; anything longer is a protocol error. */
union vhu_msg_payload {
	uint64_t u64;
	struct vhu_vring_state state;
	struct vhu_vring_addr addr;
	struct vhu_mem_table_desc memory;
	struct vhu_single_mem_region mem_reg;
	struct vhu_log_desc log;
	struct vhu_iotlb_msg iotlb;
	uint8_t raw[256];
};

struct vhu_msg_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;		/* payload bytes that follow */
} __attribute__((packed));

struct vhu_msg {
	struct vhu_msg_hdr hdr;
	union vhu_msg_payload payload;
	/* Not on the wire: ancillary fds that came with the message. */
	int fds[VHU_MAX_FDS];
	int nr_fds;
	/* A reply's fd (POSTCOPY_ADVISE), -1: none; not closed by the send. */
	int reply_fd;
	/* The frontend's acknowledgement of our postcopy mapping bases
	 * (vhu_postcopy_is_ack()): taken, not dispatched. */
	bool postcopy_ack;
} __attribute__((packed));

#define VHU_MSG_HDR_SIZE	sizeof(struct vhu_msg_hdr)

/* Virtio feature bits (bit numbers). */
#define VHU_VIRTIO_NET_F_CSUM		0
#define VHU_VIRTIO_NET_F_GUEST_CSUM	1
#define VHU_VIRTIO_NET_F_MTU		3
#define VHU_VIRTIO_NET_F_MAC		5
#define VHU_VIRTIO_NET_F_GUEST_TSO4	7
#define VHU_VIRTIO_NET_F_GUEST_TSO6	8
#define VHU_VIRTIO_NET_F_GUEST_ECN	9
#define VHU_VIRTIO_NET_F_GUEST_UFO	10
#define VHU_VIRTIO_NET_F_HOST_TSO4	11
#define VHU_VIRTIO_NET_F_HOST_TSO6	12
#define VHU_VIRTIO_NET_F_HOST_ECN	13
#define VHU_VIRTIO_NET_F_HOST_UFO	14
#define VHU_VIRTIO_NET_F_MRG_RXBUF	15
#define VHU_VIRTIO_NET_F_STATUS		16
#define VHU_VIRTIO_NET_F_CTRL_VQ	17
#define VHU_VIRTIO_NET_F_CTRL_RX	18
#define VHU_VIRTIO_NET_F_GUEST_ANNOUNCE	21
#define VHU_VIRTIO_NET_F_MQ		22
#define VHU_VIRTIO_F_NOTIFY_ON_EMPTY	24
#define VHU_VHOST_F_LOG_ALL		26
#define VHU_VIRTIO_F_ANY_LAYOUT		27
#define VHU_VIRTIO_RING_F_INDIRECT_DESC	28
#define VHU_VIRTIO_RING_F_EVENT_IDX	29
#define VHU_USER_F_PROTOCOL_FEATURES	30
#define VHU_VIRTIO_F_VERSION_1		32
#define VHU_VIRTIO_F_ACCESS_PLATFORM	33
#define VHU_VIRTIO_F_RING_PACKED	34
#define VHU_VIRTIO_F_IN_ORDER		35

/* vhost-user protocol feature bits (bit numbers). */
#define VHU_PROTOCOL_F_MQ		0
#define VHU_PROTOCOL_F_LOG_SHMFD	1
#define VHU_PROTOCOL_F_RARP		2
#define VHU_PROTOCOL_F_REPLY_ACK	3
#define VHU_PROTOCOL_F_NET_MTU		4
#define VHU_PROTOCOL_F_BACKEND_REQ	5
#define VHU_PROTOCOL_F_CROSS_ENDIAN	6
#define VHU_PROTOCOL_F_CRYPTO_SESSION	7
#define VHU_PROTOCOL_F_PAGEFAULT	8
#define VHU_PROTOCOL_F_CONFIG		9
#define VHU_PROTOCOL_F_BACKEND_SEND_FD	10
#define VHU_PROTOCOL_F_HOST_NOTIFIER	11
#define VHU_PROTOCOL_F_INFLIGHT_SHMFD	12
#define VHU_PROTOCOL_F_RESET_DEVICE	13
#define VHU_PROTOCOL_F_INBAND_NOTIFICATIONS 14
#define VHU_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define VHU_PROTOCOL_F_STATUS		16

#define VHU_BIT(n)	(1ULL << (n))

/* Split virtqueue layout (virtio 1.2, 2.7). */
#define VHU_DESC_F_NEXT		1
#define VHU_DESC_F_WRITE	2
#define VHU_DESC_F_INDIRECT	4

#define VHU_AVAIL_F_NO_INTERRUPT 1
#define VHU_USED_F_NO_NOTIFY	1

struct vhu_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vhu_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
	/* uint16_t used_event follows ring[num] with EVENT_IDX */
};

struct vhu_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vhu_used {
	uint16_t flags;
	uint16_t idx;
	struct vhu_used_elem ring[];
	/* uint16_t avail_event follows ring[num] with EVENT_IDX */
};

/* Virtio-net header in front of every packet. */
#define VHU_NET_HDR_F_NEEDS_CSUM	1
#define VHU_NET_HDR_F_DATA_VALID	2
#define VHU_NET_HDR_GSO_NONE		0
#define VHU_NET_HDR_GSO_TCPV4		1
#define VHU_NET_HDR_GSO_UDP		3
#define VHU_NET_HDR_GSO_TCPV6		4
#define VHU_NET_HDR_GSO_ECN		0x80

struct vhu_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct vhu_net_hdr_mrg {
	struct vhu_net_hdr hdr;
	uint16_t num_buffers;
};

/* Packed virtqueue layout (virtio 1.2, 2.8). Descriptor flags besides
 * NEXT/WRITE/INDIRECT above: */
#define VHU_DESC_F_AVAIL	(1u << 7)
#define VHU_DESC_F_USED		(1u << 15)

struct vhu_pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;		/* buffer id, in the last descriptor of a chain */
	uint16_t flags;
};

/* Event suppression area (driver area: the guest's wish for our calls;
 * device area: ours for its kicks). */
#define VHU_RING_EVENT_F_ENABLE		0
#define VHU_RING_EVENT_F_DISABLE	1
#define VHU_RING_EVENT_F_DESC		2	/* only with EVENT_IDX */
#define VHU_RING_EVENT_WRAP_SHIFT	15	/* off_wrap: offset 0-14, wrap 15 */

struct vhu_pevent {
	uint16_t off_wrap;
	uint16_t flags;
};

/* GET/SET_VRING_BASE of a packed ring (vhost-user.rst): bits 0-14 avail
 * index, 15 avail wrap counter, 16-30 used index, 31 used wrap counter. */
#define VHU_PACKED_IDX_MASK	0x7fffu
#define VHU_PACKED_WRAP_BIT	15
#define VHU_PACKED_USED_SHIFT	16

#define VHU_MAX_RING_SIZE	32768

#endif /* VHU_PROTO_H */
