#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Extended statistics of our net_vhost, both directions at once with a
# virtio_user peer: frames of every size bucket, unicast, multicast and
# broadcast destinations. Each rx_q0_* / tx_q0_* xstat equals what the
# script computes from the packets sent; the buckets and the address kinds
# each sum to the packet count; good_bytes matches the basic stats; an
# xstats reset leaves every counter at 0.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=2000
SIZES=60,64,100,200,300,600,1200,1518,1600,3000
BUCKETS=(undersize size_64 size_65_to_127 size_128_to_255 size_256_to_511
	 size_512_to_1023 size_1024_to_1518 size_1519_to_max)

bucket_of() {
	local s=$1
	if ((s < 64)); then echo 0
	elif ((s == 64)); then echo 1
	elif ((s < 128)); then echo 2
	elif ((s < 256)); then echo 3
	elif ((s < 512)); then echo 4
	elif ((s < 1024)); then echo 5
	elif ((s <= 1518)); then echo 6
	else echo 7
	fi
}

xstat() { sed -n "s/^XSTAT $2=//p" "${VPT_LOG[$1]}" | tail -n 1; }

vpt_init xstats
sock=$(vpt_sock xstats)
IFS=, read -ra sizes <<<"$SIZES"
want=(0 0 0 0 0 0 0 0)
mcast=0 bcast=0
for ((seq = 0; seq < N; seq++)); do
	b=$(bucket_of "${sizes[seq % ${#sizes[@]}]}")
	want[b]=$((want[b] + 1))
	case $((seq % 4)) in 1) mcast=$((mcast + 1)) ;; 2) bcast=$((bcast + 1)) ;; esac
done
bytes=$(vpt_sum_sizes "$N" "$SIZES")

common=(--tx "$N" --rx "$N" --sizes "$SIZES" --segs 1,2 --wait-link --dst-mix
	--stats --hold --timeout 120)
# --wait-peer: virtio_user's dev_start discards what its Rx ring holds;
# once its first packet is here, it has started.
vpt_start_vhost vhost "$sock" "${common[@]}" --xstats --wait-peer
vpt_start_virtio virtio "$sock" "${common[@]}"
vpt_finish vhost virtio
vpt_expect_port vhost "$N" "$bytes" "$N" "$bytes"

for dir in rx tx; do
	q=${dir}_q0
	vpt_expect_eq "$q good_packets" "$(xstat vhost "${q}_good_packets")" "$N"
	vpt_expect_eq "$q good_bytes" "$(xstat vhost "${q}_good_bytes")" "$bytes"
	vpt_expect_eq "$q errors" "$(xstat vhost "${q}_errors")" 0
	vpt_expect_eq "$q multicast" "$(xstat vhost "${q}_multicast_packets")" "$mcast"
	vpt_expect_eq "$q broadcast" "$(xstat vhost "${q}_broadcast_packets")" "$bcast"
	vpt_expect_eq "$q unicast" "$(xstat vhost "${q}_unicast_packets")" \
		"$((N - mcast - bcast))"
	sum=0
	for i in "${!BUCKETS[@]}"; do
		got=$(xstat vhost "${q}_${BUCKETS[i]}_packets")
		vpt_expect_eq "$q ${BUCKETS[i]}" "$got" "${want[i]}"
		sum=$((sum + got))
	done
	vpt_expect_eq "$q sum of the size buckets" "$sum" "$N"
done
# Packets the guest had no room for at a try: retried by the sender, so
# not lost, and the basic stats say the same.
vpt_expect_eq "tx_q0_missed_pkts = oerrors" "$(xstat vhost tx_q0_missed_pkts)" \
	"$(vpt_kv vhost STATS oerrors)"
vpt_expect_eq "nonzero xstats after xstats_reset" \
	"$(sed -n 's/^XRESET nonzero=//p' "${VPT_LOG[vhost]}")" 0
