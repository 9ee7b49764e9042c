#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The port's software TSO (drivers/net/vhost/tso.c) with a Linux guest:
# the guest's device has no GUEST_TSO4/6 (nor HOST_TSO), testpmd forwards
# in csum mode and asks our port (tso=1) for TSO with an MSS of 800 on every
# TCP frame from the host, so each full frame (1448 bytes of payload) must
# reach the guest as two segments. The TCP exchange of tcp.sh (32 MiB each
# way, SHA-256 compared) passes, the guest's packet counts equal our port's
# (which count segments), and our port sent the guest many more packets
# than it got from the host.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((32 * 1024 * 1024))
MSS=800
VPG_VHOST_ARGS="tso=1"
VPG_DEV_OPTS=",guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off"
VPG_DEV_OPTS+=",host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off"
VPG_FWD_MODE=csum

vpg_init guest-tcp-sw-tso
# testpmd probes net_tap0 first (port 0), then net_vhost0 (port 1).
cmds=$VPT_DIR/testpmd-cmds
printf '%s\n' "port stop all" "csum set ip hw 1" "csum set tcp hw 1" "tso set $MSS 1" \
	"port start all" >"$cmds"
# csum forwarding writes the destination MAC of each frame: the guest's on
# port 1, and on port 0 the one the tap's kernel side gets below.
TAP_MAC=02:00:00:00:00:00
VPG_TESTPMD_ARGS=(--cmdline-file="$cmds" --eth-peer="0,$TAP_MAC" --eth-peer="1,$VPG_MAC")
vpg_start_testpmd
vpt_expect_eq "net_vhost0 port id" "$VPG_PORT" 1
vpg_ns ip link set "$VPG_TAP" address "$TAP_MAC"
vpt_wait_log testpmd "TSO segment size for non-tunneled packets is $MSS" 5
vpg_tcp_exchange "$SIZE"
vpg_expect_guest_end
vpg_expect_feature GUEST_CSUM 1 1
vpg_expect_feature GUEST_TSO4 7 0
vpg_expect_feature GUEST_TSO6 8 0
vpt_stop testpmd
vpt_expect_rc testpmd 0
vpg_expect_guest_counters
tap_rx=$(vpg_fwd 0 RX-packets)
vhost_tx=$(vpg_fwd 1 TX-packets)
vpt_say "host frames into the tap port: $tap_rx, packets our port sent the guest: $vhost_tx"
# Each data segment carries at most MSS bytes.
vpg_expect_min "packets the guest got" "$vhost_tx" $((SIZE / MSS))
# Without segmentation our port would send what it got (not more). A bulk
# transfer's frames are mostly full (1448 bytes, 23172 of them at least for
# 32 MiB; not all: a run cut 20868): half of that many is the bound.
vpg_expect_min "segments added by our port (TX-packets - tap RX-packets)" \
	$((vhost_tx - tap_rx)) $((SIZE / 1448 / 2))
