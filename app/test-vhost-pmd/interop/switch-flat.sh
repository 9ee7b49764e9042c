#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vhost-switch --no-vlan on three of our net_vhost ports, guests A and B
# and an uplink, all virtio_user peers:
#   A -> an address nobody owns: to the uplink, untagged.
#   B sends from A's address: the switch refuses to learn it (REFUSE) and
#     drops B's frames.
#   the uplink broadcasts: A and B each get every frame.
# Every receiver checks the addresses and every byte; the switch's counters
# are exact.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=1500
SIZES=64,600,1514,9000
MAC_A=02:00:00:00:0a:0a
MAC_UP=02:00:00:00:0c:0c
MAC_X=02:00:00:00:ee:ee
BCAST=ff:ff:ff:ff:ff:ff

vpt_init switch-flat
sock_a=$(vpt_sock a)
sock_b=$(vpt_sock b)
sock_up=$(vpt_sock up)
# A generous retry: see switch.sh.
vpt_start_switch "$sock_a" "$sock_b" "$sock_up" -- --uplink net_vhost2 --no-vlan --retry-us 200000

# A port that is neither a net_vhost nor the uplink is refused, by name.
VPT_EXTRA_EAL=(--vdev net_null0)
vpt_launch bad ours "$VPT_VHOST_CORES" "net_vhost9,iface=$(vpt_sock bad),queues=1" "$VPT_SWITCH"
VPT_EXTRA_EAL=()
vpt_wait_exit bad 30
vpt_expect_rc bad 1
grep -q '^vhost-switch: port net_null0 (driver net_null) is not a net_vhost port' "${VPT_LOG[bad]}" ||
	vpt_fail "no refusal of net_null0 in ${VPT_LOG[bad]}"
vpt_ok "a net_null port not named --uplink is refused"

common=(--sizes "$SIZES" --wait-link --stats --hold --timeout 120)
vpt_start_virtio a "$sock_a" "${common[@]}" --tx "$N" --mac "$MAC_A,$MAC_X" \
	--rx "$N" --rx-mac "$MAC_UP,$BCAST" --tx-gate "$VPT_DIR/gate-a"
vpt_start_virtio b "$sock_b" "${common[@]}" --tx "$N" --mac "$MAC_A,$MAC_X" \
	--rx "$N" --rx-mac "$MAC_UP,$BCAST" --tx-gate "$VPT_DIR/gate-b"
vpt_start_virtio up "$sock_up" "${common[@]}" --tx "$N" --mac "$MAC_UP,$BCAST" \
	--rx "$N" --rx-mac "$MAC_A,$MAC_X" --tx-gate "$VPT_DIR/gate-up"
vpt_switch_links_up 3

touch "$VPT_DIR/gate-a"
vpt_wait_log switch "^LEARN port=net_vhost0 mac=$MAC_A vlan=none$" 30
touch "$VPT_DIR/gate-b"
vpt_wait_log switch "^REFUSE port=net_vhost1 mac=$MAC_A owner=net_vhost0$" 30
touch "$VPT_DIR/gate-up"
vpt_finish a b up
for p in a b up; do vpt_expect_rx_intact "$p" "$N"; done
vpt_expect_eq "REFUSE lines" "$(grep -c '^REFUSE ' "${VPT_LOG[switch]}")" 1
vpt_stop_switch
vpt_expect_switch_port net_vhost0 \
	"role=vm rx=$N to_vm=0 to_uplink=$N flooded=0 drop_nodest=0 drop_full=0 drop_vlan=0"
vpt_expect_switch_port net_vhost1 \
	"role=vm rx=$N to_vm=0 to_uplink=0 flooded=0 drop_nodest=$N drop_full=0 drop_vlan=0"
vpt_expect_switch_port net_vhost2 \
	"role=uplink rx=$N to_vm=0 to_uplink=0 flooded=$N drop_nodest=0 drop_full=0 drop_vlan=0"
