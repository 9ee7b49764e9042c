#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Interop matrix against DPDK's virtio_user: mergeable Rx buffers off/on x
# VIRTIO_F_IN_ORDER off/on, with MATRIX_QUEUES queue pairs (1 here; mq2.sh
# and mq4.sh run it with 2 and 4), on MATRIX_RING rings: split here,
# packed (virtio_user packed_vq=1, RING_PACKED must be negotiated) from
# matrix-packed.sh and matrix-packed-mq2.sh.
#
# One vhost-peer on our net_vhost echoes every packet back on the queue it
# came from; one virtio_user peer per configuration sends numbered frames
# round robin over its queues and checks every byte of what comes back.
# Checked per configuration: the features the frontend negotiated (from our
# library's log), every packet back intact exactly once, exact totals, and
# every queue pair used in both directions. At the end, our port's counters
# must equal what the virtio peers counted, queue by queue.
#
# Frames of 64, 1518 and 9000 bytes, in 1 and 3 segments. Without mergeable
# buffers virtio_user posts single 2 KB Rx buffers, which cannot hold a
# 9000-byte frame: those configurations echo 64 and 1518 only.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

Q=${MATRIX_QUEUES:-1}
N=${MATRIX_PACKETS:-1200}
RING=${MATRIX_RING:-split}
BIT_MRG=15
BIT_IN_ORDER=35
BIT_PACKED=34

CONFIGS=("mrg_rxbuf=0,in_order=0" "mrg_rxbuf=0,in_order=1"
	 "mrg_rxbuf=1,in_order=0" "mrg_rxbuf=1,in_order=1")
case "$RING" in
split)	WANT_PACKED=0 ;;
packed)	WANT_PACKED=1; CONFIGS=("${CONFIGS[@]/%/,packed_vq=1}") ;;
*)	echo "MATRIX_RING=$RING: split or packed" >&2; exit 2 ;;
esac

vpt_init "matrix-$RING-q$Q"
sock=$(vpt_sock matrix)

# Sums over the virtio peers, per queue.
declare -a want_in want_out
for ((q = 0; q < Q; q++)); do want_in[q]=0; want_out[q]=0; done
total_n=0
total_bytes=0

# Value of bit BIT in the features our library logged last (after line FROM).
negotiated_bit() {
	local from=$1 bit=$2 f
	f=$(tail -n "+$((from + 1))" "${VPT_LOG[vhost]}" |
		sed -n 's/.*device [0-9]* ready, features \(0x[0-9a-f]*\).*/\1/p' | tail -n 1)
	[ -n "$f" ] || vpt_fail "no 'device ready' line in the vhost log"
	echo $(((f >> bit) & 1))
}

opt_of() { sed -n "s/.*$2=\([01]\).*/\1/p" <<<"$1"; }

run_config() {
	local i=$1 cfg=$2 name=virtio$1 sizes from mrg in_order bytes q qi qo
	mrg=$(opt_of "$cfg" mrg_rxbuf)
	in_order=$(opt_of "$cfg" in_order)
	sizes=64,1518
	[ "$mrg" = 0 ] || sizes=64,1518,9000
	bytes=$(vpt_sum_sizes "$N" "$sizes")
	vpt_say "config $i: queues=$Q,$cfg: $N frames of $sizes echoed"
	from=$(vpt_lines vhost)
	vpt_launch "$name" virtio "$VPT_VIRTIO_CORES" \
		"virtio_user0,path=$sock,queues=$Q,$cfg" "$VPT_PEER" \
		--tx "$N" --rx "$N" --sizes "$sizes" --segs 1,3 --queues "$Q" \
		--wait-link --stats --timeout 60
	vpt_wait_exit "$name" 90
	vpt_expect_rc "$name" 0
	vpt_expect_eq "$cfg: negotiated MRG_RXBUF/IN_ORDER/RING_PACKED" \
		"$(negotiated_bit "$from" $BIT_MRG)/$(negotiated_bit "$from" $BIT_IN_ORDER)/$(negotiated_bit "$from" $BIT_PACKED)" \
		"$mrg/$in_order/$WANT_PACKED"
	vpt_expect_port "$name" "$N" "$bytes" "$N" "$bytes"
	for ((q = 0; q < Q; q++)); do
		qi=$(vpt_kv "$name" "QSTATS q=$q" ipackets)
		qo=$(vpt_kv "$name" "QSTATS q=$q" opackets)
		if [ "${qi:-0}" -eq 0 ] || [ "${qo:-0}" -eq 0 ]; then
			vpt_fail "$cfg: queue $q unused: in ${qi:-?} out ${qo:-?} packets"
		fi
		want_in[q]=$((want_in[q] + qo))
		want_out[q]=$((want_out[q] + qi))
	done
	[ "$Q" = 1 ] || vpt_ok "$cfg: every queue pair carried traffic both ways"
	total_n=$((total_n + N))
	total_bytes=$((total_bytes + bytes))
}

start_vhost() {
	vpt_launch vhost ours "$VPT_VHOST_CORES" "net_vhost0,iface=$sock,queues=$Q" \
		"$VPT_PEER" --echo --queues "$Q" --stats --hold --timeout 280
	vpt_wait_log vhost '^READY .*driver=net_vhost ' 30
	vpt_assert_ours vhost
}

start_vhost
for i in "${!CONFIGS[@]}"; do
	run_config "$i" "${CONFIGS[$i]}"
done

vpt_stop vhost TERM
vpt_expect_rc vhost 0
vpt_expect_eq "vhost RX ok/bad/dup" \
	"$(vpt_kv vhost RX ok)/$(vpt_kv vhost RX bad)/$(vpt_kv vhost RX dup)" "$total_n/0/0"
vpt_expect_eq "vhost TX echoed/dropped" \
	"$(vpt_kv vhost TX echoed)/$(vpt_kv vhost TX dropped)" "$total_n/0"
vpt_expect_eq "vhost stats ipackets/ibytes/opackets/obytes" \
	"$(vpt_kv vhost STATS ipackets)/$(vpt_kv vhost STATS ibytes)/$(vpt_kv vhost STATS opackets)/$(vpt_kv vhost STATS obytes)" \
	"$total_n/$total_bytes/$total_n/$total_bytes"
for ((q = 0; q < Q; q++)); do
	vpt_expect_eq "vhost queue $q ipackets/opackets (sums of the virtio peers)" \
		"$(vpt_kv vhost "QSTATS q=$q" ipackets)/$(vpt_kv vhost "QSTATS q=$q" opackets)" \
		"${want_in[q]}/${want_out[q]}"
done
