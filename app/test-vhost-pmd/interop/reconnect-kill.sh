#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A virtio_user peer SIGKILLed in the middle of its traffic to our
# net_vhost, and started again. The application on our port sees, in
# order: LSC up and both queues enabled; both queues disabled and LSC down
# at the kill; up again for the new peer. Every packet of either peer that
# arrives is intact (the first peer's, sequence numbers below 1000000, are
# counted as stale: some die with it in the ring); the new peer's 2000
# (from 1000000) all arrive, once. The port's counters add up exactly:
# ipackets/ibytes = intact packets/bytes of both peers, and its xstats say
# the same.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=2000
BASE=1000000
SIZES=64,700,1518
QUEUES_UP=('^EVENT QUEUE rxq=0 enable=1$' '^EVENT QUEUE txq=0 enable=1$')
QUEUES_DOWN=('^EVENT QUEUE rxq=0 enable=0$' '^EVENT QUEUE txq=0 enable=0$')

# line_of REGEX FROM: number of the first line after FROM matching REGEX
# in the vhost log (waits for it).
line_of() {
	vpt_wait_log vhost "$1" 30 "$2"
	echo $(($2 + $(tail -n "+$(($2 + 1))" "${VPT_LOG[vhost]}" | grep -nE -- "$1" | head -n 1 | cut -d: -f1)))
}

# queues_vs_lsc WHAT FROM STATE CMP QUEUE_REGEX...: after line FROM, each
# queue event comes after (CMP -gt) or before (-lt) the first LSC STATE
# event, whose line it leaves in lsc_line.
queues_vs_lsc() {
	local what=$1 from=$2 state=$3 cmp=$4 re l wrong=after
	shift 4
	[ "$cmp" = -gt ] && wrong=before
	lsc_line=$(line_of "^EVENT LSC $state\$" "$from")
	for re; do
		l=$(line_of "$re" "$from")
		[ "$l" "$cmp" "$lsc_line" ] ||
			vpt_fail "$what: /$re/ (line $l) $wrong LSC $state (line $lsc_line)"
	done
}

# expect_up WHAT FROM: after line FROM, LSC up comes before both queue
# enable events.
expect_up() {
	queues_vs_lsc "$1" "$2" up -gt "${QUEUES_UP[@]}"
	vpt_ok "$1: LSC up, then both queues enabled"
}

# expect_down WHAT FROM: both queue disable events, then LSC down, and no
# LSC up after it.
expect_down() {
	queues_vs_lsc "$1" "$2" down -lt "${QUEUES_DOWN[@]}"
	! tail -n "+$((lsc_line + 1))" "${VPT_LOG[vhost]}" | grep -q '^EVENT LSC up' ||
		vpt_fail "$1: LSC up after the down"
	vpt_ok "$1: both queues disabled, then LSC down"
}

xstat() { sed -n "s/^XSTAT $2=//p" "${VPT_LOG[$1]}" | tail -n 1; }

vpt_init reconnect-kill
sock=$(vpt_sock rk)
vpt_start_vhost vhost "$sock" --rx "$N" --rx-base "$BASE" --sizes "$SIZES" \
	--events --progress 1000 --stats --xstats --hold --timeout 250

from=$(vpt_lines vhost)
vpt_start_virtio peer1 "$sock" --tx 100000000 --sizes "$SIZES" --segs 1,2 \
	--wait-link --timeout 250
expect_up "peer1 up" "$from"
vpt_wait_log vhost '^PROGRESS stale=' 60 "$from"
from=$(vpt_lines vhost)
vpt_stop peer1 KILL
vpt_ok "peer1 killed mid-traffic (status ${VPT_RC[peer1]})"
expect_down "peer1 killed" "$from"

from=$(vpt_lines vhost)
vpt_start_virtio peer2 "$sock" --tx "$N" --tx-base "$BASE" --sizes "$SIZES" \
	--segs 1,2 --wait-link --stats --hold --timeout 250
expect_up "peer2 up" "$from"
vpt_finish vhost peer2

bytes=$(vpt_sum_sizes "$N" "$SIZES")
stale=$(vpt_kv vhost RX stale)
stale_bytes=$(vpt_kv vhost RX stale_bytes)
[ "$stale" -ge 1000 ] || vpt_fail "only $stale packets of peer1 arrived"
vpt_expect_eq "vhost RX ok/bad/dup/missing" \
	"$(vpt_kv vhost RX ok)/$(vpt_kv vhost RX bad)/$(vpt_kv vhost RX dup)/$(vpt_kv vhost RX missing)" \
	"$N/0/0/0"
vpt_expect_eq "peer2 TX sent" "$(vpt_kv peer2 TX sent)" "$N"
vpt_expect_eq "vhost ipackets = peer2's + peer1's intact" \
	"$(vpt_kv vhost STATS ipackets)" "$((N + stale))"
vpt_expect_eq "vhost ibytes" "$(vpt_kv vhost STATS ibytes)" "$((bytes + stale_bytes))"
vpt_expect_eq "vhost ierrors" "$(vpt_kv vhost STATS ierrors)" 0
vpt_expect_eq "vhost rx_q0_good_packets" "$(xstat vhost rx_q0_good_packets)" "$((N + stale))"
vpt_expect_eq "vhost rx_q0_good_bytes" "$(xstat vhost rx_q0_good_bytes)" "$((bytes + stale_bytes))"
vpt_expect_eq "peer2 opackets/obytes" \
	"$(vpt_kv peer2 STATS opackets)/$(vpt_kv peer2 STATS obytes)" "$N/$bytes"
