#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vhost-switch (app/test-vhost-pmd/switch) on three of our net_vhost ports:
# guests A and B (virtio_user peers) and an uplink (a third virtio_user
# peer standing for the network: it sends and expects VLAN-tagged frames).
#   B -> an address nobody owns: to the uplink, tagged with B's VLAN 1001.
#   A -> B's address (learned from B's frames): straight to B, untagged.
#   uplink -> A's address, tagged with A's VLAN 1000: to A, the tag removed.
# Each guest sends only once the switch has learned the address it sends
# to, so nothing is flooded or dropped: every receiver checks the addresses,
# the tag (the uplink), and every byte of each frame.
# Then the guests go: their links go down and the switch forgets their
# addresses. New ones connect, B with a new address, and B broadcasts:
# A gets every frame, the uplink every frame with B's tag. Last, the
# uplink sends untagged frames: no VM port's, all dropped. The switch's
# counters of all phases are exact. Frames of 9000 bytes come chained:
# a flood shares every segment.
# SWITCH_GUEST_DEVARGS: more devargs for the guests' ports (switch-extbuf.sh).
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=1500
SIZES=64,600,1514,9000
MAC_A=02:00:00:00:0a:0a
MAC_B=02:00:00:00:0b:0b
MAC_UP=02:00:00:00:0c:0c
MAC_X=02:00:00:00:ee:ee
VLAN_A=1000
VLAN_B=1001

vpt_init "${SWITCH_TEST_NAME:-switch}"
sock_a=$(vpt_sock a)
sock_b=$(vpt_sock b)
sock_up=$(vpt_sock up)
# A generous retry: a peer sharing its CPU with two others may not drain its
# ring for a while, and this test counts every frame.
guest_args=${SWITCH_GUEST_DEVARGS:+,$SWITCH_GUEST_DEVARGS}
vpt_start_switch "$sock_a$guest_args" "$sock_b$guest_args" "$sock_up" -- \
	--uplink net_vhost2 --retry-us 200000

common=(--tx "$N" --rx "$N" --sizes "$SIZES" --wait-link --stats --hold --timeout 120)
vpt_start_virtio a "$sock_a" "${common[@]}" --mac "$MAC_A,$MAC_B" --rx-mac "$MAC_UP,$MAC_A" \
	--tx-gate "$VPT_DIR/gate-a"
vpt_start_virtio b "$sock_b" "${common[@]}" --mac "$MAC_B,$MAC_X" --rx-mac "$MAC_A,$MAC_B" \
	--tx-gate "$VPT_DIR/gate-b"
vpt_start_virtio up "$sock_up" "${common[@]}" --mac "$MAC_UP,$MAC_A" --rx-mac "$MAC_B,$MAC_X" \
	--vlan "$VLAN_B" --tx-vlan "$VLAN_A" --tx-gate "$VPT_DIR/gate-up"
vpt_switch_links_up 3

touch "$VPT_DIR/gate-b"
vpt_wait_log switch "^LEARN port=net_vhost1 mac=$MAC_B vlan=$VLAN_B$" 30
touch "$VPT_DIR/gate-a"
vpt_wait_log switch "^LEARN port=net_vhost0 mac=$MAC_A vlan=$VLAN_A$" 30
touch "$VPT_DIR/gate-up"
vpt_finish a b up
for p in a b up; do vpt_expect_rx_intact "$p" "$N"; done
vpt_wait_log switch "^UNLEARN port=net_vhost0 mac=$MAC_A$" 30
vpt_wait_log switch "^UNLEARN port=net_vhost1 mac=$MAC_B$" 30

# Phase 2: new guests; B broadcasts from a new address.
MAC_B2=02:00:00:00:0b:02
BCAST=ff:ff:ff:ff:ff:ff
from=$(vpt_lines switch)
common=(--sizes "$SIZES" --wait-link --stats --hold --timeout 120)
vpt_start_virtio a2 "$sock_a" "${common[@]}" --rx "$N" --rx-mac "$MAC_B2,$BCAST"
vpt_start_virtio up2 "$sock_up" "${common[@]}" --rx "$N" --rx-mac "$MAC_B2,$BCAST" --vlan "$VLAN_B"
vpt_start_virtio b2 "$sock_b" "${common[@]}" --tx "$N" --mac "$MAC_B2,$BCAST" \
	--tx-gate "$VPT_DIR/gate-b2"
vpt_switch_links_up 3 "$from"
touch "$VPT_DIR/gate-b2"
vpt_wait_log switch "^LEARN port=net_vhost1 mac=$MAC_B2 vlan=$VLAN_B$" 30 "$from"
vpt_finish a2 b2 up2
for p in a2 up2; do vpt_expect_rx_intact "$p" "$N"; done

# Phase 3: untagged frames from the uplink belong to no VM port: dropped.
vpt_wait_log switch "^LINK port=net_vhost2 down$" 30 "$from"
from=$(vpt_lines switch)
vpt_start_virtio up3 "$sock_up" "${common[@]}" --tx "$N" --mac "$MAC_UP,$MAC_A" \
	--tx-gate "$VPT_DIR/gate-up3"
vpt_wait_log switch "^LINK port=net_vhost2 up$" 30 "$from"
touch "$VPT_DIR/gate-up3"
vpt_finish up3
vpt_stop_switch
drops="drop_nodest=0 drop_full=0 drop_vlan=0"
vpt_expect_switch_port net_vhost0 "role=vm rx=$N to_vm=$N to_uplink=0 flooded=0 $drops"
vpt_expect_switch_port net_vhost1 "role=vm rx=$((2 * N)) to_vm=0 to_uplink=$N flooded=$N $drops"
vpt_expect_switch_port net_vhost2 \
	"role=uplink rx=$((2 * N)) to_vm=$N to_uplink=0 flooded=0 drop_nodest=0 drop_full=0 drop_vlan=$N"
