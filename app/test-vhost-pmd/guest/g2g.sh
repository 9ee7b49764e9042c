#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest to guest: two guests, each on its own port of our net_vhost in one
# testpmd (net_vhost0, net_vhost1, io forwarding between them, no tap).
# Guest A sends 32 MiB of random data to guest B over TCP; B's SHA-256 of
# what it received equals A's. Nothing lost in forwarding, each guest's
# packet counters equal its port's.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

SIZE=$((32 * 1024 * 1024))
IP_A=10.99.0.2
IP_B=10.99.0.3

vpg_init guest-g2g
SOCK_A=$VPG_SOCK
SOCK_B=$(vpt_sock vhost1)
VPG_TAP=""
VPG_EXTRA_VDEV="net_vhost1,iface=$SOCK_B,queues=1"
vpg_start_testpmd
PORT_A=$(vpg_port net_vhost0)
PORT_B=$(vpg_port net_vhost1)
MAC_A=52:54:00:76:70:01
MAC_B=52:54:00:76:70:02

# B first (it listens), then A. Each has the other's address in its ARP
# table from the start (vpt.peermac): no ARP traffic, whose probes could
# come after a guest's COUNTERS.
VPG_GUEST=gb VPG_SOCK=$SOCK_B VPG_MAC=$MAC_B VPG_GUEST_IP=$IP_B VPG_HOST_IP=$IP_A \
	VPG_APPEND="vpt.size=$SIZE vpt.peermac=$MAC_A" vpg_start_guest g2g-recv
VPG_GUEST=ga VPG_SOCK=$SOCK_A VPG_MAC=$MAC_A VPG_GUEST_IP=$IP_A VPG_HOST_IP=$IP_B \
	VPG_APPEND="vpt.size=$SIZE vpt.peermac=$MAC_B" vpg_start_guest g2g-send
VPG_GUEST=gb vpg_wait_guest 'LISTEN 5001' 240 >/dev/null
VPG_GUEST=ga
sent=$(vpg_wait_guest 'SHA guest-tx ' 240)
vpt_expect_eq "guest A sender" "$(vpg_wait_guest 'SENT ' 300)" "VPT-GUEST SENT rc=0"
VPG_GUEST=gb
vpt_expect_eq "A -> B SHA-256" "$(vpg_wait_guest 'SHA guest-rx ' 120)" \
	"$(sed 's/SHA guest-tx \([0-9a-f]*\) bytes=.*/SHA guest-rx \1/' <<<"$sent")"
vpt_expect_eq "bytes A sent" "${sent##*bytes=}" "$SIZE"
for g in ga gb; do
	VPG_GUEST=$g vpg_expect_guest_end
done
vpt_stop testpmd
vpt_expect_rc testpmd 0
vpg_expect_fwd "$PORT_A" "$PORT_B"
vpg_expect_min "net_vhost0 RX-packets (A -> B)" "$(vpg_fwd "$PORT_A" RX-packets)" $((SIZE / 1448))
VPG_GUEST=ga VPG_PORT=$PORT_A vpg_expect_guest_counters
VPG_GUEST=gb VPG_PORT=$PORT_B vpg_expect_guest_counters
