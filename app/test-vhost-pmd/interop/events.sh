#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# An application with rte_eth_dev_callback_register() on our net_vhost sees,
# in order: LSC up and QUEUE_STATE enable events when a virtio_user peer
# starts; disable events and LSC down when the peer stops (cleanly, then
# killed with SIGKILL); up again when a new peer comes. Queue events are
# drained with rte_eth_vhost_get_queue_event() from the main loop.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

UP=('^EVENT LSC up$' '^EVENT QUEUE rxq=0 enable=1$' '^EVENT QUEUE txq=0 enable=1$')
DOWN=('^EVENT QUEUE rxq=0 enable=0$' '^EVENT QUEUE txq=0 enable=0$' '^EVENT LSC down$')

# expect_phase WHAT FROM LSC REGEX...: every REGEX shows up after line FROM
# of the vhost log, and the last link event since then is LSC.
expect_phase() {
	local what=$1 from=$2 lsc=$3 re last
	shift 3
	for re in "$@"; do
		vpt_wait_log vhost "$re" 30 "$from"
	done
	last=$(tail -n "+$((from + 1))" "${VPT_LOG[vhost]}" | grep '^EVENT LSC' | tail -n 1)
	vpt_expect_eq "$what: last link event" "$last" "EVENT LSC $lsc"
}

vpt_init events
sock=$(vpt_sock events)
vpt_start_vhost vhost "$sock" --events --hold --timeout 200
grep -q '^VHOST_API found' "${VPT_LOG[vhost]}" ||
	vpt_fail "rte_eth_vhost_get_queue_event not found in the loaded net_vhost"

from=$(vpt_lines vhost)
vpt_start_virtio peer1 "$sock" --hold --timeout 200
expect_phase "peer 1 started" "$from" up "${UP[@]}"

from=$(vpt_lines vhost)
vpt_stop peer1 TERM
vpt_expect_rc peer1 0
expect_phase "peer 1 stopped" "$from" down "${DOWN[@]}"

from=$(vpt_lines vhost)
vpt_start_virtio peer2 "$sock" --hold --timeout 200
expect_phase "peer 2 started" "$from" up "${UP[@]}"

from=$(vpt_lines vhost)
vpt_stop peer2 KILL
expect_phase "peer 2 killed" "$from" down "${DOWN[@]}"

from=$(vpt_lines vhost)
vpt_start_virtio peer3 "$sock" --hold --timeout 200
expect_phase "peer 3 started" "$from" up "${UP[@]}"

vpt_stop peer3 TERM
vpt_stop vhost TERM
vpt_expect_rc vhost 0
vpt_say "events seen:"
grep '^EVENT' "${VPT_LOG[vhost]}" | sed 's/^/    /'
