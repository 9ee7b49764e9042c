#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A Linux guest (QEMU, virtio-net over vhost-user) boots on our net_vhost:
# testpmd sees the guest attach and the link come up (LSC), and the guest
# pings the host's tap address 5/5 through testpmd's io forwarding.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

vpg_init guest-boot
vpg_start_testpmd
vpt_expect_eq "LSC events before the guest" \
	"$(vpg_count testpmd 'link state change event')" 0
vpg_start_guest boot
vpg_wait_guest 'BOOTED' 120
vpg_wait_guest 'ETH0 carrier=1 ' 60
vpt_wait_log testpmd 'net_vhost0: guest attached' 10
vpt_wait_log testpmd "^Port $VPG_PORT: link state change event" 10
vpt_ok "testpmd saw the guest attach and the link come up"
vpt_expect_eq "guest ping" "$(vpg_wait_guest 'PING boot ' 60)" \
	"VPT-GUEST PING boot sent=5 received=5"
vpg_expect_guest_end
vpt_stop testpmd
vpt_expect_rc testpmd 0
