#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# VLAN offloads of our net_vhost against virtio_user (whose VLAN strip and
# insert are done in software by the virtio PMD): our Tx inserts the tag
# from vlan_tci (RTE_MBUF_F_TX_VLAN) and virtio_user strips it, then
# virtio_user inserts and our Rx strips it into vlan_tci with
# RTE_MBUF_F_RX_VLAN_STRIPPED. Each receiver checks the TCI of every packet
# and every byte of the untagged frame.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=2000
SIZES=64,1000,1514
TCI=0x2abc

vpt_init vlan
bytes=$(vpt_sum_sizes "$N" "$SIZES")
for dir in vhost virtio; do
	sock=$(vpt_sock "vlan-$dir")
	tx=(--tx "$N" --sizes "$SIZES" --segs 1,2 --wait-link)
	rx=(--rx "$N" --sizes "$SIZES")
	if [ "$dir" = vhost ]; then vh=("${tx[@]}"); vi=("${rx[@]}")
	else vh=("${rx[@]}"); vi=("${tx[@]}"); fi
	vpt_start_vhost "vh-$dir" "$sock" --vlan "$TCI" --stats --hold --timeout 120 "${vh[@]}"
	vpt_start_virtio "vi-$dir" "$sock" --vlan "$TCI" --stats --hold --timeout 120 "${vi[@]}"
	vpt_wait_log "vh-$dir" '^DONE' 120
	vpt_wait_log "vi-$dir" '^DONE' 120
	vpt_stop "vh-$dir"
	vpt_stop "vi-$dir"
	vpt_expect_rc "vh-$dir" 0
	vpt_expect_rc "vi-$dir" 0
	if [ "$dir" = vhost ]; then
		# Our Tx counts the frame with its tag, 4 bytes more.
		vpt_expect_port "vh-$dir" "$N" "$((bytes + 4 * N))" 0 0
		vpt_expect_eq "vi-$dir RX ok/bad" \
			"$(vpt_kv "vi-$dir" RX ok)/$(vpt_kv "vi-$dir" RX bad)" "$N/0"
	else
		vpt_expect_port "vh-$dir" 0 0 "$N" "$bytes"
	fi
done
