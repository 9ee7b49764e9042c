#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Rx/Tx bursts on our net_vhost are safe at any moment. The vhost side calls
# rx and tx bursts all the time (filler packets when it has nothing else to
# send) and echoes what it receives: before any peer connects, while peers
# negotiate, after a peer is killed with SIGKILL in the middle of traffic.
# It must keep running, deliver only intact packets, and serve new peers,
# whose echoed packets all come back intact.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

SIZES=64,1518,3000

vpt_init bursts
sock=$(vpt_sock bursts)
vpt_start_vhost vhost "$sock" --echo --burst-anytime --sizes "$SIZES" --stats \
	--hold --timeout 200
vpt_wait_log vhost '^IDLE bursts=' 30
vpt_ok "vhost: bursts with no peer"

# A peer that would send for ever: killed in the middle of its traffic.
from=$(vpt_lines vhost)
vpt_start_virtio peer1 "$sock" --tx 100000000 --rx 100000000 --sizes "$SIZES" \
	--segs 1,2 --wait-link --progress 1000 --timeout 200
vpt_wait_log peer1 '^PROGRESS' 60
vpt_stop peer1 KILL
vpt_ok "peer1 killed (status ${VPT_RC[peer1]}) mid-traffic"
vpt_wait_log vhost '^LINK down' 30 "$from"
vpt_wait_log vhost '^IDLE bursts=' 30 "$from"
vpt_alive vhost || vpt_fail "vhost side died"
vpt_ok "vhost: bursts go on after the peer died"

# New peers: every packet they send comes back intact, exactly once.
for peer in peer2 peer3; do
	vpt_start_virtio "$peer" "$sock" --tx 3000 --rx 3000 --sizes "$SIZES" \
		--segs 1,3 --wait-link --stats --timeout 60
	vpt_wait_exit "$peer" 120
	vpt_expect_rc "$peer" 0
	vpt_expect_eq "$peer RX ok/bad/dup/missing" \
		"$(vpt_kv "$peer" RX ok)/$(vpt_kv "$peer" RX bad)/$(vpt_kv "$peer" RX dup)/$(vpt_kv "$peer" RX missing)" \
		"3000/0/0/0"
	vpt_alive vhost || vpt_fail "vhost side died"
done

vpt_stop vhost TERM
vpt_expect_rc vhost 0
vpt_expect_eq "vhost RX bad/dup" \
	"$(vpt_kv vhost RX bad)/$(vpt_kv vhost RX dup)" "0/0"
grep -E '^(TX|RX) ' "${VPT_LOG[vhost]}" | sed 's/^/    /'
