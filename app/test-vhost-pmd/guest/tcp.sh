#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TCP bulk transfer through our net_vhost, both directions: the guest sends
# 32 MiB of random data (from its /dev/urandom) to the host, then the host
# sends 32 MiB of random data to the guest (busybox nc both ends). The
# SHA-256 of what each receiver got equals the sender's.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((32 * 1024 * 1024))

vpg_init guest-tcp
vpg_start_testpmd
head -c "$SIZE" /dev/urandom >"$VPT_DIR/host-tx.bin"
host_tx_sum=$(sha256sum <"$VPT_DIR/host-tx.bin")
host_tx_sum=${host_tx_sum%% *}

# Guest -> host: the listener is up before the guest boots.
vpg_spawn listener ip netns exec "$VPG_NETNS" busybox nc -l -p 5001 \
	-e sh -c "exec cat >'$VPT_DIR/host-rx.bin'"
vpg_start_guest tcp
guest_tx=$(vpg_wait_guest 'SHA guest-tx ' 120)
vpt_say "$guest_tx"
vpt_expect_eq "guest sender" "$(vpg_wait_guest 'SENT ' 120)" "VPT-GUEST SENT rc=0"
vpt_wait_exit listener 60
vpt_expect_rc listener 0
vpt_expect_eq "bytes the host received" "$(stat -c %s "$VPT_DIR/host-rx.bin")" "$SIZE"
host_rx_sum=$(sha256sum <"$VPT_DIR/host-rx.bin")
vpt_expect_eq "guest -> host SHA-256" \
	"VPT-GUEST SHA guest-tx ${host_rx_sum%% *} bytes=$SIZE" "$guest_tx"

# Host -> guest.
vpg_wait_guest 'LISTEN 5002' 60 >/dev/null
rc=0
timeout -k 5 120 ip netns exec "$VPG_NETNS" busybox nc "$VPG_GUEST_IP" 5002 \
	<"$VPT_DIR/host-tx.bin" || rc=$?
vpt_expect_eq "host sender exit status" "$rc" 0
vpt_expect_eq "host -> guest SHA-256" "$(vpg_wait_guest 'SHA guest-rx ' 120)" \
	"VPT-GUEST SHA guest-rx $host_tx_sum"
vpg_expect_guest_end
# tcp-packed.sh: the guest must have used packed rings.
[ -z "${VPG_WANT_PACKED:-}" ] || vpg_expect_feature 34 "$VPG_WANT_PACKED"
vpt_stop testpmd
vpt_expect_rc testpmd 0
