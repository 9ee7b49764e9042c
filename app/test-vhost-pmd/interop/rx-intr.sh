#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Rx queue interrupts of our net_vhost, l3fwd-power style: vhost-peer
# configures intr_conf.rxq, adds each Rx queue's fd to its per-thread epoll
# (rte_eth_dev_rx_intr_ctl_q) and, when idle, arms the queues and sleeps in
# rte_epoll_wait with a 60 s bound. A virtio_user peer connects and sends
# in paced rounds. Every sleep must end by an event (a guest kick, or the
# kick we give a new vring), never by the bound: timeouts=0; the receiver
# slept between the rounds and got every packet intact. With 2 queue pairs
# too, the rounds spread over both queues. And one sleeper across two
# guests, one after the other.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

N=600
PACE=100,300			# 6 rounds of 100 packets, 300 ms apart
SIZES=64,1000

vpt_init rx-intr
bytes=$(vpt_sum_sizes "$N" "$SIZES")
for q in 1 2; do
	sock=$(vpt_sock "intr$q")
	vpt_launch "vh$q" ours "$VPT_VHOST_CORES" \
		"net_vhost0,iface=$sock,queues=$q" "$VPT_PEER" --queues "$q" \
		--rx "$N" --sizes "$SIZES" --intr --stats --hold --timeout 200
	vpt_wait_log "vh$q" '^READY .*driver=net_vhost ' 30
	vpt_assert_ours "vh$q"
	vpt_launch "vi$q" virtio "$VPT_VIRTIO_CORES" \
		"virtio_user0,path=$sock,queues=$q" "$VPT_PEER" --queues "$q" \
		--tx "$N" --sizes "$SIZES" --pace "$PACE" --wait-link --stats \
		--hold --timeout 200
	vpt_wait_log "vh$q" '^DONE' 120
	vpt_wait_log "vi$q" '^DONE' 120
	vpt_stop "vh$q"
	vpt_stop "vi$q"
	vpt_expect_rc "vh$q" 0
	vpt_expect_rc "vi$q" 0
	vpt_expect_port "vh$q" 0 0 "$N" "$bytes"
	line=$(grep '^INTR ' "${VPT_LOG[vh$q]}" | tail -n 1)
	vpt_say "$q queue(s): $line"
	sleeps=$(vpt_kv "vh$q" INTR sleeps)
	wakeups=$(vpt_kv "vh$q" INTR wakeups)
	[ "$sleeps" -ge 2 ] || vpt_fail "$q queue(s): slept $sleeps times, want >= 2"
	vpt_expect_eq "$q queue(s): sleeps ended by the 60 s bound" "$(vpt_kv "vh$q" INTR timeouts)" 0
	[ "$wakeups" -ge 2 ] || vpt_fail "$q queue(s): $wakeups wakeups, want >= 2"
	vpt_ok "$q queue(s): $sleeps sleeps, $wakeups woken by an event"
done

# A sleeper across guests: the first peer sends and goes away, a second one
# connects later and sends; the queue's fd (the proxy) stays the same, and
# the new guest's kicks wake the sleeper.
BASE=1000000
sock=$(vpt_sock intr-re)
vpt_start_vhost vhre "$sock" --rx "$N" --rx-base "$BASE" --sizes "$SIZES" --intr \
	--progress 300 --stats --hold --timeout 200
vpt_start_virtio peer1 "$sock" --tx 300 --sizes "$SIZES" --pace "$PACE" --wait-link \
	--hold --timeout 200
vpt_wait_log peer1 '^DONE' 120
vpt_wait_log vhre '^PROGRESS stale=300$' 120
vpt_stop peer1
vpt_expect_rc peer1 0
# (the sleeper does not look at the link: it sleeps until a kick)
vpt_start_virtio peer2 "$sock" --tx "$N" --tx-base "$BASE" --sizes "$SIZES" \
	--pace "$PACE" --wait-link --hold --timeout 200
vpt_wait_log vhre '^DONE' 120
vpt_stop vhre
vpt_stop peer2
vpt_expect_rc vhre 0
vpt_expect_eq "across guests: RX ok/bad/dup/missing" \
	"$(vpt_kv vhre RX ok)/$(vpt_kv vhre RX bad)/$(vpt_kv vhre RX dup)/$(vpt_kv vhre RX missing)" \
	"$N/0/0/0"
vpt_expect_eq "across guests: first peer's packets" "$(vpt_kv vhre RX stale)" 300
vpt_say "across guests: $(grep '^INTR ' "${VPT_LOG[vhre]}" | tail -n 1)"
vpt_expect_eq "across guests: sleeps ended by the 60 s bound" "$(vpt_kv vhre INTR timeouts)" 0
