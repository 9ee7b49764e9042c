#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# UFO to a Linux guest: vhost-ol-peer on our net_vhost (tso=1) sends 200
# UDP/IPv4 datagrams of 3000 payload bytes (the guest's MTU is 1500) with
# RTE_MBUF_F_TX_UDP_SEG and UDP_CKSUM, once the guest listens (vpt-udp-sink).
#  - QEMU's defaults (guest_ufo=on): the guest acked GUEST_UFO; every datagram
#    came whole (no IP reassembly in the guest), its payload bytes as sent
#    (SHA-256), our port dropped none. (Linux also takes a plain frame
#    larger than its MTU: the guest cannot tell us whether the header said
#    GSO_UDP. The unit case ol_rx_ufo checks the header.)
#  - guest_ufo=off: GUEST_UFO not acked; our port drops each datagram and
#    counts it (oerrors), the guest gets none.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

N=200
PAYLOAD=3000
OLPEER=$VPT_BUILD/app/test-vhost-pmd/peer/vhost-ol-peer
SINK=$VPT_BUILD/app/test-vhost-pmd/guest/vpt-udp-sink
# vhost-ol-peer's ufo mode: 10.0.0.1 (MAC 04:..) -> 10.0.0.2:5678 (MAC 02:..)
VPG_MAC=02:02:02:02:02:02
VPG_GUEST_IP=10.0.0.2
VPG_HOST_IP=10.0.0.1
VPG_FILES=("$SINK:bin/vpt-udp-sink")
[ -x "$SINK" ] || vpt_fail "$SINK not built (./run build)"

vpg_init guest-udp-ufo

# ufo_case NAME DEV_OPTS SECS: the peer, then the guest, waiting up to SECS
# for the datagrams.
ufo_case() {
	local name=$1 secs=$3
	VPG_DEV_OPTS=$2
	VPG_GUEST=$name-guest
	VPG_SOCK=$(vpt_sock "$name")
	vpt_launch "$name-peer" ours "-l 0" \
		"net_vhost0,iface=$VPG_SOCK,queues=1,tso=1" "$OLPEER" \
		--send "$N" --mode ufo --segsz 1400 --payload "$PAYLOAD" \
		--dump "$VPT_DIR/$name-tx.bin" --start-on-rx --timeout 150
	vpt_wait_log "$name-peer" '^READY .*driver=net_vhost ' 30
	vpt_assert_ours "$name-peer"
	VPG_APPEND="vpt.count=$N vpt.secs=$secs vpt.peermac=04:04:04:04:04:04" \
		vpg_start_guest udp-rx
	vpg_wait_guest 'LISTEN-UDP' 120 >/dev/null
	vpt_wait_log "$name-peer" '^RESULT' 60
	vpt_wait_exit "$name-peer" 30
	vpt_expect_rc "$name-peer" 0
	vpt_expect_eq "$name: packets taken" "$(vpt_kv "$name-peer" TX sent)" "$N"
	vpt_expect_eq "$name: opackets" "$(vpt_kv "$name-peer" STATS opackets)" "$N"
	SINK_LINE=$(vpg_wait_guest 'UDPSINK ' $((secs + 30)))
	GUEST_SHA=$(vpg_wait_guest 'SHA guest-rx ' 30)
	UDP_LINE=$(vpg_wait_guest 'UDP in=' 30)
	vpt_say "$SINK_LINE; $UDP_LINE"
	vpg_expect_guest_end
}

# QEMU's defaults: GUEST_UFO.
ufo_case ufo "" 90
vpg_expect_feature GUEST_UFO 10 1 ufo-peer
vpg_expect_feature GUEST_CSUM 1 1 ufo-peer
# (oerrors counts the packets tx_burst refused for want of room, as
# DPDK's net_vhost does: vhost-ol-peer retried them, "missed")
vpt_expect_eq "ufo: oerrors" "$(vpt_kv ufo-peer STATS oerrors)" "$(vpt_kv ufo-peer TX missed)"
vpt_expect_eq "ufo: the guest's datagrams" "$SINK_LINE" \
	"VPT-GUEST UDPSINK datagrams=$N bytes=$((N * PAYLOAD)) min=$PAYLOAD max=$PAYLOAD"
sum=$(sha256sum <"$VPT_DIR/ufo-tx.bin")
vpt_expect_eq "ufo: payload SHA-256" "$GUEST_SHA" "VPT-GUEST SHA guest-rx ${sum%% *}"
vpt_expect_eq "ufo: guest UDP counters" "$UDP_LINE" "VPT-GUEST UDP in=$N inerrors=0 reasm=0"

# guest_ufo=off: dropped by our port, counted.
ufo_case noufo ",guest_ufo=off" 15
vpg_expect_feature GUEST_UFO 10 0 noufo-peer
vpt_expect_eq "noufo: oerrors" "$(vpt_kv noufo-peer STATS oerrors)" \
	"$((N + $(vpt_kv noufo-peer TX missed)))"
vpt_expect_eq "noufo: the guest's datagrams" "$SINK_LINE" \
	"VPT-GUEST UDPSINK datagrams=0 bytes=0 min=0 max=0"
