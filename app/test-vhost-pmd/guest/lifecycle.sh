#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Guest lifecycle on one testpmd (our net_vhost0 the server, QEMU the
# client), which keeps running throughout:
#  1. the guest reboots (QEMU without -no-reboot resets the machine): the
#     link goes down and comes up again, the pings of the second boot are
#     answered; QEMU then stopped (SIGTERM);
#  2. QEMU SIGKILLed while the guest's traffic flows, then started again on
#     the same socket: the link comes up, traffic resumes; QEMU stopped.
# Each life is attached, link up, 2 queues enabled, then detached, 2 queue
# events, link down, in that order; testpmd's open fds are the same
# before the first guest and after each one is gone.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

# lifecycle-iommu.sh: all of it behind QEMU's vIOMMU (vpg_iommu_setup):
# each new driver, after a reboot or a restarted QEMU, maps its rings and
# buffers at the IOVAs the previous one used.
[ -z "${LIFECYCLE_IOMMU:-}" ] || vpg_iommu_setup intremap=off
vpg_init "guest-lifecycle${LIFECYCLE_IOMMU:+-iommu}"
vpg_start_testpmd
fds=$(vpg_fd_count)
vpt_say "testpmd has $fds open fds before any guest"

# 1. Reboot.
VPG_REBOOT=1 VPG_GUEST=reboot vpg_start_guest reboot
VPG_GUEST=reboot
vpt_expect_eq "first boot ping" "$(vpg_wait_guest 'PING boot ' 240)" \
	"VPT-GUEST PING boot sent=3 received=3"
vpg_wait_guest 'REBOOTING' 30 >/dev/null
from=$(vpg_guest_lines)
vpg_wait_guest 'BOOTED ' 240 "$from" >/dev/null
vpt_expect_eq "second boot ping" "$(vpg_wait_guest 'PING boot ' 240 "$from")" \
	"VPT-GUEST PING boot sent=3 received=3"
vpt_stop reboot
vpg_wait_disconnects 1
vpg_expect_fds "testpmd fds after the rebooted guest" "$fds"

# 2. SIGKILL, then again.
VPG_GUEST=killed vpg_alive_guest
VPG_GUEST=killed
vpt_stop killed KILL
vpt_say "QEMU SIGKILLed (status ${VPT_RC[killed]})"
vpg_wait_disconnects 2
vpg_expect_fds "testpmd fds after the SIGKILLed guest" "$fds"
VPG_GUEST=again vpg_alive_guest
VPG_GUEST=again
vpt_stop again
vpg_wait_disconnects 3
vpg_expect_fds "testpmd fds after the last guest" "$fds"
vpg_expect_no_error

vpt_expect_eq "event order (A attached, L link, Q queue, D detached)" \
	"$(vpg_event_seq)" "ALQQDQQLALQQDQQLALQQDQQLALQQDQQL"
vpt_stop testpmd
vpt_expect_rc testpmd 0
