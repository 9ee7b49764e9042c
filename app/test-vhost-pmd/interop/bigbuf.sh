#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Devargs linear-buffer and ext-buffer: how our net_vhost stores a guest
# packet larger than one mbuf (2048 bytes of data room in vhost-peer's
# pool). virtio_user sends 64, 1500, 4000 and 9000 byte frames in 1 and 3
# segments.
#  - ext-buffer=1: every packet arrives intact in ONE segment; the big ones
#    in an external buffer.
#  - linear-buffer=1: the packets that fit arrive intact in one segment;
#    the big ones are dropped and counted (ierrors, rx_q0_errors).
#  - default: the big ones arrive as mbuf chains (the control).
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

# The last two (seq 2000, 2001) are small: once they are in, every big one
# before them was taken from the ring (in order) and counted.
N=2002
SIZES=64,1500,4000,9000
ROOM=2048

# run CASE DEVARG RX_ARGS...: N packets from virtio_user to our port.
run() {
	local name=$1 devarg=$2 sock
	shift 2
	sock=$(vpt_sock "$name")
	vpt_launch "vh-$name" ours "$VPT_VHOST_CORES" "$(vpt_vdev_vhost "$sock" "$devarg")" \
		"$VPT_PEER" --rx "$N" --sizes "$SIZES" --stats --xstats --hold --timeout 120 "$@"
	vpt_wait_log "vh-$name" '^READY .*driver=net_vhost ' 30
	vpt_assert_ours "vh-$name"
	vpt_start_virtio "vi-$name" "$sock" --tx "$N" --sizes "$SIZES" --segs 1,3 \
		--wait-link --stats --hold --timeout 120
	vpt_wait_log "vh-$name" '^DONE' 120
	vpt_wait_log "vi-$name" '^DONE' 120
	vpt_stop "vh-$name"
	vpt_stop "vi-$name"
	vpt_expect_rc "vh-$name" 0
	vpt_expect_rc "vi-$name" 0
}

rx_kv() { vpt_kv "vh-$1" RX "$2"; }
xstat() { sed -n "s/^XSTAT $2=//p" "${VPT_LOG[vh-$1]}" | tail -n 1; }

vpt_init bigbuf
all_bytes=$(vpt_sum_sizes "$N" "$SIZES")
big=1000			# 4000 and 9000: seq % 4 = 2, 3
small_bytes=$(((64 + 1500) * (N - big) / 2))

run ext ext-buffer=1
vpt_expect_port vh-ext 0 0 "$N" "$all_bytes"
vpt_expect_eq "ext: multi-segment packets" "$(rx_kv ext multiseg)" 0
vpt_expect_eq "ext: packets in an external buffer" "$(rx_kv ext extbuf)" "$big"

run linear linear-buffer=1 --rx-max-size "$ROOM"
vpt_expect_port vh-linear 0 0 "$((N - big))" "$small_bytes"
vpt_expect_eq "linear: multi-segment packets" "$(rx_kv linear multiseg)" 0
vpt_expect_eq "linear: ierrors (dropped big packets)" "$(vpt_kv vh-linear STATS ierrors)" "$big"
vpt_expect_eq "linear: rx_q0_errors" "$(xstat linear rx_q0_errors)" "$big"

run chain ""
vpt_expect_port vh-chain 0 0 "$N" "$all_bytes"
vpt_expect_eq "default: packets chained" "$(rx_kv chain multiseg)" "$big"
vpt_expect_eq "default: external buffers" "$(rx_kv chain extbuf)" 0
