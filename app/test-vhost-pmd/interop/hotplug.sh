#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Hotplug of our net_vhost: vhost-hotplug (app/test-vhost-pmd/peer/) probes
# 8 ports with rte_dev_probe(), starts them, connects to and hangs up on
# each socket as a frontend (one request answered), removes them with
# rte_dev_remove() (half after stop+close; half of the ports with Rx
# interrupts), 20 rounds; it fails if a round after the second ends with
# another count of open fds or of rte_malloc bytes/allocations than the
# second, or with a socket file left. With 1 and 2 queue pairs per port.
set -euo pipefail
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

HOTPLUG=$VPT_BUILD/app/test-vhost-pmd/peer/vhost-hotplug

vpt_init hotplug
mkdir -p "$VPT_DIR/socks"
for q in 1 2; do
	name=hp$q
	vpt_launch "$name" ours "$VPT_VHOST_CORES" \
		"net_vhost0,iface=$VPT_DIR/base$q.sock,queues=1" "$HOTPLUG" \
		--dir "$VPT_DIR/socks" --ports 8 --rounds 20 --queues "$q" --connect
	vpt_wait_log "$name" '^READY ' 30
	vpt_assert_ours "$name"
	touch "$VPT_DIR/socks/go"
	vpt_wait_exit "$name" 240
	grep '^ROUND' "${VPT_LOG[$name]}" | sed -n '1p;2p;$p' | sed 's/^/    /'
	vpt_expect_rc "$name" 0
	vpt_expect_eq "$name rounds done" "$(grep -c '^ROUND' "${VPT_LOG[$name]}")" 20
	vpt_expect_eq "$name result" "$(sed -n 's/^RESULT //p' "${VPT_LOG[$name]}")" pass
	left=$(find "$VPT_DIR/socks" -mindepth 1 | wc -l)
	vpt_expect_eq "$name files left in the socket dir" "$left" 0
done
