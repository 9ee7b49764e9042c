#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checksum and TSO offloads between our net_vhost and DPDK's virtio_user, both
# ways, with vhost-ol-peer on each side. virtio_user negotiates CSUM/
# GUEST_CSUM/HOST_TSO/GUEST_TSO from the offloads its application enables.
# The receiver checks every payload byte, completes the partial sums it is
# told about (RTE_MBUF_F_RX_L4_CKSUM_NONE, or legacy TX_*_CKSUM), and every
# IPv4 header and TCP/UDP checksum must verify; LRO packets must carry the
# sender's MSS, legacy TSO ones a pseudo-header sum a NIC's TSO can use.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

vpt_init offload
OLPEER=$VPT_BUILD/app/test-vhost-pmd/peer/vhost-ol-peer
N=200
NT=100

#
# ol_case NAME SENDER VHOST_DEVARGS "VHOST ARGS" "VIRTIO ARGS"
# SENDER (vhost or virtio) gets --hold and is stopped once the receiver is
# done; the receiver exits by itself.
#
ol_case() {
	local name=$1 sender=$2 devargs=$3 vh_args=$4 vi_args=$5 sock recv recv_args
	local -a vh vi
	read -ra vh <<<"$vh_args"
	read -ra vi <<<"$vi_args"
	sock=$(vpt_sock "$name")
	vpt_say "case $name: vhost [$devargs] $vh_args / virtio $vi_args"
	vpt_launch "$name-vhost" ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$sock" "$devargs")" \
		"$OLPEER" "${vh[@]}" --timeout 120
	vpt_wait_log "$name-vhost" '^READY .*driver=net_vhost ' 30
	vpt_assert_ours "$name-vhost"
	vpt_launch "$name-virtio" virtio "$VPT_VIRTIO_CORES" "$(vpt_vdev_virtio "$sock")" \
		"$OLPEER" "${vi[@]}" --timeout 120
	vpt_wait_log "$name-virtio" '^READY .*driver=net_virtio_user ' 30
	recv=$name-virtio recv_args=$vi_args
	[ "$sender" = virtio ] && recv=$name-vhost recv_args=$vh_args
	vpt_wait_log "$name-$sender" '^DONE' 120
	vpt_wait_log "$recv" '^DONE' 120
	if [[ " $recv_args " == *" --hold "* ]]; then
		sleep 1	# a receiver expecting nothing: give strays time to show
		vpt_stop "$recv"
	else
		vpt_wait_exit "$recv" 60
	fi
	vpt_stop "$name-$sender"
	vpt_expect_rc "$name-vhost" 0
	vpt_expect_rc "$name-virtio" 0
}

# expect NAME KEY=VALUE...: values of the RX line of NAME's log.
expect_rx() {
	local name=$1 kv
	shift
	for kv in "$@"; do
		vpt_expect_eq "$name RX ${kv%%=*}" "$(vpt_kv "$name" RX "${kv%%=*}")" "${kv#*=}"
	done
}

# Guest Tx checksum offload, an application that did not enable Rx checksum
# offload: the driver completes the sums, reports them good.
ol_case g2h-csum virtio "" "--recv $N --mode csum" "--send $N --mode csum --hold"
expect_rx g2h-csum-vhost ok=$N bad=0 csum_good=$N csum_none=0
vpt_expect_eq "vhost ierrors" "$(vpt_kv g2h-csum-vhost STATS ierrors)" 0

# ... and one that did: partial sums flagged RX_L4_CKSUM_NONE.
ol_case g2h-csum-ol virtio "" "--recv $N --mode csum --rx-csum" "--send $N --mode csum --hold"
expect_rx g2h-csum-ol-vhost ok=$N bad=0 csum_none=$N

# Legacy flags: TX_TCP/UDP_CKSUM requests with the pseudo-header sum.
ol_case g2h-csum-legacy virtio "legacy-ol-flags=1" "--recv $N --mode csum" \
	"--send $N --mode csum --hold"
expect_rx g2h-csum-legacy-vhost ok=$N bad=0 csum_none=$N

# Guest Rx checksum: to a guest with GUEST_CSUM in the header, without it
# computed by us (virtio reports nothing then: the receiver verifies).
ol_case h2g-csum vhost "" "--send $N --mode csum --hold" "--recv $N --mode csum --rx-csum"
expect_rx h2g-csum-virtio ok=$N bad=0 csum_none=$N
ol_case h2g-csum-sw vhost "" "--send $N --mode csum --hold" "--recv $N --mode csum"
expect_rx h2g-csum-sw-virtio ok=$N bad=0 csum_none=0

# Guest TSO (3000-byte payloads, MSS 800): LRO packets of 4 segments each.
ol_case g2h-tso virtio "tso=1" \
	"--recv $NT --mode tso --payload 3000 --segsz 800 --lro --rx-csum --expect-lro" \
	"--send $NT --mode tso --payload 3000 --segsz 800 --hold"
expect_rx g2h-tso-vhost ok=$NT bad=0 lro=$NT segs=$((4 * NT)) csum_none=$NT

# ... legacy: TX_TCP_SEG requests a NIC can segment.
ol_case g2h-tso-legacy virtio "tso=1,legacy-ol-flags=1" \
	"--recv $NT --mode tso --payload 3000 --segsz 800 --expect-tso" \
	"--send $NT --mode tso --payload 3000 --segsz 800 --hold"
expect_rx g2h-tso-legacy-vhost ok=$NT bad=0 tso=$NT segs=$((4 * NT))

# Host TSO to a guest with GUEST_TSO: GSO headers, LRO packets there.
ol_case h2g-tso vhost "tso=1" "--send $NT --mode tso --payload 3000 --segsz 800 --hold" \
	"--recv $NT --mode tso --payload 3000 --segsz 800 --lro --rx-csum --expect-lro"
expect_rx h2g-tso-virtio ok=$NT bad=0 lro=$NT segs=$((4 * NT)) csum_none=$NT

# TSO of one segment to a guest without GUEST_TSO: an ordinary packet.
ol_case h2g-tso-small vhost "tso=1" "--send $NT --mode tso --payload 700 --segsz 800 --hold" \
	"--recv $NT --mode tso --payload 700 --segsz 800"
expect_rx h2g-tso-small-virtio ok=$NT bad=0 lro=0 csum_none=0

# Larger TSO packets to a guest without GUEST_TSO: the port segments them
# as a NIC would (4 segments of at most 800 bytes each), checksums computed
# here; the receiver checks each segment's bytes, IPv4 ID, sequence number,
# PSH and checksums, and that none is missing or doubled.
ol_case h2g-tso-sw vhost "tso=1" "--send $NT --mode tso --payload 3000 --segsz 800 --hold" \
	"--recv $((4 * NT)) --mode tso --payload 3000 --segsz 800 --segmented $NT"
expect_rx h2g-tso-sw-virtio ok=$((4 * NT)) bad=0 lro=0 segs=$((4 * NT)) csum_none=0
vpt_expect_eq "vhost opackets (segments)" "$(vpt_kv h2g-tso-sw-vhost STATS opackets)" $((4 * NT))
# oerrors: the bursts refused before the guest's ring was ready (retried).
vpt_expect_eq "vhost oerrors" "$(vpt_kv h2g-tso-sw-vhost STATS oerrors)" \
	"$(vpt_kv h2g-tso-sw-vhost TX missed)"

# ... to a guest with GUEST_CSUM: each segment asks it for the TCP checksum.
ol_case h2g-tso-sw-csum vhost "tso=1" "--send $NT --mode tso --payload 3000 --segsz 800 --hold" \
	"--recv $((4 * NT)) --mode tso --payload 3000 --segsz 800 --segmented $NT --rx-csum"
expect_rx h2g-tso-sw-csum-virtio ok=$((4 * NT)) bad=0 lro=0 segs=$((4 * NT)) csum_none=$((4 * NT))
