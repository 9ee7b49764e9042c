#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A legacy virtio device (disable-modern=on: no VERSION_1, the legacy
# virtio-net header) with host_mtu=9000, jumbo frames through our port:
#
# - QEMU 7.2 offers VIRTIO_NET_F_MTU to the guest with host_mtu's value in
#   the device config whatever the backend offers (it does not ack MTU to
#   the backend: the features our port logs lack bit 3), and sends
#   NET_SET_MTU only if the backend has the protocol feature NET_MTU (it
#   skips it silently otherwise). So the guest's eth0 comes up at 9000.
# - 5 pings of 9000-byte IP packets (8972 data bytes), 5/5, none
#   fragmented by the guest nor reassembled by the host (busybox ping has
#   no -M do: the IP fragment counters of both ends show it instead).
# - 8 MiB TCP each way at MTU 9000, SHA-256 compared.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((8 * 1024 * 1024))
VPG_DEV_OPTS=",disable-modern=on,host_mtu=9000"
# DPDK 22.11's net_tap drops frames above 1522 bytes (its MTU cannot be
# raised): the host's end is net_af_packet on a veth pair at MTU 9000,
# each frame in one 12 KiB mbuf.
VPG_VETH=vptv0
VPG_HOST_MTU=9000
VPG_TESTPMD_ARGS=(--mbuf-size=12288)

vpg_init guest-mtu
vpg_start_testpmd
vpg_tcp_exchange "$SIZE" mtu
vpg_expect_guest_end
vpg_expect_feature VERSION_1 32 0
vpt_expect_eq "guest MTU (the device's, from host_mtu)" \
	"$(vpg_wait_guest 'MTU ' 5)" "VPT-GUEST MTU device=9000 eth0=9000"
vpt_expect_eq "jumbo ping" "$(vpg_wait_guest 'PING jumbo ' 5)" \
	"VPT-GUEST PING jumbo sent=5 received=5 fragcreates=0"
vpt_expect_eq "IP packets the host reassembled" \
	"$(vpg_ns_snmp Ip ReasmReqds)" 0
vpg_expect_tcp_counters "$SIZE" 8948
