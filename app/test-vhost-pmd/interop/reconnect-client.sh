#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Our net_vhost in client mode (client=1) with a virtio_user server
# (server=1) that stays up.
#  1. Our side restarts: vhost1 (client) sends without end and is SIGKILLed
#     mid-traffic; the waiting frontend sees its link go down; vhost2
#     (client) connects to the same frontend, whose link comes back, and
#     its 2000 packets (sequence numbers from 1000000) all arrive intact.
#     vhost1's packets that arrived are intact too (stale).
#  2. The frontend restarts: vhost3 (client) echoes; the server is killed,
#     its socket removed and a new server started on the path later: our
#     port reconnects by itself (back-off), the new server's 2000 packets
#     all come back intact.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=2000
BASE=1000000
SIZES=64,700,1518

vdev_client() { echo "net_vhost0,iface=$1,queues=1,client=1"; }
vdev_server() { echo "virtio_user0,path=$1,queues=1,server=1"; }

start_client() {
	local name=$1 sock=$2
	shift 2
	vpt_launch "$name" ours "$VPT_VHOST_CORES" "$(vdev_client "$sock")" "$VPT_PEER" "$@"
	vpt_wait_log "$name" '^READY .*driver=net_vhost ' 30
	vpt_assert_ours "$name"
}

vpt_init reconnect-client
sock=$(vpt_sock rc)
bytes=$(vpt_sum_sizes "$N" "$SIZES")

# --- 1: our side restarts while the frontend waits.
vpt_launch fe virtio "$VPT_VIRTIO_CORES" "$(vdev_server "$sock")" "$VPT_PEER" \
	--rx "$N" --rx-base "$BASE" --sizes "$SIZES" --progress 1000 --stats \
	--hold --timeout 250
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || vpt_fail "virtio_user server made no socket $sock"
start_client vhost1 "$sock" --tx 100000000 --sizes "$SIZES" --segs 1,2 --wait-link \
	--timeout 250
vpt_wait_log fe '^READY .*driver=net_virtio_user ' 60
vpt_wait_log fe '^PROGRESS stale=' 60
from=$(vpt_lines fe)
vpt_stop vhost1 KILL
vpt_ok "vhost1 killed mid-traffic (status ${VPT_RC[vhost1]})"
vpt_wait_log fe '^LINK down' 30 "$from"
from=$(vpt_lines fe)
start_client vhost2 "$sock" --tx "$N" --tx-base "$BASE" --sizes "$SIZES" --segs 1,2 \
	--wait-link --stats --hold --timeout 250
vpt_wait_log fe '^LINK up' 60 "$from"
vpt_wait_log vhost2 '^DONE' 120
vpt_wait_log fe '^DONE' 120
vpt_stop fe
vpt_stop vhost2
vpt_expect_rc fe 0
vpt_expect_rc vhost2 0
stale=$(vpt_kv fe RX stale)
vpt_expect_eq "frontend RX ok/bad/dup/missing" \
	"$(vpt_kv fe RX ok)/$(vpt_kv fe RX bad)/$(vpt_kv fe RX dup)/$(vpt_kv fe RX missing)" \
	"$N/0/0/0"
vpt_expect_eq "frontend ipackets = vhost2's + vhost1's intact" \
	"$(vpt_kv fe STATS ipackets)" "$((N + stale))"
vpt_expect_eq "vhost2 TX sent" "$(vpt_kv vhost2 TX sent)" "$N"
vpt_expect_eq "vhost2 opackets/obytes" \
	"$(vpt_kv vhost2 STATS opackets)/$(vpt_kv vhost2 STATS obytes)" "$N/$bytes"

# --- 2: the frontend restarts; our client reconnects by itself.
sock=$(vpt_sock rc2)
vpt_launch fe1 virtio "$VPT_VIRTIO_CORES" "$(vdev_server "$sock")" "$VPT_PEER" \
	--tx 100000000 --rx 100000000 --sizes "$SIZES" --wait-link --progress 1000 \
	--timeout 250
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
start_client vhost3 "$sock" --echo --events --stats --hold --timeout 250
vpt_wait_log fe1 '^PROGRESS rx_ok=' 60
from=$(vpt_lines vhost3)
vpt_stop fe1 KILL
vpt_wait_log vhost3 '^EVENT LSC down' 30 "$from"
rm -f "$sock"
sleep 2			# our client retries meanwhile, with back-off
vpt_launch fe2 virtio "$VPT_VIRTIO_CORES" "$(vdev_server "$sock")" "$VPT_PEER" \
	--tx "$N" --rx "$N" --sizes "$SIZES" --segs 1,2 --wait-link --stats --timeout 120
vpt_wait_exit fe2 180
vpt_expect_rc fe2 0
vpt_wait_log vhost3 '^EVENT LSC up' 30 "$from"
vpt_expect_eq "fe2 RX ok/bad/dup/missing" \
	"$(vpt_kv fe2 RX ok)/$(vpt_kv fe2 RX bad)/$(vpt_kv fe2 RX dup)/$(vpt_kv fe2 RX missing)" \
	"$N/0/0/0"
vpt_alive vhost3 || vpt_fail "vhost3 died"
vpt_stop vhost3
vpt_expect_rc vhost3 0
vpt_expect_eq "vhost3 RX bad" "$(vpt_kv vhost3 RX bad)" 0
