#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed corpora corpus/msg/, corpus/split/, corpus/packed/,
# corpus/split-iommu/, corpus/packed-iommu/ and corpus/iotlb/ (the input formats are described at the top of fuzz_msg.c,
# fuzz_split.c, fuzz_packed.c and fuzz_iotlb.c). Run it again
# after changing a format; regression inputs (regress-*) are kept as they are.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# fuzz_msg.c fd pool
MEM, SMALL, EVENT, ZERO, NULL = range(5)
# requests
(GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE, SET_LOG_BASE,
 SET_LOG_FD, SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE,
 SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR, GET_PROTOCOL_FEATURES,
 SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE) = range(1, 19)
GET_CONFIG = 24
SEND_RARP, NET_SET_MTU, SET_BACKEND_REQ_FD = 19, 20, 21
GET_MAX_MEM_SLOTS, ADD_MEM_REG, REM_MEM_REG, SET_STATUS, GET_STATUS = range(36, 41)
POSTCOPY_ADVISE, POSTCOPY_LISTEN, POSTCOPY_END = 28, 29, 30
P_PAGEFAULT = 1 << 8
P_RARP, P_NET_MTU, P_BACKEND_REQ, P_MEM_SLOTS, P_STATUS = 1 << 2, 1 << 4, 1 << 5, 1 << 15, 1 << 16
NEED_REPLY = 8
F_MRG, F_MQ, F_INDIRECT, F_PROTO, F_V1 = 1 << 15, 1 << 22, 1 << 28, 1 << 30, 1 << 32
F_EVENT_IDX, F_IN_ORDER = 1 << 29, 1 << 35
P_MQ, P_REPLY_ACK = 1, 8
NEXT, WRITE, INDIRECT = 1, 2, 4
UVA = 0x7f0000000000


def msg(req, payload=b'', fds=(), flags=1, op=0):
    return (bytes([op, len(fds)]) + bytes(fds) +
            struct.pack('<III', req, flags, len(payload)) + payload)


def u64(v):
    return struct.pack('<Q', v)


def state(i, n):
    return struct.pack('<II', i, n)


def mem_table(regions):
    p = struct.pack('<II', len(regions), 0)
    for gpa, size, uva, off in regions:
        p += struct.pack('<QQQQ', gpa, size, uva, off)
    return p


def memw(off, data):
    out = b''
    while data:
        chunk = data[:255]
        out += bytes([6]) + struct.pack('<HB', off, len(chunk)) + chunk
        off += len(chunk)
        data = data[255:]
    return out


def burst(vring, count=1, size_sel=0):
    return bytes([5, vring | (count - 1) << 2 | size_sel << 4])


def desc(addr, length, flags=0, nxt=0):
    return struct.pack('<QIHH', addr, length, flags, nxt)


def avail(heads, idx=None, flags=0):
    return struct.pack('<HH', flags, len(heads) if idx is None else idx) + \
        b''.join(struct.pack('<H', h) for h in heads)


# Guest layout (64 KiB at gpa 0): vring v at 0x1000 * v: desc +0, avail
# +0x400, used +0x800; buffers from 0x8000.
def ring_addr(v):
    base = 0x1000 * v
    return base, base + 0x400, base + 0x800


def vring_msgs(v, num=16, proto=False, kick_fd=True):
    d, a, u = ring_addr(v)
    out = msg(SET_VRING_NUM, state(v, num))
    out += msg(SET_VRING_BASE, state(v, 0))
    out += msg(SET_VRING_ADDR, struct.pack('<IIQQQQ', v, 0, UVA + d, UVA + u, UVA + a, 0))
    out += msg(SET_VRING_CALL, u64(v), [EVENT])
    out += (msg(SET_VRING_KICK, u64(v), [EVENT]) if kick_fd else
            msg(SET_VRING_KICK, u64(v | 0x100)))
    if proto:
        out += msg(SET_VRING_ENABLE, state(v, 1))
    return out


def handshake(features=F_V1 | F_MRG | F_PROTO | F_INDIRECT, proto=P_MQ | P_REPLY_ACK,
              nvrings=2, kick_fd=True):
    out = msg(GET_FEATURES) + msg(SET_OWNER)
    use_proto = bool(features & F_PROTO)
    if use_proto:
        out += msg(GET_PROTOCOL_FEATURES) + msg(SET_PROTOCOL_FEATURES, u64(proto))
        if proto & P_MQ:
            out += msg(GET_QUEUE_NUM)
    out += msg(SET_FEATURES, u64(features))
    out += msg(SET_MEM_TABLE, mem_table([(0, 0x10000, UVA, 0)]), [MEM])
    for v in range(nvrings):
        out += vring_msgs(v, proto=use_proto, kick_fd=kick_fd)
    return out


def rx_ring(bufs, v=0):
    d, a, _ = ring_addr(v)
    table = b''
    for i, (gpa, ln) in enumerate(bufs):
        table += desc(gpa, ln, WRITE)
    return memw(d, table) + memw(a, avail(list(range(len(bufs)))))


def tx_ring(chains, v=1):
    """chains: list of lists of (gpa, len); a zero virtio-net header (12
    bytes) then payload written from each chain's first gpa."""
    d, a, _ = ring_addr(v)
    table, heads, data, i = b'', [], b'', 0
    for chain in chains:
        heads.append(i)
        for k, (gpa, ln) in enumerate(chain):
            last = k == len(chain) - 1
            table += desc(gpa, ln, 0 if last else NEXT, 0 if last else i + 1)
            b = bytes((gpa + j) & 0xff for j in range(min(ln, 200)))
            if k == 0:
                b = bytes(min(ln, 12)) + b[12:]
            data += memw(gpa, b)
            i += 1
    return memw(d, table) + memw(a, avail(heads)) + data


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def msg_seeds():
    s = {}
    s['handshake'] = handshake()
    s['handshake-legacy'] = handshake(features=F_MRG, kick_fd=False)
    s['handshake-v1-nomrg'] = handshake(features=F_V1 | F_PROTO, proto=P_REPLY_ACK)
    data = rx_ring([(0x8000, 2048), (0x8800, 2048)]) + \
        tx_ring([[(0x9000, 12), (0x9100, 60)], [(0x9200, 100)]])
    s['rx-tx'] = handshake() + data + burst(0, 2, 1) + burst(1, 4)
    s['rx-tx-event-idx'] = handshake(features=F_V1 | F_PROTO | F_EVENT_IDX | F_IN_ORDER) + data + \
        burst(0, 2, 1) + burst(1, 4)
    s['rx-tx-legacy'] = handshake(features=F_INDIRECT) + data + burst(0, 1, 3) + burst(1, 2)
    s['rx-mrg-small'] = handshake() + rx_ring([(0x8000 + 64 * i, 64) for i in range(8)]) + \
        burst(0, 2, 2)
    d, a, _ = ring_addr(1)
    ind = memw(0xa000, desc(0x9000, 12, NEXT, 1) + desc(0x9100, 80, 0)) + \
        memw(d, desc(0xa000, 32, INDIRECT)) + memw(a, avail([0]))
    s['tx-indirect'] = handshake() + ind + burst(1)
    loop = memw(d, desc(0x9000, 12, NEXT, 1) + desc(0x9100, 80, NEXT, 0)) + memw(a, avail([0]))
    s['tx-loop'] = handshake() + loop + burst(1)
    s['mq'] = handshake(nvrings=4) + rx_ring([(0x8000, 2048)], v=2) + \
        tx_ring([[(0x9000, 112)]], v=3) + burst(2) + burst(3)
    # Postcopy: ADVISE, LISTEN, the memory table acknowledged (u64 0), the
    # rings, bursts into pages nothing wrote yet (the fault server fills
    # them), END.
    pc = msg(GET_FEATURES) + msg(SET_OWNER) + msg(GET_PROTOCOL_FEATURES) + \
        msg(SET_PROTOCOL_FEATURES, u64(P_MQ | P_REPLY_ACK | P_PAGEFAULT)) + \
        msg(SET_FEATURES, u64(F_V1 | F_MRG | F_PROTO | F_INDIRECT)) + \
        msg(POSTCOPY_ADVISE) + msg(POSTCOPY_LISTEN) + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x10000, UVA, 0)]), [MEM]) + \
        msg(SET_MEM_TABLE, u64(0))
    for v in range(2):
        pc += vring_msgs(v, proto=True)
    s['postcopy'] = pc + data + burst(0, 2, 1) + burst(1, 4) + msg(POSTCOPY_END) + burst(0)
    s['stop-restart'] = handshake() + data + burst(1) + \
        msg(GET_VRING_BASE, state(0, 0)) + msg(GET_VRING_BASE, state(1, 0)) + \
        msg(SET_VRING_KICK, u64(0), [EVENT]) + msg(SET_VRING_KICK, u64(1), [EVENT]) + burst(0)
    s['mem-replace'] = handshake() + data + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x8000, UVA, 0), (0x8000, 0x8000, UVA + 0x8000, 0x8000)]),
            [MEM, MEM]) + burst(0) + burst(1)
    s['mem-two-fds'] = handshake() + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x10000, UVA, 0), (0x100000, 0x1000, 0x1000, 0)]),
            [MEM, SMALL]) + burst(1)
    s['mem-bad-fds'] = msg(SET_MEM_TABLE, mem_table([(0, 0x1000, 0, 0)]), [NULL]) + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x100000, 0, 0)]), [ZERO]) + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x100000, 0, 0)]), [SMALL]) + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x1000, 0, 0)]), [MEM, EVENT]) + \
        msg(SET_MEM_TABLE, mem_table([(0, 0x1000, 0, 0), (0x800, 0x1000, 0, 0)]), [MEM, MEM])
    s['too-many-fds'] = msg(SET_OWNER) + msg(SET_MEM_TABLE, mem_table([(0, 0x1000, 0, 0)]),
                                             [MEM] * 10)
    s['reset-owner'] = handshake() + data + burst(0) + msg(RESET_OWNER) + burst(1) + \
        handshake() + burst(1)
    s['features-change'] = handshake() + data + burst(0) + \
        msg(SET_FEATURES, u64(F_PROTO | F_V1)) + burst(0, 1, 1)
    s['need-reply'] = msg(GET_PROTOCOL_FEATURES) + msg(SET_PROTOCOL_FEATURES, u64(P_REPLY_ACK)) + \
        msg(SET_OWNER, flags=1 | NEED_REPLY) + msg(SET_FEATURES, u64(1 << 40), flags=1 | NEED_REPLY) + \
        msg(SET_VRING_NUM, state(0, 3), flags=1 | NEED_REPLY) + \
        msg(SET_VRING_NUM, state(300, 16), flags=1 | NEED_REPLY) + \
        msg(99, b'abcd', flags=1 | NEED_REPLY)
    s['refused'] = msg(SET_LOG_BASE, u64(0) + u64(0), [MEM]) + msg(SET_VRING_ERR, u64(0), [EVENT]) + \
        msg(SET_LOG_FD, b'', [EVENT]) + msg(20, u64(1500)) + msg(GET_CONFIG, b'\0' * 12)
    s['bad-version'] = msg(SET_OWNER, flags=2)
    s['oversize'] = msg(SET_OWNER) + msg(SET_FEATURES, b'\0' * 200)
    s['short-payload'] = msg(SET_OWNER) + bytes([0, 0]) + struct.pack('<III', SET_VRING_NUM, 1, 8) + b'\0\0'
    s['vring-addr-bad'] = handshake() + \
        msg(SET_VRING_ADDR, struct.pack('<IIQQQQ', 0, 0, UVA + 1, UVA + 0x800, UVA + 0x400, 0)) + \
        msg(SET_VRING_ADDR, struct.pack('<IIQQQQ', 1, 0, UVA + 0xfff0, UVA + 0x800, UVA + 0x400, 0)) + \
        burst(0) + burst(1)
    s['vring-num-big'] = handshake() + msg(SET_VRING_NUM, state(0, 32768)) + \
        msg(SET_VRING_NUM, state(1, 65536)) + burst(0)
    # Protocol features of the control plane (test_ctrl.c has the details).
    slots = P_MQ | P_REPLY_ACK | P_MEM_SLOTS
    s['mem-slots'] = handshake(proto=slots) + data + msg(GET_MAX_MEM_SLOTS) + \
        msg(ADD_MEM_REG, u64(0) + struct.pack('<QQQQ', 0x10000, 0x4000, UVA + 0x20000, 0x8000),
            [MEM], flags=1 | NEED_REPLY) + \
        msg(ADD_MEM_REG, u64(0) + struct.pack('<QQQQ', 0x12000, 0x1000, UVA + 0x30000, 0), [MEM]) + \
        burst(0) + burst(1) + \
        msg(REM_MEM_REG, u64(0) + struct.pack('<QQQQ', 0x10000, 0x4000, UVA + 0x20000, 0)) + \
        msg(REM_MEM_REG, u64(0) + struct.pack('<QQQQ', 0, 0x10000, UVA, 0), [EVENT]) + \
        burst(0) + burst(1)
    s['status'] = handshake(proto=P_MQ | P_REPLY_ACK | P_STATUS) + data + burst(0) + \
        msg(SET_STATUS, u64(0xb), flags=1 | NEED_REPLY) + msg(GET_STATUS) + \
        msg(SET_STATUS, u64(0xf)) + burst(0) + burst(1) + msg(SET_STATUS, u64(0)) + burst(1) + \
        msg(SET_STATUS, u64(0x10f)) + msg(SET_STATUS, u64(0x8f)) + msg(SET_STATUS, u64(0xf)) + burst(1)
    misc = P_MQ | P_REPLY_ACK | P_RARP | P_NET_MTU | P_BACKEND_REQ
    s['proto-misc'] = handshake(proto=misc) + \
        msg(NET_SET_MTU, u64(1500), flags=1 | NEED_REPLY) + msg(NET_SET_MTU, u64(67)) + \
        msg(SEND_RARP, u64(0x563412005452)) + msg(SET_BACKEND_REQ_FD, b'', [EVENT]) + \
        msg(SET_BACKEND_REQ_FD, b'', [EVENT]) + msg(SET_VRING_ERR, u64(1), [EVENT]) + \
        msg(SET_VRING_ERR, u64(1 | 0x100)) + burst(1) + msg(RESET_OWNER) + msg(GET_STATUS)
    return s


# fuzz_split.c layout
HALF = 0x8000
DESC_GPA = HALF


def split_seed(log2, flags, base, count, bursts, length, table, heads, tail=b'', aidx=None,
               ol=False):
    size = 1 << log2
    cfg = bytes([log2 | flags]) + struct.pack('<H', base) + \
        bytes([(count - 1) | (bursts - 1) << 5 | (0x80 if ol else 0)]) + \
        struct.pack('<H', length - 1)
    table = table.ljust(16 * size, b'\0')[:16 * size]
    idx = (base + len(heads)) & 0xffff if aidx is None else aidx
    ring = [0] * size
    for i, h in enumerate(heads):
        ring[(base + i) % size] = h
    av = struct.pack('<HH', 0, idx) + b''.join(struct.pack('<H', h) for h in ring)
    return cfg + table + av + tail


MRG, V1, TX, EVENT_IDX = 0x10, 0x20, 0x40, 0x80


def split_seeds():
    s = {}
    rx = b''.join(desc(0x100 + 0x800 * i, 0x800, WRITE) for i in range(4))
    s['rx-simple'] = split_seed(4, V1, 0, 4, 1, 100, rx, [0, 1, 2, 3])
    s['rx-legacy-hdr'] = split_seed(4, 0, 0, 2, 2, 1500, rx, [0, 1, 2, 3])
    small = b''.join(desc(0x100 + 0x100 * i, 0x100, WRITE) for i in range(16))
    s['rx-mrg'] = split_seed(4, MRG | V1, 0, 2, 1, 1000, small, list(range(16)))
    s['rx-mrg-short'] = split_seed(4, MRG, 0, 2, 1, 9000, small, list(range(8)))
    s['rx-chain'] = split_seed(3, V1, 0, 1, 1, 300,
                               desc(0x100, 12, WRITE | NEXT, 1) + desc(0x200, 100, WRITE | NEXT, 2) +
                               desc(0x300, 400, WRITE), [0])
    s['rx-indirect'] = split_seed(3, V1, 0, 1, 1, 200, desc(0x1000, 48, INDIRECT), [0],
                                  tail=b'\0' * 0x1000 + desc(0x2000, 12, WRITE | NEXT, 1) +
                                  desc(0x2100, 100, WRITE | NEXT, 2) + desc(0x2200, 200, WRITE))
    s['rx-wrap'] = split_seed(2, V1, 0xfffe, 4, 1, 64, rx, [0, 1, 2, 3])
    s['rx-cross-region'] = split_seed(2, V1, 0, 1, 1, 3000, desc(0x7000, 0x2000, WRITE), [0])
    s['rx-bad-head'] = split_seed(2, V1, 0, 2, 1, 64, rx, [7, 0])
    s['rx-size1'] = split_seed(0, V1, 5, 2, 2, 64, rx, [0])
    s['rx-size256'] = split_seed(8, MRG | V1, 0, 32, 4, 1500,
                                 b''.join(desc(0x100 + 0x70 * i, 0x70, WRITE) for i in range(256)),
                                 list(range(256)))
    pay = bytes(range(256)) * 4
    tx = desc(0x100, 12, NEXT, 1) + desc(0x200, 200, NEXT, 2) + desc(0x400, 300) + \
        desc(0x1000, 1000) + desc(0x2000, 12)
    s['tx-simple'] = split_seed(4, TX | V1, 0, 4, 1, 1, tx, [0, 3, 4], tail=pay)
    s['tx-event-idx'] = split_seed(4, TX | V1 | EVENT_IDX, 0, 4, 2, 1, tx, [0, 3, 4], tail=pay)
    s['rx-event-idx'] = split_seed(4, V1 | EVENT_IDX, 0xfff0, 2, 2, 100, rx, [0, 1, 2, 3])
    s['tx-legacy'] = split_seed(4, TX, 0, 2, 2, 1, tx, [0, 3], tail=pay)
    s['tx-indirect'] = split_seed(3, TX | V1, 0, 1, 1, 1, desc(0x1000, 32, INDIRECT), [0],
                                  tail=b'\0' * 0x1000 + desc(0x2000, 12, NEXT, 1) + desc(0x2100, 100))
    s['tx-loop'] = split_seed(2, TX | V1, 0, 1, 1, 1, desc(0x100, 12, NEXT, 1) + desc(0x200, 20, NEXT, 0), [0])
    s['tx-big'] = split_seed(2, TX | V1, 0, 1, 1, 1, desc(0x100, 0x7000), [0])
    s['tx-cross-region'] = split_seed(2, TX | V1, 0, 1, 1, 1, desc(0x7000, 0x2000), [0])
    s['tx-wrap'] = split_seed(3, TX | V1, 0xfffc, 8, 1, 1, tx, [0, 3, 0, 3, 0, 3, 0, 3])
    s['tx-avail-jump'] = split_seed(2, TX | V1, 0, 4, 1, 1, tx, [0], aidx=100)
    # Offloads: a NEEDS_CSUM TCPv4 packet, a GSO one, a bad header; UFO: a
    # GSO_UDP datagram, a NEEDS_CSUM one, GSO_UDP with gso_size 0.
    ol_seeds(s, 'tx-offload', tx, tcp4, (1, 0, 0, 0, 34, 16), (1, 1, 54, 100, 34, 16),
             (1, 0, 0, 0, 34, 0xfff0))
    ol_seeds(s, 'tx-offload-ufo', tx, udp4, (1, 3, 42, 100, 34, 6), (1, 0, 0, 0, 34, 6),
             (1, 3, 42, 0, 34, 6))
    return s


def ol_seeds(s, name, tx, pkt, hdr_a, hdr_b, bad):
    """name and name-legacy (offloads negotiated): pkt(500) with header
    hdr_a over three descriptors, pkt(988) with hdr_b in one buffer, then
    the header bad."""
    mem = bytearray(0x2100)
    mem[0x100:0x10c] = vnet_hdr(*hdr_a)
    mem[0x200:0x200 + 500] = pkt(500)
    mem[0x1000:0x100c] = vnet_hdr(*hdr_b)
    mem[0x100c:0x1000 + 1000] = pkt(988)
    mem[0x2000:0x200c] = vnet_hdr(*bad)
    s[name] = split_seed(4, TX | V1, 0, 4, 1, 1, tx, [0, 3, 4], tail=bytes(mem), ol=True)
    s[name + '-legacy'] = split_seed(4, TX | V1, 0x8000, 4, 1, 1, tx, [0, 3, 4],
                                     tail=bytes(mem), ol=True)


def vnet_hdr(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    return struct.pack('<BBHHHHH', flags, gso_type, hdr_len, gso_size, csum_start,
                       csum_offset, 0)


def tcp4(length):
    """Ethernet + IPv4 + TCP + payload, length bytes in all."""
    eth = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00'
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, length - 14, 1, 0, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    tcp = struct.pack('!HHIIBBHHH', 1234, 80, 1, 0, 5 << 4, 0x18, 8192, 0, 0)
    return (eth + ip + tcp + bytes(range(256)) * 8)[:length]


def udp4(length):
    """Ethernet + IPv4 + UDP + payload, length bytes in all."""
    eth = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00'
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, length - 14, 1, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    udp = struct.pack('!HHHH', 1234, 5678, length - 34, 0)
    return (eth + ip + udp + bytes(range(256)) * 8)[:length]


# fuzz_packed.c layout
P_MRG, P_V1, P_TX, P_EVENT_IDX, P_IN_ORDER, P_BOTH = 1, 2, 4, 8, 16, 32
AVAIL, USED = 0x80, 0x8000


def pdesc(addr, length, flags, buf_id=0, wrap=1):
    flags |= AVAIL if wrap else USED
    return struct.pack('<QIHH', addr, length, buf_id, flags)


def packed_seed(flags, size, base, count, bursts, length, ring, drv=(0, 0), tail=b''):
    cfg = bytes([flags, size - 1]) + struct.pack('<H', base) + \
        bytes([(count - 1) | (bursts - 1) << 5]) + struct.pack('<H', length - 1)
    ring = ring.ljust(16 * size, b'\0')[:16 * size]
    return cfg + ring + struct.pack('<HH', *drv) + tail


def packed_seeds():
    s = {}
    rx = b''.join(pdesc(0x100 + 0x800 * i, 0x800, WRITE, i) for i in range(4))
    s['rx-simple'] = packed_seed(P_V1, 4, 0x8000, 4, 1, 100, rx)
    s['rx-legacy-hdr'] = packed_seed(0, 4, 0x8000, 2, 2, 1500, rx)
    small = b''.join(pdesc(0x100 + 0x100 * i, 0x100, WRITE, i) for i in range(16))
    s['rx-mrg'] = packed_seed(P_MRG | P_V1, 16, 0x8000, 2, 1, 1000, small)
    s['rx-mrg-short'] = packed_seed(P_MRG, 16, 0x8000, 2, 1, 9000, small[:16 * 8])
    s['rx-chain'] = packed_seed(P_V1 | P_IN_ORDER, 7, 0x8000, 1, 1, 300,
                                pdesc(0x100, 12, WRITE | NEXT, 5) + pdesc(0x200, 100, WRITE | NEXT, 5) +
                                pdesc(0x300, 400, WRITE, 5))
    s['rx-indirect'] = packed_seed(P_V1, 3, 0x8000, 1, 1, 200, pdesc(0x1000, 48, INDIRECT, 2),
                                   tail=b'\0' * 0x1000 + pdesc(0x2000, 12, WRITE | NEXT) +
                                   pdesc(0x2100, 100, WRITE | NEXT) + pdesc(0x2200, 200, WRITE))
    # Chain across the end of the ring: slots 2, 3 (lap 1), 0 (lap 2).
    s['rx-wrap'] = packed_seed(P_MRG | P_V1 | P_BOTH, 4, 0x8002, 2, 1, 64,
                               pdesc(0x300, 0x100, WRITE, 1, wrap=0) + pdesc(0, 0, 0, 0, wrap=1) +
                               pdesc(0x100, 0x10, WRITE | NEXT, 1) + pdesc(0x200, 0x100, WRITE | NEXT, 1))
    s['rx-nonpow2'] = packed_seed(P_V1, 5, 0x8003, 4, 2, 64,
                                  b''.join(pdesc(0x100 + 0x100 * i, 0x100, WRITE, i) for i in range(5)))
    s['rx-event-desc'] = packed_seed(P_V1 | P_EVENT_IDX, 4, 0x8000, 2, 2, 100, rx, drv=(0x8001, 2))
    s['rx-event-off'] = packed_seed(P_V1, 4, 0x8000, 2, 1, 100, rx, drv=(0, 1))
    s['rx-long-chain'] = packed_seed(P_V1, 4, 0x8000, 1, 1, 100,
                                     b''.join(pdesc(0x100, 16, WRITE | NEXT, 3) for _ in range(4)))
    s['rx-size256'] = packed_seed(P_MRG | P_V1, 256, 0x8000, 32, 4, 1500,
                                  b''.join(pdesc(0x100 + 0x70 * i, 0x70, WRITE, i) for i in range(256)))
    s['rx-bad-base'] = packed_seed(P_V1, 4, 0x8004, 1, 1, 64, rx)
    pay = bytes(range(256)) * 4
    tx = pdesc(0x100, 12, NEXT, 0) + pdesc(0x200, 200, NEXT, 0) + pdesc(0x400, 300, 0, 0) + \
        pdesc(0x1000, 1000, 0, 1) + pdesc(0x2000, 12, 0, 2)
    s['tx-simple'] = packed_seed(P_TX | P_V1, 8, 0x8000, 4, 1, 1, tx, tail=pay)
    s['tx-event-idx'] = packed_seed(P_TX | P_V1 | P_EVENT_IDX, 8, 0x8000, 4, 2, 1, tx,
                                    drv=(0x8002, 2), tail=pay)
    s['tx-legacy'] = packed_seed(P_TX, 8, 0x8000, 2, 2, 1, tx, tail=pay)
    s['tx-indirect'] = packed_seed(P_TX | P_V1, 2, 0x8000, 1, 1, 1, pdesc(0x1000, 32, INDIRECT, 1),
                                   tail=b'\0' * 0x1000 + pdesc(0x2000, 12, NEXT | WRITE) + pdesc(0x2100, 100, 0))
    s['tx-big'] = packed_seed(P_TX | P_V1, 2, 0x8000, 1, 1, 1, pdesc(0x100, 0x7000, 0, 0))
    s['tx-cross-region'] = packed_seed(P_TX | P_V1, 2, 0x8000, 1, 1, 1, pdesc(0x7000, 0x2000, 0, 0))
    s['tx-wrap'] = packed_seed(P_TX | P_V1 | P_BOTH, 3, 0x0001, 8, 1, 1,
                               pdesc(0x100, 100, 0, 0, wrap=1) + pdesc(0x200, 100, NEXT, 1, wrap=0) +
                               pdesc(0x300, 100, NEXT, 1, wrap=0))
    return s


def iotlb_op(kind, iova, size, gpa, perm=3, extra=0):
    # fuzz_iotlb.c: kind 0 update, 2 invalidate, 3 + (wild << 2) a wild one
    return struct.pack('<BHHHB', kind | perm << 5, iova, size - 1, gpa, extra)


def iotlb_seeds():
    s = {}
    s['pages'] = b''.join(iotlb_op(0, i * 0x1000, 0x1000, 0x1000 * (15 - i)) for i in range(16))
    s['across-regions'] = iotlb_op(0, 0x2000, 0x4000, 0x7000) + iotlb_op(2, 0x3000, 0x10, 0x7000, 0, 64)
    s['split-middle'] = (iotlb_op(0, 0x1000, 0x3000, 0x100) + iotlb_op(2, 0x2000, 0x1000, 0x100, 0, 255) +
                         iotlb_op(2, 0x1000, 0x40, 0x100, 0, 3) + iotlb_op(0, 0x2800, 0x100, 0x9000))
    s['wild'] = b''.join(iotlb_op(3 | w << 2, 0x100 * w, 0x200, 0x300, 3, w) for w in range(8))
    s['overlaps'] = b''.join(iotlb_op(0, 0x80 * i, 0x300, 0x10 * i, 1 + i % 3) for i in range(40))
    # One range mapped read-only, then write-only over half of it, then
    # both ways over a quarter: each table keeps what its permission allows.
    s['perms'] = (iotlb_op(0, 0x1000, 0x4000, 0x100, 1) + iotlb_op(0, 0x3000, 0x2000, 0x6000, 2) +
                  iotlb_op(0, 0x2000, 0x1000, 0x9000, 3) + iotlb_op(2, 0x2800, 0x1000, 0x2000, 0, 31))
    return s


def main():
    for name, data in iotlb_seeds().items():
        write(os.path.join(HERE, 'corpus', 'iotlb'), name, data)
    for name, data in packed_seeds().items():
        write(os.path.join(HERE, 'corpus', 'packed'), name, data)
    for name, data in msg_seeds().items():
        write(os.path.join(HERE, 'corpus', 'msg'), name, data)
    for name, data in split_seeds().items():
        write(os.path.join(HERE, 'corpus', 'split'), name, data)
    # The IOMMU variants: the same, then a mask of the guest pages mapped
    # one way only (none, or all but the rings'), then a mask of the guest
    # pages mapped (all, or every other one).
    for ring, seeds in (('split', split_seeds()), ('packed', packed_seeds())):
        for name, data in seeds.items():
            for oneway, mask in ((0, 0xffff), (0, 0x5555), (0xffff, 0xffff)):
                write(os.path.join(HERE, 'corpus', ring + '-iommu'),
                      '%s-%04x-%04x' % (name, oneway, mask), data + struct.pack('<HH', oneway, mask))


if __name__ == '__main__':
    main()
