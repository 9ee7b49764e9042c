#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Driver reload in a running guest: rmmod virtio_net resets the device, so
# our port's link goes down (the guest detaches); insmod sets it up again,
# the link comes back up and traffic resumes: pings 3/3 before, 5/5 after.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/common.sh"
. "$HERE/lib/guest.sh"

# reload-iommu.sh: behind QEMU's vIOMMU (vpg_iommu_setup). The stopped
# device gets no IOMMU invalidations from QEMU; the new driver maps its
# buffers at the IOVAs the old one used.
[ -z "${RELOAD_IOMMU:-}" ] || vpg_iommu_setup
vpg_init "guest-reload${RELOAD_IOMMU:+-iommu}"
vpg_start_testpmd
vpg_start_guest reload
vpt_expect_eq "guest ping before the reload" "$(vpg_wait_guest 'PING before ' 180)" \
	"VPT-GUEST PING before sent=3 received=3"
vpg_wait_guest 'RELOADED' 60 >/dev/null
vpt_expect_eq "guest ping after the reload" "$(vpg_wait_guest 'PING after ' 60)" \
	"VPT-GUEST PING after sent=5 received=5"
vpg_expect_guest_end
# reload-packed.sh: the guest must have used packed rings.
[ -z "${VPG_WANT_PACKED:-}" ] || vpg_expect_feature RING_PACKED 34 "$VPG_WANT_PACKED"
[ -z "${RELOAD_IOMMU:-}" ] || vpg_expect_feature ACCESS_PLATFORM 33 1
vpt_stop testpmd
vpt_expect_rc testpmd 0
# Whole run: attach (up), reset by rmmod (down), attach (up), power-off (down).
vpt_expect_eq "guest attach / detach sequence" \
	"$(grep -aoE 'net_vhost0: guest (attached|detached)' "${VPT_LOG[testpmd]}" |
	   awk '{print $3}' | paste -sd ' ')" "attached detached attached detached"
vpt_expect_eq "LSC events of net_vhost0" \
	"$(vpg_count testpmd "^Port $VPG_PORT: link state change event")" 4
