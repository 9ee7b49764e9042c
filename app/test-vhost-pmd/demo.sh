#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ./run demo: dpdk-testpmd on OUR net_vhost (in a mount namespace where
# Debian's is hidden; checked in /proc/PID/maps) in rxonly mode, fed by a
# virtio_user testpmd in txonly mode in a second process. A few seconds of
# traffic, then the link events and the packet rate; both stopped cleanly.
# usage: demo.sh [SECONDS]   (default 5)
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

DEMO_SECS=${1:-5}

# testpmd's periodic statistics clear the screen: drop the escapes.
plain_log() { sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "${VPT_LOG[$1]}"; }

# Link and queue events testpmd printed after line FROM of NAME's log.
events_since() {
	tail -n "+$(($2 + 1))" "${VPT_LOG[$1]}" | grep -oE 'Port [0-9]+: [a-z ]+ event' || true
}

indent() { sed 's/^/    /'; }

vpt_init demo
sock=$(vpt_sock demo)

vpt_say "starting dpdk-testpmd on our net_vhost ($sock), rxonly"
vpt_launch vhost ours "-l 0,1" "$(vpt_vdev_vhost "$sock")" "$VPT_TESTPMD" \
	--nb-cores=1 --rxq=1 --txq=1 --forward-mode=rxonly --stats-period 1 \
	--print-event intr_lsc --print-event queue_state
vpt_wait_log vhost 'start packet forwarding' 60
vpt_assert_ours vhost

vpt_say "starting a virtio_user dpdk-testpmd peer, txonly, for ${DEMO_SECS}s"
from=$(vpt_lines vhost)
vpt_launch virtio virtio "-l 0,1 --main-lcore 1" "$(vpt_vdev_virtio "$sock")" \
	"$VPT_TESTPMD" --nb-cores=1 --rxq=1 --txq=1 --forward-mode=txonly \
	--stats-period 3600
vpt_wait_log virtio 'start packet forwarding' 60
vpt_wait_log vhost 'link state change event' 30 "$from"
up_events=$(events_since vhost "$from")
sleep "$DEMO_SECS"

vpt_say "stopping the peer"
from=$(vpt_lines vhost)
vpt_stop virtio TERM
vpt_wait_log vhost 'link state change event' 30 "$from"
down_events=$(events_since vhost "$from")
vpt_stop vhost TERM
vpt_expect_rc virtio 0
vpt_expect_rc vhost 0

echo
echo "Events seen by testpmd on our net_vhost when the peer started:"
indent <<<"$up_events"
echo "Events seen when the peer stopped:"
indent <<<"$down_events"
echo "Receive rate of our net_vhost port (packets/s, one sample a second):"
rates=$(plain_log vhost | sed -n 's/^ *Rx-pps: *\([0-9]*\).*/\1/p' | grep -v '^0$' || true)
indent <<<"${rates:-none}"
total=$(plain_log vhost | grep -A 1 'Accumulated forward statistics' |
	sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' | tail -n 1)
echo "Total received: ${total:-0} packets of 64 bytes"
if [ -z "$rates" ] || [ "${total:-0}" = 0 ]; then
	vpt_fail "no traffic went through"
fi
vpt_say "done"
