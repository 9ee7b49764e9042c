#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# VLAN offloads of our net_vhost against virtio_user (whose VLAN strip and
# insert the virtio PMD does in software, insert in tx_prepare), both ways
# at once: our Tx inserts the tag from vlan_tci (RTE_MBUF_F_TX_VLAN) and
# virtio_user strips it; virtio_user inserts and our Rx strips it into
# vlan_tci with RTE_MBUF_F_RX_VLAN_STRIPPED. Each receiver checks the TCI of
# every packet and every byte of the untagged frame; our port counts the
# frames it sent with their tag (4 bytes more), those it received without.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=2000
SIZES=64,1000,1514
TCI=0x2abc

vpt_init vlan
sock=$(vpt_sock vlan)
bytes=$(vpt_sum_sizes "$N" "$SIZES")
common=(--tx "$N" --rx "$N" --sizes "$SIZES" --segs 1,2 --wait-link --vlan "$TCI"
	--stats --hold --timeout 120)
# --wait-peer: virtio_user's dev_start discards what its Rx ring holds.
vpt_start_vhost vhost "$sock" "${common[@]}" --wait-peer
vpt_start_virtio virtio "$sock" "${common[@]}"
vpt_finish vhost virtio
vpt_expect_port vhost "$N" "$((bytes + 4 * N))" "$N" "$bytes"
vpt_expect_eq "virtio RX ok/bad/dup/missing" \
	"$(vpt_kv virtio RX ok)/$(vpt_kv virtio RX bad)/$(vpt_kv virtio RX dup)/$(vpt_kv virtio RX missing)" \
	"$N/0/0/0"
